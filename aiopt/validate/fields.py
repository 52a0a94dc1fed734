"""Field by field: one record's values converted to their schema kind and held to its limits."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from aiopt.errors import Problem
from aiopt.schema import BOOL, FLOAT, INT, LIST, MAP, STR, Field, Table
from aiopt.validate.messages import MISSING, as_yaml, brief, example, suggest, unit_phrase

ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]*")


@dataclass
class Row:
    """One checked record: a CSV row, a YAML list item or the policy mapping.

    `values` holds every field of the table: the checked value, else the schema default, else
    None (also for values that failed a check; those are listed in `bad`).
    """

    file: str
    where: str
    values: dict = field(default_factory=dict)
    given: set = field(default_factory=set)
    bad: set = field(default_factory=set)

    @property
    def id(self) -> str | None:
        return None if "id" in self.bad else self.values.get("id")

    def clean(self, *names: str) -> bool:
        """True when none of the named fields failed a check (values may be unset)."""
        return not self.bad.intersection(names)

    def ok(self, *names: str) -> bool:
        """True when each named field passed its checks and has a value."""
        return self.clean(*names) and all(self.values.get(n) is not None for n in names)

    def problem(self, name: str, value: object, fix: str) -> Problem:
        return Problem(self.file, self.where, name, brief(value), fix)


@dataclass
class Checked:
    """What the checks found: problems, plausibility warnings, the checked rows by table."""

    problems: list[Problem]
    tables: dict[str, list[Row]] = field(default_factory=dict)
    policy: dict = field(default_factory=dict)
    name: str = ""
    description: str = ""
    warnings: list[Problem] = field(default_factory=list)


class BadValue(ValueError):
    """A value that cannot be used; the message is the fix."""


def _number(raw: object, whole: bool) -> int | float | None:
    """`raw` (a number, or text such as a CSV cell or YAML's `40e6`) as an int or float; None
    when it is not one. Booleans are not numbers; a whole number must be written whole."""
    if isinstance(raw, str):
        cell = raw.strip()
        if whole:
            return int(cell) if re.fullmatch(r"[+-]?\d+", cell) else None
        try:
            return float(cell)
        except ValueError:
            return None
    if isinstance(raw, bool) or not isinstance(raw, int | float) or (whole and isinstance(raw, float)):
        return None
    return raw if whole else float(raw)


def convert(f: Field, raw: object, text: bool = False) -> object:
    """`raw` as a value of `f`'s kind, or `BadValue` with the fix. `text`: raw came from a CSV cell.

    Numbers may be given as text (a CSV cell, or YAML's `40e6`, which PyYAML reads as text);
    whole numbers must be whole; booleans are true/false, never numbers.
    """
    if f.kind in (INT, FLOAT):
        whole = f.kind == INT
        value = _number(raw, whole)
        if value is None:
            raise BadValue(
                f"expected a {'whole number' if whole else 'number'}{unit_phrase(f)}, e.g. {example(f, text)}"
            )
        if not math.isfinite(value):
            raise BadValue(f"must be a finite number, e.g. {example(f, text)}")
        return value
    if f.kind == BOOL:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
            return raw.strip().lower() == "true"
        raise BadValue(f"expected true or false, e.g. {example(f, text)}")
    if f.kind == STR:
        if not isinstance(raw, str):
            hint = " (YAML reads unquoted yes/no/on/off as true/false)" if isinstance(raw, bool) else ""
            raise BadValue(f"expected text; put the value in quotes{hint}")
        value = raw.strip()
        if f.name == "id" and not ID_PATTERN.fullmatch(value):
            slug = re.sub(r"[^a-z0-9._-]+", "-", value.lower()).strip("-._") or "my-id"
            raise BadValue(f"ids are lower-case letters, digits and dashes, e.g. {slug}")
        return value
    if f.kind == LIST:
        if text and isinstance(raw, str):
            raw = [part for part in raw.split(";") if part.strip()]
        if not isinstance(raw, list | tuple) or not all(isinstance(i, str) and i.strip() for i in raw):
            raise BadValue(f"expected a list of names, e.g. {example(f, text)}")
        return tuple(i.strip() for i in raw)
    if f.kind == MAP:
        if not isinstance(raw, dict):
            raise BadValue(f"expected a mapping, e.g. {example(f, text)}")
        wrong = [
            f"{k}: {as_yaml(v)}"
            for k, v in raw.items()
            if not isinstance(k, str) or isinstance(v, bool) or not isinstance(v, int) or v < 0
        ]
        if wrong:
            raise BadValue(
                f"expected whole numbers >= 0 by {f.ref or 'name'} id, e.g. {example(f, text)}; "
                f"not {', '.join(wrong)}"
            )
        return {k.strip(): v for k, v in raw.items()}
    raise AssertionError(f"schema field {f.name} has unknown kind {f.kind!r}")


def limits_fix(f: Field, value: object, text: bool = False) -> str | None:
    """Why `value` breaks `f`'s choices or bounds (None: it does not)."""
    if f.choices:
        if value in f.choices:
            return None
        close = difflib.get_close_matches(str(value).lower(), f.choices, n=1, cutoff=0.5)
        return f"must be one of {', '.join(f.choices)}" + (f"; did you mean {close[0]!r}?" if close else "")
    if f.kind not in (INT, FLOAT):
        return None
    unit = f" ({f.unit})" if f.unit else ""
    if f.positive and value <= 0:
        return f"must be > 0{unit}, e.g. {example(f, text)}"
    low, high = f.low, f.high
    if (low is None or value >= low) and (high is None or value <= high):
        return None
    if low is not None and high is not None:
        fix = f"must be between {as_yaml(low)} and {as_yaml(high)}{unit}"
    elif low is not None:
        fix = f"must be >= {as_yaml(low)}{unit}"
    else:
        fix = f"must be <= {as_yaml(high)}{unit}"
    if f.unit.startswith("fraction") and high is not None and high <= 1 < value:
        return fix + "; write a fraction, e.g. 0.05 for 5%"
    return fix + f", e.g. {example(f, text)}"


def check_record(
    table: Table,
    raw: Mapping,
    file: str,
    where: str,
    *,
    text: bool = False,
    partial: bool = False,
    absent: Iterable[str] = (),
) -> tuple[Row, list[Problem]]:
    """Check one record of `table` field by field; fill schema defaults.

    `text`: the values are CSV cells. `partial`: an override of an existing row (required
    fields may be left out). `absent`: CSV columns already reported missing.
    """
    row = Row(file, where)
    problems = []
    names = table.names
    for key, value in raw.items():
        if key in table.retired:
            problems.append(row.problem(str(key), value, table.retired[key]))
        elif key not in names:
            problems.append(
                row.problem(str(key), value, f"unknown {table.name} field; {suggest(key, names, 'fields')}")
            )
    for f in table.fields:
        value = raw.get(f.name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if f.required and not partial:
                row.bad.add(f.name)
                if f.name not in absent:
                    add = (
                        f"fill the {f.name} column, e.g. {example(f, True)}"
                        if text
                        else f"add e.g. {example(f)}"
                    )
                    unit = f" ({f.unit})" if f.unit and f.kind in (INT, FLOAT) else ""
                    problems.append(row.problem(f.name, MISSING, f"required{unit}; {add}"))
            row.values[f.name] = None if f.required else f.default
            continue
        row.given.add(f.name)
        try:
            checked = convert(f, value, text)
            fix = limits_fix(f, checked, text)
            if fix:
                raise BadValue(fix)
        except BadValue as exc:
            row.bad.add(f.name)
            row.values[f.name] = None
            problems.append(row.problem(f.name, value, str(exc)))
        else:
            row.values[f.name] = checked
    return row, problems


def check_unique_ids(rows: list[Row]) -> tuple[list[Row], list[Problem]]:
    """Rows with a good, first-seen id, and a problem for each repeated id."""
    first: dict[str, Row] = {}
    problems = []
    for row in rows:
        if row.id is None:
            continue
        if row.id in first:
            problems.append(
                row.problem("id", row.id, f"duplicate id (also {first[row.id].where}); ids must be unique")
            )
        else:
            first[row.id] = row
    return list(first.values()), problems


def item_where(base: str, index: int, raw: object) -> str:
    """`sites[0] (id=us-east)`: a YAML list item, with its id when it has one."""
    rid = raw.get("id") if isinstance(raw, dict) else None
    return f"{base}[{index}]" + (
        f" (id={rid})" if isinstance(rid, str | int | float) and str(rid).strip() else ""
    )
