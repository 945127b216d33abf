"""sim.outputs.report: the text of the reports, from hand-made summaries (no simulation)."""

import math

from sim.outputs.report import SWEEP_NOTE, format_count, format_duration, format_share, size_text, sweep_table


def test_format_duration_picks_the_unit():
    assert format_duration(None) == "-" and format_duration(math.nan) == "-"
    assert format_duration(119) == "119 s"
    assert format_duration(120) == "2.0 min"
    assert format_duration(7199) == "120.0 min"
    assert format_duration(7200) == "2.0 h"
    assert format_duration(2 * 86400) == "2.0 d"


def test_format_share_never_rounds_to_all_or_nothing():
    assert format_share(1.0) == "100.0%" and format_share(0.0) == "0.0%"
    assert format_share(0.9996) == "99.96%"
    assert format_share(0.0001) == "<0.1%"
    assert format_share(0.1234) == "12.3%"
    assert format_share(0.9996, " %") == "99.96 %" and format_share(0.0001, " %") == "<0.1 %"  # the plots' style


def test_format_count_whole_or_one_decimal():
    assert format_count(1706.0) == "1,706" and format_count(12.04) == "12"
    assert format_count(12.5) == "12.5"


def _row(label, sats, p50, share, verdict):
    return {"label": label, "status": "ok", "satellites": sats, "max_revisit_p50_s": p50,
            "max_revisit_p95_s": 3600.0, "max_revisit_max_s": 7200.0, "mean_response_s": 60.0,
            "within_1_h_share_met": share, "within_1_h_verdict": verdict}


def test_sweep_table_rows_and_failures():
    rows = [_row("a", 4, 1800.0, 0.5, "not met"),
            {"label": "broken", "status": "failed", "satellites": None, "error": "bad altitude"}]
    lines = sweep_table(rows).splitlines()
    assert lines[0].split() == ["configuration", "sats", "MRT", "p50", "MRT", "p95", "MRT", "max", "response", "met",
                                "within", "1", "h"]
    assert set(lines[1]) == {"-"} and len(lines[1]) == len(lines[0])
    assert lines[2].split() == ["a", "4", "30.0", "min", "60.0", "min", "2.0", "h", "60", "s", "50.0%", "not",
                                "met"]
    assert lines[3].endswith("failed: bad altitude")


def test_size_text_with_and_without_a_best():
    rows = [_row("planes=2 sats_per_plane=2", 4, 1800.0, 1.0, "met")]
    per_planes = [{"planes": 1, "sats_per_plane": None, "satellites": None, "status": "none up to 4 per plane"},
                  {"planes": 2, "sats_per_plane": 2, "satellites": 4}]
    best = dict(rows[0], planes=2, sats_per_plane=2)
    text = size_text("fam", {"lat_min_deg": -60.0}, 95, 3600.0, best, [1, 2], 4, per_planes, rows)
    lines = text.splitlines()
    assert lines[0] == "fam: the max revisit of 95 % of the area within 60.0 min over latitudes -60..90 deg"
    assert lines[1] == ("smallest: 2 planes x 2 = 4 satellites (MRT p50 30.0 min, p95 60.0 min, max 2.0 h, "
                        "mean response 60 s)")
    assert lines[4].split() == ["1", "-", "-", "none", "up", "to", "4", "per", "plane"]
    assert lines[5].split() == ["2", "2", "4"]
    assert lines[-1] == SWEEP_NOTE and sweep_table(rows) in text
    text = size_text("fam", {}, 100, 3600.0, None, [1, 2], 4, per_planes[:1], [])
    assert text.splitlines()[:2] == ["fam: every point's max revisit within 60.0 min over the globe",
                                     "no member up to 4 per plane at [1, 2] planes meets it"]


def _scenario_row(name, ground=None, groups=()):
    row = {"scenario": name, "satellites": 13, "targets": [{"name": "anywhere within 1 day", "share_met": 0.5,
                                                            "verdict": "not met"}],
           "max_revisit_s": {"p50": 3600.0, "p95": 7200.0, "max": 9000.0}, "mean_revisit_s": 1800.0,
           "mean_response_s": 900.0, "groups": list(groups)}
    if ground is not None:
        row["ground"] = ground
    return row


def test_the_table_reads_a_censored_ground_percentile_as_censored():
    """+inf in a run, JSON null in a result file: both are 'censored', never 'inf d' or '-'."""
    from sim.outputs.report import milestone_table

    for p95 in (math.inf, None):
        ground = {"network": "china-rs", "stations": ["a", "b"], "censored_request_share": 0.25,
                  "system_response_s": {"mean": 1e4, "p50": 23832.0, "p95": p95},
                  "data_latency_s": {"p50": 750.0, "p95": p95}}
        text = milestone_table([_scenario_row("jilin1-2019", ground)])
        row = text.splitlines()[2]
        assert row.split()[-4] == "censored" and "inf" not in text, text
        assert "p95 censored" in text


def test_group_rows_keep_the_columns_with_a_ground_network():
    from sim.outputs.report import milestone_table

    ground = {"network": "china-rs", "stations": ["a"], "censored_request_share": 0.0,
              "system_response_s": {"mean": 1e4, "p50": 2e4, "p95": 3e4}, "data_latency_s": {"p50": 1.0, "p95": 2.0}}
    group = {"group": "video", "satellites": 3, "sensors": ["off-nadir <= 45 deg"], "targets": [
        {"name": "anywhere within 1 day", "share_met": 0.466, "verdict": "not met"}],
        "max_revisit_s": {"p50": 3600.0, "p95": 7200.0, "max": 9000.0}, "mean_revisit_s": 1800.0,
        "mean_response_s": 900.0}
    lines = milestone_table([_scenario_row("jilin1-2019", ground, [group])]).splitlines()
    head, group_line = lines[0], lines[3]
    met_end = head.index("met") + len("met")
    assert group_line.index("46.6%") + len("46.6%") == met_end, (head, group_line)  # under 'met', not 'gnd p50'


def test_each_further_claim_gets_a_line_of_its_own():
    from sim.outputs.report import milestone_table

    row = _scenario_row("jilin1-2019")
    row["targets"].append({"name": "within 30min", "share_met": 0.016, "verdict": "not met"})
    lines = milestone_table([row]).splitlines()
    head, first, second = lines[0], lines[2], lines[3]
    assert len(first) <= len(head) + 10 and "within 30min" not in first
    assert second.split() == ["within", "30min", "1.6%", "not", "met"]
    assert second.index("within 30min") == head.index("claim")
    assert second.index("1.6%") + len("1.6%") == head.index("met") + len("met")
