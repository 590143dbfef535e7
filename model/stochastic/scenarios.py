"""Demand and exchange-rate scenarios: generated from a seed, or read from a CSV file.

Generated (``uncertainty.*`` parameters): for each product p and scenario s, the zones'
yearly orders are lognormal around the forecast with mean = forecast and coefficient of
variation ``cv_p``::

    orders[s,c,p] = forecast[c,p] x exp(sigma_p x Z[s,c,p] - sigma_p^2 / 2),  sigma_p^2 = ln(1 + cv_p^2)
    Z[s,c,p] = sqrt(rho) x N[s,p] + sqrt(1 - rho) x E[s,c,p]     (rho = uncertainty.zone_correlation)

with N, E independent standard normals (products independent of each other); the origin
split of each (zone, product) keeps the shares of sourcing.csv. The USD/VND rate is
``finance.usd_vnd x fx[s]``, ``fx[s] = exp(fx_sigma x F[s] - fx_sigma^2 / 2)`` (mean 1).
Scenarios are equally likely. The draws are made in a fixed order from one
``numpy.random.default_rng(seed)``, so the same seed and parameters give the same scenarios.

Read (``read_scenarios_csv``): columns ``scenario, zone, product, orders_per_year, usd_vnd``
and optionally ``probability``; one row per (scenario, zone, product).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from model.core.errors import DataError, Problem, ScenarioError
from model.inputs import classes
from model.inputs.context import zone_demand
from model.io.tables import _decode, _ragged_lines

#: Optional file in a scenario's data folder; when present it replaces the generated scenarios.
SCENARIOS_FILE = "uncertainty_scenarios.csv"


@dataclass
class ScenarioSet:
    """Equally likely (or weighted) scenarios of the year.

    ``demand``: scenario, zone, origin, product, orders (orders per year);
    ``fx``: scenario -> USD/VND rate of the year divided by ``finance.usd_vnd`` (1 = as planned);
    ``probability``: scenario -> probability (sums to 1).
    """

    names: list[str]
    demand: pd.DataFrame
    fx: pd.Series
    probability: pd.Series
    source: str  # "generated (seed ...)" or the CSV path

    def subset(self, names: list[str]) -> "ScenarioSet":
        """The named scenarios, probabilities renormalised to sum to 1."""
        p = self.probability.loc[names]
        return ScenarioSet(list(names), self.demand[self.demand["scenario"].isin(names)], self.fx.loc[names],
                           p / p.sum(), self.source)


def _int_param(scenario, key: str) -> int:
    v = scenario.param(key)
    if float(v) != int(v):
        raise ScenarioError(f"parameter '{key}' = {v}: expected a whole number")
    return int(v)


def product_cvs(scenario) -> dict[str, float]:
    """Coefficient of variation of each product's demand: uncertainty.demand_cv, overridden per product."""
    return scenario.per_product("uncertainty.demand_cv", "uncertainty.demand_cv_by_product", 0.0, 5.0)


def _split_by_origin(scenario, by_zone: pd.DataFrame) -> pd.DataFrame:
    """(scenario, zone, product, orders_per_year) -> (scenario, zone, origin, product, orders) by sourcing shares."""
    d = by_zone.merge(scenario.tables["sourcing"], on="product")
    d["orders"] = d["orders_per_year"] * d["share"] * scenario.param("demand.growth")
    d = d[d["share"] > 0]
    return d[["scenario", "zone", "origin", "product", "orders"]].reset_index(drop=True)


