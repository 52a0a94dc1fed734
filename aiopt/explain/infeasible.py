"""Why a scenario has no plan, in business terms: `infeasible(scenario)`.

The smallest sets of business requirements that must move for a plan to exist, how far each
must move in the user's units, and the scenario edit that moves it, checked by solving the
edited scenario before it is shown.

Method (elastic programming, then a deletion filter):

1. Build the model as `aiopt.solve` does, except that every workload may compute at every site
   (`prepare(open_sites=True)`; its compliance, residency and tenancy come back as placement
   rows) and every site has `RACK_ROOM` times its rack positions (so no node bound derived from
   them hides a rack limit; the positions come back in the `racks_available` rows).
2. Each row of a business requirement (`READINGS`) gets a slack :math:`v \\ge 0` in the
   direction it can be violated: :math:`body - v \\le upper` or :math:`body + v \\ge lower`. A
   placement row is :math:`present_{w,s,y} - v \\le 0` at a site s lacking what w asks for.
3. Minimise :math:`\\sum_r v_r / L_r`, :math:`L_r` the limit row r holds in its own unit (at
   least the kind's `floor`): every slack counts as a share of its limit, so one percent more
   site power weighs as much as one percent more budget or rack positions; a placement row
   counts 1 per site and year (as a doubled limit).
4. Deletion filter: the requirements (rows grouped by what one scenario edit changes, e.g. a
   site's power in every year) with a positive slack are the candidates; each in turn is made
   hard again (its slacks fixed at 0) and dropped if the model still has a plan with the other
   candidates elastic. What is left is minimal: relaxing each of them is needed.
5. Steps 3-4 run for each side of the conflict alone (`SIDES`: site and budget limits,
   placement rules, what the workloads need), the other sides hard; each side that can
   resolve it is one option ("add 240 kW at us-east", "or make eu-west hipaa-ready", "or extend
   the deadline"). When no side can alone, all are elastic at once: one option.
6. Each option's edits (`Scenario.with_values`, `with_policy`) are applied together and the
   edited scenario solved: `verified` says whether it then has a plan.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from ..errors import InputError, SolveError, Status
from ..model import build_model, prepare
from ..model.compute import WHOLE_DEMAND_ROWS
from ..rules import site_lacks
from ..scenario import TRAINING_KINDS, Scenario, scenario_from
from ..solve import solve_model
from ..solve.highs import HighsModel

COLUMNS = [
    "option",
    "requirement",
    "kind",
    "where",
    "year",
    "needed",
    "available",
    "shortfall",
    "unit",
    "suggestion",
    "verified",
]
RACK_ROOM = 10  # rack positions multiplied by this in the elastic model (step 1)
SLACK_TOLERANCE = 1e-6  # relative to the row's limit: a smaller slack is solver noise
SIDES = ("limits", "placement", "workloads")
SEARCH_SHARE = 0.6  # of the time limit, for finding the options; the rest checks them
MUSD = 1e6


@dataclass(frozen=True)
class Reading:
    """How the rows of one constraint component read as a business requirement.

    `where(sc, index)` names the thing an edit changes (a site, an offer, "total"); `year` the
    year in the index; `limit(sc, index)` the limit in the row's own unit; `per_unit(sc)` user
    units per row unit; `floor` the least limit a weight divides by (step 3).
    """

    component: str
    kind: str
    unit: str
    side: str
    where: Callable
    year: Callable
    limit: Callable
    per_unit: Callable = lambda sc: 1.0
    floor: float = 1.0


def _first(sc, i):
    """The first member of an index: the site, offer or workload it is about."""
    return i[0]


def _last_year(sc, i):
    return i[-1]


def _headroom(sc: Scenario) -> float:
    return float(sc.policy["max_power_utilisation"])


READINGS = (
    Reading(
        "site_power",
        "site power",
        "kW",
        "limits",
        _first,
        _last_year,
        lambda sc, i: 1000 * _headroom(sc) * sc.sites.at[i[0], "power_mw"],
        lambda sc: 1 / _headroom(sc),
        floor=1.0,
    ),
    Reading(
        "cooling",
        "cooling",
        "kW",
        "limits",
        _first,
        lambda sc, i: i[1],
        lambda sc, i: 1000 * sc.sites.at[i[0], f"{i[2]}_cooling_mw"],
        floor=1.0,
    ),
    Reading(
        "racks_available",
        "rack positions",
        "racks",
        "limits",
        _first,
        _last_year,
        lambda sc, i: _positions(sc, i[0]).get(i[1], 0),
    ),
    Reading(
        "expansion_limit",
        "power expansion blocks",
        "blocks",
        "limits",
        _first,
        lambda sc, i: None,
        lambda sc, i: sc.sites.at[i[0], "expansion_max_blocks"],
    ),
    Reading(
        "capex_budget",
        "capex budget",
        "USD",
        "limits",
        lambda sc, i: "total",
        lambda sc, i: None,
        lambda sc, i: sc.policy["capex_budget_usd"] / MUSD,
        lambda sc: MUSD,
        floor=0.1,
    ),
    Reading(
        "capex_budget_yearly",
        "capex budget per year",
        "USD",
        "limits",
        lambda sc, i: "per year",
        _last_year,
        lambda sc, i: sc.policy["capex_budget_per_year_usd"] / MUSD,
        lambda sc: MUSD,
        floor=0.1,
    ),
    Reading(
        "rent_available",
        "cloud offer GPUs",
        "GPUs",
        "limits",
        _first,
        _last_year,
        lambda sc, i: sc.cloud_offers.at[i[0], "max_gpus"],
    ),
    Reading(
        "placement_allowed",
        "placement",
        "sites",
        "placement",
        lambda sc, i: f"{i[0]} at {i[1]}",
        _last_year,
        lambda sc, i: 1.0,
    ),
    Reading(
        "demand_met",
        "demand",
        "",
        "workloads",
        _first,
        _last_year,
        lambda sc, i: None,  # not used: `_row_limit` reads the model's demand Param
        floor=0.0,
    ),
)
READING_OF = {r.component: r for r in READINGS}


@dataclass
class _Elastic:
    """The elastic model loaded in HiGHS: each requirement's slack columns and weights."""

    model: pyo.ConcreteModel
    highs: HighsModel
    rows: dict  # (component, index) -> (slack variable, limit in row units)
    groups: dict  # requirement (component, its index without the year) -> [(component, index)]


