"""The `aiopt` command line: a thin wrapper over the notebook API.

Each subcommand is one small `_cmd_*` function taking the parsed arguments and returning an
exit code, registered in `build_parser` with `set_defaults(func=...)`. `main` handles errors
once: bad input (`InputError`) prints one line per problem on stderr and exits 2; a failed solve
(`SolveError`) exits 3; anything else is a bug and exits 1. `--debug` adds the traceback.
Warnings (e.g. a `PlausibilityWarning` for a value far outside its usual range) print as one
`warning: ...` line on stderr and do not change the exit code.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
import traceback
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from aiopt import __version__
from aiopt.errors import InputError, Problem, SolveError, Status
from aiopt.export import check_out_dir, write_atomically, write_plan
from aiopt.fabric_sizing import size_for_gpus
from aiopt.finance import price_of_policy
from aiopt.load import load_catalog, load_scenario
from aiopt.model import build_model, prepare
from aiopt.pipeline import solve
from aiopt.read import DEFAULT_CATALOG_DIR, display_path
from aiopt.results import read_plan
from aiopt.scenario import Scenario
from aiopt.schema import CATALOG_TABLES, TABLES, WORKLOAD_KINDS
from aiopt.solve import describe, solve_model
from aiopt.sweep import BACKENDS, load_spec, sweep
from aiopt.sweep.spec import DEFAULT_MAX_VARIANTS
from aiopt.validate import PlausibilityWarning, suggest

EXIT_OK, EXIT_BUG, EXIT_BAD_INPUT, EXIT_SOLVE_FAILED = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # Ctrl-C, as a shell reports it
EXPLAIN_AFTER_SOLVE = (
    20.0  # s: `aiopt solve` explains an infeasible scenario within this; `aiopt explain` longer
)


def summary(scenario: Scenario) -> str:
    """One paragraph: the scenario's sites, workloads, years and catalog sizes."""
    sites = scenario.sites
    racks = scenario.site_racks.groupby("site")["racks"].sum()
    site_text = ", ".join(
        f"{site} ({row.region}, {row.power_mw:g} MW, {int(racks.get(site, 0))} rack positions)"
        for site, row in sites.iterrows()
    )
    kinds = scenario.workloads["kind"].value_counts()
    kind_text = ", ".join(f"{kinds[kind]} {kind}" for kind in WORKLOAD_KINDS if kind in kinds)
    years = scenario.years
    catalog = ", ".join(
        f"{len(getattr(scenario, t.name))} {t.name.replace('_', ' ')}" for t in CATALOG_TABLES
    )
    text = (
        f"{scenario.name}: valid. {len(sites)} site{'s' * (len(sites) != 1)}: {site_text}. "
        f"{len(scenario.workloads)} workloads ({kind_text}): {', '.join(scenario.workloads.index)}. "
        f"Years {years[0]}-{years[-1]} ({len(years)}), objective {scenario.policy['objective']}. "
        f"Catalog: {catalog}."
    )
    return textwrap.fill(text, width=100, break_on_hyphens=False)


def _cmd_validate(args: argparse.Namespace) -> int:
    """Print the summary of a valid scenario (its warnings go to stderr as they are found)."""
    print(summary(load_scenario(args.scenario, args.catalog_dir)))
    return EXIT_OK


def _print_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """`warnings.showwarning` for the command line: one `warning: ...` line on stderr."""
    print(f"warning: {message}", file=sys.stderr)


def _cmd_catalog(args: argparse.Namespace) -> int:
    names = [t.name for t in CATALOG_TABLES]
    if args.table is not None and args.table not in names:
        fix = f"unknown catalog table; {suggest(args.table, names, 'tables')}"
        raise InputError([Problem("command line", "aiopt catalog", "table", args.table, fix)])
    frames = load_catalog(args.catalog_dir)
    directory = display_path(args.catalog_dir or DEFAULT_CATALOG_DIR)
    for name in [args.table] if args.table else names:
        print(f"{name}: {TABLES[name].description} ({directory}/{name}.csv, {len(frames[name])} rows)")
        with pd.option_context("display.width", None):
            print(frames[name].to_string(max_colwidth=60))
        print()
    return EXIT_OK


