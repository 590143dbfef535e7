"""A regime is defined in one place: registering one more (a 'postal parcel' declared in this file,
nowhere else) is enough for it to be solved, reported, put in the workbook and drawn on the maps,
in its own words and colour, with no other file edited (issue 26)."""
import dataclasses

import openpyxl
import pytest
from tiny import tables, write

from model import regimes
from model.io.scenario import load_scenario
from model.pipeline import solve
from model.regimes import parcel
from model.report.writer import result_files, write_results
from model.solving.highs import SolverOptions

POSTAL = dataclasses.replace(parcel.REGIME, name="postal", label="postal parcel", colour="#56B4E9",
                             description="one parcel per order by the postal service, no clearance fee",
                             parcel_fee=lambda p: 0.0, levers=("costs.parcel_clearance_usd_per_order",))


@pytest.fixture
def postal():
    regimes.register(POSTAL)
    yield POSTAL
    regimes.unregister(POSTAL.name)


def test_registering_a_regime_is_all_it_takes(tmp_path, postal):
    """100 orders in zone 01. Stock costs 1000 a year of fixed cost + 2 USD an order; a parcel
    50 USD + the express clearance fee 1 USD, a postal parcel 50 USD (no fee): the optimum sends
    every order by post, 100 x 50 = 5000 USD."""
    t = tables(levels=[("S1", "small", 1e6, 1e5)], **{"costs.parcel_clearance_usd_per_order": 1.0})
    r = solve(load_scenario(write(tmp_path / "d", t, with_geometry=True)), SolverOptions(mip_rel_gap=1e-9))
    assert r.objective == pytest.approx(5000.0, rel=1e-9)
    assert r.summary["mode_share"]["postal"] == pytest.approx(1.0)
    out = write_results(r, tmp_path / "out", extra_files=result_files(r))
    report = (out / "report.md").read_text()
    assert "Postal parcel" in report or "postal parcel" in report
    assert "costs.parcel_clearance_usd_per_order" in report  # its lever is listed
    sheet = openpyxl.load_workbook(out / "results.xlsx")["summary"]
    assert any(str(c.value).startswith("share postal parcel") for c in sheet["A"])
    html = (out / "map.html").read_text()
    assert "postal parcel" in html and POSTAL.colour in html
    assert "postal" in (out / "flows.csv").read_text()


def test_unregistering_restores_the_shipped_regimes(postal):
    assert regimes.MODES[-1] == "postal" and "postal" in regimes.PARCEL
    regimes.unregister("postal")
    assert "postal" not in regimes.MODES
    regimes.register(POSTAL)  # the fixture removes it again
    with pytest.raises(ValueError, match="registered already"):
        regimes.register(POSTAL)
