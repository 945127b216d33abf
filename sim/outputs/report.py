"""Reports as text: the tables and lines `revisit` prints (presentation only).

Plain string formatting of result summaries (dicts, as ``Result.summary()``,
``capacity(...).summary()``, ``survey(...).summary()`` and the sweep's rows give
them); no click, no numba, no simulation.  cli.py parses, calls and prints these.
"""

from __future__ import annotations

import math

from constellation.constants import SECONDS_PER_DAY

SWEEP_NOTE = ("MRT: area-weighted percentiles of each point's longest gap (window edges included); response: mean "
              "wait for a random request; met: share of the area whose MRT meets the (first) target.")


def format_duration(seconds) -> str:
    """Seconds as '45 s', '12.5 min', '3.4 h' or '1.2 d'; '-' for None or NaN."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "-"
    s = float(seconds)
    if s < 120:
        return f"{s:.0f} s"
    if s < 2 * 3600:
        return f"{s / 60:.1f} min"
    if s < 2 * SECONDS_PER_DAY:
        return f"{s / 3600:.1f} h"
    return f"{s / SECONDS_PER_DAY:.1f} d"


def format_share(share: float, unit: str = "%") -> str:
    """Percent, never rounded up to 100 % (or down to 0 %) when it is not; ``unit`` " %" for '12.3 %';
    '-' for None (a claim not judged)."""
    if share is None:
        return "-"
    pct = 100.0 * share
    text = f"{pct:.1f}{unit}"
    if text == f"100.0{unit}" and share < 1.0:
        text = f"{math.floor(pct * 100) / 100:.2f}{unit}"
    if text == f"0.0{unit}" and share > 0.0:
        text = f"<0.1{unit}"
    return text


def format_count(x: float) -> str:
    """A count a day: whole ('1,234') when it is one, else one decimal ('12.5')."""
    return f"{x:,.0f}" if abs(x - round(x)) < 0.05 else f"{x:,.1f}"


def milestone_table(results: list[dict]) -> str:
    """`revisit run` / `revisit show` as text: one row per scenario (and per group), notes, beyond-revisit claims."""
    # With a ground network, two more columns: the time from a request to its image on the ground.
    ground = any("ground" in r for r in results)
    gcols = f" {'gnd p50':>8} {'gnd p95':>8}" if ground else ""
    head = (f"{'scenario':<18} {'sats':>5} {'claim':<24} {'MRT p50':>8} {'MRT p95':>8} {'MRT max':>8} "
            f"{'mean rev':>8} {'response':>8}{gcols} {'met':>7}  verdict")
    lines = [head, "-" * len(head)]
    for r in results:
        g = r.get("ground")
        gvals = (f" {format_latency(g['system_response_s']['p50']):>8} "
                 f"{format_latency(g['system_response_s']['p95']):>8}" if g else f" {'-':>8} {'-':>8}") \
            if ground else ""
        group_gvals = f" {'':>8} {'':>8}" if ground else ""  # groups fly without the ground network
        mrt = r["max_revisit_s"]
        tg = r["targets"]
        claim = tg[0]["name"] if tg else "(none)"
        met = format_share(tg[0]["share_met"]) if tg else "-"
        verdict = tg[0]["verdict"] if tg else "-"
        lines.append(f"{r['scenario']:<18} {r['satellites']:>5} {claim:<24} {format_duration(mrt['p50']):>8} "
                     f"{format_duration(mrt['p95']):>8} {format_duration(mrt['max']):>8} "
                     f"{format_duration(r['mean_revisit_s']):>8} {format_duration(r['mean_response_s']):>8}"
                     f"{gvals} {met:>7}  {verdict}")
        for t in tg[1:]:  # each further claim on a line of its own, under the claim, met and verdict columns
            figure_blanks = " ".join(f"{'':>8}" for _ in range(5))
            lines.append(f"{'':<18} {'':>5} {t['name']:<24} {figure_blanks}{group_gvals} "
                         f"{format_share(t['share_met']):>7}  {t['verdict']}")
        for g in r.get("groups", []):
            gm = g["max_revisit_s"]
            gmet = ", ".join(format_share(t["share_met"]) for t in g["targets"]) if g["targets"] else "-"
            label = f"  {g['group']}"[:18]
            lines.append(f"{label:<18} {g['satellites']:>5} {'(' + '; '.join(g['sensors']) + ')':<24.24} "
                         f"{format_duration(gm['p50']):>8} {format_duration(gm['p95']):>8} "
                         f"{format_duration(gm['max']):>8} {format_duration(g['mean_revisit_s']):>8} "
                         f"{format_duration(g['mean_response_s']):>8}{group_gvals} {gmet:>7}")
    lines.append("")
    lines.append("MRT: area-weighted percentiles of each point's longest gap (gaps at the window's edges count); "
                 "mean rev: mean gap; response: mean wait for a random request, sum(gap^2)/(2T); "
                 "met: share of the area whose MRT meets the claim.")
    if any(r.get("unseen_share", 0) > 0 for r in results):
        lines.append("Points never seen in a window count with MRT = the window length.")
    lines.extend(ground_lines(results))
    lines.extend(beyond_revisit_lines(results))
    return "\n".join(lines)


# Rows a point table prints before it sends the reader to --json or a per-point file.
POINT_ROWS = 40


def point_table(scenario: str, points: list[dict], max_rows: int = POINT_ROWS) -> str:
    """`revisit run --points` after the milestone table: each point's figures, in
    the list's order (``points`` as ``Result.point_figures()`` gives them)."""
    width = max([4] + [len(str(p["name"] or "")) for p in points[:max_rows]])
    width = min(width, 24)
    head = (f"{'point':<{width}} {'lat':>9} {'lon':>10} {'MRT':>8} {'mean rev':>8} {'response':>8} "
            f"{'accesses':>8} {'covered':>7}")
    lines = [f"{scenario}: {len(points):,} points", head, "-" * len(head)]
    for p in points[:max_rows]:
        name = str(p["name"] if p["name"] is not None else "")[:width]
        lines.append(f"{name:<{width}} {p['lat']:>9g} {p['lon']:>10g} {format_duration(p['max_revisit_s']):>8} "
                     f"{format_duration(p['mean_revisit_s']):>8} {format_duration(p['mean_response_s']):>8} "
                     f"{p['n_access']:>8,.0f} {format_share(p['coverage_fraction']):>7}")
    if len(points) > max_rows:
        lines.append(f"... and {len(points) - max_rows:,} more: every point with --json (point_figures) or "
                     f"--out FILE.csv")
    lines.append("MRT: the point's longest gap (the window's edges count); accesses: in the whole window; "
                 "covered: share of the window in view.")
    return "\n".join(lines)


