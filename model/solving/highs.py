"""HiGHS through Pyomo: options, hand-off, status, timings.

Three hand-off paths to HiGHS (``SolverOptions.interface``), measured side by side in
docs/performance.md (``benchmarks/interfaces.py``):

- ``lp`` (default, the fastest measured): Pyomo's LP writer to a temporary file, then
  ``highspy.readModel``; values are mapped back through the writer's symbol map.
- ``matrix``: Pyomo's ``LinearStandardFormCompiler`` turns the model into sparse arrays,
  passed to ``highspy`` in one ``passModel`` call (no file).
- ``appsi``: Pyomo's persistent ``appsi`` HiGHS interface.

Whatever the path, the run records status, objective, best bound, gap and seconds. Statuses:

- ``optimal``: HiGHS proved optimality and the final gap is within the requested ``mip_rel_gap``;
- ``gap_not_met``: HiGHS stopped with a solution whose gap is above the requested one;
- ``time_limit``: stopped by the time limit with a solution;
- ``interrupted``: stopped by Ctrl-C (SIGINT) with a solution: HiGHS is asked to stop at its
  next MIP check (:class:`CtrlC`) and the best plan found is returned with its bound and gap,
  as a time limit would (a second Ctrl-C aborts at once);
- ``infeasible``, ``no_solution`` (no incumbent), ``error`` (a HiGHS call failed: ``highs_status``
  names the call).

Options are checked when a :class:`SolverOptions` is made (gap in [0, 1), time limit > 0 and
finite, threads >= 1), and the status of every HiGHS call is checked.
"""
from __future__ import annotations

import logging
import math
import os
import signal
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass

import highspy
import numpy as np
import pyomo.environ as pyo

from model.core.options import check_value
from model.solving.progress import SolveProgress

log = logging.getLogger(__name__)

INTERFACES = ("matrix", "lp", "appsi")


#: The default relative MIP gap (docs/performance.md, "Default gap"): 0.2 % of the objective
#: (about USD 2.5 M a year on the default) is far inside what the inputs are known to: the SKU
#: counts and class data are assumptions within a factor of about 2 (data/SOURCES.md), and a
#: 1e-4 proof costs ten times longer (about 330 s against 30 s of HiGHS on 2 cores).
DEFAULT_GAP = 2e-3


@dataclass
class SolverOptions:
    time_limit: float | None = None   # seconds
    mip_rel_gap: float = DEFAULT_GAP  # relative gap at which HiGHS stops
    threads: int | None = None        # HiGHS threads (process-global in HiGHS: set once per process)
    verbose: bool = False             # HiGHS log on stdout (gap, time)
    interface: str = "lp"
    random_seed: int = 0              # fixed for run-to-run determinism
    start: dict | None = None         # MIP start: Pyomo variable name -> value (partial; HiGHS completes it)
    highs_options: dict | None = None  # more HiGHS options by name, e.g. {"presolve": "off"} (lp and matrix paths)
    progress_seconds: float | None = None  # a progress line on stderr this often during a MIP (model.solving.progress)

    def __post_init__(self):
        check_options(self)


def check_options(o: "SolverOptions") -> None:
    """ValueError unless gap in [0, 1), time limit None or > 0 and finite, threads None or a whole
    number >= 1: the command line's own ranges (model.core.options.OPTION_RULES)."""
    check_value("gap", o.mip_rel_gap)
    for attr, v in (("time_limit", o.time_limit), ("threads", o.threads)):
        if v is not None:
            check_value(attr, v)
    if o.interface not in INTERFACES:
        raise ValueError(f"interface {o.interface!r}: expected one of {', '.join(INTERFACES)}")


class HighsCallError(RuntimeError):
    """A HiGHS call returned kError (reading or passing the model, running, setting an option)."""


def _ok(status, what: str) -> None:
    """Raise HighsCallError if a HiGHS call's status is kError; log a kWarning."""
    if status == highspy.HighsStatus.kError:
        raise HighsCallError(f"HiGHS {what} failed")
    if status == highspy.HighsStatus.kWarning:
        log.info("HiGHS %s: warning", what)


