"""The reference design (`aiopt.reference_plan`): an architect's rules, checked, and dearer than
the optimised plan where the optimiser may do what the architect does not (tiny catalogs of
tests/tiny_plans.py: a g1 node delivers 4 PFLOPS for 100,000 USD; no other cost unless given)."""

from __future__ import annotations

import pytest
from tiny_plans import REL_GAP, YEAR, fabric, solve_tiny, storage, tier, tiny_scenario, training

import aiopt
from aiopt.cli import main
from aiopt.finance import ReferenceWarning, saving

NVIDIA = dict(vendor="NVIDIA")


def reference(scenario: aiopt.Scenario) -> aiopt.Plan:
    plan = aiopt.reference_plan(scenario, rel_gap=REL_GAP, time_limit=30)
    report = aiopt.check_plan(plan)
    assert report.ok, str(report)
    return plan


def compute_saving(plan: aiopt.Plan, ref: aiopt.Plan) -> float:
    return float(saving(plan, ref).set_index("category").at["compute", "saving_usd"])


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory) -> tuple[aiopt.Plan, aiopt.Plan]:
    """Two 10-PFLOPS runs of 100 days each on g1 (an NVIDIA tier here): the optimised plan and
    the reference design."""
    runs = [training("a", pflops=10), training("b", pflops=10)]
    tables = dict(gpu_tiers=[tier(**NVIDIA)])
    folder = tmp_path_factory.mktemp("two-runs")
    plan = solve_tiny(folder / "opt", runs, **tables)
    return plan, reference(tiny_scenario(folder / "ref", runs, **tables))


def test_no_time_sharing_two_runs_get_two_pools(two_runs):
    # 200 booked days fit one pool's year (0.9 x 365), so the optimiser runs them one after the
    # other on ceil(10 / 4) = 3 nodes; the architect gives each its own pool, 3 + 3 = 6 nodes:
    # 300,000 USD more compute
    plan, ref = two_runs
    assert plan.pools.installed_nodes.sum() == 3
    assert ref.pools.installed_nodes.sum() == 6 and set(ref.pools.group) == {"a", "b"}
    assert compute_saving(plan, ref) == pytest.approx(300_000)
    # and a second 1-USD switch (each pool its own leaf), less the residual value of both: 4/5 of
    # their price is credited a year later, at the default 8% discount
    total = saving(plan, ref).set_index("category").at["total", "saving_usd"]
    assert total == pytest.approx(300_001 * (1 - 0.8 / 1.08))
    assert ref.kpi("npv_usd") > plan.kpi("npv_usd")
    rules = ref.reference_rules.set_index("rule")
    assert rules.at["pools", "choice"] == "isolated" and rules.at["rent", "choice"] == "none"


def test_newest_nvidia_tier_even_when_an_older_one_is_cheaper(tmp_path):
    # "old": 4 PFLOPS a node for 100,000 USD; "new" (2025): 8 PFLOPS for 300,000 USD. 10 PFLOPS take
    # 3 old nodes (300,000 USD) or 2 new ones (600,000 USD): the architect buys new, the optimiser old
    tiers = [
        tier("old", **NVIDIA),
        tier("new", tflops_bf16=2000, price_usd=300_000, available_from=2025, **NVIDIA),
    ]
    plan = solve_tiny(tmp_path / "opt", [training(pflops=10)], gpu_tiers=tiers)
    ref = reference(tiny_scenario(tmp_path / "ref", [training(pflops=10)], gpu_tiers=tiers))
    assert set(plan.pools.tier) == {"old"} and set(ref.pools.tier) == {"new"}
    assert ref.pools.installed_nodes.sum() == 2
    assert compute_saving(plan, ref) == pytest.approx(600_000 - 300_000)


