"""Market access (issue 27), each rule pinned by a hand-computed case on a tiny scenario (tests/tiny.py).

Base case unless a docstring says otherwise: 1000 orders a year in zone 01 of one product worth
100 USD (1 kg), no taxes; one site S1 in zone 01 (fixed 1000 a year, handling 1) fed by sea at
1 USD/kg; a parcel costs 5 USD. General trade and bonded stock compete with the parcel. The
product is one SKU class ``torso`` of 100 SKUs listed for 365 days, so 10 orders per SKU a year;
its stock costs nothing (cost of capital 0, salvage 1), so a stocked order costs
1 (line-haul) + 1 (handling) = 2 plus the site's 1000 a year, 1 per order at 1000 orders: 3.
A bonded release adds 0.5 (``costs.bonded_release_usd_per_order``). market_access.csv charges
``sku_usd`` per SKU and nothing per shipment or per order (importer margin 0), so per order
general trade (and bonded without the exemption) pays sku_usd x 100 SKUs x 365/365 / 1000 orders
= sku_usd / 10.
"""
import pandas as pd
import pytest
from tiny import tables, write

from model import SolverOptions, load_scenario, solve
from model.regimes.access import eligible_share, per_sku_usd_per_order
from model.report.markdown import report_markdown

OPTS = SolverOptions(mip_rel_gap=1e-9)
PARAMS = {"modes.general_trade": 1, "finance.cost_of_capital": 0.0, "stock.salvage_share": 1.0,
          "costs.bonded_release_usd_per_order": 0.5, "market_access.ior_margin_share": 0.0}


def _tables(sku_usd: float, classes: bool = True) -> dict:
    t = tables(demand={"01": 1000.0}, levels=[("S1", "small", 1e6, 1000.0)], parcel_usd_per_order=5.0, **PARAMS)
    t["sku_classes"] = pd.DataFrame(
        {
            "product": ["P1"],
            "sku_class": ["torso"],
            "sku_count": [100],
            "order_share": [1.0],
            "demand_cv": [0.5],
            "min_units_per_sku": [1.0],
            "return_rate": [0.0],
            "sku_life_days": [365.0],
        }
    )
    if not classes:
        t["parameters"].loc[len(t["parameters"])] = ["stock.sku_classes", 0, "-", "", "test"]
    t["market_access"] = pd.DataFrame({"product": ["P1"], "sku_usd": [sku_usd], "shipment_usd": [0.0],
                                       "orders_per_shipment": [1.0], "label_usd_per_order": [0.0]})
    return t


def run(tmp_path, sku_usd, overrides=None, hook=None, classes=True):
    r = solve(load_scenario(write(tmp_path, _tables(sku_usd, classes)), overrides=overrides), OPTS,
              extra_constraints=hook)
    assert r.status == "optimal"
    return r


def shares(r):
    return {k: v for k, v in r.summary["mode_share"].items() if v > 1e-9}


def test_per_sku_cost_spread_over_life_and_orders():
    """100 USD a SKU, 200 SKUs listed 182.5 days (two listings a year each), 4000 orders:
    100 x 200 x 2 / 4000 = 10 USD an order; no orders, no cost."""
    assert per_sku_usd_per_order([100.0, 100.0], [200, 200], [182.5, 182.5], [4000.0, 0.0]).tolist() == \
        pytest.approx([10.0, 0.0])


@pytest.mark.parametrize("sku_usd, mode", [(19.0, "general_trade"), (21.0, "direct_mail")])
def test_registration_cost_flips_torso_class_from_general_trade_to_parcel(tmp_path, sku_usd, mode):
    """General trade costs 3 + sku_usd / 10 an order, the parcel 5: the threshold is sku_usd = 20.
    At 19 general trade carries the class (3 + 1.9 = 4.9 -> 4900 a year); at 21 the parcel does
    (3 + 2.1 = 5.1 > 5 -> 5000). Bonded pays the same access plus its 0.5 release: never used."""
    r = run(tmp_path, sku_usd)
    assert shares(r) == {mode: pytest.approx(1.0)}
    assert r.objective == pytest.approx(4900.0 if mode == "general_trade" else 5000.0, rel=1e-9)
    if mode == "general_trade":
        assert r.summary["cost_breakdown"]["market_access_cost"] == pytest.approx(1900.0, rel=1e-9)


def test_exemption_flips_the_class_to_bonded(tmp_path):
    """sku_usd 21 (parcel at 5000 without the exemption, above). With policy.cbec_regulatory_exemption
    a bonded release pays no market access: 3 + 0.5 = 3.5 an order -> 3500, below the parcel (5) and
    general trade (5.1). Limits far above the order (value 100 USD, log-sd 0): every order eligible."""
    over = {"policy.cbec_regulatory_exemption": 1, "policy.cbec_order_limit_usd": 1e6,
            "policy.cbec_buyer_annual_limit_usd": float("inf")}
    r = run(tmp_path, 21.0, over)
    assert shares(r) == {"bonded": pytest.approx(1.0)}
    assert r.objective == pytest.approx(3500.0, rel=1e-9)
    assert r.summary["cost_breakdown"]["market_access_cost"] == pytest.approx(0.0, abs=1e-9)


