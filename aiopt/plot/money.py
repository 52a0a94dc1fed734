"""Charts of a plan's money: cash flow, book value, the saving against a reference design and the
price of each policy. They draw the tables `aiopt.finance` and `aiopt.price_of_policy` return
(columns as in their contracts; extra columns are ignored)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from ..results import SAVING_COLUMNS, Plan
from .style import (
    GAIN_COLOUR,
    KIND_COLOURS,
    LOSS_COLOUR,
    MUTED_COLOUR,
    USD_TOOLTIP,
    chart_title,
    require,
    table,
    tooltips,
    usd_axis,
    year_axis,
)

CASH_COLUMNS = ["year", "category", "kind", "usd", "discounted_usd"]
BOOK_COLUMNS = ["year", "category", "depreciation_usd", "book_value_usd"]
POLICY_COLUMNS = ["policy", "detail", "npv_with_usd", "npv_without_usd", "cost_npv_usd", "cost_per_year_usd"]
TAX_COLOUR = "#756bb1"


def cash_flow(plan: Plan) -> alt.LayerChart:
    """Cash out per year by kind (capex, opex, tax, residual credit), stacked, with the cumulative
    discounted cash as a line, from `plan.cash` (`aiopt.finance`: the costs, plus tax rows when the
    policy sets a tax rate)."""
    cash = require(plan.cash, CASH_COLUMNS, "the cash-flow chart")
    years = cash.groupby("year", as_index=False)[["usd", "discounted_usd"]].sum().sort_values("year")
    years["cumulative_discounted_usd"] = years.discounted_usd.cumsum()
    kinds = cash.groupby(["year", "kind"], as_index=False)[["usd", "discounted_usd"]].sum()
    domain = [*KIND_COLOURS, *sorted(set(kinds.kind) - set(KIND_COLOURS))]
    colours = [*KIND_COLOURS.values(), *[TAX_COLOUR] * (len(domain) - len(KIND_COLOURS))]
    bars = (
        alt.Chart(kinds)
        .mark_bar()
        .encode(
            x=year_axis(),
            y=alt.Y("usd:Q", stack="zero", axis=usd_axis("Cash (USD)")),
            color=alt.Color("kind:N", title="Kind", scale=alt.Scale(domain=domain, range=colours)),
            tooltip=tooltips(
                ("year:O", "Year"),
                ("kind:N", "Kind"),
                ("usd:Q", "USD", USD_TOOLTIP),
                ("discounted_usd:Q", "Discounted USD", USD_TOOLTIP),
            ),
        )
    )
    subtitle = "Undiscounted USD per year (bars) and cumulative discounted (line)"
    return _bars_and_line(
        bars, years, "cumulative_discounted_usd", "Cumulative discounted (USD)", "Cash flow", subtitle
    )


def book_value(plan: Plan) -> alt.LayerChart:
    """Depreciation per year by category (bars) and the end-of-year book value (line), from `plan.book`."""
    book = table(plan, "book")
    if book is None:
        raise ValueError("the plan has no book table (plan.book: year, category, depreciation_usd, ...)")
    book = require(book, BOOK_COLUMNS, "the book-value chart")
    totals = book.groupby("year", as_index=False).book_value_usd.sum()
    bars = (
        alt.Chart(book)
        .mark_bar()
        .encode(
            x=year_axis(),
            y=alt.Y("depreciation_usd:Q", stack="zero", axis=usd_axis("Depreciation (USD)")),
            color=alt.Color("category:N", title="Category"),
            tooltip=tooltips(
                ("year:O", "Year"),
                ("category:N", "Category"),
                ("depreciation_usd:Q", "Depreciation (USD)", USD_TOOLTIP),
                ("book_value_usd:Q", "Book value (USD)", USD_TOOLTIP),
            ),
        )
    )
    subtitle = "Depreciation by category (bars); book value of everything at the year's end (line)"
    title = "Depreciation and book value"
    return _bars_and_line(bars, totals, "book_value_usd", "Book value at year end (USD)", title, subtitle)


def _bars_and_line(
    bars: alt.Chart, totals: pd.DataFrame, total: str, total_title: str, title: str, subtitle: str
) -> alt.LayerChart:
    """Stacked yearly `bars` with `totals[total]` per year drawn over them as a line on its own axis."""
    line = (
        alt.Chart(totals)
        .mark_line(point=True, color="black")
        .encode(
            x=year_axis(),
            y=alt.Y(f"{total}:Q", axis=usd_axis(total_title)),
            tooltip=tooltips(("year:O", "Year"), (f"{total}:Q", total_title, USD_TOOLTIP)),
        )
    )
    return (
        alt.layer(bars, line, title=chart_title(title, subtitle))
        .resolve_scale(y="independent")
        .properties(width=alt.Step(40))
    )


def saving_vs_reference(saving_table: pd.DataFrame) -> alt.Chart:
    """The NPV saved against the reference design, per cost category (green: saved, red: dearer),
    from `aiopt.finance.saving(plan, reference)` (its `total` row is the subtitle, not a bar)."""
    data = require(saving_table, SAVING_COLUMNS, "the saving chart")
    data = data[data.category != "total"].copy()  # `saving` adds a total row: the bars sum to it
    data["outcome"] = data.saving_usd.map(lambda usd: "saved" if usd >= 0 else "dearer")
    total = data.saving_usd.sum()
    reference = data.reference_npv_usd.sum()
    share = f" ({total / reference:.1%} of the reference's NPV)" if reference else ""
    subtitle = f"Reference NPV minus optimised NPV per category; total ${total / 1e6:,.2f}M{share}"
    return (
        alt.Chart(data, title=chart_title("Saving vs the reference design", subtitle))
        .mark_bar()
        .encode(
            y=alt.Y("category:N", title="Category", sort="-x"),
            x=alt.X("saving_usd:Q", axis=usd_axis("Saving (USD, NPV)")),
            color=alt.Color(
                "outcome:N",
                title="",
                scale=alt.Scale(domain=["saved", "dearer"], range=[GAIN_COLOUR, LOSS_COLOUR]),
            ),
            tooltip=tooltips(
                ("category:N", "Category"),
                ("optimised_npv_usd:Q", "Optimised NPV (USD)", USD_TOOLTIP),
                ("reference_npv_usd:Q", "Reference NPV (USD)", USD_TOOLTIP),
                ("saving_usd:Q", "Saving (USD)", USD_TOOLTIP),
            ),
        )
        .properties(width=420)
    )


def price_of_policy(prices: pd.DataFrame) -> alt.Chart:
    """What each policy costs: NPV with it minus NPV without it, from `aiopt.price_of_policy`.
    A policy whose with- or without-solve found no plan is drawn as a grey zero bar, its statuses
    in the tooltip."""
    data = require(prices, POLICY_COLUMNS, "the price-of-policy chart").copy()
    data["label"] = data.policy.astype(str) + ": " + data.detail.fillna("").astype(str)
    data["priced"] = data.cost_npv_usd.notna().map({True: "priced", False: "no plan to compare"})
    data["bar_usd"] = data.cost_npv_usd.fillna(0.0)
    statuses = [
        (f"{c}:N", c.replace("_", " ").capitalize()) for c in ("status_with", "status_without") if c in data
    ]
    return (
        alt.Chart(data, title=chart_title("Price of each policy", "NPV with the policy minus NPV without it"))
        .mark_bar()
        .encode(
            y=alt.Y("label:N", title="Policy", sort="-x"),
            x=alt.X("bar_usd:Q", axis=usd_axis("Cost of the policy (USD, NPV)")),
            color=alt.Color(
                "priced:N",
                title="",
                scale=alt.Scale(domain=["priced", "no plan to compare"], range=[LOSS_COLOUR, MUTED_COLOUR]),
            ),
            tooltip=tooltips(
                ("policy:N", "Policy"),
                ("detail:N", "Detail"),
                ("cost_npv_usd:Q", "Cost (USD, NPV)", USD_TOOLTIP),
                ("cost_per_year_usd:Q", "Cost per year (USD)", USD_TOOLTIP),
                ("npv_with_usd:Q", "NPV with (USD)", USD_TOOLTIP),
                ("npv_without_usd:Q", "NPV without (USD)", USD_TOOLTIP),
                *statuses,
            ),
        )
        .properties(width=420)
    )


__all__ = ["book_value", "cash_flow", "price_of_policy", "saving_vs_reference"]