@dataclass
class SolveReport:
    status: str                 # optimal | time_limit | infeasible | no_solution | error
    objective: float | None     # USD
    bound: float | None         # best dual bound, USD
    gap: float | None           # relative gap (objective - bound) / |objective|
    handoff_seconds: float      # model -> HiGHS ready to run
    solve_seconds: float        # HiGHS run()
    highs_status: str           # HiGHS's own model status text
    interface: str

    def to_dict(self) -> dict:
        return asdict(self)


def _quiet_highs() -> highspy.Highs:
    """A Highs object, without the banner HiGHS prints on stdout (C level) when it is first created."""
    import sys

    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
    return h


def _highs(options: SolverOptions) -> highspy.Highs:
    h = highspy.Highs() if options.verbose else _quiet_highs()
    values = {"output_flag": bool(options.verbose), "log_to_console": bool(options.verbose),
              "mip_rel_gap": float(options.mip_rel_gap), "random_seed": int(options.random_seed)}
    if options.time_limit is not None:
        values["time_limit"] = float(options.time_limit)
    if options.threads is not None:
        values["threads"] = int(options.threads)
    values.update(options.highs_options or {})
    for name, value in values.items():
        _ok(h.setOptionValue(name, value), f"setOptionValue({name}={value!r})")
    return h


def _pass_matrix(m: pyo.ConcreteModel, h: highspy.Highs):
    from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

    repn = LinearStandardFormCompiler().write(m, mixed_form=True, set_sense=None)
    cols = repn.columns
    n = len(cols)
    obj = next(o for o in m.component_data_objects(pyo.Objective, active=True))
    sense = 1.0 if obj.sense == pyo.minimize else -1.0
    c = np.asarray(repn.c.toarray()).ravel() if repn.c.shape[0] else np.zeros(n)
    offset = float(np.asarray(repn.c_offset).ravel()[0]) if len(repn.c_offset) else 0.0
    inf = highspy.kHighsInf
    lb = np.array([-inf if v.lb is None else v.lb for v in cols], dtype=float)
    ub = np.array([inf if v.ub is None else v.ub for v in cols], dtype=float)
    integ = np.array([1 if v.is_integer() else 0 for v in cols], dtype=np.int32)
    rhs = np.asarray(repn.rhs, dtype=float)
    bt = np.array([r.bound_type for r in repn.rows], dtype=int)
    row_lb = np.where(bt == 1, -inf, rhs)
    row_ub = np.where(bt == -1, inf, rhs)
    A = repn.A.tocsc()
    lp = highspy.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = len(rhs)
    lp.col_cost_ = c
    lp.col_lower_ = lb
    lp.col_upper_ = ub
    lp.row_lower_ = row_lb
    lp.row_upper_ = row_ub
    lp.offset_ = offset
    lp.sense_ = highspy.ObjSense.kMinimize if sense > 0 else highspy.ObjSense.kMaximize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data.astype(float)
    if integ.any():
        lp.integrality_ = [highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous for i in integ]
    _check_finite_lp(lp, [v.name for v in cols])
    _ok(h.passModel(lp), "passModel")
    return cols, repn.eliminated_vars


def _pass_lp_file(m: pyo.ConcreteModel, h: highspy.Highs):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.lp")
        _, smap_id = m.write(path, io_options={"symbolic_solver_labels": False})  # format from ".lp"
        _ok(h.readModel(path), "readModel (the LP file Pyomo wrote)")
    smap = m.solutions.symbol_map[smap_id]
    names = h.getLp().col_names_
    cols = [smap.bySymbol[name] for name in names]
    return cols, []


def _check_finite_lp(lp, col_names) -> None:
    """Raise ValueError naming the column of a NaN or infinite cost or matrix value (bounds may be
    infinite): HiGHS would otherwise refuse the model with a bare error."""
    cost = np.asarray(lp.col_cost_, dtype=float)
    bad = np.flatnonzero(~np.isfinite(cost))
    if len(bad):
        raise ValueError(f"objective coefficient of {col_names[bad[0]]} is {cost[bad[0]]} (expected a finite number)")
    vals = np.asarray(lp.a_matrix_.value_, dtype=float)
    bad = np.flatnonzero(~np.isfinite(vals))
    if len(bad):
        col = int(np.searchsorted(np.asarray(lp.a_matrix_.start_), bad[0], side="right") - 1)
        raise ValueError(f"a constraint coefficient of {col_names[col]} is {vals[bad[0]]} (expected a finite number)")
    for name, arr in (("row lower bound", lp.row_lower_), ("row upper bound", lp.row_upper_)):
        if np.isnan(np.asarray(arr, dtype=float)).any():
            raise ValueError(f"a {name} is NaN (expected a number or infinity)")


