"""Very large instances: a Lagrangian lower bound and a feasible plan, with a certified gap.

A commune-level instance has one outbound arc per (stock mode, site, zone, origin, product):
9.5 million for 3,300 zones, 60 sites and 48 (origin, product) pairs. The Pyomo model of that
does not fit in 24 GB, and HiGHS's LP of even a priced subset takes minutes per round
(docs/performance.md). The one-period model without service, CO2 or single-sourcing rows is
a capacitated facility location problem once each arc carries its cheapest inbound lane, and
the textbook method for those works on plain arrays:

**Path cost.** Arc ``a = (m, k, c, o, p)`` costs ``c_a`` = its outbound cost + the least
inbound cost (line-haul, trucking, financing) over the gateways of ``(m, o, k, p)``: inbound
lanes have no capacity, so an optimum uses the cheapest. Each demand row ``d = (c, o, p)`` has
the alternative ``alt_d`` = min(cheapest direct-mail lane, unmet penalty), which uses no site.
An arc with ``c_a >= alt_d`` is dropped: moving its flow to the alternative never costs more
and frees capacity, so the optimum is unchanged.

**Lower bound** (Lagrangian relaxation of ``demand_balance`` with multipliers ``lambda_d``;
``x_a <= D_d`` and ``y_d <= D_d`` are implied by the model and kept)::

    L(lambda) = sum_d lambda_d D_d + sum_d D_d min(0, alt_d - lambda_d)
              + sum over the chosen sites k of  min_l [ f_kl + KS_k(lambda, cap_kl) ]

``KS_k(lambda, C) = min { sum_a (c_a - lambda_d(a)) x_a : 0 <= x_a <= D_d(a), sum_a x_a <= C }``,
a fractional knapsack (the most negative reduced costs first). A site is chosen when its
best level is negative (forced-open sites always; with ``max_sites`` the most negative
ones). ``L(lambda)`` is a lower bound on the MIP optimum for every ``lambda`` (weak duality);
it is raised by subgradient steps (Polyak's rule towards the best plan's cost). Started from
``lambda0_d = min(alt_d, min_a c_a + phi_k)`` with ``phi_k = min_l f_kl / cap_kl`` (each
site's fixed cost spread over its capacity), ``L(lambda0)`` is the simple bound "every order
on its cheapest path, each site's fixed cost paid per order at its best rate".

**Upper bound** (a feasible plan, costed exactly). First from a MIP on clustered zones
(:func:`aggregate_plan`): zones that see the sites alike (k-means on their path costs) are
merged, the clustered model is solved by HiGHS, and its flows are split over the member zones
in proportion to demand, which is feasible in the full model at the clustered objective. The
same sites and levels are then re-assigned: each demand row to its cheapest open path; rows of
a site that would overflow are re-routed (only when the gap is not yet met) by a transportation
LP over their ``repair_arcs`` cheapest open arcs (HiGHS), against what the other rows leave of
each capacity. The cheaper of the two is kept. While the gap is open, subgradient iterations also try the sites the
subproblems chose, and a local search closes or opens one site at a time. ``gap = (plan cost -
best L) / plan cost`` is a true gap to the optimum of the full model.

Scope: one period, no ``service_level``, ``co2_cap`` or single sourcing (they couple sites or
arcs beyond the knapsack; asking is an error naming the key); ``max_sites`` is handled.
"""
from __future__ import annotations

import dataclasses
import logging
import math
import time

import numpy as np
import pandas as pd

from model.inputs.build import ModelInputs
from model.methods.arc_pricing import BALANCE_KEY, per_order_cost
from model.solving.highs import _quiet_highs

log = logging.getLogger(__name__)

DEMAND_KEY = ["zone", "origin", "product"]


def index_of(rows: pd.DataFrame, table: pd.DataFrame, cols: list[str]) -> np.ndarray:
    """Position in ``table`` of each row of ``rows`` matched on ``cols`` (-1 where absent).

    Vectorised through per-column codes and a dense lookup array (the keys here are small
    products: zones x origins x products), much faster than a merge on 10 million rows."""
    codes_t, codes_r, sizes = [], [], []
    for c in cols:
        cats = pd.Index(pd.unique(table[c]))
        codes_t.append(cats.get_indexer(table[c]))
        codes_r.append(cats.get_indexer(rows[c]))
        sizes.append(len(cats))
    lookup = np.full(int(np.prod(sizes)), -1, dtype=np.int64)
    lookup[np.ravel_multi_index(codes_t, sizes)] = np.arange(len(table))
    missing = np.zeros(len(rows), dtype=bool)
    for cr in codes_r:
        missing |= cr < 0
    flat = np.ravel_multi_index([np.where(missing, 0, cr) for cr in codes_r], sizes)
    return np.where(missing, -1, lookup[flat])


