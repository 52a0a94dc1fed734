"""Properties of `prepare()`'s derived bounds, on solved plans of the shipped and tiny scenarios.

* The fabric design table (`ModelData.designs`, `design_limit`) holds the scalable units (SUs) a
  plan needs at every site and year: the model is solved with the table widened, and the SUs the
  plan's installed nodes fill, Σ_g ⌈ports_g / (nodes per SU × rails)⌉, stay within the original
  limit. (B2: a memory-bound job with spares needed a larger design than the table held.)
* Every big-M row, x ≤ M·b (b binary, x non-negative terms), bounds its variable: the model is
  solved with those rows loosened to 4·M·b and a tiny cost on x (so nothing is inflated for
  free), and x ≤ M still holds wherever b = 1.
"""

from __future__ import annotations

from pathlib import Path

import pyomo.environ as pyo
import pytest
import yaml
from pyomo.repn import generate_standard_repn
from tiny_plans import YEAR, fabric, inference, rack, site, storage, tier, training, write_catalog

import aiopt
from aiopt.fabric_sizing import size_for_units

TESTS = Path(__file__).resolve().parents[1]
TINY, CATALOG_DIR = TESTS / "data" / "tiny.yaml", TESTS / "data" / "catalog"
SHIPPED = TESTS.parent / "data" / "scenarios"
LOOSER = 4.0  # a loosened big-M row allows 4·M
# MUSD of objective per unit of a big-M row's variable: 10 USD, well above HiGHS's 1e-7 dual
# feasibility tolerance (a smaller cost leaves the variable wherever the simplex put it)
NUDGE = 1e-5
# the design table's own row (SUs within the chosen design) is the first property's, not a big-M
DESIGN_ROWS = ("design_holds_units",)


def widen_design_table(d) -> dict:
    """Double every (site, fabric) design table (to the three-tier limit); return the old limits."""
    limits = dict(d.design_limit)
    fabrics = d.scenario.fabrics
    for (s, f), k in limits.items():
        fab = fabrics.loc[f]
        for more in range(k + 1, 2 * k + 3):
            try:
                d.designs[s, f, more] = size_for_units(
                    more, int(fab.radix), int(fab.nodes_per_su), int(fab.rails)
                )
            except ValueError:
                break
            d.design_limit[s, f] = more
    return limits


def big_m_rows(m: pyo.ConcreteModel) -> list:
    """(row, binary, M, [(var, coefficient)]) of every active row Σ c·x − M·b ≤ 0 with M > 0."""
    rows = []
    for row in m.component_data_objects(pyo.Constraint, active=True):
        if row.has_lb() or not row.has_ub() or row.parent_component().name in DESIGN_ROWS:
            continue
        repn = generate_standard_repn(row.body, compute_values=True)
        if not repn.is_linear():
            continue
        terms = list(zip(repn.linear_vars, repn.linear_coefs, strict=True))
        binaries = [(v, c) for v, c in terms if v.is_binary()]
        others = [(v, c) for v, c in terms if not v.is_binary()]
        rest = pyo.value(row.upper) - repn.constant
        if len(binaries) == 1 and binaries[0][1] < 0 and others and all(c > 0 for _, c in others):
            if abs(rest) < 1e-12:
                rows.append((row, binaries[0][0], -binaries[0][1], others))
    return rows


def loosen(m: pyo.ConcreteModel, rows: list) -> None:
    """Replace each big-M row by Σ c·x ≤ LOOSER·M·b and charge NUDGE per unit of x."""
    m.loosened = pyo.ConstraintList()
    for row, binary, big_m, terms in rows:
        row.deactivate()
        m.loosened.add(sum(c * x for x, c in terms) <= LOOSER * big_m * binary)
    nudge = NUDGE * sum(x for _, _, _, terms in rows for x, _ in terms)
    m.objective.expr = m.objective.expr + (nudge if m.objective.sense == pyo.minimize else -nudge)


def solve_widened(scenario: aiopt.Scenario, loosen_big_ms: bool, **solve) -> tuple:
    d = aiopt.prepare(scenario)
    limits = widen_design_table(d)
    m = aiopt.build_model(d)
    rows = big_m_rows(m)
    if loosen_big_ms:
        loosen(m, rows)
    info = aiopt.solve_model(m, progress=False, **solve)
    return aiopt.read_plan(m, info), limits, rows


