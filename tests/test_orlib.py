"""The facility core reproduces Beasley's published OR-Library optima (capopt) to 1e-6 relative."""
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model.orlib import TABLE1_CAPACITIES, build_cflp, main, read_cap, solve_cap
from model.solver import SolverOptions

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
