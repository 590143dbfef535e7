"""The roll-out's data (docs/formulation.md, "Roll-out"): one scenario and one :class:`ModelInputs` per
year, the capital expenditure of each level step, the budget, the discount factors and the dates.

Year t's scenario is the run's scenario with every ``rollout.timeline`` entry of a year <= t applied
in year order (``YEAR:KEY=VALUE``, a list value's items joined by ``|``), then ``demand.growth`` x
(1 + ``rollout.demand_growth``)^(t - first year). Each is checked exactly as ``--set`` checks a value
(:func:`model.io.scenario.with_parameters`), so a bad key or value names the timeline entry.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from model.core.errors import ScenarioError
from model.inputs.build import ModelInputs, build_inputs
from model.io.scenario import Scenario, with_parameters
from model.network.roads import scenario_road_distances

#: ordering of level names when capacities tie (they never do in the shipped data)
_LEVEL_ORDER = ("small", "medium", "large")


@dataclass
class RolloutData:
    """Everything the roll-out model needs beyond each year's :class:`ModelInputs`."""

    years: list[int]
    inputs: dict[int, ModelInputs]
    scenarios: dict[int, Scenario]
    #: site, level, rank (1 = smallest), capacity, fixed_cost (USD/yr), capex (USD, cumulative to the level)
    levels: pd.DataFrame
    discount: dict[int, float]          # year -> (1 + r)^-(t - first year)
    budget: dict[int, float]            # year -> USD (inf = none)
    carry_over: bool
    max_openings: float                 # sites per year (inf = no limit)
    earliest: dict[str, int]            # site -> first year it may open
    setup_capex: float                  # USD once per site before it first holds a regime with compliance
    setup_annuity: float                # USD per year: setup_capex x CRF(r, life)
    discount_rate: float
    asset_life: float
    timeline: list[tuple[int, str, str]] = field(default_factory=list)


def parse_years(text: str) -> tuple[int, int]:
    """'2026-2030' -> (2026, 2030); '2027' -> (2027, 2027)."""
    a, sep, b = str(text).strip().partition("-")
    try:
        first, last = int(a), int(b) if sep else int(a)
    except ValueError:
        raise ValueError(f"--years {text!r}: expected FIRST-LAST, e.g. 2026-2030") from None
    if last < first:
        raise ValueError(f"--years {text!r}: the last year is before the first")
    return first, last


def parse_timeline(entries) -> list[tuple[int, str, str]]:
    """``rollout.timeline`` -> [(year, key, value text)], in year order (stable)."""
    if entries == "*" or entries is None:
        return []
    out = []
    for e in entries:
        year, sep, rest = str(e).partition(":")
        key, sep2, value = rest.partition("=")
        if not sep or not sep2 or not year.strip().isdigit() or not key.strip():
            raise ScenarioError(f"parameter 'rollout.timeline': {e!r} is not YEAR:KEY=VALUE "
                                "(e.g. 2027:policy.eligible_zones=01|48|79)")
        out.append((int(year), key.strip(), value.strip()))
    return sorted(out, key=lambda x: x[0])


def _pairs(scenario: Scenario, key: str, convert) -> dict:
    spec = scenario.param(key)
    if spec == "*":
        return {}
    out = {}
    for item in spec:
        name, sep, val = str(item).partition(":")
        try:
            out[name] = convert(val)
        except ValueError:
            raise ScenarioError(f"parameter '{key}': {item!r} is not NAME:VALUE with a number") from None
        if not sep or out[name] < 0:
            raise ScenarioError(f"parameter '{key}': {item!r} is not NAME:VALUE with a value >= 0")
    return out


def _value(text: str):
    """A timeline value as --set gives it: list items joined by '|' become a list."""
    return [v for v in text.split("|") if v] if "|" in text else text


def year_scenario(scenario: Scenario, year: int, first: int, timeline=None) -> Scenario:
    """The scenario of ``year`` (module docstring)."""
    timeline = parse_timeline(scenario.param("rollout.timeline")) if timeline is None else timeline
    sc = scenario
    for y, key, value in timeline:
        if y <= year:
            sc = with_parameters(sc, {key: _value(value)}, source=f"rollout.timeline entry {y}:{key}={value}")
    growth = sc.param("demand.growth") * (1.0 + scenario.param("rollout.demand_growth")) ** (year - first)
    return with_parameters(sc, {"demand.growth": growth}, source=f"rollout demand growth of {year}")


