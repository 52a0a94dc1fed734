"""The house style is enforced: ruff's lint rules (line length 110 included) and its format."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO

PATHS = ["aiopt", "tests", "benchmarks"]


def ruff(*args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "ruff", *args, *PATHS]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True)


def test_ruff_lint_passes_with_the_declared_line_length():
    result = ruff("check", "--output-format", "concise")
    assert result.returncode == 0, f"ruff check found problems (run `make lint`):\n{result.stdout}"


def test_code_is_ruff_formatted():
    result = ruff("format", "--check")
    assert result.returncode == 0, f"not formatted; run `ruff format {' '.join(PATHS)}`:\n{result.stdout}"
