"""Time each pipeline stage on the baseline and the large scenarios, one fresh process per run.

Stages: validate (aiopt.validate: read + check every input), load (load_scenario beyond
those same checks: defaults and DataFrames), build (prepare + build_model), solve
(solve_model, split into HiGHS's own `run` and the Pyomo-to-HiGHS load around it) and
results (read_plan). Modeling overhead = everything but HiGHS, as a % of the total. Peak
memory is the run's resident-set high-water mark (ru_maxrss of its own process).

    .venv/bin/python benchmarks/bench_pipeline.py                 # 5 runs each
    .venv/bin/python benchmarks/bench_pipeline.py --only large --runs 3
    .venv/bin/python benchmarks/bench_pipeline.py --only large-8x10 --runs 3   # 8 sites, 10 years, 60 s

Each run's solve time must stay within its time limit + 5% (the whole solve, every stage).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "data" / "scenarios" / "enterprise-baseline.yaml"
# scenario -> solve_model settings (baseline: the interactive defaults)
# large: 115 s leaves room for load, build and results within 120 s; large-8x10: the interactive default
SETTINGS = {
    "baseline": dict(time_limit=60.0, rel_gap=0.01),
    "large": dict(time_limit=115.0, rel_gap=0.01),
    "large-8x10": dict(time_limit=60.0, rel_gap=0.01),
}
STAGES = ("validate", "load", "build", "solve", "results")


def one_run(path: str, time_limit: float, rel_gap: float) -> dict:
    """Run the pipeline once in this process; stage seconds, outcome, model size, peak RSS."""
    import resource

    started = time.perf_counter()
    import highspy
    import pyomo.environ as pyo

    import aiopt

    imported = time.perf_counter() - started
    highs_seconds = []
    run = highspy.Highs.run

    def timed_run(self):
        start = time.perf_counter()
        try:
            return run(self)
        finally:
            highs_seconds.append(time.perf_counter() - start)

    highspy.Highs.run = timed_run

    seconds = {}
    stage = time.perf_counter()
    assert not aiopt.validate(path)  # read + check every input
    seconds["validate"] = time.perf_counter() - stage
    stage = time.perf_counter()
    scenario = aiopt.load_scenario(path)
    # load_scenario re-runs the same checks before building the frames: count only the rest
    seconds["load"] = max(time.perf_counter() - stage - seconds["validate"], 0.0)
    stage = time.perf_counter()
    model = aiopt.build_model(aiopt.prepare(scenario))
    seconds["build"] = time.perf_counter() - stage
    stage = time.perf_counter()
    try:
        info = aiopt.solve_model(
            model, time_limit=time_limit, rel_gap=rel_gap, threads=1, seed=0, progress=False
        )
    except aiopt.SolveError as exc:  # no incumbent within the limit: nothing to read
        info, outcome = (
            None,
            dict(status=f"no plan ({exc.status})", gap=None, gpus=None, check_ok=False, check=[]),
        )
    seconds["solve"] = time.perf_counter() - stage
    stage = time.perf_counter()
    plan = aiopt.read_plan(model, info) if info else None
    seconds["results"] = time.perf_counter() - stage
    if plan:
        report = aiopt.check_plan(plan)
        outcome = dict(
            status=info.status,
            gap=info.gap,
            gpus=int(plan.kpi("gpus_final_year")),
            check_ok=report.ok,
            check=str(report).splitlines()[:4],
        )

    variables = list(model.component_data_objects(pyo.Var, active=True))
    return dict(
        seconds=seconds,
        highs=sum(highs_seconds),
        imported=imported,
        **outcome,
        variables=len(variables),
        integers=sum(1 for v in variables if v.is_integer() and not v.fixed),
        constraints=model.nconstraints(),
        peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )


def fresh_run(path: Path, settings: dict) -> dict:
    """`one_run` in a new Python process (so import caches and peak memory start from zero)."""
    cmd = [
        sys.executable,
        __file__,
        "--child",
        str(path),
        "--time-limit",
        str(settings["time_limit"]),
        "--rel-gap",
        str(settings["rel_gap"]),
    ]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return json.loads(out.strip().splitlines()[-1])


def summarise(name: str, runs: list[dict]) -> list[str]:
    """Table rows (medians over runs) for one scenario."""
    med = {s: statistics.median(r["seconds"][s] for r in runs) for s in STAGES}
    total = statistics.median(sum(r["seconds"].values()) for r in runs)
    highs = statistics.median(r["highs"] for r in runs)
    overhead = statistics.median(1 - r["highs"] / sum(r["seconds"].values()) for r in runs)
    gaps = ", ".join("n/a" if r["gap"] is None else f"{r['gap']:.2%}" for r in runs)
    solves = ", ".join(f"{r['seconds']['solve']:.1f}" for r in runs)
    last = runs[-1]
    return [
        f"{name:8s} "
        + " ".join(f"{med[s]:8.2f}" for s in STAGES)
        + f" {highs:8.2f} {total:8.2f} {overhead:8.1%} {max(r['peak_mb'] for r in runs):8.0f}",
        f"         status: {', '.join(sorted({r['status'] for r in runs}))}; gap per run: {gaps}; "
        f"GPUs final year: {sorted({r['gpus'] for r in runs}, key=str)}; check_plan passed: "
        f"{sum(r['check_ok'] for r in runs)}/{len(runs)}; solve s per run: {solves}",
        f"         model: {last['variables']:,} variables ({last['integers']:,} integer), "
        f"{last['constraints']:,} constraints; "
        f"import aiopt {statistics.median(r['imported'] for r in runs):.2f} s (not in total)",
        *(f"         check: {line}" for line in ([] if last["check_ok"] else last["check"])),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", choices=sorted(SETTINGS))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--time-limit", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--rel-gap", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(one_run(args.child, args.time_limit, args.rel_gap)))
        return

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from make_large import write

    with tempfile.TemporaryDirectory() as tmp:
        paths = {
            "baseline": BASELINE,
            "large": write(Path(tmp) / "large.yaml"),
            "large-8x10": write(Path(tmp) / "large-8x10.yaml", sites=8, years=10),
        }
        names = [args.only] if args.only else list(SETTINGS)
        lines = [
            f"{'':8s} " + " ".join(f"{h:>8s}" for h in (*STAGES, "highs", "total", "overhead", "peak MB")),
            "(median seconds over runs; overhead = total minus HiGHS run, % of total; peak MB = max RSS)",
        ]
        for name in names:
            runs = []
            for i in range(args.runs):
                runs.append(fresh_run(paths[name], SETTINGS[name]))
                print(
                    f"{name} run {i + 1}/{args.runs}: {sum(runs[-1]['seconds'].values()):.2f} s, "
                    f"{runs[-1]['status']}",
                    file=sys.stderr,
                    flush=True,
                )
            lines += summarise(name, runs)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
