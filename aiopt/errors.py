"""The one exception type for bad input, and the problem record it carries."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where it is, what it is, how to fix it."""

    file: str
    where: str  # row id ("row h100-sxm") or YAML path ("workloads[2].deadline_days")
    field: str
    value: object
    fix: str

    def __str__(self) -> str:
        return f"{self.file}: {self.where}: {self.field}={self.value!r}: {self.fix}"


class InputError(ValueError):
    """Raised for any bad input; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class SolveError(RuntimeError):
    """The solver proved the scenario infeasible or found no plan within its limits."""

    def __init__(self, message: str, status: str):
        self.status = status
        super().__init__(message)
