"""Run the benchmarks and print figures and ratios to their targets; never a pass/fail timing test.

    python tests/benchmarks/run.py --json out/bench.json [--only startup,pull]

Targets are those of the issues, on a 2-core machine. A ratio above 1.0 means slower than the target.
Each benchmark runs in a process of its own, so that what one leaves behind (windows with their timers,
worker threads, a warm or a cluttered heap) cannot slow or speed up the next.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# key → (target, unit); lower is better for all of them
TARGETS = {
    "startup_s": (1.5, "s"),
    "checkin_ui_ms": (100.0, "ms"),
    "pull_ratio": (1.5, "×"),
    "max_stall_ms": (50.0, "ms"),
    "replay_ratio": (1.2, "×"),
    "replay_429s": (5, "429s"),
    "offline_checkin_ui_ms": (100.0, "ms"),
    "pacing_refresh_ms": (16.0, "ms"),
}


def _suites() -> dict:
    suites = {}
    import bench_foundation

    suites.update(bench_foundation.BENCHMARKS)
    for name in ("bench_offline", "bench_pacing"):
        try:
            module = __import__(name)
        except ImportError:
            continue
        suites.update(module.BENCHMARKS)
    return suites


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--json", type=Path, help="write the figures here as JSON")
    p.add_argument("--only", help="comma-separated benchmark names (default: all)")
    p.add_argument("--here", action="store_true", help=argparse.SUPPRESS)  # run in this process (the child)
    args = p.parse_args(argv)
    if args.here:
        return _run_here(args.only.split(","), args.json)
    names = args.only.split(",") if args.only else list(_suites())
    figures: dict = {}
    for name in names:
        t0 = time.perf_counter()
        print(f"… {name}", flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "figures.json"
            proc = subprocess.run([sys.executable, __file__, "--here", "--only", name, "--json", str(out)])
            if out.exists():
                figures.update(json.loads(out.read_text()))
            else:
                figures[f"{name}_error"] = f"the benchmark's process ended with code {proc.returncode}"
        print(f"  ({time.perf_counter() - t0:.1f} s)", flush=True)
    print()
    print(f"{'figure':<26}{'value':>12}{'target':>10}{'ratio':>9}")
    for key, value in figures.items():
        if key in TARGETS and isinstance(value, (int, float)):
            target, unit = TARGETS[key]
            ratio = value / target if target else float("nan")
            flag = "" if ratio <= 1 else "  over target"
            print(f"{key:<26}{value:>10.3f} {unit:<2}{target:>8} {ratio:>8.2f}{flag}")
        else:
            print(f"{key:<26}{value!s:>12}")
    figures["_machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2, default=str))
        print(f"\nwrote {args.json}")
    return 0


def _run_here(names: list[str], out: Path | None) -> int:
    suites = _suites()
    figures: dict = {}
    for name in names:
        try:
            figures.update(suites[name]())
        except Exception as exc:  # report and go on: one broken benchmark must not hide the others
            figures[f"{name}_error"] = f"{type(exc).__name__}: {exc}"
            print(f"  {name} failed: {exc}", flush=True)
    if out is not None:
        out.write_text(json.dumps(figures, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
