"""From request to image on the ground: the Jilin-1 milestones and the real fleet
against the built-in ground networks (the table in docs/jilin1.md).

    python benchmarks/ground.py                  # 5 milestones + the 2025-10-03 fleet, 2 networks, 1 day, 1 deg
    python benchmarks/ground.py --grid-res 5     # a quick look

Each study runs once without a network (the coverage run, timed) and its
latency is then computed with each network (sim.studies.ground.ground_latency,
timed).  Prints a Markdown table, then one JSON object with every figure and time.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from constellation.ground import load_network
from sim import Study
from sim.engine.result import jsonable
from sim.outputs.report import format_duration, format_share
from sim.studies.ground import ground_latency

FLEET = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "tle" / "jilin1_2025-10-03.tle"
MILESTONES = ["jilin1-2019", "jilin1-2020-plan", "jilin1-2022-dec", "jilin1-2024", "jilin1-2030-plan"]
NETWORKS = ["china-rs", "china-rs-polar"]


def studies(fleet: Path):
    for name in MILESTONES:
        yield Study.from_scenario(name)
    if fleet.exists():
        yield Study.from_catalog(fleet)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--grid-res", type=float, default=1.0)
    ap.add_argument("--days", type=float, default=1.0)
    ap.add_argument("--fleet", type=Path, default=FLEET)
    ap.add_argument("--only", help="run only this study (a milestone name, or 'fleet')")
    args = ap.parse_args()
    rows = []
    for study in studies(args.fleet):
        if args.only and args.only not in (study.name, "fleet" if study.is_catalog else None):
            continue
        study = study.with_overrides(days=args.days, grid_res_deg=args.grid_res).validated()
        grid = study.grid()
        t0 = time.perf_counter()
        result = study.run(progress=False, grid=grid)
        coverage_s = time.perf_counter() - t0
        row = {"study": study.name, "satellites": len(study.constellation), "points": len(grid),
               "start": study.start.isoformat(), "days": args.days, "grid_res_deg": args.grid_res,
               "mrt_p95_s": result.summary()["max_revisit_s"]["p95"],
               "mean_response_s": result.summary()["mean_response_s"], "coverage_run_s": coverage_s}
        for net in NETWORKS:
            t0 = time.perf_counter()
            lat = ground_latency(study.constellation, grid, study.window(), load_network(net))
            row[net] = dict(lat.summary, latency_run_s=time.perf_counter() - t0)
            row[net].pop("model")
        rows.append(row)
        print(json.dumps(jsonable({k: v for k, v in row.items() if k not in NETWORKS})), flush=True)
    head = ("| study | sats | revisit: mean wait | request to ground p50 / p95, china-rs | china-rs-polar | "
            "data latency p50 / p95, china-rs | china-rs-polar | censored (rs / polar) |")
    print(head)
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        a, b = r[NETWORKS[0]], r[NETWORKS[1]]
        print(f"| {r['study']} | {r['satellites']} | {format_duration(r['mean_response_s'])} | "
              f"{format_duration(a['system_response_s']['p50'])} / {format_duration(a['system_response_s']['p95'])} | "
              f"{format_duration(b['system_response_s']['p50'])} / {format_duration(b['system_response_s']['p95'])} | "
              f"{format_duration(a['data_latency_s']['p50'])} / {format_duration(a['data_latency_s']['p95'])} | "
              f"{format_duration(b['data_latency_s']['p50'])} / {format_duration(b['data_latency_s']['p95'])} | "
              f"{format_share(a['censored_request_share'])} / {format_share(b['censored_request_share'])} |")
    print(json.dumps(jsonable({"rows": rows})))


if __name__ == "__main__":
    main()
