"""Output folders the tool owns: safe names, atomic replacement, strict JSON, escaped CSV.

Every command writes its results through :func:`write_atomically`:

- A folder it writes holds a marker file, :data:`MARKER` (``.vn-cbec-result``, a small JSON
  document: tool, kind, files written with the SHA-256 of each taken at write time, time,
  process). A folder is the tool's only by a valid marker: a regular file of at most 1 MB,
  JSON of this tool, listing only plain file names (no separator, no ``..``, not absolute,
  not hidden). A file listed there counts as the tool's only while it is a regular file in
  the folder whose bytes still match the recorded checksum: an edited, replaced or forged
  entry is the user's and is kept like any other file of theirs. A marker that lists
  anything else is forged or damaged, and the folder is foreign.
- A folder without a valid marker that is not empty is *foreign*: it is refused
  (:class:`OutputRefused`, exit 2) unless ``force=True``, and even then nothing in it is
  deleted: the new files are written beside what is there, file by file (a file of the same
  name is replaced), and the folder is never swapped away.
- The output folder is never a folder the run reads its inputs from, nor one that contains
  it (:func:`register_input`, done by ``load_scenario`` for every data folder it reads).
- A previous result is replaced atomically: the new files go to a temporary folder beside it,
  then the two are swapped in one ``renameat2(RENAME_EXCHANGE)`` call (Linux), and the old one
  is removed only after the new one is complete. Where that call is missing, two renames are
  used and a kill between them is repaired by the next write (the old result is put back).
- Files in a previous result that the tool did not write (not in its marker) are carried into
  the new one (hard links), so a note left in ``results/default/`` survives a re-run.
- Writers take an exclusive lock (``flock`` on the parent folder): concurrent runs wait for
  each other; the later result replaces the earlier one, with a warning if the earlier
  one was written while this run was computing.
- Temporary folders left by a killed run (``.<name>.tmp-<pid>-<8 hex>``, ``.<name>.old-...``)
  are removed by the next write only when everything in them is the tool's: its marker, the
  files that marker lists, or hard links of files still in the result. Any other hidden file
  or folder beside or inside a result is never touched.

Tests stop the writer at a named step with the environment variable
``VN_CBEC_WRITER_EXIT_AT=<step>`` (the process exits there, as if killed) or pause it with
``VN_CBEC_WRITER_PAUSE_AT=<step>`` (it creates ``<tmp>/.paused`` and sleeps): steps are listed in
:data:`STEPS`.
"""
from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import html
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
#: Files a result of an earlier version listed in a marker without checksums: only these names
#: are taken as the tool's from such a marker (never a hidden file, never a user's document).
_LEGACY_NAMES = re.compile(r"^(summary\.json|sites\.csv|flows\.csv|report\.md|map\.png|map\.html|sites\.geojson|"
                           r"flows\.geojson|results\.xlsx|compare\.md|compare\.csv|compare_map\.png|scenarios\.csv|"
                           r"stock\.csv|sweep\.csv|sweep\.png|alternatives\.csv|regret\.csv|shadow_[a-z]+\.csv|"
                           r"breakeven_[A-Za-z0-9_]+\.csv|points\.csv|points\.parquet|sites_by_point\.csv|"
                           r"sweep\.md|point\.json|failed\.json|plot_[A-Za-z0-9_]+\.png|sites_heatmap\.png|"
                           r"velocity\.png)$")
MARKER_MAX_BYTES = 1 << 20
#: Longest output folder name: the writer's temporary folder beside it adds ``.`` and
#: ``.tmp-<pid>-<8 hex>`` (up to 31 characters) and a file system allows 255 bytes per name.
MAX_NAME_BYTES = 200


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


def cells_as_values(sheet) -> None:
    """Every cell of an openpyxl ``sheet`` holding text stored as text: openpyxl takes a string
    starting with ``=`` for a formula (``=HYPERLINK(...)``, a DDE ``=cmd|' /C calc'!A0`` from a
    site or province name); its ``data_type`` is set to ``"s"`` so the workbook holds the text,
    never a live formula. The tool writes no formula of its own."""
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.data_type != "s":
                cell.data_type = "s"


_MD_ACTIVE = re.compile(r"([\\`\[\]|])")


