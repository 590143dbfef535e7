"""One model, many solves: a scenario built once and kept in HiGHS across the re-solves of the
insight commands (alternatives, regret, break-even, ``--robustness``).

A re-solve that differs from the model by site rules (:class:`model.studies.common.SiteRules`)
changes the kept HiGHS model instead of rebuilding it:

- ``force = {k: 0}``: the bounds of every ``open[k, l]`` set to 0;
- ``force = {k: 1}``: one row ``sum_l open[k, l] = 1``;
- ``exclude = [S, ...]``: one no-good row per set, ``sum_{k in S} (1 - y_k) + sum_{k not in S} y_k >= 1``;
- ``cost_cap``: one row ``c'x + offset <= cap`` on the objective's own coefficients;
- ``min_use``: one row per site, ``throughput(k) >= share x sum_l min(capacity, demand) open[k, l]``.

After the run the rows are deleted and the bounds restored (:meth:`LiveModel.reset`), so the
next re-solve starts from the model as built. Every rule is a *restriction* of the model, so
the best bound of the unrestricted solve is a lower bound of every re-solve: passed as
``bound``, HiGHS stops as soon as it holds a solution within the gap of it (``objective_target``
= bound / (1 - gap)), which is the gap criterion of a cold solve, met without a new proof. A
``start`` (Pyomo variable name -> value, partial) gives HiGHS a first incumbent; without one,
the cheapest solution of the session's pool that the rules admit is passed (:attr:`ModelSession.pool`:
every improving solution HiGHS reported in any run of this session, the best per site set), so a
re-solve whose answer HiGHS met on the way in an earlier run is certified at once. ``tighten``
(the solve whose bound certifies the re-solves): aim at a fraction of the gap, for a bounded
extra time (:class:`model.solving.highs.Tightener`), since every re-solve's target rises with that bound.

What is not reused, and why: a parameter change (a sweep point, a break-even value) changes the
arc tables (prices enter the dominance rules and the arc sets), so it builds a new session (the
road distances it starts from are computed once per process: :func:`model.network.roads.scenario_road_distances`);
HiGHS keeps nothing of a MIP between runs beyond the model (presolve, cuts and the tree start
afresh), so re-using the object would save only the hand-off (about 0.5 s of a 10 s solve on
the default; docs/performance.md, "Re-solves"). What a sweep reuses instead: a point whose
built model is identical to one already solved takes that solution (:func:`solve_remembered`).
"""
from __future__ import annotations

import functools
import logging
import time

from model import regimes
from model.core.cache import LRUCache
from model.formulation.facility import min_use_terms
from model.io.hooks import load_extra
from model.network import roads
from model.pipeline import Result, assign, build_model
from model.solving import memo
from model.solving.highs import LiveModel, SolverOptions

log = logging.getLogger(__name__)

#: Solutions kept in a session's pool (one per site set, the cheapest; about 0.15 MB each on the default).
POOL_SIZE = 64

#: Sessions kept per process (each holds one Pyomo model and one HiGHS model; about 0.1-0.2 GB on the default; break-
#: even keeps one per value it revisits).
CACHE_SIZE = 6
#: The process's kept sessions (a caller may pass its own LRUCache to session_for instead).
SESSIONS: LRUCache = LRUCache(CACHE_SIZE)


def cannot_force_open(site) -> str:
    """The error of a rule forcing open a site the scenario does not let open (the inputs that decide
    where each stocked regime may be held: its ``site_rule``)."""
    rules = "; ".join(f"{r.label}: {r.site_rule}" for r in regimes.REGISTRY.values() if r.stocked and r.site_rule)
    return f"site {site!r} cannot open in this scenario (force_closed; {rules}): it cannot be forced open"


