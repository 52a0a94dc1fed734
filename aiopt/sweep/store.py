"""A sweep's results folder: one Parquet file per finished variant, so nothing is lost or doubled.

    OUT/sweep.json              the spec's fingerprint: a different spec is refused (or, forced, replaces)
    OUT/results/<id>.parquet    one row per variant: written to a temporary name, synced, renamed
    OUT/plans/<id>/             each variant's plan tables (`keep_plans`), written before its row

A row's file exists whole or not at all, so a resume solves exactly the variants without one.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd

from aiopt.errors import InputError, Problem
from aiopt.export import write_plan
from aiopt.read import display_path
from aiopt.results import Plan

MARKER = "sweep.json"


class ResultStore:
    """The results folder `out` of one sweep spec (see the module docstring)."""

    def __init__(self, out: str | Path):
        self.out = Path(out)
        self.results, self.plans = self.out / "results", self.out / "plans"

    def claim(self, fingerprint: str, spec_file: str, force: bool = False) -> None:
        """Make `out` this spec's folder. Raises `InputError` when it holds another spec's results
        or other files, unless `force` (which discards the other spec's results and plans)."""
        marker = self.out / MARKER
        where = display_path(self.out)
        if marker.exists():
            if json.loads(marker.read_text()).get("fingerprint") != fingerprint:
                if not force:
                    fix = (
                        "holds the results of a different sweep spec (or base scenario); "
                        "use another --out, or --force to discard them"
                    )
                    raise InputError([Problem(where, "folder", "--out", where, fix)])
                shutil.rmtree(self.results, ignore_errors=True)
                shutil.rmtree(self.plans, ignore_errors=True)
        elif self.out.exists() and any(self.out.iterdir()) and not force:
            fix = "is not a sweep results folder and not empty; use a new folder, or --force to write into it"
            raise InputError([Problem(where, "folder", "--out", where, fix)])
        self.results.mkdir(parents=True, exist_ok=True)
        _replace(marker, json.dumps({"fingerprint": fingerprint, "spec": spec_file}).encode())
        for stale in [*self.out.glob(".*.tmp"), *self.results.glob(".*.tmp")]:  # writes cut short
            stale.unlink()

    def done(self) -> set[str]:
        """Ids of the variants with a result."""
        return {path.stem for path in self.results.glob("*.parquet")}

    def write(self, row: dict, plan: Plan | None = None) -> None:
        """Record one variant's row (and its plan first, when given)."""
        if plan is not None:
            write_plan(plan, self.plans / row["id"], force=True)
        frame = pd.DataFrame([row])
        with open(self.results / f".{row['id']}.{os.getpid()}.tmp", "wb") as handle:
            frame.to_parquet(handle, index=False)
        _replace(self.results / f"{row['id']}.parquet", None, Path(handle.name))

    def table(self, ids: list[str]) -> pd.DataFrame:
        """The rows of `ids` that have a result, in that order."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        done = self.done()
        rows = [pq.read_table(self.results / f"{i}.parquet") for i in ids if i in done]
        if not rows:
            return pd.DataFrame()
        return pa.concat_tables(rows, promote_options="permissive").to_pandas()  # one type per column


def _replace(path: Path, content: bytes | None, written: Path | None = None) -> None:
    """Put `content` (or the file `written`) at `path` atomically: synced, then renamed."""
    temporary = written or path.with_name(f".{path.name}.{os.getpid()}.tmp")
    if content is not None:
        temporary.write_bytes(content)
    with open(temporary, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, path)