def check_scope(full: ModelInputs) -> None:
    """Raise ValueError naming the parameter when the model has rows the relaxation does not handle."""
    if full.periods != 1:
        raise ValueError("the Lagrangian method is for the one-period model (periods = 1)")
    if full.single_sourcing:
        raise ValueError("the Lagrangian method does not handle service.single_sourcing = 1")
    if full.service_min_share > 0:
        raise ValueError("the Lagrangian method does not handle a service constraint (service.min_share > 0)")
    if math.isfinite(full.co2_cap_t):
        raise ValueError("the Lagrangian method does not handle a CO2 cap (policy.co2_cap_t)")
    if full.stock_segments is not None:
        raise ValueError("the Lagrangian method does not model SKU classes (stock.sku_classes = 1): "
                         "set stock.sku_classes = 0")


@dataclasses.dataclass
class FlowProblem:
    """The model as arrays: demand rows, their alternative, and the useful arcs sorted by demand row."""

    demand: pd.DataFrame         # zone, origin, product, orders (one row per d)
    D: np.ndarray                # orders per demand row
    alt: np.ndarray              # USD/order: min(cheapest direct mail, unmet penalty)
    alt_is_direct: np.ndarray    # True where direct mail is the cheaper alternative
    arc: np.ndarray              # row of each kept arc in full.outbound_arcs
    arc_row: np.ndarray          # its demand row (non-decreasing)
    arc_site: np.ndarray         # its site code
    cost: np.ndarray             # its path cost c_a, USD/order
    seg: np.ndarray              # arcs of demand row d are seg[d]:seg[d+1]
    sites: list                  # site ids (codes index this list)
    caps: list                   # per site: capacities of its levels, ascending (orders/yr)
    fixed: list                  # per site: fixed costs of those levels (USD/yr)
    compliance: list             # per site: compliance of the regimes with a hold there, per level (USD/yr)
    level_names: list            # per site: level names
    forced: np.ndarray           # bool per site: force_open
    max_sites: float
    arcs_full: int
    arcs_dominated: int

    @property
    def n_rows(self) -> int:
        return len(self.D)

    def rate(self) -> np.ndarray:
        """phi_k = min_l f_kl / cap_kl, USD per order (0 for a site with a free level)."""
        return np.array([min(f / c for f, c in zip(fs, cs)) for fs, cs in zip(self.fixed, self.caps)])


def flow_problem(full: ModelInputs) -> FlowProblem:
    """Arrays of :class:`FlowProblem` from the arc tables of :func:`model.formulation.build_inputs`."""
    check_scope(full)
    dem = full.demand.reset_index(drop=True)
    D = dem["orders"].to_numpy(dtype=float)
    out, inb, dr = full.outbound_arcs, full.inbound_arcs, full.direct_arcs

    alt = np.full(len(dem), float(full.unmet_penalty))
    alt_is_direct = np.zeros(len(dem), dtype=bool)
    if len(dr):
        dcost = pd.Series(per_order_cost(dr, "direct"))
        drow = index_of(dr, dem, DEMAND_KEY)
        best = dcost.groupby(drow).min()
        best = best[best.index >= 0]
        idx = best.index.to_numpy()
        alt_is_direct[idx] = best.to_numpy() < alt[idx]
        alt[idx] = np.minimum(alt[idx], best.to_numpy())

    in_cost = pd.Series(per_order_cost(inb, "inbound"))
    bal = inb[BALANCE_KEY].drop_duplicates().reset_index(drop=True)
    least_in = in_cost.groupby(index_of(inb, bal, BALANCE_KEY)).min().reindex(range(len(bal))).to_numpy()
    out_bal = index_of(out, bal, BALANCE_KEY)
    cost = per_order_cost(out, "outbound") + np.where(out_bal >= 0, least_in[np.maximum(out_bal, 0)], np.inf)
    row = index_of(out, dem, DEMAND_KEY)
    if (row < 0).any():
        raise ValueError("an outbound arc has no demand row")
    useful = np.isfinite(cost) & (cost < alt[row])
    arc = np.flatnonzero(useful)
    order = np.argsort(row[arc], kind="stable")
    arc = arc[order]

    lv = full.site_levels.sort_values(["site", "capacity"])
    site_ids = list(pd.unique(lv["site"]))
    site_code = pd.Index(site_ids).get_indexer(out["site"].to_numpy()[arc])
    if (site_code < 0).any():
        raise ValueError("an outbound arc's site has no capacity level in site_levels")
    groups = {k: g for k, g in lv.groupby("site", sort=False)}
    compliance: dict = {}
    if full.regime_sites is not None:
        for r in full.regime_sites.groupby(["site", "level"])["compliance"].sum().reset_index().itertuples():
            compliance.setdefault(r.site, {})[r.level] = float(r.compliance)
    forced_ids = set(full.sites.loc[full.sites["force_open"], "site"])
    arc_row = row[arc]
    return FlowProblem(
        demand=dem, D=D, alt=alt, alt_is_direct=alt_is_direct, arc=arc, arc_row=arc_row,
        arc_site=site_code.astype(np.int64), cost=cost[arc],
        seg=np.searchsorted(arc_row, np.arange(len(dem) + 1)),
        sites=site_ids, caps=[groups[k]["capacity"].to_numpy(dtype=float) for k in site_ids],
        fixed=[groups[k]["fixed_cost"].to_numpy(dtype=float) for k in site_ids],
        compliance=[np.array([compliance.get(k, {}).get(l, 0.0) for l in groups[k]["level"]]) for k in site_ids],
        level_names=[list(groups[k]["level"]) for k in site_ids],
        forced=np.array([k in forced_ids for k in site_ids]), max_sites=float(full.max_sites),
        arcs_full=len(out), arcs_dominated=int(np.isfinite(cost).sum() - len(arc)))


