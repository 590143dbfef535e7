"""Memory guard: the model's size estimated from the tables before anything large is built.

A valid 1-million-row demand file ran out of memory (ArrowMemoryError at 8.4 GB) after 48 s of
building arc tables. Before the arc tables are built, :func:`estimate` counts the arcs the tables
imply (every demand row x every origin sourcing its product x every site that may open: an upper
bound of the outbound arcs, which dominate) and prices them with two measured rates:

- the exact path: :data:`model.lagrangian_run.EXACT_GB_PER_MILLION_VARIABLES` per million
  variables (one variable per arc; docs/performance.md, benchmark table);
- the arc tables alone (what the Lagrangian method holds): :data:`ARC_TABLE_BYTES` per arc.

:func:`guard` compares them with the memory available now (``MemAvailable`` of /proc/meminfo)
and routes the exact path to the Lagrangian method when the scenario is in its scope and its
tables fit, or refuses (exit 2) with the estimate and the options. Where the available memory is
unknown (not Linux), nothing is refused.
"""
from __future__ import annotations

from pathlib import Path

from model.methods.lagrangian_run import exact_memory_gb

#: Bytes per arc while the arc tables are built (the frames hold ~200 B per row; merges and the
#: cost columns hold a few copies at once): a deliberately high rate for a guard.
ARC_TABLE_BYTES = 2_000
#: Share of the available memory a run may plan to use (the rest: Python, HiGHS, the OS).
USABLE_SHARE = 0.8


class MemoryRefused(ValueError):
    """A scenario whose estimated memory exceeds what the machine has available."""


def available_bytes() -> float | None:
    """MemAvailable of /proc/meminfo in bytes, or None where unknown."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return float(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def estimate(scenario) -> dict:
    """{'arcs', 'exact_gb', 'arc_tables_gb'} from the tables alone (no arc is built): demand rows
    x origins sourcing their product x (sites that are not forced closed + 1 for direct mail)."""
    t = scenario.tables
    demand_per_product = t["demand"].groupby("product").size()
    origins_per_product = t["sourcing"].groupby("product").size()
    rows = float((demand_per_product * origins_per_product.reindex(demand_per_product.index).fillna(0)).sum())
    sites = t["sites"]
    open_sites = int((~sites["force_closed"].astype(bool)).sum()) if "force_closed" in sites else len(sites)
    arcs = rows * (open_sites + 1)
    return {"arcs": arcs, "exact_gb": exact_memory_gb(arcs),
            "arc_tables_gb": ARC_TABLE_BYTES * arcs / 1e9}


def guard(scenario, method: str, refused_by_lagrangian: list[str], available: float | None = None
          ) -> tuple[str, str | None]:
    """(method to use, a line saying why it changed or None). ``method``: exact | lagrangian | auto;
    ``refused_by_lagrangian``: what keeps the scenario out of the Lagrangian method's scope
    (model.lagrangian_run.refusals). Raises MemoryRefused with the estimate and the options."""
    available = available_bytes() if available is None else available
    if available is None:
        return method, None
    usable_gb = USABLE_SHARE * available / 1e9
    e = estimate(scenario)
    size = (f"about {e['arcs']:,.0f} arcs: the exact model needs about {e['exact_gb']:,.1f} GB, the arc tables "
            f"alone about {e['arc_tables_gb']:,.1f} GB; {usable_gb:,.1f} GB usable of {available / 1e9:,.1f} GB "
            "available")
    if e["arc_tables_gb"] > usable_gb:
        raise MemoryRefused(f"scenario '{scenario.name}' is too large for this machine ({size}): nothing was "
                            "built. Options: fewer demand rows (aggregate zones or products), fewer candidate "
                            "sites (force_closed in sites.csv), or a machine with more memory")
    if method == "lagrangian" or e["exact_gb"] <= usable_gb:
        return method, None
    if refused_by_lagrangian:
        raise MemoryRefused(f"scenario '{scenario.name}' is too large for the exact model on this machine ({size}), "
                            "and the Lagrangian method cannot take it (" + "; ".join(refused_by_lagrangian) + "). "
                            "Options: change those settings and use --method lagrangian, fewer demand rows or "
                            "candidate sites, or a machine with more memory")
    return "lagrangian", (f"memory guard: the exact model would not fit ({size}); solving by the Lagrangian "
                          "method instead (a certified gap, the full model never built)")
