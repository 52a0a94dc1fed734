"""The price of policy (`aiopt.price_of_policy`): paired solves with and without each policy, on
tiny catalogs (tests/tiny_plans.py: a g1 node is 4 PFLOPS, 10 kW, 100,000 USD; energy free
unless a site prices it)."""

from __future__ import annotations

import pandas as pd
import pytest
from tiny_plans import REL_GAP, site, tiny_scenario, training

import aiopt
from aiopt.cli import main
from aiopt.errors import InputError
from aiopt.finance.policy import relaxations
from aiopt.sweep.spec import apply

HIPAA = ["hipaa-ready"]


@pytest.fixture(scope="module")
def certified(tmp_path_factory):
    """A 10-PFLOPS run (3 nodes, 30 kW) that must run on the certified site, whose energy costs
    0.3 USD/kWh, while the uncertified one's is free: the rule costs 30 kW x 8,760 h x 0.75
    average load x 0.3 USD/kWh = 59,130 USD in its one year (plus the fabric switch's 0.001 kW)."""
    return tiny_scenario(
        tmp_path_factory.mktemp("certified"),
        [training(pflops=10, compliance=HIPAA)],
        sites=[site("certified", certifications=HIPAA, electricity_usd_per_kwh=0.3), site("plain")],
        policy=dict(max_pool_utilisation=1.0),  # no slack policy: compliance is the one to price
    )


def test_compliance_forcing_a_dearer_site_costs_what_two_solves_differ_by(certified):
    table = aiopt.price_of_policy(certified, rel_gap=REL_GAP, time_limit=30)
    assert list(table.policy) == ["compliance"]
    row = table.iloc[0]
    with_rule = aiopt.solve(certified, rel_gap=REL_GAP, progress=False)
    without = aiopt.solve(
        certified.with_values("workloads", "train", compliance=[]), rel_gap=REL_GAP, progress=False
    )
    assert row.npv_with_usd == pytest.approx(with_rule.kpi("npv_usd"))
    assert row.npv_without_usd == pytest.approx(without.kpi("npv_usd"))
    assert row.cost_npv_usd == pytest.approx(with_rule.kpi("npv_usd") - without.kpi("npv_usd"))
    assert row.cost_npv_usd == pytest.approx(3 * 10 * 8760 * 0.75 * 0.3, rel=1e-3)
    assert row.cost_per_year_usd == pytest.approx(row.cost_npv_usd)  # one year, discount factor 1
    assert (row.status_with, row.status_without) == ("optimal", "optimal")


def test_a_scenario_file_runs_as_sweep_cases(certified):
    by_object = aiopt.price_of_policy(certified, rel_gap=REL_GAP, time_limit=30)
    by_sweep = aiopt.price_of_policy(
        certified.path,
        rel_gap=REL_GAP,
        time_limit=30,
        backend="serial",
        catalog_dir=certified.path.parent / "catalog",
    )
    cost = ["cost_npv_usd", "npv_with_usd", "npv_without_usd"]
    assert by_sweep[cost].to_numpy() == pytest.approx(by_object[cost].to_numpy())


def test_every_policy_the_scenario_sets_gets_a_row(tmp_path):
    sc = tiny_scenario(
        tmp_path,
        [
            training("a", region="us", isolated=True, spare_fraction=0.1, tiers=["g1"]),
            training("b", dedicated=True),
        ],
        policy=dict(capex_budget_usd=1e9, max_power_utilisation=0.8, max_pool_utilisation=1.0),
    )
    cases = relaxations(sc)
    assert {policy for policy, _, _ in cases.values()} == {
        "region",
        "isolated",
        "tiers",
        "dedicated",
        "spare_fraction",
        "capex_budget_usd",
        "max_power_utilisation",
    }
    for _, _, overrides in cases.values():  # every relaxation is a valid edit of the scenario
        apply(sc, overrides)


def test_max_capacity_is_refused(tmp_path):
    sc = tiny_scenario(tmp_path, [training()], policy=dict(objective="max_capacity", capex_budget_usd=1e6))
    with pytest.raises(InputError, match="min_npv"):
        aiopt.price_of_policy(sc)


def test_cli_policy_cost_prints_the_table(certified, tmp_path, capsys):
    csv = tmp_path / "policy.csv"
    argv = ["policy-cost", str(certified.path), "--catalog", str(certified.path.parent / "catalog")]
    code = main([*argv, "--backend", "serial", "--gap", "1e-6", "--csv", str(csv)])
    out = capsys.readouterr().out
    assert code == 0 and "compliance" in out and "train: hipaa-ready" in out
    assert list(pd.read_csv(csv).columns[:8]) == [
        "policy",
        "detail",
        "npv_with_usd",
        "npv_without_usd",
        "cost_npv_usd",
        "cost_per_year_usd",
        "status_with",
        "status_without",
    ]
