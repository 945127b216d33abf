"""The optional numba.cuda kernel (sim/kernels/gpu.py) against the CPU kernel, bit for bit.

CI has no GPU, so the GPU kernel runs on numba's CUDA simulator
(NUMBA_ENABLE_CUDASIM=1, set before numba.cuda is imported: hence a
subprocess) on small random cases: off-nadir and swath sensors, with and
without lighting, regular grids and point lists, several chunks.  On a
machine with a GPU the same comparison runs on the device as well.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

COMPARE = textwrap.dedent("""
    import json, math, sys
    import numpy as np
    sys.path.insert(0, {root!r})
    sys.path.insert(0, {tests!r})
    from reference import random_constellation, START, HEO, LIMB_START, MOLNIYA
    from constellation.core import Constellation, Group, Satellite
    from constellation.sensor import Sensor
    from sim import Grid, Window, run
    import sim.kernels.gpu
    if {max_pieces!r}:
        sim.kernels.gpu.MAX_PIECES_PER_STEP = {max_pieces!r}  # read when the simulator runs the kernel
    out = []
    for seed, kind, lit, grid_kind, chunk in {cases!r}:
        rng = np.random.default_rng(seed)
        start = START
        if kind == "limb":  # cones reaching the limb on eccentric orbits: solved on the path
            start = LIMB_START
            const = Constellation("limb", [Group("g", [Satellite("m", MOLNIYA, "g"), Satellite("h", HEO, "g")],
                                                 Sensor())])
        else:
            const = random_constellation(rng, 5, kind, lit)
        if grid_kind == "regular":
            grid = Grid.regular(12.0)
        else:
            grid = Grid.points(rng.uniform(-89, 89, 150), rng.uniform(-180, 180, 150))
        window = Window(start, {hours!r} * 3600, 90.0)
        cpu = run(const, grid, window, device="cpu", chunk_samples=chunk)
        gpu = run(const, grid, window, device="gpu", chunk_samples=chunk)
        same = all(np.array_equal(cpu.figures[k], gpu.figures[k], equal_nan=True) for k in cpu.figures)
        # Largest difference of a figure in seconds, and whether the access counts agree.
        worst = max((float(np.nanmax(np.abs(cpu.figures[k] - gpu.figures[k]), initial=0.0))
                     for k in cpu.figures if k.endswith("_s")), default=0.0)
        out.append(dict(seed=seed, same=same, device=gpu.meta["device"], seen=int(cpu.seen.sum()),
                        max_diff_s=worst, same_counts=bool(np.array_equal(cpu.figures["n_access"],
                                                                          gpu.figures["n_access"])),
                        diff=[k for k in cpu.figures
                              if not np.array_equal(cpu.figures[k], gpu.figures[k], equal_nan=True)]))
    print(json.dumps(out))
