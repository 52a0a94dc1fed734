"""The plan in finance's terms (issue 12).

Cash and book views and unit costs (`aiopt.finance.views`); the reference design
(`aiopt.finance.reference`): `reference_plan(scenario)`, the plan an architect draws by hand, and
`saving(plan, reference)`, the optimised plan's saving against it by cost category; the price of
each policy (`aiopt.finance.policy`): `price_of_policy(scenario)`.
"""

from aiopt.finance.policy import price_of_policy
from aiopt.finance.reference import ReferenceWarning, reference_plan, saving
from aiopt.finance.views import add_views, book, cash, unit_costs

__all__ = [
    "ReferenceWarning",
    "add_views",
    "book",
    "cash",
    "price_of_policy",
    "reference_plan",
    "saving",
    "unit_costs",
]