def gap_within(gap: float | None, requested: float, objective: float | None, bound: float | None,
               abs_gap: float = 1e-6) -> bool:
    """True when a final gap meets the requested relative gap (or the absolute gap HiGHS also
    stops at, ``mip_abs_gap`` = 1e-6 USD by default, e.g. at an objective of 0)."""
    if gap is not None and math.isfinite(gap) and gap <= requested * (1 + 1e-9) + 1e-12:
        return True
    return objective is not None and bound is not None and abs(objective - bound) <= abs_gap


def _report_status(h: highspy.Highs, is_mip: bool, requested_gap: float = 1.0
                   ) -> tuple[str, float | None, float | None, float | None]:
    ms = h.getModelStatus()
    info = h.getInfo()
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    MS = highspy.HighsModelStatus
    if ms == MS.kOptimal:
        status = "optimal"  # for a MIP, checked against the requested gap below
    elif ms in (MS.kTimeLimit, MS.kIterationLimit, MS.kSolutionLimit, MS.kInterrupt, MS.kObjectiveBound,
                MS.kObjectiveTarget):
        status = "time_limit" if has_solution else "no_solution"
    elif ms in (MS.kInfeasible, MS.kUnboundedOrInfeasible):
        status = "infeasible"
    else:
        status = "error"
    if not has_solution:
        return status, None, None, None
    objective = float(info.objective_function_value)
    if is_mip:
        bound = float(info.mip_dual_bound)
        gap = float(info.mip_gap) if np.isfinite(info.mip_gap) else None
        if status == "optimal" and not gap_within(gap, requested_gap, objective, bound):
            status = "gap_not_met"  # HiGHS stopped above the gap asked for: not proven optimal
    else:
        bound, gap = objective, 0.0
    return status, objective, bound, gap


def solve_model(m: pyo.ConcreteModel, options: SolverOptions | None = None) -> SolveReport:
    """Solve ``m`` with HiGHS; on success the Pyomo variables hold the solution."""
    options = options or SolverOptions()
    if options.interface not in INTERFACES:
        raise ValueError(f"interface {options.interface!r}: expected one of {', '.join(INTERFACES)}")
    if options.interface == "appsi":
        return _solve_appsi(m, options)
    try:
        live = LiveModel(m, options)
    except HighsCallError as exc:
        return SolveReport("error", None, None, None, 0.0, 0.0, str(exc), options.interface)
    return live.run(options, start=options.start)