@dataclass
class Option:
    """One way to give the scenario a plan: relax every requirement in `rows` together.

    `scenario` is the scenario with all of the option's edits made (None when one could not be
    made); `verified` says whether it was solved and has a plan.
    """

    number: int
    rows: pd.DataFrame
    scenario: Scenario | None
    verified: bool


def infeasible(scenario: Scenario, time_limit: float = 60.0) -> pd.DataFrame:
    """Why `scenario` has no plan: one row per requirement to relax (see the module docstring).

    Columns: option (relax every row of one option together; any one option is enough),
    requirement (in words), kind, where, year, needed, available, shortfall, unit, suggestion
    (the scenario edit), verified (the scenario with the option's edits was solved and has a
    plan). Empty when the scenario has a plan, or when no requirement aiopt can relax explains
    the conflict. `time_limit` (seconds) bounds the whole explanation.

    >>> aiopt.explain.infeasible(sc)[["option", "kind", "where", "suggestion"]]  # doctest: +SKIP
       option        kind             where                             suggestion
    0       1  site power              east    add 61 kW of facility power at east
    1       2  compliance  clinical at west  add certification hipaa-ready at west
    2       3    deadline          clinical        extend its deadline to 251 days
    """
    return table(options(scenario, time_limit))


def table(found: list[Option]) -> pd.DataFrame:
    """The rows of every option, numbered, in one DataFrame (the `infeasible` columns)."""
    frames = [option.rows.assign(verified=option.verified)[COLUMNS] for option in found]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)


