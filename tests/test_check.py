"""The plan checker (aiopt/check/): each check can fail, names the row, and shares no sizing code.

Mutation tests: the tiny scenario is solved once; each test corrupts one cell of a plan table
(or of the scenario the plan is checked against) and asserts that this check reports a new
failure naming the corrupted row. New failures are compared with the unmutated plan's, so a
check that already fails on the solved plan (a model bug the checker sees) cannot pass a test
by accident.
"""

from __future__ import annotations

import ast
import dataclasses
import math
from pathlib import Path

import pytest
import yaml
from tiny_plans import YEAR, fabric, inference, rack, site, storage, tier, training, write_catalog

import aiopt
from aiopt.check import CHECKS, check_plan, physics
from aiopt.demand import goodput as model_goodput

DATA = Path(__file__).resolve().parent / "data"
TINY, CATALOG_DIR = DATA / "tiny.yaml", DATA / "catalog"


@pytest.fixture(scope="module")
def tiny_plan() -> aiopt.Plan:
    # training pinned to b200-hgx, which the mutations name (h100-sxm costs about the same)
    tiny = aiopt.load_scenario(TINY, CATALOG_DIR).with_values("workloads", TRAIN, tiers=["b200-hgx"])
    return aiopt.solve(tiny, progress=False)


def changed(plan: aiopt.Plan, table: str, where: dict, column: str, change) -> aiopt.Plan:
    """A copy of `plan` with `column` of the one row of `table` matching `where` set to
    `change(old value)`."""
    frame = getattr(plan, table).copy()
    match = (frame[list(where)] == list(where.values())).all(axis=1)
    assert match.sum() == 1, f"{table} rows matching {where}: {match.sum()}"
    frame.loc[match, column] = change(frame.loc[match, column].iloc[0])
    return dataclasses.replace(plan, **{table: frame})


def with_scenario_value(plan: aiopt.Plan, table: str, row: str, **values) -> aiopt.Plan:
    """A copy of `plan` checked against its scenario with cells of one input row changed."""
    frame = getattr(plan.scenario, table).copy()
    for column, value in values.items():
        frame.at[row, column] = value
    return dataclasses.replace(plan, scenario=dataclasses.replace(plan.scenario, **{table: frame}))


def new_failures(plan: aiopt.Plan, corrupted: aiopt.Plan, check: str) -> list[str]:
    before = set(check_plan(plan).failed(check))
    return [f for f in check_plan(corrupted).failed(check) if f not in before]