class LiveModel:
    """A Pyomo model handed to HiGHS once and kept alive for many runs (model.studies.session).

    Between runs a caller may change column bounds, add or delete rows and pass a start; each
    :meth:`run` re-applies the options (gap, time limit), runs HiGHS and loads the solution into
    the Pyomo variables. ``certify_bound``: a lower bound on the optimum known from elsewhere (the
    unrestricted model's bound, valid for any restriction of it); HiGHS then stops as soon as a
    solution within the gap of that bound is found (``objective_target``), and the reported
    bound is the larger of the two.
    """

    def __init__(self, m: pyo.ConcreteModel, options: SolverOptions):
        if options.interface == "appsi":
            raise ValueError("a kept HiGHS model needs the lp or matrix interface, not appsi")
        t0 = time.perf_counter()
        self.m = m
        self.h = _highs(options)
        self.cols, self.eliminated = (_pass_matrix if options.interface == "matrix" else _pass_lp_file)(m, self.h)
        self.handoff_seconds = time.perf_counter() - t0
        self.interface = options.interface
        self.is_mip = any(v.is_integer() for v in self.cols)
        self.index = {v.name: i for i, v in enumerate(self.cols)}
        lp = self.h.getLp()
        self.cost = np.asarray(lp.col_cost_, dtype=float)
        self.offset = float(lp.offset_)
        self.lower = np.asarray(lp.col_lower_, dtype=float)
        self.upper = np.asarray(lp.col_upper_, dtype=float)
        self.rows = self.h.getNumRow()  # rows of the model itself; more are added and deleted per run
        self.solution: np.ndarray | None = None
        self.added: list = []  # rows added since the last reset: (lower, upper, columns, values)
        self.col_lower, self.col_upper = self.lower.copy(), self.upper.copy()  # bounds as they stand
        log.info("model handed to HiGHS in %.2f s (%d columns, %d rows)", self.handoff_seconds,
                 self.h.getNumCol(), self.h.getNumRow())

    def set_options(self, options: SolverOptions, target: float | None = None, gap: float | None = None) -> None:
        """The run's options; ``gap``: the gap HiGHS aims at, if not the one asked for (``tighten``)."""
        values = {"mip_rel_gap": float(options.mip_rel_gap if gap is None else gap),
                  "random_seed": int(options.random_seed),
                  "time_limit": float(options.time_limit) if options.time_limit is not None else highspy.kHighsInf,
                  "objective_target": -highspy.kHighsInf if target is None else float(target)}
        for name, value in values.items():
            _ok(self.h.setOptionValue(name, value), f"setOptionValue({name}={value!r})")

    def add_row(self, lower: float, upper: float, idx, val) -> None:
        inf = highspy.kHighsInf
        lower, upper = -inf if lower is None else lower, inf if upper is None else upper
        idx, val = np.asarray(idx, dtype=np.int32), np.asarray(val, dtype=float)
        _ok(self.h.addRow(lower, upper, len(idx), idx, val), "addRow")
        self.added.append((lower, upper, idx, val))

    def fix_columns(self, idx, value: float) -> None:
        """Fix the columns ``idx`` at ``value`` until the next :meth:`reset`."""
        idx = np.asarray(idx, dtype=np.int32)
        self.col_lower[idx] = self.col_upper[idx] = value
        _ok(self.h.changeColsBounds(len(idx), idx, self.col_lower[idx], self.col_upper[idx]), "changeColsBounds")

    def admits(self, x: np.ndarray, tol: float = 1e-6) -> bool:
        """Whether column values ``x`` meet the current column bounds and the rows added since the
        last :meth:`reset` (the model's own rows held for ``x`` when it was a solution of it)."""
        if np.any(x < self.col_lower - tol) or np.any(x > self.col_upper + tol):
            return False
        for lower, upper, idx, val in self.added:
            act = float(val @ x[idx])
            slack = tol * max(1.0, abs(act))
            if act < lower - slack or act > upper + slack:
                return False
        return True

    def reset(self) -> None:
        """Back to the model as handed over: the added rows deleted, every column bound restored."""
        self.added = []
        self.col_lower, self.col_upper = self.lower.copy(), self.upper.copy()
        n = self.h.getNumRow()
        if n > self.rows:
            _ok(self.h.deleteRows(n - self.rows, np.arange(self.rows, n, dtype=np.int32)), "deleteRows")
        _ok(self.h.changeColsBounds(len(self.lower), np.arange(len(self.lower), dtype=np.int32),
                                    self.lower, self.upper), "changeColsBounds")

    def load(self, x: np.ndarray) -> float:
        """Put the column values ``x`` into the Pyomo variables; returns Pyomo's objective value
        (so the cost terms add up to the reported objective exactly)."""
        self.solution = x
        for v, val in zip(self.cols, x):
            v.set_value(float(val), skip_validation=True)
        for v, expr in self.eliminated:  # variables the compiler substituted out
            v.set_value(pyo.value(expr), skip_validation=True)
        obj = next(o for o in self.m.component_data_objects(pyo.Objective, active=True))
        return float(pyo.value(obj))

    def fingerprint(self, options: SolverOptions) -> str:
        """SHA-256 of the model as HiGHS holds it (costs, offset, bounds, matrix, integrality, the
        variables' names) and of the options that change the answer: equal fingerprints, equal answers."""
        import hashlib

        lp = self.h.getLp()
        d = hashlib.sha256()
        for arr in (lp.col_cost_, lp.col_lower_, lp.col_upper_, lp.row_lower_, lp.row_upper_,
                    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_):
            d.update(np.ascontiguousarray(np.asarray(arr)).tobytes())
        d.update(repr((float(lp.offset_), [int(t) for t in lp.integrality_], [v.name for v in self.cols],
                       options.mip_rel_gap, options.time_limit, options.random_seed, options.threads,
                       sorted((options.highs_options or {}).items()))).encode())
        return d.hexdigest()

    def run(self, options: SolverOptions, start: dict | None = None, certify_bound: float | None = None,
            start_vector: np.ndarray | None = None, tighten: float | None = None) -> SolveReport:
        """Run HiGHS on the model as it stands; the Pyomo variables hold the solution after it.

        ``start_vector``: a full MIP start (one value per column, e.g. an earlier solution).
        ``tighten`` (a fraction in (0, 1), for a MIP): aim at ``tighten`` x the gap, but once
        within the gap asked for, go on at most as long again as that took (:class:`Tightener`):
        a bound worth a few more seconds when many re-solves are certified by it."""
        h = self.h
        t1 = time.perf_counter()
        tightener = None
        try:
            target = None
            if certify_bound is not None and self.is_mip and math.isfinite(certify_bound) and certify_bound > 0:
                target = certify_bound / (1 - options.mip_rel_gap)  # (z - bound) / z <= gap  <=>  z <= target
            if tighten is not None and not 0 < tighten < 1:
                raise ValueError(f"tighten {tighten!r}: expected a fraction of the gap in (0, 1)")
            tighten = tighten if self.is_mip and options.mip_rel_gap > 0 else None
            self.set_options(options, target, None if tighten is None else tighten * options.mip_rel_gap)
            if tighten is not None:
                tightener = Tightener(options.mip_rel_gap).attach(h)
            h.clearSolver()
            if start_vector is not None:
                _pass_start(h, np.arange(len(self.cols)), start_vector)
            elif start:
                _set_start(h, self.cols, start)
            watch = None
            if options.progress_seconds and self.is_mip and not options.verbose:  # --verbose shows HiGHS's own log

                watch = SolveProgress(options.progress_seconds).attach(h)
            ctrl_c = CtrlC().attach(h) if self.is_mip else None
            try:
                _ok(h.run(), "run")
            finally:
                if ctrl_c is not None:
                    ctrl_c.stop()
                if watch is not None:
                    watch.stop()
                if tightener is not None:
                    tightener.stop()
        except HighsCallError as exc:
            return SolveReport("error", None, None, None, self.handoff_seconds, time.perf_counter() - t1, str(exc),
                               self.interface)
        t2 = time.perf_counter()
        reached = h.getModelStatus() == highspy.HighsModelStatus.kObjectiveTarget
        status, objective, bound, gap = _report_status(h, self.is_mip, options.mip_rel_gap)
        if (tightener is not None and tightener.interrupted and objective is not None
                and gap_within(gap, options.mip_rel_gap, objective, bound)):
            status = "optimal"  # within the gap asked for; stopped while tightening the bound
        elif ctrl_c is not None and ctrl_c.pressed and objective is not None and status != "optimal":
            status = "interrupted"  # the incumbent at Ctrl-C, with its bound and gap
        self.solution = None
        if objective is not None:
            objective = self.load(np.asarray(h.getSolution().col_value, dtype=float))
            if certify_bound is not None and self.is_mip:
                bound = max(bound if bound is not None else -math.inf, float(certify_bound))
                gap = (objective - bound) / max(abs(objective), 1e-10)
                if gap_within(gap, options.mip_rel_gap, objective, bound):
                    status = "optimal"  # certified by the given bound (objective target reached)
                elif reached:
                    status = "gap_not_met"
        return SolveReport(status, objective, bound, gap, self.handoff_seconds, t2 - t1,
                           h.modelStatusToString(h.getModelStatus()), self.interface)