def options(scenario: Scenario, time_limit: float = 60.0) -> list[Option]:
    """The options `infeasible` tabulates, each with its edited scenario ([]: nothing to relax,
    or nothing aiopt can relax helps). Raises `SolveError` (no_solution) when no option was
    found within `time_limit`: the sides share `SEARCH_SHARE` of it, the checks the rest."""
    started = time.perf_counter()
    elastic = _elastic_model(scenario)
    found, timed_out = [], False
    for n, sides in enumerate([{side} for side in SIDES] + [set(SIDES)]):
        if n == len(SIDES) and found:
            break  # all sides elastic at once only when no side alone resolves the conflict
        share = (started + SEARCH_SHARE * time_limit - time.perf_counter()) / max(len(SIDES) - n, 1)
        try:
            amounts = _minimal(elastic, sides, time.perf_counter() + share)
        except _OutOfTime:
            timed_out = True
            continue
        if amounts == {}:
            return []  # the scenario has a plan: nothing to relax
        if amounts is not None:
            found.append(amounts)
    if not found and timed_out:
        raise SolveError(
            f"no explanation of why scenario '{scenario.name}' has no plan was found within "
            f"{time_limit:g} s; give it more time (aiopt explain --time-limit)",
            Status.NO_SOLUTION,
        )
    checks = []
    for n, amounts in enumerate(found, start=1):
        share = (started + time_limit - time.perf_counter()) / (len(found) - n + 1)
        checks.append(_verified(scenario, n, _rows(scenario, elastic, amounts, n), share))
    return checks


def _elastic_model(scenario: Scenario) -> _Elastic:
    """Steps 1-3: the model with room to relax every requirement, minimising relative violation."""
    roomy = _with_rack_room(scenario)
    model = build_model(prepare(roomy, open_sites=True))
    _add_placement_rows(model, scenario)
    model.slack = pyo.VarList(domain=pyo.NonNegativeReals)
    rows, groups = {}, {}
    for reading in READINGS:
        component = model.find_component(reading.component)
        if component is None:
            continue
        for index, row in component.items():
            limit = _row_limit(scenario, reading, index, row)
            if limit is None or not row.active:
                continue
            slack = model.slack.add()
            if reading.component == "placement_allowed":
                slack.setub(1)
            if row.has_ub():  # racks_available: the positions the scenario has, not the roomy ones
                upper = limit if reading.component == "racks_available" else row.upper
                row.set_value((row.lower, row.body - slack, upper))
            else:
                row.set_value((row.lower, row.body + slack, row.upper))
            key = (reading.component, tuple(v for v in _tuple(index) if not isinstance(v, int)))
            rows[reading.component, index] = (slack, limit)
            groups.setdefault(key, []).append((reading.component, index))
    for name in WHOLE_DEMAND_ROWS:
        getattr(model, name).deactivate()
    model.objective.deactivate()
    model.violation = pyo.Objective(
        expr=sum(slack / max(limit, READING_OF[c].floor, 1e-9) for (c, _), (slack, limit) in rows.items())
    )
    highs = HighsModel(model, dict(mip_rel_gap=1e-4, threads=1, random_seed=0, log_to_console=False))
    return _Elastic(model, highs, rows, groups)


def _row_limit(sc: Scenario, reading: Reading, index, row) -> float | None:
    """The limit a row holds in its own unit, or None for a row that holds none (no budget set)."""
    if reading.component == "demand_met":
        return pyo.value(row.model().demand[index])
    if reading.component in ("capex_budget", "capex_budget_yearly") and not math.isfinite(
        pyo.value(row.upper)
    ):
        return None
    if reading.component == "rent_available" and pd.isna(sc.cloud_offers.at[index[0], "max_gpus"]):
        return None
    return float(reading.limit(sc, _tuple(index)))


def _tuple(index) -> tuple:
    return () if index is None else index if isinstance(index, tuple) else (index,)


def _positions(sc: Scenario, site: str) -> dict:
    racks = sc.site_racks[sc.site_racks.site == site]
    return {r: int(n) for r, n in zip(racks.rack_type, racks.racks, strict=True)}


def _with_rack_room(scenario: Scenario) -> Scenario:
    """`scenario` with `RACK_ROOM` times the rack positions at every site (step 1), checked."""
    source = scenario.source
    sites = [
        {**site, "racks": {r: n * RACK_ROOM for r, n in (site.get("racks") or {}).items()}}
        for site in source.document["sites"]
    ]
    return scenario_from({**source.document, "sites": sites}, source.catalog, source.file, path=scenario.path)


