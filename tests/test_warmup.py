"""The child process that compiles the capacity claim's kernels during a first run."""

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from sim.studies import warmup

ROOT = Path(__file__).resolve().parents[1]

# In a fresh process: the window kernels' signatures after the warm-up's tiny study,
# then after the real capacity claim of a built-in scenario (shortened).
SIGNATURES_CHILD = """
import dataclasses, json
from sim.kernels import windows as A
from sim.studies import warmup
from sim.studies.study import Study

def signatures():
    return {name: sorted(map(str, f.signatures)) for name, f in vars(A).items() if hasattr(f, "signatures")}

warmup.compile_claims()
after_warmup = signatures()
study = Study.from_scenario("jilin1-2020-plan")
study = dataclasses.replace(study, capacity=dataclasses.replace(study.capacity, days=0.1, random_targets=40))
out = study.check_claims()
print(json.dumps({"warmup": after_warmup, "claim": signatures(), "verdict": out["capacity"]["verdict"]}))
"""


def test_the_warm_up_compiles_every_kernel_a_capacity_claim_uses():
    """Whatever the real claim calls, the warm-up called with the same types: the
    claim then loads every kernel from the cache the child wrote."""
    out = subprocess.run([sys.executable, "-c", SIGNATURES_CHILD], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found["verdict"] in ("met", "not met")
    used = {name: sigs for name, sigs in found["claim"].items() if sigs}
    assert {"target_windows", "greedy_schedule"} <= set(used)
    assert found["claim"] == found["warmup"]


class FakeChild:
    def __init__(self, finishes=True):
        self.finishes = finishes
        self.killed = False
        self.waited = 0

    def poll(self):
        return 0 if self.finishes or self.killed else None

    def wait(self, timeout=None):
        self.waited += 1
        if not self.finishes and not self.killed:
            raise subprocess.TimeoutExpired("child", timeout)
        return 0

    def kill(self):
        self.killed = True


@pytest.fixture
def no_child(monkeypatch):
    monkeypatch.setattr(warmup, "_child", None)
    started = []
    monkeypatch.setattr(warmup.subprocess, "Popen", lambda *a, **k: started.append(a) or FakeChild())
    monkeypatch.setattr(warmup.atexit, "register", lambda f: None)
    return started


def test_a_child_starts_only_for_a_capacity_claim_on_a_cold_cache(no_child, monkeypatch):
    claim = SimpleNamespace(capacity=object())
    monkeypatch.setattr(warmup, "claims_kernels_cold", lambda: False)
    assert warmup.start([claim]) is False  # compiled or cached already
    monkeypatch.setattr(warmup, "claims_kernels_cold", lambda: True)
    assert warmup.start([SimpleNamespace(capacity=None)]) is False  # no capacity claim
    assert no_child == []
    assert warmup.start([claim]) is True
    assert no_child and no_child[0][0][1:] == ["-m", "sim.studies.warmup"]
    assert warmup.start([claim]) is False  # one child at most
    warmup.wait()
    assert warmup._child is None


def test_a_slow_child_is_stopped_and_the_claim_goes_on(monkeypatch):
    slow = FakeChild(finishes=False)
    monkeypatch.setattr(warmup, "_child", slow)
    warmup.wait(timeout_s=0.01)
    assert slow.killed and warmup._child is None
    warmup.wait()  # nothing to wait for: returns at once


def test_a_child_still_running_at_exit_is_stopped(monkeypatch):
    running = FakeChild(finishes=False)
    monkeypatch.setattr(warmup, "_child", running)
    warmup.stop()
    assert running.killed and warmup._child is None


def test_claims_kernels_cold_reads_numbas_cache(tmp_path):
    import os

    assert warmup.claims_kernels_cold() in (True, False)
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "empty-cache"))
    out = subprocess.run([sys.executable, "-c", "from sim.studies.warmup import claims_kernels_cold as c; print(c())"],
                         cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True", out.stderr
