"""Solution -> tidy tables, KPIs, summary.json; results written atomically.

Tables: ``sites`` (every candidate), ``flows`` (every non-zero flow with its mode and cost).
``cost_breakdown`` holds one entry per objective term (:data:`model.formulation.TERMS`) and
sums to the objective.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from .formulation import TERMS

FLOW_TOL = 1e-6  # orders; smaller values are solver noise


def _var_frame(var, names: list[str]) -> pd.DataFrame:
    """A Pyomo variable's values as a table: one column per index position (``names``, plus
    ``month`` when the model is monthly) and ``orders``."""
    items = [(idx if isinstance(idx, tuple) else (idx,), v.value or 0.0) for idx, v in var.items()]
    width = len(items[0][0]) if items else len(names)
    cols = names + (["month"] if width == len(names) + 1 else [])
    df = pd.DataFrame([i for i, _ in items], columns=cols)
    df["orders"] = np.array([x for _, x in items], dtype=float)
    return df


def site_table(m, inputs, scenario) -> pd.DataFrame:
    """One row per candidate site: opened, level, capacity, throughput, utilisation, fixed cost."""
    s = scenario.tables["sites"][["site", "name", "province", "lat", "lon", "site_type"]].merge(inputs.sites, on="site")
    lv = inputs.site_levels.copy()
    lv["open"] = [round(m.open[k, l].value or 0.0) for k, l in zip(lv["site"], lv["level"])] if len(lv) else []
    chosen = lv[lv["open"] == 1].drop(columns="open")
    s = s.merge(chosen, on="site", how="left")
    s["opened"] = s["level"].notna()
    through = _var_frame(m.outbound, ["mode", "site", "zone", "origin", "product"]).groupby("site")["orders"].sum()
    s["throughput_orders"] = s["site"].map(through).fillna(0.0)
    s["capacity_orders"] = s.pop("capacity")
    s["utilisation"] = np.where(s["opened"], s["throughput_orders"] / s["capacity_orders"], np.nan)
    s["fixed_cost_usd"] = s.pop("fixed_cost").fillna(0.0)
    return s[["site", "name", "province", "lat", "lon", "site_type", "may_open", "bonded_ok", "reason", "force_open",
              "opened", "level", "capacity_orders", "throughput_orders", "utilisation", "fixed_cost_usd"]]


def flow_table(m, inputs, scenario) -> pd.DataFrame:
    """Every non-zero flow: mode, leg, origin, gateway, site, zone, product, (month), orders, kg,
    km, lead time, cost per term. In the monthly model, stock held at the end of each month is a
    ``stock`` leg carrying its holding and financing cost, so the rows re-price the objective."""
    weight = scenario.tables["products"].set_index("product")["weight_kg_per_order"]
    parts = []
    cost_cols = [t for t in TERMS if t not in ("fixed_cost", "unmet_penalty")]

    def add(arcs, var, keycols, leg, coefficients=None):
        df = _var_frame(var, keycols)
        df = df[df["orders"] > FLOW_TOL].merge(arcs, on=keycols, how="left", validate="many_to_one")
        for t, col in (coefficients or {t: t for t in cost_cols}).items():
            df[t] = df["orders"] * (df[col] if col in df.columns else 0.0)
        if "mode" not in df.columns:
            df["mode"] = "direct_mail"
        df["leg"] = leg
        parts.append(df)

    add(inputs.inbound_arcs, m.inbound, ["mode", "origin", "gateway", "site", "product"], "inbound")
    add(inputs.outbound_arcs, m.outbound, ["mode", "site", "zone", "origin", "product"], "outbound")
    add(inputs.direct_arcs, m.direct, ["origin", "gateway", "zone", "product"], "parcel")
    if hasattr(m, "stock"):
        add(inputs.stock_keys.drop(columns="taxes_paid_at_entry"), m.stock, ["mode", "site", "origin", "product"],
            "stock", {"inventory_cost": "holding_cost", "duty_financing_cost": "financing_cost"})
    un = _var_frame(m.unmet, ["zone", "origin", "product"])
    un = un[un["orders"] > FLOW_TOL].copy()
    un["unmet_penalty"] = un["orders"] * inputs.unmet_penalty
    un["mode"], un["leg"] = "unmet", "unmet"
    parts.append(un)
    flows = pd.concat(parts, ignore_index=True)
    for c in ("origin", "gateway", "site", "zone"):
        flows[c] = flows[c].fillna("") if c in flows else ""
    flows["kg"] = flows["orders"] * flows["product"].map(weight)
    money = [t for t in TERMS if t in flows.columns]
    flows[money] = flows[money].fillna(0.0)
    flows["cost_usd"] = flows[money].sum(axis=1)
    flows["usd_per_order"] = flows["cost_usd"] / flows["orders"]
    for c, default in (("km", np.nan), ("lead_hours", np.nan), ("taxes_paid_at_entry", False)):
        if c not in flows:
            flows[c] = default
    flows["taxes_paid_at_entry"] = flows["taxes_paid_at_entry"].astype("boolean").fillna(False).astype(bool)
    month = ["month"] if "month" in flows else []
    return flows[["mode", "leg", "origin", "gateway", "site", "zone", "product", *month, "orders", "kg", "km",
                  "lead_hours", "usd_per_order", "cost_usd", *money, "taxes_paid_at_entry"]]


def cost_breakdown(m) -> dict[str, float]:
    """USD per objective term; the values sum to the objective."""
    return {t: float(pyo.value(getattr(m, t))) for t in TERMS}


def mode_shares(flows: pd.DataFrame, total_demand: float) -> tuple[dict, float]:
    """Shares of demand (orders) by mode, and the unmet share."""
    def share(mode, leg):
        return float(flows.loc[(flows["mode"] == mode) & (flows["leg"] == leg), "orders"].sum() / total_demand)
    return ({"bonded": share("bonded", "outbound"), "direct_mail": share("direct_mail", "parcel"),
             "general_trade": share("general_trade", "outbound")}, share("unmet", "unmet"))


def write_atomically(out_dir: Path, files: dict[str, callable]) -> None:
    """Write every file into a temporary folder beside ``out_dir``, then swap it into place.

    ``files`` maps a file name to a function that writes that file given its path. If any
    writer fails, or the run is interrupted, the previous ``out_dir`` is left intact.
    """
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        for name, writer in files.items():
            writer(tmp / name)
        old = None
        if out_dir.exists():
            old = out_dir.parent / f".{out_dir.name}.old.{os.getpid()}"
            os.replace(out_dir, old)
        os.replace(tmp, out_dir)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_results(result, out_dir: Path, extra_files: dict[str, callable] | None = None) -> Path:
    """summary.json, sites.csv, flows.csv and report.md of a :class:`model.Result`, written atomically.

    ``extra_files`` maps more file names to writers (``writer(path)``), e.g.
    :func:`model.maps.map_writers`; they land in the same atomic swap, so a failing writer
    leaves the previous results untouched.
    """
    from .report import report_markdown

    def js(path):
        path.write_text(json.dumps(result.summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    files = {
        "summary.json": js,
        "sites.csv": lambda p: result.sites.to_csv(p, index=False, float_format="%.6g"),
        "flows.csv": lambda p: result.flows.to_csv(p, index=False, float_format="%.6g"),
        "report.md": lambda p: p.write_text(report_markdown(result), encoding="utf-8"),
    }
    for name in extra_files or {}:
        if name in files or Path(name).name != name:
            raise ValueError(f"extra result file {name!r}: expected a new plain file name")
    files.update(extra_files or {})
    write_atomically(Path(out_dir), files)
    return Path(out_dir)
