"""docs/formulation.md names every Pyomo component of the models, and only components they have."""
import re
from pathlib import Path

import pyomo.environ as pyo
from tiny import tables, write

from model import load_scenario
from model.formulation import build_inputs, create_model
from model.network.roads import scenario_road_distances

DOC = Path(__file__).resolve().parents[1] / "docs" / "formulation.md"
SECTIONS = ("## Sets", "## Variables", "## Objective", "## Constraints", "## Monthly model")
KINDS = (pyo.Set, pyo.Var, pyo.Param, pyo.Expression, pyo.Constraint, pyo.Objective)


def _models(tmp_path):
    """The one-period model with every optional family, and both monthly variants."""
    over = {"modes.general_trade": 1, "policy.cbec_direct_purchase": 1, "service.min_share": 0.1,
            "service.single_sourcing": 1, "policy.max_sites": 2, "policy.co2_cap_t": 1e9}
    tabs = tables(demand={"01": 100.0, "02": 50.0}, sites={"S1": 10.0, "S2": 11.0}, vat=0.1,
                  levels=[("S1", "small", 1e6, 10.0, 5.0), ("S2", "small", 1e6, 10.0, 5.0)])
    folder = write(tmp_path / "d", tabs)
    out = []
    # the exemption's value limit (exempt_limit) in the one-period model: an order limit below the
    # 100 USD order value makes the eligible share < 1
    exempt = {"policy.cbec_regulatory_exemption": 1, "policy.cbec_order_limit_usd": 50}
    for extra in (exempt, {"periods": 12}, {"periods": 12, "stock.monthly_reassignment": 1}):
        sc = load_scenario(folder, overrides={**over, **extra})
        out.append(create_model(build_inputs(sc, scenario_road_distances(sc))))
    return out


def _components(models) -> set[str]:
    names = set()
    for m in models:
        for kind in KINDS:
            for c in m.component_objects(kind, descend_into=True):
                if not c.local_name.endswith("_index") and "_index_" not in c.local_name:
                    names.add(c.local_name)
    return names


def _doc_names() -> set[str]:
    """Identifiers in backticks in the first cell of the tables (and code blocks) of the model sections."""
    text = DOC.read_text(encoding="utf-8")
    names, keep = set(), False
    for line in text.splitlines():
        if line.startswith("## "):
            keep = line.startswith(SECTIONS)
            if keep and "`" in line:
                names |= set(re.findall(r"`([A-Za-z_]\w*)`", line))
            continue
        if not keep:
            continue
        if line.startswith("| `"):
            first = line.split("|")[1]
            names |= set(re.findall(r"`([A-Za-z_]\w*)(?:\[[^`]*\])?`", first))
        m = re.match(r"^([a-z_]+)\s+=", line)
        if m:
            names.add(m.group(1))
    return names


def test_every_component_is_in_the_doc_and_every_doc_name_in_the_model(tmp_path):
    comps = _components(_models(tmp_path))
    text = DOC.read_text(encoding="utf-8")
    missing = sorted(c for c in comps if f"`{c}`" not in text and f"`{c}[" not in text and f"\n{c} " not in text)
    assert not missing, f"components of the model that docs/formulation.md does not name: {missing}"
    extra = sorted(_doc_names() - comps)
    assert not extra, f"docs/formulation.md names components the models lack: {extra}"
