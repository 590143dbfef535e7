"""``service_level``: the share of orders delivered within the lead-time target, one rule for the
one-period and the monthly model (docs/formulation.md)."""
from __future__ import annotations

from collections import defaultdict

import pyomo.environ as pyo


def add_service_level(m, inputs, out_keys, dir_keys, demand: dict,
                      out_flows=None, dir_flows=None) -> None:
    """``service_level[z]``: orders delivered within the target >= min_share x demand (z = zone or
    'national'), the same rule for the one-period and the monthly model.

    ``demand`` maps keys whose first item is the zone to orders; ``out_flows(a)`` / ``dir_flows(a)``
    list the flow expressions of an outbound / direct arc (default: its one variable).
    """
    out_flows = out_flows or (lambda a: [m.outbound[a]])
    dir_flows = dir_flows or (lambda a: [m.direct[a]])
    target, share = inputs.service_target_hours, inputs.service_min_share
    fast, total = defaultdict(list), defaultdict(float)
    scope = (lambda c: c) if inputs.service_per_zone else (lambda c: "national")
    for a, lead in zip(out_keys, inputs.outbound_arcs["lead_hours"]):
        if lead <= target:
            fast[scope(a[2])] += out_flows(a)
    for a, lead in zip(dir_keys, inputs.direct_arcs["lead_hours"]):
        if lead <= target:
            fast[scope(a[3])] += dir_flows(a)
    for d, v in demand.items():
        total[scope(d[0])] += v
    m.SERVICE_SCOPES = pyo.Set(initialize=sorted(total), ordered=True)
    m.service_level = pyo.Constraint(m.SERVICE_SCOPES, rule=lambda m, z: sum(fast[z]) >= share * total[z])
