"""The facility core reproduces Beasley's published OR-Library optima (capopt) to 1e-6 relative."""
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model.methods.orlib import TABLE1_CAPACITIES, main, read_cap, solve_cap
from model.solving.highs import SolverOptions

HERE = Path(__file__).parent / "data" / "orlib"
OPTIMA = pd.read_csv(HERE / "optima.csv").set_index("instance")["optimal_value"]
SMALL = sorted(p.stem for p in HERE.glob("cap*.txt"))


@pytest.mark.parametrize("name", SMALL)
def test_reaches_published_optimum(name):
    out = solve_cap(HERE / f"{name}.txt")
    assert out["status"] == "optimal"
    assert out["objective"] == pytest.approx(OPTIMA[name], rel=1e-6)


def test_every_copied_instance_has_a_published_optimum():
    assert len(SMALL) == 37 and set(SMALL) <= set(OPTIMA.index)


def test_reader_parses_cap41_by_hand():
    """cap41: 16 sites of capacity 5000, fixed 7500 except site 11 (0.); 50 customers,
    total demand 58268; customer 1 demand 146, cost to site 1 = 6739.725."""
    inst = read_cap(HERE / "cap41.txt")
    assert inst.capacity.tolist() == [5000.0] * 16
    assert inst.fixed_cost[10] == 0.0 and (np.delete(inst.fixed_cost, 10) == 7500.0).all()
    assert inst.demand.sum() == 58268 and inst.demand[0] == 146
    assert inst.cost[0, 0] == pytest.approx(6739.725)


def test_reader_tolerates_crlf_and_nul_padding(tmp_path):
    raw = (HERE / "cap41.txt").read_bytes()
    mangled = tmp_path / "cap41.txt"
    mangled.write_bytes(raw.replace(b"\n", b"\r\n") + b"\x00" * 64)
    a, b = read_cap(HERE / "cap41.txt"), read_cap(mangled)
    assert (a.cost == b.cost).all() and (a.demand == b.demand).all()


def test_symbolic_capacity_needs_a_value(tmp_path):
    text = (HERE / "cap41.txt").read_text().replace(" 5000 ", " capacity ", 16)
    f = tmp_path / "capx.txt"
    f.write_text(text)
    with pytest.raises(ValueError, match="capacity"):
        read_cap(f)
    inst = read_cap(f, capacity=5000)
    assert inst.name == "capx_5000" and inst.capacity.tolist() == [5000.0] * 16


def test_cli_prints_one_json_line_per_file(capsys):
    rc = main([str(HERE / "cap41.txt"), str(HERE / "cap71.txt"), str(HERE / "optima.csv")])
    lines = [json.loads(x) for x in capsys.readouterr().out.strip().splitlines()]
    assert rc == 0
    assert [x["instance"] for x in lines] == ["cap41", "cap71"]
    assert {"instance", "objective", "status", "seconds"} <= set(lines[0])


def test_interfaces_agree_on_cap61():
    objs = {i: solve_cap(HERE / "cap61.txt", options=SolverOptions(mip_rel_gap=1e-9, interface=i))["objective"]
            for i in ("matrix", "lp", "appsi")}
    for v in objs.values():
        assert v == pytest.approx(OPTIMA["cap61"], rel=1e-6)


SLOW = [(f, c) for f, caps in TABLE1_CAPACITIES.items() for c in caps]


@pytest.mark.slow
@pytest.mark.parametrize("file, capacity", SLOW)
def test_large_instances_reach_published_optimum(file, capacity):
    folder = Path(os.environ.get("ORLIB_DIR", Path(__file__).parents[2] / "shared" / "benchmarks" / "orlib-cap"))
    if not (folder / f"{file}.txt").exists():
        pytest.skip(f"{file}.txt not found; set ORLIB_DIR")
    out = solve_cap(folder / f"{file}.txt", capacity=capacity)
    assert out["objective"] == pytest.approx(OPTIMA[f"{file}_{capacity}"], rel=1e-6)


HOLMBERG = Path(__file__).parent / "data" / "holmberg"
SS_OPTIMA = pd.concat([
    pd.read_csv(HOLMBERG / "optima.csv").set_index("instance")["optimal_value"],
    pd.read_csv(HERE / "optima_single_source.csv").set_index("instance")["optimal_value"],
])


@pytest.mark.parametrize("name", [f"p{i}" for i in range(1, 25)])
def test_single_source_reaches_holmberg_optimum(name):
    out = solve_cap(HOLMBERG / name, single_source=True)
    assert out["status"] == "optimal"
    assert out["objective"] == pytest.approx(SS_OPTIMA[name], rel=1e-6)


@pytest.mark.parametrize("name", ["cap61", "cap71", "cap91", "cap101"])
def test_single_source_reaches_orlib_single_source_optimum(name):
    out = solve_cap(HERE / f"{name}.txt", single_source=True)
    assert out["objective"] == pytest.approx(SS_OPTIMA[name], rel=1e-6)
    assert out["objective"] >= OPTIMA[name] * (1 - 1e-9)  # single sourcing can only cost more


def test_holmberg_reader_parses_p1_by_hand():
    """p1: 10 sites x 50 customers; site 1 capacity 258, fixed 366; first demand 49."""
    from model.methods.orlib import read_holmberg

    inst = read_holmberg(HOLMBERG / "p1")
    assert inst.capacity.shape == (10,) and inst.demand.shape == (50,) and inst.cost.shape == (10, 50)
    assert (inst.capacity[0], inst.fixed_cost[0], inst.demand[0]) == (258.0, 366.0, 49.0)