def format_latency(seconds) -> str:
    """A latency: format_duration, and 'censored' for +inf (beyond the search's end),
    which result files hold as JSON null."""
    if seconds is None or (isinstance(seconds, float) and math.isinf(seconds)):
        return "censored"
    return format_duration(seconds)


def ground_lines(results: list[dict]) -> list[str]:
    """The milestone table's ground-segment lines (runs with a ground network): the
    time from a request to its image on the ground and the data latency, censored
    shares, and the delivery claims' verdicts."""
    rows = [r for r in results if r.get("ground")]
    if not rows:
        return []
    lines = ["gnd: area-weighted median and 95th percentile of the time from a request (uniformly random in the "
             "window) to the first image collected after it reaching the ground.",
             "",
             "From request to image on the ground (store and forward; docs/model.md):"]
    for r in rows:
        g = r["ground"]
        sr, dl = g["system_response_s"], g["data_latency_s"]
        lines.append(f"{r['scenario']:<18} via {g['network']} ({len(g['stations'])} stations): response mean "
                     f"{format_latency(sr['mean'])}, p50 {format_latency(sr['p50'])}, p95 {format_latency(sr['p95'])}; "
                     f"data latency p50 {format_latency(dl['p50'])}, p95 {format_latency(dl['p95'])}; "
                     f"censored {format_share(g['censored_request_share'])} of requests")
        for t in g.get("targets", []):
            lines.append(f"{'':<18}   {t['name']}: {t['verdict']} ({format_share(t['share_met'])} of the area)")
    return lines


