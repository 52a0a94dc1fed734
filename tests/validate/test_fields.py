"""Converting and checking one field value against its schema kind."""

from __future__ import annotations

import pytest

from aiopt.schema import BOOL, FLOAT, INT, LIST, MAP, SITES, STR, TABLES, Field
from aiopt.validate import BadValue, convert

# ---------------------------------------------------------------- the checking functions

NUMBER, WHOLE = Field("x", FLOAT, "MW"), Field("n", INT, "years")


@pytest.mark.parametrize(
    ("field", "raw", "expected"),
    [
        (NUMBER, 12, 12.0),
        (NUMBER, "12.5", 12.5),
        (NUMBER, "40e6", 40e6),
        (NUMBER, 1.5, 1.5),
        (WHOLE, 3, 3),
        (WHOLE, "3", 3),
        (Field("b", BOOL), "False", False),
        (Field("b", BOOL), True, True),
        (Field("s", STR), " us ", "us"),
        (Field("l", LIST), ["a", "b"], ("a", "b")),
        (Field("m", MAP), {"a": 0}, {"a": 0}),
    ],
)
def test_convert_accepts(field, raw, expected):
    assert convert(field, raw) == expected


@pytest.mark.parametrize(
    ("field", "raw"),
    [
        (NUMBER, "twelve"),
        (NUMBER, True),
        (NUMBER, float("nan")),
        (NUMBER, "inf"),
        (NUMBER, [1]),
        (WHOLE, 1.5),
        (WHOLE, "1.5"),
        (WHOLE, 3.0),
        (WHOLE, False),
        (Field("b", BOOL), "yes"),
        (Field("b", BOOL), 1),
        (Field("s", STR), 5),
        (Field("s", STR), False),
        (Field("id", STR), "US East"),
        (Field("l", LIST), "soc2"),
        (Field("l", LIST), [1]),
        (Field("m", MAP), {"a": -1}),
        (Field("m", MAP), {"a": 1.5}),
        (Field("m", MAP), ["a"]),
    ],
)
def test_convert_rejects(field, raw):
    with pytest.raises(BadValue):
        convert(field, raw)


def test_every_schema_kind_is_understood():
    for table in TABLES.values():
        for f in table.fields:
            assert f.kind in (STR, INT, FLOAT, BOOL, LIST, MAP), (table.name, f.name)
    assert SITES["racks"].ref == "rack_types"