def _cmd_solve(args: argparse.Namespace) -> int:
    check_out_dir(args.out, args.force)  # refuse a folder before the solve, not after
    try:
        plan = solve(
            args.scenario if args.catalog_dir is None else load_scenario(args.scenario, args.catalog_dir),
            time_limit=args.time_limit,
            rel_gap=args.gap,
            threads=args.threads,
            seed=args.seed,
            progress="verbose" if args.verbose else (False if args.quiet else "auto"),
            reference=not args.no_reference,
        )
    except SolveError as exc:
        if exc.status is not Status.INFEASIBLE:
            raise
        print(f"aiopt: {exc}", file=sys.stderr)
        explaining = min(args.time_limit, EXPLAIN_AFTER_SOLVE)
        _print_why_infeasible(load_scenario(args.scenario, args.catalog_dir), explaining)
        return EXIT_SOLVE_FAILED
    out = write_plan(plan, args.out, args.force)
    print(plan.summary())
    if len(plan.saving):
        print(saving_line(plan.saving))
    if not plan.info.optimal:
        print(
            f"warning: NOT proven optimal, stopped at the {args.time_limit:g} s time limit; "
            f"{describe(plan.info, plan.scenario.policy['objective'])}",
            file=sys.stderr,
        )
    print(f"wrote {display_path(out)}/plan.json and {len(plan.TABLES)} CSV tables")
    return EXIT_OK


def _print_why_infeasible(scenario: Scenario, time_limit: float) -> None:
    """The infeasibility explanation (`aiopt.explain.infeasible`) as one block on stdout, or
    why there is none."""
    from aiopt.explain.infeasible import describe, infeasible

    try:
        print(describe(scenario.name, infeasible(scenario, time_limit=time_limit)))
    except SolveError as exc:
        if exc.status is not Status.NO_SOLUTION:
            raise
        print(exc)


def _cmd_explain(args: argparse.Namespace) -> int:
    """Why a scenario has no plan (exit 3), or, for one that has, what binds and the alternatives."""
    from aiopt import explain

    scenario = load_scenario(args.scenario, args.catalog_dir)
    model = build_model(prepare(scenario))
    try:
        plan = read_plan(model, solve_model(model, time_limit=args.time_limit, progress=False))
    except SolveError as exc:
        if exc.status is not Status.INFEASIBLE:
            raise
        print(f"aiopt: {exc}", file=sys.stderr)
        _print_why_infeasible(scenario, args.time_limit)
        return EXIT_SOLVE_FAILED
    print(plan.summary())
    prices = explain.shadow_prices((model, plan), time_limit=args.time_limit)
    alternatives, _ = explain.alternatives(scenario, args.alternatives, args.slack, args.time_limit)
    with pd.option_context("display.width", None):
        print(f"\nshadow prices:\n{_table(prices.drop(columns='note'))}")
        print("\n".join(f"  {note}" for note in prices.note.unique()))
        print(f"\nnear-optimal alternatives:\n{_table(alternatives)}")
    return EXIT_OK


def _table(frame: pd.DataFrame) -> str:
    return "(none)" if frame.empty else frame.to_string(index=False)


def saving_line(table: pd.DataFrame) -> str:
    """One line from `plan.saving`: the NPV saved against the reference design, and its share."""
    total = table.set_index("category").loc["total"]
    share = total.saving_usd / total.reference_npv_usd if total.reference_npv_usd else float("nan")
    return (
        f"saving against the reference design: ${total.saving_usd / 1e6:,.1f}M NPV ({share:.1%} of its "
        f"${total.reference_npv_usd / 1e6:,.1f}M)"
    )


def _cmd_policy_cost(args: argparse.Namespace) -> int:
    """Print what each policy of a scenario costs (paired solves, run as sweep cases)."""
    table = price_of_policy(
        args.scenario,
        time_limit=args.time_limit,
        rel_gap=args.gap,
        backend=args.backend,
        workers=args.workers,
        catalog_dir=args.catalog_dir,
    )
    if args.csv is not None:
        write_atomically(args.csv, lambda temporary: table.to_csv(temporary, index=False))
    shown = table.drop(columns=["relaxed_by"]).copy()
    for column in ("npv_with_usd", "npv_without_usd", "cost_npv_usd", "cost_per_year_usd"):
        shown[column] = shown[column].map(lambda usd: f"{usd:,.0f}")
    for column in ("gap_with", "gap_without"):
        shown[column] = shown[column].map(lambda gap: "n/a" if gap != gap else f"{gap:.2%}")
    with pd.option_context("display.width", None, "display.max_colwidth", 50):
        print(shown.to_string(index=False) if len(shown) else "the scenario sets no policy to price")
    return EXIT_OK