SHORT_WINDOW_NOTE = "window shorter than a day: the figures a day are the window's own totals, a lower bound of a day's"


def contacts_text(s: dict) -> str:
    """`revisit contacts --summary` as text: one row per station."""
    head = (f"{'station':<14} {'lat':>7} {'lon':>8} {'mask':>5} {'contacts/d':>10} {'usable/d':>8} {'min/d':>7} "
            f"{'longest gap':>11}")
    lines = [f"{s['network']}: {s['contacts']:,} contacts of {s['satellites']} satellites, "
             f"{format_duration(s['duration_s'])} from {s['start']}", head, "-" * len(head)]
    for r in s["stations"]:
        lines.append(f"{r['station']:<14.14} {r['lat_deg']:>7.2f} {r['lon_deg']:>8.2f} {r['min_elevation_deg']:>5g} "
                     f"{r['contacts_per_day']:>10.1f} {r['usable_per_day']:>8.1f} {r['minutes_per_day']:>7.1f} "
                     f"{format_duration(r['longest_gap_s']):>11}")
    g = s["satellite_longest_gap_s"]
    lines.append(f"longest time a satellite goes without a contact: median {format_duration(g['p50'])}, "
                 f"max {format_duration(g['max'])}")
    lines.append("usable: longer than the station's setup time; min/d: contact minutes of all satellites "
                 "together (over 1,440 when several are in view at once); longest gap: no satellite in contact "
                 "(window edges count); mask: minimum elevation (deg).")
    if s["duration_s"] < 86400.0:
        lines.append(SHORT_WINDOW_NOTE + ".")
    return "\n".join(lines)


def beyond_revisit_lines(results: list[dict]) -> list[str]:
    """The milestone table's extra lines: capacity and survey verdicts with their assumptions."""
    rows = []
    for r in results:
        c = r.get("capacity")
        if c:
            limit = ("; every reachable target imaged: the list, not the satellites, is the limit"
                     if c.get("list_limited") else "")
            rows.append((r["scenario"], f"{c['claim']}: {format_count(c['scheduled_per_day'])} targets imaged a day "
                                        f"(bound {format_count(c['reachable_per_day'])}, {c['targets']:,} targets"
                                        f"{limit})",
                         c["verdict"], c["assumptions"]))
        s = r.get("survey")
        if s:
            req = s["required_share"]
            t = s["time_to_required_s"]
            got = (f"{100 * req:g} % of {s['region']} in {format_duration(t)}" if t is not None
                   else f"{format_share(s['share_imaged'])} of {s['region']} in {format_duration(s['duration_s'])}")
            t95 = s.get("time_to_95_s")
            extra = f" (95 % in {format_duration(t95)})" if t95 is not None and req > 0.95 else ""
            rows.append((r["scenario"], f"{s['claim']}: {got}{extra}", s["verdict"], s["assumptions"]))
    if not rows:
        return []
    lines = ["", "Beyond revisit: claims tested with the assumptions stated in the scenario files "
                 "(`revisit targets`, `revisit survey`):"]
    for name, text, verdict, assumptions in rows:
        lines.append(f"{name:<18} {text}  {verdict}")
        lines.append(f"{'':<18}   assuming {assumptions}")
    return lines


def sampled_text(s: dict) -> str:
    """' (sampled every X s)' when the kernel sampled finer than the step (sim.engine.sampling), else ''."""
    return f" (sampled every {s['sample_step_s']:.3g} s)" if "sample_step_s" in s else ""


