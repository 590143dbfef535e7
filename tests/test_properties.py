"""Property-based tests (hypothesis) on small random scenarios built with tests/tiny.py.

Each example is a one-product, one-origin scenario on the 106 E meridian with 2-3 candidate
sites, 1-3 zones and random demands, capacities and costs, solved to optimality
(``mip_rel_gap=1e-9``). Objectives are compared with a relative tolerance of 1e-7.
"""
import math
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model import SolverOptions, load_scenario, solve
from model.formulation import TERMS
from model.results import explain_unmet
from tiny import tables, write

EXACT = SolverOptions(mip_rel_gap=1e-9)
REL = 1e-7
SETTINGS = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
LATS = [10.0, 10.5, 11.0, 11.5, 12.0]
REASONS = {"no_eligible_mode", "penalty_cheaper", "capacity_short", "max_sites", "fixed_cost", "not_optimal"}


def cents(lo, hi):
    """Money-like numbers with two decimals (no float noise from the strategy itself)."""
    return st.integers(int(lo * 100), int(hi * 100)).map(lambda x: x / 100)


@st.composite
def site_spec(draw, name):
    """A site: its latitude and one or two capacity levels (level, capacity, fixed cost)."""
    lat = draw(st.sampled_from(LATS))
    n = draw(st.integers(1, 2))
    levels = [(name, lvl, float(draw(st.integers(10, 1500))), float(draw(st.integers(0, 5000))))
              for lvl in ("small", "large")[:n]]
    return lat, levels


@st.composite
def scenario_spec(draw):
    """Keyword arguments for :func:`tiny.tables` plus one spare site (for the 'add a site' property)."""
    n_sites = draw(st.integers(2, 3))
    sites, levels = {}, []
    for k in range(n_sites):
        lat, lv = draw(site_spec(f"S{k + 1}"))
        sites[f"S{k + 1}"] = lat
        levels += lv
    zones = draw(st.lists(st.sampled_from(["01", "02", "03"]), min_size=1, max_size=3, unique=True))
    mfn = draw(cents(0, 0.3))
    spec = dict(
        demand={z: float(draw(st.integers(1, 1000))) for z in sorted(zones)},
        sites=sites, levels=levels,
        mfn=mfn, fta=draw(cents(0, mfn)), vat=draw(cents(0, 0.1)), value=draw(cents(10, 200)),
        days_in_stock=float(draw(st.integers(0, 60))),
        bulk_usd_per_kg=draw(cents(0, 3)), parcel_usd_per_order=draw(cents(0, 30)), handling=draw(cents(0, 5)),
        **{"costs.unmet_penalty_usd_per_order": draw(cents(1, 60)),
           "costs.truck_usd_per_kg_km": draw(cents(0, 0.01)),
           "costs.last_mile_base_usd_per_order": draw(cents(0, 3)),
           "costs.last_mile_usd_per_kg_km": draw(cents(0, 0.01)),
           "costs.parcel_clearance_usd_per_order": draw(cents(0, 2)),
           "modes.general_trade": float(draw(st.integers(0, 1)))},
    )
    spare = draw(site_spec("SX"))
    return spec, spare


def solved(spec, tabs=None):
    with tempfile.TemporaryDirectory() as d:
        result = solve(load_scenario(write(Path(d) / "data", tabs if tabs is not None else tables(**spec))), EXACT)
    assert result.status == "optimal", result.status
    return result


def close_or_below(a, b):
    """a <= b up to the relative tolerance."""
    return a <= b + REL * max(1.0, abs(b))


@SETTINGS
@given(scenario_spec())
def test_adding_a_candidate_site_never_raises_the_cost(case):
    spec, (lat, levels) = case
    base = solved(spec).objective
    more = dict(spec, sites={**spec["sites"], "SX": lat}, levels=spec["levels"] + levels)
    assert close_or_below(solved(more).objective, base)


@SETTINGS
@given(scenario_spec(), st.sampled_from([0.5, 2.0, 3.0, 10.0]))
def test_scaling_every_cost_scales_the_objective(case, factor):
    spec, _ = case
    base = solved(spec).objective
    money = ["costs.unmet_penalty_usd_per_order", "costs.truck_usd_per_kg_km", "costs.last_mile_base_usd_per_order",
             "costs.last_mile_usd_per_kg_km", "costs.parcel_clearance_usd_per_order"]
    scaled = dict(spec, levels=[(k, lv, cap, fixed * factor) for k, lv, cap, fixed in spec["levels"]],
                  value=spec["value"] * factor,  # duties, VAT, their financing and inventory are proportional to it
                  bulk_usd_per_kg=spec["bulk_usd_per_kg"] * factor,
                  parcel_usd_per_order=spec["parcel_usd_per_order"] * factor, handling=spec["handling"] * factor,
                  **{k: spec[k] * factor for k in money})
    obj = solved(scaled).objective
    assert math.isclose(obj, factor * base, rel_tol=REL, abs_tol=1e-6), (obj, factor * base)


@SETTINGS
@given(scenario_spec(), st.sampled_from([1.0, 1.5, 2.0, 10.0]))
def test_more_capacity_never_raises_the_cost(case, factor):
    spec, _ = case
    base = solved(spec).objective
    bigger = dict(spec, levels=[(k, lv, cap * factor, fixed) for k, lv, cap, fixed in spec["levels"]])
    assert close_or_below(solved(bigger).objective, base)


@SETTINGS
@given(scenario_spec())
def test_cost_breakdown_sums_to_the_objective_and_unmet_is_explained(case):
    spec, _ = case
    r = solved(spec)
    breakdown = r.summary["cost_breakdown"]
    assert list(breakdown) == list(TERMS)
    assert math.isclose(sum(breakdown.values()), r.objective, rel_tol=1e-9, abs_tol=1e-6)
    assert all(v >= -1e-6 for v in breakdown.values()), breakdown
    assert math.isclose(r.flows["cost_usd"].sum() + breakdown["fixed_cost"], r.objective, rel_tol=1e-9, abs_tol=1e-6)
    # every unmet order is explained, and an optimal result never needs the "not optimal" excuse
    why = explain_unmet(r)
    unmet = r.flows.loc[r.flows["leg"] == "unmet", "orders"].sum()
    assert math.isclose(sum(w["orders"] for w in why), unmet, rel_tol=1e-9, abs_tol=1e-9)
    assert all(w["reason"] in REASONS - {"not_optimal"} for w in why), why
