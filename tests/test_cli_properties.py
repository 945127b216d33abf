"""The command line over its documented numeric ranges: every combination that
click accepts either runs or ends in one line naming the problem, with a
non-zero exit; never a traceback, never an allocation beyond the memory limit.

hypothesis draws the options of `revisit run` on a tiny scenario (4 satellites)
from the ranges the options declare.  Runs whose work would take long on
purpose (many samples on a fine grid) are filtered out: the property is about
answers and refusals, not about waiting; grids too big for the memory limit
are kept, since they must be refused before anything is allocated.
"""

from click.testing import CliRunner
from conftest import TINY_TOML
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cli import main

MEMORY_LIMIT = "300MB"
MAX_SAMPLES = 20_000  # samples a drawn run may take
MAX_SAMPLE_POINTS = 5e6  # samples x grid points (about a second on 4 satellites)


def finite(lo, hi, lo_open=False, hi_open=False):
    return st.floats(lo, hi, exclude_min=lo_open, exclude_max=hi_open, allow_nan=False, allow_infinity=False)


options = st.fixed_dictionaries({}, optional={
    "--days": finite(0, 366, lo_open=True),
    "--step": finite(0.01, 3600),
    "--grid-res": finite(0.01, 90),
    "--grid-kind": st.sampled_from(["regular", "equal-area"]),
    "--lat-min": finite(-90, 90),
    "--lat-max": finite(-90, 90),
    "--off-nadir": st.one_of(finite(0, 90, lo_open=True), st.just("none")),
    "--min-elevation": finite(0, 90, hi_open=True),
    "--swath-km": finite(0, 5000, lo_open=True),
    "--min-sun-elevation": finite(-90, 90, hi_open=True),
    "--target": st.sampled_from(["10min", "1h", "600", "2day", "0.5h"]),
})


def quick_or_refused(opts) -> bool:
    """Whether a drawn run is either quick (samples and samples x points within
    bounds, the samples as the product takes them: the step divided down to the
    sensors' safe step) or refused before it runs (invalid together, or far over
    the memory limit)."""
    from sim.engine.sampling import sample_window
    from sim.studies.study import Study

    keys = {"--days": "days", "--step": "step_s", "--grid-res": "grid_res_deg", "--grid-kind": "grid_kind",
            "--lat-min": "lat_min_deg", "--lat-max": "lat_max_deg", "--off-nadir": "off_nadir_deg",
            "--min-elevation": "min_elevation_deg", "--swath-km": "swath_km",
            "--min-sun-elevation": "min_sun_elevation_deg", "--target": "targets"}
    kw = {keys[k]: ([v] if k == "--target" else v) for k, v in opts.items()}
    try:
        study = Study.from_scenario(TINY_TOML).with_overrides(**kw)
        samples = sample_window(study.constellation, study.window()).n_samples
        points = study.grid_spec.n_points()
    except (ValueError, TypeError):
        return True  # refused: the CLI must say so in one line
    if points > 2e6:  # over 1 GB of per-point arrays alone
        return True
    return samples <= MAX_SAMPLES and samples * points <= MAX_SAMPLE_POINTS


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(opts=options)
def test_run_answers_or_refuses_in_one_line(opts):
    assume(quick_or_refused(opts))
    args = ["run", str(TINY_TOML), "--json", "--memory-limit", MEMORY_LIMIT]
    for k, v in opts.items():
        args += [k, str(v)]
    r = CliRunner().invoke(main, args)
    assert "Traceback" not in r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), (args, repr(r.exception))
    if r.exit_code != 0:
        errors = [line for line in r.output.splitlines() if line.startswith("Error")]
        assert len(errors) == 1, (args, r.output)
    else:
        assert '"max_revisit_s"' in r.output, args
