"""Run independent jobs (sweep points, regret solves) in parallel through Dask.

One function, :func:`map_jobs`, used by sweeps (``model.studies.sweep``) and by the decision-insight
commands (``model.studies``): a local Dask cluster by default (``workers`` processes, one
thread each, since HiGHS already uses the cores it is given), or an existing cluster at
``scheduler`` (``tcp://host:8786``). A job that raises is returned as a :class:`JobFailure`
with its reason; it never stops the others.
"""
from __future__ import annotations

import logging
import os
import traceback
from dataclasses import dataclass
from typing import Any, Callable, Iterable

#: How long to wait for an existing Dask scheduler (``--scheduler``) before giving up.
SCHEDULER_TIMEOUT = os.environ.get("VN_CBEC_SCHEDULER_TIMEOUT", "10s")


@dataclass
class JobFailure:
    """What a failed job left: the exception's type and message, and the traceback text."""

    error: str
    traceback: str


def _guarded(fn: Callable, item: Any):
    try:
        return fn(item)
    except Exception as exc:  # a failing point is data, not a crash of the whole run
        return JobFailure(f"{type(exc).__name__}: {exc}", traceback.format_exc())


def map_jobs(fn: Callable[[Any], Any], items: Iterable[Any], workers: int | None = None,
             scheduler: str | None = None, on_done: Callable[[int, Any], None] | None = None) -> list:
    """``[fn(item) for item in items]`` computed in parallel; failures come back as JobFailure.

    ``workers``: size of the local cluster (default: the number of cores); ``workers=1`` and no
    scheduler runs in this process, without Dask (for debugging and for exact timing).
    ``on_done(index, result)`` is called in this process as each job finishes (progress bars).
    """
    items = list(items)
    results: list = [None] * len(items)
    if not items:
        return results
    if scheduler is None and (workers or os.cpu_count() or 1) == 1:
        for i, item in enumerate(items):
            results[i] = _guarded(fn, item)
            if on_done:
                on_done(i, results[i])
        return results

    from dask.distributed import Client, LocalCluster, as_completed

    # importing distributed sets its loggers to INFO: cluster start-up chatter would bury the
    # command's own output (sweep, breakeven, regret); keep its warnings and errors
    logging.getLogger("distributed").setLevel(logging.WARNING)
    # at shutdown the nanny kills a worker that is still winding down and warns "Worker process still
    # alive after 4.0 seconds, killing", once per worker: expected, harmless, and noise to a planner
    logging.getLogger("distributed.nanny").setLevel(logging.ERROR)

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=min(workers or os.cpu_count() or 1, len(items)), threads_per_worker=1,
                               processes=True, dashboard_address=None)
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler, timeout=SCHEDULER_TIMEOUT)
        except (OSError, TimeoutError, ValueError, TypeError) as exc:  # refused, unreachable, bad address
            raise ValueError(f"--scheduler {scheduler}: cannot connect to a Dask scheduler there within "
                             f"{SCHEDULER_TIMEOUT} ({type(exc).__name__}: {exc})") from None
    try:
        futures = {client.submit(_guarded, fn, item, pure=False): i for i, item in enumerate(items)}
        for fut in as_completed(futures):
            i = futures[fut]
            try:
                results[i] = fut.result()
            except Exception as exc:  # the worker itself died (memory, signal)
                results[i] = JobFailure(f"worker lost: {type(exc).__name__}: {exc}", traceback.format_exc())
            if on_done:
                on_done(i, results[i])
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return results
