"""Names beside codes: province (zone) and site names for the tables and texts a planner reads."""
from __future__ import annotations

import pandas as pd


def zone_names(scenario) -> dict[str, str]:
    """Province code -> its Vietnamese name (provinces.csv ``name_vi``, else ``name_ascii``)."""
    p = scenario.tables["provinces"]
    col = "name_vi" if "name_vi" in p.columns else "name_ascii"
    return dict(zip(p["code"].astype(str), p[col].astype(str)))


def site_names(scenario) -> dict[str, str]:
    """Site id -> its name (sites.csv ``name``)."""
    s = scenario.tables["sites"]
    return dict(zip(s["site"].astype(str), s["name"].astype(str)))


def named(code, names: dict) -> str:
    """'79 Hồ Chí Minh': the code, then its name when one is known and differs from the code."""
    name = names.get(str(code))
    return f"{code} {name}" if name and name != str(code) else str(code)


def with_names(df: pd.DataFrame, scenario) -> pd.DataFrame:
    """A copy of ``df`` with a name column right after each code column it has:
    ``province`` -> ``province_name``, ``zone`` -> ``zone_name``, ``site`` -> ``site_name``
    (not when the table already holds the site's ``name``). Unknown codes get ''."""
    out = df.copy()
    zones, sites = zone_names(scenario), site_names(scenario)
    for col, names, new in (("province", zones, "province_name"), ("zone", zones, "zone_name"),
                            ("site", sites, "site_name")):
        if col not in out.columns or new in out.columns or (col == "site" and "name" in out.columns):
            continue
        values = out[col].astype(str).map(names).fillna("")
        out.insert(out.columns.get_loc(col) + 1, new, values.where(out[col].notna() & (out[col] != ""), ""))
    return out


def zone_regions(scenario) -> dict[str, str]:
    """Province code -> its socio-economic region (provinces.csv ``region``; {} without the column)."""
    p = scenario.tables["provinces"]
    if "region" not in p.columns:
        return {}
    return dict(zip(p["code"].astype(str), p["region"].astype(str)))
