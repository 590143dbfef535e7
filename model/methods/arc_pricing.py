"""Solve a very large instance on a few arcs per zone, with a lower bound valid for *all* arcs.

A commune-level instance has one outbound arc per (stock mode, site, zone, origin, product):
3,300 zones x 60 sites x 48 (origin, product) pairs is 9.5 million arcs, too many for Pyomo and
HiGHS in minutes. Most of them are never used: a commune is served from one of its nearest
sites. This module solves the model on a restricted arc set and **proves** how far its answer
can be from the optimum of the full model, by LP duality (column generation's pricing step):

1. Start with each zone's arcs to its ``nearest`` sites by road km (``keep``).
2. Solve the LP relaxation of the restricted model (binaries in [0, 1]); take its row duals
   ``pi`` (HiGHS: reduced cost ``rc_j = c_j - sum_i a_ij pi_i``).
3. Price every arc of the full model: ``rc_a = c_a - s_d pi_demand[c,o,p] - s_b pi_balance[m,k,o,p]
   - s_k pi_capacity[k] (- service and CO2 rows when present)``, the signs ``s`` read from the
   built rows. A balance or capacity row that the restricted model lacks gets the dual that keeps
   every column of that row dual-feasible (0 for capacity; for a balance row the least reduced
   cost of its inbound arcs).
4. Weak duality gives a lower bound on the full LP, hence on the full MIP:

       full_lp_bound = LP(restricted) + sum over excluded arcs a of min(0, rc_a) x demand[c,o,p]

   (every arc's flow is at most its zone's demand, by ``demand_balance``; a new arc's
   ``strong_linking`` row gets dual 0). The bound holds whether or not pricing converged.
5. Add the arcs with ``rc_a < -tolerance`` and repeat, until none is left, or the bound is within
   ``stop_gap`` of the restricted LP (``(LP - bound) / LP``; default a quarter of the MIP gap, so
   pricing spends little of the gap budget), or ``max_rounds``.
6. Solve the MIP on the final arc set. Its incumbent is feasible for the full model (a subset of
   its arcs), so ``certified_gap = (objective - full_lp_bound) / objective`` is a true gap to
   the full model's optimum. (The MIP's own bound holds for the restricted model only.)

Checked on every round: the reduced costs computed here for the arcs in the model must agree
with HiGHS's LP optimum (none below -tolerance, about 0 on arcs with flow), else it raises.
One period only; not with single sourcing (its binaries per arc are not priced here).
"""
from __future__ import annotations

import dataclasses
import logging
import time

import numpy as np
import pandas as pd
from pyomo.repn import generate_standard_repn

from model.formulation import create_model
from model.inputs.build import ModelInputs
from model.io import terms
from model.solving.highs import SolveReport, SolverOptions, solve_lp_duals, solve_model

log = logging.getLogger(__name__)

BALANCE_KEY = ["mode", "site", "origin", "product"]


def per_order_cost(arcs: pd.DataFrame, family: str) -> np.ndarray:
    """Objective coefficient of each arc of a flow family (USD per order): the sum of its columns
    that the objective prices (model/attrs/terms.csv)."""
    cols = [col for col in terms.columns(family) if col in arcs]
    return arcs[cols].to_numpy(dtype=float).sum(axis=1)


def restrict(full: ModelInputs, keep: np.ndarray) -> ModelInputs:
    """``full`` with only the outbound arcs where ``keep`` is true, and the inbound arcs they need."""
    out = full.outbound_arcs[keep].reset_index(drop=True)
    keys = out[BALANCE_KEY].drop_duplicates()
    inb = full.inbound_arcs.merge(keys, on=BALANCE_KEY, how="inner")
    return dataclasses.replace(full, outbound_arcs=out, inbound_arcs=inb)


def nearest_mask(full: ModelInputs, nearest: int) -> np.ndarray:
    """True on the outbound arcs from each zone's ``nearest`` sites by road km (all modes, origins, products)."""
    pairs = full.outbound_arcs[["zone", "site", "km"]].drop_duplicates(["zone", "site"])
    rank = pairs.groupby("zone")["km"].rank(method="first")
    near = pairs.loc[rank <= nearest, ["zone", "site"]].assign(_near=True)
    flag = full.outbound_arcs[["zone", "site"]].merge(near, on=["zone", "site"], how="left")["_near"]
    return flag.fillna(False).to_numpy(dtype=bool)


def _sign(con, var) -> float:
    """Coefficient of ``var`` in the row HiGHS receives for ``con`` (Pyomo writes the body as it is)."""
    repn = generate_standard_repn(con.body, compute_values=True)
    for v, c in zip(repn.linear_vars, repn.linear_coefs):
        if v is var:
            return float(c)
    raise RuntimeError(f"{var.name} is not in {con.name}")


