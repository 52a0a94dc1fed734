"""Finance views of a plan (issue 12).

Reference design (`aiopt.finance.reference`): `reference_plan(scenario)`, the plan an architect
draws by hand, and `saving(plan, reference)`, the optimised plan's saving against it by cost
category. Price of policy (`aiopt.finance.policy`): `price_of_policy(scenario)`.
"""

# --- reference design and price of policy (issue 12, part B)
from aiopt.finance.policy import price_of_policy
from aiopt.finance.reference import ReferenceWarning, reference_plan, saving

__all__ = ["ReferenceWarning", "price_of_policy", "reference_plan", "saving"]
