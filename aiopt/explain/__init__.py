"""Explain a plan: what binds and what it is worth, and near-optimal alternatives."""

from .alternatives import alternatives
from .duals import shadow_prices

__all__ = ["alternatives", "shadow_prices"]
