"""Where workloads run and keep their data: residency, compliance and tenancy of every site
involved, encryption at rest and in transit, storage that holds and feeds the data."""

from __future__ import annotations

from collections import defaultdict

from . import physics
from .base import busiest, differ, num, over


def sites_allowed(plan) -> list[str]:
    """Every site a workload runs at or keeps data at meets its compliance tags, residency
    region and tenancy."""
    sc, out = plan.scenario, []
    used = {(r.workload, r.site, "runs") for r in plan.nodes.itertuples()}
    used |= {(r.workload, r.site, "keeps data") for r in plan.data.itertuples()}
    for w, s, what in sorted(used):
        lacks = physics.site_shortfalls(sc.sites.loc[s], sc.workloads.loc[w])
        if lacks:
            out.append(f"{w} {what} at {s}, which lacks {'; '.join(lacks)}")
    return out


def data_encrypted(plan) -> list[str]:
    """Regulated data (a workload with compliance tags) only on tiers encrypted at rest, and
    never across an unencrypted link: a regulated workload that runs at a site without an
    encrypted WAN in a year neither runs nor keeps data (hot or cold) at another site that year."""
    sc, out = plan.scenario, []
    regulated = {w for w, tags in sc.workloads.compliance.items() if tags}
    for row in plan.data[plan.data.workload.isin(regulated)].itertuples():
        if not sc.storage_tiers.at[row.storage_tier, "encryption_at_rest"]:
            out.append(
                f"{row.workload}/{row.site}/{row.storage_tier}/{row.year}: regulated data unencrypted at rest"
            )
    plain = {s for s, encrypted in sc.sites.encrypted_wan.items() if not encrypted}
    runs_at = plan.nodes.groupby(["workload", "year"]).site.unique()
    data_at = plan.data.groupby(["workload", "year"]).site.unique()
    for (w, y), sites in runs_at.items():
        if w not in regulated:
            continue
        for s in set(sites) & plain:
            elsewhere = {o for o in sites if o != s}
            if elsewhere:
                out.append(f"{w}/{y}: runs at {s} (WAN unencrypted) and at {', '.join(sorted(elsewhere))}")
            kept = sorted(set(data_at.get((w, y), ())) - {s})
            if kept:
                out.append(f"{w}/{y}: runs at {s} (WAN unencrypted), keeps data at {', '.join(kept)}")
    return out


def storage_holds_data(plan) -> list[str]:
    """Storage units hold the data placed on them (hot data on hot tiers); each workload keeps
    its hot data at every site where it runs (and none elsewhere) and its cold data somewhere,
    the TB stored being the TB that exist; hot tiers read fast enough for the training GPUs and
    write each checkpoint within its window."""
    sc, out = plan.scenario, []
    st, data = sc.storage_tiers, plan.data
    placed = data.groupby(["site", "storage_tier", "year"])[["hot_tb", "cold_tb"]].sum()
    for row in plan.storage.itertuples():
        key = (row.site, row.storage_tier, row.year)
        hot, cold = placed.loc[key].tolist() if key in placed.index else (0.0, 0.0)
        capacity = row.units * st.at[row.storage_tier, "unit_tb"]
        if over(hot + cold, capacity):
            out.append(
                f"{'/'.join(map(str, key))}: {num(hot + cold)} TB on {row.units} units of {num(capacity)} TB"
            )
    stored = set(zip(plan.storage.site, plan.storage.storage_tier, plan.storage.year, strict=True))
    for key in set(placed.index) - stored:
        out.append(f"{'/'.join(map(str, key))}: data with no storage units")
    cold_tiers = data[(data.hot_tb > 0) & ~data.storage_tier.map(st.hot).astype(bool)]
    out += [
        f"{r.workload}/{r.site}/{r.storage_tier}/{r.year}: hot data on a cold tier"
        for r in cold_tiers.itertuples()
    ]
    hot_at = data.groupby(["workload", "site", "year"]).hot_tb.sum()
    cold_of = data.groupby(["workload", "year"]).cold_tb.sum()
    running = set(plan.nodes[["workload", "site", "year"]].itertuples(index=False, name=None))
    for w, s, y in sorted(running | set(hot_at[hot_at > 0].index)):
        wl = sc.workloads.loc[w]
        need = physics.hot_tb_needed(wl, physics.served_model(sc, wl), y) if (w, s, y) in running else 0.0
        have = hot_at.get((w, s, y), 0.0)
        if differ(have, need):
            where = "where it runs" if (w, s, y) in running else "where it does not run"
            out.append(f"{w}/{s}/{y}: {num(have)} TB hot data {where}, has {num(need)} TB")
    for w, wl in sc.workloads.iterrows():
        for y in sc.years:
            need = physics.cold_tb_needed(wl, y)
            if differ(cold_of.get((w, y), 0.0), need):
                out.append(f"{w}/{y}: {num(cold_of.get((w, y), 0.0))} TB cold data kept, has {num(need)} TB")
    return out + _bandwidth(plan)