class _InterruptCheck:
    """A ``_check(event)`` subscribed to HiGHS's ``cbMipInterrupt`` while a run lasts."""

    _cb = None

    def _subscribe(self, h: highspy.Highs) -> None:
        self._cb = h.cbMipInterrupt
        self._cb.subscribe(self._check)

    def stop(self) -> None:
        if self._cb is not None:
            self._cb.unsubscribe(self._check)
            self._cb = None


class CtrlC(_InterruptCheck):
    """Ctrl-C (SIGINT) during a MIP run: HiGHS is asked to stop at its next ``cbMipInterrupt``
    check, so it returns its best plan (status kInterrupt) instead of KeyboardInterrupt tearing
    the run down with the plan lost. A second Ctrl-C raises KeyboardInterrupt at once. Only in
    the main thread (where Python delivers signals); elsewhere it does nothing."""

    def __init__(self):
        self.pressed = False
        self._old = None

    def _handler(self, signum, frame) -> None:
        if self.pressed:
            raise KeyboardInterrupt
        self.pressed = True
        print("Ctrl-C: stopping HiGHS at its next check; the best plan found so far is kept "
              "(Ctrl-C again to abort)", file=sys.stderr, flush=True)

    def _check(self, event) -> None:
        if self.pressed:
            event.interrupt()

    def attach(self, h: highspy.Highs) -> "CtrlC":
        if threading.current_thread() is not threading.main_thread():
            return self
        try:
            self._old = signal.signal(signal.SIGINT, self._handler)
        except ValueError:  # not the main interpreter
            return self
        self._subscribe(h)
        return self

    def stop(self) -> None:
        super().stop()
        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)
            self._old = None