def capacity_text(s: dict) -> str:
    """`revisit targets` as text."""
    ps = s["per_satellite_scheduled_per_day"]
    n, reach = s["targets"], s["targets_reachable"]
    lines = [
        f"{s['scenario']}: {s['satellites']} satellites ({s['agile_satellites']} agile), {n:,} targets: "
        f"{s['targets_source']}",
        f"window {s['start']} + {format_duration(s['duration_s'])}, step {s['step_s']:g} s{sampled_text(s)}; "
        f"sensors: {'; '.join(s['sensors'])}",
        f"imaging: {s['dwell_s']:g} s per image, slew {s['slew_deg_s']:g} deg/s + {s['settle_s']:g} s settle, "
        "one target at a time per satellite, each target once a day",
        "",
        f"{'access windows':<30} {s['access_windows']:,}",
        f"{'targets reachable':<30} {reach:,} of {n:,} (a whole image inside some access window)",
        f"{'targets a day, bound':<30} {format_count(s['reachable_per_day'])} (slews and one-at-a-time ignored)",
        f"{'targets a day, scheduled':<30} {format_count(s['scheduled_per_day'])} (greedy, earliest finish first)",
        f"{'per satellite a day':<30} mean {ps['mean']:.1f}, min {format_count(ps['min'])}, "
        f"max {format_count(ps['max'])} scheduled",
    ]
    if s["time_to_image_all_s"] is not None:
        lines.append(f"{'all targets imaged once':<30} after {format_duration(s['time_to_image_all_s'])} "
                     f"(bound: {format_duration(s['time_all_reachable_s'])})")
    else:
        lines.append(f"{'all targets imaged once':<30} not within the window: {s['once_imaged']:,} of {n:,} imaged, "
                     f"{n - reach:,} never reachable (lighting, latitude, short windows)")
    if s["duration_s"] < 86400.0:
        lines.append(SHORT_WINDOW_NOTE + ".")
    elif s["duration_s"] > 86400.0 * s["days_counted"] + 1e-6:
        lines.append(f"Figures a day count the window's {s['days_counted']} whole day(s); its last "
                     f"{format_duration(s['duration_s'] - 86400.0 * s['days_counted'])} is left out (each target "
                     "counts once a day, so a part day would add images without a day's requests).")
    if s["scheduled_per_day"] >= s["reachable_per_day"]:
        lines.append("Every reachable target was imaged: the list, not the constellation, is the limit "
                     "(more targets give more a day).")
    if "verdict" in s:
        lines.append(f"claim '{s['claim']}' ({format_count(s['claimed_per_day'])} a day): {s['verdict']}")
    lines.append("Model: " + s["model"] + ".")
    return "\n".join(lines)


def survey_text(s: dict) -> str:
    """`revisit survey` as text."""
    by_day = "".join(f"{d} d {format_share(v)}   " for d, v in s["share_imaged_by_day"].items())
    times = "   ".join(f"{q} %: {format_duration(s[f'time_to_{q}_s']) if s[f'time_to_{q}_s'] is not None else 'never'}"
                       for q in (50, 90, 95, 100))
    lines = [
        f"{s['scenario']} over {s['region']}: {s['points']:,} points at {s['grid_res_deg']:g} deg "
        f"({s['area_km2'] / 1e6:.2f} million km2), {s['satellites']} satellites, "
        f"{format_duration(s['duration_s'])} from {s['start']}, step {s['step_s']:g} s{sampled_text(s)}",
        "sensors: " + "; ".join(f"{g}: {d}" for g, d in s["sensors_by_group"].items()),
        "",
        f"share imaged at least once:  {by_day}end {format_share(s['share_imaged'])}",
        f"time to reach:  {times}",
    ]
    if "verdict" in s:
        t = s["time_to_required_s"]
        lines.append(f"claim '{s['claim']}' ({100 * s['required_share']:g} % within {s['claimed_days']:g} d): "
                     f"{s['verdict']}" + (f" ({format_duration(t)})" if t is not None else "")
                     + (f": {s['reason']}" if "reason" in s else ""))
    if "note" in s:
        lines.append("Note: " + s["note"] + ".")
    lines.append("Shares are measured at the grid points, area-weighted; " + s["clouds"] + ".")
    return "\n".join(lines)


