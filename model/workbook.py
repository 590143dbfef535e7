"""results.xlsx: the run in one workbook a planner can open and pass on (pandas + openpyxl).

Sheets, one table each, units in the column headers:
``summary`` (status, cost, gap, demand, shares), ``sites`` (every candidate, as sites.csv),
``flows by province`` (orders and cost per province and mode), ``cost breakdown`` (USD per
year per term, share) and ``KPIs`` (each KPI with its unit). The numbers are the ones in
summary.json, sites.csv and flows.csv, not rounded.
"""
from __future__ import annotations

import pandas as pd

from .names import with_names, zone_names
from .outputs import cells_as_values

SHEETS = ("summary", "sites", "flows by province", "cost breakdown", "KPIs")

#: sites.csv column -> header with its unit
SITE_HEADERS = {"lat": "lat (deg)", "lon": "lon (deg)", "capacity_orders": "capacity (orders/year)",
                "throughput_orders": "throughput (orders/year)", "utilisation": "utilisation (share)",
                "fixed_cost_usd": "fixed cost (USD/year)"}


def _unit(key: str) -> str:
    """The unit of a KPI from its name's suffix."""
    for suffix, unit in (("_usd", "USD/year"), ("_hours", "hours"), ("_share", "share of orders"),
                         ("_orders", "orders/year"), ("_kg_per_order", "kg CO2e per order"), ("_t", "t CO2e/year"),
                         ("_days", "days")):
        if key.endswith(suffix):
            return unit
    return ""


def summary_sheet(summary: dict) -> pd.DataFrame:
    rows = [("scenario", summary.get("scenario"), ""), ("method", summary.get("method", "exact"), ""),
            ("status", summary.get("status"), ""),
            ("total cost", summary.get("objective"), "USD/year"), ("best bound", summary.get("bound"), "USD/year"),
            ("relative gap reached", summary.get("gap"), "share"),
            ("relative gap asked", (summary.get("solver") or {}).get("mip_rel_gap"), "share"),
            ("demand", summary.get("total_demand_orders"), "orders/year"),
            ("sites opened", len(summary.get("sites_opened") or []), "sites")]
    rows += [(f"{m.replace('_', ' ')} share", v, "share of orders") for m, v in (summary.get("mode_share") or {}).items()]
    rows += [("unmet share", summary.get("unmet_share"), "share of orders"),
             ("build time", summary.get("build_seconds"), "s"),
             ("Lagrangian method time" if summary.get("method") == "lagrangian" else "HiGHS time",
              summary.get("solve_seconds"), "s"),
             ("input hash", summary.get("input_hash"), "")]
    return pd.DataFrame(rows, columns=["item", "value", "unit"])


def sites_sheet(result) -> pd.DataFrame:
    return with_names(result.sites, result.scenario).rename(columns=SITE_HEADERS)


def flows_by_province(result) -> pd.DataFrame:
    """Per province and mode: orders (the serving legs: outbound, parcel, unmet), kg and the cost
    of every leg ending or starting there (USD/year), from flows.csv."""
    f = result.flows
    if not len(f):
        return pd.DataFrame(columns=["zone", "zone_name", "mode", "orders (orders/year)", "kg (kg/year)",
                                     "cost (USD/year)"])
    serving = f[f["leg"].isin(["outbound", "parcel", "unmet"])]
    by = serving.groupby(["zone", "mode"], as_index=False)[["orders", "kg", "cost_usd"]].sum()
    by = by.sort_values(["zone", "orders"], ascending=[True, False])
    names = zone_names(result.scenario)
    by.insert(1, "zone_name", by["zone"].astype(str).map(names).fillna(""))
    return by.rename(columns={"orders": "orders (orders/year)", "kg": "kg (kg/year)",
                              "cost_usd": "cost of the serving leg (USD/year)"}).reset_index(drop=True)


def cost_sheet(summary: dict) -> pd.DataFrame:
    cb = summary.get("cost_breakdown") or {}
    obj = summary.get("objective") or 0.0
    return pd.DataFrame({"term": list(cb), "cost (USD/year)": list(cb.values()),
                         "share of total (share)": [v / obj if obj else None for v in cb.values()]})


def kpi_sheet(summary: dict) -> pd.DataFrame:
    rows = []
    for k, v in (summary.get("kpis") or {}).items():
        if isinstance(v, dict):  # e.g. co2_t_by_mode
            rows += [(f"{k}.{kk}", vv, _unit(k)) for kk, vv in v.items()]
        else:
            rows.append((k, v, _unit(k)))
    return pd.DataFrame(rows, columns=["KPI", "value", "unit"])


def workbook_tables(result) -> dict[str, pd.DataFrame]:
    """Sheet name -> table, in :data:`SHEETS` order."""
    s = result.summary
    return {"summary": summary_sheet(s), "sites": sites_sheet(result), "flows by province": flows_by_province(result),
            "cost breakdown": cost_sheet(s), "KPIs": kpi_sheet(s)}


def write_workbook(result, path) -> None:
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        for name, df in workbook_tables(result).items():
            df.to_excel(xl, sheet_name=name, index=False)
            sheet = xl.sheets[name]
            cells_as_values(sheet)  # names from data are text, never formulas
            for col in sheet.columns:  # wide enough to read the header
                width = max(len(str(c.value)) if c.value is not None else 0 for c in col[:50])
                sheet.column_dimensions[col[0].column_letter].width = min(max(10, width + 2), 60)
