"""Plausibility: values that are allowed but far outside their usual range, as warnings.

A warning is a `Problem` like any other (same one-line text), issued as a
`PlausibilityWarning` with `warnings.warn`: the plan is still made, but a unit slip (kW for
MW, a price in kUSD) is pointed out. The usual ranges are the schema's `Field.usual`.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping

from aiopt.errors import Problem
from aiopt.schema import TABLES, Table
from aiopt.validate.fields import Row
from aiopt.validate.messages import as_yaml

POWER_HEADROOM = 100  # facility power this many times what its racks can draw is implausible


class PlausibilityWarning(UserWarning):
    """A value far outside its usual range; the message is one `Problem` line."""


def unusual_values(table: Table, rows: Iterable[Row]) -> list[Problem]:
    """A given value outside its field's usual range."""
    problems = []
    for f in table.fields:
        if f.usual is None:
            continue
        low, high = f.usual
        for row in rows:
            value = row.values.get(f.name)
            if f.name in row.given and row.ok(f.name) and not low <= value <= high:
                side = "high" if value > high else "low"
                unit = f" {f.unit}" if f.unit and not f.unit.startswith(("fraction", "ratio")) else ""
                fix = f"unusually {side} (usually {f.usual_text}{unit}); check the value and its unit"
                problems.append(row.problem(f.name, value, fix))
    return problems


def oversized_power(sites: Iterable[Row], racks: Mapping[str, Row]) -> list[Problem]:
    """Facility power two orders of magnitude above what the site's rack positions can draw.

    The racks draw at most Σ positions · usable kW of IT power, PUE times that at the meter.
    """
    problems = []
    for site in sites:
        if not site.ok("power_mw", "pue", "racks"):
            continue
        usable = [
            (count, racks[r].values["usable_kw"])
            for r, count in site.values["racks"].items()
            if r in racks and racks[r].ok("usable_kw")
        ]
        draw_mw = sum(count * kw for count, kw in usable) * site.values["pue"] / 1000
        if draw_mw > 0 and site.values["power_mw"] >= POWER_HEADROOM * draw_mw:
            positions = sum(count for count, _ in usable)
            fix = (
                f"{site.values['power_mw'] / draw_mw:,.0f} times what its {positions} rack positions "
                f"can draw ({draw_mw:.3g} MW at PUE {as_yaml(site.values['pue'])}); "
                "check the unit (MW) or add rack positions"
            )
            problems.append(site.problem("power_mw", site.values["power_mw"], fix))
    return problems


def plausibility_warnings(tables: Mapping[str, list[Row]], policy: Row) -> list[Problem]:
    """Every plausibility warning for the checked rows of a scenario and its catalog."""
    found = unusual_values(TABLES["policy"], [policy])
    for name, rows in tables.items():
        found += unusual_values(TABLES[name], rows)
    racks = {row.id: row for row in tables.get("rack_types", [])}
    return found + oversized_power(tables.get("sites", []), racks)


def warn(problems: Iterable[Problem], stacklevel: int) -> None:
    """Issue each problem as a `PlausibilityWarning`; `stacklevel` as for `warnings.warn`."""
    for problem in problems:
        warnings.warn(str(problem), PlausibilityWarning, stacklevel=stacklevel + 1)
