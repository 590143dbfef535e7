"""Outputs of the SKU classes (issue 15), checked by hand: item names, shares by class, break-even velocity."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from model.economics.assortment import ClassStock
from model.inputs.classes import split_item
from model.report.velocity import break_even_velocity, stock_per_order
from model.statistics.kpis import item_of, mode_share_by_class, mode_share_by_item, path_orders

MODES = ("bonded", "general_trade", "direct_mail")


def test_split_item_and_back():
    items = pd.Series(["cosmetics:head", "cosmetics:tail", "household"], index=[3, 5, 7])
    s = split_item(items)
    assert s["product"].tolist() == ["cosmetics", "cosmetics", "household"]
    assert s["sku_class"].tolist() == ["head", "tail", "all"]
    assert s.index.tolist() == [3, 5, 7]
    assert item_of(s).tolist() == items.tolist()  # 'all' gives the product back


def _flows():
    # cosmetics: head 60 bonded + 40 parcel; tail 10 parcel + 10 unmet; household head 100 general trade.
    rows = [("bonded", "outbound", "cosmetics", "head", 60.0), ("bonded", "inbound", "cosmetics", "head", 60.0),
            ("direct_mail", "parcel", "cosmetics", "head", 40.0), ("direct_mail", "parcel", "cosmetics", "tail", 10.0),
            ("unmet", "unmet", "cosmetics", "tail", 10.0), ("general_trade", "outbound", "household", "head", 100.0)]
    return pd.DataFrame(rows, columns=["mode", "leg", "product", "sku_class", "orders"])


def test_mode_share_by_class_aggregates_products_and_ignores_inbound():
    s = mode_share_by_class(_flows(), MODES, order=["head", "torso", "tail"])
    assert list(s) == ["head", "tail"]  # torso has no orders; the given order is kept
    # head: 200 orders = 60 bonded + 40 parcel + 100 general trade (the inbound leg is not an order)
    assert s["head"] == pytest.approx({"bonded": 0.3, "general_trade": 0.5, "direct_mail": 0.2, "unmet": 0.0})
    assert s["tail"] == pytest.approx({"bonded": 0.0, "general_trade": 0.0, "direct_mail": 0.5, "unmet": 0.5})


def test_mode_share_by_item():
    s = mode_share_by_item(_flows(), MODES)
    assert set(s) == {"cosmetics:head", "cosmetics:tail", "household:head"}
    assert s["cosmetics:head"] == pytest.approx({"bonded": 0.6, "general_trade": 0.0, "direct_mail": 0.4, "unmet": 0.0})
    assert s["household:head"]["general_trade"] == 1.0


def test_path_orders_splits_a_merged_origin_equally():
    paths = pd.DataFrame({"mode": ["bonded", "direct_mail", "direct_mail"], "zone": "01",
                          "origin": ["*", "CN", "KR"], "product": "c:head", "usd_per_order": [1.0, 2.0, 4.0]})
    demand = pd.DataFrame({"zone": ["01"], "origin": ["*"], "product": ["c:head"], "orders": [90.0]})
    r = path_orders(paths, demand)
    assert r["orders"].tolist() == [90.0, 45.0, 45.0]


def _floor_only(n_sku=100.0):
    """Stock of a class with only its floor: no lead time, no review, z = 0, nothing written off.
    Per SKU I = S = m = 5 units, so C = n v h m = n x 10 x 0.1 x 5 = 5 n USD/yr and, at velocity
    V = X / n, the stock per order is 5 n / X = 5 / V USD."""
    return ClassStock(n_sku=n_sku, national_orders=1000.0, value=10.0, cv=0.0, min_units=5.0, lead_days=0.0,
                      review_days=0.0, z=0.0, holding_rate=0.1, life_days=365.0, salvage=1.0)


def test_stock_per_order_by_hand():
    s = _floor_only()
    assert stock_per_order(s, 10.0) == pytest.approx(0.5)
    assert stock_per_order(s, [1.0, 50.0]) == pytest.approx([5.0, 0.1])
    assert s.n_sku == 100.0  # the copy is varied, not the class


def test_break_even_velocity_by_hand():
    # stocked = 2 + 5 / V, parcel = 3: equal at V = 5 orders per SKU per year
    assert break_even_velocity(2.0, 3.0, _floor_only()) == pytest.approx(5.0, rel=1e-9)
    # stocked = 1 + 5 / V against 2: V = 5 / (2 - 1) = 5 as well; against 3.5: V = 5 / 2.5 = 2
    assert break_even_velocity(1.0, 3.5, _floor_only()) == pytest.approx(2.0, rel=1e-9)
    assert break_even_velocity(3.0, 3.0, _floor_only()) is None  # the path alone costs the parcel: never cheaper
    assert break_even_velocity(0.0, 1e3, _floor_only()) is None  # cheaper at every velocity shown (down to 0.1)


def test_a_tiny_run_with_classes_reports_them(tmp_path):
    """Head and torso (100 and 2,000 SKUs) are stocked at the one site, the tail (50,000 SKUs of
    2 units' floor for 70,000 orders) goes by parcel: at 1.4 orders per SKU a year its floor alone
    costs far more than the 52.5 USD parcel."""
    import tiny

    from model.pipeline import solve
    from model.report.writer import write_results
    from model.solving.highs import SolverOptions

    t = tiny.tables(demand={"01": 5e5, "02": 2e5}, sites={"S1": 10.0, "S2": 11.0}, days_in_stock=30)
    t["sku_classes"] = pd.DataFrame({"product": "P1", "sku_class": ["head", "torso", "tail"],
                                     "sku_count": [100, 2000, 50000], "order_share": [0.7, 0.2, 0.1],
                                     "demand_cv": [0.3, 0.6, 1.5], "min_units_per_sku": [6, 3, 2],
                                     "return_rate": 0.05, "sku_life_days": [365, 365, 180]})
    r = solve(tiny.write(tmp_path / "data", t), SolverOptions(time_limit=60))
    assert r.status == "optimal"
    assert set(r.flows["product"]) == {"P1"} and set(r.flows["sku_class"]) == {"head", "torso", "tail"}
    k = r.summary["kpis"]
    assert list(k["mode_share_by_class"]) == ["head", "torso", "tail"]
    assert k["mode_share_by_class"]["head"]["bonded"] == pytest.approx(1.0)
    assert k["mode_share_by_class"]["tail"]["direct_mail"] == pytest.approx(1.0)
    assert k["mode_share_by_item"]["P1:tail"]["direct_mail"] == pytest.approx(1.0)
    opened = r.summary["sites_opened"]
    assert [x["site"] for x in opened] == ["S2"]
    assert opened[0]["stocked_classes"] == [
        {"item": "P1:head", "mode": "bonded"},
        {"item": "P1:torso", "mode": "bonded"},
    ]
    out = write_results(r, tmp_path / "out")
    assert (out / "velocity.png").stat().st_size > 0
    sites = pd.read_csv(out / "sites.csv")
    assert (
        sites.set_index("site").at["S2", "stocked_classes"]
        == "P1:head (bonded CBEC stock); P1:torso (bonded CBEC stock)"
    )
    report = (out / "report.md").read_text(encoding="utf-8")
    assert (
        "## SKU classes" in report
        and "- **tail**: cross-border parcel 100% of its orders; no site stocks it." in report
    )
    assert (
        json.loads((out / "summary.json").read_text())["regime_costs_by_class_usd_per_order"][2]["cheapest"]
        == "direct_mail"
    )
