"""Batch scenario sweeps: many variants of one scenario, solved on a process pool or Dask.

`sweep(spec, out=...)` reads a sweep spec (`aiopt.sweep.spec`), solves every variant, warm
where only mutable Params change (`aiopt.sweep.warm`), records one row per variant under `out`
as it finishes (`aiopt.sweep.store`; a rerun resumes) and returns the results table. The
functions of `aiopt.sweep.analysis` read that table: tornado data, Pareto rows, plan diffs.
"""

from aiopt.sweep.runner import BACKENDS, sweep
from aiopt.sweep.spec import SweepSpec, Variant, load_spec, variant_id

__all__ = ["BACKENDS", "SweepSpec", "Variant", "load_spec", "sweep", "variant_id"]
