"""Scenarios: a data folder plus parameter overrides, validated before anything is built.

A scenario is either a data folder (every table of :data:`model.io.schema.TABLES`) or a small
TOML file::

    name = "china_like"
    data = "../data"              # relative to the TOML file; default: the shipped data
    extends = "status-quo-2026"   # optional: another scenario (a .toml path relative to this file,
                                  # or a shipped scenario's name); this file writes only the differences
    [policy]
    cbec_tax_factor = 0.7         # overrides parameters.csv key policy.cbec_tax_factor
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import numbers
import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from model.core.errors import DataError, Problem, ScenarioError
from model.core.paths import DEFAULT_DATA_DIR, PROJECT_DIR
from model.core.text import did_you_mean
from model.io.corridors import load_corridors
from model.io.geometry import scenario_geometry
from model.io.outputs import register_input, safe_component
from model.io.schema import ATTRS_DIR
from model.io.tables import collect_tables, raise_problems

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

#: The shipped default data folder (a source checkout; see README).
#: The shipped scenario files: ``extends = "status-quo-2026"`` names one of them.
SCENARIOS_DIR = PROJECT_DIR / "scenarios"
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")  # fullmatch: a trailing newline is not a name
#: Longest scenario name: it names results/<name>/ (and the writer's temporary folder beside it).
MAX_NAME_LENGTH = 120


@lru_cache(maxsize=None)
def parameter_keys() -> pd.DataFrame:
    """The declared scenario parameters: key, type (number | integer | bool | list), unit, min, max,
    default, description, source, choices (allowed values ``a|b``; empty = any in [min, max])."""
    df = pd.read_csv(ATTRS_DIR / "parameter_keys.csv", dtype=str, keep_default_na=False)
    if "choices" not in df.columns:
        df["choices"] = ""
    return df.fillna("").set_index("key")  # a row without the last field(s) reads as empty


@dataclass
class Scenario:
    """A validated scenario: its tables and its scalar parameters (after overrides)."""

    name: str
    data_dir: Path
    tables: dict[str, pd.DataFrame]
    parameters: dict[str, float]
    overrides: dict = field(default_factory=dict)
    #: The validated province boundaries the maps draw (:mod:`model.io.geometry`; properties and shapely
    #: ``geometry``), from the data folder's provinces.geojson, else the shipped one; not in input_hash.
    geometry: pd.DataFrame | None = None
    #: The parameters as the scenario file (and its ``extends`` chain) and the data folder give them,
    #: before ``--set``: what report.md compares a run's values with.
    file_parameters: dict = field(default_factory=dict)
    #: The parameters changed for this run only (``--set``, a sweep or break-even point).
    set_overrides: dict = field(default_factory=dict)
    #: The run's name when the user gave one (``--name``); else it is derived (model.io.run_identity.run_name).
    run_name: str | None = None

    def param(self, key: str):
        return self.parameters[key]

    def selected(self, key: str, universe) -> list:
        """Members of ``universe`` named by list parameter ``key`` ('*' = all of them), in universe order."""
        value = self.parameters[key]
        universe = list(universe)
        if value == "*":
            return universe
        unknown = sorted(set(value) - set(universe))
        if unknown:

            aliases = {n: c for n, c in self._code_names().items() if c in set(universe)}  # typed by its name
            names = {c: n for n, c in aliases.items()}
            raise ScenarioError(f"parameter '{key}': unknown code(s) "
                                + ", ".join(f"'{u}'{did_you_mean(u, universe, aliases, names)}" for u in unknown))
        return [u for u in universe if u in set(value)]

    def _code_names(self) -> dict:
        """Every name of a province or product (ascii and Vietnamese) -> its code (for suggestions)."""
        out = {}
        for table, code, cols in (("provinces", "code", ("name_ascii", "name_vi")), ("products", "product", ("name",))):
            df = self.tables.get(table)
            for col in cols:
                if df is not None and col in df.columns:
                    out.update({str(n): str(c) for c, n in zip(df[code], df[col])})
        return out

    def per_product(self, key: str, by_product_key: str, lo: float, hi: float) -> dict[str, float]:
        """{product: value}: parameter ``key`` for every product of products.csv, overridden by the
        PRODUCT:VALUE pairs of list parameter ``by_product_key`` ('*' = none), each in [lo, hi]."""
        products = list(self.tables["products"]["product"])
        values = {p: float(self.param(key)) for p in products}
        spec = self.param(by_product_key)
        if spec == "*":
            return values
        for item in spec:
            prod, sep, val = item.partition(":")
            try:
                x = float(val)
            except ValueError:
                x = float("nan")
            if not sep or prod not in values or not (lo <= x <= hi):
                raise ScenarioError(f"parameter '{by_product_key}': {item!r} is not PRODUCT:VALUE with a product of "
                                    f"products.csv ({', '.join(products)}) and {lo:g} <= VALUE <= {hi:g}")
            values[prod] = x
        return values

    def input_hash(self) -> str:
        """SHA-256 of every table's content and of the parameters (first 16 hex digits)."""
        h = hashlib.sha256()
        for t in sorted(self.tables):  # the required tables and any optional ones present
            h.update(t.encode())
            h.update(pd.util.hash_pandas_object(self.tables[t], index=False).values.tobytes())
        h.update(json.dumps(self.parameters, sort_keys=True).encode())
        return h.hexdigest()[:16]


