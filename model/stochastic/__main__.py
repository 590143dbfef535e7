"""``python -m model.stochastic sweep ...``: the volatility sweep (model/stochastic/sweep.py)."""
import sys

from model.stochastic.sweep import main

if __name__ == "__main__":
    argv = sys.argv[1:]
    if not argv or argv[0] != "sweep":
        print("usage: python -m model.stochastic sweep [SCENARIO] --cv 0,0.3,0.6 --fx 0,0.1,0.2 (see --help)",
              file=sys.stderr)
        sys.exit(2)
    sys.exit(main(argv[1:]))