def md_text(text: object) -> str:
    """Text from data (a name) for Markdown: HTML escaped (``<script>`` shows as text), and the
    characters that make links, images, code or table cells (``[ ] ` | \\``) backslash-escaped,
    so a name such as ``[x](javascript:...)`` cannot inject markup into report.md / compare.md."""
    return _MD_ACTIVE.sub(r"\\\1", html.escape(str(text), quote=False)).replace("\r", " ").replace("\n", " ")


# ----------------------------------------------------------------------------- ownership

def plain_name(name: object) -> bool:
    """True for one plain, visible file name: a string, no separator, not ``.``/``..``, not hidden
    (a leading dot), no NUL, at most 255 bytes, and not the marker itself."""
    if not isinstance(name, str) or name in ("", ".", "..") or name.startswith(".") or name == MARKER:
        return False
    if "/" in name or "\\" in name or "\x00" in name or os.path.isabs(name):
        return False
    try:
        return len(os.fsencode(name)) <= 255
    except (UnicodeError, ValueError):
        return False


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in blocks (results.xlsx or a map may be megabytes)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_marker(folder: Path) -> dict | None:
    """The marker of a folder the tool wrote, or None: no marker, or one that is not valid (not a
    regular file, larger than :data:`MARKER_MAX_BYTES`, not JSON of this tool, a ``files`` list
    holding anything but plain file names, checksums that are not a name -> hex digest map)."""
    path = Path(folder) / MARKER
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > MARKER_MAX_BYTES:
            return None
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("tool") != TOOL:
        return None
    files, sums, kept = doc.get("files", []), doc.get("checksums"), doc.get("kept", [])
    if not isinstance(files, list) or not all(plain_name(f) for f in files):
        return None  # a name with a separator, '..', an absolute path or a hidden name: forged or damaged
    if not isinstance(kept, list) or not all(isinstance(k, str) for k in kept):
        return None
    if sums is not None and not (isinstance(sums, dict) and all(
            k in files and isinstance(v, str) and re.fullmatch(r"[0-9a-f]{64}", v) for k, v in sums.items())):
        return None
    return doc


def owned_files(folder: Path, marker: dict | None = None) -> list[str]:
    """The files of ``folder`` that are the tool's: listed in its valid marker, a regular file
    (not a symlink) in the folder, with the bytes recorded at write time (its checksum). A
    marker of an earlier version has no checksums: from it, only names the tool writes
    (:data:`_LEGACY_NAMES`) are taken. Anything else there is the user's."""
    folder = Path(folder)
    marker = read_marker(folder) if marker is None else marker
    if marker is None:
        return []
    sums = marker.get("checksums")
    out = []
    for name in marker.get("files", []):
        p = folder / name
        try:
            if p.is_symlink() or not p.is_file():
                continue
            if isinstance(sums, dict):
                if sums.get(name) != file_sha256(p):
                    continue  # changed since we wrote it (or never ours): the user's now
            elif not _LEGACY_NAMES.match(name):
                continue
        except OSError:
            continue
        out.append(name)
    return out


def ownership(folder: Path) -> tuple[str, list[str]]:
    """('missing' | 'empty' | 'owned' | 'foreign', names the tool wrote there (checked: :func:`owned_files`))."""
    folder = Path(folder)
    if not folder.exists() and not folder.is_symlink():
        return "missing", []
    if not folder.is_dir() or folder.is_symlink():
        return "foreign", []
    marker = read_marker(folder)
    if marker is not None:
        return "owned", owned_files(folder, marker)
    if not any(folder.iterdir()):
        return "empty", []
    return "foreign", []  # ours only by a valid marker: a summary.json alone proves nothing


# ----------------------------------------------------------------------------- inputs and output folders

#: Folders (and files) the process read its inputs from: an output folder is never one of them or
#: a folder holding one (:func:`register_input`; model.scenario.load_scenario registers its data folder).
_INPUTS: set[Path] = set()


def register_input(path: Path | str) -> None:
    """Remember ``path`` (a data folder, a scenario file) as an input: :func:`check_out_dir` then
    refuses an output folder that is it or contains it."""
    try:
        _INPUTS.add(Path(path).resolve())
    except (OSError, RuntimeError):
        pass


