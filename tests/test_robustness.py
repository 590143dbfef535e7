"""Robustness: every bad input gets a clear answer naming file, row and column; problems of
every file are gathered in one error; unmet demand is explained; results are atomic and
deterministic; a fuzzer corrupting the shipped tables never ends in a traceback."""
import csv
import io
import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from tiny import tables, write

from model import DataError, ScenarioError, SolverOptions, load_scenario, solve, write_results
from model.io.scenario import DEFAULT_DATA_DIR
from model.io.tables import MAX_TOTAL_PROBLEMS
from model.statistics.diagnostics import capacity_check, explain_unmet

ROOT = Path(__file__).resolve().parents[1]
EXACT = SolverOptions(mip_rel_gap=1e-9)


def problems(tmp_path, tabs, **kw) -> list:
    """The problems load_scenario reports for a tiny data folder (fails if it loads)."""
    with pytest.raises(DataError) as e:
        load_scenario(write(tmp_path / "d", tabs), **kw)
    return e.value.problems


def only(probs, file, row, column):
    """The single problem of ``probs``, checked to name ``file``, ``row`` and ``column``."""
    assert len(probs) == 1, [str(p) for p in probs]
    p = probs[0]
    assert Path(p.file).name == file and p.row == row and p.column == column, str(p)
    if row is not None and column is not None:
        assert f"{file}, row {row}, column '{column}'" in str(p)
    return p


# --- one test per class of bad input ---------------------------------------------------------

def test_missing_file(tmp_path):
    folder = write(tmp_path / "d", tables())
    (folder / "tariffs.csv").unlink()
    with pytest.raises(DataError) as e:
        load_scenario(folder)
    p = only(e.value.problems, "tariffs.csv", None, None)
    assert "to exist" in p.expected


def test_not_a_folder(tmp_path):
    with pytest.raises(DataError, match="a data folder"):
        load_scenario(data_dir=tmp_path / "nowhere")


def test_missing_column(tmp_path):
    t = tables()
    t["site_levels"] = t["site_levels"].drop(columns="capacity_orders_per_year")
    p = only(problems(tmp_path, t), "site_levels.csv", 1, "capacity_orders_per_year")
    assert "in the header" in p.expected


def test_bad_number(tmp_path):
    t = tables()
    t["lanes"]["transit_days"] = ["5", "three"]
    p = only(problems(tmp_path, t), "lanes.csv", 3, "transit_days")
    assert p.value == "three" and "a number in days" in p.expected


@pytest.mark.parametrize("value", ["inf", "nan", "1e400"])
def test_non_finite_number(tmp_path, value):
    t = tables()
    t["products"]["order_value_usd"] = [value]
    only(problems(tmp_path, t), "products.csv", 2, "order_value_usd")


def test_out_of_range_value(tmp_path):
    t = tables(vat=1.5)
    p = only(problems(tmp_path, t), "tariffs.csv", 2, "vat_rate")
    assert "<= 1" in p.expected


@pytest.mark.parametrize("table,column,value,bound", [
    ("sites", "lat", 1.29, ">= 8"),          # Singapore
    ("sites", "lon", 100.5, ">= 102"),       # Bangkok
    ("provinces", "lat", 24.0, "<= 23.5"),   # north of Ha Giang
    ("provinces", "lon", 121.0, "<= 110"),   # Manila
    ("gateways", "lat", 7.5, ">= 8"),
])
def test_coordinates_outside_vietnam_are_rejected(tmp_path, table, column, value, bound):
    t = tables()
    t[table].loc[0, column] = value
    p = only(problems(tmp_path, t), f"{table}.csv", 2, column)
    assert bound in p.expected and "degrees" in p.expected


def test_bad_boolean(tmp_path):
    t = tables()
    t["sites"]["bonded_allowed"] = ["maybe"]
    p = only(problems(tmp_path, t), "sites.csv", 2, "bonded_allowed")
    assert p.expected == "True or False"


def test_duplicate_key(tmp_path):
    t = tables(demand={"01": 10, "02": 20})
    t["demand"].loc[1, "zone"] = "01"
    probs = problems(tmp_path, t)
    p = next(p for p in probs if "unique key" in p.expected)
    assert Path(p.file).name == "demand.csv" and p.row == 3


def test_unknown_reference(tmp_path):
    t = tables()
    t["demand"]["zone"] = ["99"]
    p = only(problems(tmp_path, t), "demand.csv", 2, "zone")
    assert p.value == "99" and "provinces.csv" in p.expected


def test_shares_not_summing_to_one(tmp_path):
    t = tables()
    t["sourcing"]["share"] = [0.6]
    p = only(problems(tmp_path, t), "sourcing.csv", 2, "share")
    assert "sum to 1" in p.expected


def test_fta_rate_above_mfn(tmp_path):
    p = only(problems(tmp_path, tables(mfn=0.05, fta=0.1)), "tariffs.csv", 2, "fta_duty_rate")
    assert "mfn_duty_rate" in p.expected


def test_sourced_pair_without_tariff_line(tmp_path):
    t = tables()
    t["tariffs"]["origin"] = ["O2"]  # an unknown origin: reported, and the sourced pair has no tariff
    t["origins"] = pd.concat([t["origins"], t["origins"].assign(origin="O2")])
    p = only(problems(tmp_path, t), "sourcing.csv", 2, "origin")
    assert "tariffs.csv" in p.expected


def test_product_without_origin(tmp_path):
    t = tables()
    t["products"] = pd.concat([t["products"], t["products"].assign(product="P2")])
    p = only(problems(tmp_path, t), "products.csv", 3, "product")
    assert "sourcing.csv" in p.expected


