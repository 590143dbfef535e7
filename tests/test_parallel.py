"""model.core.parallel.map_jobs: results in input order, failures recorded, others finish."""
from model.core.parallel import JobFailure, map_jobs


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


def test_map_jobs_on_an_existing_scheduler_by_address():
    """--scheduler ADDRESS: the jobs go to a cluster this call did not start, and it stays up."""
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        out = map_jobs(_inverse, [2, 0], scheduler=cluster.scheduler_address)
        assert out[0] == 0.5 and isinstance(out[1], JobFailure)
        assert len(cluster.scheduler.workers) == 1  # not shut down by map_jobs
