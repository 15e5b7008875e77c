"""Timing helpers shared by the benchmarks: medians over repeated runs."""

from __future__ import annotations

import statistics
import time


def median_seconds(fn, runs: int, warmup: int = 2) -> float:
    """Median wall time of ``fn()`` over ``runs`` calls, after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def report(name: str, seconds: float, target: float | None = None) -> None:
    verdict = "" if target is None else ("  ok" if seconds <= target else f"  OVER target {target * 1e3:.0f} ms")
    print(f"{name:48} {seconds * 1e3:9.1f} ms{verdict}")
