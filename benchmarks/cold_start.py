"""What compiling the kernels costs a first run: `revisit run` in a child process
with an empty numba cache folder (cold) against the same command with a cache
filled by the cold run (warm); compile time = cold - warm.

    python benchmarks/cold_start.py            # the default milestone report and one small run
    python benchmarks/cold_start.py --small    # the small run only

Each command runs in a fresh Python process with NUMBA_CACHE_DIR set to a new
temporary folder: first cold (numba compiles and writes the cache), then
warm (the cache is read; the small run twice, the faster kept; the
milestone report, minutes long, once).  Prints a table, then one
JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# label -> (arguments, warm runs to take the best of)
COMMANDS = {
    "revisit run tiny (4 sats, 10 deg, 3 h)": (["run", os.path.join(ROOT, "tests", "data", "tiny.toml")], 2),
    "revisit run (the milestone report)": (["run"], 1),
}


def wall(args: list[str], cache_dir: str) -> float:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    t0 = time.perf_counter()
    subprocess.run([sys.executable, os.path.join(ROOT, "cli.py"), *args], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", action="store_true", help="only the small run")
    args = ap.parse_args(argv)
    rows = []
    for label, (cmd, repeats) in COMMANDS.items():
        if args.small and "tiny" not in label:
            continue
        with tempfile.TemporaryDirectory(prefix="numba-cache-") as cache:
            cold = wall(cmd, cache)
            warm = min(wall(cmd, cache) for _ in range(repeats))
        rows.append({"command": label, "args": cmd, "cold_s": cold, "warm_s": warm, "compile_s": cold - warm})
        print(f"{label}: cold {cold:.1f} s, warm {warm:.1f} s", file=sys.stderr, flush=True)
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"{'command':<42} {'cold':>8} {'warm':>8} {'compile':>8}")
    for r in rows:
        print(f"{r['command']:<42} {r['cold_s']:>7.1f}s {r['warm_s']:>7.1f}s {r['compile_s']:>7.1f}s")
    print(json.dumps({"benchmark": "cold_start", "load_average": os.getloadavg(), "cores": os.cpu_count(),
                      "runs": rows}))


if __name__ == "__main__":
    main()
