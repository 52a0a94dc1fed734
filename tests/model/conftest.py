"""The `plan_of` fixture of the constraint tests: solve a tiny scenario in a fresh directory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from tiny_plans import solve_tiny

import aiopt


@pytest.fixture
def plan_of(tmp_path: Path) -> Callable[..., aiopt.Plan]:
    """`plan_of(workloads, sites=..., policy=..., gpu_tiers=..., ...)`: `solve_tiny` in a fresh directory."""
    counter = iter(range(1000))
    return lambda *args, **kwargs: solve_tiny(tmp_path / f"case{next(counter)}", *args, **kwargs)
