"""Catalog copies (aiopt/model/copies.py): rows equal but for id, name and source."""

from __future__ import annotations

import math

import pandas as pd

from aiopt.model.copies import copies


def test_copies_match_rows_but_for_id_name_and_source_with_empty_cells_and_lists_equal():
    table = pd.DataFrame(
        [
            dict(id="a", name="A", source="x", price=1.0, until=math.nan, fabrics=["ib", "eth"]),
            dict(id="b", name="B", source="y", price=1.0, until=math.nan, fabrics=["ib", "eth"]),
            dict(id="c", name="A", source="x", price=2.0, until=math.nan, fabrics=["ib", "eth"]),
            dict(id="d", name="D", source="z", price=1.0, until=2030.0, fabrics=["ib", "eth"]),
            dict(id="e", name="E", source="z", price=1.0, until=math.nan, fabrics=["eth", "ib"]),
            dict(id="f", name="F", source="z", price=1.0, until=math.nan, fabrics=["ib", "eth"]),
        ]
    ).set_index("id")
    # b and f equal a (f the first-listed a, not b); c differs in price, d in a filled cell, e in
    # the order of its list
    assert copies(table) == {"b": "a", "f": "a"}
