"""aiopt: cost-optimal enterprise AI infrastructure plans (a Pyomo MILP solved by HiGHS).

>>> import aiopt
>>> sc = aiopt.load_scenario("data/scenarios/enterprise-baseline.yaml")   # doctest: +SKIP
"""

__version__ = "0.1.0"

from aiopt.errors import InputError, Problem
from aiopt.load import load_catalog, load_scenario
from aiopt.scenario import Scenario
from aiopt.validate import validate

__all__ = [
    "InputError",
    "Problem",
    "Scenario",
    "__version__",
    "load_catalog",
    "load_scenario",
    "validate",
]
