"""Random but valid scenarios derived from the shipped ones, and how each one ends.

`fuzz_scenario(rng)` takes a shipped scenario (data/scenarios/*.yaml), shrinks it so it
solves in seconds, and applies a few random edits a user might make: drop or copy sites, drop
workloads, scale demand x0.1-x20, tighten power, racks and budget, toggle compliance,
residency, tenancy and isolation, change the horizon, or give an id a name the model uses
internally. `run_case(path, out)` runs `aiopt solve` on it in-process and classifies the
outcome: a checked plan (exit 0), bad input (2) or no plan (3) are the acceptable ones; an
internal error (exit 1) or a plan that fails `aiopt.check_plan` is a bug.
Used by tests/test_fuzz.py and benchmarks/fuzz.py.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import io
import math
import random
import time
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import yaml

import aiopt
from aiopt import cli

SHIPPED = sorted((Path(__file__).resolve().parent.parent / "data" / "scenarios").glob("*.yaml"))
REGIONS = ("us", "eu", "apac")
CERTIFICATIONS = ("soc2", "iso27001", "hipaa-ready", "hitrust")
MOST_SITES, MOST_WORKLOADS, MOST_YEARS = 2, 2, 3  # keeps most scenarios solving in seconds
ACCEPTABLE = ("plan", "bad_input", "no_plan")


def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def _round(value: float) -> float:
    """Three significant digits: the numbers a user would type."""
    return float(f"{value:.3g}")


def drop_sites(doc: dict, rng: random.Random) -> None:
    doc["sites"] = rng.sample(doc["sites"], rng.randint(1, len(doc["sites"])))


def copy_site(doc: dict, rng: random.Random) -> None:
    site = copy.deepcopy(rng.choice(doc["sites"]))
    site["id"] = f"{site['id']}-copy{len(doc['sites'])}"
    site["region"] = rng.choice(REGIONS)
    doc["sites"].append(site)


def drop_workloads(doc: dict, rng: random.Random) -> None:
    doc["workloads"] = rng.sample(doc["workloads"], rng.randint(1, len(doc["workloads"])))


def scale_demand(doc: dict, rng: random.Random) -> None:
    for w in rng.sample(doc["workloads"], rng.randint(1, len(doc["workloads"]))):
        key = "tokens_per_s" if w["kind"] == "inference" else "tokens_t"
        w[key] = _round(w[key] * _log_uniform(rng, 0.1, 20))


def tighten_power(doc: dict, rng: random.Random) -> None:
    site = rng.choice(doc["sites"])
    site["power_mw"] = _round(site["power_mw"] * rng.uniform(0.05, 1))


def tighten_racks(doc: dict, rng: random.Random) -> None:
    site = rng.choice(doc["sites"])
    site["racks"] = {r: int(n * rng.uniform(0, 1)) for r, n in site["racks"].items()}


def set_budget(doc: dict, rng: random.Random) -> None:
    key = rng.choice(("capex_budget_usd", "capex_budget_per_year_usd"))
    doc["policy"][key] = _round(_log_uniform(rng, 1e6, 1e8))
    if rng.random() < 0.3:
        doc["policy"]["objective"] = rng.choice(("min_npv", "max_capacity"))


def toggle_compliance(doc: dict, rng: random.Random) -> None:
    if rng.random() < 0.5:
        w = rng.choice(doc["workloads"])
        w["compliance"] = [] if w.get("compliance") else [rng.choice(CERTIFICATIONS)]
    else:
        site = rng.choice(doc["sites"])
        site["certifications"] = rng.sample(CERTIFICATIONS, rng.randint(0, len(CERTIFICATIONS)))
        site["encrypted_wan"] = rng.random() < 0.7


def toggle_residency(doc: dict, rng: random.Random) -> None:
    w = rng.choice(doc["workloads"])
    w["region"] = rng.choice((None, *REGIONS))
    if w["region"] is None:
        del w["region"]


def toggle_tenancy(doc: dict, rng: random.Random) -> None:
    choice = rng.randrange(3)
    if choice == 0:
        site = rng.choice(doc["sites"])
        site["tenancy"] = "shared" if site.get("tenancy", "dedicated") == "dedicated" else "dedicated"
    else:
        w = rng.choice(doc["workloads"])
        key = ("dedicated", "isolated")[choice - 1]
        w[key] = not w.get(key, False)


def change_horizon(doc: dict, rng: random.Random) -> None:
    doc["policy"]["horizon_years"] = rng.randint(1, MOST_YEARS)
    if rng.random() < 0.3:
        w = rng.choice(doc["workloads"])
        w["start_year"] = doc["policy"].get("start_year", 2026) + rng.randint(
            0, doc["policy"]["horizon_years"] - 1
        )
        w["growth_per_year"] = _round(rng.uniform(-0.5, 1.5))


def internal_looking_ids(doc: dict, rng: random.Random) -> None:
    """Ids a model might use for itself: `shared` (pool), `any` (fabric slot), `infrastructure`."""
    w = rng.choice(doc["workloads"])
    w["id"] = rng.choice(("shared", "any", "infrastructure"))
    w["isolated"] = rng.random() < 0.7
    if rng.random() < 0.5:
        doc["sites"][0]["id"] = rng.choice(("shared", "any"))


MUTATIONS = (
    drop_sites,
    copy_site,
    drop_workloads,
    scale_demand,
    tighten_power,
    tighten_racks,
    set_budget,
    toggle_compliance,
    toggle_residency,
    toggle_tenancy,
    change_horizon,
    internal_looking_ids,
)


def shrink(doc: dict, rng: random.Random) -> None:
    """At most a few sites, workloads and years, so that most scenarios solve in seconds."""
    doc["sites"] = rng.sample(doc["sites"], min(len(doc["sites"]), MOST_SITES))
    doc["workloads"] = rng.sample(doc["workloads"], min(len(doc["workloads"]), MOST_WORKLOADS))
    doc["policy"]["horizon_years"] = min(doc["policy"].get("horizon_years", 3), MOST_YEARS)


@functools.cache
def _shipped(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def fuzz_scenario(rng: random.Random) -> dict:
    """A scenario document: a shipped scenario, shrunk, with one to four random edits."""
    source = rng.choice(SHIPPED)
    doc = copy.deepcopy(_shipped(source))
    shrink(doc, rng)
    edits = rng.sample(MUTATIONS, rng.randint(1, 4))
    for edit in edits:
        edit(doc, rng)
    doc["name"] = f"fuzz-{source.stem}"
    doc["description"] = "edits: " + ", ".join(e.__name__ for e in edits)
    return doc


@dataclass
class Outcome:
    """How one scenario ended: `kind` is plan, bad_input, no_plan, internal_error or unchecked_plan."""

    path: Path
    kind: str
    exit_code: int
    message: str
    seconds: float

    @property
    def acceptable(self) -> bool:
        return self.kind in ACCEPTABLE

    def __str__(self) -> str:
        return f"{self.kind} (exit {self.exit_code}, {self.seconds:.1f} s) {self.path}: {self.message}"


def run_case(path: Path, out: Path, time_limit: float = 2.0) -> Outcome:
    """`aiopt solve PATH --out OUT --time-limit T --quiet` in-process; a plan written is checked."""
    plans: list = []
    write_plan = cli.write_plan

    def keep_plan(plan, directory, force=False):
        plans.append(plan)
        return write_plan(plan, directory, force)

    stderr = io.StringIO()
    started = time.perf_counter()
    argv = ["solve", str(path), "--out", str(out), "--time-limit", str(time_limit), "--quiet"]
    with (
        mock.patch.object(cli, "write_plan", keep_plan),
        contextlib.redirect_stderr(stderr),
        contextlib.redirect_stdout(io.StringIO()),
    ):
        code = cli.main(argv)
    seconds = time.perf_counter() - started
    message = stderr.getvalue().strip()
    if code == cli.EXIT_OK:
        report = aiopt.check_plan(plans[0])
        kind, message = ("plan", plans[0].summary()) if report.ok else ("unchecked_plan", str(report))
    else:
        kind = {cli.EXIT_BAD_INPUT: "bad_input", cli.EXIT_SOLVE_FAILED: "no_plan"}.get(code, "internal_error")
    return Outcome(path, kind, code, message, seconds)


def write_case(seed: int, number: int, folder: Path) -> Path:
    """Write scenario `number` of the run with `seed` as folder/case-NNNN.yaml (one seed per case)."""
    path = folder / f"case-{number:04d}.yaml"
    path.write_text(yaml.safe_dump(fuzz_scenario(random.Random(f"{seed}/{number}")), sort_keys=False))
    return path
