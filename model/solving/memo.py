"""Solutions remembered by model fingerprint, so that a sweep point whose parameter does not reach
the model is not solved again."""
from __future__ import annotations

import dataclasses
import logging
from collections import OrderedDict

from model.solving.highs import LiveModel, SolverOptions

log = logging.getLogger(__name__)


#: Solutions remembered per process by :func:`solve_remembered`, by model fingerprint.
SOLVED_SIZE = 64
_SOLVED: "OrderedDict[str, tuple]" = OrderedDict()


def solve_remembered(m, options: SolverOptions):
    """Solve Pyomo model ``m`` unless this process has solved an identical one (same costs, bounds,
    matrix and integrality as HiGHS holds them, same options: :meth:`LiveModel.fingerprint`); then
    that solution is loaded into ``m`` instead. This happens where a parameter does not reach the
    model, e.g. a bonded clearance time when every bonded arc is dominated and pruned. Returns
    (SolveReport, whether the solution was reused); :func:`model.pipeline.solve` with
    ``remember=True`` calls it."""
    live = LiveModel(m, options)
    key = live.fingerprint(options)
    hit = _SOLVED.get(key)
    if hit is not None:
        x, earlier = hit
        log.info("the same model as one already solved: its solution reused")
        return dataclasses.replace(earlier, objective=live.load(x), handoff_seconds=live.handoff_seconds,
                                   solve_seconds=0.0), True
    report = live.run(options, start=options.start)
    if live.solution is not None:
        _SOLVED[key] = (live.solution.copy(), report)
        while len(_SOLVED) > SOLVED_SIZE:
            _SOLVED.popitem(last=False)
    return report, False


def clear() -> None:
    """Forget every remembered solution of this process."""
    _SOLVED.clear()