def _parse_list(value) -> list[str] | str:
    """A list parameter: a list of codes, or a string of codes split by commas, semicolons or spaces; '*' = all."""
    if isinstance(value, str):
        if value.strip() == "*":
            return "*"
        return [v for v in re.split(r"[,;\s]+", value.strip()) if v]
    if isinstance(value, (list, tuple)) and all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in value):
        return [str(v) for v in value]
    raise TypeError


def _param_error(source: str, message: str, expected: str) -> ScenarioError:
    """A ScenarioError '<source>: <message>'; ``expected`` words the same for a parameters.csv problem."""
    exc = ScenarioError(f"{source}: {message}")
    exc.expected = expected
    return exc


_INF_WORDS = {"inf", "infinity"}
_BOOL_WORDS = {"true": True, "false": False}
FLOAT_MAX = sys.float_info.max


def _as_number(value):
    """A number from a TOML/CSV/--set value: int or float, None if it is not one; a number too large
    for a float (a huge TOML integer, '1e400') comes back as the string 'overflow'."""
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Integral):  # a TOML integer may exceed any float
        return int(value) if abs(int(value)) <= FLOAT_MAX else "overflow"
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            x = float(text)
        except ValueError:
            return None
        if math.isinf(x) and text.lower().lstrip("+-") not in _INF_WORDS:
            return "overflow"  # '1e400' is not a deliberate inf
        return x
    return None


