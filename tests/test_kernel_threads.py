"""The kernels' thread pool (sim.kernels.run_blocks): block results in block
order, shared safely by callers on several threads, and usable again in a
forked child (which inherits none of its parent's threads)."""

import multiprocessing
import sys
import threading

import numpy as np
import pytest

from sim import kernels


def _blocks(blk, scale):
    return blk * scale


@pytest.fixture
def two_threads():
    before = kernels.num_threads()
    kernels.set_num_threads(2)
    yield
    kernels.set_num_threads(before)


def test_blocks_come_back_in_order(two_threads):
    assert kernels.run_blocks(_blocks, 7, 3) == [0, 3, 6, 9, 12, 15, 18]
    # the same pool serves the next call
    assert kernels.run_blocks(_blocks, 3, 1) == [0, 1, 2]


def test_callers_on_several_threads_share_the_pool(two_threads):
    out = {}

    def caller(c):
        kernels.set_num_threads(2)  # numba's thread count is per thread
        out[c] = [kernels.run_blocks(_blocks, 5, c) for _ in range(20)]

    threads = [threading.Thread(target=caller, args=(c,)) for c in range(1, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(out[c] == [[b * c for b in range(5)]] * 20 for c in range(1, 5))


def _child(queue):
    kernels.set_num_threads(2)
    queue.put(kernels.run_blocks(_blocks, 4, 10))


@pytest.mark.skipif(sys.platform == "win32", reason="no fork on Windows")
def test_a_forked_child_runs_blocks(two_threads):
    kernels.run_blocks(_blocks, 4, 1)  # the parent's pool exists before the fork
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_child, args=(queue,))
    child.start()
    child.join(30)
    if child.is_alive():
        child.kill()
    assert child.exitcode == 0, "the child hung or failed"
    assert queue.get(timeout=5) == [0, 10, 20, 30]


def test_the_coverage_kernel_is_the_same_on_one_and_two_threads():
    from datetime import datetime, timezone

    from constellation import Constellation, Sensor, sso_inclination_deg, walker_delta
    from sim import Grid, Window, run

    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    const = Constellation.from_orbits("w", walker_delta(12, 3, 1, 535, sso_inclination_deg(535), start),
                                      Sensor(max_off_nadir_deg=40.0))
    grid = Grid.regular(5.0)
    window = Window(start, 6 * 3600.0, 60.0)
    before = kernels.num_threads()
    try:
        kernels.set_num_threads(1)
        one = run(const, grid, window, device="cpu", n_blocks=4, chunk_samples=40)
        kernels.set_num_threads(2)
        two = run(const, grid, window, device="cpu", n_blocks=4, chunk_samples=40)
    finally:
        kernels.set_num_threads(before)
    for name, value in one.figures.items():
        assert np.array_equal(value, two.figures[name], equal_nan=True), name