@dataclasses.dataclass
class PricedSolve:
    """Result of :func:`solve_with_arc_pricing` (USD per year, seconds)."""

    model: object                 # the final restricted Pyomo model, holding the MIP solution
    inputs: ModelInputs           # its arc tables
    report: SolveReport           # HiGHS's MIP report on the restricted model
    full_lp_bound: float          # lower bound on the full model's optimum
    certified_gap: float | None   # (objective - full_lp_bound) / objective
    rounds: list                  # one dict per pricing round
    arcs_full: int
    arcs_kept: int
    pricing_seconds: float        # restricted builds + LP solves + pricing, before the MIP
    build_seconds: float          # Pyomo build of the final restricted model


class _Pricer:
    """Reduced costs of every outbound arc of ``full`` against the duals of a restricted LP."""

    def __init__(self, full: ModelInputs):
        self.full = full
        out = full.outbound_arcs
        self.cost = per_order_cost(out, "outbound")
        dem = full.demand.reset_index(drop=True)
        self.demand_row = out[["zone", "origin", "product"]].merge(
            dem[["zone", "origin", "product"]].reset_index(), on=["zone", "origin", "product"], how="left")["index"]
        if self.demand_row.isna().any():
            raise ValueError("an outbound arc has no demand row")
        self.demand_row = self.demand_row.to_numpy(dtype=np.int64)
        self.demand = dem["orders"].to_numpy(dtype=float)
        self.balance_code, balance_keys = pd.MultiIndex.from_frame(out[BALANCE_KEY]).factorize()
        self.balance_keys = list(balance_keys)
        self.site_code, self.site_keys = pd.factorize(out["site"])
        self.fast = (out["lead_hours"] <= full.service_target_hours).to_numpy()
        self.scope = out["zone"].to_numpy() if full.service_per_zone else None
        self.co2 = out["co2_kg"].to_numpy(dtype=float) / 1000.0 if "co2_kg" in out else np.zeros(len(out))
        inb = full.inbound_arcs
        self.in_cost = per_order_cost(inb, "inbound")
        self.in_co2 = inb["co2_kg"].to_numpy(dtype=float) / 1000.0 if "co2_kg" in inb else np.zeros(len(inb))
        self.in_keys = list(inb[BALANCE_KEY].itertuples(index=False, name=None))

    def reduced_costs(self, m, duals: dict, kept: np.ndarray) -> np.ndarray:
        """rc of every full arc (strong_linking duals included for the kept arcs)."""
        out_keys = list(m.OUTBOUND_ARCS)  # the kept arcs, in the table's order (restrict keeps it)
        a0 = out_keys[0]
        x0 = m.outbound[a0]
        s_d = _sign(m.demand_balance[a0[2], a0[3], a0[4]], x0)
        bal0 = m.site_flow_balance[a0[0], a0[1], a0[3], a0[4]]
        s_b = _sign(bal0, x0)
        in0 = next(a for a in m.INBOUND_ARCS if (a[0], a[3], a[1], a[4]) == (a0[0], a0[1], a0[3], a0[4]))
        s_bin = _sign(bal0, m.inbound[in0])
        s_k = _sign(m.throughput_capacity[a0[1]], x0)

        pi_d = np.array([duals.get(m.demand_balance[d], 0.0) for d in m.DEMAND])
        rc = self.cost - s_d * pi_d[self.demand_row]

        # CO2 cap and service rows (one each, or one per zone)
        pi_co2 = s_co2 = 0.0
        if hasattr(m, "co2_cap"):
            pi_co2 = duals.get(m.co2_cap, 0.0)
            s_co2 = 1.0 if _sign(m.co2_cap, x0) >= 0 else -1.0
            rc -= s_co2 * pi_co2 * self.co2
        if hasattr(m, "service_level"):
            z0 = next(iter(m.service_level))
            fast_arc = next((a for a, f in zip(out_keys, self.fast[kept]) if f), None)
            s_svc = 1.0 if fast_arc is None else _sign(
                m.service_level[fast_arc[2] if self.scope is not None else z0], m.outbound[fast_arc])
            if self.scope is None:
                pi_svc = np.full(len(rc), duals.get(m.service_level[z0], 0.0))
            else:
                by_zone = {z: duals.get(m.service_level[z], 0.0) for z in m.service_level}
                pi_svc = pd.Series(self.scope).map(by_zone).fillna(0.0).to_numpy()
            rc -= np.where(self.fast, s_svc * pi_svc, 0.0)

        # balance rows: the model's dual, or for a row it lacks the one that prices its inbound arcs at >= 0
        in_rc = self.in_cost - s_co2 * pi_co2 * self.in_co2
        least_in: dict = {}
        for key, v in zip(self.in_keys, in_rc):
            least_in[key] = min(v, least_in.get(key, np.inf))
        pi_b = np.empty(len(self.balance_keys))
        for i, key in enumerate(self.balance_keys):
            if key in m.site_flow_balance:
                pi_b[i] = duals.get(m.site_flow_balance[key], 0.0)
            else:  # rc_in = c_in - s_bin pi >= 0 for every inbound arc of the row
                pi_b[i] = least_in[key] / s_bin if key in least_in else np.nan
        rc -= s_b * pi_b[self.balance_code]
        rc[np.isnan(rc)] = np.inf  # no inbound arc for the row: the outbound arc can carry nothing

        pi_k = np.array([duals.get(m.throughput_capacity[k], 0.0) if k in m.throughput_capacity else 0.0
                         for k in self.site_keys])
        rc -= s_k * pi_k[self.site_code]

        if hasattr(m, "strong_linking"):
            s_l = _sign(m.strong_linking[a0], x0)
            sl = np.array([duals.get(m.strong_linking[a], 0.0) for a in out_keys])
            rc[kept] -= s_l * sl
        return rc

    def check_kept(self, m, rc: np.ndarray, kept: np.ndarray, tol: float) -> None:
        """Dual feasibility and complementary slackness of the arcs in the model, as HiGHS found them."""
        x = np.array([m.outbound[a].value or 0.0 for a in m.OUTBOUND_ARCS])
        r = rc[kept]
        worst_neg = float(r.min()) if len(r) else 0.0
        used = x > 1e-6 * np.maximum(1.0, self.demand[self.demand_row[kept]])
        worst_used = float(np.abs(r[used]).max()) if used.any() else 0.0
        if worst_neg < -tol or worst_used > tol:
            raise RuntimeError(f"arc pricing check failed: reduced costs of arcs in the model disagree with "
                               f"HiGHS's LP optimum (least {worst_neg:.3g}, largest |rc| on a used arc "
                               f"{worst_used:.3g}, tolerance {tol:g} USD/order)")


