"""Run a sweep's variants on a backend and record each row as it finishes.

Backends yield `(row, plan)` as variants finish: `serial` (this process), `processes` (a pool
of `workers` spawned processes, one HiGHS thread each; a pool broken by a killed worker is
restarted and its unfinished variants run again, at most `MAX_ATTEMPTS` times) and `dask`
(dask.distributed: a `LocalCluster` of `workers` one-thread processes, or the cluster at
`scheduler`). Variants are handed out sorted by reference model, so a worker's next variant
can usually reuse its model (`aiopt.sweep.warm`).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import tempfile
from collections import Counter
from collections.abc import Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pandas as pd

from aiopt.errors import InputError, Problem
from aiopt.sweep.spec import DEFAULT_MAX_VARIANTS, SweepSpec, Variant, load_spec, target, variant_id
from aiopt.sweep.store import ResultStore
from aiopt.sweep.warm import extremes, reference_overrides
from aiopt.sweep.worker import Context, crashed_row, forget, run_variant
from aiopt.validate import suggest

MAX_ATTEMPTS = 3  # runs of a variant cut short by a dead worker before it is recorded as an error
Results = Iterator[tuple[dict, object]]


def default_workers() -> int:
    """The cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _serial(context: Context, variants: list[Variant], workers: int, scheduler: str | None) -> Results:
    try:
        for variant in variants:
            yield run_variant(context, variant)
    finally:
        forget()  # the driver keeps no model after the sweep


def _ignore_interrupts() -> None:
    """Workers leave Ctrl-C to the driver, which stops them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _processes(context: Context, variants: list[Variant], workers: int, scheduler: str | None) -> Results:
    attempts: Counter = Counter()
    pending = list(variants)
    while pending:
        pool = ProcessPoolExecutor(
            min(workers, len(pending)),
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_ignore_interrupts,
        )
        try:
            futures = {pool.submit(run_variant, context, variant): variant for variant in pending}
            pending = []
            for future in as_completed(futures):
                variant = futures[future]
                try:
                    yield future.result()
                except BrokenProcessPool:  # a worker died: every unfinished variant runs again
                    attempts[variant.id] += 1
                    if attempts[variant.id] < MAX_ATTEMPTS:
                        pending.append(variant)
                    else:
                        yield crashed_row(variant, f"its worker process died {MAX_ATTEMPTS} times"), None
        except BaseException:  # interrupted: stop the running solves too (shutdown would wait for them)
            _kill_pool_workers()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def _dask(context: Context, variants: list[Variant], workers: int, scheduler: str | None) -> Results:
    import logging

    from distributed import Client, KilledWorker, LocalCluster
    from distributed import as_completed as finished

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
    client = Client(scheduler or cluster)
    try:
        futures = {client.submit(run_variant, context, v, key=f"aiopt-sweep-{v.id}"): v for v in variants}
        for future in finished(futures):
            try:
                yield future.result()
            except KilledWorker:
                yield crashed_row(futures[future], "its dask worker died every time it ran"), None
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _kill_pool_workers() -> None:
    """Kill this process's spawned pool workers (psutil: the executor has no public call for it)."""
    import psutil

    for child in psutil.Process().children():
        try:
            if "spawn_main" in " ".join(child.cmdline()):
                child.kill()
        except psutil.NoSuchProcess:
            pass


BACKENDS = {"serial": _serial, "processes": _processes, "dask": _dask}


def sweep(
    spec: str | Path | Mapping | SweepSpec,
    out: str | Path | None = None,
    backend: str = "processes",
    workers: int | None = None,
    scheduler: str | None = None,
    max_variants: int = DEFAULT_MAX_VARIANTS,
    force: bool = False,
    keep_plans: bool = False,
    progress: bool = True,
    on_row=None,
) -> pd.DataFrame:
    """Solve every variant of a sweep spec; the results table, one row per variant, in spec order.

    Columns: `id`, `case`, one per override path, `status` (an `aiopt.Status`, `invalid` or
    `error`), `gap`, `objective`, `started_from` (an earlier plan of the worker's, with
    `solve: {warm: true}`), the plan's KPIs, `seconds_*`, `worker`, `rebuilt` (a model was
    built for it rather than reused), `error`, `warnings` (and `check_failures` with
    `solve: {check: true}`). Rows are written under `out` as they finish; a rerun with the same
    spec solves only the variants without a row. `out` of another spec is refused unless
    `force`. `backend`: serial, processes or dask (`scheduler`: the address of a running
    cluster, else a LocalCluster); `workers` defaults to the cores. `keep_plans` also writes
    each plan under `out/plans/<id>/`. `on_row(row)` is called as each row is recorded.
    Raises `InputError` for a bad spec.
    """
    checked = spec if isinstance(spec, SweepSpec) else load_spec(spec, max_variants)
    if backend not in BACKENDS:
        fix = f"unknown backend; {suggest(backend, BACKENDS, 'backends')}"
        raise InputError([Problem("sweep", "arguments", "backend", backend, fix)])
    with contextlib.ExitStack() as stack:
        if out is None:
            out = stack.enter_context(tempfile.TemporaryDirectory(prefix="aiopt-sweep-"))
        store = ResultStore(out)
        store.claim(checked.fingerprint, checked.file, force)
        context, order = _plan_work(checked, keep_plans)
        done = store.done()
        todo = sorted((v for v in checked.variants if v.id not in done), key=order)
        bar = stack.enter_context(
            _progress_bar(len(checked.variants), len(checked.variants) - len(todo), progress)
        )
        results = stack.enter_context(
            contextlib.closing(BACKENDS[backend](context, todo, workers or default_workers(), scheduler))
        )
        for row, plan in results:
            store.write(row, plan)
            bar.update()
            if on_row is not None:
                on_row(row)
        return _ordered(store.table([v.id for v in checked.variants]), checked.paths)


LEADING, TRAILING = ("id", "case"), ("worker", "rebuilt", "error", "warnings")
RESULT = ("status", "gap", "objective")


def _ordered(table: pd.DataFrame, paths: list[str]) -> pd.DataFrame:
    """Columns in reading order: id, case, overrides, status, gap, objective, KPIs, timings, the rest."""
    first = [*LEADING, *paths, *RESULT]
    timings = [c for c in table.columns if c.startswith("seconds_")]
    middle = [c for c in table.columns if c not in (*first, *timings, *TRAILING)]
    return table.reindex(columns=[*first, *middle, *timings, *TRAILING])


def _plan_work(spec: SweepSpec, keep_plans: bool):
    """The workers' context and the sort key that puts variants of one reference model together."""

    def field_of(path: str) -> tuple[str, str]:
        t = target(path, spec.scenario)
        return t.table, t.field.name

    values = {p: [v.overrides[p] for v in spec.variants if p in v.overrides] for p in spec.paths}
    most = extremes(values, field_of)
    context = Context(
        str(spec.base.resolve()),
        None if spec.catalog_dir is None else str(spec.catalog_dir.resolve()),
        spec.solve,
        most,
        keep_plans,
    )
    return context, lambda v: (variant_id(reference_overrides(v.overrides, most, field_of)), v.id)


def _progress_bar(total: int, initial: int, shown: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, unit="variant", desc="sweep", disable=not shown, smoothing=0.1)