def _bandwidth(plan) -> list[str]:
    sc, out = plan.scenario, []
    st, wl = sc.storage_tiers, sc.workloads
    read, write = defaultdict(float), defaultdict(float)
    for row in plan.storage[plan.storage.storage_tier.map(st.hot).astype(bool)].itertuples():
        read[row.site, row.year] += row.units * st.at[row.storage_tier, "read_gbps_per_unit"]
        write[row.site, row.year] += row.units * st.at[row.storage_tier, "write_gbps_per_unit"]
    training = plan.nodes[plan.nodes.workload.map(wl.kind) != "inference"]
    writes = defaultdict(float)
    reads = {}  # the most the runs under way on any day read, from the run calendar
    for (s, y), runs in plan.schedule.dropna().groupby(["site", "year"]):
        gpus = runs.nodes * runs.tier.map(sc.gpu_tiers.gpus_per_node)
        reads[s, y] = busiest(runs, gpus * runs.workload.map(wl.read_gbps_per_gpu))
    for w, s, y in training[["workload", "site", "year"]].drop_duplicates().itertuples(index=False):
        writes[s, y] += physics.checkpoint_gbps(wl.loc[w])
    for (s, y), need in reads.items():
        if over(need, read[s, y]):
            out.append(
                f"{s}/{y}: training runs under way read {num(need)} GB/s, hot storage gives {num(read[s, y])}"
            )
    for (s, y), need in writes.items():
        if over(need, write[s, y]):
            out.append(
                f"{s}/{y}: checkpoints need {num(need)} GB/s of writes, hot storage gives {num(write[s, y])}"
            )
    return out


def data_moves_paid(plan) -> list[str]:
    r"""Data that leaves a site is paid for: per workload and year, the TB moved are at least the
    cold TB that left each site, :math:`\max(0, \kappa\, C^{s}_{y-1} - C^{s}_{y})` with
    :math:`\kappa = \min(1, C_y / C_{y-1})`, plus the hot TB of each site it runs at and did not
    the year before (none in its first year); `data_moves` costs the transfer price per TB and
    adds up to the `data_transfer` opex of each year."""
    sc, out = plan.scenario, []
    price, moves = sc.policy["transfer_usd_per_tb"], plan.data_moves
    cold = plan.data.groupby(["workload", "site", "year"]).cold_tb.sum()
    runs = set(plan.nodes[["workload", "site", "year"]].itertuples(index=False, name=None))
    moved = moves.groupby(["workload", "year"]).tb.sum()
    for w, wl in sc.workloads.iterrows():
        for y in [y for y in sc.years[1:] if y - 1 >= wl.start_year]:
            before = physics.cold_tb_needed(wl, y - 1)
            keep = min(1.0, physics.cold_tb_needed(wl, y) / before) if before > 0 else 0.0
            hot = physics.hot_tb_needed(wl, physics.served_model(sc, wl), y)
            need = sum(
                max(0.0, keep * cold.get((w, s, y - 1), 0.0) - cold.get((w, s, y), 0.0))
                + hot * ((w, s, y) in runs and (w, s, y - 1) not in runs)
                for s in sc.sites.index
            )
            if over(need, moved.get((w, y), 0.0)):
                out.append(
                    f"{w}/{y}: {num(moved.get((w, y), 0.0))} TB moved between sites, needs {num(need)}"
                )
    for row in moves.itertuples():
        if differ(row.usd, row.tb * price, usd=True):
            move = f"{row.workload}/{row.year} {row.from_site}->{row.to_site}"
            out.append(f"{move}: {row.usd:,.2f} USD for {num(row.tb)} TB at {price:,.2f} USD/TB")
    costs = plan.costs[plan.costs.category == "data_transfer"].groupby("year").usd.sum()
    paid = moves.groupby("year").usd.sum()
    for y in sc.years:
        if differ(costs.get(y, 0.0), paid.get(y, 0.0), usd=True):
            have, listed = costs.get(y, 0.0), paid.get(y, 0.0)
            out.append(f"{y}: data_transfer costs {have:,.2f} USD, data_moves add up to {listed:,.2f}")
    return out
