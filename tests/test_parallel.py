"""model.parallel.map_jobs: results in input order, failures recorded, others finish."""
from model.parallel import JobFailure, map_jobs


def _inverse(x):
    return 1 / x


def test_map_jobs_in_process_keeps_order_and_records_a_failure():
    out = map_jobs(_inverse, [1, 0, 4], workers=1)
    assert out[0] == 1 and out[2] == 0.25
    assert isinstance(out[1], JobFailure) and "ZeroDivisionError" in out[1].error


def test_map_jobs_on_a_local_cluster_of_two_workers():
    seen = []
    out = map_jobs(_inverse, [1, 2, 0, 8], workers=2, on_done=lambda i, r: seen.append(i))
    assert out[:2] == [1, 0.5] and out[3] == 0.125
    assert isinstance(out[2], JobFailure)
    assert sorted(seen) == [0, 1, 2, 3]
