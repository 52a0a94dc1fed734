"""Solve progress as one updating line: elapsed time, best plan, proven bound and gap.

Fed by highspy callbacks (improving solution, MIP logging), not by parsing the log. In a
terminal or a notebook the line is rewritten in place (carriage return); in a log file or pipe a
new line is written every few seconds. `verbose` shows HiGHS's own log instead.
"""

from __future__ import annotations

import math
import sys
import time

AUTO_AFTER_SECONDS = 3.0  # "auto" progress appears once the solve has run this long
REDRAW_SECONDS = 0.25  # in place: at most this often
PRINT_SECONDS = 10.0  # in a file or pipe: one line this often


def relative_gap(incumbent: float | None, bound: float | None) -> float | None:
    """|incumbent − bound| / max(|incumbent|, 1e-9); None when either is missing."""
    if incumbent is None or bound is None:
        return None
    return abs(incumbent - bound) / max(abs(incumbent), 1e-9)


def objective_text(value: float | None, objective: str) -> str:
    """An objective value in the user's units: NPV in USD ("$21.63M"), or a demand multiple."""
    if value is None or not math.isfinite(value) or abs(value) >= 1e20:
        return "none yet"
    return f"{value:.3f}x demand" if objective == "max_capacity" else f"${value:,.2f}M"


def _interactive(stream) -> bool:
    if type(stream).__module__.startswith("ipykernel"):
        return True
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Progress:
    """The progress line of one solve; `mode` is False, True, "auto" or "verbose"."""

    def __init__(self, mode: bool | str, objective: str, stream=None):
        if mode not in (False, True, "auto", "verbose"):
            raise ValueError(f"progress must be True, False, 'auto' or 'verbose', not {mode!r}")
        self.mode, self.objective = mode, objective
        self.stream = stream or sys.stdout
        self.in_place = _interactive(self.stream)
        self.started = time.perf_counter()
        self.stage, self.bound_valid = "", False
        self.plan: float | None = None
        self.bound: float | None = None
        self.lp_bound: float | None = None  # shown while the running stage has proven no bound
        self.drawn_at, self.width = -math.inf, 0
        self.subscribed: list = []  # (HiGHS callback event, our function) while attached

    @property
    def verbose(self) -> bool:
        return self.mode == "verbose"

    def attach(self, highs) -> None:
        """Subscribe to a `highspy.Highs`'s callbacks until `close` (a kept model is solved again)."""
        if self.verbose:
            self.subscribed = [(highs.cbLogging, lambda event: self._write(event.message))]
        elif self.mode:
            self.subscribed = [
                (highs.cbMipImprovingSolution, lambda event: self._update(event.data_out, force=True)),
                (highs.cbMipLogging, lambda event: self._update(event.data_out)),
            ]
        for event, callback in self.subscribed:
            event.subscribe(callback)

    def begin(self, stage: str, bound_valid: bool) -> None:
        """A new stage; `bound_valid`: its dual bound bounds the full model."""
        self.stage, self.bound_valid, self.bound = stage, bound_valid, None
        if self.verbose:
            self._write(f"aiopt: {stage}\n")
        else:
            self.draw(force=True)

    def _update(self, out, force: bool = False) -> None:
        self.plan = out.mip_primal_bound if abs(out.mip_primal_bound) < 1e20 else self.plan
        if self.bound_valid and abs(out.mip_dual_bound) < 1e20:
            self.bound = out.mip_dual_bound
        self.draw(force)

    def found(self, plan: float | None, lp_bound: float | None = None) -> None:
        """A stage ended with a plan of objective `plan` (a start for the next) and the LP bound."""
        if plan is not None:
            self.plan = plan
        self.lp_bound = lp_bound

    def line(self) -> str:
        elapsed = time.perf_counter() - self.started
        bound = self.bound if self.bound is not None else self.lp_bound
        gap = relative_gap(self.plan, bound)
        if self.plan is None and bound is None:
            return f"{elapsed:6.1f} s  {self.stage}"
        return (
            f"{elapsed:6.1f} s  {self.stage}: best plan {objective_text(self.plan, self.objective)}, "
            f"bound {objective_text(bound, self.objective)}, "
            f"gap {'n/a' if gap is None else f'{gap:.1%}'}"
        )

    def draw(self, force: bool = False) -> None:
        now = time.perf_counter()
        if not self.mode or self.verbose or (self.mode == "auto" and now - self.started < AUTO_AFTER_SECONDS):
            return
        if now - self.drawn_at < (REDRAW_SECONDS if self.in_place else PRINT_SECONDS) and not force:
            return
        self.drawn_at = now
        text = self.line()
        if self.in_place:
            self._write("\r" + text.ljust(self.width))
            self.width = len(text)
        else:
            self._write(text + "\n")

    def close(self) -> None:
        """End the line (the last state stays visible) and unsubscribe."""
        for event, callback in self.subscribed:
            event.unsubscribe(callback)
        self.subscribed = []
        if self.width:
            self.draw(force=True)
            self._write("\n")
            self.width = 0

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()
