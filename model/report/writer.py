"""What a solved run writes: the tables, the report, the workbook and the charts, and the maps
the command layer asks for (the renderers are composed here, never in the statistics)."""
from __future__ import annotations

from pathlib import Path

from model.core.formats import to_csv
from model.core.names import with_names
from model.io.outputs import write_atomically as _write_atomically
from model.io.outputs import write_json
from model.report.maps import map_writers
from model.report.markdown import report_markdown
from model.report.velocity import velocity_writers
from model.report.workbook import write_workbook


def result_files(result, with_map: bool = True) -> dict:
    """``{file name: writer(path)}`` beside the tables of a solved run: the maps (model.report.maps) unless
    ``with_map`` is False. The command layer picks the renderers, so the studies never import them."""
    if not with_map:
        return {}
    return map_writers(result)


def write_atomically(out_dir: Path, files: dict[str, callable], force: bool = False, kind: str = "result") -> Path:
    """Write every file into a folder the tool owns, replacing a previous result atomically
    (:func:`model.io.outputs.write_atomically`: foreign folders refused unless ``force``, nothing
    the tool did not write deleted, a kill leaves the old or the new result complete)."""
    return _write_atomically(out_dir, files, force=force, kind=kind)


def write_results(result, out_dir: Path, extra_files: dict[str, callable] | None = None, force: bool = False) -> Path:
    """summary.json, sites.csv, flows.csv, report.md, results.xlsx (and velocity.png with SKU classes,
    :mod:`model.report.velocity`) of a :class:`model.Result`, written atomically.

    ``extra_files`` maps more file names to writers (``writer(path)``), e.g.
    :func:`model.report.maps.map_writers`; they land in the same atomic swap, so a failing writer
    leaves the previous results untouched.
    """
    files = {
        "summary.json": lambda p: write_json(p, result.summary),  # strict JSON: inf as "inf" (docs/robustness.md)
        # names beside the codes, plain decimals (no 1.2e+08), formula-like text escaped
        "sites.csv": lambda p: to_csv(with_names(result.sites, result.scenario), p),
        "flows.csv": lambda p: to_csv(with_names(result.flows, result.scenario), p),
        "report.md": lambda p: p.write_text(report_markdown(result), encoding="utf-8"),
        "results.xlsx": lambda p: write_workbook(result, p),
        **velocity_writers(result),  # velocity.png, with SKU classes only
    }
    for name in extra_files or {}:
        if name in files or Path(name).name != name:
            raise ValueError(f"extra result file {name!r}: expected a new plain file name")
    files.update(extra_files or {})
    return write_atomically(Path(out_dir), files, force=force)
