"""The registry rules: every constraint family has a test module, every named constraint a test.

Calliope's rule: a constraint that no test names is a constraint nobody has checked by hand.
A test names a constraint by writing its component name (e.g. `pool_cover`) in its code or
comments, next to the arithmetic that shows the constraint acting.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyomo.environ as pyo

import aiopt
from aiopt.model import build_model

MODEL_TESTS = Path(__file__).resolve().parent
REPO = MODEL_TESTS.parents[1]


def test_every_family_has_a_test_module():
    for family in aiopt.FAMILIES:
        module = MODEL_TESTS / f"test_{family}.py"
        assert module.exists(), f"family {family} has no {module.name}"
        assert re.search(r"^def test_", module.read_text(), re.M), f"{module.name} has no test"
    strays = {p.stem.removeprefix("test_") for p in MODEL_TESTS.glob("test_*.py")} - set(aiopt.FAMILIES)
    assert strays <= {"registry", "prepare_properties", "params", "copies"}, (
        f"test modules for families that are not registered: {strays}"
    )


def constraint_names() -> set[str]:
    """Names of the constraint components of the models of every shipped scenario."""
    names = set()
    for path in sorted((REPO / "data" / "scenarios").glob("*.yaml")):
        model = build_model(aiopt.load_scenario(path))
        names |= {c.local_name for c in model.component_objects(pyo.Constraint, descend_into=False)}
    return names


def test_every_named_constraint_is_mentioned_in_a_test():
    text = "\n".join(p.read_text() for p in (REPO / "tests").rglob("test_*.py") if p != Path(__file__))
    missing = sorted(constraint_names() - set(re.findall(r"\w+", text)))
    assert not missing, f"constraints no test mentions: {missing}"
