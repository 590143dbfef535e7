"""Loading a user's ``--extra`` hook (``module:function`` or ``path.py:function``)."""
from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path

from model.core.text import did_you_mean


def load_extra(spec: str | None):
    """``module:function`` (a module importable from the working directory, or a .py path) -> the function.

    None or '' -> None. The insight commands pass the spec text (not the function) to parallel
    workers, which load it themselves: a function from a .py file outside the package cannot be
    pickled by name.
    """
    if not spec:
        return None
    mod_name, sep, fn_name = spec.rpartition(":")
    if not sep or not mod_name or not fn_name:
        raise ValueError(f"--extra {spec!r}: expected MODULE:FUNCTION, e.g. examples/one_site_per_region.py:"
                         "at_least_one_site_per_region")
    if mod_name.endswith(".py"):
        path = Path(mod_name)
        if not path.is_file():
            raise ValueError(f"--extra {spec!r}: no file {mod_name}")
        spec_obj = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec_obj)
        try:
            spec_obj.loader.exec_module(module)
        except Exception as exc:  # a syntax error or an exception at import: the user's file, not a bug here
            raise ValueError(f"--extra {spec!r}: {mod_name} cannot be loaded: {type(exc).__name__}: {exc}") from exc
    else:
        if str(Path.cwd()) not in sys.path:
            sys.path.insert(0, str(Path.cwd()))
        try:
            module = importlib.import_module(mod_name)
        except Exception as exc:
            raise ValueError(f"--extra {spec!r}: cannot import {mod_name}: {type(exc).__name__}: {exc}") from exc
    fn = getattr(module, fn_name, None)
    if not callable(fn):
        functions = [n for n in dir(module) if callable(getattr(module, n)) and not n.startswith("_")]
        raise ValueError(f"--extra {spec!r}: {mod_name} has no function {fn_name}" + did_you_mean(fn_name, functions))
    return fn
