"""Output folders the tool owns: safe names, atomic replacement, strict JSON, escaped CSV.

Every command writes its results through :func:`write_atomically`:

- A folder it writes holds a marker file, :data:`MARKER` (``.vn-cbec-result``, a small JSON
  document: tool, kind, files written, time, process). A folder without it that is not empty
  is *foreign*: it is refused (:class:`OutputRefused`, exit 2) unless ``force=True``, and even
  then nothing in it is deleted: the new files are written beside what is there, file by file
  (a file of the same name is replaced), and the folder is never swapped away.
- A previous result is replaced atomically: the new files go to a temporary folder beside it,
  then the two are swapped in one ``renameat2(RENAME_EXCHANGE)`` call (Linux), and the old one
  is removed only after the new one is complete. Where that call is missing, two renames are
  used and a kill between them is repaired by the next write (the old result is put back).
- Files in a previous result that the tool did not write (not in its marker) are carried into
  the new one (hard links), so a note left in ``results/default/`` survives a re-run.
- Writers take an exclusive lock (``flock`` on the parent folder): concurrent runs wait for
  each other; the later result replaces the earlier one, with a warning if the earlier
  one was written while this run was computing.
- Temporary folders left by a killed run (``.<name>.tmp-*``) are removed by the next write.

Tests stop the writer at a named step with the environment variable
``VN_CBEC_WRITER_EXIT_AT=<step>`` (the process exits there, as if killed) or pause it with
``VN_CBEC_WRITER_PAUSE_AT=<step>`` (it creates ``<tmp>/.paused`` and sleeps): steps are listed in
:data:`STEPS`.
"""
from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import logging
import math
import os
import re
import shutil
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from model.core.formats import escape_formulas

log = logging.getLogger(__name__)

MARKER = ".vn-cbec-result"
TOOL = "vn-cbec-bonded"
#: Named points inside :func:`write_atomically` where tests can stop or pause the writer.
STEPS = ("locked", "tmp_created", "first_file", "files_written", "marker_written", "swapped", "old_removed")
_PROCESS_START = time.time()
#: Files of results written before the marker existed (recognised as the tool's own, see _legacy_files).
_LEGACY_NAMES = re.compile(r"^(summary\.json|sites\.csv|flows\.csv|report\.md|map\.png|map\.html|sites\.geojson|"
                           r"flows\.geojson|results\.xlsx|compare\.md|compare\.csv|compare_map\.png|scenarios\.csv|"
                           r"stock\.csv|sweep\.csv|sweep\.png|alternatives\.csv|regret\.csv|shadow_[a-z]+\.csv|"
                           r"breakeven_[A-Za-z0-9_]+\.csv|points\.csv|points\.parquet|sites_by_point\.csv|"
                           r"sweep\.md|point\.json|failed\.json|plot_[A-Za-z0-9_]+\.png|sites_heatmap\.png)$")


_LEGACY_TMP = re.compile(r"^([a-z0-9_]{8}|old\.[0-9]+)$")


class OutputRefused(ValueError):
    """An output folder the tool will not write into (foreign, not a folder, not writable)."""


# ----------------------------------------------------------------------------- names and paths

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_component(text: object, max_len: int = 120) -> str:
    """``text`` as one path component: letters, digits, ``.``, ``_``, ``-``; other runs of
    characters become ``_``; no leading dot (so never ``.`` or ``..``); at most ``max_len``."""
    name = _SAFE.sub("_", str(text)).lstrip(".")[:max_len].strip()
    return name or "run"


def child_path(parent: Path | str, name: object) -> Path:
    """``parent / safe_component(name)``, checked to resolve inside ``parent``."""
    parent = Path(parent)
    path = parent / safe_component(name)
    if not path.resolve().is_relative_to(parent.resolve()):  # a symlinked component could still leave it
        raise OutputRefused(f"{path}: resolves to {path.resolve()}, outside {parent.resolve()}")
    return path


def check_component(name: str, what: str) -> str:
    """``name`` unchanged if it is already one safe path component, else OutputRefused naming ``what``."""
    if not name or safe_component(name) != name:
        raise OutputRefused(f"{what} {name!r}: expected one folder name of letters, digits, '.', '_' or '-' "
                            "(not starting with '.')")
    return name


# ----------------------------------------------------------------------------- strict JSON and CSV

