"""The workspace's files without a browser (model/ui/workspace.py): names from the browser cannot
leave the user's folder, a new scenario extends its parent and the command line loads it, an invalid
one leaves nothing behind."""
import pytest
from tiny import tables, write

from model import load_scenario
from model.ui.workspace import Workspace


@pytest.fixture
def ws(tmp_path):
    write(tmp_path / "data", tables(demand={"01": 100.0}))
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "base.toml").write_text('name = "base"\ndata = "../data"\n')
    return Workspace(tmp_path / "scenarios", tmp_path / "mine", tmp_path / "results")


def _files(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.parametrize("name", ["../evil", ".hidden", "a/b", "", "x y", "/etc/passwd"])
def test_a_name_from_the_browser_never_leaves_the_folder(ws, tmp_path, name):
    before = _files(tmp_path)
    saved = ws.save_child("base", name, {"policy.cbec_tax_factor": "0.5"})
    assert saved.path is None and "expected one folder name" in saved.message
    assert _files(tmp_path) == before  # nothing written anywhere


def test_a_child_extends_its_parent_and_the_command_line_loads_it(ws):
    saved = ws.save_child("base", "half", {"policy.cbec_tax_factor": "0.5", "policy.eligible_zones": "01,79",
                                           "policy.bonded_duty_at_sale": "0"})
    assert saved.path == ws.user_dir / "half.toml"
    sc = load_scenario(saved.path)
    assert sc.name == "half" and sc.param("policy.cbec_tax_factor") == 0.5
    assert sc.param("policy.eligible_zones") == ["01", "79"] and sc.param("policy.bonded_duty_at_sale") is False
    assert {"name": "half", "kind": "mine", "extends": "base"}.items() <= ws.scenarios()[-1].items()
    again = ws.save_child("base", "half", {"policy.cbec_tax_factor": "0.6"})
    assert again.path is None and "exists already" in again.message


def test_an_invalid_value_or_table_writes_nothing(ws, tmp_path):
    before = _files(tmp_path)
    bad = ws.save_child("base", "bad", {"policy.cbec_tax_factor": "abc"})
    assert bad.path is None and bad.parameter_errors.keys() == {"policy.cbec_tax_factor"}
    assert "parameter 'policy.cbec_tax_factor' expects a number in share, got 'abc'" in bad.message
    _, tabs = ws.inputs("base")
    levels = tabs["site_levels"].copy()
    levels.loc[0, "capacity_orders_per_year"] = "lots"
    broken = ws.save_child("base", "broken", {}, {"site_levels": levels})
    assert broken.path is None
    (p,) = broken.table_problems
    assert (p.row, p.column) == (2, "capacity_orders_per_year") and p.file.endswith("broken-data/site_levels.csv")
    assert [f for f in _files(tmp_path) if f not in before] == ["mine"]  # the folder, empty
    levels.loc[0, "capacity_orders_per_year"] = "500"
    good = ws.save_child("base", "smaller", {}, {"site_levels": levels})
    sc = load_scenario(good.path)
    assert sc.tables["site_levels"]["capacity_orders_per_year"].iloc[0] == 500
    assert sc.data_dir.resolve() == (ws.user_dir / "smaller-data").resolve()