def full_model_size(full: ModelInputs) -> dict:
    """Variables, binaries and constraints the one-period Pyomo model of ``full`` would have
    (docs/formulation.md), without building it: ``open``, ``inbound``, ``outbound``, ``direct``,
    ``unmet``; ``demand_balance``, ``site_flow_balance``, ``one_level``, ``throughput_capacity``,
    ``strong_linking``."""
    n_levels = len(full.site_levels)
    n_out = len(full.outbound_arcs)
    n_sites = full.site_levels["site"].nunique()
    n_balance = len(full.inbound_arcs[BALANCE_KEY].drop_duplicates())
    return {"n_vars": n_levels + n_out + len(full.inbound_arcs) + len(full.direct_arcs) + len(full.demand),
            "n_cons": len(full.demand) + n_balance + 2 * n_sites + n_out, "n_bin": n_levels}


# ---- lower bound ------------------------------------------------------------------------------

def initial_multipliers(p: FlowProblem) -> np.ndarray:
    """lambda0_d = min(alt_d, min over arcs of d of c_a + phi_k), USD/order."""
    lam = p.alt.copy()
    priced = p.cost + p.rate()[p.arc_site]
    np.minimum.at(lam, p.arc_row, priced)
    return lam


@dataclasses.dataclass
class LagrangianValue:
    """``L(lambda)`` and what the subproblems chose (USD/yr, orders/yr)."""

    value: float
    subgradient: np.ndarray      # D_d - sum_a x_a - y_d, per demand row
    chosen_sites: np.ndarray     # bool per site


def lagrangian(p: FlowProblem, lam: np.ndarray) -> LagrangianValue:
    """Evaluate ``L(lambda)`` (module docstring): per site a fractional knapsack per level."""
    rc = p.cost - lam[p.arc_row]
    neg = np.flatnonzero(rc < 0)
    order = neg[np.lexsort((rc[neg], p.arc_site[neg]))]
    site_sorted = p.arc_site[order]
    starts = np.searchsorted(site_sorted, np.arange(len(p.sites) + 1))
    w = p.D[p.arc_row[order]]
    r = rc[order]
    best_val = np.zeros(len(p.sites))
    take = np.zeros(len(order))  # x_a of the best level of each site
    for k in range(len(p.sites)):
        lo, hi = starts[k], starts[k + 1]
        cw, cv = np.cumsum(w[lo:hi]), np.cumsum(r[lo:hi] * w[lo:hi])
        vals = np.empty(len(p.caps[k]))
        cut = np.searchsorted(cw, p.caps[k], side="right")  # whole arcs that fit
        for j, (C, n) in enumerate(zip(p.caps[k], cut)):
            v = cv[n - 1] if n > 0 else 0.0
            if n < hi - lo:
                v += (C - (cw[n - 1] if n > 0 else 0.0)) * r[lo + n]
            vals[j] = p.fixed[k][j] + v
        j = int(np.argmin(vals))
        best_val[k] = vals[j]
        n, C = cut[j], p.caps[k][j]
        take[lo:lo + n] = w[lo:lo + n]
        if n < hi - lo:
            take[lo + n] = C - (cw[n - 1] if n > 0 else 0.0)
    chosen = p.forced.copy()
    free = np.flatnonzero(~p.forced & (best_val < 0))
    room = p.max_sites - chosen.sum()
    if len(free) > room:
        free = free[np.argsort(best_val[free])[:max(int(room), 0)]]
    chosen[free] = True
    used = chosen[site_sorted]
    flow = np.bincount(p.arc_row[order[used]], weights=take[used], minlength=p.n_rows)
    y = np.where(p.alt < lam, p.D, 0.0)
    value = float(lam @ p.D + np.minimum(0.0, p.alt - lam) @ p.D + best_val[chosen].sum())
    return LagrangianValue(value, p.D - flow - y, chosen)


# ---- upper bound ------------------------------------------------------------------------------