def _add_placement_rows(model: pyo.ConcreteModel, scenario: Scenario) -> None:
    """present[w,s,y] <= 0 where site s lacks what workload w asks for (compliance, residency, tenancy)."""
    sites, workloads = scenario.sites, scenario.workloads
    barred = [(w, s, y) for (w, s, y) in model.WSY if site_lacks(sites.loc[s], workloads.loc[w])]
    model.placement_allowed = pyo.Constraint(barred, rule=lambda m, w, s, y: m.present[w, s, y] <= 0)


class _OutOfTime(Exception):
    """HiGHS neither found a plan nor proved there is none in the time given."""


def _minimal(elastic: _Elastic, sides: set[str], deadline: float) -> dict | None:
    """Steps 3-4 with only `sides` elastic: {requirement key: {index: slack}} of a minimal set of
    requirements whose relaxation admits a plan ({} if none is needed), or None if relaxing those
    sides cannot help. A requirement whose trial runs out of time is kept (not shown droppable)."""
    candidates = [key for key in elastic.groups if READING_OF[key[0]].side in sides]
    if not candidates:
        return None
    amounts = _relaxed(elastic, candidates, _until(deadline, 0.5))
    if amounts is None:
        return None
    kept = list(amounts)
    for n, key in enumerate(list(kept)):
        try:
            trial = _relaxed(elastic, [k for k in kept if k != key], _until(deadline, 1 / (len(kept) - n)))
        except _OutOfTime:
            continue
        if trial is not None:
            kept.remove(key)
            amounts = trial
    return amounts


def _until(deadline: float, share: float) -> float:
    """`share` of the seconds left until `deadline`."""
    return max(deadline - time.perf_counter(), 0.0) * share


def _relaxed(elastic: _Elastic, keys: list, seconds: float) -> dict | None:
    """Solve with only the requirements `keys` elastic: their positive slacks by requirement
    (from the best plan found in `seconds`), None when the model has no plan even so; raises
    `_OutOfTime` when HiGHS found neither."""
    free = {row for key in keys for row in elastic.groups[key]}
    hard = [slack for row, (slack, _) in elastic.rows.items() if row not in free]
    columns = elastic.highs.columns_of(hard)
    with elastic.highs.fixed(columns, np.zeros(len(columns))):
        outcome = elastic.highs.run(seconds)
        if outcome.infeasible:
            return None
        if not outcome.has_solution:
            raise _OutOfTime
        values = elastic.highs.values()
    found: dict = {}
    for key in keys:
        for row in elastic.groups[key]:
            slack, limit = elastic.rows[row]
            value = values[elastic.highs.column_of[id(slack)]]
            if value > SLACK_TOLERANCE * max(abs(limit), 1.0):
                found.setdefault(key, {})[row[1]] = value
    return found


def _rows(sc: Scenario, elastic: _Elastic, amounts: dict, option: int) -> pd.DataFrame:
    """One option's requirements in words, with the numbers of the year that needs most; an
    `edit` column holds each one's scenario edit (None: no edit can relax it)."""
    records = []
    for (component, _), slacks in amounts.items():
        reading = READING_OF[component]
        shortfalls = {index: v * reading.per_unit(sc) for index, v in slacks.items()}
        worst = max(shortfalls, key=shortfalls.get)
        where = reading.where(sc, _tuple(worst))
        share = max(v / max(elastic.rows[component, index][1], 1e-12) for index, v in slacks.items())
        limit = elastic.rows[component, worst][1] * reading.per_unit(sc)
        record = dict(
            option=option,
            kind=reading.kind,
            where=where,
            year=reading.year(sc, _tuple(worst)),
            unit=reading.unit,
            shortfall=shortfalls[worst],
        )
        words = _WORDS[component](sc, where, _tuple(worst), limit, shortfalls[worst], share)
        record.update(words)
        records.append(record)
    frame = pd.DataFrame.from_records(records)
    return frame.astype({"year": "Int64", "needed": float, "available": float, "shortfall": float})


def _site_limit_words(what: Callable, unit: str, field: str, scale: float) -> Callable:
    """Words and edit of a site limit in kW or racks: needed = available + shortfall."""

    def words(sc, site, index, limit, shortfall, share):
        available = _available_of(sc, field, site, index) * scale
        needed = math.ceil(available + shortfall - 1e-6)
        return dict(
            requirement=(
                f"site {site} needs {needed:,} {what(index)}{_in(index)}; it has {available:,.0f} {unit}"
            ),
            needed=float(needed),
            available=float(available),
            suggestion=f"add {needed - available:,.0f} {what(index)} at {site}",
            edit=(lambda s: _site_edit(s, field, site, index, needed / scale if scale != 1 else needed)),
        )

    return words


