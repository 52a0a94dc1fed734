"""Formats, colours and encoding helpers shared by the chart modules."""

from __future__ import annotations

import altair as alt
import pandas as pd

USD_FORMAT = "$,.3~s"
# d3's SI prefix writes billions as "G"; money reads better as "B".
USD_LABEL = f"replace(format(datum.value, '{USD_FORMAT}'), 'G', 'B')"
USD_TOOLTIP = "$,.0f"
KW_FORMAT = ",.0f"

CAPEX_COLOURS = [
    "#08519c",
    "#3182bd",
    "#6baed6",
    "#9ecae1",
    "#1b7837",
    "#5aae61",
    "#a6dba0",
    "#2c7fb8",
    "#41b6c4",
    "#7fcdbb",
    "#253494",
    "#c7e9c0",
]
OPEX_COLOURS = ["#d94801", "#fd8d3c", "#fdae6b", "#a63603", "#e6550d", "#fdd0a2", "#b30000", "#fc8d59"]
KIND_COLOURS = {"capex": "#3182bd", "opex": "#fd8d3c", "residual": "#31a354"}  # residual: a credit
USED_COLOUR, LIMIT_COLOUR = "#3182bd", "#c7c7c7"
GAIN_COLOUR, LOSS_COLOUR, MUTED_COLOUR = "#31a354", "#de2d26", "#bdbdbd"


def usd_axis(title: str) -> alt.Axis:
    return alt.Axis(title=title, format=USD_FORMAT, labelExpr=USD_LABEL)


def tooltips(*fields: tuple) -> list[alt.Tooltip]:
    """Tooltips from (field, title) or (field, title, format) tuples."""
    return [
        alt.Tooltip(field, title=title, **({"format": fmt[0]} if fmt else {}))
        for field, title, *fmt in fields
    ]


def chart_title(text: str, subtitle: str | None = None) -> alt.TitleParams:
    return alt.TitleParams(text=text, subtitle=subtitle or "", anchor="start")


def year_axis(title: str = "Year") -> alt.X:
    return alt.X("year:O", title=title, axis=alt.Axis(labelAngle=0))


def table(plan, name: str) -> pd.DataFrame | None:
    """The plan's table `name` when it has one with rows (tables other helpers add, e.g. `cash`)."""
    frame = getattr(plan, name, None)
    return frame if isinstance(frame, pd.DataFrame) and not frame.empty else None


def require(frame: pd.DataFrame, columns: list[str], what: str) -> pd.DataFrame:
    """`frame` itself, or ValueError naming the columns a chart of `what` needs and does not find."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{what} needs the columns {', '.join(missing)}; the table has {', '.join(frame.columns)}"
        )
    return frame