def _cmd_sweep(args: argparse.Namespace) -> int:
    """Solve every variant of a sweep spec into --out; a rerun solves only what is missing."""
    spec = load_spec(args.spec, args.max_variants, args.catalog_dir)
    try:
        table = sweep(
            spec,
            args.out,
            backend=args.backend,
            workers=args.workers,
            scheduler=args.scheduler,
            force=args.force,
            keep_plans=args.keep_plans,
            progress=not args.quiet,
        )
    except KeyboardInterrupt:
        done = len(list((args.out / "results").glob("*.parquet")))
        print(
            f"interrupted: {done} of {len(spec.variants)} variants have results in {display_path(args.out)}; "
            "rerun the same command to solve the rest",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    counts = ", ".join(f"{n} {status}" for status, n in table.status.value_counts().items())
    print(f"{len(table)} variants: {counts}; results in {display_path(args.out)}/results")
    return EXIT_OK


def _cmd_fabric(args: argparse.Namespace) -> int:
    fabrics = load_catalog(args.catalog_dir)["fabrics"]
    if args.fabric not in fabrics.index:
        fix = f"unknown fabric; {suggest(args.fabric, list(fabrics.index), 'fabrics')}"
        raise InputError([Problem("command line", "aiopt fabric", "--fabric", args.fabric, fix)])
    if args.gpus < 1 or args.gpus_per_node < 1:
        raise InputError(
            [Problem("command line", "aiopt fabric", "--gpus", args.gpus, "give a positive number of GPUs")]
        )
    fab = fabrics.loc[args.fabric]
    try:
        size = size_for_gpus(
            args.gpus, int(fab.radix), int(fab.nodes_per_su), int(fab.rails), args.gpus_per_node
        )
    except ValueError as exc:
        raise InputError([Problem("command line", "aiopt fabric", "--gpus", args.gpus, str(exc))]) from exc
    if args.json:
        print(json.dumps({"fabric": args.fabric, "gpus": args.gpus, **size.to_dict()}))
    else:
        print(
            f"{args.fabric} for {args.gpus:,} GPUs: {size.scalable_units} SU, {size.nodes} nodes, "
            f"{size.leaf} leaf + {size.spine} spine + {size.core} core = {size.switches} switches, "
            f"{size.links:,} links ({size.tiers} tiers)"
        )
    return EXIT_OK


def _cmd_report(args: argparse.Namespace) -> int:
    """Write a plan folder's report: one self-contained HTML page."""
    from aiopt.report import write_report  # Altair and the Vega bundle load only for reports

    out = write_report(args.plan_dir, args.out)
    print(f"wrote {display_path(out)}")
    return EXIT_OK


def _cmd_export(args: argparse.Namespace) -> int:
    """Write the finance workbook of a plan folder (`aiopt solve --out`)."""
    from aiopt.export import read_plan_dir
    from aiopt.workbook import write_workbook

    out = write_workbook(read_plan_dir(args.plan_dir), args.xlsx)
    print(f"wrote {display_path(out)}")
    return EXIT_OK


def _add_report_command(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = _command(
        subparsers,
        "report",
        _cmd_report,
        "write a plan folder's report as one self-contained HTML page",
        [common],
    )
    p.add_argument(
        "plan_dir", type=Path, metavar="PLAN_DIR", help="plan folder written by `aiopt solve --out`"
    )
    p.add_argument(
        "--out", type=Path, required=True, metavar="FILE", help="HTML file to write, e.g. report.html"
    )


def _add_export(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = _command(subparsers, "export", _cmd_export, "write a plan folder as an Excel workbook", [common])
    p.add_argument("plan_dir", type=Path, metavar="PLAN_DIR", help="plan folder written by aiopt solve --out")
    p.add_argument("--xlsx", type=Path, required=True, metavar="OUT.xlsx", help="workbook to write")


def _command(
    subparsers: argparse._SubParsersAction,
    name: str,
    func: Callable[[argparse.Namespace], int],
    help: str,
    parents: Sequence[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """Register subcommand `name`, run by `func(args) -> exit code`."""
    parser = subparsers.add_parser(name, help=help, description=help, parents=list(parents))
    parser.set_defaults(func=func)
    return parser


def build_parser() -> argparse.ArgumentParser:
    """The `aiopt` argument parser; each subcommand sets `func`."""
    parser = argparse.ArgumentParser(
        prog="aiopt", description="Plan enterprise AI infrastructure at least cost."
    )
    parser.add_argument("--version", action="version", version=f"aiopt {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the full traceback on errors")
    # options every subcommand accepts (--debug also after the subcommand)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show the full traceback on errors"
    )
    common.add_argument(
        "--catalog",
        dest="catalog_dir",
        type=Path,
        metavar="DIR",
        default=None,
        help="catalog directory of <table>.csv files (default: aiopt/data/catalog)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = _command(
        subparsers, "validate", _cmd_validate, "check a scenario and its catalog; print a summary", [common]
    )
    p.add_argument("scenario", type=Path, metavar="SCENARIO", help="scenario YAML file")

    p = _command(subparsers, "catalog", _cmd_catalog, "print the catalog tables", [common])
    p.add_argument(
        "table",
        nargs="?",
        metavar="TABLE",
        help=f"one of {', '.join(t.name for t in CATALOG_TABLES)} (default: all)",
    )

    p = _command(
        subparsers, "solve", _cmd_solve, "solve a scenario; write plan.json and CSV tables", [common]
    )
    p.add_argument("scenario", type=Path, metavar="SCENARIO", help="scenario YAML file")
    p.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="DIR",
        help="plan folder: new, empty or an earlier plan's (only aiopt's own files are replaced)",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="also write into a folder holding other files (replaces only plan.json, <table>.csv)",
    )
    p.add_argument(
        "--time-limit", type=float, default=60.0, metavar="S", help="solver time limit, seconds (default 60)"
    )
    p.add_argument(
        "--gap", type=float, default=0.01, metavar="G", help="relative gap to stop at (default 0.01)"
    )
    p.add_argument("--threads", type=int, default=1, metavar="N", help="solver threads (default 1)")
    p.add_argument("--seed", type=int, default=0, metavar="N", help="solver random seed (default 0)")
    p.add_argument("--quiet", action="store_true", help="no solver progress, even for long solves")
    p.add_argument("--verbose", action="store_true", help="show HiGHS's own log instead of the progress line")
    p.add_argument(
        "--no-reference",
        action="store_true",
        help="skip the reference design (one more solve) and the saving against it",
    )

    p = _command(
        subparsers,
        "explain",
        _cmd_explain,
        "why a scenario has no plan (exit 3), or what binds in its plan and near-optimal alternatives",
        [common],
    )
    p.add_argument("scenario", type=Path, metavar="SCENARIO", help="scenario YAML file")
    p.add_argument(
        "--time-limit", type=float, default=60.0, metavar="S", help="time limit of each stage, s (default 60)"
    )
    p.add_argument("--alternatives", type=int, default=3, metavar="N", help="near-optimal plans (default 3)")
    p.add_argument(
        "--slack", type=float, default=0.05, metavar="X", help="their NPV within this share (default 0.05)"
    )

    p = _command(subparsers, "sweep", _cmd_sweep, "solve every variant of a sweep spec; resumable", [common])
    p.add_argument("spec", type=Path, metavar="SPEC", help="sweep spec YAML (base, grid, zip, cases, random)")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="results folder (rerun to resume)")
    p.add_argument(
        "--backend",
        choices=tuple(BACKENDS),
        default="processes",
        help="where variants run (default processes)",
    )
    p.add_argument("--workers", type=int, default=None, metavar="N", help="worker processes (default: cores)")
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="dask scheduler of a running cluster (--backend dask)",
    )
    p.add_argument(
        "--max-variants",
        type=int,
        default=DEFAULT_MAX_VARIANTS,
        metavar="N",
        help=f"refuse specs with more variants (default {DEFAULT_MAX_VARIANTS})",
    )
    p.add_argument("--force", action="store_true", help="discard the results of a different spec in --out")
    p.add_argument("--keep-plans", action="store_true", help="also write each plan under DIR/plans/<id>/")
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    p = _command(
        subparsers,
        "policy-cost",
        _cmd_policy_cost,
        "price each policy of a scenario by paired solves",
        [common],
    )
    p.add_argument("scenario", type=Path, metavar="SCENARIO", help="scenario YAML file (objective min_npv)")
    p.add_argument(
        "--time-limit",
        type=float,
        default=60.0,
        metavar="S",
        help="time limit per solve, seconds (default 60)",
    )
    p.add_argument(
        "--gap", type=float, default=0.01, metavar="G", help="relative gap per solve (default 0.01)"
    )
    p.add_argument(
        "--backend", choices=tuple(BACKENDS), default="processes", help="where solves run (default processes)"
    )
    p.add_argument("--workers", type=int, default=None, metavar="N", help="worker processes (default: cores)")
    p.add_argument("--csv", type=Path, default=None, metavar="FILE", help="also write the table as CSV")

    p = _command(subparsers, "fabric", _cmd_fabric, "size a compute fabric the way the model does", [common])
    p.add_argument(
        "--gpus", type=int, required=True, metavar="N", help="GPUs to connect (one fabric port each)"
    )
    p.add_argument("--fabric", required=True, metavar="ID", help="fabric id from the catalog, e.g. ib-ndr")
    p.add_argument("--gpus-per-node", type=int, default=8, metavar="N", help="GPUs per node (default 8)")
    p.add_argument(
        "--json", action="store_true", help="print JSON (keys leaf, spine, core, switches, links, ...)"
    )
    _add_report_command(subparsers, common)
    _add_export(subparsers, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run `aiopt` with `argv` (default: the process arguments); return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error (argparse prints it)
        return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", PlausibilityWarning)
            warnings.showwarning = _print_warning
            return args.func(args)
    except InputError as exc:
        if args.debug:
            traceback.print_exc()
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_BAD_INPUT
    except SolveError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"aiopt: {exc}", file=sys.stderr)
        return EXIT_SOLVE_FAILED
    except BrokenPipeError:  # output piped into e.g. `head`, which stopped reading
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:
        if args.debug:
            raise
        print(
            f"aiopt: internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)",
            file=sys.stderr,
        )
        return EXIT_BUG
