"""Golden figures: the headline numbers the docs quote, pinned so that a change
that moves one is seen in a test (the model is python-sgp4's tcppver.out).

    python tests/golden.py            # regenerate every golden file (minutes)
    python tests/golden.py --fast     # only the quick ones

The files in tests/data/golden/ are written by this script only, from the
product's own study path, and read by tests/test_golden.py and
tests/test_docs.py.  Regenerate them when a change moves a figure on purpose,
and say why in the commit.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "data" / "golden"
TINY = HERE / "data" / "tiny.toml"
MILESTONES = ("jilin1-2019", "jilin1-2020-plan", "jilin1-2022-dec", "jilin1-2024", "jilin1-2030-plan")
COARSE = dict(grid_res_deg=5.0)
# Summary fields that say where or how a run happened, not what it found.
VOLATILE = {"device", "overlap_pruning", "region_source", "wall_s"}
REL_TOL, ABS_TOL_S = 1e-6, 1e-3


def tiny_summary() -> dict:
    from sim.studies.study import Study

    return Study.from_scenario(TINY).run(device="cpu").summary()


def coarse_milestones() -> list[dict]:
    """The five milestones' revisit figures on a 5 deg grid (seconds, no claims beyond revisit)."""
    from sim.studies.study import Study

    return [Study.from_scenario(name).with_overrides(**COARSE).run(device="cpu").summary() for name in MILESTONES]


def full_milestones() -> list[dict]:
    """What `revisit run --json` prints: the five milestones as shipped, claims included."""
    from sim.studies.study import Study

    out = []
    for name in MILESTONES:
        study = Study.from_scenario(name)
        summary = study.run(device="cpu").summary()
        summary.update(study.check_claims())
        out.append(summary)
    return out


def clean(obj):
    """JSON-ready, with the volatile fields left out."""
    from sim.engine.result import jsonable

    obj = jsonable(obj)
    if isinstance(obj, dict):
        return {k: clean(v) for k, v in obj.items() if k not in VOLATILE}
    if isinstance(obj, list):
        return [clean(v) for v in obj]
    return obj


def differences(expected, got, where: str = "") -> list[str]:
    """Where ``got`` differs from ``expected``: numbers beyond REL_TOL / ABS_TOL_S,
    anything else unequal, keys missing or extra."""
    if isinstance(expected, dict) and isinstance(got, dict):
        out = [f"{where}.{k}: missing" for k in expected if k not in got]
        out += [f"{where}.{k}: not in the golden file" for k in got if k not in expected]
        for k in expected:
            if k in got:
                out += differences(expected[k], got[k], f"{where}.{k}")
        return out
    if isinstance(expected, list) and isinstance(got, list):
        if len(expected) != len(got):
            return [f"{where}: {len(got)} items, golden {len(expected)}"]
        return [d for i, (a, b) in enumerate(zip(expected, got)) for d in differences(a, b, f"{where}[{i}]")]
    numbers = (int, float)
    if isinstance(expected, numbers) and isinstance(got, numbers) and not isinstance(expected, bool) \
            and not isinstance(got, bool):
        if math.isclose(expected, got, rel_tol=REL_TOL, abs_tol=ABS_TOL_S):
            return []
        return [f"{where}: {got!r}, golden {expected!r}"]
    return [] if expected == got else [f"{where}: {got!r}, golden {expected!r}"]


def load(name: str):
    return json.loads((GOLDEN / f"{name}.json").read_text())


def write(name: str, data) -> None:
    GOLDEN.mkdir(parents=True, exist_ok=True)
    (GOLDEN / f"{name}.json").write_text(json.dumps(clean(data), indent=1, sort_keys=False) + "\n")
    print(f"wrote {GOLDEN / name}.json", file=sys.stderr)


def main(argv: list[str]) -> None:
    sys.path.insert(0, str(HERE.parent))
    write("tiny", tiny_summary())
    write("milestones-5deg", coarse_milestones())
    if "--fast" not in argv:
        write("milestones", full_milestones())


if __name__ == "__main__":
    main(sys.argv[1:])
