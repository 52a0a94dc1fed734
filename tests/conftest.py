"""Fixtures shared by the test suite: the test catalog, the tiny scenario, temporary inputs.

The test catalog (`tests/data/catalog`) and `tests/data/tiny.yaml` are small and stable, so
tests do not depend on the shipped `data/` files.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from tiny_plans import solve_tiny

import aiopt
from aiopt import Scenario, load_scenario

TESTS = Path(__file__).resolve().parent
DATA = TESTS / "data"
CATALOG_DIR = DATA / "catalog"
TINY = DATA / "tiny.yaml"
BAD_INPUTS = TESTS / "bad_inputs"
REPO = TESTS.parent


@pytest.fixture
def catalog_dir() -> Path:
    """The test catalog directory (a handful of rows per table)."""
    return CATALOG_DIR


@pytest.fixture
def tiny_path() -> Path:
    """Path of the tiny scenario: 1 site, 1 training and 1 inference workload."""
    return TINY


@pytest.fixture
def tiny_doc() -> dict:
    """The tiny scenario as a fresh mapping, to change and write with `tmp_scenario`."""
    return yaml.safe_load(TINY.read_text())


@pytest.fixture
def tiny() -> Scenario:
    """The tiny scenario loaded against the test catalog."""
    return load_scenario(TINY, CATALOG_DIR)


@pytest.fixture
def tmp_scenario(tmp_path: Path) -> Callable[..., Path]:
    """`tmp_scenario(text_or_mapping, name="scenario.yaml") -> Path`: write a scenario YAML."""

    def write(content: str | dict, name: str = "scenario.yaml") -> Path:
        text = (
            textwrap.dedent(content) if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False)
        )
        path = tmp_path / name
        path.write_text(text)
        return path

    return write


@pytest.fixture
def tmp_catalog(tmp_path: Path) -> Callable[..., Path]:
    """`tmp_catalog({table: csv_text}, delete=(file, ...)) -> Path`: a changed copy of the test catalog."""

    def make(tables: dict[str, str] | None = None, delete: tuple[str, ...] = ()) -> Path:
        directory = tmp_path / "catalog"
        if not directory.exists():
            shutil.copytree(CATALOG_DIR, directory)
        for name, text in (tables or {}).items():
            (directory / f"{name}.csv").write_text(textwrap.dedent(text))
        for name in delete:
            (directory / name).unlink()
        return directory

    return make


@pytest.fixture
def plan_of(tmp_path: Path) -> Callable[..., aiopt.Plan]:
    """`plan_of(workloads, sites=..., policy=..., gpu_tiers=..., ...)`: `tiny_plans.solve_tiny` in a fresh
    directory (the hand-worked constraint tests of tests/model/)."""
    counter = iter(range(1000))
    return lambda *args, **kwargs: solve_tiny(tmp_path / f"case{next(counter)}", *args, **kwargs)


def every_param_field_changed(tiny):
    """The tiny scenario with every warm field changed, demand lowered (so no rebuild is needed)."""
    return (
        tiny.with_policy(
            discount_rate=0.11,
            electricity_escalation=0.05,
            capex_budget_usd=9e6,
            capex_budget_per_year_usd=8e6,
        )
        .with_values("sites", "lab", power_mw=1.7, electricity_usd_per_kwh=0.12)
        .with_values("gpu_tiers", "h100-sxm", price_usd=222_000)
        .with_values("workloads", "chat", tokens_per_s=15_000)
        .with_values("workloads", "pretrain-8b", tokens_t=0.8, deadline_days=40)
    )