@dataclasses.dataclass
class Plan:
    """A feasible solution of the full model (USD/yr, orders/yr)."""

    cost: float
    level: np.ndarray            # level index per site, -1 = closed
    arc_flow: dict               # position in the kept arcs -> orders
    alt_flow: np.ndarray         # orders per demand row sent by direct mail or left unmet
    repaired: bool               # True when a transportation LP fixed over-capacity sites


def _cheapest_open(p: FlowProblem, is_open: np.ndarray):
    """Per demand row: its cheapest arc from an open site (position, or -1) and that cost (inf if none)."""
    c = np.where(is_open[p.arc_site], p.cost, np.inf)
    best = np.full(p.n_rows, np.inf)
    nonempty = p.seg[:-1] < p.seg[1:]
    if len(c):
        best[nonempty] = np.minimum.reduceat(c, p.seg[:-1][nonempty])
    hit = np.flatnonzero(np.isfinite(c) & (c == best[p.arc_row]))
    rows, first = np.unique(p.arc_row[hit], return_index=True)
    pos = np.full(p.n_rows, -1)
    pos[rows] = hit[first]
    return pos, best


def evaluate_plan(p: FlowProblem, is_open: np.ndarray, repair_arcs: int = 10, threads: int | None = None,
                  level: np.ndarray | None = None, repair: bool = True) -> Plan | None:
    """Cost of opening the sites ``is_open`` (the cheapest-path assignment; see the module docstring).

    ``level``: a level index per site to cap each open site at (default: its largest level).
    ``repair=False``: return None instead of solving the transportation LP when a site overflows
    (the LP takes minutes on a commune-level instance; the local search skips such moves)."""
    is_open = is_open | p.forced
    cap = np.array([c[-1] if level is None or level[k] < 0 else c[level[k]] for k, c in enumerate(p.caps)])
    pos, best = _cheapest_open(p, is_open)
    to_site = best < p.alt
    arcs = pos[to_site]
    through = np.bincount(p.arc_site[arcs], weights=p.D[to_site], minlength=len(p.sites))
    if (through > cap * (1 + 1e-12)).any():
        return _repair(p, is_open, cap, pos, best, repair_arcs, threads) if repair else None
    level = _levels_for(p, is_open, through)
    fixed = _fixed_cost(p, level)
    variable = float(best[to_site] @ p.D[to_site] + p.alt[~to_site] @ p.D[~to_site])
    return Plan(fixed + variable, level, dict(zip(arcs.tolist(), p.D[to_site].tolist())),
                np.where(to_site, 0.0, p.D), False)


def _fixed_cost(p: FlowProblem, level: np.ndarray) -> float:
    """Fixed cost of the open levels (USD/yr); ``level`` -1 = closed. A plan is costed as if each
    open site held every regime with a compliance cost that has arcs there (``hold = open``): a
    feasible solution of the full model at that cost, so the plan stays an upper bound; the lower
    bound leaves compliance out (costs >= 0 dropped), so it stays a lower bound."""
    return float(sum(p.fixed[k][level[k]] + p.compliance[k][level[k]] for k in np.flatnonzero(level >= 0)))


def _levels_for(p: FlowProblem, is_open: np.ndarray, through: np.ndarray) -> np.ndarray:
    """Smallest level holding each site's throughput; closed where nothing flows (unless forced)."""
    level = np.full(len(p.sites), -1)
    for k in np.flatnonzero(is_open):
        if through[k] > 0 or p.forced[k]:
            fits = np.flatnonzero(p.caps[k] >= through[k] * (1 - 1e-12))
            level[k] = int(fits[0]) if len(fits) else len(p.caps[k]) - 1
    return level