def test_ragged_line_is_named(tmp_path):
    folder = write(tmp_path / "d", tables())
    f = folder / "site_levels.csv"
    f.write_text(f.read_text() + "S1,large,5000\n", encoding="utf-8")
    with pytest.raises(DataError) as e:
        load_scenario(folder)
    p = only(e.value.problems, "site_levels.csv", 3, None)
    assert "4 comma-separated fields" in p.expected


def test_bad_encoding_names_file_and_line(tmp_path):
    t = tables()
    t["provinces"]["name_vi"] = ["Hà Nam", "Hai", "Ba"]
    folder = write(tmp_path / "d", t)
    buf = io.StringIO()
    t["provinces"].to_csv(buf, index=False)
    (folder / "provinces.csv").write_bytes(buf.getvalue().encode("cp1258"))  # Windows-1258, as Excel may save it
    with pytest.raises(DataError) as e:
        load_scenario(folder)
    p = only(e.value.problems, "provinces.csv", 2, None)
    assert "UTF-8" in p.expected and "Windows-1258" in p.expected


def test_utf8_diacritics_and_bom_are_accepted(tmp_path):
    t = tables()
    t["provinces"]["name_vi"] = ["Hà Nội", "Thành phố Hồ Chí Minh", "Đà Nẵng"]
    folder = write(tmp_path / "d", t)
    for f in folder.glob("*.csv"):  # every file with a byte-order mark, as Excel's "CSV UTF-8" writes it
        f.write_bytes(b"\xef\xbb\xbf" + f.read_bytes())
    sc = load_scenario(folder)
    assert list(sc.tables["provinces"]["name_vi"]) == ["Hà Nội", "Thành phố Hồ Chí Minh", "Đà Nẵng"]
    assert list(sc.tables["provinces"].columns)[0] == "code"  # the BOM is not part of the first header


def test_bad_toml(tmp_path):
    write(tmp_path / "d", tables())
    f = tmp_path / "s.toml"
    f.write_text('name = "x"\ndata = "d"\n[policy]\ncbec_tax_factor = \n')
    with pytest.raises(ScenarioError) as e:
        load_scenario(f)
    assert str(f) in str(e.value) and "not a valid TOML file" in str(e.value) and "line 4" in str(e.value)


def test_toml_not_utf8(tmp_path):
    f = tmp_path / "s.toml"
    f.write_bytes('name = "Hà Nam"\n'.encode("cp1258"))
    with pytest.raises(ScenarioError, match="not a valid TOML file"):
        load_scenario(f)


def test_unknown_parameter_key(tmp_path):
    t = tables()
    t["parameters"] = pd.concat([t["parameters"], pd.DataFrame(
        {"key": ["policy.free_lunch"], "value": ["1"], "unit": ["-"], "description": [""], "source": [""]})],
        ignore_index=True)
    row = len(t["parameters"]) + 1
    p = only(problems(tmp_path, t), "parameters.csv", row, "key")
    assert p.value == "policy.free_lunch" and "declared in model/attrs/parameter_keys.csv" in p.expected
    # the same key in a TOML file or an override
    f = tmp_path / "s.toml"
    f.write_text('data = "d2"\n[policy]\nfree_lunch = 1\n')
    write(tmp_path / "d2", tables())
    with pytest.raises(ScenarioError, match=r"s\.toml: unknown parameter 'policy\.free_lunch'"):
        load_scenario(f)
    with pytest.raises(ScenarioError, match="unknown parameter"):
        load_scenario(tmp_path / "d2", overrides={"policy.free_lunch": 1})


def test_wrong_parameter_type(tmp_path):
    t = tables()
    t["parameters"]["value"] = t["parameters"]["value"].astype(object)
    t["parameters"].loc[0, "value"] = "eight percent"
    p = only(problems(tmp_path, t), "parameters.csv", 2, "value")
    assert p.expected == "a number in share per year for parameter 'finance.cost_of_capital'"
    write(tmp_path / "d2", tables())
    f = tmp_path / "s.toml"
    for bad in ('"high"', "true", "[1, 2]"):
        f.write_text(f'data = "d2"\n[policy]\ncbec_tax_factor = {bad}\n')
        with pytest.raises(ScenarioError, match=r"s\.toml: parameter 'policy.cbec_tax_factor' expects a number"):
            load_scenario(f)


def test_parameter_out_of_range(tmp_path):
    with pytest.raises(ScenarioError, match=r"'finance.cost_of_capital' = 2(\.0)? is outside \[0, 1\]"):
        load_scenario(write(tmp_path / "d", tables()), overrides={"finance.cost_of_capital": 2})


def test_missing_parameter_row(tmp_path):
    t = tables()
    t["parameters"] = t["parameters"][t["parameters"]["key"] != "finance.usd_vnd"]
    p = only(problems(tmp_path, t), "parameters.csv", None, "key")
    assert "finance.usd_vnd" in p.expected


# --- every file's problems in one error ------------------------------------------------------

def five_mistakes(folder: Path) -> Path:
    """Five different mistakes in five different files of a tiny scenario."""
    t = tables(demand={"01": 10, "02": 20})
    t["demand"]["orders_per_year"] = ["10", "lots"]             # bad number
    t["sites"]["lat"] = [1.29]                                    # outside Vietnam
    t["products"]["cbec_positive_list"] = ["maybe"]               # bad boolean
    t["tariffs"]["fta_duty_rate"], t["tariffs"]["mfn_duty_rate"] = [0.2], [0.1]  # FTA above MFN
    t["site_levels"]["site"] = ["S9"]                             # unknown reference
    return write(folder, t)


EXPECTED_FIVE = [("demand.csv", 3, "orders_per_year"), ("sites.csv", 2, "lat"),
                 ("products.csv", 2, "cbec_positive_list"), ("tariffs.csv", 2, "fta_duty_rate"),
                 ("site_levels.csv", 2, "site")]