def _input_inside(out_dir: Path) -> Path | None:
    try:
        out = out_dir.resolve()
    except (OSError, RuntimeError):
        return None
    for p in sorted(_INPUTS):
        if p == out or p.is_relative_to(out):
            return p
    return None


def _probe(folder: Path, name: str) -> None:
    """Create and remove a folder ``name`` in ``folder``: the only sure test that the writer will be
    able to make its temporary folder there (root passes os.access on /proc, a read-only mount,
    an immutable folder; a name too long shows here, not after the solve)."""
    probe = folder / name
    try:
        probe.mkdir()
    except OSError as exc:
        raise OutputRefused(f"cannot create a folder in {folder}: {exc.strerror or exc}") from None
    try:
        probe.rmdir()
    except OSError:
        pass


def check_out_dir(out_dir: Path | str, force: bool = False, changed: bool = True) -> Path:
    """Refuse, before any work, an ``out_dir`` that cannot become this tool's folder: a file or a
    path through a file (``/dev/null/res``), a symbolic link, a name too long for the writer's
    temporary folder, a parent the tool cannot create folders in, a folder the run reads its
    inputs from (or one holding it), or a non-empty folder without a valid marker (unless
    ``force``), or a result of ours whose files were changed since we wrote them (``changed``;
    the writer, which checks that under its lock, passes False: unlocked, a concurrent writer's
    swap can pair one result's marker with another's files). Returns ``out_dir`` as a Path."""
    out_dir = Path(out_dir)
    if str(out_dir) in ("", "."):
        out_dir = Path.cwd()
    for part in out_dir.parts:
        if len(os.fsencode(part)) > 255:
            raise OutputRefused(f"--out {str(out_dir)[:80]}...: a folder name of {len(os.fsencode(part))} bytes "
                                "(the file system allows 255)")
    if len(os.fsencode(out_dir.name)) > MAX_NAME_BYTES:
        raise OutputRefused(f"--out ...{str(out_dir)[-60:]}: the folder name has {len(os.fsencode(out_dir.name))} "
                            f"bytes; at most {MAX_NAME_BYTES} (the writer's temporary folder beside it adds 31)")
    if len(os.fsencode(str(out_dir.absolute()))) > 3900:
        raise OutputRefused(f"--out {str(out_dir)[:80]}...: the path is too long ({len(str(out_dir.absolute()))} "
                            "characters)")
    if out_dir.is_symlink():
        raise OutputRefused(f"--out {out_dir}: a symbolic link (to {os.readlink(out_dir)}); give the folder itself")
    inside = _input_inside(out_dir)
    if inside is not None:
        what = "is the input folder" if inside == out_dir.resolve() else f"contains the input {inside}"
        raise OutputRefused(f"--out {out_dir}: {what} of this run; results are never written over their inputs. "
                            "Choose another --out")
    for p in (out_dir, *out_dir.parents):
        if p.exists() or p.is_symlink():
            if not p.is_dir():
                what = "not a folder" if p.exists() else "a broken symbolic link"
                raise OutputRefused(f"--out {out_dir}: {p} is {what}")
            break
    state, ours = ownership(out_dir)
    if state == "foreign" and not out_dir.is_dir():
        raise OutputRefused(f"--out {out_dir}: not a folder")
    if state == "owned" and not force and changed:  # files we wrote, changed since: the user's (said before a solve)
        marker = read_marker(out_dir) or {}
        listed = marker.get("files", []) if marker.get("checksums") is not None else []
        changed = [n for n in listed if n not in ours and (out_dir / n).exists()]
        if changed:
            raise OutputRefused(f"--out {out_dir}: {', '.join(changed[:5])}{' ...' if len(changed) > 5 else ''} "
                                "changed since this tool wrote it (edited, replaced or damaged), so it is kept as "
                                "yours; nothing was written. Move it away, or pass --force to replace it")
    if state == "foreign" and not force:
        why = ("its marker file is not valid (forged or damaged)" if (out_dir / MARKER).exists()
               else f"no {MARKER} file")
        raise OutputRefused(f"--out {out_dir}: the folder is not empty and was not written by this tool ({why}); "
                            "nothing was written. Choose another --out, or pass --force to write the results "
                            "into it (files already there are kept; files of the same names are replaced)")
    # the writer makes .<name>.tmp-<pid>-<8 hex> beside out_dir (or, forced into a foreign
    # folder, moves files into it): try that now, not after the solve
    tmp_name = f".{out_dir.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"  # removed at once, or as a leftover
    if out_dir.parent.is_dir():
        try:
            _probe(out_dir.parent, tmp_name)
            if state == "foreign":
                _probe(out_dir, f"{MARKER}.probe-{uuid.uuid4().hex[:8]}")
        except OutputRefused as exc:
            raise OutputRefused(f"--out {out_dir}: {exc}") from None
    else:
        nearest = next(p for p in out_dir.parents if p.is_dir())
        try:
            _probe(nearest, f".vn-cbec-probe-{os.getpid()}-{uuid.uuid4().hex[:8]}")
        except OutputRefused as exc:
            raise OutputRefused(f"--out {out_dir}: {exc}") from None
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


