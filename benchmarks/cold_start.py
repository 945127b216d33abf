"""What compiling the kernels costs a first run: `revisit run` in a child process
with an empty numba cache folder (cold) against the same command with a cache
filled by the cold run (warm); compile time = cold - warm.

    python benchmarks/cold_start.py            # the default milestone report and one small run
    python benchmarks/cold_start.py --small    # the small run only
    python benchmarks/cold_start.py --functions [ARGS]   # what compiles: CPU s per function
    python benchmarks/cold_start.py --baseline REF       # also git commit REF's code, alternating

With ``--functions``, ``revisit ARGS`` (default: the small run) runs once in a
child process with an empty cache, numba's compile events recorded: each
function's exclusive compile CPU time (its callees' compiles subtracted)
and how often it was compiled (twice: once per argument type, e.g. a
literal and an int64).

With ``--baseline REF``, each command also runs on the code of commit REF
(``git archive`` into a temporary folder), cold and warm right after the
current code's, and the table gives the ratio baseline / current.

Each command runs in a fresh Python process with NUMBA_CACHE_DIR set to a new
temporary folder: first cold (numba compiles and writes the cache), then
warm (the cache is read; the small run twice, the faster kept; the
milestone report, minutes long, once).  Prints a table, then one
JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
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


def wall(args: list[str], cache_dir: str, root: str = ROOT) -> float:
    """Seconds of `revisit ARGS` run from the code in ``root`` with numba's cache in ``cache_dir``."""
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    t0 = time.perf_counter()
    subprocess.run([sys.executable, os.path.join(root, "cli.py"), *args], env=env, check=True, cwd=root,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def cold_and_warm(cmd: list[str], repeats: int, root: str = ROOT) -> tuple[float, float]:
    """(cold, warm) seconds of `revisit CMD` from ``root``: first with an empty cache, then with the one it filled."""
    with tempfile.TemporaryDirectory(prefix="numba-cache-") as cache:
        cold = wall(cmd, cache, root)
        warm = min(wall(cmd, cache, root) for _ in range(repeats))
    return cold, warm


# Run in the child: revisit's CLI with a listener on numba's compile events.
PROFILE_CHILD = """
import json, sys, time
from numba.core import event

out_path, args = sys.argv[1], sys.argv[2:]
stack, seen = [], {}

class Compiles(event.Listener):
    def on_start(self, ev):
        stack.append([ev.data["dispatcher"].py_func.__qualname__, time.process_time(), 0.0])

    def on_end(self, ev):
        name, t0, inner = stack.pop()
        spent = time.process_time() - t0
        if stack:
            stack[-1][2] += spent
        own, count = seen.get(name, (0.0, 0))
        seen[name] = (own + spent - inner, count + 1)

event.register("numba:compile", Compiles())
import cli
t0 = time.process_time()
try:
    cli.main(args, standalone_mode=False)
finally:
    functions = sorted(({"function": k, "compile_cpu_s": v[0], "compiles": v[1]} for k, v in seen.items()),
                       key=lambda f: -f["compile_cpu_s"])
    with open(out_path, "w") as f:
        json.dump({"cpu_s": time.process_time() - t0, "functions": functions}, f)
"""


def compile_profile(args: list[str]) -> dict:
    """``revisit ARGS`` with an empty cache: compile CPU time per function."""
    with tempfile.TemporaryDirectory(prefix="numba-cache-") as cache:
        out = os.path.join(cache, "profile.json")
        env = dict(os.environ, NUMBA_CACHE_DIR=cache,
                   PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
        subprocess.run([sys.executable, "-c", PROFILE_CHILD, out, *args], env=env, check=True, cwd=ROOT,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(out) as f:
            return json.load(f)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", action="store_true", help="only the small run")
    ap.add_argument("--baseline", metavar="REF",
                    help="also the code of git commit REF, alternating (ratio = REF / now)")
    ap.add_argument("--functions", nargs=argparse.REMAINDER, metavar="ARGS",
                    help="the compile CPU time per function of `revisit ARGS` (default: the small run)")
    args = ap.parse_args(argv)
    if args.functions is not None:
        cmd = args.functions or COMMANDS["revisit run tiny (4 sats, 10 deg, 3 h)"][0]
        prof = compile_profile(cmd)
        total = sum(f["compile_cpu_s"] for f in prof["functions"])
        print(f"revisit {' '.join(cmd)}: {prof['cpu_s']:.1f} s CPU, {total:.1f} s of it compiling "
              f"(load average {os.getloadavg()[0]:.2f})")
        print(f"{'compile CPU':>11} {'compiles':>8}  function")
        for f in prof["functions"][:20]:
            print(f"{f['compile_cpu_s']:>10.2f}s {f['compiles']:>8}  {f['function']}")
        print(json.dumps({"benchmark": "cold_start_functions", "args": cmd, "load_average": os.getloadavg(),
                          **prof}))
        return
    with contextlib.ExitStack() as stack:
        base = None
        if args.baseline:
            base = stack.enter_context(tempfile.TemporaryDirectory(prefix="revisit-baseline-"))
            sha = subprocess.run(["git", "rev-parse", args.baseline], cwd=ROOT, check=True, capture_output=True,
                                 text=True).stdout.strip()
            archive = subprocess.run(["git", "archive", sha], cwd=ROOT, check=True, capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", base], input=archive, check=True)
        rows = []
        for label, (cmd, repeats) in COMMANDS.items():
            if args.small and "tiny" not in label:
                continue
            cold, warm = cold_and_warm(cmd, repeats)
            row = {"command": label, "args": cmd, "cold_s": cold, "warm_s": warm, "compile_s": cold - warm}
            if base:
                b_cold, b_warm = cold_and_warm(cmd, repeats, base)
                row.update(baseline=sha, baseline_cold_s=b_cold, baseline_warm_s=b_warm,
                           cold_ratio=b_cold / cold, warm_ratio=b_warm / warm)
            rows.append(row)
            print(f"{label}: cold {cold:.1f} s, warm {warm:.1f} s", file=sys.stderr, flush=True)
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
          + (f"; baseline {sha[:12]}" if args.baseline else ""))
    head = f"{'command':<42} {'cold':>8} {'warm':>8} {'compile':>8}"
    print(head + (f" {'base cold':>10} {'ratio':>6} {'base warm':>10} {'ratio':>6}" if args.baseline else ""))
    for r in rows:
        line = f"{r['command']:<42} {r['cold_s']:>7.1f}s {r['warm_s']:>7.1f}s {r['compile_s']:>7.1f}s"
        if args.baseline:
            line += (f" {r['baseline_cold_s']:>9.1f}s {r['cold_ratio']:>5.2f}x {r['baseline_warm_s']:>9.1f}s "
                     f"{r['warm_ratio']:>5.2f}x")
        print(line)
    print(json.dumps({"benchmark": "cold_start", "load_average": os.getloadavg(), "cores": os.cpu_count(),
                      "runs": rows}))

if __name__ == "__main__":
    main()