def generate_scenarios(scenario, n: int | None = None, seed: int | None = None,
                       demand_cv: float | None = None, fx_sigma: float | None = None) -> ScenarioSet:
    """``n`` equally likely scenarios drawn as the module docstring says (arguments override the parameters)."""
    n = _int_param(scenario, "uncertainty.scenarios") if n is None else int(n)
    seed = _int_param(scenario, "uncertainty.seed") if seed is None else int(seed)
    if n < 1:
        raise ScenarioError(f"parameter 'uncertainty.scenarios' = {n}: expected at least 1")
    cvs = product_cvs(scenario)
    if demand_cv is not None:
        cvs = {p: float(demand_cv) for p in cvs}
    fx_sigma = float(scenario.param("uncertainty.fx_sigma") if fx_sigma is None else fx_sigma)
    rho = float(scenario.param("uncertainty.zone_correlation"))
    forecast = scenario.tables["demand"].pivot_table(index="zone", columns="product", values="orders_per_year",
                                                     aggfunc="sum", fill_value=0.0)
    zones, products = list(forecast.index), list(forecast.columns)
    rng = np.random.default_rng(seed)
    # One fixed draw order (national, local, fx), whatever the CVs: changing a CV rescales the same shocks.
    national = rng.standard_normal((n, len(products)))
    local = rng.standard_normal((n, len(zones), len(products)))
    fx_shock = rng.standard_normal(n)
    z = np.sqrt(rho) * national[:, None, :] + np.sqrt(1 - rho) * local
    sigma = np.sqrt(np.log1p(np.array([cvs[p] for p in products]) ** 2))
    orders = forecast.to_numpy()[None, :, :] * np.exp(sigma * z - sigma ** 2 / 2)
    names = [f"s{i:03d}" for i in range(n)]
    by_zone = pd.DataFrame({
        "scenario": np.repeat(names, len(zones) * len(products)),
        "zone": np.tile(np.repeat(zones, len(products)), n),
        "product": np.tile(products, n * len(zones)),
        "orders_per_year": orders.reshape(-1),
    })
    fx = pd.Series(np.exp(fx_sigma * fx_shock - fx_sigma ** 2 / 2), index=names, name="fx")
    prob = pd.Series(1.0 / n, index=names, name="probability")
    return ScenarioSet(names, _split_by_origin(scenario, by_zone), fx, prob, f"generated (seed {seed}, n {n})")


def _read_csv_checked(path: Path) -> pd.DataFrame:
    """The CSV as text columns; DataError (file, line) if it is not UTF-8, ragged, or has no data rows."""
    import io


    text = _decode(path)  # DataError naming the line of the first byte that is not UTF-8
    ragged = _ragged_lines(text, str(path))
    if ragged:
        raise DataError(ragged)
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True, index_col=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError([Problem(str(path), None, None, None, f"comma-separated values with a header line ({exc})")])
    if df.empty:
        raise DataError([Problem(str(path), None, None, None, "at least one scenario row under the header")])
    df.columns = [str(c).strip() for c in df.columns]
    return df