def crf(rate: float, life: float) -> float:
    """Capital recovery factor: the annuity per USD of capital over ``life`` years at ``rate``."""
    return 1.0 / life if rate == 0 else rate / (1.0 - (1.0 + rate) ** -life)


def rollout_data(scenario: Scenario, years: list[int] | None = None, prune: bool = True) -> RolloutData:
    """Per-year scenarios and arc tables (road distances computed once) and the roll-out's own data."""
    p = scenario.param
    first, last = (years[0], years[-1]) if years else (int(p("rollout.first_year")), int(p("rollout.last_year")))
    if last < first:
        raise ScenarioError(f"rollout.last_year {last} is before rollout.first_year {first}")
    years = list(range(first, last + 1))
    timeline = parse_timeline(p("rollout.timeline"))
    distances = scenario_road_distances(scenario)  # places and roads do not change by year
    scenarios = {t: year_scenario(scenario, t, first, timeline) for t in years}
    inputs = {t: build_inputs(scenarios[t], distances, prune_dominated=prune) for t in years}

    capex = _pairs(scenario, "rollout.level_capex_usd", float)
    lv = scenario.tables["site_levels"]
    known = set(lv["level"])
    unknown = sorted(set(capex) - known)
    if unknown and "rollout.level_capex_usd" in scenario.overrides:  # the shipped default names the shipped levels
        raise ScenarioError(f"parameter 'rollout.level_capex_usd': unknown level(s) {', '.join(unknown)} "
                            f"(site_levels.csv has {', '.join(sorted(known))})")
    levels = pd.concat([inputs[t].site_levels for t in years]).drop_duplicates(["site", "level"], keep="first")
    order = {name: i for i, name in enumerate(_LEVEL_ORDER)}
    levels = levels.assign(_o=levels["level"].map(order).fillna(len(order)))
    levels = levels.sort_values(["site", "capacity", "_o"]).drop(columns="_o").reset_index(drop=True)
    levels["rank"] = levels.groupby("site").cumcount() + 1
    levels["capex"] = levels["level"].map(capex).fillna(0.0).astype(float)
    bad = levels.groupby("site")["capex"].apply(lambda s: bool((s.diff().dropna() < 0).any()))
    if bad.any():
        raise ScenarioError("parameter 'rollout.level_capex_usd': the capex of a larger level is below a smaller "
                            "level's (a step up would pay back money)")

    sites = set(scenario.tables["sites"]["site"])
    earliest = {k: int(v) for k, v in _pairs(scenario, "rollout.earliest_year", int).items()}
    unknown = sorted(set(earliest) - sites)
    if unknown:
        raise ScenarioError(f"parameter 'rollout.earliest_year': unknown site(s) {', '.join(unknown)}")
    r, life = float(p("rollout.discount_rate")), float(p("rollout.asset_life_years"))
    budget = float(p("rollout.budget_usd"))
    return RolloutData(
        years=years, inputs=inputs, scenarios=scenarios,
        levels=levels[["site", "level", "rank", "capacity", "fixed_cost", "capex"]],
        discount={t: (1.0 + r) ** -(t - first) for t in years},
        budget={t: budget for t in years}, carry_over=bool(p("rollout.budget_carry_over")),
        max_openings=float(p("rollout.max_openings_per_year")), earliest=earliest,
        setup_capex=float(p("rollout.bonded_setup_capex_usd")),
        setup_annuity=float(p("rollout.bonded_setup_capex_usd")) * crf(r, life),
        discount_rate=r, asset_life=life, timeline=timeline)


def restrict(data: RolloutData, years: list[int]) -> RolloutData:
    """The same data for a subset of its years (discount factors unchanged: the myopic plan's years
    keep their place in the horizon)."""
    keep = [t for t in data.years if t in set(years)]
    return RolloutData(
        years=keep, inputs={t: data.inputs[t] for t in keep}, scenarios={t: data.scenarios[t] for t in keep},
        levels=data.levels, discount={t: data.discount[t] for t in keep}, budget={t: data.budget[t] for t in keep},
        carry_over=data.carry_over, max_openings=data.max_openings, earliest=data.earliest,
        setup_capex=data.setup_capex, setup_annuity=data.setup_annuity, discount_rate=data.discount_rate,
        asset_life=data.asset_life, timeline=data.timeline)