def test_problems_of_every_file_are_collected(tmp_path):
    with pytest.raises(DataError) as e:
        load_scenario(five_mistakes(tmp_path / "d"))
    found = {(Path(p.file).name, p.row, p.column) for p in e.value.problems}
    assert found == set(EXPECTED_FIVE), [str(p) for p in e.value.problems]
    assert "and 4 more problems" in str(e.value)
    assert len(e.value.lines()) == 5


def test_problem_count_is_capped(tmp_path):
    n = 40
    t = tables(demand={"01": 1})
    t["demand"] = pd.DataFrame({"zone": ["01"] * n, "product": "P1", "orders_per_year": ["x"] * n})
    t["lanes"]["transit_days"] = ["x", "y"]
    t["provinces"]["population"] = ["many"] * 3
    t["sourcing"] = pd.DataFrame({"product": ["P1"] * n, "origin": ["O1"] * n, "share": ["some"] * n})
    t["site_levels"] = pd.DataFrame({"site": ["S1"] * n, "level": [f"l{i}" for i in range(n)],
                                     "capacity_orders_per_year": "big", "fixed_cost_usd_per_year": "1"})
    with pytest.raises(DataError) as e:
        load_scenario(write(tmp_path / "d", t))
    assert len(e.value.problems) == MAX_TOTAL_PROBLEMS and e.value.omitted > 0
    assert e.value.lines()[-1].endswith("more problems not listed")


# --- scenario names cannot escape results/ --------------------------------------------------

@pytest.mark.parametrize("name", ["..", "../x", "../../etc", "/etc/passwd", "/tmp", "a/b", "a\\b", ".hidden", ""])
def test_scenario_name_cannot_escape_results(tmp_path, name):
    write(tmp_path / "d", tables())
    f = tmp_path / "s.toml"
    f.write_text(f'name = {json.dumps(name)}\ndata = "d"\n')
    with pytest.raises(ScenarioError, match="scenario name"):
        load_scenario(f)
    with pytest.raises(ScenarioError, match="scenario name"):
        load_scenario(tmp_path / "d", name=name)


# --- unmet demand: which zones and products, how much, why ---------------------------------

def bulk_only(t):
    """No parcel lane: direct mail is impossible."""
    t["lanes"] = t["lanes"][t["lanes"]["service"] == "bulk"].reset_index(drop=True)
    return t


def solved(tmp_path, t, name="d"):
    r = solve(load_scenario(write(tmp_path / name, t)), EXACT)
    assert r.status == "optimal"
    return r


def test_no_unmet_no_explanation(tmp_path):
    r = solved(tmp_path, tables(demand={"01": 100}))
    assert r.summary["unmet_share"] == 0 and explain_unmet(r) == []


def test_unmet_because_no_mode_is_eligible(tmp_path):
    t = bulk_only(tables(demand={"01": 100, "02": 50}))
    t["products"]["cbec_positive_list"] = [False]  # not bonded; general trade is off in tiny scenarios
    r = solved(tmp_path, t)
    why = explain_unmet(r)
    assert [(w["zone"], w["origin"], w["product"], w["orders"], w["reason"]) for w in why] == [
        ("01", "O1", "P1", 100.0, "no_eligible_mode"), ("02", "O1", "P1", 50.0, "no_eligible_mode")]
    assert "no parcel lane from O1" in why[0]["detail"] and "positive list" in why[0]["detail"]
    assert why[0]["cheapest_usd_per_order"] is None
    cap = capacity_check(r.inputs)
    assert cap["no_mode_orders"] == 150 and cap["unmet_lower_bound_orders"] == 150


def test_unmet_because_capacity_is_short(tmp_path):
    t = bulk_only(tables(demand={"01": 100}, levels=[("S1", "small", 30, 10.0), ("S1", "large", 60, 20.0)]))
    r = solved(tmp_path, t)
    [w] = explain_unmet(r)
    assert (w["zone"], w["product"], w["reason"]) == ("01", "P1", "capacity_short")
    assert w["orders"] == pytest.approx(40) and "60 orders/year" in w["detail"]
    cap = capacity_check(r.inputs)
    assert (cap["capacity_orders"], cap["stock_only_orders"], cap["unmet_lower_bound_orders"]) == (60, 100, 40)
    assert cap["capacity_covers_demand"] is False


def test_unmet_because_the_penalty_is_cheaper(tmp_path):
    # stocked: line-haul 1 + handling 1 = 2 USD/order; parcel 50; penalty 1.5
    r = solved(tmp_path, tables(demand={"01": 100, "03": 10}, **{"costs.unmet_penalty_usd_per_order": 1.5}))
    why = explain_unmet(r)
    assert {(w["zone"], w["reason"]) for w in why} == {("01", "penalty_cheaper"), ("03", "penalty_cheaper")}
    assert why[0]["zone"] == "01" and why[0]["orders"] == 100  # largest first
    assert why[0]["cheapest_usd_per_order"] == pytest.approx(2.0) and why[0]["penalty_usd_per_order"] == 1.5
    assert capacity_check(r.inputs)["capacity_covers_demand"] is True


def test_unmet_because_the_fixed_cost_is_not_worth_it(tmp_path):
    t = bulk_only(tables(demand={"01": 100}, levels=[("S1", "small", 1e6, 1e6)],
                         **{"costs.unmet_penalty_usd_per_order": 10}))
    [w] = explain_unmet(solved(tmp_path, t))
    assert (w["orders"], w["reason"]) == (100, "fixed_cost")