def _repair(p: FlowProblem, is_open: np.ndarray, cap: np.ndarray, pos: np.ndarray, best: np.ndarray,
            repair_arcs: int, threads) -> Plan:
    """Re-route the rows of over-full sites by a transportation LP (HiGHS).

    Rows whose cheapest open path is at a site over its capacity ``cap`` are re-optimised over
    their ``repair_arcs`` cheapest open arcs and their alternative, against what the other rows
    (kept on their cheapest paths) leave of each site's capacity; so the plan stays feasible and
    the LP is small (only the rows around the over-full sites)."""
    import highspy
    from scipy import sparse

    to_site = best < p.alt
    site_of_row = np.where(to_site, p.arc_site[np.maximum(pos, 0)], -1)
    through = np.bincount(site_of_row[to_site], weights=p.D[to_site], minlength=len(p.sites))
    over = through > cap * (1 + 1e-12)
    free = to_site & over[np.maximum(site_of_row, 0)]
    kept = to_site & ~free
    residual = cap - np.bincount(site_of_row[kept], weights=p.D[kept], minlength=len(p.sites))
    free_rows = np.flatnonzero(free)
    new_row = np.full(p.n_rows, -1)
    new_row[free_rows] = np.arange(len(free_rows))
    cand = np.flatnonzero(free[p.arc_row] & is_open[p.arc_site])
    cand = cand[np.lexsort((p.cost[cand], p.arc_row[cand]))]
    first = np.searchsorted(p.arc_row[cand], p.arc_row[cand], side="left")
    cols = cand[np.arange(len(cand)) - first < repair_arcs]
    n_a, n_d = len(cols), len(free_rows)
    open_sites = np.flatnonzero(is_open)
    site_row = np.full(len(p.sites), -1)
    site_row[open_sites] = n_d + np.arange(len(open_sites))
    rows = np.concatenate([new_row[p.arc_row[cols]], site_row[p.arc_site[cols]], np.arange(n_d)])
    colidx = np.concatenate([np.arange(n_a), np.arange(n_a), n_a + np.arange(n_d)])
    A = sparse.csc_matrix((np.ones(len(rows)), (rows, colidx)), shape=(n_d + len(open_sites), n_a + n_d))
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n_a + n_d, A.shape[0]
    lp.col_cost_ = np.concatenate([p.cost[cols], p.alt[free_rows]])
    lp.col_lower_ = np.zeros(n_a + n_d)
    lp.col_upper_ = np.full(n_a + n_d, highspy.kHighsInf)
    lp.row_lower_ = np.concatenate([p.D[free_rows], np.full(len(open_sites), -highspy.kHighsInf)])
    lp.row_upper_ = np.concatenate([p.D[free_rows], np.maximum(residual[open_sites], 0.0)])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = A.indptr, A.indices, A.data
    h = _quiet_highs()  # no HiGHS banner on stdout
    if threads:
        h.setOptionValue("threads", int(threads))
    h.passModel(lp)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        raise RuntimeError(f"capacity repair LP: {h.modelStatusToString(h.getModelStatus())}")
    x = np.asarray(h.getSolution().col_value)
    xa, y = np.maximum(x[:n_a], 0.0), np.maximum(x[n_a:], 0.0)
    used = xa > 0
    arcs = np.concatenate([pos[kept], cols[used]])
    flows = np.concatenate([p.D[kept], xa[used]])
    alt_flow = np.where(to_site, 0.0, p.D)
    alt_flow[free_rows] = y
    through = np.bincount(p.arc_site[arcs], weights=flows, minlength=len(p.sites))
    level = _levels_for(p, is_open, through)
    fixed = _fixed_cost(p, level)
    log.debug("capacity repair: %d rows re-routed over %d arcs", n_d, n_a)
    return Plan(fixed + float(p.cost[arcs] @ flows + p.alt @ alt_flow), level,
                dict(zip(arcs.tolist(), flows.tolist())), alt_flow, True)


