"""results.xlsx: the run in one workbook a planner can open, filter and pass on (pandas + openpyxl).

Sheets, one table each, units in the column headers and in the number formats:
``summary`` (opens with the run, its scenario, the input hash and the parameters changed; then
status, cost, gap, demand, shares), ``inputs changed`` (every parameter that differs from the
scenario file or the shipped defaults), ``sites`` (every candidate, as sites.csv), ``flows`` (every
flow, as flows.csv), ``flows by province`` (orders and cost per province and regime), ``cost
breakdown`` (USD per year per term, share) and ``KPIs`` (one number per row, with its unit);
``stock pools`` with SKU classes. Each sheet has its header frozen and a filter on every column;
no cell holds a dict or a list. Codes stay as in the CSV files (for programs) and the names the
report uses sit beside them (model.report.display). The numbers are those of summary.json, sites.csv and
flows.csv, not rounded: the formats only change how Excel shows them.
"""
from __future__ import annotations

import pandas as pd

from model.core.names import with_names, zone_names
from model.io.run_identity import value_text
from model.report.display import LEG_NAMES, mode_name, regimes_name, term_name
from model.report.xlsx_format import format_sheet

SHEETS = ("summary", "inputs changed", "sites", "flows", "flows by province", "cost breakdown", "KPIs")

#: sites.csv column -> header with its unit
SITE_HEADERS = {"lat": "lat (deg)", "lon": "lon (deg)", "capacity_orders": "capacity (orders/year)",
                "throughput_orders": "throughput (orders/year)", "utilisation": "utilisation (share)",
                "fixed_cost_usd": "fixed cost (USD/year)", "compliance_cost_usd": "compliance cost (USD/year)"}

#: flows.csv column -> header with its unit (every cost-term column is USD/year)
FLOW_HEADERS = {"orders": "orders (orders/year)", "kg": "kg (kg/year)", "km": "km (km)",
                "lead_hours": "lead time (hours)", "usd_per_order": "cost per order (USD/order)",
                "cost_usd": "cost (USD/year)", "duty_usd": "duty (USD/year)", "vat_usd": "VAT (USD/year)",
                "tax_at_entry_usd": "taxes paid at entry (USD/year)", "co2_t": "CO2 (t CO2e/year)"}

def _unit(key: str) -> str:
    """The unit of a KPI from its name's suffix."""
    for suffix, unit in (("_usd", "USD/year"), ("_hours", "hours"), ("_share", "share of orders"),
                         ("_orders", "orders/year"), ("_kg_per_order", "kg CO2e per order"), ("_t", "t CO2e/year"),
                         ("_days", "days")):
        if key.endswith(suffix):
            return unit
    return ""


def kpi_unit(path: list[str]) -> str:
    """The unit of one flattened KPI, from its path (``lead_time_days_by_mode.bonded.carried.p95`` -> days)."""
    leaf = path[-1]
    if leaf == "orders":
        return "orders/year"
    if leaf == "coverage":
        return "share of orders"
    for part in reversed(path):
        if part == "effective_tax_rate":
            return "share of sale value"
        if part.startswith("mode_share") or part == "share_within_target":
            return "share of orders"
        if part.startswith("co2_t"):
            return "t CO2e/year"
        if part.startswith("lead_time_days"):
            return "days"
        if part.endswith("_usd") or part.startswith("tax_revenue_usd"):
            return "USD/year"
        if unit := _unit(part):
            return unit
    return ""


def _words(part: str) -> str:
    return mode_name(part) if part in ("bonded", "general_trade", "direct_mail", "cbec_direct", "unmet") else \
        part.replace("_", " ")


def flatten_kpis(kpis: dict) -> tuple[list[tuple[str, str, object, str]], list[dict]]:
    """(rows, lists): one row per number (``key`` dotted, ``name`` in words, ``value``, ``unit``),
    nested dicts walked to their leaves; each list (``stock_pools.pools``) is returned as a table of
    its own and counted in one row."""
    rows, tables = [], []

    def walk(path, v):
        if isinstance(v, dict):
            for k, x in v.items():
                walk([*path, str(k)], x)
        elif isinstance(v, (list, tuple)):
            tables.extend(x for x in v if isinstance(x, dict))
            rows.append((".".join(path), " / ".join(map(_words, path)) + " (count; sheet 'stock pools')", len(v),
                         "pools"))
        else:
            rows.append((".".join(path), " / ".join(map(_words, path)), v, kpi_unit(path)))

    for k, v in (kpis or {}).items():
        walk([k], v)
    return rows, tables


def summary_sheet(summary: dict) -> pd.DataFrame:
    changes = sorted(summary.get("changes") or [], key=lambda r: not r.get("set_here"))  # --set first
    rows = [("run", summary.get("run") or summary.get("scenario"), ""), ("scenario", summary.get("scenario"), ""),
            ("input hash", summary.get("input_hash"), "")]
    rows += [(f"parameter {r['parameter']}" + (" (set for this run)" if r.get("set_here") else ""),
              value_text(r["value"]), r["unit"]) for r in changes]  # all of them: sheet 'inputs changed'
    rows += [("method", summary.get("method", "exact"), ""), ("status", summary.get("status"), ""),
             ("total cost", summary.get("objective"), "USD/year"), ("best bound", summary.get("bound"), "USD/year"),
             ("relative gap reached", summary.get("gap"), "share"),
             ("relative gap asked", (summary.get("solver") or {}).get("mip_rel_gap"), "share"),
             ("demand", summary.get("total_demand_orders"), "orders/year"),
             ("sites opened", len(summary.get("sites_opened") or []), "sites")]
    rows += [(f"share {mode_name(m)}", v, "share of orders") for m, v in (summary.get("mode_share") or {}).items()]
    rows += [("share not served", summary.get("unmet_share"), "share of orders"),
             ("build time", summary.get("build_seconds"), "s"),
             ("Lagrangian method time" if summary.get("method") == "lagrangian" else "HiGHS time",
              summary.get("solve_seconds"), "s")]
    return pd.DataFrame(rows, columns=["item", "value", "unit"])


