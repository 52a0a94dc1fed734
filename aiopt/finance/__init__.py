"""The plan in finance's terms: cash and book views and unit costs (`aiopt.finance.views`)."""

from aiopt.finance.views import add_views, book, cash, unit_costs

__all__ = ["add_views", "book", "cash", "unit_costs"]
