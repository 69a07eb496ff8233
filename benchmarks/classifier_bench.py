"""Classifier benchmark: cold start-up and per-message cost of classify + entity extraction on one core.

Run: ``.venv/bin/python benchmarks/classifier_bench.py [--file dev.jsonl] [--messages 5000]``.
Prints numbers; asserts nothing (speed is measured here, never in tests).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

DEFAULT_FILE = Path(__file__).resolve().parents[1].parent / "shared" / "dev-set" / "inquiries.jsonl"

_COLD = """
import time
t0 = time.perf_counter()
from intents.understand import Understander
u = Understander.load()
t1 = time.perf_counter()
print(t1 - t0)
"""


def cold_start(runs: int) -> list[float]:
    """Seconds from a fresh interpreter to a loaded Understander (imports + knowledge + classifier)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", _COLD], capture_output=True, text=True, check=True)
        wall = time.perf_counter() - started
        times.append((float(out.stdout.strip()), wall))
    return [t for t, _ in times], [w for _, w in times]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--cold-runs", type=int, default=3)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core

    load_times, wall_times = cold_start(args.cold_runs)
    print(
        f"start-up (load in a cold process): min {min(load_times):.3f} s, "
        f"median {statistics.median(load_times):.3f} s; whole process incl. interpreter: "
        f"median {statistics.median(wall_times):.3f} s"
    )

    from intents.understand import Understander

    rows = [json.loads(line) for line in args.file.read_text(encoding="utf-8").splitlines() if line.strip()]
    understander = Understander.load()
    work = [rows[i % len(rows)] for i in range(max(args.messages, len(rows)))]
    latencies: list[float] = []
    started = time.perf_counter()
    cpu_started = time.process_time()
    for row in work:
        t0 = time.perf_counter()
        understander.understand(
            row["text"],
            subject=row.get("subject", ""),
            channel=row.get("channel", "email"),
            received=date.fromisoformat(row["received"]),
        )
        latencies.append(time.perf_counter() - t0)
    total = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    latencies.sort()
    p50 = latencies[len(latencies) // 2] * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    print(
        f"throughput: {len(work) / total:,.0f} messages/s over {len(work)} messages "
        f"(classify + extract, one core); p50 {p50:.2f} ms, p99 {p99:.2f} ms"
    )
    # CPU time is less sensitive than wall time to other processes sharing the core
    print(f"CPU-time rate: {len(work) / cpu:,.0f} messages/s")


if __name__ == "__main__":
    main()