TRAIN, SERVE, LAB = "pretrain-8b", "chat", "lab"
CELL_MUTATIONS = [
    # check, table, row, column, change, text the failure names the row by
    ("demand_met", "nodes", dict(workload=TRAIN, year=2026), "nodes", lambda n: 0.9 * n, f"{TRAIN}/2026"),
    # serving capacity comes from the checker's own roofline (output tokens/s per GPU)
    ("demand_met", "nodes", dict(workload=SERVE, year=2026), "nodes", lambda n: 0.5 * n, f"{SERVE}/2026"),
    ("runs_fit", "nodes", dict(workload=TRAIN, year=2027), "tier", lambda t: "l40s-pcie", f"{TRAIN}/2027"),
    # half a node more: a run past one node that does not take whole nodes (NVLink domains)
    ("runs_fit", "nodes", dict(workload=TRAIN, year=2026), "job_nodes", lambda n: n + 0.5, "spans NVLink"),
    (
        "pools_hold_runs",
        "pools",
        dict(tier="b200-hgx", year=2027),
        "installed_nodes",
        lambda n: 2,
        "(shared)/b200-hgx/lab/2027",
    ),
    (
        "racks_within_limits",
        "racks",
        dict(tier="b200-hgx", rack_type="air-40", year=2026),
        "nodes",
        lambda n: n + 2,  # at most 2 per rack: one rack's worth beyond the last part-filled rack
        "lab/air-40",
    ),
    ("site_power", "sites", dict(year=2026), "it_kw", lambda kw: 2000.0, "lab/2026"),
    # a run stretched past the year's end
    ("runs_scheduled", "schedule", dict(workload=TRAIN, year=2026), "end_day", lambda d: 400.0, f"{TRAIN}/"),
    ("nothing_before_opening", "fabric", dict(year=2027), "year", lambda y: 2025, "lab/2025"),
    ("fabric_sized", "fabric", dict(year=2026), "spine", lambda n: 1, f"{LAB}/{{fabric}}/2026"),
    ("fabric_serves_nodes", "fabric", dict(year=2027), "nics", lambda n: n // 2, f"{LAB}/{{fabric}}/2027"),
    (
        "storage_holds_data",
        "data",
        dict(workload=TRAIN, year=2026),
        "hot_tb",
        lambda tb: 5.0,
        f"{TRAIN}/lab/2026",
    ),
    ("storage_holds_data", "storage", dict(year=2027), "units", lambda n: 0, "lab/flash-object/2027"),
    (
        "capex_recomputed",
        "pools",
        dict(tier="b200-hgx", year=2026),
        "bought_nodes",
        lambda n: n + 1,
        "compute/2026",
    ),
    ("capex_recomputed", "fabric", dict(year=2027), "switches", lambda n: n + 2, "fabric/2027"),
    ("opex_recomputed", "sites", dict(year=2027), "it_kw", lambda kw: kw + 10, "energy/2027"),
    ("residual_value", "costs", dict(category="residual"), "usd", lambda usd: usd - 1000, "residual value"),
    ("npv_and_budget", "kpis", dict(metric="npv_usd"), "value", lambda usd: usd + 1000, "NPV"),
    (
        "book_recomputed",
        "book",
        dict(category="compute", year=2027),
        "book_value_usd",
        lambda usd: usd + 1000,
        "compute/2027: book value",
    ),
    (
        "taxes_recomputed",
        "cash",
        dict(category="energy", year=2027),
        "usd",
        lambda usd: usd + 1000,
        "before tax",
    ),
    ("unit_costs_add_up", "unit_costs", dict(scope="total"), "cost_usd", lambda usd: 2 * usd, "total:"),
    (
        "data_moves_paid",
        "costs",
        dict(category="data_transfer", year=2027),
        "usd",
        lambda usd: usd + 100,
        "2027: data_transfer costs",
    ),
    ("stacks_paid", "costs", dict(category="stacks", kind="opex", year=2027), "usd", lambda usd: 100, "2027"),
    (
        "npv_and_budget",
        "costs",
        dict(category="support", year=2027),
        "discounted_usd",
        lambda usd: 0.0,
        "support/2027",
    ),
]


@pytest.mark.parametrize(
    ("check", "table", "where", "column", "change", "names"),
    [pytest.param(*case, id=f"{case[0]}-{case[1]}.{case[3]}") for case in CELL_MUTATIONS],
)
def test_corrupted_cell_fails_its_check(tiny_plan, check, table, where, column, change, names):
    failures = new_failures(tiny_plan, changed(tiny_plan, table, where, column, change), check)
    names = names.format(fabric=tiny_plan.fabric.fabric.iloc[0])
    assert any(names in f for f in failures), failures


SCENARIO_MUTATIONS = [
    # the plan's air-cooled load (nodes and gear) is well above 10 kW
    ("cooling", "sites", LAB, dict(air_cooling_mw=0.01), "kW on air cooling of 10 kW"),
    ("sites_allowed", "workloads", SERVE, dict(region="eu"), "chat runs at lab, which lacks region eu"),
    ("sites_allowed", "workloads", SERVE, dict(region="eu"), "chat keeps data at lab, which lacks region eu"),
    # its data sits on flash-object, a tier without encryption at rest
    ("data_encrypted", "workloads", TRAIN, dict(compliance=("soc2",)), f"{TRAIN}/lab/flash-object/2026"),
    ("npv_and_budget", "policy", None, dict(capex_budget_usd=1e6), "over the budget of 1,000,000"),
    # the plan was read without tax; checked as if taxed at 25 %, its cash view lacks the tax rows
    ("taxes_recomputed", "policy", None, dict(tax_rate=0.25), "tax opex_deduction/2026"),
    ("runs_scheduled", "workloads", TRAIN, dict(runs_per_year=2), "1 of 2 runs placed"),
    # the test catalog's tiers have no FP8 training MFU
    ("runs_fit", "workloads", TRAIN, dict(precision="fp8"), "which has no mfu_fp8"),
]


@pytest.mark.parametrize(("check", "table", "row", "values", "names"), SCENARIO_MUTATIONS)
def test_changed_input_fails_its_check(tiny_plan, check, table, row, values, names):
    if table == "policy":
        scenario = dataclasses.replace(tiny_plan.scenario, policy={**tiny_plan.scenario.policy, **values})
        corrupted = dataclasses.replace(tiny_plan, scenario=scenario)
    else:
        corrupted = with_scenario_value(tiny_plan, table, row, **values)
    failures = new_failures(tiny_plan, corrupted, check)
    assert any(names in f for f in failures), failures


def test_every_check_has_a_mutation_test():
    tested = {case[0] for case in CELL_MUTATIONS + SCENARIO_MUTATIONS}
    tested |= {"data_encrypted"}  # in transit: test_checker_flags_regulated_data_over_a_plain_wan
    tested |= {"rent_allowed_and_billed", "owned_or_rented"}  # tests/model/test_rent.py: test_checker_*
    assert {c.__name__ for c in CHECKS} <= tested


def test_isolated_workload_without_its_own_switch_fails_leaf_isolation():
    # pretrain-8b isolated: its node group gets fabric ports of its own (its job's few nodes: one
    # switch, "pretrain-8b=1"); handing that switch to the shared group leaves its job's ports on
    # a switch it would share
    scenario = aiopt.load_scenario(TINY, CATALOG_DIR).with_values("workloads", TRAIN, isolated=True)
    plan = aiopt.solve(scenario, progress=False)
    assert check_plan(plan).failed("fabric_serves_nodes") == []
    row = plan.fabric.iloc[0]
    assert (row.single_switches, row.group_units) == (f"{TRAIN}=1", "")
    corrupted = changed(plan, "fabric", dict(year=row.year), "single_switches", lambda text: "(shared)=1")
    failures = new_failures(plan, corrupted, "fabric_serves_nodes")
    expected = (f"group {TRAIN}'s job takes", "its own SUs and switch serve 0")
    assert any(all(part in f for part in expected) for f in failures), failures


def test_fabric_ports_allow_solver_round_off(tiny_plan):
    # a job's node count as HiGHS returns it, a hair above whole (seen on a near-optimal
    # alternative: 48.00000000000034 ports on 48 NICs), is not a missing port
    job = tiny_plan.nodes[(tiny_plan.nodes.workload == TRAIN) & (tiny_plan.nodes.year == 2027)].iloc[0]
    ports = round(job.job_nodes * physics.ports_per_node(tiny_plan.scenario.gpu_tiers.loc[job.tier]))
    exact = changed(tiny_plan, "fabric", dict(year=2027), "nics", lambda n: ports)  # no port to spare
    nodes = exact.nodes.copy()
    nodes["job_nodes"] *= 1 + 1e-14
    assert check_plan(dataclasses.replace(exact, nodes=nodes)).failed("fabric_serves_nodes") == []


def test_job_inside_one_node_needs_no_fabric_for_solver_round_off(tiny_plan):
    # a one-node job whose run HiGHS returns a hair above one node (1.0000000000000002, seen in a
    # fuzz case) still fits its node: it needs no compute fabric
    nodes = tiny_plan.nodes.copy()
    job = (nodes.workload == TRAIN) & (nodes.year == 2027)
    nodes.loc[job, ["nodes", "job_nodes"]] = [1 + 2e-16, 1.0]
    fabric = tiny_plan.fabric[tiny_plan.fabric.year != 2027]
    plan = dataclasses.replace(tiny_plan, nodes=nodes, fabric=fabric)
    assert [f for f in check_plan(plan).failed("fabric_serves_nodes") if f"{TRAIN}/2027" in f] == []


def test_goodput_is_taken_at_the_plan_own_job_size(tiny_plan):
    # A run sized with the goodput of a smaller job than it is (what a peak-year estimate gives a
    # job that is larger than the estimate, e.g. by a low scaling efficiency) delivers less than
    # its demand: the checker recomputes goodput at the run's own node count.
    scenario = tiny_plan.scenario
    job = tiny_plan.nodes[(tiny_plan.nodes.workload == TRAIN) & (tiny_plan.nodes.year == 2026)].iloc[0]
    tier, wl = scenario.gpu_tiers.loc[job.tier], scenario.workloads.loc[TRAIN]
    per_node = tier.gpus_per_node * tier.tflops_bf16 / 1000 * tier.mfu
    # a job of a few nodes is not derated by the fabric: its efficiency at the reference size,
    # regained at 1.4% a doubling below it, passes 1 long before 10 nodes
    fab = scenario.fabrics.loc[job.fabric]
    assert fab.scaling_efficiency * 0.986 ** math.log2(10 * tier.gpus_per_node / 16_384) >= 1
    need = 6 * 8e9 * 1e12 / (30 * 86_400) / 1e15  # 8B params, 1T tokens, 30 days
    estimate = 1.0  # nodes: the job size the derate was (wrongly) taken at
    nodes = need / (per_node * model_goodput(estimate, tier.node_mtbf_hours, wl.checkpoint_minutes))
    assert nodes > 2.5 * estimate
    corrupted = changed(tiny_plan, "nodes", dict(workload=TRAIN, year=2026), "nodes", lambda n: nodes)
    failures = new_failures(tiny_plan, corrupted, "demand_met")
    assert any(f"{TRAIN}/2026" in f and f"at {nodes:.6g} nodes" in f for f in failures), failures


def test_scaling_efficiency_is_taken_at_the_plan_own_job_size(tiny_plan):
    # The training job spans a few nodes, far below its fabric's 16,384-GPU reference size, so it
    # is not derated. With the reference at one node's 8 GPUs the same job loses efficiency for
    # every doubling beyond 8 GPUs: the checker recomputes it at the run's own size and finds the
    # plan short.
    job = tiny_plan.nodes[(tiny_plan.nodes.workload == TRAIN) & (tiny_plan.nodes.year == 2026)].iloc[0]
    assert job.nodes > 1
    corrupted = with_scenario_value(tiny_plan, "fabrics", job.fabric, scaling_reference_gpus=8)
    failures = new_failures(tiny_plan, corrupted, "demand_met")
    assert any(f"{TRAIN}/2026" in f and "scaling efficiency 0." in f for f in failures), failures


# ----------------------------------------------------------------------- model bugs the checker sees
# Each case solves a tiny model-review scenario (tests/model/tiny_plans.py's base catalog). The
# "flags" test shows the checker failing the plan the buggy model makes (built from the solved
# plan, so it holds once the model is fixed too); the "passes" test fails until the model is.


def solve_case(directory: Path, workloads: list[dict], sites: list[dict], years: int = 1) -> aiopt.Plan:
    tables = {
        "gpu_tiers": [tier()],
        "fabrics": [fabric()],
        "storage_tiers": [storage()],
        "rack_types": [rack()],
    }
    catalog = write_catalog(directory / "catalog", tables)
    doc = {
        "name": directory.name,
        "policy": {"start_year": YEAR, "horizon_years": years},
        "sites": sites,
        "workloads": workloads,
    }
    path = directory / "scenario.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return aiopt.solve(aiopt.load_scenario(path, catalog), rel_gap=1e-6, progress=False)


def p2_plan(directory: Path) -> aiopt.Plan:
    """B5, model-review's p2: `r` (hipaa-ready) serves at `plain` (free energy, WAN not encrypted); `o`
    (residency eu) serves at `enc`. r keeps 0.2 TB of weights + 9.7 TB hot = 9.9 TB in one 10 TB
    unit at plain; its 4 TB of cold data fit the 4.8 TB left in o's unit at enc (0.2 + 5 TB), so a
    model that lets cold data cross the plain WAN saves a second unit at plain (10 USD)."""
    sites = [
        site("plain", certifications=["hipaa-ready"], encrypted_wan=False),
        site("enc", region="eu", certifications=["hipaa-ready"], electricity_usd_per_kwh=0.1),
    ]
    workloads = [
        inference("r", pflops=8, compliance=["hipaa-ready"], hot_tb=9.7, cold_tb=4),
        inference("o", pflops=8, region="eu", hot_tb=5),
    ]
    return solve_case(directory / "p2", workloads, sites)


def test_checker_flags_regulated_data_over_a_plain_wan(tmp_path):
    # B5: r's cold data at enc while r runs at plain (today's model's plan)
    plan = p2_plan(tmp_path)
    data = plan.data.copy()
    data.loc[(data.workload == "r") & (data.cold_tb > 0), "site"] = "enc"
    report = check_plan(dataclasses.replace(plan, data=data))
    assert set(plan.nodes.loc[plan.nodes.workload == "r", "site"]) == {"plain"}
    assert report.failed("data_encrypted") == [
        f"data_encrypted: r/{YEAR}: runs at plain (WAN unencrypted), keeps data at enc"
    ]


def test_p2_plan_keeps_regulated_data_behind_the_plain_wan(tmp_path):
    plan = p2_plan(tmp_path)
    report = check_plan(plan)
    assert report.ok, str(report)
    assert set(plan.data.loc[plan.data.workload == "r", "site"]) == {"plain"}


def p4_plan(directory: Path) -> aiopt.Plan:
    """B7, model-review's p4: a 38 PFLOPS job on 4 PFLOPS nodes is 9.5 node-loads, so it holds 10
    whole nodes, and 5% spares take 0.5 more: 11 nodes (today's model installs 10)."""
    return solve_case(directory / "p4", [training(pflops=38, spare_fraction=0.05)], [site()])


def test_checker_flags_a_training_job_without_whole_spares(tmp_path):
    plan = p4_plan(tmp_path)
    # the job holds 10 whole nodes; 5% spares of them, 0.5, is one whole spare node: 11 needed
    short = changed(plan, "pools", dict(year=YEAR), "installed_nodes", lambda n: 10)
    assert check_plan(short).failed("pools_hold_runs") == [
        f"pools_hold_runs: pool (shared)/g1/a/{YEAR}: serving 0, runs at once 10 and 1 spares need 11 nodes, "
        "10 installed"
    ]


def test_p4_plan_holds_whole_spare_nodes(tmp_path):
    plan = p4_plan(tmp_path)
    report = check_plan(plan)
    assert report.ok, str(report)
    assert plan.pools.installed_nodes.sum() == 11


def p3_plan(directory: Path) -> aiopt.Plan:
    """B4, model-review's p3: the only workload starts in the third year, so the site opens then:
    no switches (or anything else site-level) in the first two (a 10-node job: one SU)."""
    return solve_case(directory / "p3", [training(pflops=38, start_year=YEAR + 2)], [site()], years=3)


def test_checker_flags_switches_before_a_site_opens(tmp_path):
    plan = p3_plan(tmp_path)
    # the opening year's fabric (one SU: 8 leaves + 4 spines) moved to the first year
    early = changed(plan, "fabric", dict(year=YEAR + 2), "year", lambda y: YEAR)
    failures = check_plan(early).failed("nothing_before_opening")
    assert f"nothing_before_opening: a/{YEAR}: 12 fab switches before the site opens" in failures


def test_p3_plan_opens_the_site_when_it_is_used(tmp_path):
    plan = p3_plan(tmp_path)
    report = check_plan(plan)
    assert report.ok, str(report)
    assert plan.fabric.loc[plan.fabric.year < YEAR + 2, "switches"].sum() == 0


# ----------------------------------------------------------------------- independence


FORBIDDEN = ("aiopt.demand", "aiopt.rules", "aiopt.fabric_sizing", "aiopt.model")


def test_checker_shares_no_sizing_code_with_the_model():
    package = Path(aiopt.__file__).parent / "check"
    for source in package.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.ImportFrom):
                level = "aiopt." * bool(node.level == 2) + "aiopt.check." * bool(node.level == 1)
                names = [f"{level}{node.module or ''}"] + [
                    f"{level}{node.module}.{a.name}" for a in node.names
                ]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            bad = [n for n in names if n.startswith(FORBIDDEN)]
            assert not bad, f"{source.name} imports {bad}"
