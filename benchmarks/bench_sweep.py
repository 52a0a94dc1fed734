"""Time a random sweep of the enterprise-baseline's values: warm re-solves, workers, driver memory.

The spec is a Latin hypercube of `--variants` samples over values the model holds in mutable
Params (site power and electricity prices, GPU prices, the discount rate, inference demand
lowered up to 30%), each solved with `--time-limit` seconds:

1. the sweep on the `processes` backend with 1 worker, then with 2: wall time and speed-up;
   the driver's peak memory (this process's resident-set high-water mark: it only hands out
   work and writes rows);
2. median seconds per variant warm (rows that reused the worker's model) against a cold
   rebuild of the same variants (validate, build, solve from scratch, one HiGHS thread): of
   every variant, or of a seeded random sample of `--cold-sample` of them.

    .venv/bin/python benchmarks/bench_sweep.py                          # 1000 variants, 10 s each
    .venv/bin/python benchmarks/bench_sweep.py --cold-sample 100        # cold rebuilds of 100 of them
    .venv/bin/python benchmarks/bench_sweep.py --variants 4 --time-limit 2   # a smoke run
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiopt
from aiopt.sweep import load_spec
from aiopt.sweep.spec import apply

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "data" / "scenarios" / "enterprise-baseline.yaml"


def spec(variants: int, time_limit: float, seed: int) -> dict:
    """A Latin hypercube over the baseline's Param values (ranges around the shipped values)."""
    ranges = {
        "sites.us-east.power_mw": [0.7, 1.2],
        "sites.us-west.electricity_usd_per_kwh": [0.12, 0.24],
        "sites.eu-central.electricity_usd_per_kwh": [0.15, 0.3],
        "catalog.gpu_tiers.h100-sxm.price_usd": [220_000, 320_000],
        "catalog.gpu_tiers.b200.price_usd": [280_000, 400_000],
        "policy.discount_rate": [0.04, 0.12],
        "workloads.chat-70b.tokens_per_s": [63_000, 90_000],
    }
    return {
        "base": str(BASELINE),
        "solve": {"time_limit": time_limit},
        "random": {"seed": seed, "count": variants, "ranges": ranges},
    }


def timed_sweep(checked, workers: int) -> tuple[float, object]:
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as out:
        started = time.perf_counter()
        table = aiopt.sweep(checked, out, backend="processes", workers=workers, progress=False)
        return time.perf_counter() - started, table


def cold_runs(checked, sample: int | None, seed: int) -> tuple[list[float], list[float]]:
    """Seconds to validate, build and solve each variant (of a random `sample` of them, when
    given) from scratch (one HiGHS thread), and the gap each solve proved (infeasible variants:
    time only)."""
    variants = list(checked.variants)
    if sample is not None and sample < len(variants):
        variants = random.Random(seed).sample(variants, sample)
    seconds, gaps = [], []
    for variant in variants:
        started = time.perf_counter()
        try:
            plan = aiopt.solve(
                apply(checked.scenario, variant.overrides), checked.solve["time_limit"], progress=False
            )
            gaps.append(plan.gap)
        except aiopt.SolveError:
            pass  # an infeasible variant costs its time too
        seconds.append(time.perf_counter() - started)
    return seconds, gaps


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=1000, help="variants in the sweep (default 1000)")
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds per solve (default 10)")
    parser.add_argument("--seed", type=int, default=1, help="Latin hypercube seed (default 1)")
    parser.add_argument("--cold-sample", type=int, help="cold rebuilds of this many variants (default all)")
    args = parser.parse_args()
    checked = load_spec(spec(args.variants, args.time_limit, args.seed), max_variants=max(args.variants, 1))

    one, _ = timed_sweep(checked, 1)
    two, table = timed_sweep(checked, 2)
    driver_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before this process solves
    warm = table.loc[table.rebuilt == False, "seconds_total"]  # noqa: E712 (a column of flags)
    cold, cold_gaps = cold_runs(checked, args.cold_sample, args.seed)
    statuses = ", ".join(f"{n} {s}" for s, n in table.status.value_counts().items())
    print(f"{len(table)} variants of enterprise-baseline, {args.time_limit:g} s limit each: {statuses}")
    print(f"processes, 1 worker: {one:.1f} s; 2 workers: {two:.1f} s; speed-up {one / two:.2f}x")
    if len(warm):
        median_warm, median_cold = statistics.median(warm), statistics.median(cold)
        print(
            f"median per variant: warm {median_warm:.2f} s ({len(warm)} rows), "
            f"cold rebuild {median_cold:.2f} s ({len(cold)} variants); "
            f"warm is {median_cold / median_warm:.2f}x faster"
        )
    started_warm = int((table.started_from == "an earlier plan").sum())
    print(
        f"{started_warm} variants started from an earlier plan; median gap: sweep "
        f"{table.gap.median():.2%}, cold solves {statistics.median(cold_gaps):.2%}"
    )
    print(f"driver peak memory: {driver_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
