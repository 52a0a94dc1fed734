"""Write a plan to disk atomically: plan.json (every table) and one CSV per table.

Files are written into a temporary directory beside the target and moved into place only
when all of them are complete, so a failure never leaves a half-written plan behind.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from .results import Plan


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
    }


def write_plan(plan: Plan, out_dir: str | Path) -> Path:
    """Write `plan.json` and `<table>.csv` files into `out_dir` (replaced as a whole)."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    try:
        (staging / "plan.json").write_text(json.dumps(plan_to_dict(plan), indent=1))
        for name, frame in plan.tables().items():
            frame.to_csv(staging / f"{name}.csv", index=False)
        old = None
        if out_dir.exists():
            old = out_dir.with_name(f".{out_dir.name}-old-{os.getpid()}")
            os.replace(out_dir, old)
        os.replace(staging, out_dir)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir
