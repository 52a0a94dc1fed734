"""Write a plan folder: plan.json (every table at full precision) and one CSV per table.

A plan folder is marked by the manifest at the top of its plan.json, listing what aiopt wrote::

    "manifest": {"written_by": "aiopt", "aiopt_version": "0.1.0",
                 "files": ["kpis.csv", "nodes.csv", ..., "solve_info.csv", "plan.json"]}

(A plan.json from before manifests, with keys scenario, status, summary and tables, lists
itself and its tables' CSVs.) `write_plan` writes into a new or empty folder or an earlier plan
folder; any other folder is refused unless `force=True`. Either way only aiopt's files are
touched: the new ones, and those an earlier manifest lists that the new plan no longer writes
(removed). Every new file is first written complete into a staging folder inside the target
(same filesystem), then moved into place with `os.replace`, plan.json last, so a failed write
leaves the earlier plan as it was. Folders and files get the user's umask. The CSV form (units
in headers, rounding) is `output_schema`'s.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import __version__
from .errors import InputError, Problem
from .output_schema import csv_frame, read_csv
from .read import display_path
from .results import Plan

PLAN_JSON = "plan.json"
TABLE_FILES = tuple(f"{name}.csv" for name in Plan.TABLES)
PLAN_FILES = (*TABLE_FILES, PLAN_JSON)  # plan.json last: it vouches for the tables beside it
WRITER = "aiopt"


def _clean(value):
    """JSON-safe scalars: numpy types to Python, NaN/inf to None."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{k: _clean(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def plan_to_dict(plan: Plan) -> dict:
    """Everything in the plan: top-level status and gap, then every table as records."""
    return {
        "scenario": plan.scenario.name,
        "status": plan.status,
        "gap": _clean(plan.gap),
        "optimal": plan.info.optimal,
        "summary": plan.summary(),
        "tables": {name: _records(frame) for name, frame in plan.tables().items()},
        "run": {k: _clean(v) if not isinstance(v, dict) else v for k, v in plan.manifest.items()},
        "assumptions": _records(plan.assumptions),
    }


@dataclass
class WrittenPlan:
    """A plan read back from its folder (`read_plan_dir`): its tables at full precision, the run
    manifest, the input values and the summary line; what `aiopt.workbook` needs."""

    name: str
    summary_text: str
    frames: dict[str, pd.DataFrame]
    manifest: dict
    assumptions: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        return self.frames

    def summary(self) -> str:
        return self.summary_text


def read_plan_dir(out_dir: str | Path) -> WrittenPlan:
    """The plan `write_plan` wrote into `out_dir`, from its plan.json (a table with no rows takes
    its columns from its CSV). InputError when the folder holds no plan written with a manifest."""
    out_dir = Path(out_dir)
    try:
        doc = json.loads((out_dir / PLAN_JSON).read_text())
    except (OSError, ValueError) as exc:
        raise _unreadable(
            out_dir, f"no readable {PLAN_JSON} ({exc}); solve into it with aiopt solve --out"
        ) from exc
    if not isinstance(doc, dict) or not {"tables", "run", "assumptions"} <= doc.keys():
        raise _unreadable(out_dir, "written by an older aiopt, without a run manifest; solve it again")
    frames = {name: _frame(rows, out_dir / f"{name}.csv") for name, rows in doc["tables"].items()}
    return WrittenPlan(doc["scenario"], doc["summary"], frames, doc["run"], pd.DataFrame(doc["assumptions"]))


def _frame(rows: list[dict], csv: Path) -> pd.DataFrame:
    """A table from its records; JSON's nulls as NaN (an all-null column too); no records: the
    columns of its CSV."""
    if not rows and csv.is_file():
        return read_csv(csv)
    frame = pd.DataFrame(rows)
    empty = [column for column in frame.columns if frame[column].isna().all()]
    return frame.astype(dict.fromkeys(empty, float))


def _unreadable(out_dir: Path, fix: str) -> InputError:
    return InputError([Problem(display_path(out_dir), "plan folder", PLAN_JSON, str(out_dir), fix)])


def earlier_plan_files(out_dir: str | Path) -> list[str] | None:
    """The files the manifest in `out_dir/plan.json` lists, or None if no aiopt plan is there."""
    try:
        doc = json.loads((Path(out_dir) / PLAN_JSON).read_text())
    except (OSError, ValueError):
        return None
    files = _listed(doc) if isinstance(doc, dict) else None
    if not isinstance(files, list):
        return None
    plain = [name for name in files if isinstance(name, str) and Path(name).name == name]  # no paths
    return [name for name in plain if name not in ("", ".", "..")]


def _listed(doc: dict) -> list | None:
    manifest = doc.get("manifest")
    if isinstance(manifest, dict) and manifest.get("written_by") == WRITER:
        return manifest.get("files")
    if {"scenario", "status", "summary", "tables"} <= doc.keys() and isinstance(doc["tables"], dict):
        return [*(f"{name}.csv" for name in doc["tables"]), PLAN_JSON]  # written before manifests
    return None


def check_out_dir(out_dir: str | Path, force: bool = False) -> None:
    """Raise InputError unless `write_plan(plan, out_dir, force)` may write there."""
    out_dir = Path(out_dir)
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise _refused(out_dir, "is a file, not a folder; pick a folder for the plan")
    blocked = [name for name in PLAN_FILES if (out_dir / name).is_dir()]
    if blocked:
        raise _refused(out_dir, f"holds folders named like aiopt's files: {', '.join(blocked)}")
    if force or earlier_plan_files(out_dir) is not None:
        return
    foreign = sorted(entry.name for entry in out_dir.iterdir())
    if foreign:
        listed = ", ".join(foreign[:3]) + ", ..." * (len(foreign) > 3)
        raise _refused(
            out_dir,
            f"holds files aiopt did not write ({listed}); pick a new or empty folder, "
            "or pass --force (force=True from Python) to replace only aiopt's files there "
            "(plan.json, <table>.csv) and leave every other file untouched",
        )


def _refused(out_dir: Path, fix: str) -> InputError:
    return InputError([Problem(display_path(out_dir), "output folder", "--out", str(out_dir), fix)])


def write_plan(plan: Plan, out_dir: str | Path, force: bool = False) -> Path:
    """Write `plan.json` and `<table>.csv` files into `out_dir`, touching no file aiopt did not write.

    `out_dir` must be new, empty or an earlier plan folder; `force=True` also writes into any
    other folder, replacing only files named like aiopt's (see the module docstring).
    """
    out_dir = Path(out_dir)
    check_out_dir(out_dir, force)
    stale = set(earlier_plan_files(out_dir) or ()) - set(PLAN_FILES)
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".aiopt-staging-", dir=out_dir))
    try:
        for name, frame in plan.tables().items():
            csv_frame(name, frame).to_csv(staging / f"{name}.csv", index=False)
        manifest = {"written_by": WRITER, "aiopt_version": __version__, "files": list(PLAN_FILES)}
        (staging / PLAN_JSON).write_text(json.dumps({"manifest": manifest, **plan_to_dict(plan)}, indent=1))
        for name in TABLE_FILES:
            os.replace(staging / name, out_dir / name)
        for name in stale:
            if (out_dir / name).is_file():
                (out_dir / name).unlink()
        os.replace(staging / PLAN_JSON, out_dir / PLAN_JSON)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out_dir


def write_atomically(path: str | Path, write: Callable[[Path], object]) -> Path:
    """`write(temporary)` into a temporary file beside `path` (same folder, same filesystem), given
    the user's umask and moved into place with `os.replace`: `path` holds the earlier file or the
    whole new one, never part of one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        write(temporary)
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