def inputs_sheet(summary: dict) -> pd.DataFrame:
    """Every parameter that differs from the scenario file or the shipped defaults (values as typed)."""
    return pd.DataFrame([{"parameter": r["parameter"], "this run": value_text(r["value"]),
                          "scenario file": value_text(r["scenario_file"]),
                          "shipped default": value_text(r["shipped_default"]), "unit": r["unit"],
                          "set for this run": bool(r.get("set_here"))}
                         for r in sorted(summary.get("changes") or [], key=lambda r: not r.get("set_here"))],
                        columns=["parameter", "this run", "scenario file", "shipped default", "unit",
                                 "set for this run"])


def sites_sheet(result) -> pd.DataFrame:
    """sites.csv (same columns, same values; headers with units), the regimes held in words beside their codes."""
    df = with_names(result.sites, result.scenario)
    if "regimes_held" in df.columns:
        df.insert(df.columns.get_loc("regimes_held") + 1, "regimes held (names)", df["regimes_held"].map(regimes_name))
    return df.rename(columns=SITE_HEADERS)


def flows_sheet(result) -> pd.DataFrame:
    """flows.csv (same rows and values), the regime and leg in words beside their codes."""
    df = with_names(result.flows, result.scenario)
    if len(df):
        df.insert(df.columns.get_loc("mode") + 1, "regime", df["mode"].map(mode_name))
        df.insert(df.columns.get_loc("leg") + 1, "leg (words)", df["leg"].map(lambda x: LEG_NAMES.get(x, x)))
    terms = {c: f"{c} (USD/year)" for c in df.columns if c.endswith(("_cost", "_penalty"))}
    return df.rename(columns={**FLOW_HEADERS, **terms})


def flows_by_province(result) -> pd.DataFrame:
    """Per province and mode: orders (the serving legs: outbound, parcel, unmet), kg and the cost
    of every leg ending or starting there (USD/year), from flows.csv."""
    f = result.flows
    cols = ["zone", "zone_name", "mode", "regime", "orders (orders/year)", "kg (kg/year)",
            "cost of the serving leg (USD/year)"]
    if not len(f):
        return pd.DataFrame(columns=cols)
    serving = f[f["leg"].isin(["outbound", "parcel", "unmet"])]
    by = serving.groupby(["zone", "mode"], as_index=False)[["orders", "kg", "cost_usd"]].sum()
    by = by.sort_values(["zone", "orders"], ascending=[True, False])
    names = zone_names(result.scenario)
    by.insert(1, "zone_name", by["zone"].astype(str).map(names).fillna(""))
    by.insert(3, "regime", by["mode"].map(mode_name))
    return by.rename(columns={"orders": "orders (orders/year)", "kg": "kg (kg/year)",
                              "cost_usd": "cost of the serving leg (USD/year)"}).reset_index(drop=True)[cols]


def cost_sheet(summary: dict) -> pd.DataFrame:
    cb = summary.get("cost_breakdown") or {}
    obj = summary.get("objective") or 0.0
    return pd.DataFrame({"term": list(cb), "name": [term_name(t) for t in cb], "cost (USD/year)": list(cb.values()),
                         "share of total (share)": [v / obj if obj else None for v in cb.values()]})


def kpi_sheet(summary: dict) -> pd.DataFrame:
    rows, _ = flatten_kpis(summary.get("kpis") or {})
    return pd.DataFrame(rows, columns=["KPI", "name", "value", "unit"])


def stock_pool_sheet(summary: dict) -> pd.DataFrame | None:
    _, pools = flatten_kpis(summary.get("kpis") or {})
    if not pools:
        return None
    df = pd.DataFrame(pools)
    if "mode" in df.columns:
        df.insert(df.columns.get_loc("mode") + 1, "regime", df["mode"].map(mode_name))
    return df.rename(columns={"throughput_orders": "throughput (orders/year)",
                              "stock_cost_pwl_usd": "stock cost as modelled (USD/year)",
                              "stock_cost_exact_usd": "stock cost exactly (USD/year)"})


def workbook_tables(result) -> dict[str, pd.DataFrame]:
    """Sheet name -> table, in :data:`SHEETS` order (``stock pools`` last, with SKU classes)."""
    s = result.summary
    tables = {"summary": summary_sheet(s), "inputs changed": inputs_sheet(s), "sites": sites_sheet(result),
              "flows": flows_sheet(result), "flows by province": flows_by_province(result),
              "cost breakdown": cost_sheet(s), "KPIs": kpi_sheet(s)}
    pools = stock_pool_sheet(s)
    if pools is not None:
        tables["stock pools"] = pools
    return tables


def write_workbook(result, path) -> None:
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        for name, df in workbook_tables(result).items():
            df.to_excel(xl, sheet_name=name, index=False)
            format_sheet(xl.sheets[name], df)
