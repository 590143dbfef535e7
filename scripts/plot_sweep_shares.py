"""Share of orders by regime against one swept parameter, from a sweep's points.csv (docs/policy.md).

    python scripts/plot_sweep_shares.py results/<sweep>/points.csv policy.cbec_tax_factor docs/img/cbec_tax_factor_sweep.png
"""
from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from model import regimes  # noqa: E402


def main(points: str, key: str, out: str) -> None:
    p = pd.read_csv(points)
    p = p[p["status"].isin(["optimal", "time_limit"])].sort_values(key)
    fig, ax = plt.subplots(figsize=(7, 4))
    for md, r in regimes.REGISTRY.items():
        col = f"mode_share_{md}"
        if col in p and p[col].max() > 0:
            ax.plot(p[key], 100 * p[col], marker="o", color=r.colour, label=r.label)
    gaps = ", ".join(sorted({f"{g:.0e}" for g in p["gap"]}))
    ax.set_xlabel(key)
    ax.set_ylabel("share of orders (%)")
    ax.set_title(f"Regime split against {key} (default data; gap {gaps})")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=120)


if __name__ == "__main__":
    main(*sys.argv[1:4])
