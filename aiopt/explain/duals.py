r"""What binds and what it is worth: shadow prices of a solved plan in business units.

HiGHS gives no duals for a MIP. So the plan's integer decisions are fixed at their values, the
LP that is left is solved again (least NPV, the simplex method), and its row duals are turned
into USD per business unit. One unit more of a business quantity q (a kW of facility power, a
rack position, a budget dollar, a GB/s of storage bandwidth, an output token/s of serving, a
billion training tokens, a day of deadline) loosens (or, for demand, tightens) the rows r that
hold it by :math:`\delta_{q,r}` in model units; with :math:`\lambda_r = \partial NPV / \partial
(\text{loosening of } r)` in MUSD,

.. math:: price_q = 10^6 \sum_r \lambda_r\, \delta_{q,r} \quad \text{USD per unit},

checked against the finite difference :math:`10^6 (NPV(\text{rows loosened by } \delta_q) - NPV)`
of the same LP. Demand moves its `demand_met` row and a spread workload's `site_carries_share`
rows (not the big-M bounds that follow demand: they do not bind at a least-NPV plan); a rack
position moves `racks_available` and `racks_at_open_site`.

The prices hold for small changes around this plan with its integer choices fixed. With every
integer fixed (`fix="all"`, the textbook "fixed MIP") almost every resource of this model comes in
whole units (nodes, racks, storage units) that are then fixed too, so nearly every price is zero.
The default `fix="choices"` fixes the yes/no decisions (tier, site, fabric, rent, opening, ...)
and takes the counts as continuous: the marginal value of capacity at this plan's choices, as if
it came in fractions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from ..errors import SolveError, Status
from ..model import build_model
from ..model.compute import WHOLE_DEMAND_ROWS
from ..model.params import MUSD
from ..results import Plan
from ..scenario import TRAINING_KINDS
from ..solve import solve_model
from ..solve.highs import MODEL_STATUS, HighsModel, use_threads

COLUMNS = ["constraint", "kind", "where", "year", "shadow_price", "unit", "finite_difference", "note"]
SIMPLEX = dict(solver="simplex", presolve="off")  # a vertex, so duals and their finite differences agree
NPV_TOLERANCE = 1e-6  # relative: the model's values must be the plan's
WORTH_REPORTING = 1e-6  # USD per unit: a smaller price is solver noise
BILLION = 1e-3  # trillion tokens (the unit of tokens_t) in a billion
FIXED_WORDS = {
    "choices": "yes/no choices (tier, site, fabric, rent) fixed and counts taken as continuous",
    "all": "integer decisions (counts and choices) fixed",
}
NOTE = (
    "NPV change in USD for one unit more; holds for small changes around this plan, its {fixed}; "
    "negative: one unit more saves money"
)


def _training(m, w, y) -> bool:
    return m.data.scenario.workloads.at[w, "kind"] in TRAINING_KINDS


def _serving(m, w, y) -> bool:
    return not _training(m, w, y)


def _tokens(m, w, y) -> float:
    """Demand added by a billion tokens more in the year's run: D is proportional to the tokens."""
    return m.data.demand[w, y] / m.data.scenario.workloads.at[w, "tokens_t"] * BILLION


def _days(m, w, y) -> float:
    """Demand taken off by a day more of deadline: D - D days / (days + 1) = D / (days + 1)."""
    return m.data.demand[w, y] / (m.data.scenario.workloads.at[w, "deadline_days"] + 1)


def _demand_rows(added: Callable) -> Callable:
    """Rows a demand change of `added(m, w, y)` moves: `demand_met` (scale x D under max_capacity)
    and the `site_carries_share` rows of the sites the workload is at (share x D x present)."""

    def rows(m, w, y):
        more = added(m, w, y)
        share = m.data.scenario.workloads.at[w, "site_peak_share"]
        carries = [
            ("site_carries_share", (w, s, y), -share * more * pyo.value(m.present[w, s, y]))
            for (v, s, o) in m.WSY
            if (v, o) == (w, y) and (w, s, y) in m.site_carries_share
        ]
        return [("demand_met", (w, y), -more * pyo.value(m.scale)), *carries]

    return rows


@dataclass(frozen=True)
class _Limit:
    """A business quantity held by the rows of one constraint (and its companions)."""

    kind: str
    unit: str
    rows: Callable  # (model, *index) -> [(constraint, index, loosening by one unit more, model units)]
    applies: Callable = lambda m, *index: True  # noqa: E731  (model, *index) -> the row holds this quantity


LIMITS = {
    "site_power": [
        _Limit(
            "power",
            "USD per kW of facility power",
            lambda m, s, y: [("site_power", (s, y), m.data.scenario.policy["max_power_utilisation"])],
        )
    ],
    "cooling": [_Limit("cooling", "USD per kW of cooling", lambda m, *i: [("cooling", i, 1.0)])],
    "racks_available": [
        _Limit(
            "racks",
            "USD per rack position",
            lambda m, s, r, y: [
                ("racks_available", (s, r, y), 1.0),
                ("racks_at_open_site", (s, r, y), pyo.value(m.open[s, y])),
            ],
        )
    ],
    "capex_budget": [_Limit("budget", "USD per budget dollar", lambda m: [("capex_budget", None, 1 / MUSD)])],
    "capex_budget_yearly": [
        _Limit("budget", "USD per budget dollar", lambda m, y: [("capex_budget_yearly", y, 1 / MUSD)])
    ],
    "read_bandwidth": [
        _Limit(
            "storage bandwidth", "USD per GB/s of read bandwidth", lambda m, *i: [("read_bandwidth", i, 1.0)]
        )
    ],
    "checkpoint_bandwidth": [
        _Limit(
            "storage bandwidth",
            "USD per GB/s of write bandwidth",
            lambda m, *i: [("checkpoint_bandwidth", i, 1.0)],
        )
    ],
    "demand_met": [
        _Limit("demand", "USD per output token/s", _demand_rows(lambda m, w, y: 1.0), _serving),
        _Limit("demand", "USD per billion training tokens", _demand_rows(_tokens), _training),
        _Limit(
            "deadline",
            "USD per day more of deadline",
            _demand_rows(lambda m, w, y: -_days(m, w, y)),
            _training,
        ),
    ],
}


