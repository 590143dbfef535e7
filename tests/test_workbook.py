"""results.xlsx read back (model/report/workbook.py): the sheets, units in headers and formats, frozen headers
and filters, no dict or list in any cell, and the sites and flows sheets equal to sites.csv and flows.csv."""
import json

import openpyxl
import pandas as pd
import pytest
import tiny

from model import SolverOptions, load_scenario, solve, write_results
from model.report.workbook import SITE_HEADERS


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Two sites, S1 too small (1200 of 1500 orders): S1 bonded, the rest by cross-border parcel
    (as tests/test_maps.py); run with --set policy.cbec_tax_factor=0.9 so the workbook names a change."""
    folder = tiny.write(tmp_path_factory.mktemp("d"), tiny.tables(
        demand={"01": 1000.0, "02": 500.0}, sites={"S1": 10.0, "S2": 12.0},
        levels=[("S1", "small", 1200.0, 2000.0), ("S2", "small", 1e6, 1e6)], parcel_usd_per_order=6.0))
    result = solve(load_scenario(folder, overrides={"policy.cbec_tax_factor": "0.9"}), SolverOptions(mip_rel_gap=1e-6))
    return write_results(result, tmp_path_factory.mktemp("r") / "run")


def test_sheets_and_no_dict_or_list_in_any_cell(run):
    book = openpyxl.load_workbook(run / "results.xlsx")
    assert book.sheetnames[:7] == ["summary", "inputs changed", "sites", "flows", "flows by province",
                                   "cost breakdown", "KPIs"]
    for ws in book.worksheets:
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref, ws.title
        for row in ws.iter_rows(values_only=True):
            for v in row:
                assert not (isinstance(v, str) and v[:1] in "[{"), (ws.title, v)


def test_summary_opens_with_the_run_and_its_change(run):
    summary = pd.read_excel(run / "results.xlsx", sheet_name="summary")
    assert list(summary["item"][:4]) == ["run", "scenario", "input hash",
                                         "parameter policy.cbec_tax_factor (set for this run)"]
    assert summary["value"][0] == json.loads((run / "summary.json").read_text())["run"]
    assert "cbec_tax_factor=0.9" in summary["value"][0]
    inputs = pd.read_excel(run / "results.xlsx", sheet_name="inputs changed", dtype=str)
    assert inputs.iloc[0][["parameter", "this run", "scenario file"]].tolist() == ["policy.cbec_tax_factor", "0.9", "1"]


def test_units_in_headers_and_number_formats(run):
    book = openpyxl.load_workbook(run / "results.xlsx")
    sites = book["sites"]
    header = [c.value for c in sites[1]]
    col = header.index("utilisation (share)") + 1
    assert sites.cell(row=2, column=col).number_format == "0.0%"
    col = header.index("fixed cost (USD/year)") + 1
    assert sites.cell(row=2, column=col).number_format == "#,##0"
    kpis = book["KPIs"]
    rows = {r[0].value: r for r in kpis.iter_rows(min_row=2)}
    assert rows["lead_time_mean_hours"][3].value == "hours"
    assert rows["lead_time_mean_hours"][2].number_format == '0.0" hours"'
    assert rows["share_within_target"][2].number_format == "0.0%"
    costs = pd.read_excel(run / "results.xlsx", sheet_name="cost breakdown").set_index("term")
    assert costs.loc["direct_mail_cost", "name"] == "cross-border parcel postage"  # the report's words


def test_sites_sheet_equals_sites_csv_and_flows_sheet_flows_csv(run):
    csv = pd.read_csv(run / "sites.csv", dtype=str, keep_default_na=False)
    sheet = pd.read_excel(run / "results.xlsx", sheet_name="sites", dtype=str, keep_default_na=False)
    sheet = sheet.rename(columns={v: k for k, v in SITE_HEADERS.items()})
    assert list(sheet.drop(columns="regimes held (names)").columns) == list(csv.columns)
    for c in csv.columns:
        a, b = csv[c], sheet[c]
        num_a, num_b = pd.to_numeric(a, errors="coerce"), pd.to_numeric(b, errors="coerce")
        if num_a.notna().all() and num_b.notna().all():
            assert num_b.tolist() == pytest.approx(num_a.tolist(), rel=1e-11), c
        else:
            assert [x.lower() for x in b] == [x.lower() for x in a], c  # True/TRUE
    flows = pd.read_excel(run / "results.xlsx", sheet_name="flows")
    assert len(flows) == len(pd.read_csv(run / "flows.csv"))
    assert set(flows["regime"]) <= {"bonded CBEC stock", "cross-border parcel", "general trade", "not served",
                                    "CBEC direct-purchase parcel"}