def _number(value: float) -> str:
    """100,000 or 15.9: thousands separated, three significant digits below 100."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _in(index: tuple) -> str:
    """ " in 2027" for an index that names a year."""
    years = [v for v in index if isinstance(v, int | np.integer)]
    return f" in {years[0]}" if years else ""


def _available_of(sc: Scenario, field: str, site: str, index: tuple) -> float:
    if field == "racks":
        return _positions(sc, site).get(index[1], 0)
    column = f"{index[2]}_cooling_mw" if field == "cooling" else field
    return float(sc.sites.at[site, column])


def _site_edit(sc: Scenario, field: str, site: str, index: tuple, value: float) -> Scenario:
    if field == "racks":
        return sc.with_values("sites", site, racks={**_positions(sc, site), index[1]: int(value)})
    column = f"{index[2]}_cooling_mw" if field == "cooling" else field
    return sc.with_values("sites", site, **{column: value})


def _budget_words(field: str, label: str) -> Callable:
    def words(sc, where, index, limit, shortfall, share):
        available = float(sc.policy[field])
        needed = math.ceil(available + shortfall - 1e-6)
        return dict(
            requirement=f"the plan needs {needed:,} USD of capex {label}; the budget is {available:,.0f} USD",
            needed=float(needed),
            available=available,
            suggestion=f"raise {field} to {needed:,} (+{needed - available:,.0f} USD)",
            edit=lambda s: s.with_policy(**{field: needed}),
        )

    return words


def _offer_words(sc, offer, index, limit, shortfall, share):
    available = float(sc.cloud_offers.at[offer, "max_gpus"])
    needed = math.ceil(available + shortfall - 1e-6)
    return dict(
        requirement=f"the plan needs {needed:,} GPUs of cloud offer {offer}; it offers {available:,.0f}",
        needed=float(needed),
        available=available,
        suggestion=f"find {needed - available:,.0f} more GPUs on offer {offer} (max_gpus: {needed})",
        edit=lambda s: s.with_values("cloud_offers", offer, max_gpus=needed),
    )


def _placement_words(sc, where, index, limit, shortfall, share):
    w, s = index[0], index[1]
    workload, site = sc.workloads.loc[w], sc.sites.loc[s]
    lacks = dict(site_lacks(site, workload))
    fixes, edit = [], (lambda x: x)
    if "compliance" in lacks:
        certs = [c for c in workload.compliance if c not in site.certifications]
        fixes.append(f"add certification {', '.join(certs)} at {s}")
        certified = [*site.certifications, *certs]
        edit = _chain(edit, lambda x: x.with_values("sites", s, certifications=certified))
    if "dedicated" in lacks:
        fixes.append(f"make {s} dedicated")
        edit = _chain(edit, lambda x: x.with_values("sites", s, tenancy="dedicated"))
    if "region" in lacks:
        fixes.append(f"allow {w} outside {workload.region}")
        edit = _chain(edit, lambda x: x.with_values("workloads", w, region=None))
    return dict(
        requirement=f"workload {w} may run only at a site with {'; '.join(lacks.values())}; {s} lacks it",
        kind={"compliance": "compliance", "region": "residency", "dedicated": "tenancy"}[next(iter(lacks))],
        needed=1.0,
        available=0.0,
        suggestion=" and ".join(fixes),
        edit=edit,
    )


def _chain(first: Callable, then: Callable) -> Callable:
    return lambda sc: then(first(sc))


def _demand_words(sc, w, index, limit, shortfall, share):
    """A workload's demand; the year that falls shortest, by `share` of its demand, decides the
    edit (demand scales with 1/deadline for training, with tokens_per_s for serving)."""
    row = sc.workloads.loc[w]
    if row.kind in TRAINING_KINDS:
        unit, days, kind = "PFLOPS", float(row.deadline_days), "deadline"
        longer = math.ceil(days / (1 - share) - 1e-6) if share < 1 - 1e-9 else None
        fix = f"extend its deadline to {longer} days" if longer else "no deadline is long enough"
        edit = (lambda s: s.with_values("workloads", w, deadline_days=longer)) if longer else None
        said = f"to finish in {days:g} days"
    else:
        unit, rate, kind = "tokens/s", float(row.tokens_per_s), "serving rate"
        lower = math.floor(rate * (1 - share) + 1e-6)
        fix = f"serve at most {lower:,} tokens/s" if lower > 0 else "no serving rate fits"
        edit = (lambda s: s.with_values("workloads", w, tokens_per_s=lower)) if lower > 0 else None
        said = "to serve its rate"
    return dict(
        requirement=(
            f"workload {w} needs {_number(limit)} {unit}{_in(index)} {said}; "
            f"at most {_number(limit - shortfall)} can be had"
        ),
        kind=kind,
        unit=unit,
        needed=limit,
        available=limit - shortfall,
        suggestion=fix,
        edit=edit,
    )


_WORDS = {
    "site_power": _site_limit_words(lambda i: "kW of facility power", "kW", "power_mw", 1000),
    "cooling": _site_limit_words(lambda i: f"kW of {i[2]} cooling", "kW", "cooling", 1000),
    "racks_available": _site_limit_words(lambda i: f"{i[1]} rack positions", "", "racks", 1),
    "expansion_limit": _site_limit_words(lambda i: "power expansion blocks", "", "expansion_max_blocks", 1),
    "capex_budget": _budget_words("capex_budget_usd", "in total"),
    "capex_budget_yearly": _budget_words("capex_budget_per_year_usd", "in one year"),
    "rent_available": _offer_words,
    "placement_allowed": _placement_words,
    "demand_met": _demand_words,
}


def _verified(scenario: Scenario, number: int, rows: pd.DataFrame, seconds: float) -> Option:
    """Step 6: make the option's edits together, solve, and say whether a plan exists."""
    edits = list(rows.pop("edit"))
    if any(edit is None for edit in edits):
        return Option(number, rows, None, False)
    edited = scenario
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for edit in edits:
                edited = edit(edited)
    except InputError:
        return Option(number, rows, None, False)
    try:
        model = build_model(prepare(edited))
        solve_model(model, max(seconds, 1.0), rel_gap=0.05, progress=False, warm=False)
    except SolveError:
        return Option(number, rows, edited, False)
    return Option(number, rows, edited, True)