def units_needed(plan: aiopt.Plan) -> dict:
    """{(site, fabric, year): SUs the plan deploys} (the fabric covers only the nodes of jobs that
    span nodes, with their spares and beside other solo jobs: the plan's own count)."""
    return {(r.site, r.fabric, r.year): r.scalable_units for r in plan.fabric.itertuples()}


def assert_table_holds_units(plan: aiopt.Plan, limits: dict) -> None:
    for (s, f, y), units in units_needed(plan).items():
        assert units <= limits.get((s, f), 0), (
            f"{s}/{f}/{y}: {units} SUs needed, table holds {limits.get((s, f))}"
        )


def assert_big_ms_hold(rows: list) -> None:
    assert rows, "the model has big-M rows"
    for row, binary, big_m, terms in rows:
        if pyo.value(binary) > 0.5:
            x = sum(c * pyo.value(v) for v, c in terms)
            assert x <= big_m * (1 + 1e-6) + 1e-6, f"{row.name}: {x:.6g} > M = {big_m:.6g}"


@pytest.mark.parametrize("name", ["enterprise-baseline", "healthcare-hipaa", "growth-5y"])
def test_design_table_holds_the_units_of_shipped_plans(name):
    # any plan will do (the property is about every plan): a 25% gap keeps the solves short.
    # Not tight-budget: under max_capacity the table is sized by the racks, which hold any plan.
    scenario = aiopt.load_scenario(SHIPPED / f"{name}.yaml")
    plan, limits, _ = solve_widened(scenario, loosen_big_ms=False, rel_gap=0.25, time_limit=15)
    assert_table_holds_units(plan, limits)
    report = aiopt.check_plan(plan)
    assert report.ok, str(report)


# tiny scenarios whose bounds are easy to get wrong (base catalog of tiny_plans, one site, 3 years)
TINY_CASES = {
    # memory, not FLOPs, sets the nodes (model-review p1): 16 B/param x 1500e9 = 24,000 GB over
    # 800 GB nodes = 30 nodes, x 1.1 spares = 33 nodes = 264 ports > the 256 of one SU
    "memory-bound": [training(params_b=1500, tokens_t=0.001, spare_fraction=0.1)],
    # a training job that doubles every year beside an isolated service and a growing one
    "growing": [
        training(pflops=40, growth_per_year=1.0, spare_fraction=0.05),
        inference("iso", pflops=10, isolated=True),
        inference("web", pflops=6, growth_per_year=0.5),
    ],
}


def tiny_case(directory: Path, case: str) -> aiopt.Scenario:
    """The test fixture's tiny scenario, or a TINY_CASES scenario loaded (not solved)."""
    if case == "tiny":
        return aiopt.load_scenario(TINY, CATALOG_DIR)
    catalog = write_catalog(
        directory / "catalog",
        {
            "gpu_tiers": [tier()],
            "fabrics": [fabric()],
            "storage_tiers": [storage()],
            "rack_types": [rack()],
        },
    )
    doc = {
        "name": f"property-{case}",
        "policy": {"start_year": YEAR, "horizon_years": 3},
        "sites": [site(racks={"r1": 40})],
        "workloads": TINY_CASES[case],
    }
    path = directory / "scenario.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return aiopt.load_scenario(path, catalog)


@pytest.mark.parametrize("case", ["tiny", "memory-bound", "growing"])
def test_bounds_hold_in_tiny_plans(tmp_path, case):
    scenario = tiny_case(tmp_path, case)
    plan, limits, rows = solve_widened(scenario, loosen_big_ms=True, rel_gap=1e-6, time_limit=60)
    assert_table_holds_units(plan, limits)
    assert_big_ms_hold(rows)
    report = aiopt.check_plan(plan)
    assert report.ok, str(report)


def test_loosened_big_m_would_be_caught(tmp_path):
    # the property can fail: a big-M row whose M is half the original cuts off the plan's run,
    # so with the halved M as the claimed bound the solved (loosened) plan exceeds it
    m = aiopt.build_model(tiny_case(tmp_path, "growing"))
    rows = big_m_rows(m)
    loosen(m, rows)
    info = aiopt.solve_model(m, progress=False, rel_gap=1e-6)
    assert aiopt.check_plan(aiopt.read_plan(m, info)).ok
    halved = [
        (row, b, big_m / 2, terms)
        for row, b, big_m, terms in rows
        if row.parent_component().name == "run_on_pick"
    ]
    with pytest.raises(AssertionError, match="run_on_pick"):
        assert_big_ms_hold(halved)
