"""Runs of the workspace: a queue, one solve at a time, each the command line in a process of its own.

The queue lives in the server, not in the page, so a run survives a browser reload and every tab sees
the same runs. A run is keyed by its name (its results folder): a second request for a name already
queued or running is refused, so two tabs cannot start the same run twice. The progress line is the
command line's own (``model.solving.progress``: best plan, bound, gap, elapsed), read from its output.
"""
from __future__ import annotations

import itertools
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from model.core.paths import PROJECT_DIR
from model.io.run_identity import check_run_name

SOLVE_PY = PROJECT_DIR / "solve.py"
PROGRESS_SECONDS = 1.0  # the command line's --progress: a lively line in the browser
ACTIVE = ("queued", "running")


@dataclass
class Run:
    id: int
    name: str  # the run's name = its folder under the results folder
    scenario: Path
    state: str = "queued"  # queued, running, done, failed, cancelled
    progress: str = ""
    log: deque = field(default_factory=lambda: deque(maxlen=200))
    queued_at: float = field(default_factory=time.time)
    started: float | None = None
    ended: float | None = None
    returncode: int | None = None
    folder: str = ""

    def row(self) -> dict:
        # the time only when it stops changing (the progress line has its own elapsed seconds), so the
        # page redraws the table only when something happened
        when = (f"{self.ended - self.started:.0f} s" if self.ended and self.started else
                time.strftime("started %H:%M:%S", time.localtime(self.started)) if self.started else "")
        return {"id": self.id, "name": self.name, "scenario": self.scenario.stem, "state": self.state,
                "progress": self.progress, "elapsed": when,
                "folder": self.folder, "message": self.log[-1] if self.log and self.state == "failed" else ""}


class RunQueue:
    """FIFO of runs; a daemon thread solves them one by one with ``python solve.py SCENARIO``."""

    def __init__(self, results_dir: Path, extra_args: tuple = ()):
        self.results_dir = Path(results_dir)
        self.extra_args = tuple(extra_args)
        self.runs: list[Run] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._proc: subprocess.Popen | None = None
        self._current: Run | None = None
        self._thread = threading.Thread(target=self._loop, name="ui-runs", daemon=True)
        self._thread.start()

    def submit(self, name: str, scenario: Path) -> tuple[Run | None, str]:
        """Queue scenario file ``scenario`` as run ``name``; (None, why) when that run is already queued or running."""
        check_run_name(name)
        with self._lock:
            busy = next((r for r in self.runs if r.name == name and r.state in ACTIVE), None)
            if busy:
                return None, f"run '{name}' is already {busy.state} (run {busy.id}): not started twice"
            run = Run(next(self._ids), name, Path(scenario))
            self.runs.append(run)
            self._wake.notify_all()
        return run, f"run '{name}' queued (run {run.id})"

    def cancel(self, run_id: int) -> str:
        """Cancel a queued run, or stop a running one (its process is terminated; no folder is written)."""
        with self._lock:
            run = next((r for r in self.runs if r.id == run_id), None)
            if run is None or run.state not in ACTIVE:
                return "nothing to cancel"
            if run.state == "queued":
                run.state, run.ended = "cancelled", time.time()
                return f"run '{run.name}' cancelled before it started"
            run.state = "cancelled"
            proc = self._proc
        if proc is not None:
            proc.terminate()
        return f"run '{run.name}' cancelled"

    def rows(self) -> list[dict]:
        with self._lock:
            return [r.row() for r in reversed(self.runs)]

    def wait_idle(self, timeout: float) -> bool:
        """True once nothing is queued or running (for the command's shutdown and tests)."""
        end = time.time() + timeout
        while time.time() < end:
            with self._lock:
                if not any(r.state in ACTIVE for r in self.runs):
                    return True
            time.sleep(0.1)
        return False

    def stop(self) -> None:
        """Cancel everything; the current process is terminated."""
        for r in list(self.runs):
            self.cancel(r.id)

    # ------------------------------------------------------------------ the worker

    def _next(self) -> Run:
        with self._lock:
            while True:
                run = next((r for r in self.runs if r.state == "queued"), None)
                if run is not None:
                    run.state, run.started = "running", time.time()
                    return run
                self._wake.wait()

    def _loop(self) -> None:
        while True:
            run = self._next()
            self._solve(run)

    def _solve(self, run: Run) -> None:
        cmd = [sys.executable, str(SOLVE_PY), str(run.scenario), "--results-dir", str(self.results_dir),
               "--name", run.name, "--progress", f"{PROGRESS_SECONDS:g}", *self.extra_args]
        run.log.append("$ python solve.py " + " ".join(cmd[2:]))
        run.progress = "starting: reading the scenario and building the model"
        with self._lock:
            if run.state == "cancelled":
                return
            self._proc = proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                                 cwd=PROJECT_DIR, bufsize=1)
        for line in proc.stdout:
            line = line.rstrip()
            run.log.append(line)
            if line.startswith(("HiGHS", "Solving", "Lagrangian", "Run ")):
                run.progress = line
        code = proc.wait()
        with self._lock:
            self._proc = None
            run.returncode, run.ended = code, time.time()
            if run.state == "cancelled":
                run.progress = "cancelled"
                return
            folder = self.results_dir / run.name
            if code == 0 and (folder / "summary.json").is_file():
                run.state, run.folder = "done", str(folder)
                run.progress = next((x for x in reversed(run.log) if x.startswith("Run ")), run.progress)
            else:
                run.state = "failed"
                run.progress = next((x for x in reversed(run.log) if x.startswith("error")), f"exit status {code}")