class Tightener(_InterruptCheck):
    """Interrupts a MIP run that aims below the gap asked for (``LiveModel.run(tighten=...)``)
    once it has spent, since it first held a solution within ``gap``, as long again as it took
    to get there (at least one second): the extra effort is bounded by the run's own pace."""

    def __init__(self, gap: float):
        self.gap = float(gap)
        self.reached_at: float | None = None
        self.interrupted = False

    def _check(self, event) -> None:
        d = event.data_out
        if self.reached_at is None:
            if math.isfinite(d.mip_gap) and d.mip_gap <= self.gap and math.isfinite(d.mip_primal_bound):
                self.reached_at = float(d.running_time)
        elif d.running_time >= self.reached_at + max(self.reached_at, 1.0):
            self.interrupted = True
            event.interrupt()

    def attach(self, h: highspy.Highs) -> "Tightener":
        self._subscribe(h)
        return self


def _set_start(h: highspy.Highs, cols, start: dict) -> None:
    """Give HiGHS a (partial) MIP start: the columns named in ``start``; HiGHS fixes the given
    integers and solves for the rest, and uses the result as its first incumbent if feasible."""
    idx = [i for i, v in enumerate(cols) if v.name in start]
    if idx:
        _pass_start(h, idx, [start[cols[i].name] for i in idx])


def _pass_start(h: highspy.Highs, idx, values) -> None:
    """``setSolution`` on columns ``idx``; a rejected start only costs speed: solve without it."""
    status = h.setSolution(len(idx), np.asarray(idx, dtype=np.int32), np.asarray(values, dtype=float))
    if status == highspy.HighsStatus.kError:
        log.warning("HiGHS setSolution (MIP start) failed: solving without the start")