def _twin(p: Path, twin: Path) -> bool:
    """``p`` duplicates ``twin``: the same file (a hard link the writer made), the same symlink,
    or a folder whose every entry is a twin. Removing such a ``p`` loses nothing."""
    try:
        if p.is_symlink():
            return twin.is_symlink() and os.readlink(p) == os.readlink(twin)
        if p.is_dir():
            return (twin.is_dir() and not twin.is_symlink()
                    and all(_twin(c, twin / c.name) for c in p.iterdir()))
        return twin.exists() and os.path.samefile(p, twin)
    except OSError:
        return False


def _leftover_is_ours(p: Path, out_dir: Path) -> bool:
    """A temporary or old folder of a killed writer holding nothing but the tool's: empty, or its
    valid marker, ``.paused``/``*.part`` files of the writer, files that marker lists (checked
    against their checksums once the marker recorded them), and twins of entries of ``out_dir``
    (the user's files the writer hard-linked across)."""
    try:
        entries = list(p.iterdir())
    except OSError:
        return False
    if not entries:
        return True
    marker = read_marker(p)
    if marker is None:
        return False
    listed = set(marker.get("files", []))
    verified = set(owned_files(p, marker)) if marker.get("checksums") is not None else None
    for c in entries:
        if c.name in (MARKER, MARKER + ".part", ".paused"):
            continue
        if c.name in listed and not c.is_symlink() and not c.is_dir():
            if verified is None or c.name in verified:
                continue
        if _twin(c, out_dir / c.name):
            continue
        return False
    return True


def clean_leftovers(out_dir: Path) -> list[Path]:
    """Remove temporary folders a killed writer left beside ``out_dir``; put back an old result
    if a kill came between the two renames of the fallback swap. Call with the lock held. Only
    folders of the writer's exact names (``.<name>.tmp-<pid>-<8 hex>``, ``.<name>.old-...``)
    holding nothing but the tool's (:func:`_leftover_is_ours`) are removed; other hidden
    folders (``.<name>.backup``, ``.<name>.old.1``) are the user's and are never touched."""
    removed = []
    pattern = re.compile(rf"^\.{re.escape(out_dir.name)}\.(tmp|old)-[0-9]+-[0-9a-f]{{8}}$")
    found = [p for p in out_dir.parent.glob(f".{glob_escape(out_dir.name)}.*")
             if pattern.match(p.name) and p.is_dir() and not p.is_symlink()]
    olds = sorted(p for p in found if ".old-" in p.name[len(out_dir.name) + 1:])
    if not out_dir.exists() and not out_dir.is_symlink() and olds:
        complete = [o for o in olds if (read_marker(o) or {}).get("complete")]
        if complete:
            os.rename(complete[-1], out_dir)
            found.remove(complete[-1])
            log.warning("%s: restored the previous result left by an interrupted write", out_dir)
    for p in found:
        if _leftover_is_ours(p, out_dir):
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
        else:
            log.warning("%s: left as it is (it holds files this tool did not write)", p)
    return removed


def glob_escape(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)


def _carry_over(old: Path, tmp: Path, ours: list[str], new_names: set[str], force: bool) -> list[str]:
    """Hard-link (or copy) into ``tmp`` every entry of ``old`` the tool did not write (hidden ones too)."""
    kept = []
    for p in old.iterdir():
        if p.name == MARKER or p.name in ours:
            continue
        if p.name in new_names:
            if force:
                continue  # --force: the new file of that name replaces the user's
            raise OutputRefused(f"{old / p.name}: this file was not written by the tool (or was changed since) and "
                                "the new result has a file of the same name; move it away or pass --force to "
                                "replace it")
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