def test_unmet_because_of_max_sites(tmp_path):
    t = bulk_only(tables(demand={"01": 100}, sites={"S1": 10.0, "S2": 11.0},
                         levels=[("S1", "small", 60, 1.0), ("S2", "small", 60, 1.0)], **{"policy.max_sites": 1}))
    r = solved(tmp_path, t)
    [w] = explain_unmet(r)
    assert (w["orders"], w["reason"]) == (40, "max_sites")
    cap = capacity_check(r.inputs)
    assert (cap["capacity_orders"], cap["usable_capacity_orders"], cap["max_sites"]) == (120, 60, 1)
    assert cap["unmet_lower_bound_orders"] == 40


def test_unmet_left_with_a_cheaper_direct_mail_arc_is_flagged_not_optimal(tmp_path):
    r = solved(tmp_path, tables(demand={"01": 100}, levels=[("S1", "small", 1e6, 1e6)], parcel_usd_per_order=5))
    assert r.summary["mode_share"]["direct_mail"] == 1
    # a hand-made non-optimal answer: the parcels left unserved
    flows = r.flows.copy()
    flows.loc[flows["leg"] == "parcel", ["mode", "leg"]] = "unmet"
    r.flows, r.report.status = flows, "time_limit"
    [w] = explain_unmet(r)
    assert w["reason"] == "not_optimal" and "time_limit" in w["detail"]


# --- atomic writes, determinism, input hash --------------------------------------------------

def test_failed_writer_leaves_previous_results(tmp_path):
    r = solved(tmp_path, tables())
    out = tmp_path / "results" / "tiny"
    write_results(r, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken(path):
        path.write_text("half a map")
        raise OSError("disk full")

    r.summary = {**r.summary, "objective": -1.0}
    with pytest.raises(OSError, match="disk full"):
        write_results(r, out, extra_files={"map.png": broken})
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in out.parent.iterdir()] == ["tiny"]  # no temporary folder left behind


def test_same_inputs_same_answer(tmp_path):
    t = tables(demand={"01": 300, "02": 200, "03": 100}, sites={"S1": 10.0, "S2": 11.0, "S3": 12.0},
               levels=[("S1", "small", 250, 500.0), ("S2", "small", 250, 500.0), ("S3", "small", 250, 500.0)],
               parcel_usd_per_order=4.0)
    a, b = solved(tmp_path, t, "a"), solved(tmp_path, t, "b")
    assert a.objective == b.objective
    assert a.summary["sites_opened"] == b.summary["sites_opened"]
    cols = ["mode", "leg", "site", "zone", "orders"]
    pd.testing.assert_frame_equal(a.flows[cols], b.flows[cols])
    assert a.summary["input_hash"] == b.summary["input_hash"]


def test_same_inputs_same_answer_on_a_five_site_subset_of_the_default(tmp_path):
    folder = tmp_path / "five"
    shutil.copytree(DEFAULT_DATA_DIR, folder, ignore=shutil.ignore_patterns("raw", "*.geojson", "*.md"))
    sites = pd.read_csv(folder / "sites.csv", dtype=str, keep_default_na=False)
    keep = ["K02", "K05", "K11", "K16", "K20"]
    sites["force_closed"] = (~sites["site"].isin(keep)).map({True: "True", False: "False"})
    sites["force_open"] = "False"
    sites.to_csv(folder / "sites.csv", index=False)
    options = SolverOptions(mip_rel_gap=1e-3)
    a, b = solve(load_scenario(folder), options), solve(load_scenario(folder), options)
    assert a.status == b.status == "optimal"
    assert a.objective == b.objective and a.summary["sites_opened"] == b.summary["sites_opened"]
    assert {s["site"] for s in a.summary["sites_opened"]} <= set(keep)


def test_input_hash_changes_with_inputs_only(tmp_path):
    base = load_scenario(write(tmp_path / "a", tables())).input_hash()
    assert load_scenario(write(tmp_path / "a", tables())).input_hash() == base       # reloaded
    assert load_scenario(write(tmp_path / "b", tables())).input_hash() == base       # another folder, same data
    assert load_scenario(write(tmp_path / "c", tables(handling=1.5))).input_hash() != base   # a table value
    assert load_scenario(write(tmp_path / "d", tables(**{"demand.growth": 1.1}))).input_hash() != base  # parameters.csv
    assert load_scenario(tmp_path / "a", overrides={"demand.growth": 1.1}).input_hash() != base     # an override
    assert load_scenario(tmp_path / "a", overrides={"demand.growth": 1.0}).input_hash() == base     # same value
    t = tables()
    t["provinces"].loc[0, "name_vi"] = "Hà Nội"
    assert load_scenario(write(tmp_path / "e", t)).input_hash() != base                # even a name


def test_summary_records_input_hash_and_versions(tmp_path):
    r = solved(tmp_path, tables())
    assert len(r.summary["input_hash"]) == 16 and r.summary["input_hash"] == r.scenario.input_hash()
    assert set(r.summary["versions"]) >= {"project", "pyomo", "highspy"}


# --- fuzz: corrupt the shipped tables at random ----------------------------------------------

JUNK = ["", "abc", "-1", "-0.5", "1e400", "nan", "inf", "True", "maybe", "Hà Nội", "0", "1e30", "99", "x,y",
        '"', "NA", "1,000", "12abc"]


def corrupt(folder: Path, rng: random.Random, n: int) -> list[tuple]:
    """Make ``n`` random edits to the CSV files of ``folder``: mostly a cell set to junk or to
    another row's value, sometimes a renamed header, a repeated, deleted or shortened line."""
    files = sorted(folder.glob("*.csv"))
    done = []
    for _ in range(n):
        f = rng.choice(files)
        rows = list(csv.reader(io.StringIO(f.read_text(encoding="utf-8-sig"))))
        kind = rng.random()
        if kind < 0.8:
            r, c = rng.randrange(1, len(rows)), rng.randrange(len(rows[0]))
            rows[r][c] = rng.choice(JUNK + [rows[rng.randrange(1, len(rows))][c]])
            done.append((f.name, r + 1, rows[0][c]))
        elif kind < 0.85:
            c = rng.randrange(len(rows[0]))
            done.append((f.name, 1, rows[0][c]))
            rows[0][c] += "_x"
        elif kind < 0.9:
            r = rng.randrange(1, len(rows))
            rows.insert(r, list(rows[r]))
            done.append((f.name, r + 1, "repeated line"))
        elif kind < 0.95 and len(rows) > 2:
            r = rng.randrange(1, len(rows))
            del rows[r]
            done.append((f.name, r + 1, "deleted line"))
        else:
            r = rng.randrange(len(rows))
            rows[r] = rows[r][:-1]
            done.append((f.name, r + 1, "short line"))
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        f.write_text(buf.getvalue(), encoding="utf-8")
    return done


