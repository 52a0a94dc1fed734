"""Sweep runs: the same table on every backend; resume after Ctrl-C or a killed driver or
worker solves exactly what is missing; failing variants are rows; a changed spec is refused."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest
import yaml
from conftest import CATALOG_DIR, TINY

import aiopt
from aiopt.sweep import load_spec
from aiopt.sweep.analysis import compare_plans

POWER, CHAT, RATE = "sites.lab.power_mw", "workloads.chat.tokens_per_s", "policy.discount_rate"
SPEC = {
    "base": str(TINY),
    "catalog_dir": str(CATALOG_DIR),
    "solve": {"time_limit": 30},
    "grid": {POWER: [1.5, 3], CHAT: [10000, 20000, 30000]},
    "zip": [{RATE: [0.05, 0.1], "catalog.gpu_tiers.h100-sxm.price_usd": [250000, 300000]}],
    "cases": {
        "base": {},
        "dark": {POWER: 0.01},  # infeasible: no node fits in 10 kW
        "negative": {POWER: -1},  # invalid
        "smaller": {"workloads.pretrain-8b.params_b": 7},  # a structural change: its own model
    },
    "random": {"seed": 5, "count": 4, "ranges": {"sites.lab.electricity_usd_per_kwh": [0.05, 0.2]}},
}
N = 20
VARYING = ("worker", "rebuilt", "check_failures", "started_from")  # with seconds_*: how and where, not what


def write_spec(directory: Path, **changes) -> Path:
    path = directory / "spec.yaml"
    path.write_text(yaml.safe_dump({**SPEC, **changes}))
    return path


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    """The 20-variant sweep run serially and cold (each solve from nothing, so the same on every
    backend), every plan checked: (spec file, out folder, table)."""
    directory = tmp_path_factory.mktemp("serial")
    spec = write_spec(directory, solve={"time_limit": 30, "check": True, "warm": False})
    table = aiopt.sweep(spec, directory / "out", backend="serial", progress=False)
    return spec, directory / "out", table


def comparable(table: pd.DataFrame) -> pd.DataFrame:
    kept = [c for c in table.columns if c not in VARYING and not c.startswith("seconds_")]
    return table[kept].sort_values("id", ignore_index=True)


def test_serial_sweep_records_every_variant_and_its_plans_pass_the_checker(serial):
    _, _, table = serial
    assert len(table) == N and table.id.is_unique
    by_case = table.set_index("case")
    assert by_case.at["dark", "status"] == "infeasible" and "infeasible" in by_case.at["dark", "error"]
    assert by_case.at["negative", "status"] == "invalid" and "power_mw" in by_case.at["negative", "error"]
    solved = table[table.status == "optimal"]
    assert len(solved) == N - 2 and (solved.check_failures == 0).all()
    assert by_case.at["smaller", "rebuilt"]
    assert (solved.npv_usd > 0).all() and solved.gap.le(0.01).all()


@pytest.mark.parametrize("backend", ["processes", "dask"])
def test_every_backend_gives_the_serial_table(serial, backend, tmp_path):
    spec, _, expected = serial
    cold = write_spec(tmp_path, solve={"time_limit": 30, "check": True, "warm": False})
    table = aiopt.sweep(cold, tmp_path / "out", backend=backend, workers=2, progress=False)
    pd.testing.assert_frame_equal(comparable(table), comparable(expected))
    assert table.worker.nunique() == 2


def test_warm_solves_start_from_earlier_plans_and_agree_with_cold_ones_within_the_gap(serial, tmp_path):
    # warm (the default): a worker's kept model is updated in HiGHS and starts from the nearest
    # plan it solved; which plan within the gap is found may then depend on the order
    _, _, cold = serial
    out = tmp_path / "out"
    table = aiopt.sweep(write_spec(tmp_path), out, backend="processes", workers=2, progress=False)
    warm, cold = table.set_index("id").loc[cold.id], cold.set_index("id")
    assert list(warm.status) == list(cold.status)
    # about half start warm: not a worker's first variant, not a rebuilt model, and the nearest
    # earlier plan still feasible (a plan for 3 MW may not fit 1.5 MW)
    assert (warm.started_from == "an earlier plan").sum() >= 4
    solved = cold.status == "optimal"
    ratio = warm.objective[solved] / cold.objective[solved]
    assert ((ratio > 1 - 0.0101) & (ratio < 1 + 0.0101)).all()


def test_dask_runs_on_a_cluster_given_by_its_scheduler_address(serial, tmp_path):
    from distributed import LocalCluster

    _, _, expected = serial
    cases = {name: SPEC["cases"][name] for name in ("base", "dark", "smaller")}
    spec = write_spec(tmp_path, grid={}, zip=[], random={}, cases=cases)
    spec.write_text(spec.read_text().replace("grid: {}\n", ""))
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        table = aiopt.sweep(spec, tmp_path / "out", backend="dask", scheduler=cluster.scheduler_address)
    # the serial sweep's models were built for its highest chat demand: the same plans to within the gap
    serial_rows = expected.set_index("case").loc[list(cases)]
    assert list(table.status) == list(serial_rows.status)
    assert table.npv_usd.to_numpy() == pytest.approx(serial_rows.npv_usd.to_numpy(), rel=0.01, nan_ok=True)


def test_a_rerun_solves_nothing_and_a_changed_spec_is_refused_unless_forced(serial, tmp_path):
    spec, out, expected = serial
    solved = []
    again = aiopt.sweep(spec, out, backend="serial", progress=False, on_row=solved.append)
    assert solved == [] and again.equals(expected)
    two = write_spec(tmp_path, grid={POWER: [1.5, 3]}, zip=[], cases={}, random={})
    with pytest.raises(aiopt.InputError, match="different sweep spec.*--force"):
        aiopt.sweep(two, out, backend="serial", progress=False)
    table = aiopt.sweep(two, out, backend="serial", progress=False, force=True, keep_plans=True)
    assert len(table) == 2 and len(list((out / "results").glob("*.parquet"))) == 2
    low, high = (out / "plans" / i for i in table.id)
    differences = compare_plans(low, high)
    assert "sites" in set(differences.table)  # the facility power differs
    assert compare_plans(low, low).empty


def driver(spec: Path, out: Path) -> subprocess.Popen:
    """`aiopt sweep` in a session of its own (so the test can stop all it started)."""
    command = [
        sys.executable,
        "-m",
        "aiopt",
        "sweep",
        str(spec),
        "--out",
        str(out),
        "--workers",
        "2",
        "--quiet",
    ]
    return subprocess.Popen(command, stderr=subprocess.PIPE, text=True, start_new_session=True)


def results(out: Path) -> list[Path]:
    return sorted((out / "results").glob("*.parquet")) if (out / "results").exists() else []


def wait_for(condition, what: str, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def workers_of(process: subprocess.Popen) -> list[psutil.Process]:
    children = psutil.Process(process.pid).children(recursive=True)
    return [c for c in children if "spawn_main" in " ".join(c.cmdline())]


def assert_resumed_to_exactly_n(spec: Path, out: Path) -> pd.DataFrame:
    table = aiopt.sweep(spec, out, backend="serial", progress=False)
    files = list((out / "results").iterdir())
    assert sorted(f.stem for f in files) == sorted(v.id for v in load_spec(spec).variants)
    assert all(len(pd.read_parquet(f)) == 1 for f in files)  # whole files only, no leftovers
    assert len(table) == N and table.id.is_unique
    return table


def test_a_sigkilled_driver_resumes_to_exactly_n_results(tmp_path):
    spec, out = write_spec(tmp_path), tmp_path / "out"
    process = driver(spec, out)
    try:
        wait_for(lambda: len(results(out)) >= 3, "the first results")
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # its workers, as a reboot would
    assert len(results(out)) < N
    assert_resumed_to_exactly_n(spec, out)


def test_a_killed_worker_is_replaced_and_its_variant_solved(tmp_path):
    spec, out = write_spec(tmp_path), tmp_path / "out"
    process = driver(spec, out)
    try:
        wait_for(lambda: len(results(out)) >= 2, "the first results")
        workers_of(process)[0].kill()
        _, stderr = process.communicate(timeout=300)
    finally:
        os.killpg(process.pid, signal.SIGKILL) if process.poll() is None else None
    assert process.returncode == 0, stderr
    table = pd.concat([pd.read_parquet(f) for f in results(out)])
    assert len(table) == N and table.id.is_unique and "error" not in set(table.status)


def test_ctrl_c_stops_the_workers_and_a_rerun_finishes(tmp_path):
    spec, out = write_spec(tmp_path), tmp_path / "out"
    process = driver(spec, out)
    try:
        wait_for(lambda: len(results(out)) >= 2, "the first results")
        workers = workers_of(process)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=120)
    finally:
        os.killpg(process.pid, signal.SIGKILL) if process.poll() is None else None
    assert process.returncode == 130
    assert "interrupted" in stderr.strip().splitlines()[-1] and "rerun" in stderr
    assert not any(w.is_running() and w.status() != psutil.STATUS_ZOMBIE for w in workers)
    assert len(results(out)) < N
    assert_resumed_to_exactly_n(spec, out)
