"""Decision insight beyond one optimum (docs/insight.md).

- :func:`find_alternatives`: other site sets within a fraction of the optimal cost (no-good cuts);
- :func:`find_breakeven`: values of a parameter at which the network changes (bisection);
- :func:`site_regret`: cost of forcing each site open / closed (parallel re-solves);
- :func:`shadow_prices`: LP duals of capacity, demand and service rows with the sites fixed.

Each has a command: ``python solve.py alternatives|breakeven|regret`` (``main(argv)`` of the
module of the same name), which writes its tables and a section of summary.json, report.md
and map.html into results/<scenario>/<command>/ (never over the base run).
"""
from .alternatives import find_alternatives
from .breakeven import find_breakeven
from .common import INSIGHT_GAP, SiteRules, summarise, with_parameters
from .regret import site_regret
from .shadow import shadow_prices

__all__ = ["INSIGHT_GAP", "SiteRules", "find_alternatives", "find_breakeven", "shadow_prices", "site_regret",
           "summarise", "with_parameters"]