def _move_estimates(p: FlowProblem, is_open: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Estimated cost change (USD/yr) of closing each open site or opening each closed one.

    Closing k: its rows move to their second-cheapest open path (or the alternative), and its
    fixed cost is saved. Opening k: the rows for which k is cheaper move to it, at the fixed
    cost of the smallest level holding them. Levels of the other sites are not re-chosen: an
    estimate, to rank moves; each move is then costed exactly."""
    c = np.where(is_open[p.arc_site], p.cost, np.inf)
    pos, best = _cheapest_open(p, is_open)
    masked = c.copy()
    masked[pos[pos >= 0]] = np.inf
    second = np.full(p.n_rows, np.inf)
    nonempty = p.seg[:-1] < p.seg[1:]
    if len(c):
        second[nonempty] = np.minimum.reduceat(masked, p.seg[:-1][nonempty])
    now = np.minimum(best, p.alt)
    to_site = (best < p.alt) & (pos >= 0)
    loss = (np.minimum(second, p.alt) - now) * p.D
    delta = np.bincount(p.arc_site[pos[to_site]], weights=loss[to_site], minlength=len(p.sites))
    gain_arc = np.maximum(0.0, now[p.arc_row] - p.cost) * p.D[p.arc_row]
    catch = np.where(gain_arc > 0, p.D[p.arc_row], 0.0)
    gain = np.bincount(p.arc_site, weights=gain_arc, minlength=len(p.sites))
    caught = np.bincount(p.arc_site, weights=catch, minlength=len(p.sites))
    for k in range(len(p.sites)):
        if is_open[k]:
            delta[k] -= p.fixed[k][level[k]] if level[k] >= 0 else 0.0
        else:
            fits = np.flatnonzero(p.caps[k] >= caught[k])
            delta[k] = p.fixed[k][fits[0] if len(fits) else -1] - gain[k]
    return delta


def improve_plan(p: FlowProblem, plan: Plan, deadline: float, tries: int = 3, **kw) -> tuple[Plan, int]:
    """Local search: close or open one site at a time while the cost falls.

    Moves are ranked by :func:`_move_estimates`; the ``tries`` most promising are costed exactly
    (:func:`evaluate_plan`) and the first that lowers the cost is made. Returns the plan and the
    number of moves made."""
    moves = 0
    while time.perf_counter() < deadline:
        is_open = plan.level >= 0
        delta = _move_estimates(p, is_open, plan.level)
        allowed = ~p.forced & ((is_open) | (is_open.sum() < p.max_sites))
        ranked = [k for k in np.argsort(delta) if allowed[k] and delta[k] < 0][:tries]
        for k in ranked:
            trial = is_open.copy()
            trial[k] = not trial[k]
            cand = evaluate_plan(p, trial, repair=False, **kw)
            if cand is not None and cand.cost < plan.cost * (1 - 1e-9):
                plan, moves = cand, moves + 1
                break
        else:
            break
    return plan, moves


def cluster_zones(p: FlowProblem, clusters: int, seed: int = 0) -> np.ndarray:
    """Cluster code per zone (order of ``pd.unique(p.demand.zone)``): k-means on each zone's
    demand-weighted mean path cost to every site (zones that sites see alike end up together)."""
    from scipy.cluster.vq import kmeans2

    zone_code, zones = pd.factorize(p.demand["zone"])
    if clusters >= len(zones):
        return np.arange(len(zones))
    key = zone_code[p.arc_row] * len(p.sites) + p.arc_site
    w = p.D[p.arc_row]
    size = len(zones) * len(p.sites)
    total = np.bincount(key, weights=w * p.cost, minlength=size)
    weight = np.bincount(key, weights=w, minlength=size)
    feat = np.full(size, np.nan)
    feat[weight > 0] = total[weight > 0] / weight[weight > 0]
    feat = feat.reshape(len(zones), len(p.sites))
    col_max = np.nanmax(np.where(np.isfinite(feat), feat, np.nan), axis=0)
    feat = np.where(np.isnan(feat), np.nan_to_num(col_max, nan=0.0)[None, :], feat)
    _, label = kmeans2(feat, clusters, seed=seed, minit="++")
    return label


def aggregate_plan(p: FlowProblem, clusters: int = 100, sites_per_cluster: int = 10, gap: float = 2.5e-3,
                   time_limit: float | None = None, threads: int | None = None, seed: int = 0) -> Plan | None:
    """A plan from the MIP on zones clustered by :func:`cluster_zones` (None if HiGHS found none).

    Rows ``d' = (cluster, origin, product)`` hold the summed demand ``D'``; the arc (k, d')
    costs the demand-weighted mean of its members' path costs (a member without that arc pays
    its alternative), so any solution of the clustered MIP, split over the members in proportion
    to their demand, is feasible in the full model at the same cost. Each cluster keeps its
    ``sites_per_cluster`` cheapest sites. Solved by HiGHS to ``gap`` with the strong linking rows."""
    import highspy
    from scipy import sparse

    label = cluster_zones(p, clusters, seed)
    zone_code, _ = pd.factorize(p.demand["zone"])
    op_code, _ = pd.MultiIndex.from_frame(p.demand[["origin", "product"]]).factorize()
    n_op = int(op_code.max()) + 1
    agg_row = label[zone_code] * n_op + op_code
    agg_row = pd.factorize(agg_row)[0]
    n_rows = int(agg_row.max()) + 1
    D = np.bincount(agg_row, weights=p.D, minlength=n_rows)
    alt_total = np.bincount(agg_row, weights=p.D * p.alt, minlength=n_rows)
    n_sites = len(p.sites)
    key = agg_row[p.arc_row] * n_sites + p.arc_site
    saving = np.bincount(key, weights=p.D[p.arc_row] * (p.cost - p.alt[p.arc_row]), minlength=n_rows * n_sites)
    cost = ((saving + np.repeat(alt_total, n_sites)) / np.repeat(D, n_sites)).reshape(n_rows, n_sites)
    useful = saving.reshape(n_rows, n_sites) < 0
    rank = np.argsort(np.argsort(np.where(useful, cost, np.inf), axis=1), axis=1)
    keep = useful & (rank < sites_per_cluster)
    arc_r, arc_k = np.nonzero(keep)
    arc_c = cost[arc_r, arc_k]
    # columns: open (site, level) | x arcs | y alternatives
    lv_site = np.concatenate([np.full(len(c), k) for k, c in enumerate(p.caps)])
    lv_cap = np.concatenate(p.caps)
    lv_fix = np.concatenate(p.fixed)
    n_lv, n_a = len(lv_site), len(arc_r)
    c_open, c_x, c_y = np.arange(n_lv), n_lv + np.arange(n_a), n_lv + n_a + np.arange(n_rows)
    # rows: demand | capacity | one_level | strong linking | (max_sites)
    r_dem, r_cap, r_one = np.arange(n_rows), n_rows + np.arange(n_sites), n_rows + n_sites + np.arange(n_sites)
    r_link = n_rows + 2 * n_sites + np.arange(n_a)
    n_r = n_rows + 2 * n_sites + n_a
    link_site = np.repeat(np.arange(n_a), np.bincount(lv_site, minlength=n_sites)[arc_k])
    link_lv = np.concatenate([np.flatnonzero(lv_site == k) for k in arc_k]) if n_a else np.zeros(0, int)
    rows = [r_dem[arc_r], r_dem, r_cap[arc_k], r_cap[lv_site], r_one[lv_site], r_link, r_link[link_site]]
    cols = [c_x, c_y, c_x, c_open, c_open, c_x, c_open[link_lv]]
    vals = [np.ones(n_a), np.ones(n_rows), np.ones(n_a), -lv_cap, np.ones(n_lv), np.ones(n_a), -D[arc_r][link_site]]
    lower = [D, np.full(n_sites, -np.inf), np.where(p.forced, 1.0, -np.inf), np.full(n_a, -np.inf)]
    upper = [D, np.zeros(n_sites), np.ones(n_sites), np.zeros(n_a)]
    if np.isfinite(p.max_sites):
        rows.append(np.full(n_lv, n_r))
        cols.append(c_open)
        vals.append(np.ones(n_lv))
        lower.append([-np.inf])
        upper.append([p.max_sites])
        n_r += 1
    A = sparse.csc_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                          shape=(n_r, n_lv + n_a + n_rows))
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = A.shape[1], n_r
    lp.col_cost_ = np.concatenate([lv_fix, arc_c, D * 0 + alt_total / D])
    lp.col_lower_ = np.zeros(A.shape[1])
    lp.col_upper_ = np.concatenate([np.ones(n_lv), np.full(n_a + n_rows, inf)])
    lp.row_lower_ = np.nan_to_num(np.concatenate(lower), neginf=-inf)
    lp.row_upper_ = np.concatenate(upper)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = A.indptr, A.indices, A.data
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n_lv + [highspy.HighsVarType.kContinuous] * (n_a + n_rows)
    h = _quiet_highs()  # no HiGHS banner on stdout
    h.setOptionValue("mip_rel_gap", float(gap))
    if time_limit:
        h.setOptionValue("time_limit", float(time_limit))
    if threads:
        h.setOptionValue("threads", int(threads))
    h.passModel(lp)
    h.run()
    x = np.asarray(h.getSolution().col_value)
    status = h.modelStatusToString(h.getModelStatus())
    if not h.getInfo().primal_solution_status or len(x) == 0:
        log.info("clustered MIP: no solution (%s)", status)
        return None
    level = np.full(n_sites, -1)
    for j in np.flatnonzero(x[:n_lv] > 0.5):
        k = lv_site[j]
        level[k] = j - int(np.flatnonzero(lv_site == k)[0])
    # proportional split: member row r of d' takes D_r / D'_d' of each clustered flow x_j; a member
    # without arc j sends that share to its alternative (so capacities hold: sum <= x_j)
    xa = np.maximum(x[n_lv:n_lv + n_a], 0.0) * (level[arc_k] >= 0)
    j_of = np.full(n_rows * n_sites, -1)
    j_of[arc_r * n_sites + arc_k] = np.arange(n_a)
    j_arc = j_of[key]
    hit = np.flatnonzero(j_arc >= 0)
    hit = hit[xa[j_arc[hit]] > 0]
    flow = xa[j_arc[hit]] * p.D[p.arc_row[hit]] / D[agg_row[p.arc_row[hit]]]
    alt_flow = p.D - np.bincount(p.arc_row[hit], weights=flow, minlength=p.n_rows)
    alt_flow = np.maximum(alt_flow, 0.0)
    fixed = _fixed_cost(p, level)
    cost = fixed + float(p.cost[hit] @ flow + p.alt @ alt_flow)
    log.info("clustered MIP: %d rows, %d arcs, objective %.6g (%s), %d sites; split over the zones: %.6g",
             n_rows, n_a, h.getInfo().objective_function_value, status, (level >= 0).sum(), cost)
    return Plan(cost, level, dict(zip(hit.tolist(), flow.tolist())), alt_flow, False)


# ---- the method -------------------------------------------------------------------------------

@dataclasses.dataclass
class LagrangianSolve:
    """Result of :func:`solve_by_lagrangian` (USD per year, seconds)."""

    problem: FlowProblem
    plan: Plan
    objective: float             # cost of the plan (feasible for the full model)
    bound: float                 # best L(lambda): a lower bound on the full model's optimum
    initial_bound: float         # L(lambda0)
    gap: float                   # (objective - bound) / objective
    iterations: int
    history: list                # per iteration: L, best L, best plan cost, step size
    seconds: dict                # arrays, subgradient, plans, local search

    def sites_opened(self) -> pd.DataFrame:
        """site, level, capacity, fixed_cost, orders (throughput) of the plan's open sites."""
        p, lv = self.problem, self.plan.level
        through = np.zeros(len(p.sites))
        for a, x in self.plan.arc_flow.items():
            through[p.arc_site[a]] += x
        rows = [(p.sites[k], p.level_names[k][lv[k]], p.caps[k][lv[k]], p.fixed[k][lv[k]], through[k])
                for k in np.flatnonzero(lv >= 0)]
        return pd.DataFrame(rows, columns=["site", "level", "capacity", "fixed_cost", "orders"])


def solve_by_lagrangian(full: ModelInputs, gap: float = 1e-2, max_iterations: int = 300,
                        time_limit: float | None = None, plan_every: int = 10, repair_arcs: int = 10,
                        clusters: int = 100, threads: int | None = None, progress=None) -> LagrangianSolve:
    """Lower bound, plan and certified gap for ``full`` (module docstring), stopping at ``gap``.

    ``plan_every``: iterations between plan evaluations; ``clusters``: zones clustered for the
    first plan's MIP (:func:`aggregate_plan`; 0 = none); ``progress(dict)`` is called on each
    iteration that improves a bound.
    """
    t0 = time.perf_counter()
    deadline = t0 + time_limit if time_limit else math.inf
    p = flow_problem(full)
    t1 = time.perf_counter()
    lam = initial_multipliers(p)
    best_lam = lam
    lv = lagrangian(p, lam)
    initial = best = lv.value
    kw = {"repair_arcs": repair_arcs, "threads": threads}
    # first plan: the clustered MIP's sites and levels (split over the zones, or each row on its
    # cheapest open path when no site overflows); without one, every site open, then the local search
    plan, moves = None, 0
    if clusters:
        split = aggregate_plan(
            p,
            clusters,
            gap=gap / 4,
            threads=threads,
            time_limit=None if not math.isfinite(deadline) else max(deadline - time.perf_counter(), 1),
        )
        if split is not None:
            # re-routing the rows of over-full sites (an LP) only when the gap asks for it
            within = (split.cost - best) <= gap * abs(split.cost)
            greedy = evaluate_plan(p, split.level >= 0, level=split.level, repair=not within, **kw)
            log.info("lagrangian: clustered MIP's plan %.6g, re-assigned %s", split.cost,
                     "- (a site would overflow; not repaired, the gap is met)" if greedy is None else
                     f"{greedy.cost:.6g}" + (" (over-full sites repaired)" if greedy.repaired else ""))
            plan = min([q for q in (split, greedy) if q is not None], key=lambda q: q.cost)
    if plan is None:
        plan, moves = improve_plan(p, evaluate_plan(p, np.ones(len(p.sites), dtype=bool), **kw), deadline, **kw)
    plan_s = time.perf_counter() - t1
    history, theta, stall, it = [], 2.0, 0, 0
    t_plans = 0.0

    def current_gap():
        return (plan.cost - best) / max(abs(plan.cost), 1e-10)

    while it < max_iterations and current_gap() > gap and time.perf_counter() < deadline and theta > 1e-6:
        it += 1
        g = lv.subgradient
        norm = float(g @ g)
        if norm <= 1e-12:  # lambda is optimal for the relaxation
            break
        step = theta * max(plan.cost - lv.value, 1e-9 * abs(plan.cost)) / norm
        lam = lam + step * g
        lv = lagrangian(p, lam)
        if lv.value > best + 1e-9 * abs(best):
            best, best_lam, stall = lv.value, lam, 0
        else:
            stall += 1
            if stall >= 5:
                theta, stall = theta / 2, 0
                lam, lv = best_lam, lagrangian(p, best_lam)  # restart from the best multipliers
        if it % plan_every == 0:
            tp = time.perf_counter()
            cand = evaluate_plan(p, lv.chosen_sites, repair=False, **kw)
            if cand is not None and cand.cost < plan.cost:
                plan = cand
            t_plans += time.perf_counter() - tp
        history.append({"iteration": it, "L": lv.value, "best_L": best, "plan_cost": plan.cost, "theta": theta})
        if progress is not None and (it == 1 or it % plan_every == 0):
            progress(history[-1])
        log.info("lagrangian %d: L %.6g best %.6g plan %.6g gap %.3g%% theta %.3g", it, lv.value, best,
                 plan.cost, 100 * current_gap(), theta)
    t2 = time.perf_counter()
    if current_gap() > gap:
        plan, more = improve_plan(p, plan, deadline if math.isfinite(deadline) else t2 + 600, **kw)
        moves += more
    t3 = time.perf_counter()
    log.info("lagrangian: local search made %d moves, plan %.6g, gap %.3g%%", moves, plan.cost, 100 * current_gap())
    return LagrangianSolve(p, plan, plan.cost, best, initial, current_gap(), it, history,
                           {"arrays": t1 - t0, "plans": plan_s + t_plans, "subgradient": t2 - t1 - plan_s - t_plans,
                            "local_search": t3 - t2, "total": t3 - t0})