def test_blackwell_ultra_rows_take_xdr_others_ndr(tmp_path):
    # the fabric is fixed by the tier's catalog name: NDR (400G) unless it says Blackwell Ultra
    fabrics = [
        fabric("ndr"),
        fabric("xdr", port_gbps=800),
        fabric("eth", kind="ethernet", switch_price_usd=0.5),
    ]
    for name, wanted in (("Hopper", "ndr"), ("B300 (Blackwell Ultra)", "xdr")):
        sc = tiny_scenario(
            tmp_path / wanted, [training(pflops=40)], gpu_tiers=[tier(name=name, **NVIDIA)], fabrics=fabrics
        )
        ref = reference(sc)
        assert set(ref.fabric.fabric) == {wanted}
        assert ref.reference_rules.set_index("rule").at["fabric", "choice"] == wanted


def test_storage_follows_the_ra_guidance_not_the_workload_reads(tmp_path):
    # 12 nodes (48 PFLOPS at 4 a node) = 96 GPUs reading nothing (read_gbps_per_gpu 0) still get the
    # RA 'best' 125 GB/s per 256 GPUs = 46.9 GB/s of reads: units of 10 GB/s read -> 5 units
    # (reference_read; reference_write asks 62 / 256 x 96 = 23 GB/s, under one unit's 1000); the
    # optimiser buys the 1 unit the 0.6 TB of checkpoints need
    slow = [storage("hot", name="slow flash", read_gbps_per_unit=10)]
    run = [training(pflops=47, read_gbps_per_gpu=0.0)]
    tables = dict(gpu_tiers=[tier(**NVIDIA)], storage_tiers=slow)
    plan = solve_tiny(tmp_path / "opt", run, **tables)
    sc = tiny_scenario(tmp_path / "ref", run, **tables)
    ref = aiopt.reference_plan(sc, rel_gap=REL_GAP, storage="best")
    assert aiopt.check_plan(ref).ok
    assert ref.pools.installed_nodes.sum() == 12
    assert ref.storage.loc[ref.storage.year == YEAR, "units"].sum() == 5
    assert plan.storage.loc[plan.storage.year == YEAR, "units"].sum() == 1


def test_without_an_nvidia_tier_the_rule_is_dropped_with_a_warning(tmp_path):
    sc = tiny_scenario(tmp_path, [training(pflops=10)])  # the tiny tier's vendor is "test"
    with pytest.warns(ReferenceWarning, match="no NVIDIA tier"):
        ref = reference(sc)
    assert set(ref.pools.tier) == {"g1"}
    assert "dropped" in set(ref.reference_rules.choice)


def test_saving_table_has_the_contract_columns_and_a_total(two_runs):
    plan, ref = two_runs
    table = saving(plan, ref)
    assert list(table.columns) == ["category", "optimised_npv_usd", "reference_npv_usd", "saving_usd"]
    assert table.iloc[-1].category == "total"
    assert table.iloc[-1].optimised_npv_usd == pytest.approx(plan.kpi("npv_usd"))
    assert table.iloc[-1].reference_npv_usd == pytest.approx(ref.kpi("npv_usd"))
    parts = table.iloc[:-1]
    assert table.iloc[-1].saving_usd == pytest.approx(parts.saving_usd.sum())


def test_cli_solve_prints_the_saving_unless_told_not_to(tmp_path, capsys):
    runs = [training("a", pflops=10), training("b", pflops=10)]
    sc = tiny_scenario(tmp_path, runs, gpu_tiers=[tier(**NVIDIA)])
    base = ["solve", str(sc.path), "--catalog", str(sc.path.parent / "catalog"), "--quiet", "--gap", "1e-6"]
    assert main([*base, "--out", str(tmp_path / "with")]) == 0
    out = capsys.readouterr().out
    # 77,778 USD saved (test_no_time_sharing_two_runs_get_two_pools), stated in millions
    assert "saving against the reference design: $0.1M NPV" in out
    assert main([*base, "--out", str(tmp_path / "without"), "--no-reference"]) == 0
    assert "reference" not in capsys.readouterr().out
