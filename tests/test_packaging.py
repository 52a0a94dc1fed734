"""A wheel installed into a fresh venv, with the oldest Pyomo pyproject.toml allows, plans from anywhere.

Slow (about a minute and a half: build, install from pip's cache, one solve), so marked `slow`;
it runs in `make test` and CI. `pytest -m "not slow"` leaves it out.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCENARIO = REPO / "data" / "scenarios" / "tight-budget.yaml"  # the smallest shipped scenario


def pyomo_floor() -> str:
    """The version in pyproject.toml's `pyomo>=X` requirement."""
    dependencies = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    floors = [m.group(1) for d in dependencies if (m := re.fullmatch(r"pyomo\s*>=\s*([\w.]+)", d, re.I))]
    assert len(floors) == 1, f"expected one `pyomo>=X` requirement, found {dependencies}"
    return floors[0]


def run(command: list, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    command = [str(c) for c in command]
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    output = done.stdout[-2000:] + done.stderr[-3000:]
    assert done.returncode == 0, f"{' '.join(command)} exited {done.returncode}:\n{output}"
    return done.stdout


@pytest.mark.slow
def test_wheel_with_the_pyomo_floor_solves_a_shipped_scenario_outside_the_repo(tmp_path):
    floor = pyomo_floor()
    source = tmp_path / "source"  # a copy: setuptools builds in place and would leave build/ in the repo
    shutil.copytree(REPO / "aiopt", source / "aiopt", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source)
    pip = [sys.executable, "-m", "pip", "--quiet"]
    run([*pip, "wheel", "--no-deps", "--wheel-dir", tmp_path / "dist", source], tmp_path)
    (wheel,) = (tmp_path / "dist").glob("aiopt-*.whl")
    venv.create(tmp_path / "venv", with_pip=False)  # pip of this interpreter installs into it
    python = tmp_path / "venv" / "bin" / "python"
    run([*pip, "--python", python, "install", wheel, f"pyomo=={floor}"], tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    aiopt = tmp_path / "venv" / "bin" / "aiopt"

    imported = run([python, "-c", "import aiopt, pyomo; print(aiopt.__file__, pyomo.__version__)"], elsewhere)
    where, version = imported.split()
    assert Path(where).is_relative_to(tmp_path / "venv") and version == floor, "the wheel's, not the repo's"
    catalog = run([aiopt, "catalog", "gpu_tiers"], elsewhere)
    assert "site-packages/aiopt/data/catalog/gpu_tiers.csv" in catalog and "h100" in catalog
    solved = run([aiopt, "solve", SCENARIO, "--out", "plan", "--gap", "0.05", "--quiet"], elsewhere)
    assert "wrote plan/plan.json" in solved
    assert (elsewhere / "plan" / "nodes.csv").stat().st_size > 0