def _option_lines(rows: pd.DataFrame, label: str) -> list[str]:
    together = " (all of them together)" if len(rows) > 1 else ""
    return [
        f"  {label}{together}:",
        *(f"    - {row.requirement}: {row.suggestion}" for row in rows.itertuples()),
    ]


def describe(name: str, found: pd.DataFrame) -> str:
    """The `infeasible` table of scenario `name` as one readable block of text: the verified
    options as options; the changes that were tried and did not give a plan after them, marked so."""
    if found.empty:
        return (
            f"scenario '{name}' has no plan, and no requirement aiopt can relax (site power, cooling, "
            "rack positions, budgets, cloud offer caps, placement rules, deadlines, serving rates) "
            "explains why: the conflict is among the model's own rules (the solver's message names one)"
        )
    numbers = list(dict.fromkeys(found.option))
    works = [n for n in numbers if found[found.option == n].verified.all()]
    if not works:
        lines = [
            f"scenario '{name}' has no plan. These requirements conflict, but none of the changes "
            "below gave it one:"
        ]
    elif len(works) == 1:
        lines = [f"scenario '{name}' has no plan. This option gives it one (checked by solving it changed):"]
    else:
        lines = [
            f"scenario '{name}' has no plan. Any one of these {len(works)} options gives it one "
            "(each checked by solving the scenario with its changes made):"
        ]
    for shown, number in enumerate(works, start=1):
        lines += _option_lines(found[found.option == number], f"option {shown}")
    tried = [n for n in numbers if n not in works]
    if tried and works:
        lines.append(
            "  also in conflict, but these changes did not give a plan (not verified, so no option):"
        )
    for number in tried:
        lines += _option_lines(found[found.option == number], "tried")
    return "\n".join(lines)