def _as_bool(value):
    """True / False from true/false (TOML or text, any case) or 0/1 (a number or its text); None otherwise."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _BOOL_WORDS:
        return _BOOL_WORDS[value.strip().lower()]
    x = _as_number(value)
    if isinstance(x, (int, float)) and x in (0, 1):
        return bool(x)
    return None


def _check_value(key: str, value, source: str):
    """The value of parameter ``key`` checked against parameter_keys.csv: its type (a number, a whole
    number, a 0/1 switch returned as a Python bool, a list), finite (inf only where the declared max
    is inf), within [min, max] and among the declared choices. ``source`` (a file, 'override') is named
    in the error."""
    keys = parameter_keys()
    if key not in keys.index:

        raise _param_error(source, f"unknown parameter '{key}'{did_you_mean(key, keys.index)} (every key with its "
                           "unit and range: docs/policy.md)",
                           "a parameter key declared in model/attrs/parameter_keys.csv")
    row = keys.loc[key]
    unit, kind = row["unit"], row["type"]
    if kind == "list":
        try:
            return _parse_list(value)
        except TypeError:
            raise _param_error(source, f"parameter '{key}' expects a list of {unit} (or '*'), got {value!r}",
                               f"a list of {unit} (or '*') for parameter '{key}'") from None
    if kind == "optional number" and (value is None or str(value).strip().lower() in ("", "none")):
        return None  # unset: the tables' own values apply (e.g. policy.vat_rate -> tariffs.csv)
    if kind == "bool":
        flag = _as_bool(value)
        if flag is None:
            raise _param_error(source, f"parameter '{key}' expects 0 or 1 (or true / false), got {value!r}",
                               f"0 or 1 (or true / false) for parameter '{key}'")
        return flag
    x = _as_number(value)
    if x is None:
        raise _param_error(source, f"parameter '{key}' expects a number in {unit}, got {value!r}",
                           f"a number in {unit} for parameter '{key}'")
    lo, hi = row["min"], row["max"]
    if x == "overflow" or x != x or (math.isinf(x) and not (x > 0 and hi == "inf")):
        what = "too large for a float" if x == "overflow" else "not finite"
        bound = f"a finite number in [{lo}, {hi}] ({unit})"
        shown = repr(value) if len(repr(value)) <= 40 else f"{repr(value)[:24]}... ({len(str(value))} characters)"
        raise _param_error(source, f"parameter '{key}' = {shown} is {what}: expected {bound}",
                           f"{bound} for parameter '{key}'")
    if kind == "integer" and not float(x).is_integer():
        raise _param_error(source, f"parameter '{key}' = {value!r}: expected a whole number ({unit})",
                           f"a whole number ({unit}) for parameter '{key}'")
    if (lo != "" and x < float(lo)) or (hi != "" and x > float(hi)):
        raise _param_error(source, f"parameter '{key}' = {x:g} is outside [{lo}, {hi}] ({unit})",
                           f"a value in [{lo}, {hi}] ({unit}) for parameter '{key}'")
    choices = [c for c in row["choices"].split("|") if c != ""]
    if choices and not any(float(x) == float(c) for c in choices):
        raise _param_error(source, f"parameter '{key}' = {x:g}: expected one of {', '.join(choices)} ({unit})",
                           f"one of {', '.join(choices)} ({unit}) for parameter '{key}'")
    return int(x) if kind == "integer" else float(x)


def _parameters_from_table(df: pd.DataFrame, data_dir: Path) -> dict:
    file = str(data_dir / "parameters.csv")
    params: dict = {}
    problems = []
    for i, row in df.iterrows():
        try:
            params[row["key"]] = _check_value(row["key"], row["value"], file)
        except ScenarioError as exc:
            known = row["key"] in parameter_keys().index
            problems.append(Problem(file, int(i) + 2, "value" if known else "key",
                                    row["value"] if known else row["key"],
                                    getattr(exc, "expected", str(exc).split(": ", 1)[-1])))
    keys = parameter_keys()
    for k in keys.index:
        if k in params or k in set(df["key"]):  # present (a bad value is reported above)
            continue
        if keys.at[k, "default"] != "":
            params[k] = _check_value(k, keys.at[k, "default"], "model/attrs/parameter_keys.csv")
        else:
            problems.append(
                Problem(file, None, "key", None, f"a row for parameter '{k}' ({keys.at[k, 'description']})")
            )
    if problems:
        raise DataError(problems)
    return params


def _flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def _extended_path(value, source: Path) -> Path:
    """The file an ``extends`` value names: a path relative to ``source``'s folder (``.toml`` optional),
    else a shipped scenario's name (scenarios/<name>.toml)."""
    text = str(value)
    for candidate in (source.parent / text, source.parent / f"{text}.toml", SCENARIOS_DIR / f"{text}.toml"):
        if candidate.suffix == ".toml" and candidate.is_file():
            return candidate.resolve()
    shipped = ", ".join(sorted(p.stem for p in SCENARIOS_DIR.glob("*.toml")))
    raise ScenarioError(f"{source}: extends = {text!r}: no such scenario file (relative to {source.parent}) and no "
                        f"shipped scenario of that name ({shipped})")


