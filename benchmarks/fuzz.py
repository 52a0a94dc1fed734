"""Fuzz `aiopt solve` with random but valid scenarios derived from the shipped ones.

Each scenario (tests/fuzz_scenarios.py) is written as YAML and solved in-process through the
CLI entry point with a short time limit, in parallel worker processes. Prints a tally by
outcome; every internal error (exit 1) or plan that fails `aiopt.check_plan` is listed, its
scenario kept in the output folder for reproduction (`aiopt solve <case>.yaml --out x --debug`).

    .venv/bin/python benchmarks/fuzz.py --count 2000 --seed 1
    .venv/bin/python benchmarks/fuzz.py --count 50 --seed 7 --jobs 1 --out fuzz-out
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fuzz_scenarios import ACCEPTABLE, Outcome, run_case, write_case  # noqa: E402


def _solve(job: tuple[int, int, Path, float]) -> Outcome:
    seed, number, folder, time_limit = job
    path = write_case(seed, number, folder)
    with tempfile.TemporaryDirectory() as scratch:
        return run_case(path, Path(scratch) / "plan", time_limit)


def _cause(outcome: Outcome) -> str:
    """The exception's name of an internal error ("aiopt: internal error: Name: ..."), else the kind."""
    parts = outcome.message.split(":")
    return parts[2].strip() if outcome.kind == "internal_error" and len(parts) > 2 else outcome.kind


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="scenarios to run (default 200)")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the scenario generator")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument(
        "--time-limit", type=float, default=1.0, help="solver time limit per scenario, s (default 1)"
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="folder for the scenarios (default fuzz-<seed>)"
    )
    args = parser.parse_args(argv)
    folder = args.out or Path(f"fuzz-{args.seed}")
    folder.mkdir(parents=True, exist_ok=True)
    jobs = [(args.seed, i, folder, args.time_limit) for i in range(args.count)]

    started = time.perf_counter()
    tally: collections.Counter = collections.Counter()
    bugs: list[Outcome] = []
    slowest: list[Outcome] = []
    examples: dict[str, list[Outcome]] = collections.defaultdict(list)
    with multiprocessing.get_context("spawn").Pool(args.jobs, maxtasksperchild=50) as pool:
        for n, outcome in enumerate(pool.imap_unordered(_solve, jobs), 1):
            tally[outcome.kind] += 1
            examples[outcome.kind].append(outcome)
            slowest = sorted([*slowest, outcome], key=lambda o: -o.seconds)[:5]
            if not outcome.acceptable:
                bugs.append(outcome)
                print(f"BUG {outcome}", flush=True)
            if n % 100 == 0:
                print(f"{n}/{args.count} done, {dict(tally)}", flush=True)

    found = {outcome.path for outcome in bugs}
    for path in folder.glob("case-*.yaml"):
        if path not in found:
            path.unlink()  # keep only the scenarios that found a bug
    elapsed = time.perf_counter() - started
    print(f"\n{args.count} scenarios, seed {args.seed}, {elapsed:.0f} s wall, {args.jobs} processes:")
    for kind in (*ACCEPTABLE, "internal_error", "unchecked_plan"):
        print(f"  {kind:15} {tally[kind]}")
    for kind in ("bad_input", "no_plan"):
        for outcome in examples[kind][:3]:
            print(f"  e.g. {kind}: {outcome.message.splitlines()[0][:200]}")
    print("slowest: " + "; ".join(f"{o.path.name} {o.seconds:.1f} s" for o in slowest))
    if bugs:
        causes = collections.Counter(_cause(outcome) for outcome in bugs)
        print(
            f"{len(bugs)} bugs ({', '.join(f'{n} {cause}' for cause, n in causes.most_common())}), "
            f"scenarios kept in {folder}/:"
        )
        for outcome in bugs:
            print(f"  {outcome}")
    elif not any(folder.iterdir()):
        shutil.rmtree(folder)
    return 1 if bugs else 0


if __name__ == "__main__":
    sys.exit(main())
