"""Decision insight beyond one optimum (docs/insight.md).

- :func:`find_alternatives`: other site sets within a fraction of the optimal cost (no-good cuts);
- :func:`find_breakeven`: values of a parameter at which the network changes (bisection);
- :func:`site_regret`: cost of forcing each site open / closed (parallel re-solves);
- :func:`shadow_prices`: LP duals of capacity, demand and service rows with the sites fixed.

Each has a command: ``python solve.py alternatives|breakeven|regret`` (``main(argv)`` of the
module of the same name), which writes its tables and a section of summary.json, report.md
and map.html into results/<scenario>/<command>/ (never over the base run).
"""
from model.io.scenario import with_parameters
from model.studies.alternatives import find_alternatives
from model.studies.breakeven import find_breakeven
from model.studies.common import INSIGHT_GAP, SiteRules, summarise
from model.studies.regret import site_regret
from model.studies.shadow import shadow_prices

__all__ = ["INSIGHT_GAP", "SiteRules", "find_alternatives", "find_breakeven", "shadow_prices", "site_regret",
           "summarise", "with_parameters"]
