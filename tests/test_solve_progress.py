"""Progress is one updating line in the user's units; HiGHS's own log only when verbose."""

from __future__ import annotations

import io

import pytest

import aiopt
from aiopt.solve.progress import Progress, objective_text


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Event:
    def __init__(self, primal: float, dual: float):
        self.mip_primal_bound, self.mip_dual_bound = primal, dual


def test_in_a_terminal_the_line_is_rewritten_in_place():
    screen = Terminal()
    progress = Progress(True, "min_npv", screen)
    progress.begin("full model", bound_valid=True)
    progress._update(Event(21.6308, 20.1), force=True)
    progress._update(Event(21.6308, 21.5), force=True)
    progress.close()
    text = screen.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n"), "one line, ended once"
    assert text.count("\r") >= 3
    last = text.split("\r")[-1]
    assert "best plan $21.63M" in last and "bound $21.50M" in last and "gap 0.6%" in last


def test_objective_units():
    assert objective_text(21.6308, "min_npv") == "$21.63M"
    assert objective_text(1.25, "max_capacity") == "1.250x demand"
    assert objective_text(float("inf"), "min_npv") == objective_text(None, "min_npv") == "none yet"


def test_progress_shows_the_line_and_verbose_the_highs_log(tiny, capsys):
    aiopt.solve(tiny, progress=True)
    out = capsys.readouterr().out
    assert "full model" in out and "Presolving model" not in out and "Running HiGHS" not in out
    aiopt.solve(tiny, progress="verbose")
    assert "Presolving model" in capsys.readouterr().out
    aiopt.solve(tiny, progress=False)
    assert capsys.readouterr().out == ""
    with pytest.raises(ValueError, match="progress"):
        aiopt.solve(tiny, progress="loud")


def test_progress_callbacks_end_with_the_solve(tiny):
    # the HiGHS model is kept for re-solves: a solve's progress callbacks must not outlive it
    model = aiopt.build_model(tiny)
    for _ in range(2):
        aiopt.solve_model(model, progress=True)
        highs = model._kept_highs.highs.highs
        assert not highs.cbMipLogging.callbacks and not highs.cbMipImprovingSolution.callbacks
