"""A built Pyomo model loaded once into one `highspy.Highs`, driven by public highspy calls.

Pyomo writes the model as an LP file (its public writer, with a symbol map from LP names to
Pyomo components) and HiGHS reads it: one load for every stage of a solve. The adapter keeps
the column -> Pyomo variable and row -> Pyomo constraint maps, relaxes and restores
integrality, fixes and frees columns, hands HiGHS a start, and writes a solution back into the
Pyomo variables so `read_plan` reads it like any solved model.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.repn import generate_standard_repn

from ..errors import SolveError, Status

MODEL_STATUS = highspy.HighsModelStatus
INFEASIBLE_STATUSES = (MODEL_STATUS.kInfeasible, MODEL_STATUS.kUnboundedOrInfeasible)

MIP_SETUP_PER_LOAD = 2.0  # measured: 4-5 s of MIP set-up after a 2.3 s load (5-site large benchmark)
_scheduler_threads: int | None = None  # HiGHS's task scheduler is process-wide
_banner_shown = False


def lp_symbols(model: pyo.ConcreteModel, directory: Path) -> tuple[Path, dict]:
    """Write `model` as an LP file with short names; return the file and {LP name: Pyomo component}.

    The one place that leans on Pyomo beyond `model.write`: the symbol map it records in
    `model.solutions.symbol_map` (tests/solve/test_highs_adapter.py fails loudly if it moves).
    """
    filename, symbol_map_id = model.write(
        str(directory / "model.lp"), io_options={"symbolic_solver_labels": False}
    )
    symbol_map = model.solutions.symbol_map.pop(symbol_map_id)
    return Path(filename), dict(symbol_map.bySymbol)


def _new_highs() -> highspy.Highs:
    """A silent `highspy.Highs`. The first one in a process prints a banner on the C-level
    stdout before any option can be set, so create it with file descriptor 1 on /dev/null."""
    global _banner_shown
    if _banner_shown:
        highs = highspy.Highs()
    else:
        sys.stdout.flush()
        saved, devnull = os.dup(1), os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        try:
            highs = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(devnull)
        _banner_shown = True
    highs.setOptionValue("output_flag", False)
    return highs


def use_threads(threads: int) -> None:
    """Reset HiGHS's process-wide scheduler when the thread count changes (it refuses otherwise)."""
    global _scheduler_threads
    if threads != _scheduler_threads:
        highspy.Highs.resetGlobalScheduler(True)
        _scheduler_threads = threads


def _option(highs: highspy.Highs, name: str):
    """An option's value (highspy returns (status, value) or the value alone, by version)."""
    value = highs.getOptionValue(name)
    return value[1] if isinstance(value, tuple) else value


@dataclass
class Outcome:
    """How one HiGHS run ended."""

    status: highspy.HighsModelStatus
    highs_status: str  # HiGHS's own words, e.g. "Time limit reached"
    has_solution: bool
    objective: float | None
    bound: float | None
    seconds: float

    @property
    def infeasible(self) -> bool:
        return self.status in INFEASIBLE_STATUSES


