"""Loading: typed tables, references checked, every error names file, row and column."""
import os

import pandas
import pytest
from tiny import tables, write

from model import DataError, ScenarioError, load_scenario
from model.io.tables import read_table


def load(tmp_path, tabs):
    return load_scenario(write(tmp_path / "d", tabs))


def test_shipped_default_data_loads_with_34_zones():
    sc = load_scenario()
    assert len(sc.tables["provinces"]) == 34
    assert sc.tables["provinces"]["code"].str.len().eq(2).all()
    assert sc.tables["sites"]["bonded_allowed"].dtype == bool
    assert 15 <= len(sc.tables["sites"]) <= 30


def test_bad_number_names_file_row_and_column(tmp_path):
    t = tables()
    t["site_levels"]["fixed_cost_usd_per_year"] = ["lots"]
    with pytest.raises(DataError) as e:
        load(tmp_path, t)
    p = e.value.problems[0]
    assert p.file.endswith("site_levels.csv") and p.row == 2 and p.column == "fixed_cost_usd_per_year"
    assert "site_levels.csv, row 2, column 'fixed_cost_usd_per_year': expected a number" in str(e.value)


def test_negative_demand_is_rejected_with_its_row(tmp_path):
    t = tables(demand={"01": 10, "02": -5})
    with pytest.raises(DataError) as e:
        load(tmp_path, t)
    p = e.value.problems[0]
    assert (p.file.endswith("demand.csv"), p.row, p.column) == (True, 3, "orders_per_year")
    assert ">= 0" in p.expected


def test_unknown_reference_is_rejected(tmp_path):
    t = tables()
    t["sites"].loc[0, "province"] = "99"
    with pytest.raises(DataError) as e:
        load(tmp_path, t)
    p = e.value.problems[0]
    assert p.file.endswith("sites.csv") and p.row == 2 and p.column == "province"
    assert "provinces.csv" in p.expected


def test_duplicate_key_is_rejected(tmp_path):
    t = tables(levels=[("S1", "small", 10, 1.0), ("S1", "small", 20, 2.0)])
    with pytest.raises(DataError) as e:
        load(tmp_path, t)
    assert e.value.problems[0].row == 3 and "unique key" in e.value.problems[0].expected


def test_missing_column_is_named(tmp_path):
    t = tables()
    t["products"] = t["products"].drop(columns="weight_kg_per_order")
    with pytest.raises(DataError, match=r"products.csv, row 1, column 'weight_kg_per_order'"):
        load(tmp_path, t)


def test_all_problems_of_a_file_are_collected(tmp_path):
    t = tables(demand={"01": 10, "02": 20, "03": 30})
    t["demand"]["orders_per_year"] = ["x", "-1", "y"]
    with pytest.raises(DataError) as e:
        load(tmp_path, t)
    assert sorted(p.row for p in e.value.problems) == [2, 3, 4]


def test_windows_1258_file_gets_a_clear_message(tmp_path):
    folder = write(tmp_path / "d", tables())
    (folder / "provinces.csv").write_bytes("code,name_vi\n01,H\xe0 N\xf4i\n".encode("latin-1"))
    with pytest.raises(DataError, match="UTF-8"):
        read_table(folder / "provinces.csv", "provinces")


def test_shares_must_sum_to_one(tmp_path):
    t = tables()
    t["sourcing"]["share"] = 0.9
    with pytest.raises(DataError, match="sum to 1"):
        load(tmp_path, t)


def test_unknown_override_key_is_rejected():
    with pytest.raises(ScenarioError, match="unknown parameter"):
        load_scenario(overrides={"policy.no_such_lever": 1.0})


def test_toml_scenario_overrides_parameters(tmp_path):
    folder = write(tmp_path / "d", tables())
    f = tmp_path / "s.toml"
    f.write_text('name = "lower_tax"\ndata = "d"\n[policy]\ncbec_tax_factor = 0.7\n')
    sc = load_scenario(f)
    assert sc.name == "lower_tax" and sc.param("policy.cbec_tax_factor") == 0.7
    assert sc.data_dir == folder.resolve()


def test_scenario_name_cannot_escape_results(tmp_path):
    write(tmp_path / "d", tables())
    f = tmp_path / "s.toml"
    f.write_text('name = "../../etc"\ndata = "d"\n')
    with pytest.raises(ScenarioError, match="scenario name"):
        load_scenario(f)


def test_data_dictionary_doc_is_generated_from_the_schema():
    from pathlib import Path

    from model.io.schema import data_dictionary_markdown

    doc = Path(__file__).resolve().parents[1] / "docs" / "data-dictionary.md"
    assert doc.read_text(encoding="utf-8") == data_dictionary_markdown(), \
        "regenerate with: python -c \"from model.io.schema import data_dictionary_markdown as d; print(d(), end='')\""


def test_a_column_with_more_bad_rows_than_are_listed_says_how_many_more(tmp_path):
    """25 rows of demand.csv with text for a number: the first 20 of the column are taken one by one
    (fewer may be printed, under the file's own limit, which says how many it left out), and one
    line says 5 more rows of the column have the same problem: none goes unmentioned."""
    t = tables()
    t["demand"] = pandas.DataFrame({"zone": "01", "product": "P1", "orders_per_year": ["many"] * 25})
    folder = write(tmp_path / "d", t)
    with pytest.raises(DataError) as err:
        load_scenario(folder)
    lines = [line for line in err.value.lines() if "orders_per_year" in line]
    assert [line for line in lines if ", row 2," in line]  # the first rows listed one by one
    assert any("5 more rows like those listed" in line for line in lines), lines


def test_a_table_that_is_a_fifo_is_named_as_one_not_as_missing(tmp_path):
    """A named pipe where demand.csv should be is refused without being opened (reading it would
    hang), and the message says what it is instead of calling the table missing."""
    folder = write(tmp_path / "d", tables())
    (folder / "demand.csv").unlink()
    os.mkfifo(folder / "demand.csv")
    with pytest.raises(DataError) as err:
        load_scenario(folder)
    text = "\n".join(err.value.lines())
    assert "named pipe (FIFO)" in text and "to exist" not in text