def _solve_appsi(m: pyo.ConcreteModel, options: SolverOptions) -> SolveReport:
    from pyomo.contrib.appsi.base import TerminationCondition as TC
    from pyomo.contrib.appsi.solvers import Highs

    opt = Highs()
    opt.config.stream_solver = bool(options.verbose)
    opt.config.load_solution = False
    if options.time_limit is not None:
        opt.config.time_limit = float(options.time_limit)
    opt.config.mip_gap = float(options.mip_rel_gap)
    opt.highs_options = {"random_seed": int(options.random_seed)}
    if options.threads is not None:
        opt.highs_options["threads"] = int(options.threads)
    t0 = time.perf_counter()
    opt.set_instance(m)
    t1 = time.perf_counter()
    res = opt.solve(m)
    t2 = time.perf_counter()
    tc = res.termination_condition
    has = res.best_feasible_objective is not None
    if tc == TC.optimal:
        status = "optimal"
        if has and any(v.is_integer() for v in m.component_data_objects(pyo.Var, active=True)):
            ok = gap_within(None if res.best_objective_bound is None else
                            abs(res.best_feasible_objective - res.best_objective_bound)
                            / max(abs(res.best_feasible_objective), 1e-10),
                            options.mip_rel_gap, res.best_feasible_objective, res.best_objective_bound)
            status = "optimal" if ok else "gap_not_met"
    elif tc in (TC.maxTimeLimit, TC.maxIterations, TC.interrupted):
        status = "time_limit" if has else "no_solution"
    elif tc in (TC.infeasible, TC.infeasibleOrUnbounded):
        status = "infeasible"
    else:
        status = "error"
    objective = bound = gap = None
    if has:
        res.solution_loader.load_vars()
        obj = next(o for o in m.component_data_objects(pyo.Objective, active=True))
        objective = float(pyo.value(obj))
        bound = res.best_objective_bound
        gap = abs(objective - bound) / max(abs(objective), 1e-10) if bound is not None else None
    return SolveReport(status, objective, bound, gap, t1 - t0, t2 - t1, str(tc), "appsi")


def solve_lp_duals(m: pyo.ConcreteModel, options: SolverOptions | None = None,
                   skip=(), relax_integers: bool = False) -> tuple[SolveReport, dict]:
    """The LP of ``m`` with every integer variable fixed at its current (rounded) value, and its duals.

    Used for shadow prices (:mod:`model.studies.shadow`); the default MIP path above is untouched.
    ``relax_integers=True`` solves the LP relaxation instead (binaries in [0, 1], none fixed), as
    arc pricing (:mod:`model.methods.arc_pricing`) needs.
    Constraint components named in ``skip`` are deactivated for this LP (e.g. ``strong_linking``,
    redundant once the binaries are fixed, whose binding rows would make the duals of demand rows
    non-unique). Returns the report and ``{constraint data: dual}``, each dual being d(objective)
    / d(right-hand side) in objective units (USD) per unit of the row (HiGHS's sign convention:
    negative on a binding ``<=`` row of a minimisation). The variables hold the LP solution
    afterwards; fixing and deactivation are undone.
    """
    options = options or SolverOptions()
    fixed, relaxed = [], []
    for v in m.component_data_objects(pyo.Var, active=True):
        if v.is_integer() and not v.fixed:
            if relax_integers:
                if not v.is_binary():
                    raise ValueError(f"relax_integers: {v.name} is integer but not binary")
                v.domain = pyo.UnitInterval
                relaxed.append(v)
            else:
                v.fix(round(v.value or 0.0))
                fixed.append(v)
    skipped = [c for name in skip if (c := getattr(m, name, None)) is not None and c.active]
    for c in skipped:
        c.deactivate()
    try:
        h = _highs(options)
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "model.lp")
            _, smap_id = m.write(path, io_options={"symbolic_solver_labels": False})
            _ok(h.readModel(path), "readModel (the LP file Pyomo wrote)")
        smap = m.solutions.symbol_map[smap_id]
        lp = h.getLp()
        cols = [smap.bySymbol.get(name) for name in lp.col_names_]
        rows = [smap.bySymbol.get(name) for name in lp.row_names_]
        t1 = time.perf_counter()
        _ok(h.run(), "run")
        t2 = time.perf_counter()
        status, objective, bound, gap = _report_status(h, is_mip=False)
        duals = {}
        if objective is not None:
            sol = h.getSolution()
            for v, val in zip(cols, sol.col_value):
                if v is not None and not v.fixed:
                    v.set_value(float(val), skip_validation=True)
            duals = {c: float(d) for c, d in zip(rows, sol.row_dual) if c is not None}
            obj = next(o for o in m.component_data_objects(pyo.Objective, active=True))
            objective = float(pyo.value(obj))
            bound = objective
        report = SolveReport(status, objective, bound, gap, t1 - t0, t2 - t1,
                             h.modelStatusToString(h.getModelStatus()), "lp")
    finally:
        for c in skipped:
            c.activate()
        for v in fixed:
            v.unfix()
        for v in relaxed:
            v.domain = pyo.Binary
    return report, duals