def corrupted_copy(tmp_path, seed, n):
    folder = tmp_path / f"data{seed}"
    shutil.copytree(DEFAULT_DATA_DIR, folder, ignore=shutil.ignore_patterns("raw", "*.geojson", "*.md"))
    return folder, corrupt(folder, random.Random(seed), n)


def test_fuzzed_tables_load_or_fail_cleanly(tmp_path):
    """15 single corruptions and 10 triple ones: each ends loaded (and its model inputs build) or
    in a DataError / ScenarioError whose every problem names a file of the folder."""
    from model.formulation import build_inputs
    from model.network.roads import scenario_road_distances

    outcomes = []
    for seed, n in [*((s, 1) for s in range(15)), *((s, 3) for s in range(100, 110))]:
        folder, done = corrupted_copy(tmp_path, seed, n)
        try:
            sc = load_scenario(folder)
        except DataError as e:  # anything else (KeyError, IndexError, ...) fails the test with its traceback
            outcomes.append("rejected")
            files = {p.name for p in folder.iterdir()} | {folder.name}
            for p in e.problems:
                assert Path(p.file).name in files, (done, str(p))
                assert p.expected and "\n" not in str(p)
                assert p.row is not None or p.column is not None or "exist" in p.expected or "fields" in p.expected \
                    or "UTF-8" in p.expected or "comma-separated" in p.expected or "connect" in p.expected \
                    or "at least one row" in p.expected, str(p)
        except ScenarioError as e:
            outcomes.append("rejected")
            assert "\n" not in str(e)
        else:
            outcomes.append("loaded")
            build_inputs(sc, scenario_road_distances(sc))
        shutil.rmtree(folder)
    assert "rejected" in outcomes and "loaded" in outcomes  # the fuzzer bites, and not always


@pytest.mark.parametrize("seed", [0, 24])  # 0: rejected (bad reference); 24: loads and solves
def test_fuzzed_tables_through_the_command_line(tmp_path, seed):
    folder, done = corrupted_copy(tmp_path, seed, n=1)
    out = tmp_path / "out"
    p = subprocess.run([sys.executable, str(ROOT / "solve.py"), "--data", str(folder), "--out", str(out),
                        "--time-limit", "5", "--gap", "0.05", "--no-map"], capture_output=True, text=True, timeout=300)
    assert "Traceback" not in p.stderr, (done, p.stderr)
    assert p.returncode in (0, 2), (done, p.returncode, p.stderr)
    if p.returncode == 0:
        assert json.loads((out / "summary.json").read_text())["objective"] is not None
    else:
        assert not out.exists()
        assert p.stderr and all(line.startswith("error: ") for line in p.stderr.splitlines())


# --- solver outcomes: a non-optimal answer is never reported as optimal ------------------------

class FakeHighs:
    """Just what model.solving.highs._report_status reads from a highspy.Highs."""

    def __init__(self, status, has_solution, objective=10.0, bound=9.0, gap=0.1):
        from types import SimpleNamespace

        self.status = status
        self.info = SimpleNamespace(primal_solution_status=2 if has_solution else 0, objective_function_value=objective,
                                    mip_dual_bound=bound, mip_gap=gap)

    def getModelStatus(self):
        return self.status

    def getInfo(self):
        return self.info


@pytest.mark.parametrize("name,has_solution,expected", [
    ("kOptimal", True, "optimal"),
    ("kTimeLimit", True, "time_limit"),
    ("kTimeLimit", False, "no_solution"),
    ("kInterrupt", True, "time_limit"),
    ("kSolutionLimit", False, "no_solution"),
    ("kInfeasible", False, "infeasible"),
    ("kSolveError", False, "error"),
    ("kSolveError", True, "error"),
])
def test_highs_status_mapping(name, has_solution, expected):
    import highspy

    from model.solving.highs import _report_status

    status, objective, bound, gap = _report_status(FakeHighs(getattr(highspy.HighsModelStatus, name), has_solution),
                                                   is_mip=True)
    assert status == expected
    assert (objective is not None) == has_solution
    if has_solution and expected != "optimal":
        assert gap == 0.1 and bound == 9.0  # the unproven gap is reported as it is


# --- issue 17: the geometry, typed and finite parameters, degenerate data, control bytes --------

