"""Tolerances and number formatting shared by the checks."""

from __future__ import annotations

TOLERANCE = 1e-4  # relative slack for solver round-off and the 6 significant digits of written plans


def over(value: float, limit: float, tolerance: float = TOLERANCE) -> bool:
    """`value` exceeds `limit` by more than the relative tolerance (absolute below 1)."""
    return value > limit + tolerance * max(1.0, abs(limit))


def differ(value: float, expected: float, usd: bool = False) -> bool:
    """Two amounts disagree: by more than 1 USD and 1e-6 of the amount (money), else the tolerance."""
    if usd:
        return abs(value - expected) > 1.0 + 1e-6 * abs(expected)
    return abs(value - expected) > TOLERANCE * max(1.0, abs(expected))


def bought_within_life(bought, key: tuple, year: int, life: int) -> float:
    """What `bought` ({(*key, year): count}, a dict or Series) holds for `key` in the `life` years
    up to `year`: hardware bought then still serves in `year`."""
    return sum(bought.get((*key, o), 0) for o in range(year - life + 1, year + 1))


def num(value: float) -> str:
    """A number for a message: whole numbers as such, others to 6 significant digits."""
    return str(int(value)) if float(value).is_integer() else f"{value:.6g}"


def busiest(calendar, amounts) -> float:
    """The most of `amounts` (one per calendar row) under way on any day: checked at every start."""
    spans = list(zip(calendar.start_day, calendar.end_day, amounts, strict=True))
    return max((sum(a for s, e, a in spans if s <= t < e) for t, _, _ in spans), default=0.0)