def read_scenario_file(source: Path, _chain: tuple = ()) -> tuple[str, Path | None, dict]:
    """(name, data folder or None, {dotted key: checked value}) of a scenario TOML file, with the
    values of the scenario it ``extends`` (recursively) under its own. The name is the file's own
    (``name``, else its stem): a child never takes its parent's name or results folder."""
    source = Path(source).resolve()
    if source in _chain:
        raise ScenarioError(f"{source}: extends itself through " + " -> ".join(p.name for p in (*_chain, source)))
    try:
        doc = tomllib.loads(source.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{source}: not a valid TOML file ({exc})") from None
    name = str(doc.pop("name", source.stem))
    folder = (source.parent / str(doc.pop("data"))).resolve() if "data" in doc else None
    values: dict = {}
    if "extends" in doc:
        _, parent_folder, values = read_scenario_file(_extended_path(doc.pop("extends"), source), (*_chain, source))
        folder = folder or parent_folder
    own = {k: _check_value(k, v, str(source)) for k, v in _flatten(doc).items()}
    return name, folder, {**values, **own}


def load_scenario(source: Path | str | None = None, *, data_dir: Path | str | None = None,
                  overrides: dict | None = None, name: str | None = None) -> Scenario:
    """Load and validate a scenario.

    ``source``: a TOML scenario file, a data folder, or None for the shipped default data.
    ``data_dir`` replaces the data folder; ``overrides`` (dotted keys) win over both the
    data folder's parameters.csv and the TOML file.

    The name (``results/<name>/``) is the TOML file's ``name`` (or its stem), or the data
    folder's name; another ``data_dir`` changes it (the shipped data's name plus the other
    folder's), so a run on other data never replaces the result of the scenario's own data.
    Every data folder read is registered as an input (model.outputs.register_input): no output
    folder may be it or hold it.
    """
    toml_overrides: dict = {}
    scenario_name = "default"
    folder = DEFAULT_DATA_DIR
    if source is not None:
        source = Path(source)
        if source.is_dir():
            folder = source
            scenario_name = safe_component(source.resolve().name) if source.resolve() != DEFAULT_DATA_DIR else "default"
        elif source.suffix == ".toml" and source.is_file():
            scenario_name, toml_folder, toml_overrides = read_scenario_file(source)
            folder = toml_folder or folder
        else:
            raise ScenarioError(f"{source}: expected a scenario .toml file or a data folder")
    if data_dir is not None:
        if Path(data_dir).resolve() != Path(folder).resolve():
            other = safe_component(Path(data_dir).resolve().name, 60)
            scenario_name = other if source is None or Path(source).is_dir() else f"{scenario_name}-{other}"
        folder = Path(data_dir)
    if name is not None:
        scenario_name = name
    if (not isinstance(scenario_name, str) or not _NAME_RE.fullmatch(scenario_name) or ".." in scenario_name):
        raise ScenarioError(f"scenario name {scenario_name!r}: expected letters, digits, '_', '-' or '.' only "
                            "(it names the results folder)")
    if len(scenario_name) > MAX_NAME_LENGTH:
        raise ScenarioError(f"scenario name {scenario_name[:40]!r}... ({len(scenario_name)} characters): at most "
                            f"{MAX_NAME_LENGTH} (it names the results folder)")
    register_input(folder)
    if source is not None:
        register_input(source)
    # Every problem of every file in one DataError: the tables, the road corridor tables, the parameters.
    tables, problems = collect_tables(folder)

    try:
        tables.update(load_corridors(folder) or {})
    except DataError as exc:
        problems.extend(exc.problems)
    zones = tables["provinces"]["code"] if "provinces" in tables else None
    geometry, found = scenario_geometry(folder, zones)
    problems.extend(found)
    params: dict = {}
    if "parameters" in tables:
        try:
            params = _parameters_from_table(tables["parameters"], folder)
        except DataError as exc:
            problems.extend(exc.problems)
    raise_problems(problems)
    params.update(toml_overrides)
    file_parameters = dict(params)
    set_here = {k: _check_value(k, v, "override") for k, v in (overrides or {}).items()}
    params.update(set_here)
    return Scenario(scenario_name, folder, tables, params, {**toml_overrides, **set_here}, geometry,
                    file_parameters=file_parameters, set_overrides=set_here)


def with_parameters(scenario, overrides: dict, source: str = "override"):
    """A copy of ``scenario`` with parameters changed, each checked exactly as ``--set`` checks it
    (a bad key or value raises ScenarioError naming it; ``source`` says where it came from)."""
    checked = {k: _check_value(k, v, source) for k, v in overrides.items()}
    return dataclasses.replace(scenario, parameters={**scenario.parameters, **checked},
                               overrides={**scenario.overrides, **checked},
                               set_overrides={**scenario.set_overrides, **checked})
