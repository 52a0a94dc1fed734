"""The registry rules: every constraint family has a test module, every named constraint a test.

Calliope's rule: a constraint that no test names is a constraint nobody has checked by hand.
A test names a constraint by writing its component name (e.g. `pool_cover`) in its code or
comments, next to the arithmetic that shows the constraint acting.
"""

from __future__ import annotations

import re
from pathlib import Path

import aiopt

MODEL_TESTS = Path(__file__).resolve().parent


def test_every_family_has_a_test_module():
    for family in aiopt.FAMILIES:
        module = MODEL_TESTS / f"test_{family}.py"
        assert module.exists(), f"family {family} has no {module.name}"
        assert re.search(r"^def test_", module.read_text(), re.M), f"{module.name} has no test"
    strays = {p.stem.removeprefix("test_") for p in MODEL_TESTS.glob("test_*.py")} - set(aiopt.FAMILIES)
    assert strays <= {"registry", "prepare_properties"}, (
        f"test modules for families that are not registered: {strays}"
    )
