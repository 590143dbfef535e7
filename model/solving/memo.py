"""Solutions remembered by model fingerprint, so that a sweep point whose parameter does not reach
the model is not solved again."""
from __future__ import annotations

import dataclasses
import logging

from model.core.cache import LRUCache
from model.solving.highs import LiveModel, SolverOptions

log = logging.getLogger(__name__)


#: Solutions remembered per process by :func:`solve_remembered`, by model fingerprint.
SOLVED_SIZE = 64
SOLVED: LRUCache = LRUCache(SOLVED_SIZE)


def solve_remembered(m, options: SolverOptions, memo: LRUCache | None = None):
    """Solve Pyomo model ``m`` unless this process has solved an identical one (same costs, bounds,
    matrix and integrality as HiGHS holds them, same options: :meth:`LiveModel.fingerprint`); then
    that solution is loaded into ``m`` instead. This happens where a parameter does not reach the
    model, e.g. a bonded clearance time when every bonded arc is dominated and pruned. Returns
    (SolveReport, whether the solution was reused); :func:`model.pipeline.solve` with
    ``remember=True`` calls it. ``memo``: the solutions to look in (default :data:`SOLVED`)."""
    memo = SOLVED if memo is None else memo
    live = LiveModel(m, options)
    key = live.fingerprint(options)
    hit = memo.get(key)
    if hit is not None:
        x, earlier = hit
        log.info("the same model as one already solved: its solution reused")
        return dataclasses.replace(earlier, objective=live.load(x), handoff_seconds=live.handoff_seconds,
                                   solve_seconds=0.0), True
    report = live.run(options, start=options.start)
    if live.solution is not None:
        memo.put(key, (live.solution.copy(), report))
    return report, False


def clear() -> None:
    """Forget every remembered solution of this process."""
    SOLVED.clear()
