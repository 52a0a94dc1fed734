"""Explain a scenario or a plan, as DataFrames.

- `infeasible(scenario)`: why a scenario has no plan, as the smallest sets of business
  requirements to relax, each relaxation checked by solving the changed scenario;
- `shadow_prices(plan)`: what binds in a plan and what one unit more of it is worth;
- `alternatives(scenario, n, slack)`: near-optimal plans that decide differently.
"""

from .alternatives import alternatives
from .duals import shadow_prices
from .infeasible import infeasible

__all__ = ["alternatives", "infeasible", "shadow_prices"]
