import os
import sys
from pathlib import Path

from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).parent))

# Hypothesis example counts, one place (tests/test_properties.py is the only user). Every example
# there is a solve or a run of solve.py's main (0.2-0.3 s each), so the count decides the suite's time.
#   suite     (default) 12 examples per property, 4 x that for the corrupted-input fuzzer: each
#             known seeded bug (tests/test_properties.py docstring) is still caught;
#   thorough  100 per property, 400 fuzzed files (several minutes): before a release, after a change
#             of the formulation, or to hunt:  python -m pytest tests/test_properties.py
#             --hypothesis-profile=thorough  (or HYPOTHESIS_PROFILE=thorough).
# Both derandomized and without an example database: the same examples on every machine and run.
_COMMON = dict(deadline=None, derandomize=True, database=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("suite", max_examples=12, **_COMMON)
settings.register_profile("thorough", max_examples=100, **_COMMON)
#   fuzz1000  250 per property, so 1,000 fuzzed files for the corrupted-input fuzzer (issue 31's run):
#             HYPOTHESIS_PROFILE=fuzz1000 python -m pytest tests/test_properties.py tests/test_untrusted.py -k fuzz
#             (the corrupted-input part alone: python -m pytest -m slow -k thousand tests/test_properties.py)
settings.register_profile("fuzz1000", max_examples=250, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))  # --hypothesis-profile NAME wins

