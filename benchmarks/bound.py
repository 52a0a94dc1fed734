"""How strong is the formulation's bound? One markdown row per benchmark instance.

For each scenario: the full solve (`solve_model`, 1 thread, seed 0, 1% gap) gives the plan, its
proven gap and time; then, on the same built model loaded once more into HiGHS
(`aiopt.solve.highs.HighsModel`): the LP relaxation's bound, the LP bound with every site's
fabric fixed at the plan's, and the root bound after HiGHS's cuts (a MIP run stopped after its
root node, `mip_max_nodes=1`: with 0 HiGHS stops before it reports a bound). Bounds are shown as
% below the plan's objective; the plan is the full solve's (within its gap of the optimum).

    .venv/bin/python benchmarks/bound.py                       # baseline, frontier-growth, growth-5y
    .venv/bin/python benchmarks/bound.py --only enterprise-baseline
    .venv/bin/python benchmarks/bound.py --large --time-limit 115   # adds the 5-site large instance
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import aiopt
from aiopt.solve import solve_model
from aiopt.solve.highs import HighsModel

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ("enterprise-baseline", "frontier-growth", "growth-5y")
HEADER = (
    "| scenario | LP bound | LP, fabrics fixed | root after cuts | final bound | plan | final gap | solve |\n"
    "|---|---|---|---|---|---|---|---|"
)


def bounds(path: Path, time_limit: float) -> dict:
    """The bounds of one scenario (objective units: MUSD of NPV), the plan's objective, gap and time."""
    model = aiopt.build_model(aiopt.prepare(aiopt.load_scenario(path)))
    started = time.perf_counter()
    info = solve_model(model, time_limit=time_limit, threads=1, seed=0, progress=False, warm=False)
    seconds = time.perf_counter() - started
    fabrics = [model.fabric[i] for i in model.fabric]
    chosen = np.round([v.value or 0.0 for v in fabrics])

    highs = HighsModel(model, dict(threads=1, random_seed=0, mip_rel_gap=0.01, output_flag=False))
    columns = highs.columns_of(fabrics)
    at_plan = np.array([x for v, x in zip(fabrics, chosen, strict=True) if id(v) in highs.column_of])
    with highs.relaxation():
        lp = highs.run(time_limit)
        with highs.fixed(columns, at_plan):
            lp_fixed = highs.run(time_limit)
    root = highs.run(time_limit, mip_max_nodes=1)
    return dict(
        lp=lp.bound,
        lp_fixed=lp_fixed.bound,
        root=root.bound,
        final=info.bound,
        plan=info.incumbent,
        gap=info.gap,
        status=str(info.status),
        seconds=seconds,
    )


def row(name: str, b: dict) -> str:
    """A markdown row: each bound with its distance below the plan."""

    def below(bound):
        return "n/a" if bound is None else f"{bound:.3f} ({1 - bound / b['plan']:.1%} below)"

    return (
        f"| {name} | {below(b['lp'])} | {below(b['lp_fixed'])} | {below(b['root'])} | {below(b['final'])} "
        f"| {b['plan']:.3f} | {b['gap']:.2%} ({b['status']}) | {b['seconds']:.1f} s |"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=SCENARIOS)
    parser.add_argument("--time-limit", type=float, default=60.0, help="per solve stage, seconds")
    parser.add_argument("--large", action="store_true", help="add the 5-site, 8-year large instance")
    args = parser.parse_args(argv)
    paths = {name: ROOT / "data" / "scenarios" / f"{name}.yaml" for name in SCENARIOS}
    if args.only:
        paths = {args.only: paths[args.only]}
    with tempfile.TemporaryDirectory() as tmp:
        if args.large:
            sys.path.insert(0, str(Path(__file__).resolve().parent))
            from make_large import write

            paths["large"] = write(Path(tmp) / "large.yaml")
        print("(objective: NPV in MUSD; % below the plan found)")
        print(HEADER, flush=True)
        for name, path in paths.items():
            print(row(name, bounds(path, args.time_limit)), flush=True)


if __name__ == "__main__":
    main()