class HighsModel:
    """One HiGHS instance holding a Pyomo model; see the module docstring."""

    def __init__(self, model: pyo.ConcreteModel, options: dict):
        self.highs = _new_highs()
        loading = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="aiopt-") as tmp:
            path, symbols = lp_symbols(model, Path(tmp))
            if self.highs.readModel(str(path)) != highspy.HighsStatus.kOk:
                raise SolveError(
                    f"the solver could not read model '{model.name}' as Pyomo wrote it; "
                    "rerun with --verbose (progress='verbose') and report the log",
                    Status.SOLVER_ERROR,
                )
        lp = self.highs.getLp()
        # HiGHS's MIP set-up (presolve, root start) cannot be interrupted; it takes about twice
        # the load on the large benchmark, so a MIP run given less than that is not started
        self.mip_setup_seconds = MIP_SETUP_PER_LOAD * (time.perf_counter() - loading)
        self.columns = [symbols.get(name) for name in lp.col_names_]  # None: the writer's constant column
        self.rows = [symbols.get(name) for name in lp.row_names_]
        self.integrality = np.array([int(v) for v in lp.integrality_] or [0] * lp.num_col_, dtype=np.int32)
        self.lower, self.upper = np.array(lp.col_lower_), np.array(lp.col_upper_)
        self.row_lower, self.row_upper = np.array(lp.row_lower_), np.array(lp.row_upper_)
        self.costs, self.offset, self.sense = np.array(lp.col_cost_), lp.offset_, lp.sense_
        self.column_of = {id(var): j for j, var in enumerate(self.columns) if var is not None}
        self.relaxed = False
        self.rows_of_constraint: dict | None = None  # id(constraint) -> its rows, made on first update
        self.set_options(options)
        self.deadline = float("inf")
        for event in (self.highs.cbMipInterrupt, self.highs.cbIpmInterrupt, self.highs.cbSimplexInterrupt):
            event.subscribe(self._interrupt_after_deadline)

    def _interrupt_after_deadline(self, event) -> None:
        event.interrupt(time.perf_counter() > self.deadline)  # set both ways: HiGHS keeps the flag

    @property
    def integers(self) -> np.ndarray:
        """Indices of the integer columns."""
        return np.flatnonzero(self.integrality != int(highspy.HighsVarType.kContinuous))

    def columns_of(self, variables) -> np.ndarray:
        """Column indices of the Pyomo variables (those the model uses)."""
        return np.array([self.column_of[id(v)] for v in variables if id(v) in self.column_of], dtype=np.int32)

    def run(self, time_limit: float, **options) -> Outcome:
        """Run HiGHS for at most `time_limit` seconds with `options` set for this run only.

        Two guards: HiGHS's `time_limit` (its LP solvers read it against the instance's
        cumulative run time, so it is set from `getRunTime()`), and interrupt callbacks that
        stop the MIP, IPM and simplex solvers at our own deadline. A MIP given less time than
        its uninterruptible set-up (`mip_setup_seconds`) is not started: it ends at once, timed out.
        """
        started = time.perf_counter()
        mip = len(self.integers) > 0 and not self.relaxed
        if mip and time_limit < self.mip_setup_seconds:
            status, words = MODEL_STATUS.kTimeLimit, "not started: no time for its set-up"
            return Outcome(status, words, False, None, None, 0.0)
        self.deadline = started + time_limit
        saved = {name: _option(self.highs, name) for name in options}
        cumulative = self.relaxed or not len(self.integers)
        limit = max(time_limit, 0.01) + (self.highs.getRunTime() if cumulative else 0.0)
        for name, value in {**options, "time_limit": limit}.items():
            self.highs.setOptionValue(name, value)
        try:
            self.highs.run()
        finally:
            for name, value in saved.items():
                self.highs.setOptionValue(name, value)
        info, status = self.highs.getInfo(), self.highs.getModelStatus()
        has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
        bound = (
            info.mip_dual_bound
            if mip
            else (info.objective_function_value if status == MODEL_STATUS.kOptimal else None)
        )
        return Outcome(
            status,
            self.highs.modelStatusToString(status),
            bool(has_solution),
            info.objective_function_value if has_solution else None,
            bound if bound is not None and np.isfinite(bound) else None,
            time.perf_counter() - started,
        )

    @contextmanager
    def relaxation(self):
        """The LP relaxation while inside the block; integrality restored after."""
        integers = self.integers
        self.highs.changeColsIntegrality(len(integers), integers, np.zeros(len(integers), dtype=np.int32))
        self.relaxed = True
        try:
            yield
        finally:
            self.highs.changeColsIntegrality(len(integers), integers, self.integrality[integers])
            self.relaxed = False

    def rows_of(self, names: tuple[str, ...]) -> np.ndarray:
        """Indices of the rows of the named Pyomo constraints."""
        return np.array(
            [
                i
                for i, row in enumerate(self.rows)
                if row is not None and row.parent_component().local_name in names
            ],
            dtype=np.int32,
        )

    @contextmanager
    def dropped(self, rows: np.ndarray):
        """Rows made free (-inf <= row <= inf) while inside the block: a relaxation; bounds restored after."""
        free = np.full(len(rows), np.inf)
        self.highs.changeRowsBounds(len(rows), rows, -free, free)
        try:
            yield
        finally:
            self.highs.changeRowsBounds(len(rows), rows, self.row_lower[rows], self.row_upper[rows])

    @contextmanager
    def fixed(self, columns: np.ndarray, values: np.ndarray):
        """Columns fixed at `values` while inside the block; their bounds restored after."""
        values = np.asarray(values, dtype=float)
        self.highs.changeColsBounds(len(columns), columns, values, values)
        try:
            yield
        finally:
            self.highs.changeColsBounds(len(columns), columns, self.lower[columns], self.upper[columns])

    @contextmanager
    def minimising(self, expression):
        """`expression` (linear in the model's variables) minimised while inside the block; the
        model's own objective restored after."""
        repn = generate_standard_repn(expression, compute_values=True)
        costs = np.zeros(len(self.columns))
        for var, coefficient in zip(repn.linear_vars, repn.linear_coefs, strict=True):
            if coefficient:  # a zero term may name a variable the LP writer left out
                costs[self.column_of[id(var)]] += coefficient
        self._set_objective(costs, repn.constant, highspy.ObjSense.kMinimize)
        try:
            yield
        finally:
            self._set_objective(self.costs, self.offset, self.sense)

    def _set_objective(self, costs: np.ndarray, offset: float, sense) -> None:
        self.highs.changeColsCost(len(costs), np.arange(len(costs), dtype=np.int32), costs)
        self.highs.changeObjectiveOffset(offset)
        self.highs.changeObjectiveSense(sense)

    def set_options(self, options: dict) -> None:
        for name, value in options.items():
            self.highs.setOptionValue(name, value)

    def update_rows(self, constraints: list) -> bool:
        """Recompute the bounds and coefficients of `constraints` (Pyomo constraint data) from the
        model's current values, adding a row for one the LP writer left out (no finite bound then).
        False when a constraint names a variable HiGHS has no column for: load the model again."""
        if self.rows_of_constraint is None:
            self.rows_of_constraint = {}
            for i, row in enumerate(self.rows):
                if row is not None:
                    self.rows_of_constraint.setdefault(id(row), []).append(i)
        for constraint in constraints:
            entries = self._linear(constraint.body)
            if entries is None:
                return False
            coefficients, constant = entries
            lower = pyo.value(constraint.lower) - constant if constraint.has_lb() else -np.inf
            upper = pyo.value(constraint.upper) - constant if constraint.has_ub() else np.inf
            rows = self.rows_of_constraint.get(id(constraint), [])
            if not rows and (np.isfinite(lower) or np.isfinite(upper)):
                rows = self._add_row(constraint)
            for r in rows:
                # a two-sided constraint written as two rows: each keeps its own side
                low = lower if len(rows) == 1 or np.isfinite(self.row_lower[r]) else -np.inf
                up = upper if len(rows) == 1 or np.isfinite(self.row_upper[r]) else np.inf
                self.highs.changeRowBounds(int(r), float(low), float(up))
                self.row_lower[r], self.row_upper[r] = low, up
                _, old, _ = self.highs.getRowEntries(int(r))
                for j in set(old.tolist()) | set(coefficients):
                    self.highs.changeCoeff(int(r), int(j), float(coefficients.get(j, 0.0)))
        return True

    def update_objective(self, expression) -> bool:
        """The model's objective recomputed from `expression` at the current Param values."""
        entries = self._linear(expression)
        if entries is None:
            return False
        self.costs = np.zeros(len(self.columns))
        for j, coefficient in entries[0].items():
            self.costs[j] = coefficient
        self.offset = entries[1]
        self._set_objective(self.costs, self.offset, self.sense)
        return True

    def _linear(self, expression) -> tuple[dict, float] | None:
        """({column: coefficient}, constant) of a linear expression; None if it names a variable
        HiGHS has no column for, or is not linear."""
        repn = generate_standard_repn(expression, compute_values=True)
        if not repn.is_linear():
            return None
        coefficients = {}
        for var, coefficient in zip(repn.linear_vars, repn.linear_coefs, strict=True):
            if coefficient:
                if id(var) not in self.column_of:
                    return None
                j = self.column_of[id(var)]
                coefficients[j] = coefficients.get(j, 0.0) + coefficient
        return coefficients, repn.constant

    def _add_row(self, constraint) -> list[int]:
        """A new (empty, free) row for `constraint`; `update_rows` fills it."""
        row = self.highs.getNumRow()
        self.highs.addRow(-np.inf, np.inf, 0, np.array([], dtype=np.int32), np.array([]))
        self.rows.append(constraint)
        self.row_lower, self.row_upper = np.append(self.row_lower, -np.inf), np.append(self.row_upper, np.inf)
        self.rows_of_constraint[id(constraint)] = [row]
        return [row]

    def feasible(self, values: np.ndarray, tolerance: float = 1e-6) -> bool:
        """Whether `values` is a plan of the model as it is now: bounds, integrality and rows."""
        if np.any(values < self.lower - tolerance) or np.any(values > self.upper + tolerance):
            return False
        integers = values[self.integers]
        if np.any(np.abs(integers - np.round(integers)) > tolerance):
            return False
        matrix = self.highs.getLp().a_matrix_
        starts, index = np.asarray(matrix.start_), np.asarray(matrix.index_)
        activity = np.zeros(self.highs.getNumRow())
        np.add.at(activity, index, np.asarray(matrix.value_) * np.repeat(values, np.diff(starts)))
        slack = tolerance * np.maximum(1.0, np.abs(activity))
        return bool(np.all(activity >= self.row_lower - slack) and np.all(activity <= self.row_upper + slack))

    def completed(self, values: np.ndarray, time_limit: float) -> np.ndarray | None:
        """A plan with the integer decisions of `values` and the best continuous ones for them
        (an LP), or None when those decisions admit none within `time_limit`."""
        integers = self.integers
        with self.fixed(integers, np.round(values[integers])), self.relaxation():
            lp = self.run(time_limit)
            return self.values() if lp.status == MODEL_STATUS.kOptimal else None

    @property
    def maximising(self) -> bool:
        """The model's own objective is maximised (max capacity)."""
        return self.sense == highspy.ObjSense.kMaximize

    def objective_of(self, values: np.ndarray) -> float:
        return float(self.costs @ values + self.offset)

    def conflict(self, time_limit: float) -> list:
        """Pyomo constraints of an infeasible subsystem of the LP relaxation ([] if it is feasible
        or none was found within `time_limit`)."""
        self.deadline = time.perf_counter() + time_limit
        self.highs.setOptionValue("iis_strategy", int(highspy.IisStrategy.kIisStrategyFromLp))
        self.highs.setOptionValue("time_limit", time_limit + self.highs.getRunTime())
        with self.relaxation():
            status, iis = self.highs.getIis()
        if status == highspy.HighsStatus.kError or not iis.valid_:
            return []
        return [self.rows[i] for i in iis.row_index_ if self.rows[i] is not None]

    def row_duals(self) -> np.ndarray:
        """Each row's worth in the LP just solved: d objective / d (the row loosened by one unit, its
        upper bound raised or its lower bound lowered), from HiGHS's `row_dual`, d objective /
        d bound (tests/explain/test_duals.py fails loudly if an upgrade moves either)."""
        solution = self.highs.getSolution()
        if not solution.dual_valid:
            raise SolveError("HiGHS returned no duals: solve an LP (relaxed or all integers fixed) first")
        return np.where(np.isfinite(self.row_upper), 1.0, -1.0) * np.array(solution.row_dual)

    @contextmanager
    def rows_loosened(self, rows: np.ndarray, amounts: np.ndarray):
        """Each of `rows` loosened by its amount (tightened when negative) while inside the block:
        upper bounds raised and lower bounds lowered by it; restored after."""
        rows = np.asarray(rows, dtype=np.int32)
        self.highs.changeRowsBounds(
            len(rows), rows, self.row_lower[rows] - amounts, self.row_upper[rows] + amounts
        )
        try:
            yield
        finally:
            self.highs.changeRowsBounds(len(rows), rows, self.row_lower[rows], self.row_upper[rows])

    def values(self) -> np.ndarray:
        """Column values of the current solution."""
        return np.array(self.highs.getSolution().col_value)

    def model_values(self) -> np.ndarray:
        """Column values of the plan the Pyomo variables hold (the writer's constant column at its bound)."""
        return np.array(
            [self.lower[j] if var is None else (var.value or 0.0) for j, var in enumerate(self.columns)]
        )

    def start_from(self, values: np.ndarray) -> None:
        """Give HiGHS a complete plan to start the next MIP from."""
        start = highspy.HighsSolution()
        start.col_value = list(values)
        start.value_valid = True
        self.highs.setSolution(start)

    def write_back(self, values: np.ndarray | None = None) -> None:
        """Load `values` (default: the current solution) into the Pyomo variables."""
        for var, value in zip(self.columns, self.values() if values is None else values, strict=True):
            if var is not None:
                var.set_value(float(value), skip_validation=True)