def _checksums(folder: Path, names) -> dict[str, str]:
    return {n: file_sha256(folder / n) for n in names
            if (folder / n).is_file() and not (folder / n).is_symlink()}


def write_atomically(out_dir: Path | str, files: dict[str, Callable[[Path], None]], force: bool = False,
                     kind: str = "result") -> Path:
    """Write ``files`` (name -> ``writer(path)``) as the folder ``out_dir``, replacing a previous
    result of the tool atomically; see the module docstring for the guarantees.

    Raises :class:`OutputRefused` for a foreign non-empty ``out_dir`` (unless ``force``), for a
    path that cannot be a folder, and for a file of a new name the user put in an old result.
    """
    out_dir = Path(out_dir)
    for name in files:
        if not plain_name(name):
            raise ValueError(f"result file {name!r}: expected a plain file name")
    check_out_dir(out_dir, force, changed=False)
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputRefused(f"{out_dir}: cannot create {out_dir.parent}: {exc.strerror or exc}") from exc
    with folder_lock(out_dir):
        _step("locked")
        clean_leftovers(out_dir)
        state, ours = ownership(out_dir)  # again, under the lock
        if state == "foreign" and not force:
            check_out_dir(out_dir, force, changed=False)
        if state == "owned" and not force:
            check_out_dir(out_dir, force)  # files of ours changed since: now, under the lock, a consistent view
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
            marker["checksums"] = _checksums(tmp, files)
            marker["files"] = sorted(marker["checksums"])  # only what was written
            if state in ("foreign", "shared"):  # --force into a folder that is not ours: write beside its files
                return _write_into(out_dir, tmp, files, marker, ours, force)
            if state == "owned":
                marker["kept"] = _carry_over(out_dir, tmp, ours, set(files), force)
                _warn_if_concurrent(out_dir)
            marker["complete"] = True
            _write_file(tmp / MARKER, json.dumps(marker, indent=2) + "\n")
            _step("marker_written", tmp)
            if state in ("owned", "empty"):
                if _exchange(tmp, out_dir):
                    _step("swapped", tmp)
                    shutil.rmtree(tmp, ignore_errors=True)  # tmp holds the old result, replaced by a complete new one
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
                    shutil.rmtree(old, ignore_errors=True)
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


def _write_into(out_dir: Path, tmp: Path, files: dict, marker: dict, ours=(), force: bool = False) -> Path:
    """--force into a foreign folder: move each new file over its namesake, keep everything else
    (files of an earlier result written there, ``ours`` (checked: :func:`owned_files`), that the
    new one lacks are removed). Without ``force`` (a folder we were forced into before), a file
    of a new name that is not ours is refused, as in :func:`_carry_over`."""
    try:
        for name in files:
            dst = out_dir / name
            if dst.is_dir() and not dst.is_symlink():
                raise OutputRefused(f"{dst}: a folder is in the way of the result file {name}")
            if not force and name not in ours and (dst.exists() or dst.is_symlink()):
                raise OutputRefused(f"{dst}: this file was not written by the tool (or was changed since) and the "
                                    "new result has a file of the same name; move it away or pass --force to "
                                    "replace it")
        for name in files:
            if (tmp / name).exists():
                os.replace(tmp / name, out_dir / name)
        for name in set(ours) - set(files):
            stale = out_dir / name  # a plain name, checked against its checksum: never outside out_dir
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
        when = datetime.now(timezone.utc).isoformat(timespec="seconds")
        _write_file(out_dir / MARKER, json.dumps({"tool": TOOL, "kind": kind, "complete": True, "pid": os.getpid(),
                                                  "written_at": when, "files": [], "checksums": {}}, indent=2) + "\n")
    return out_dir


def command_out_dir(root: Path, run_name: str, command: str | None = None) -> Path:
    """``results/<run>/`` for a plain solve, ``results/<run>/<command>/`` for an insight command, so
    no study ever writes over the base run (the run's name: model.io.run_identity.run_name, the
    scenario's name followed by what ``--set`` changed)."""
    out = Path(root) / "results" / run_name
    return out / command if command else out
