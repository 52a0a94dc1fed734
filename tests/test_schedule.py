"""The run calendar's list scheduler (aiopt.schedule), on hand-made pools."""

from __future__ import annotations

import pandas as pd
import pytest

from aiopt.schedule import schedule_runs

POOL = ("(shared)", "g1", "a", 2026)


def jobs(*rows) -> pd.DataFrame:
    """(workload, nodes, days, runs) rows of one pool, none solo."""
    frame = pd.DataFrame(rows, columns=["workload", "nodes", "days", "runs"])
    return frame.assign(group=POOL[0], tier=POOL[1], site=POOL[2], year=POOL[3], solo=False)


def test_a_monthly_job_runs_about_monthly():
    calendar = schedule_runs(jobs(("ft", 2, 5, 12)), {POOL: 4})
    assert list(calendar.start_day) == pytest.approx([365 * k / 12 for k in range(12)])
    assert list(calendar.end_day - calendar.start_day) == pytest.approx([5] * 12)


def test_runs_go_back_to_back_when_spreading_them_leaves_no_room():
    # b (10 nodes, 2 x 100 days) spread: days 0-100 and 182.5-282.5; a (8 nodes, 150 days) then
    # finds no 150-day gap. Back to back: b 0-100, 100-200, a 200-350: the 350 days fit the year.
    calendar = schedule_runs(jobs(("b", 10, 100, 2), ("a", 8, 150, 1)), {POOL: 10})
    assert calendar.start_day.notna().all()
    assert list(calendar.sort_values("start_day").start_day) == [0, 100, 200]


def test_a_run_that_cannot_fit_the_year_is_left_unplaced():
    calendar = schedule_runs(jobs(("big", 10, 200, 1), ("other", 10, 200, 1)), {POOL: 10})
    assert calendar.start_day.isna().sum() == 1


def test_jobs_sharing_a_pool_never_run_side_by_side():
    # 20 + 9 nodes fit the 29 free nodes at once, but the model books the pool's jobs as one lane
    # (its storage reads count one job at a time), so the 9-node job waits for the 20-node one
    calendar = schedule_runs(jobs(("big", 20, 30, 1), ("small", 9, 10, 1)), {POOL: 29})
    by_job = calendar.set_index("workload")
    assert by_job.at["big", "start_day"] == 0 and by_job.at["small", "start_day"] == 30


def test_a_solo_job_runs_beside_the_lane():
    both = jobs(("solo", 9, 30, 1), ("lane", 20, 30, 1)).assign(solo=[True, False])
    calendar = schedule_runs(both, {POOL: 29})
    assert list(calendar.start_day) == [0, 0]