def sweep_table(rows: list[dict]) -> str:
    """Configurations as text: label, satellites, MRT p50/p95/max, mean response, first target met share."""
    slugs = [k[:-len("_share_met")] for r in rows[:1] for k in r if k.endswith("_share_met")]
    width = max([len("configuration")] + [len(r["label"]) for r in rows])
    head = (f"{'configuration':<{width}} {'sats':>5} {'MRT p50':>9} {'MRT p95':>9} {'MRT max':>9} {'response':>9}"
            + (f" {'met':>7}  {slugs[0].replace('_', ' ')}" if slugs else ""))
    lines = [head, "-" * len(head)]
    for r in rows:
        if r["status"] != "ok":
            lines.append(f"{r['label']:<{width}} {'' if r['satellites'] is None else r['satellites']:>5} "
                         f"failed: {r['error']}")
            continue
        met = ""
        if slugs:
            met = f" {format_share(r[slugs[0] + '_share_met']):>7}  {r[slugs[0] + '_verdict']}"
        lines.append(f"{r['label']:<{width}} {r['satellites']:>5} {format_duration(r['max_revisit_p50_s']):>9} "
                     f"{format_duration(r['max_revisit_p95_s']):>9} {format_duration(r['max_revisit_max_s']):>9} "
                     f"{format_duration(r['mean_response_s']):>9}{met}")
    return "\n".join(lines)


def size_text(title: str, grid: dict, percentile: int, threshold_s: float, best: dict | None, planes: list[int],
              max_per_plane: int, per_planes: list[dict], rows: list[dict]) -> str:
    """`revisit size` as text: the reading of the target, the smallest member found (if any), the smallest
    per plane count, and every configuration evaluated (``grid``: the family's [grid] table)."""
    region = (f"latitudes {grid.get('lat_min_deg', -90):g}..{grid.get('lat_max_deg', 90):g} deg"
              if "lat_min_deg" in grid or "lat_max_deg" in grid else "the globe")
    if grid.get("kind", "regular") != "regular":
        region += f" ({grid['kind']} grid)"
    reading = ("every point's max revisit" if percentile == 100
               else f"the max revisit of {percentile} % of the area")
    lines = [f"{title}: {reading} within {format_duration(threshold_s)} over {region}"]
    failed = [p["planes"] for p in per_planes if p.get("status", "").startswith("not searched")]
    if best is None and failed:
        lines.append(f"no member found that meets it: runs failed at {failed} planes (below), so the search is "
                     "incomplete")
    elif best is None:
        lines.append(f"no member up to {max_per_plane} per plane at {planes} planes meets it")
    else:
        lines.append(f"smallest: {best['planes']} planes x {best['sats_per_plane']} = {best['satellites']} "
                     f"satellites (MRT p50 {format_duration(best['max_revisit_p50_s'])}, p95 "
                     f"{format_duration(best['max_revisit_p95_s'])}, max {format_duration(best['max_revisit_max_s'])}, "
                     f"mean response {format_duration(best['mean_response_s'])})")
    lines.append("")
    lines.append(f"{'planes':>6} {'per plane':>9} {'sats':>5}  smallest meeting it")
    for p in per_planes:
        if p["sats_per_plane"] is None:
            lines.append(f"{p['planes']:>6} {'-':>9} {'-':>5}  {p['status']}")
        else:
            lines.append(f"{p['planes']:>6} {p['sats_per_plane']:>9} {p['satellites']:>5}")
    lines.append("")
    lines.append(sweep_table(rows))
    lines.append("")
    lines.append(SWEEP_NOTE)
    return "\n".join(lines)