def shadow_prices(
    solved: Plan | tuple[pyo.ConcreteModel, Plan], fix: str = "choices", time_limit: float = 60.0
) -> pd.DataFrame:
    """Binding business limits of a solved plan and what one unit more of each is worth.

    `solved` is a Plan (its scenario is built and solved again with the plan's settings to get
    the model back; its NPV must come out the same) or the (model, plan) of a solve, with the
    plan's values still in the model. `fix`: "choices" (yes/no decisions fixed, counts
    continuous) or "all" integers fixed (module docstring). Columns: constraint, kind, where,
    year, shadow_price (USD of NPV per unit more), unit, finite_difference (the same from
    re-solving with one unit more; inf when these decisions leave no plan for it), note. They
    hold for small changes around this plan only.
    """
    if fix not in FIXED_WORDS:
        raise ValueError(f"fix must be one of {', '.join(FIXED_WORDS)}, not {fix!r}")
    model, plan = solved if isinstance(solved, tuple) else (_solved_again(solved), solved)
    _require_same_plan(model, plan)
    use_threads(1)
    highs = HighsModel(model, dict(threads=1, random_seed=plan.info.seed, output_flag=False))
    values = highs.model_values()
    values[highs.integers] = np.round(values[highs.integers])  # the MIP's integrality noise off
    fixed = highs.integers if fix == "all" else _choices(highs)
    fixed = np.union1d(fixed, highs.columns_of([model.scale])).astype(np.int32)
    row_of = {(row.parent_component().local_name, row.index()): r for r, row in enumerate(highs.rows)}
    table = []
    whole_only = highs.rows_of(WHOLE_DEMAND_ROWS)
    with (
        highs.fixed(fixed, values[fixed]),
        highs.relaxation(),
        highs.dropped(whole_only),
        highs.minimising(model.npv),
    ):
        base = highs.run(time_limit, **SIMPLEX)
        if base.status != MODEL_STATUS.kOptimal:
            raise SolveError(
                f"the LP with this plan's integer decisions fixed did not solve ({base.highs_status})",
                Status.SOLVER_ERROR,
                base.highs_status,
            )
        worth = highs.row_duals()
        for row in highs.rows:
            index = _index(row)
            for limit in LIMITS.get(row.parent_component().local_name, ()):
                if not limit.applies(model, *index):
                    continue
                moved = [(row_of[k, i], more) for k, i, more in limit.rows(model, *index) if (k, i) in row_of]
                rows, amounts = np.array([r for r, _ in moved]), np.array([more for _, more in moved])
                price = float(worth[rows] @ amounts) * MUSD
                if abs(price) >= WORTH_REPORTING:
                    table.append(_entry(model, row, limit, index, price, fix))
                    table[-1]["finite_difference"] = _finite_difference(
                        highs, rows, amounts, base, time_limit
                    )
    return pd.DataFrame(table, columns=COLUMNS).astype({"year": "Int64"})


def _finite_difference(highs: HighsModel, rows: np.ndarray, amounts: np.ndarray, base, time_limit) -> float:
    """USD: the NPV with the rows loosened by one unit more of their quantity, less the NPV without."""
    with highs.rows_loosened(rows, amounts):
        moved = highs.run(time_limit, **SIMPLEX)
    if moved.status != MODEL_STATUS.kOptimal:
        return float("inf")
    return (moved.objective - base.objective) * MUSD


def _choices(highs: HighsModel) -> np.ndarray:
    """The binary columns: the yes/no decisions."""
    integers = highs.integers
    return integers[(highs.lower[integers] == 0) & (highs.upper[integers] == 1)]


def _index(row) -> tuple:
    index = row.index()
    return () if index is None else index if isinstance(index, tuple) else (index,)


def _entry(model, row, limit: _Limit, index: tuple, price: float, fix: str) -> dict:
    """One table row: where in words (site, site/rack type, workload), the year, the unit."""
    year = next((v for v in index if isinstance(v, int) and v in model.Y), None)
    return dict(
        constraint=row.name,
        kind=limit.kind,
        where="/".join(str(v) for v in index if v != year) or "all years",
        year=year,
        shadow_price=price,
        unit=limit.unit,
        finite_difference=float("nan"),
        note=NOTE.format(fixed=FIXED_WORDS[fix]),
    )


def _solved_again(plan: Plan) -> pyo.ConcreteModel:
    """The plan's scenario built and solved with the plan's settings (the same plan, deterministically)."""
    info = plan.info
    model = build_model(plan.scenario)
    solve_model(
        model,
        time_limit=info.time_limit,
        rel_gap=info.rel_gap_target,
        threads=info.threads,
        seed=info.seed,
        progress=False,
    )
    return model


def _require_same_plan(model: pyo.ConcreteModel, plan: Plan) -> None:
    """Raise when the model's values are not the plan's (a different solve, or the model changed since)."""
    npv, expected = pyo.value(model.npv) * MUSD, plan.kpi("npv_usd")
    if abs(npv - expected) > NPV_TOLERANCE * max(1.0, abs(expected)):
        raise ValueError(
            f"the model holds a plan of NPV {npv:,.0f} USD, not this plan's {expected:,.0f} USD: "
            "pass the (model, plan) of a solve, before that model is solved again"
        )
