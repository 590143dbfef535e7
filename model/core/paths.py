"""Where the package, its declared attributes and the project's folders are (one place, so a
module's depth in the package does not decide where it reads or writes)."""
from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]
#: the attribute tables declared as data (model/attrs/*.csv)
ATTRS_DIR = PACKAGE_DIR / "attrs"
#: the repository checkout (data/, results/, scenarios/ sit beside model/)
PROJECT_DIR = PACKAGE_DIR.parent
DEFAULT_DATA_DIR = PROJECT_DIR / "data"
RESULTS_DIR = PROJECT_DIR / "results"
SCENARIOS_DIR = PROJECT_DIR / "scenarios"
