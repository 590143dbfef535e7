"""The parameter table of docs/policy.md, from model/attrs/parameter_keys.csv and data/parameters.csv.

    python scripts/parameter_table.py   # prints the Markdown table (paste it over the one in docs/policy.md)
"""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from model.io.scenario import parameter_keys  # noqa: E402


def parameter_table() -> str:
    keys = parameter_keys()
    data = pd.read_csv(ROOT / "data" / "parameters.csv", keep_default_na=False).set_index("key")
    lines = ["| key | unit | default value | what it does | source or reasoning |", "|---|---|---|---|---|"]
    for key, row in keys.iterrows():
        if key in data.index:
            value, source = data.at[key, "value"], f"data/parameters.csv: {data.at[key, 'source']}"
        else:
            value, source = row["default"], row["source"]
        cell = lambda x: str(x).replace("|", "/")  # noqa: E731
        lines.append(f"| `{key}` | {cell(row['unit'])} | {cell(value)} | {cell(row['description'])} | {cell(source)} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(parameter_table(), end="")