def test_eligible_share_is_the_lognormal_cdf():
    """Mean 100, log-sd 0.8: the median is 100 x exp(-0.8^2 / 2) = 72.615; half the orders are at or
    below it. The annual limit: mean spend 12 x 100 = 1200, log-sd 0 -> all within 1200, none below."""
    median = 100 * 2.718281828459045 ** (-0.32)
    assert eligible_share([100.0], median, float("inf"), 0.8, 12, 1.0)[0] == pytest.approx(0.5, abs=1e-9)
    assert eligible_share([100.0], 1e9, 1200.0, 0.0, 12, 0.0)[0] == pytest.approx(1.0)
    assert eligible_share([100.0], 1e9, 1199.0, 0.0, 12, 0.0)[0] == pytest.approx(0.0)


def test_value_limit_splits_the_class(tmp_path):
    """Exemption on, sku_usd 21, the per-order limit at the median order value (72.615 USD, log-sd
    0.8: eligible share 0.5; no annual limit). Bonded (3.5 an order, exempt) may carry 500 orders;
    the other 500 go by general trade, which at the open site costs 1 + 1 + 2.1 = 4.1 < the parcel's
    5: 1000 + 500 x 2.5 + 500 x 4.1 = 4300. Without the limit bonded takes all 1000 (3500, above)."""
    median = 100 * 2.718281828459045 ** (-0.32)
    over = {"policy.cbec_regulatory_exemption": 1, "policy.cbec_order_limit_usd": median,
            "demand.order_value_sigma": 0.8, "policy.cbec_buyer_annual_limit_usd": float("inf")}
    r = run(tmp_path, 21.0, over)
    assert shares(r) == {"bonded": pytest.approx(0.5, abs=1e-6), "general_trade": pytest.approx(0.5, abs=1e-6)}
    assert r.objective == pytest.approx(4300.0, rel=1e-6)


def add_general_trade_surcharge(m, scenario, inputs):
    """A researcher's hook: 1 USD more for every general-trade order (e.g. a levy), on the objective."""
    extra = sum(1.0 * m.outbound[a] for a in m.OUTBOUND_ARCS if a[0] == "general_trade")
    m.total_cost.set_value(m.total_cost.expr + extra)


def test_pruning_is_off_with_a_hook_so_bonded_survives(tmp_path):
    """No market access (sku_usd 0), no SKU classes. Before the hook, general trade (3 an order)
    dominates its bonded twin (3.5) at every site, so the pruning drops the bonded arcs. The hook
    makes general trade 4: bonded at 3.5 is then cheapest, 1000 x 3.5 = 3500 (+ 0 surcharge). With
    the arcs pruned the model could only pay 4000 by general trade. The summary says pruning is off."""
    r = run(tmp_path, 0.0, hook=add_general_trade_surcharge, classes=False)
    assert shares(r) == {"bonded": pytest.approx(1.0)}
    assert r.objective == pytest.approx(3500.0, rel=1e-9)
    assert r.summary["pruning"].startswith("off")
    assert "**Pruning off" in report_markdown(r)
    plain = run(tmp_path / "plain", 0.0, classes=False)
    assert plain.summary["pruning"] == "on" and shares(plain) == {"general_trade": pytest.approx(1.0)}


def test_hook_declaring_keeps_pruning_keeps_it(tmp_path):
    """A hook that declares ``keeps_pruning = True`` (it changes no cost) leaves the pruning on."""
    def no_op(m, scenario, inputs):
        pass
    no_op.keeps_pruning = True
    assert run(tmp_path, 0.0, hook=no_op, classes=False).summary["pruning"] == "on"


@pytest.mark.parametrize("local, mode, cost", [(0, "direct_mail", 5000.0), (1, "general_trade", 3000.0)])
def test_seller_channel(tmp_path, local, mode, cost):
    """sku_usd 0, importer margin 0.5 of the 100 USD order. A foreign seller (cross_border) pays the
    margin on general trade: 3 + 50 = 53 > the parcel's 5 -> parcels, 5000. A Vietnamese seller of
    imported goods (local_import) is its own importer (no margin) and has no parcel regime: general
    trade at 3 an order -> 3000 (bonded, 3.5, not used)."""
    r = run(tmp_path, 0.0, {"market_access.ior_margin_share": 0.5, "demand.local_import": local})
    assert shares(r) == {mode: pytest.approx(1.0)}
    assert r.objective == pytest.approx(cost, rel=1e-9)
    assert r.summary["channel"] == ("local_import" if local else "cross_border")
