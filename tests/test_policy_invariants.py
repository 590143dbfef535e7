"""Invariants of the levers on the default data (its tables, with five of the candidate sites so
each solve is proven optimal in seconds). They follow from the exchange argument on two optima:
if raising a cost parameter lowered the optimum, the new optimum would have been cheaper under
the old parameter too. A mode's share of orders need not be monotone, so it is not asserted.
"""
import shutil
from pathlib import Path

import pandas as pd
import pytest

from model import DEFAULT_DATA_DIR, SolverOptions, load_scenario, solve

SITES = ["K02", "K05", "K11", "K16", "K24"]  # Hanoi, Hai Phong, Da Nang, Ho Chi Minh City, Can Tho
OPTS = SolverOptions(mip_rel_gap=1e-9)
TOL = 1e-7  # relative: HiGHS's primal/dual feasibility tolerances on a ~4.5e9 objective


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    dst = tmp_path_factory.mktemp("default5") / "data"
    # without sku_classes.csv (one average SKU per product): each solve is proven to 1e-9 in seconds
    shutil.copytree(DEFAULT_DATA_DIR, dst, ignore=shutil.ignore_patterns("raw", "*.geojson", "legacy63",
                                                                          "sku_classes.csv"))
    for t in ("sites", "site_levels"):
        df = pd.read_csv(dst / f"{t}.csv", dtype=str, keep_default_na=False)
        df[df["site"].isin(SITES)].to_csv(dst / f"{t}.csv", index=False)
    return dst


def run(data, **overrides):
    r = solve(load_scenario(data, overrides=overrides), OPTS)
    assert r.status == "optimal"
    return r


def financed_amount(r) -> float:
    """USD-years financed: duty paid before the sale x years until the sale, plus stock value x years in stock."""
    rate = r.scenario.param("finance.cost_of_capital")
    prod = r.scenario.tables["products"].set_index("product")
    out = r.flows[r.flows["leg"] == "outbound"]
    stock = (out["orders"] * out["product"].map(prod["order_value_usd"] * prod["days_in_stock"] / 365)).sum()
    return r.summary["cost_breakdown"]["duty_financing_cost"] / rate + stock


def test_raising_cbec_tax_factor_never_lowers_cost(data):
    low, high = run(data, **{"policy.cbec_tax_factor": 0.7}), run(data, **{"policy.cbec_tax_factor": 1.0})
    assert high.objective >= low.objective * (1 - TOL)


def test_emptying_eligible_zones_opens_no_bonded_site(data):
    r = run(data, **{"policy.eligible_zones": []})
    assert r.summary["mode_share"]["bonded"] == 0.0
    assert not (r.flows["mode"] == "bonded").any()
    assert not r.sites["bonded_ok"].any()


def test_raising_cost_of_capital_never_lowers_cost_nor_raises_financed_amount(data):
    # duty paid at entry makes the financed amount depend on the choice of mode and site
    low = run(data, **{"finance.cost_of_capital": 0.04, "policy.bonded_duty_at_sale": 0})
    high = run(data, **{"finance.cost_of_capital": 0.16, "policy.bonded_duty_at_sale": 0})
    assert high.objective >= low.objective * (1 - TOL)
    assert financed_amount(high) <= financed_amount(low) * (1 + 1e-6)


def test_loosening_service_share_never_raises_cost(data):
    tight = run(data, **{"service.target_hours": 48, "service.min_share": 0.9})
    loose = run(data, **{"service.target_hours": 48, "service.min_share": 0.8})
    assert loose.objective <= tight.objective * (1 + TOL)
    assert tight.summary["kpis"]["share_within_target"] >= 0.9 - 1e-9
