"""The package's layers (docs/architecture.md), checked statically: imports only go down the layers
declared in pyproject.toml ([tool.importlinter]), no import cycle among model's modules, and no
import of a model module inside a function (where it would hide a dependency from both checks)."""
import ast
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "model"


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    """import-linter on the package found in ``cwd`` (its pyproject.toml), without a cache."""
    code = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True, no_logo=True))"
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"})


def test_imports_only_go_down_the_layers():
    p = lint_imports(ROOT)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "1 kept, 0 broken" in p.stdout


def test_the_contract_fails_when_a_renderer_imports_a_study(tmp_path):
    """The check can fail: a copy of the package whose Markdown renderer imports a study inside a
    function (the way the old cycle report -> across_gap -> insight hid) breaks the contract."""
    shutil.copytree(MODEL, tmp_path / "model", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    md = tmp_path / "model" / "report" / "markdown.py"
    md.write_text(md.read_text() + "\n\ndef _sneaky():\n    from model.studies.compare import main  # noqa\n")
    p = lint_imports(tmp_path)
    assert p.returncode != 0
    assert "is not allowed to import model.studies" in p.stdout
    assert "model.report.markdown -> model.studies.compare" in p.stdout


def test_no_import_cycle_between_modules():
    """Counting every import, at the top of a module or inside a function."""
    graph = grimp.build_graph("model", cache_dir=None)
    g = nx.DiGraph()
    for m in graph.modules:
        for dep in graph.find_modules_directly_imported_by(m):
            # a package imports its submodules to re-export them; a submodule importing its own
            # package's __init__ would close a cycle, and is counted
            g.add_edge(m, dep)
    cycles = list(nx.simple_cycles(g))
    assert cycles == [], cycles[:5]


def _local_model_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for sub in ast.walk(node):
                names = ([sub.module or ""] if isinstance(sub, ast.ImportFrom) else
                         [a.name for a in sub.names] if isinstance(sub, ast.Import) else [])
                if any(n == "model" or n.startswith("model.") for n in names) or getattr(sub, "level", 0):
                    found.append(f"{path}:{sub.lineno}")
    return found


def test_no_model_import_inside_a_function():
    found = [hit for f in sorted(MODEL.rglob("*.py")) for hit in _local_model_imports(f)]
    assert found == []


def test_the_local_import_check_can_fail(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("import model.core\n\ndef f():\n    from model.pipeline import solve\n    return solve\n")
    assert _local_model_imports(f) == [f"{f}:4"]


@pytest.mark.parametrize("folder", ["model"])
def test_few_modules_sit_directly_in_the_package(folder):
    """The layers are folders; only the public API and the pipeline sit at the top."""
    assert sorted(p.name for p in (ROOT / folder).glob("*.py")) == ["__init__.py", "pipeline.py"]


def test_ruff_is_clean():
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    if not Path(ruff).exists():
        pytest.skip("ruff is not installed (pip install -e '.[test]')")
    p = subprocess.run([ruff, "check", "model", "solve.py", "tests"], cwd=ROOT, capture_output=True, text=True)
    assert p.returncode == 0, p.stdout[-3000:]