def strict(obj):
    """A copy of ``obj`` that strict JSON accepts: +-inf -> the strings ``"inf"`` / ``"-inf"``,
    NaN -> None; numpy scalars -> Python numbers; tuples -> lists."""
    if isinstance(obj, dict):
        return {str(k): strict(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [strict(v) for v in obj]
    if hasattr(obj, "item") and hasattr(obj, "dtype"):  # numpy scalar
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None if math.isnan(obj) else ("inf" if obj > 0 else "-inf")
    return obj


def dumps(obj, **kw) -> str:
    """Strict JSON text (``allow_nan=False``) of ``obj`` after :func:`strict`."""
    kw.setdefault("indent", 2)
    kw.setdefault("ensure_ascii", False)
    return json.dumps(strict(obj), allow_nan=False, default=_default, **kw) + "\n"


def _default(o):
    if hasattr(o, "item"):
        return strict(o.item())
    if hasattr(o, "isoformat"):
        return o.isoformat()
    if isinstance(o, (set, frozenset)):
        return sorted(o)
    return str(o)


def write_json(path: Path, obj) -> None:
    Path(path).write_text(dumps(obj), encoding="utf-8")


def write_csv(df, path: Path, **kw) -> None:
    """``df.to_csv(path, **kw)`` with formula-like text cells escaped (:func:`escape_formulas`)."""
    escape_formulas(df).to_csv(path, **kw)


def md_text(text: object) -> str:
    """Text from data (a name) for Markdown: HTML escaped (``<script>`` shows as text) and table
    pipes escaped, so it cannot inject markup into report.md / compare.md."""
    import html

    return html.escape(str(text), quote=False).replace("|", "\\|").replace("\n", " ")


# ----------------------------------------------------------------------------- ownership

def read_marker(folder: Path) -> dict | None:
    """The marker of a folder the tool wrote, or None (no marker, or one that is not ours)."""
    try:
        doc = json.loads((Path(folder) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and doc.get("tool") == TOOL else None


def _legacy_files(folder: Path) -> list[str] | None:
    """Files of a result written by an earlier version (no marker): a summary.json object with
    ``input_hash``, a sweep's ``points/``, a sweep point or a comparison, holding nothing but
    file names this tool writes (and hidden files); anything else makes it the user's folder."""
    try:
        doc = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        ours = isinstance(doc, dict) and "input_hash" in doc
    except (OSError, ValueError):
        ours = False
    ours = ours or (folder.parent.name == "points" and (folder / "point.json").is_file())  # a sweep point
    ours = ours or ((folder / "compare.md").is_file() and (folder / "compare.csv").is_file())  # a comparison
    if not ours and not ((folder / "points").is_dir() and (folder / "points.csv").is_file()):
        return None
    names = [p.name for p in folder.iterdir()]
    if not all(_LEGACY_NAMES.match(n) or n == "points" or n.startswith(".") for n in names):
        return None  # something else is in it: treat it as the user's folder (refused without --force)
    return names


def ownership(folder: Path) -> tuple[str, list[str]]:
    """('missing' | 'empty' | 'owned' | 'foreign', names the tool wrote there)."""
    folder = Path(folder)
    if not folder.exists() and not folder.is_symlink():
        return "missing", []
    if not folder.is_dir() or folder.is_symlink():
        return "foreign", []
    marker = read_marker(folder)
    if marker is not None:
        return "owned", [str(f) for f in marker.get("files", [])]
    entries = [p for p in folder.iterdir()]
    if not entries:
        return "empty", []
    legacy = _legacy_files(folder)
    return ("owned", legacy) if legacy is not None else ("foreign", [])


def check_out_dir(out_dir: Path | str, force: bool = False) -> Path:
    """Refuse, before any work, an ``out_dir`` that cannot become this tool's folder: a file or a
    path through a file (``/dev/null/res``), an unwritable parent, or a non-empty folder without
    the marker (unless ``force``). Returns ``out_dir`` as a Path."""
    out_dir = Path(out_dir)
    for p in (out_dir, *out_dir.parents):
        if p.exists():
            if not p.is_dir():
                raise OutputRefused(f"--out {out_dir}: {p} is not a folder")
            if p != out_dir and not os.access(p, os.W_OK | os.X_OK):
                raise OutputRefused(f"--out {out_dir}: cannot write into {p} (permission denied)")
            break
    state, _ = ownership(out_dir)
    if state == "foreign" and not out_dir.is_dir():
        raise OutputRefused(f"--out {out_dir}: not a folder")
    if state == "foreign" and not force:
        raise OutputRefused(f"--out {out_dir}: the folder is not empty and was not written by this tool (no {MARKER} "
                            "file); nothing was written. Choose another --out, or pass --force to write the results "
                            "into it (files already there are kept; files of the same names are replaced)")
    return out_dir


# ----------------------------------------------------------------------------- the writer

def _step(name: str, tmp: Path | None = None) -> None:
    """A named point of the writer where tests stop (exit as if killed) or pause the process."""
    if os.environ.get("VN_CBEC_WRITER_EXIT_AT") == name:
        os._exit(137)
    if os.environ.get("VN_CBEC_WRITER_PAUSE_AT") == name:
        if tmp is not None and tmp.is_dir():
            (tmp / ".paused").touch()
        time.sleep(3600)


@contextlib.contextmanager
def folder_lock(out_dir: Path):
    """Exclusive lock of the writers into ``out_dir``'s parent folder: ``flock`` on the parent
    itself, so no lock file is left behind; the kernel releases it when the process ends or is
    killed. (Writers of sibling folders wait for each other too; a write takes seconds.)"""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock (concurrent writers may then race)
        yield
        return
    fd = os.open(out_dir.parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    if os.environ.get("VN_CBEC_WRITER_NO_EXCHANGE"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _ours(folder: Path) -> bool:
    """A temporary folder this module made: empty, or holding our marker."""
    try:
        return not any(folder.iterdir()) or (folder / MARKER).is_file()
    except OSError:
        return False


def clean_leftovers(out_dir: Path) -> list[Path]:
    """Remove temporary folders a killed writer left beside ``out_dir``; put back an old result
    if a kill came between the two renames of the fallback swap. Call with the lock held."""
    removed = []
    olds = sorted(out_dir.parent.glob(f".{out_dir.name}.old-*"))
    if not out_dir.exists() and olds:
        complete = [o for o in olds if (read_marker(o) or {}).get("complete")]
        if complete:
            os.rename(complete[-1], out_dir)
            log.warning("%s: restored the previous result left by an interrupted write", out_dir)
    for p in [*out_dir.parent.glob(f".{out_dir.name}.tmp-*"), *out_dir.parent.glob(f".{out_dir.name}.old-*")]:
        if p.is_dir() and not p.is_symlink() and _ours(p):
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    # earlier versions' temporary folders: .<name>.<8 random characters> and .<name>.old.<pid>,
    # removed only when they hold nothing but file names this tool writes
    for p in out_dir.parent.glob(f".{out_dir.name}.*"):
        if (_LEGACY_TMP.match(p.name[len(out_dir.name) + 2:]) and p.is_dir() and not p.is_symlink()
                and all(c.is_file() and _LEGACY_NAMES.match(c.name) for c in p.iterdir())):
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    return removed


def _carry_over(old: Path, tmp: Path, ours: list[str], new_names: set[str], force: bool) -> list[str]:
    """Hard-link (or copy) into ``tmp`` every entry of ``old`` the tool did not write."""
    kept = []
    for p in old.iterdir():
        if p.name == MARKER or p.name in ours:
            continue
        if p.name in new_names:
            if force:
                continue  # --force: the new file of that name replaces the user's
            raise OutputRefused(f"{old / p.name}: this file was not written by the tool and the new result has "
                                "a file of the same name; move it away or pass --force to replace it")
        dst = tmp / p.name
        if p.is_dir() and not p.is_symlink():
            shutil.copytree(p, dst, symlinks=True, copy_function=_link_or_copy)
        else:
            _link_or_copy(p, dst)
        kept.append(p.name)
    return kept


def _link_or_copy(src, dst) -> None:
    try:
        os.link(src, dst, follow_symlinks=False)
    except OSError:
        shutil.copy2(src, dst, follow_symlinks=False)


def write_atomically(out_dir: Path | str, files: dict[str, Callable[[Path], None]], force: bool = False,
                     kind: str = "result") -> Path:
    """Write ``files`` (name -> ``writer(path)``) as the folder ``out_dir``, replacing a previous
    result of the tool atomically; see the module docstring for the guarantees.

    Raises :class:`OutputRefused` for a foreign non-empty ``out_dir`` (unless ``force``), for a
    path that cannot be a folder, and for a file of a new name the user put in an old result.
    """
    out_dir = Path(out_dir)
    for name in files:
        if name == MARKER or Path(name).name != name or name in ("", ".", ".."):
            raise ValueError(f"result file {name!r}: expected a plain file name")
    check_out_dir(out_dir, force)
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputRefused(f"{out_dir}: cannot create {out_dir.parent}: {exc.strerror or exc}") from exc
    with folder_lock(out_dir):
        _step("locked")
        clean_leftovers(out_dir)
        state, ours = ownership(out_dir)  # again, under the lock
        if state == "foreign" and not force:
            check_out_dir(out_dir, force)
        if state == "owned" and (read_marker(out_dir) or {}).get("forced_into_foreign_folder"):
            state = "shared"  # a folder of the user's that we once wrote into with --force: never swapped
        tmp = out_dir.parent / f".{out_dir.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)
        try:
            _step("tmp_created", tmp)
            marker = {"tool": TOOL, "kind": kind, "complete": False, "pid": os.getpid(),
                      "written_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "files": sorted(files)}
            (tmp / MARKER).write_text(json.dumps(marker), encoding="utf-8")
            for i, (name, writer) in enumerate(files.items()):
                writer(tmp / name)
                if i == 0:
                    _step("first_file", tmp)
            _step("files_written", tmp)
            if state in ("foreign", "shared"):  # --force into a folder that is not ours: write beside its files
                return _write_into(out_dir, tmp, files, marker, ours)
            if state == "owned":
                marker["kept"] = _carry_over(out_dir, tmp, ours, set(files), force)
                _warn_if_concurrent(out_dir)
            marker["complete"] = True
            _write_file(tmp / MARKER, json.dumps(marker, indent=2) + "\n")
            _step("marker_written", tmp)
            if state in ("owned", "empty"):
                if _exchange(tmp, out_dir):
                    _step("swapped", tmp)
                    shutil.rmtree(tmp)  # tmp now holds the old result, replaced by a complete new one
                else:
                    old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}-{uuid.uuid4().hex[:8]}"
                    os.rename(out_dir, old)
                    try:
                        _step("swapped", tmp)  # the fallback's window: the next write puts `old` back
                        os.rename(tmp, out_dir)
                    except BaseException:
                        if not out_dir.exists():
                            os.rename(old, out_dir)  # put the previous result back at once
                        raise
                    shutil.rmtree(old)
            else:
                os.rename(tmp, out_dir)
            _step("old_removed")
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return out_dir


def _write_file(path: Path, text: str) -> None:
    part = path.with_name(path.name + ".part")
    part.write_text(text, encoding="utf-8")
    os.replace(part, path)


def _warn_if_concurrent(out_dir: Path) -> None:
    m = read_marker(out_dir) or {}
    try:
        when = datetime.fromisoformat(m.get("written_at", "")).timestamp()
    except (TypeError, ValueError):
        return
    if m.get("pid") != os.getpid() and when >= _PROCESS_START - 1:
        log.warning("%s: replacing a result written by another run (process %s at %s) while this one was running",
                    out_dir, m.get("pid"), m.get("written_at"))


def _write_into(out_dir: Path, tmp: Path, files: dict, marker: dict, ours=()) -> Path:
    """--force into a foreign folder: move each new file over its namesake, keep everything else
    (files of an earlier result written there, ``ours``, that the new one lacks are removed)."""
    try:
        for name in files:
            dst = out_dir / name
            if dst.is_dir() and not dst.is_symlink():
                raise OutputRefused(f"{dst}: a folder is in the way of the result file {name}")
            os.replace(tmp / name, dst)
        for name in set(ours) - set(files):
            stale = out_dir / name
            if stale.is_file() and not stale.is_symlink():
                stale.unlink()
        marker.update(complete=True, forced_into_foreign_folder=True)
        _write_file(out_dir / MARKER, json.dumps(marker, indent=2) + "\n")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out_dir


def claim_folder(out_dir: Path | str, kind: str, force: bool = False) -> Path:
    """Make ``out_dir`` a folder of this tool that is written file by file (a sweep): refuse a
    foreign one (unless ``force``), create it and its marker. Returns it."""
    out_dir = check_out_dir(out_dir, force)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputRefused(f"{out_dir}: cannot create it: {exc.strerror or exc}") from exc
    if read_marker(out_dir) is None:
        _write_file(
            out_dir / MARKER,
            json.dumps(
                {
                    "tool": TOOL,
                    "kind": kind,
                    "complete": True,
                    "pid": os.getpid(),
                    "written_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "files": [],
                },
                indent=2,
            )
            + "\n",
        )
    return out_dir


def command_out_dir(root: Path, run_name: str, command: str | None = None) -> Path:
    """``results/<run>/`` for a plain solve, ``results/<run>/<command>/`` for an insight command, so
    no study ever writes over the base run (the run's name: model.io.run_identity.run_name, the
    scenario's name followed by what ``--set`` changed)."""
    out = Path(root) / "results" / run_name
    return out / command if command else out