def read_scenarios_csv(scenario, path: Path | str) -> ScenarioSet:
    """Scenarios from a CSV (columns scenario, zone, product, orders_per_year, usd_vnd[, probability]).

    Every problem (missing column, unknown zone or product, negative orders, a rate or
    probability that differs within a scenario, probabilities not summing to 1) is reported
    with its file, row and column, all at once.
    """
    path = Path(path)
    file = str(path)
    if not path.is_file():
        raise DataError([Problem(file, None, None, None, "a CSV file of scenarios")])
    df = _read_csv_checked(path)
    need = ["scenario", "zone", "product", "orders_per_year", "usd_vnd"]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise DataError([Problem(file, None, c, None, "this column") for c in missing])
    problems = []
    zones = set(scenario.tables["provinces"]["code"])
    products = set(scenario.tables["products"]["product"])
    for col in ("orders_per_year", "usd_vnd", *(["probability"] if "probability" in df.columns else [])):
        df[col] = pd.to_numeric(df[col], errors="coerce")
    for i, r in df.iterrows():
        row = int(i) + 2  # header is row 1
        if r["zone"] not in zones:
            problems.append(Problem(file, row, "zone", r["zone"], "a zone code of provinces.csv"))
        if r["product"] not in products:
            problems.append(Problem(file, row, "product", r["product"], "a product of products.csv"))
        if not (0 <= r["orders_per_year"] < math.inf):
            problems.append(Problem(file, row, "orders_per_year", r["orders_per_year"], "a finite number >= 0"))
        if not (0 < r["usd_vnd"] < math.inf):
            problems.append(Problem(file, row, "usd_vnd", r["usd_vnd"], "a finite rate > 0 (VND per USD)"))
        if "probability" in df.columns and not (0 <= r["probability"] <= 1):
            problems.append(Problem(file, row, "probability", r["probability"], "a probability in [0, 1]"))
    dup = df.duplicated(["scenario", "zone", "product"], keep="first")
    for i in df.index[dup]:
        problems.append(Problem(file, int(i) + 2, "zone", df.at[i, "zone"], "one row per (scenario, zone, product)"))
    per = df.groupby("scenario", sort=False)
    for col in ("usd_vnd", *(["probability"] if "probability" in df.columns else [])):
        varying = per[col].nunique() > 1
        for s in varying[varying].index:
            i = df.index[df["scenario"] == s][0]
            problems.append(Problem(file, int(i) + 2, col, s, f"one {col} per scenario"))
    if problems:
        raise DataError(problems)
    names = list(dict.fromkeys(df["scenario"]))
    if "probability" in df.columns:
        prob = per["probability"].first().loc[names]
        if (prob < 0).any() or abs(prob.sum() - 1) > 1e-6:
            raise DataError([Problem(file, None, "probability", round(float(prob.sum()), 9),
                                     "probabilities >= 0 summing to 1 over the scenarios")])
    else:
        prob = pd.Series(1.0 / len(names), index=names)
    fx = per["usd_vnd"].first().loc[names] / scenario.param("finance.usd_vnd")
    # zones and products without a row in a scenario have no demand in it
    return ScenarioSet(names, _split_by_origin(scenario, df[["scenario", "zone", "product", "orders_per_year"]]),
                       fx.rename("fx"), prob.rename("probability"), file)


def mean_scenario(scenario) -> ScenarioSet:
    """The forecast as one scenario with the planned exchange rate (the deterministic model's data)."""
    d = zone_demand(scenario).assign(scenario="mean")
    return ScenarioSet(["mean"], d[["scenario", "zone", "origin", "product", "orders"]], pd.Series({"mean": 1.0}),
                       pd.Series({"mean": 1.0}), "forecast")


def item_scenarios(sc: ScenarioSet, items: pd.DataFrame | None, origin_mix: pd.DataFrame | None) -> ScenarioSet:
    """The scenarios' demand in the model's items, as the deterministic model's demand is
    (model.inputs.build): each product's orders split into its SKU classes by order share, and
    the pooled items' origins summed into origin ``*``. Unchanged without SKU classes."""
    if items is None or (items["sku_class"] == classes.NO_CLASS).all():
        return sc
    d = pd.concat([classes.item_demand(g, items).assign(scenario=s)
                   for s, g in sc.demand.groupby("scenario", sort=False)], ignore_index=True)
    if origin_mix is not None:
        d = classes.mix_demand(d, origin_mix["product"], by=("scenario",))
    return ScenarioSet(sc.names, d[["scenario", "zone", "origin", "product", "orders"]].reset_index(drop=True),
                       sc.fx, sc.probability, sc.source)


def load_scenario_set(scenario, csv: Path | str | None = None) -> ScenarioSet:
    """The CSV given, else ``uncertainty_scenarios.csv`` in the data folder if present, else generated ones."""
    if csv is None and (Path(scenario.data_dir) / SCENARIOS_FILE).is_file():
        csv = Path(scenario.data_dir) / SCENARIOS_FILE
    return read_scenarios_csv(scenario, csv) if csv is not None else generate_scenarios(scenario)
