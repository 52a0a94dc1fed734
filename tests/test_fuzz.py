"""Fuzz: random but valid scenarios derived from the shipped ones never end in an internal error.

Each case (tests/fuzz_scenarios.py) is written as YAML and solved through `aiopt solve` in
process with a 1 s time limit. Acceptable: a plan that passes `aiopt.check_plan` (exit 0),
bad input (exit 2) or no plan (exit 3). A failure names the scenario file to reproduce it with
`aiopt --debug solve <file> --out x`. The 2,000-scenario run is benchmarks/fuzz.py.
"""

from __future__ import annotations

import pytest
from fuzz_scenarios import run_case, write_case

SEED = 2026
CASES = 24


@pytest.mark.parametrize("number", range(CASES))
def test_fuzz_scenario_ends_in_a_checked_plan_bad_input_or_no_plan(tmp_path, number):
    path = write_case(SEED, number, tmp_path)
    outcome = run_case(path, tmp_path / "plan", time_limit=1.0)
    assert outcome.acceptable, f"{outcome}\n--- {path}:\n{path.read_text()}"
