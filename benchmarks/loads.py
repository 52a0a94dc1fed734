"""Time the model loads of a solve: today's adapter (one load) against the path before it.

Today `aiopt/solve/highs.py` loads the built model into HiGHS once (`HighsModel`: Pyomo's LP
writer, `readModel`, the column and row maps) and drives every stage on it. Before it (commit
992b45c) a staged solve cloned the model and relaxed the clone's integers, then loaded three
times through Pyomo's contrib HiGHS interface (`set_instance`): the LP relaxation of the clone,
the restricted MIP, and the full MIP again to hand it the start. Only those parts are timed here,
on the same built model, in a fresh process per scenario; medians of `--runs` (default 3).
`--old-tree DIR` also times the old loads on the model that tree builds (a checkout of 992b45c,
e.g. `git worktree add --detach /work/wt/old992 992b45c`; run with this tree's Python).

    .venv/bin/python benchmarks/loads.py                       # baseline and large
    .venv/bin/python benchmarks/loads.py --old-tree /work/wt/old992
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "data" / "scenarios" / "enterprise-baseline.yaml"


def median_seconds(action, runs: int) -> float:
    """Median wall time of `action()` over `runs` calls."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(path: str, runs: int) -> dict:
    """Build the scenario's model with the importable aiopt and time its loads (seconds)."""
    import pyomo.environ as pyo
    from pyomo.contrib.solver.solvers.highs import Highs

    import aiopt

    model = aiopt.build_model(aiopt.prepare(aiopt.load_scenario(path)))
    variables = list(model.component_data_objects(pyo.Var, active=True))

    def relaxed_clone():
        clone = model.clone()
        pyo.TransformationFactory("core.relax_integer_vars").apply_to(clone)
        return clone

    clone = relaxed_clone()
    figures = dict(
        variables=len(variables),
        integers=sum(v.is_integer() for v in variables),
        clone=median_seconds(relaxed_clone, runs),
        lp_load=median_seconds(lambda: Highs().set_instance(clone), runs),
        mip_load=median_seconds(lambda: Highs().set_instance(model), runs),
    )
    figures["before"] = figures["clone"] + figures["lp_load"] + 2 * figures["mip_load"]
    try:
        from aiopt.solve.highs import HighsModel
    except ImportError:  # the old tree has no adapter
        return figures
    figures["adapter"] = median_seconds(lambda: HighsModel(model, {}), runs)
    return figures


def fresh_measure(path: Path, runs: int, tree: Path | None = None) -> dict:
    """`measure` in a new process, importing aiopt from `tree` (default: this checkout)."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    if tree:
        env["PYTHONPATH"] = str(tree)
    cmd = [sys.executable, __file__, "--child", str(path), "--runs", str(runs)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=tree or ROOT, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def row(name: str, code: str, f: dict) -> str:
    size = f"{f['variables']:,} vars ({f['integers']:,} int)"
    before = f"{f['clone']:.2f} + {f['lp_load']:.2f} + 2 x {f['mip_load']:.2f} = {f['before']:.2f}"
    adapter, saving = "-", "-"
    if "adapter" in f:
        adapter = f"{f['adapter']:.2f}"
        saving = f"{f['before'] - f['adapter']:.2f} ({f['before'] / f['adapter']:.1f}x)"
    return f"{name:9s} {code:9s} {size:26s} {adapter:>8s}  {before:32s} {saving}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--old-tree", type=Path, help="a checkout of commit 992b45c")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.child, args.runs)))
        return

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from make_large import write

    lines = [
        f"median seconds of {args.runs} runs; before = clone and relax + LP load + 2 MIP loads",
        f"{'scenario':9s} {'model of':9s} {'size':26s} {'adapter':>8s}  {'before':32s} saving",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for name, path in (("baseline", BASELINE), ("large", write(Path(tmp) / "large.yaml"))):
            lines.append(row(name, "this tree", fresh_measure(path, args.runs)))
            if args.old_tree:
                lines.append(row(name, "992b45c", fresh_measure(path, args.runs, args.old_tree)))
            print(lines[-1], file=sys.stderr, flush=True)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