def solve_cli():
    """solve.py's ``main`` in this process (fast: no interpreter start-up); returns (exit status, stderr)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("solve_cli", ROOT / "solve.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    def run(argv, capsys):
        rc = module.main([str(a) for a in argv])
        return rc, capsys.readouterr().err
    return run


def geo_folder(tmp_path, content, name="d"):
    """A tiny data folder whose provinces.geojson holds ``content`` (a dict as JSON, or bytes)."""
    from tiny import geometry

    folder = write(tmp_path / name, tables())
    if callable(content):
        content = content(geometry(tables()["provinces"]))
    data = content if isinstance(content, bytes) else json.dumps(content).encode()
    (folder / "provinces.geojson").write_bytes(data)
    return folder


def geo_problems(tmp_path, content):
    with pytest.raises(DataError) as e:
        load_scenario(geo_folder(tmp_path, content))
    assert all(Path(p.file).name == "provinces.geojson" for p in e.value.problems), e.value.lines()
    return e.value.problems


def _set(path, value):
    """A function editing a GeoJSON dict: set ``path`` (keys / indices) to ``value`` (None deletes a key)."""
    def edit(g):
        obj = g
        for k in path[:-1]:
            obj = obj[k]
        if value is None and isinstance(obj, dict):
            del obj[path[-1]]
        else:
            obj[path[-1]] = value
        return g
    return edit


POINT = {"type": "Point", "coordinates": [106.0, 10.0]}
BOWTIE = {"type": "Polygon", "coordinates": [[[106, 10], [106.4, 10.4], [106, 10.4], [106.4, 10], [106, 10]]]}


@pytest.mark.parametrize(
    "content,feature,column,words",
    [
        (b"", None, None, "the file is empty"),
        (b'{"type": "FeatureCollection", "features": [{"type": "Fea', None, None, "valid JSON"),
        (bytes(range(256)) * 3, None, None, "UTF-8"),
        (b'{"type": "FeatureCollection"}\x00', None, None, "control characters"),
        ({"type": "FeatureCollection", "features": []}, None, None, "non-empty 'features'"),
        ([1, 2], None, None, "FeatureCollection"),
        (_set(["features", 1, "properties", "code"], None), 2, "code", "property 'code'"),
        (_set(["features", 1, "properties", "code"], 2), 2, "code", "leading zero"),
        (_set(["features", 1, "geometry"], None), "2 (code '02')", "geometry", "geometry is null"),
        (_set(["features", 1, "geometry"], POINT), "2 (code '02')", "geometry", "Polygon or MultiPolygon"),
        (_set(["features", 0, "geometry"], BOWTIE), "1 (code '01')", "geometry", "a valid polygon"),
        (
            _set(["features", 0, "geometry", "coordinates", 0, 1], [121.0, 10.0]),
            "1 (code '01')",
            "geometry",
            "within [102, 117.5]",
        ),
        (
            _set(["features", 0, "geometry", "coordinates", 0, 1], ["x", 10.0]),
            "1 (code '01')",
            "geometry",
            "well-formed",
        ),
        (_set(["crs"], {"type": "name", "properties": {"name": "EPSG:32648"}}), None, None, "WGS 84"),
    ],
)
def test_bad_geometry_is_refused_naming_file_and_feature(tmp_path, content, feature, column, words):
    probs = geo_problems(tmp_path, content)
    p = probs[0]
    assert (p.feature, p.column) == (feature, column) and words in str(p), [str(q) for q in probs]
    if feature is not None:
        assert f"provinces.geojson, feature {feature}" in str(p)


def test_geometry_must_match_provinces_one_to_one(tmp_path):
    def edit(g):
        g["features"][2]["properties"]["code"] = "99"             # zone 03 has no feature, 99 is no zone
        g["features"].append(json.loads(json.dumps(g["features"][0])))  # a second feature for 01
        return g
    probs = geo_problems(tmp_path, edit)
    found = {(p.feature, p.value) for p in probs}
    assert found == {("4 (code '01')", "01"), ("3 (code '99')", "99"), (None, None)}, [str(p) for p in probs]
    assert any("a feature with code '03'" in str(p) for p in probs)


def test_every_geometry_problem_is_listed_at_once_with_the_tables(tmp_path):
    def edit(g):
        g["features"][0]["geometry"] = None
        g["features"][1]["geometry"] = POINT
        return g
    folder = geo_folder(tmp_path, edit)
    (folder / "lanes.csv").write_text((folder / "lanes.csv").read_text().replace("3.0", "three"))
    with pytest.raises(DataError) as e:
        load_scenario(folder)
    where = {(Path(p.file).name, p.feature) for p in e.value.problems}
    assert where == {("provinces.geojson", "1 (code '01')"), ("provinces.geojson", "2 (code '02')"),
                     ("lanes.csv", None)}, e.value.lines()


def test_geometry_through_the_command_line_exits_2_before_solving(tmp_path, capsys):
    run = solve_cli()
    for i, content in enumerate([b"", _set(["features", 0, "geometry"], POINT)]):
        out = tmp_path / f"out{i}"
        rc, err = run([geo_folder(tmp_path, content, f"d{i}"), "--out", out, "--no-map"], capsys)
        assert rc == 2 and not out.exists(), err
        assert err.startswith("error: ") and "provinces.geojson" in err and "Traceback" not in err


def test_shipped_geometry_passes_and_gdal_virtual_paths_are_refused():
    from model.io.geometry import SHIPPED_GEOMETRY, read_geometry

    shipped = load_scenario()
    assert len(shipped.geometry) == 34 and set(shipped.geometry["code"]) == set(shipped.tables["provinces"]["code"])
    for path in ("/vsizip/data.zip/provinces.geojson", "/vsicurl/https://example.org/p.geojson",
                 "https://example.org/provinces.geojson"):
        df, probs = read_geometry(path)
        assert df is None and "GDAL virtual" in probs[0].expected, probs
    assert read_geometry(SHIPPED_GEOMETRY)[1] == []


def test_maps_draw_the_geometry_validated_at_load(tmp_path):
    """Replacing provinces.geojson by garbage after loading does not reach the maps: they draw the
    boundaries checked before the solve (before, they read the file again after the solve)."""
    from model.report.maps import map_writers, province_geometry

    folder = geo_folder(tmp_path, lambda g: g)
    sc = load_scenario(folder)
    r = solve(sc, EXACT)
    (folder / "provinces.geojson").write_bytes(b"\x00garbage")
    writers = map_writers(r)
    out = tmp_path / "out"
    write_results(r, out, extra_files={"map.html": writers["map.html"], "sites.geojson": writers["sites.geojson"]})
    assert (out / "map.html").stat().st_size > 0
    assert tuple(province_geometry(r.scenario).total_bounds) == (105.5, 9.5, 106.5, 12.5)  # the tiny squares


# parameters: finite, ranged, typed

def params_csv(tmp_path, key, value):
    """A tiny folder whose parameters.csv sets ``key`` to ``value`` (text)."""
    t = tables()
    par = t["parameters"]
    par["value"] = par["value"].astype(object)
    if key in set(par["key"]):
        par.loc[par["key"] == key, "value"] = value
    else:
        t["parameters"] = pd.concat([par, pd.DataFrame({"key": [key], "value": [value], "unit": "-",
                                                        "description": "", "source": ""})], ignore_index=True)
    return write(tmp_path / "p", t), int(t["parameters"].index[t["parameters"]["key"] == key][0]) + 2


@pytest.mark.parametrize("value", ["inf", "nan", "-inf", "1e308", "1e400", "0", "1e-300", "-1"])
@pytest.mark.parametrize("where", ["set", "toml", "csv"])
def test_non_finite_or_extreme_growth_is_refused_naming_key_and_file(tmp_path, value, where):
    if where == "csv":
        folder, row = params_csv(tmp_path, "demand.growth", value)
        with pytest.raises(DataError) as e:
            load_scenario(folder)
        p = only(e.value.problems, "parameters.csv", row, "value")
        assert "demand.growth" in p.expected and "[0.01, 100]" in p.expected
        return
    folder = write(tmp_path / "d", tables())
    if where == "set":
        with pytest.raises(ScenarioError, match=r"^override: parameter 'demand\.growth'.*\[0\.01, 100\]"):
            load_scenario(folder, overrides={"demand.growth": value})
        return
    f = tmp_path / "s.toml"
    toml_value = {"inf": "inf", "nan": "nan", "-inf": "-inf"}.get(value, value)
    f.write_text(f'data = "d"\n[demand]\ngrowth = {toml_value}\n')
    with pytest.raises(ScenarioError, match=r"s\.toml: parameter 'demand\.growth'.*\[0\.01, 100\]"):
        load_scenario(f)


def test_toml_integer_too_large_for_a_float_is_refused(tmp_path):
    write(tmp_path / "d", tables())
    f = tmp_path / "s.toml"
    for key, section in (("growth", "demand"), ("max_sites", "policy"), ("seed", "uncertainty")):
        f.write_text(f'data = "d"\n[{section}]\n{key} = 1{"0" * 400}\n')
        with pytest.raises(
            ScenarioError,
            match=rf"s\.toml: parameter '{section}\.{key}' = 10+\.\.\. \(401 characters\) "
            r"is too large for a float",
        ):
            load_scenario(f)


def test_inf_only_where_the_declared_max_is_inf(tmp_path):
    folder = write(tmp_path / "d", tables())
    assert load_scenario(folder, overrides={"policy.max_sites": "inf"}).param("policy.max_sites") == float("inf")
    with pytest.raises(ScenarioError, match="too large for a float"):  # '1e400' is an overflow, not a chosen inf
        load_scenario(folder, overrides={"policy.max_sites": "1e400"})
    with pytest.raises(ScenarioError, match="not finite"):
        load_scenario(folder, overrides={"costs.unmet_penalty_usd_per_order": "inf"})


def test_every_numeric_parameter_declares_a_finite_or_inf_range():
    from model.io.scenario import parameter_keys

    keys = parameter_keys()
    numeric = keys[keys["type"].isin(["number", "integer", "bool", "optional number"])]
    assert set(keys["type"]) <= {"number", "integer", "bool", "list", "optional number"}
    for key, row in numeric.iterrows():
        assert row["min"] != "" and row["max"] != "", f"{key}: declare min and max (max 'inf' if unbounded)"
        assert float(row["min"]) <= float(row["max"]), key
    assert float(keys.at["demand.growth", "min"]) > 0


BOOLS = ["policy.bonded_duty_at_sale", "policy.parcel_fta", "policy.cbec_direct_purchase", "policy.single_window",
         "modes.general_trade", "service.per_zone", "service.single_sourcing", "stock.monthly_reassignment",
         "stock.sku_classes", "policy.cbec_regulatory_exemption", "demand.local_import", "rollout.budget_carry_over"]


def test_switches_are_bools_from_every_source(tmp_path):
    from model.io.scenario import parameter_keys

    keys = parameter_keys()
    assert sorted(keys.index[keys["type"] == "bool"]) == sorted(BOOLS)
    folder = write(tmp_path / "d", tables())
    for text, flag in (
        ("1", True),
        ("0", False),
        ("true", True),
        ("FALSE", False),
        ("1.0", True),
        (1, True),
        (0.0, False),
    ):
        v = load_scenario(folder, overrides={"policy.parcel_fta": text}).param("policy.parcel_fta")
        assert v is flag, (text, v)
    sc = load_scenario(folder)
    assert all(isinstance(sc.param(k), bool) for k in BOOLS)
    assert sc.param("policy.bonded_duty_at_sale") is True and sc.param("policy.bonded_duty_at_sale") >= 0.5
    csv_folder, row = params_csv(tmp_path, "policy.parcel_fta", "true")
    assert load_scenario(csv_folder).param("policy.parcel_fta") is True
    f = tmp_path / "s.toml"
    f.write_text('data = "d"\n[policy]\nparcel_fta = true\nsingle_window = 0\n')
    sc = load_scenario(f)
    assert sc.param("policy.parcel_fta") is True and sc.param("policy.single_window") is False
    for bad in ("2", "0.5", "maybe", "yes"):
        with pytest.raises(ScenarioError, match=r"parameter 'policy\.parcel_fta' expects 0 or 1 \(or true / false\)"):
            load_scenario(folder, overrides={"policy.parcel_fta": bad})
    csv_folder, row = params_csv(tmp_path / "b", "service.per_zone", "2")
    with pytest.raises(DataError) as e:
        load_scenario(csv_folder)
    assert "0 or 1" in only(e.value.problems, "parameters.csv", row, "value").expected


def test_integers_and_choices_are_checked_at_load(tmp_path):
    folder = write(tmp_path / "d", tables())
    assert load_scenario(folder, overrides={"periods": "12"}).param("periods") == 12
    assert type(load_scenario(folder).param("uncertainty.seed")) is int
    with pytest.raises(ScenarioError, match=r"^override: parameter 'periods' = 6: expected one of 1, 12"):
        load_scenario(folder, overrides={"periods": 6})
    with pytest.raises(ScenarioError, match=r"parameter 'uncertainty\.seed' = 2\.5: expected a whole number"):
        load_scenario(folder, overrides={"uncertainty.seed": 2.5})
    f = tmp_path / "s.toml"
    f.write_text('data = "d"\nperiods = 4\n')
    with pytest.raises(ScenarioError, match=r"s\.toml: parameter 'periods' = 4: expected one of 1, 12"):
        load_scenario(f)
    csv_folder, row = params_csv(tmp_path, "periods", "2")
    with pytest.raises(DataError) as e:
        load_scenario(csv_folder)
    p = only(e.value.problems, "parameters.csv", row, "value")
    assert "one of 1, 12" in p.expected and "'periods'" in p.expected


# unmet penalty: not above the cheapest way to serve an order -> the run says so

def test_penalty_below_a_serving_cost_is_warned(tmp_path, capsys):
    from model.statistics.diagnostics import penalty_check

    # stocked: line-haul 1 + handling 1 = 2 USD/order; direct mail 50
    low = load_scenario(write(tmp_path / "low", tables(**{"costs.unmet_penalty_usd_per_order": 1.5})))
    r = solve(low, EXACT)
    c = penalty_check(r.inputs)
    assert (c["rows"], c["orders"], c["zone"], c["cheapest_usd_per_order"]) == (1, 100, "01", pytest.approx(2.0))
    assert penalty_check(solve(load_scenario(write(tmp_path / "ok", tables())), EXACT).inputs) is None
    rc, err = solve_cli()([tmp_path / "low", "--out", tmp_path / "out", "--no-map"], capsys)
    assert rc == 0 and err.startswith("warning: costs.unmet_penalty_usd_per_order = 1.5 USD/order does not exceed")
    assert "unserved demand may be cheaper" in err
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["warnings"] == [err[len("warning: "):].strip()]


def test_zero_penalty_is_solved_and_explained(tmp_path, capsys):
    """Penalty 0: leaving every order unserved costs nothing; the run solves, says so and explains it."""
    folder = write(tmp_path / "d", tables(demand={"01": 100, "02": 50}, **{"costs.unmet_penalty_usd_per_order": 0}))
    out = tmp_path / "out"
    rc, err = solve_cli()([folder, "--out", out, "--no-map"], capsys)
    assert rc == 0 and "warning: costs.unmet_penalty_usd_per_order = 0 USD/order" in err and "Traceback" not in err
    s = json.loads((out / "summary.json").read_text())
    assert s["objective"] == 0 and s["unmet_share"] == 1 and s["kpis"]["lead_time_mean_hours"] is None
    assert {u["reason"] for u in s["unmet"]} == {"penalty_cheaper"}
    assert "No order is delivered" in (out / "report.md").read_text()


# tables without rows, all-zero demand

@pytest.mark.parametrize("table", ["parameters", "provinces", "products", "origins", "sourcing", "demand", "tariffs",
                                   "gateways", "lanes", "sites", "site_levels"])
def test_header_only_table_is_refused(tmp_path, table):
    t = tables()
    t[table] = t[table].iloc[:0]
    probs = problems(tmp_path, t)
    p = next(p for p in probs if Path(p.file).name == f"{table}.csv")
    assert p.row is None and "at least one row below the header" in p.expected


def test_all_zero_demand_is_refused(tmp_path, capsys):
    folder = write(tmp_path / "d", tables(demand={"01": 0.0, "02": 0.0}))
    rc, err = solve_cli()([folder, "--out", tmp_path / "out", "--no-map"], capsys)
    assert rc == 2 and "demand.csv, column 'orders_per_year': expected at least one row with orders_per_year > 0" in err


def test_shares_guard_zero_total_demand():
    from model.statistics.kpis import lead_time_kpis
    from model.statistics.solution import mode_shares

    flows = pd.DataFrame({"mode": ["unmet"], "leg": ["unmet"], "orders": [0.0], "lead_hours": [float("nan")]})
    from model.regimes import MODES

    assert mode_shares(flows, 0.0) == ({md: 0.0 for md in MODES}, 0.0)
    assert lead_time_kpis(flows, 0.0, 72)["share_within_target"] is None


# control bytes

@pytest.mark.parametrize("file,char", [("provinces.csv", b"\x00"), ("origins.csv", b"\x00"), ("demand.csv", b"\x1b"),
                                       ("lanes.csv", b"\x7f"), ("products.csv", "\u0085".encode())])
def test_control_bytes_are_bad_encoding_naming_file_and_row(tmp_path, file, char):
    folder = write(tmp_path / "d", tables())
    f = folder / file
    lines = f.read_bytes().split(b"\n")
    lines[1] = lines[1][:2] + char + lines[1][2:]
    f.write_bytes(b"\n".join(lines))
    with pytest.raises(DataError) as e:
        load_scenario(folder)
    p = only(e.value.problems, file, 2, None)
    assert "without control characters" in p.expected

