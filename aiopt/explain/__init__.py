"""Explain a scenario or a plan, as DataFrames.

- `infeasible(scenario)`: why a scenario has no plan, as the smallest sets of business
  requirements to relax, each relaxation checked by solving the changed scenario
  (`aiopt.explain.infeasible`);
- `shadow_prices(plan)` and `alternatives(scenario, n, slack)`: what binds and what it is worth,
  near-optimal alternatives (`aiopt.explain.duals`, `aiopt.explain.alternatives`), loaded when
  first asked for.
"""

from __future__ import annotations

import importlib

from .infeasible import infeasible

LAZY = {"shadow_prices": "duals", "alternatives": "alternatives"}  # name -> module of this package

__all__ = ["alternatives", "infeasible", "shadow_prices"]


def __getattr__(name: str):
    """`shadow_prices` and `alternatives` from their modules, imported on first use."""
    if name in LAZY:
        try:
            module = importlib.import_module(f"{__name__}.{LAZY[name]}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{LAZY[name]}":
                raise
            raise AttributeError(f"module {__name__!r} has no attribute {name!r} (not built yet)") from exc
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
