"""One progress line every few seconds while HiGHS solves a MIP, on stderr:

    HiGHS  25 s: best plan USD 4.562 bn/yr, bound USD 4.555 bn, gap 0.14 %

Four significant figures, what the data support: the gap shows the bound moving as well as ten
digits would.

HiGHS's MIP callbacks (``cbMipInterrupt``, ``cbMipImprovingSolution``, ``cbMipLogging``)
record the latest incumbent, bound and gap; a daemon thread prints them at a fixed rate
(``Highs.run`` releases the GIL, so it runs while HiGHS works), so the rate does not depend on
how often HiGHS calls back. The raw HiGHS log stays behind ``--verbose``.
"""
from __future__ import annotations

import math
import sys
import threading
import time

from model.core.formats import usd


def progress_line(elapsed: float, primal: float | None, dual: float | None, gap: float | None) -> str:
    """The text of one line (pure): elapsed seconds, best plan cost, bound and gap, or what is missing."""
    def finite(x):
        return x is not None and math.isfinite(x) and abs(x) < 1e300

    plan = f"best plan {usd(primal, precise=True)}/yr" if finite(primal) else "no plan yet"
    bound = f"bound {usd(dual, precise=True)}" if finite(dual) else "no bound yet"
    gap_text = f"gap {gap:.2%}".replace("%", " %") if finite(gap) and finite(primal) else "gap n/a"
    return f"HiGHS {elapsed:4.0f} s: {plan}, {bound}, {gap_text}"


class SolveProgress:
    """Attach to a ``highspy.Highs`` before ``run()``; :meth:`stop` after it. ``every``: seconds
    between lines; ``stream``: where they go (stderr)."""

    def __init__(self, every: float = 5.0, stream=None):
        self.every = float(every)
        self.stream = stream
        self.state = (None, None, None)  # primal bound, dual bound, gap
        self.lines = 0
        self._stop = threading.Event()
        self._thread = None
        self._t0 = time.monotonic()
        self._subscribed = []

    def _record(self, event) -> None:
        d = event.data_out
        self.state = (d.mip_primal_bound, d.mip_dual_bound, d.mip_gap)

    def attach(self, h) -> "SolveProgress":
        for cb in (h.cbMipInterrupt, h.cbMipImprovingSolution):
            cb.subscribe(self._record)
            self._subscribed.append(cb)
        self._t0 = time.monotonic()
        self._thread = threading.Thread(target=self._loop, name="highs-progress", daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            print(progress_line(time.monotonic() - self._t0, *self.state), file=self.stream or sys.stderr, flush=True)
            self.lines += 1

    def stop(self) -> None:
        self._stop.set()
        for cb in self._subscribed:  # a kept model runs again: no stale watcher on its callbacks
            cb.unsubscribe(self._record)
        self._subscribed = []
        if self._thread is not None:
            self._thread.join(timeout=1.0)