""")

CASES = [(11, "off_nadir", False, "regular", None), (12, "off_nadir", True, "points", 17),
         (13, "swath", False, "regular", 9), (14, "swath", True, "points", None), (15, "limb", False, "points", 23)]


def _compare(env_extra, cases, max_pieces=None, hours=4):
    env = dict(os.environ, **env_extra)
    code = COMPARE.format(root=str(ROOT), tests=str(ROOT / "tests"), cases=cases, max_pieces=max_pieces, hours=hours)
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_gpu_kernel_on_the_cuda_simulator_equals_the_cpu_kernel():
    results = _compare({"NUMBA_ENABLE_CUDASIM": "1"}, CASES)
    for r in results:
        assert r["device"] == "gpu", r
        assert r["same"], r
    assert all(r["seen"] >= 20 for r in results), results  # every case sees enough to test


def test_gpu_buffer_overflow_falls_back_to_the_cpu():
    """With room for one piece per step, points that several satellites reach
    in one step overflow: the run is redone on the CPU and says so."""
    (r,) = _compare({"NUMBA_ENABLE_CUDASIM": "1"}, CASES[:1], max_pieces=1, hours=1)
    assert r["device"].startswith("cpu (on the GPU a point met more than 1 "), r
    assert r["same"], r


def test_gpu_on_a_real_device_equals_the_cpu_kernel():
    """On a device the compiled code fuses multiplies and adds (libNVVM's default) and
    takes sin and cos from libdevice, so the last bits may differ from the CPU's: the
    same access counts, and every time figure within a millisecond."""
    from sim.kernels.gpu import cuda_available

    if not cuda_available():
        pytest.skip("no CUDA GPU on this machine")
    for r in _compare({}, CASES):
        assert r["device"] == "gpu" and r["same_counts"] and r["max_diff_s"] <= 1e-3, r


COMPILE_PTX = textwrap.dedent("""
    import sys
    sys.path.insert(0, {root!r})
    from numba import cuda
    import sim.kernels.gpu as G

    _, kernel = G._compile()
    sig = ("void(float64[:,::1], float64[:,:,::1], float64[:,:,::1], float64[:,::1], float64[:,::1], "
           "boolean[:,::1], float64[::1], float64[:,::1], float64[:,::1], float64[:,::1], float64[:,::1], "
           "int64[::1], float64[::1], float64[::1], int64[::1], int64[::1], float64, int64[::1])")
    ptx, _ = cuda.compile_ptx(kernel.py_func, sig, cc=(9, 0))
    print("PTX", len(ptx), ptx.count("fma.rn.f64"))
""")


def test_the_gpu_kernel_compiles_for_a_hopper_gpu_without_one():
    """numba's CUDA simulator runs the kernel as Python, so faults of typing for a
    real GPU (a CPU function left among the callees, numba types where numba-cuda
    wants its own) pass there.  Where numba-cuda and NVVM are installed
    (``pip install 'numba-cuda[cu12]'``), compile the kernel to PTX for compute
    capability 9.0 (H100, H200): no GPU is needed for that."""
    pytest.importorskip("numba_cuda")
    proc = subprocess.run([sys.executable, "-c", COMPILE_PTX.format(root=str(ROOT))], capture_output=True,
                          text=True, timeout=900)
    if proc.returncode != 0 and "libNVVM cannot be found" in proc.stderr:
        pytest.skip("numba-cuda finds no NVVM to compile with")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split()[0] == "PTX" and int(proc.stdout.split()[1]) > 10_000


def test_device_gpu_without_a_gpu_is_a_clear_error(monkeypatch):
    from datetime import datetime, timezone

    from constellation import Constellation, Sensor, walker_delta
    from sim import Grid, Window, run
    from sim.kernels import gpu

    monkeypatch.setattr(gpu, "cuda_available", lambda: False)
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    const = Constellation.from_orbits("w", walker_delta(2, 1, 0, 535, 97.5, start), Sensor(max_off_nadir_deg=30))
    with pytest.raises(ValueError, match="no CUDA GPU"):
        run(const, Grid.regular(30.0), Window(start, 600.0, 60.0), device="gpu")
    res = run(const, Grid.regular(30.0), Window(start, 600.0, 60.0), device="auto")
    assert res.meta["device"] == "cpu"


def test_auto_falls_back_to_the_cpu_when_the_gpu_fails(monkeypatch):
    """A GPU numba finds but cannot use (no CUDA toolkit to compile for it, a
    driver error) must not stop an auto run: it runs on the CPU and says why."""
    from datetime import datetime, timezone

    import numpy as np

    from constellation import Constellation, Sensor, walker_delta
    from sim import Grid, Window, run
    from sim.kernels import gpu

    def broken(*args, **kwargs):
        raise RuntimeError("libNVVM cannot be found")

    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    const = Constellation.from_orbits("w", walker_delta(2, 1, 0, 535, 97.5, start), Sensor(max_off_nadir_deg=30))
    grid, window = Grid.regular(30.0), Window(start, 3600.0, 60.0)
    cpu = run(const, grid, window, device="cpu")
    monkeypatch.setattr(gpu, "cuda_available", lambda: True)
    monkeypatch.setattr(gpu, "GpuAccumulator", broken)
    res = run(const, grid, window, device="auto")
    assert res.meta["device"] == "cpu (the GPU failed: RuntimeError: libNVVM cannot be found)"
    assert all(np.array_equal(res.figures[k], cpu.figures[k], equal_nan=True) for k in cpu.figures)
    with pytest.raises(RuntimeError):  # the test's stand-in fails before GpuAccumulator can wrap it
        run(const, grid, window, device="gpu")


def test_device_gpu_failure_is_one_clear_line(monkeypatch):
    from click.testing import CliRunner

    import cli
    from sim.kernels import gpu as gpu
    def no_toolkit():
        raise OSError("libNVVM cannot be found")

    monkeypatch.setattr(gpu, "cuda_available", lambda: True)
    monkeypatch.setattr(gpu, "_compile", no_toolkit)
    out = CliRunner().invoke(cli.main, ["run", "jilin1-2019", "--grid-res", "30", "--days", "0.05", "--device", "gpu"])
    assert out.exit_code == 1 and "Traceback" not in out.output
    assert "the GPU kernel could not start: OSError: libNVVM cannot be found" in out.output


def test_a_device_function_cannot_keep_a_cpu_callee():
    """A CPU kernel left among a device function's globals types on the simulator
    but fails to compile for a real GPU: the build refuses it by name."""
    from sim.kernels import coverage as K
    from sim.kernels import gpu

    with pytest.raises(TypeError, match="cone_near_limb calls cos_reach_off_nadir"):
        gpu._device(None, K.cone_near_limb)


def test_the_default_device_is_the_cpu(monkeypatch):
    """With a GPU present, a run that names no device runs on the CPU (the
    reference): the GPU kernel is opt-in until verified on a real GPU."""
    import json
    from datetime import datetime, timezone

    from click.testing import CliRunner

    import cli
    from constellation import Constellation, Sensor, walker_delta
    from sim import Grid, Window, run
    from sim.kernels import gpu

    def must_not_start(*args, **kwargs):
        raise AssertionError("the GPU kernel was started")

    monkeypatch.setattr(gpu, "cuda_available", lambda: True)
    monkeypatch.setattr(gpu, "GpuAccumulator", must_not_start)
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    const = Constellation.from_orbits("w", walker_delta(2, 1, 0, 535, 97.5, start), Sensor(max_off_nadir_deg=30))
    assert run(const, Grid.regular(30.0), Window(start, 600.0, 60.0)).meta["device"] == "cpu"
    out = CliRunner().invoke(cli.main, ["run", "jilin1-2019", "--grid-res", "30", "--days", "0.05", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["device"] == "cpu"
