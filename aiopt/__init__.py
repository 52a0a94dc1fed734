"""aiopt: cost-optimal enterprise AI infrastructure plans (a Pyomo MILP solved by HiGHS).

The pipeline, each stage callable alone::

    load_scenario -> validate -> prepare/build_model -> solve_model -> read_plan

and `solve` chains them:

>>> import aiopt
>>> plan = aiopt.solve("data/scenarios/enterprise-baseline.yaml")   # doctest: +SKIP
>>> plan.kpis, plan.nodes, plan.racks, plan.fabric, plan.storage, plan.costs  # doctest: +SKIP

and `sweep` solves many variants of one scenario (`aiopt.sweep.spec` describes the spec):

>>> table = aiopt.sweep("sweep.yaml", out="runs/s1")   # one row per variant   # doctest: +SKIP

and `throughput` gives the serving roofline behind inference sizing (output tokens/s per GPU):

>>> aiopt.throughput("llama-3-70b", None, "fp8", 1024, 1024, tpot_ms=45)   # doctest: +SKIP

and the analysis rooms read a plan as finance and architects do:

>>> aiopt.reference_plan(scenario); aiopt.price_of_policy(scenario)   # doctest: +SKIP
>>> aiopt.explain.shadow_prices(plan); aiopt.explain.infeasible(scenario)   # doctest: +SKIP
"""

__version__ = "0.1.0"

from aiopt.check import check_plan
from aiopt.errors import InputError, Problem, SolveError, Status
from aiopt.export import write_plan
from aiopt.finance import price_of_policy, reference_plan
from aiopt.load import load_catalog, load_scenario
from aiopt.model import FAMILIES, build_model, prepare
from aiopt.pipeline import solve
from aiopt.results import Plan, read_plan
from aiopt.scenario import Scenario
from aiopt.solve import SolveInfo, solve_model
from aiopt.sweep import sweep
from aiopt.throughput import throughput
from aiopt.validate import PlausibilityWarning, validate

__all__ = [
    "FAMILIES",
    "InputError",
    "PlausibilityWarning",
    "Plan",
    "Problem",
    "Scenario",
    "SolveError",
    "SolveInfo",
    "Status",
    "__version__",
    "build_model",
    "check_plan",
    "explain",
    "load_catalog",
    "load_scenario",
    "plot",
    "prepare",
    "price_of_policy",
    "read_plan",
    "reference_plan",
    "solve",
    "solve_model",
    "sweep",
    "throughput",
    "validate",
    "write_plan",
]


def __getattr__(name: str):
    """Import `aiopt.plot` (and with it Altair, ~1 s) only when a chart is first asked for;
    `aiopt.explain` when first used."""
    if name in ("plot", "explain"):
        import importlib

        return importlib.import_module(f"aiopt.{name}")
    raise AttributeError(f"module 'aiopt' has no attribute {name!r}")