def solve_with_arc_pricing(full: ModelInputs, options: SolverOptions | None = None, nearest: int = 5,
                           max_rounds: int = 10, tolerance: float = 1e-4,
                           max_added_per_round: int = 500_000, stop_gap: float | None = None) -> PricedSolve:
    """Solve ``full`` (from :func:`model.formulation.build_inputs`) on a priced arc subset (module docstring).

    ``nearest``: sites per zone to start with; ``tolerance``: USD per order below which a negative
    reduced cost brings its arc in (smaller ones are still charged to the bound);
    ``max_added_per_round``: the most negative arcs added per round; ``stop_gap``: see the module
    docstring (0 = price until no arc is negative).
    """
    if full.periods != 1:
        raise ValueError("arc pricing is for the one-period model (periods = 1)")
    if full.single_sourcing:
        raise ValueError("arc pricing does not price single-sourcing binaries (service.single_sourcing = 1)")
    if full.stock_segments is not None:
        raise ValueError(
            "arc pricing does not price SKU-class pools (stock.sku_classes = 1): set stock.sku_classes = 0"
        )
    options = options or SolverOptions()
    stop_gap = options.mip_rel_gap / 4 if stop_gap is None else stop_gap
    t0 = time.perf_counter()
    pricer = _Pricer(full)
    keep = nearest_mask(full, nearest)
    rounds = []
    while True:
        tb = time.perf_counter()
        inputs = restrict(full, keep)
        m = create_model(inputs)
        tl = time.perf_counter()
        lp, duals = solve_lp_duals(m, SolverOptions(threads=options.threads), relax_integers=True)
        if lp.status != "optimal":  # duals of a stopped LP prove nothing
            raise RuntimeError(f"arc pricing: the restricted LP relaxation has no solution ({lp.status})")
        tp = time.perf_counter()
        rc = pricer.reduced_costs(m, duals, keep)
        pricer.check_kept(m, rc, keep, tolerance)
        excluded = ~keep
        bound = lp.objective + float(np.sum(np.minimum(rc[excluded], 0.0) * pricer.demand[pricer.demand_row[excluded]]))
        negative = np.flatnonzero(excluded & (rc < -tolerance))
        rounds.append({"round": len(rounds) + 1, "arcs": int(keep.sum()), "lp_objective": lp.objective,
                       "full_lp_bound": bound, "negative_arcs": int(len(negative)),
                       "build_s": tl - tb, "lp_s": tp - tl, "pricing_s": time.perf_counter() - tp})
        log.info("arc pricing round %d: %d arcs, LP %.6g, full-model bound %.6g, %d arcs price negative "
                 "(build %.1f s, LP %.1f s)", len(rounds), keep.sum(), lp.objective, bound, len(negative),
                 tl - tb, tp - tl)
        within = (lp.objective - bound) <= stop_gap * max(abs(lp.objective), 1e-10)
        if not len(negative) or within or len(rounds) >= max_rounds:
            break
        if len(negative) > max_added_per_round:
            negative = negative[np.argsort(rc[negative])[:max_added_per_round]]
        keep = keep.copy()
        keep[negative] = True
    t1 = time.perf_counter()
    report = solve_model(m, options)
    gap = None
    if report.objective is not None:
        gap = max(0.0, (report.objective - bound) / max(abs(report.objective), 1e-10))
    return PricedSolve(m, inputs, report, bound, gap, rounds, len(keep), int(keep.sum()), t1 - t0,
                       rounds[-1]["build_s"])
