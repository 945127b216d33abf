"""The headline figures against their golden files (tests/golden.py writes them).

A change that moves a figure the docs quote fails here; when the move is
intended, regenerate with ``python tests/golden.py`` and say why in the commit.
The full milestone run (the README's table, claims included) takes about
half a minute; the coarse one guards the same path in seconds.
"""

import golden


def test_tiny_scenario_summary():
    assert not golden.differences(golden.load("tiny"), golden.clean(golden.tiny_summary()))


def test_milestones_on_a_coarse_grid():
    assert not golden.differences(golden.load("milestones-5deg"), golden.clean(golden.coarse_milestones()))


def test_milestones_as_shipped():
    """What `revisit run --json` prints for the five milestones (the README's table), claims included."""
    assert not golden.differences(golden.load("milestones"), golden.clean(golden.full_milestones()))


def test_the_comparison_sees_a_moved_figure():
    expected = golden.load("tiny")
    moved = dict(expected, max_revisit_s=dict(expected["max_revisit_s"], p95=expected["max_revisit_s"]["p95"] + 1.0))
    assert golden.differences(expected, moved) == [f".max_revisit_s.p95: {moved['max_revisit_s']['p95']!r}, "
                                                   f"golden {expected['max_revisit_s']['p95']!r}"]
    assert golden.differences(expected, dict(expected, extra=1)) == [".extra: not in the golden file"]