class ModelSession:
    """A scenario's model built once (with the ``--extra`` hook) and kept in HiGHS.

    ``ModelSession(scenario, options, hook)`` builds; :meth:`solve` applies site rules, runs and
    returns a :class:`model.pipeline.Result` whose tables are computed at once (the Pyomo model is
    shared, so its variables hold only the latest solve).
    """

    def __init__(self, scenario, options: SolverOptions, hook: str | None = None):

        user = load_extra(hook)
        self.hook = hook
        self.built = build_model(scenario, user)
        self.live = LiveModel(self.built.model, options)
        m = self.built.model
        # a variable in no row and without cost is not handed to HiGHS: it stays 0, so it is left out
        self.site_columns = {k: [self.live.index[n] for l in m.LEVELS[k] if (n := m.open[k, l].name) in self.live.index]
                             for k in m.SITES}
        self.solves = 0
        #: frozenset of open sites -> (objective USD, solution vector): the best solution seen per site set
        self.pool: dict = {}
        self._min_use: dict = {}  # share -> the min_use rows (columns, coefficients)
        if self.live.is_mip:
            self.live.h.cbMipImprovingSolution.subscribe(self._collect)

    # ------------------------------------------------------------------ the solution pool

    def site_set(self, x) -> frozenset:
        """The sites open in the column vector ``x``."""
        return frozenset(k for k, ix in self.site_columns.items() if ix and float(x[ix].sum()) > 0.5)

    def _remember(self, objective: float, x) -> None:
        import numpy as np

        key = self.site_set(x)
        if key not in self.pool or objective < self.pool[key][0]:
            self.pool[key] = (float(objective), np.array(x, dtype=float))
        if len(self.pool) > POOL_SIZE:  # keep the cheapest sets
            for k in sorted(self.pool, key=lambda k: self.pool[k][0])[POOL_SIZE:]:
                del self.pool[k]

    def _collect(self, event) -> None:
        d = event.data_out
        if d.mip_solution is not None and len(d.mip_solution) == len(self.live.cols):
            self._remember(d.objective_function_value, d.mip_solution)

    def pool_start(self):
        """The cheapest pooled solution that the model as it stands admits (the rules applied:
        :meth:`model.solving.highs.LiveModel.admits`), or None."""
        for obj, x in sorted(self.pool.values(), key=lambda v: v[0]):
            if self.live.admits(x):
                return x
        return None

    # ------------------------------------------------------------------ rules as HiGHS changes

    def _apply(self, rules) -> None:
        import numpy as np

        live, cols = self.live, self.site_columns
        for k, state in (rules.force or {}).items():
            if k not in cols:
                if state:
                    raise ValueError(cannot_force_open(k))
                continue
            idx = cols[k]
            if int(state):
                live.add_row(1.0, 1.0, idx, [1.0] * len(idx))
            else:
                live.fix_columns(idx, 0.0)
        for chosen in rules.exclude or []:
            chosen = set(chosen)
            idx, val = [], []
            for k, ix in cols.items():
                idx += ix
                val += [-1.0 if k in chosen else 1.0] * len(ix)
            live.add_row(1.0 - sum(1 for k in cols if k in chosen), None, idx, val)
        if rules.cost_cap is not None:
            nz = np.flatnonzero(live.cost)
            live.add_row(None, float(rules.cost_cap) - live.offset, nz, live.cost[nz])
        if rules.min_use:
            for idx, val in self._min_use_rows(rules.min_use):
                live.add_row(0.0, None, idx, val)

    def _min_use_rows(self, share: float) -> list:
        """The columns and coefficients of the ``min_use`` rows (:func:`model.formulation.facility.min_use_terms`),
        read off the model once per share."""

        if share not in self._min_use:
            index = self.live.index
            self._min_use[share] = [([index[v.name] for v, _ in terms if v.name in index],
                                     [c for v, c in terms if v.name in index])
                                    for terms in min_use_terms(self.built.model, share).values()]
        return self._min_use[share]

    def solve(self, rules=None, options: SolverOptions | None = None, start: dict | None = None,
              bound: float | None = None, tighten: float | None = None):
        """Solve with ``rules`` (force, exclude, cost_cap, min_use; its hook must be the session's).

        ``bound``: a lower bound valid for the restricted model (the unrestricted solve's bound);
        ``start``: a partial MIP start by variable name (else the pool's best admitted solution);
        ``tighten``: see :meth:`model.solving.highs.LiveModel.run`.
        Returns a Result with its tables; ``result.restore()`` loads its solution back into the
        shared Pyomo model after later solves."""

        if rules is not None and getattr(rules, "hook", None) != self.hook:
            raise ValueError("site rules with another --extra hook than the session's")
        options = options or SolverOptions()
        t0 = time.perf_counter()
        try:
            if rules is not None:
                self._apply(rules)
            vector = None if start else self.pool_start()
            report = self.live.run(options, start=start, certify_bound=bound, start_vector=vector,
                                   tighten=tighten)
        finally:
            self.live.reset()
        self.solves += 1
        x = self.live.solution
        if x is not None and self.live.is_mip and report.objective is not None:
            self._remember(report.objective, x)
        b = self.built
        result = Result(b.scenario, report, b.seconds if self.solves == 1 else 0.0, b.inputs, b.model, b.distances)
        if x is not None:
            result.restore = functools.partial(self.live.load, x.copy())
        assign(result, options)
        log.info("re-solve %d of the kept model: %s, %.1f s (HiGHS %.1f s)", self.solves, report.status,
                 time.perf_counter() - t0, report.solve_seconds)
        return result


    @functools.cached_property
    def _matrix(self):
        """The model's constraint matrix (CSC and CSR) and row bounds, as handed to HiGHS."""
        import numpy as np
        from scipy.sparse import csc_matrix

        lp = self.live.h.getLp()
        a = lp.a_matrix_
        A = csc_matrix((np.asarray(a.value_), np.asarray(a.index_), np.asarray(a.start_)),
                       shape=(self.live.rows, len(self.live.cols)))
        return A, A.tocsr(), np.asarray(lp.row_lower_, dtype=float), np.asarray(lp.row_upper_, dtype=float)

    def idle_open_costs(self, values: dict, sites, tol: float = 1e-6) -> dict:
        """{site: what opening it at its cheapest level, with no flow through it, adds to a plan},
        USD per year (``values``: variable name -> value, e.g. the optimum's), for each of ``sites``
        closed in the plan whose idle opening breaks no row (a minimum throughput, a limit on sites).

        The plan with a site opened idle is feasible for the model with that site forced open, so
        the plan's cost plus this is an upper bound of that model's optimum, found with no solve.
        """
        import numpy as np

        live = self.live
        A, A_rows, lower, upper = self._matrix
        x0 = np.array([float(values.get(v.name, 0.0) or 0.0) for v in live.cols])
        out = {}
        for site in sites:
            cols = self.site_columns.get(site)
            if not cols or x0[cols].sum() > 0.5:
                continue
            j = min(cols, key=lambda c: live.cost[c])
            if live.upper[j] < 1.0 - tol:
                continue
            x = x0.copy()
            x[j] = 1.0
            rows = A[:, j].indices  # only the rows with open[site, level] in them change
            act = A_rows[rows] @ x
            scale = tol * np.maximum(1.0, np.abs(act))
            if np.all(act >= lower[rows] - scale) and np.all(act <= upper[rows] + scale):
                out[site] = float(live.cost[j])
        return out


def session_for(scenario, options: SolverOptions, hook: str | None = None,
                cache: LRUCache | None = None) -> ModelSession:
    """The kept session of ``scenario`` (same inputs, hook and hand-off) in ``cache`` (default
    :data:`SESSIONS`), built if new; the least recently used one is dropped beyond its size."""
    cache = SESSIONS if cache is None else cache
    key = (scenario.input_hash(), hook, options.interface, options.threads)

    def build():
        log.info("building a kept model for %s", scenario.name)
        return ModelSession(scenario, options, hook)

    return cache.get_or_make(key, build)


def clear_sessions() -> None:
    """Drop every kept session, remembered solution and road-distance table of this process (frees
    their models; the distances were left behind before)."""
    SESSIONS.clear()
    memo.clear()
    roads.DISTANCES.clear()
