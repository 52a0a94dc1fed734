"""One schema per input table: field, type, unit, default, description.

The schema drives three things: validation (`aiopt.validate`), defaults (`aiopt.scenario`)
and the reference table in `docs/inputs.md` (`render_docs`). A field whose default is
`REQUIRED` must be given; `None` means "optional, no value". A value outside a field's hard
bounds (`low`, `high`) is an error; outside its `usual` range, a `PlausibilityWarning`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

REQUIRED = object()

# kinds understood by the validator
STR, INT, FLOAT, BOOL, LIST, MAP = "str", "int", "float", "bool", "list[str]", "mapping"


@dataclass(frozen=True)
class Field:
    """One column of a catalog CSV or one key of a scenario YAML table."""

    name: str
    kind: str
    unit: str = ""
    default: object = REQUIRED
    description: str = ""
    low: float | None = None  # inclusive lower bound for numbers
    high: float | None = None  # inclusive upper bound for numbers
    choices: tuple[str, ...] = ()
    ref: str | None = None  # table whose ids this field (or list) must name
    positive: bool = False  # strictly > 0
    usual: tuple[float, float] | None = None  # (low, high) of plausible values; outside: a warning

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    @property
    def usual_text(self) -> str:
        """The usual range as text, e.g. '1,000 to 20,000,000' ('' when the field has none)."""
        if self.usual is None:
            return ""
        return " to ".join(f"{v:,.0f}" if float(v).is_integer() else f"{v:,g}" for v in self.usual)


@dataclass(frozen=True)
class Table:
    name: str
    where: str  # "catalog" (CSV under aiopt/data/catalog) or "scenario" (YAML)
    description: str
    fields: tuple[Field, ...] = field(default_factory=tuple)
    retired: dict[str, str] = field(default_factory=dict)  # removed field -> how to migrate

    def __getitem__(self, name: str) -> Field:
        return {f.name: f for f in self.fields}[name]

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]


def _id(what: str) -> Field:
    return Field("id", STR, description=f"Unique {what} id, lower-case with dashes.")


def _source() -> Field:
    return Field("source", STR, description="Where the figures come from; '[est]' marks estimates.")


COOLING_KINDS = ("air", "rear_door", "liquid")
# architecture layers a site service belongs to (each is also a capex category of the plan)
SERVICE_LAYERS = (
    "management",
    "observability",
    "storage_network",
    "frontend_network",
    "oob_network",
    "security",
)
# compliance tags no longer taken (sites' certifications, workloads' compliance) -> how to migrate
RETIRED_TAGS = {
    "hipaa": "renamed hipaa-ready: HHS certifies no one, so a site that signs a BAA and is attested "
    "(SOC 2 + HIPAA mapping) holds hipaa-ready, and a HITRUST-certified one also hitrust; "
    "write hipaa-ready instead of hipaa",
}

GPU_TIERS = Table(
    "gpu_tiers",
    "catalog",
    "GPU tiers / node SKUs. A rack-scale system (GB200 NVL72) is a tier whose node is a rack.",
    (
        _id("tier"),
        Field("name", STR, description="Human-readable name."),
        Field("vendor", STR, description="Vendor."),
        Field("gpus_per_node", INT, "GPUs", description="Accelerators per node.", positive=True),
        Field(
            "tflops_bf16",
            FLOAT,
            "TFLOPS",
            description="Dense BF16 TFLOPS per GPU.",
            positive=True,
            usual=(1, 50_000),
        ),
        Field(
            "tflops_fp8",
            FLOAT,
            "TFLOPS",
            None,
            "Dense FP8 TFLOPS per GPU; empty where the tier has no FP8.",
            positive=True,
            usual=(1, 50_000),
        ),
        Field(
            "hbm_gb", FLOAT, "GB", description="Accelerator memory per GPU.", positive=True, usual=(1, 2_000)
        ),
        Field(
            "node_kw", FLOAT, "kW", description="Node maximum power draw.", positive=True, usual=(0.1, 500)
        ),
        Field("rack_units", INT, "U", description="Rack units one node takes.", positive=True),
        Field(
            "price_usd",
            FLOAT,
            "USD",
            description="Price of one node, installed.",
            positive=True,
            usual=(1_000, 20_000_000),
        ),
        Field("support_pct", FLOAT, "%/yr", 8.0, "Support and maintenance, % of price per year.", 0, 100),
        Field("cooling", STR, description="Cooling the node needs.", choices=("air", "liquid", "either")),
        Field("available_from", INT, "year", 2020, "First year the tier can be bought.", 2000, 2100),
        Field("fabric_ports", INT, "ports", None, "Compute-fabric ports per node (default: one per GPU).", 1),
        Field(
            "mfu",
            FLOAT,
            "fraction",
            0.40,
            "BF16 training model-FLOPs utilisation (calibration: see data/calibration/training.csv).",
            0.01,
            1,
        ),
        Field(
            "mfu_fp8",
            FLOAT,
            "fraction",
            None,
            "FP8 training MFU, of the FP8 peak; empty: FP8 training may not use the tier.",
            0.01,
            1,
        ),
        Field("node_mtbf_hours", FLOAT, "h", 50_000.0, "Mean time between node failures.", positive=True),
        Field("hbm_tbps", FLOAT, "TB/s", None, "Memory bandwidth per GPU (serving needs it).", positive=True),
        Field(
            "tflops_fp4", FLOAT, "TFLOPS", None, "Dense FP4 TFLOPS per GPU (empty: no FP4).", positive=True
        ),
        Field(
            "nvlink_domain_gpus",
            INT,
            "GPUs",
            None,
            "GPUs one scale-up (NVLink-class) domain joins; a serving replica stays inside one "
            "(default: a node).",
            positive=True,
        ),
        Field(
            "eta_bw",
            FLOAT,
            "fraction",
            0.55,
            "Serving: share of memory bandwidth a decode step reaches.",
            0.01,
            1,
        ),
        Field(
            "eta_compute",
            FLOAT,
            "fraction",
            0.375,
            "Serving: share of peak TFLOPS prefill and compute-bound decode reach.",
            0.01,
            1,
        ),
        Field(
            "integrated_nics",
            BOOL,
            "",
            False,
            "Compute-fabric NICs are on the chip (Gaudi 3: 24x200GbE RoCE): no NIC is bought per port.",
        ),
        Field(
            "fabrics",
            LIST,
            "",
            (),
            "Compute fabrics the tier's nodes can join, ';'-separated (empty: any).",
            ref="fabrics",
        ),
        Field(
            "stack",
            STR,
            "",
            None,
            "Software stack the tier runs on, a `software_stacks` id (empty: none, no stack cost).",
            ref="software_stacks",
        ),
        Field(
            "price_decline_per_year",
            FLOAT,
            "fraction/yr",
            0.0,
            "Yearly fall of the node price: price × (1 − decline)^(year − start year); negative: a rise.",
            -0.5,
            0.9,
            usual=(-0.2, 0.5),
        ),
        Field(
            "available_to", INT, "year", None, "Last year the tier can be bought (empty: no end).", 2000, 2100
        ),
        _source(),
    ),
)

MODELS = Table(
    "models",
    "catalog",
    "Model architectures that serving workloads name (`model`); sizes the inference roofline.",
    (
        _id("model"),
        Field("name", STR, description="Human-readable name."),
        Field(
            "total_params_b", FLOAT, "B params", description="All parameters (weights held).", positive=True
        ),
        Field(
            "active_params_b",
            FLOAT,
            "B params",
            description="Parameters used per token (MoE: shared + routed experts; dense: all).",
            positive=True,
        ),
        Field("layers", INT, "layers", description="Transformer layers.", positive=True),
        Field("kv_heads", INT, "heads", description="Key/value heads per layer (GQA).", positive=True),
        Field("head_dim", INT, "", description="Dimension of one attention head.", positive=True),
        Field("context_tokens", INT, "tokens", description="Longest context the model takes.", positive=True),
        _source(),
    ),
)

# how a multi-node training job's scaling efficiency falls with its size (fabrics and rented clusters)
SCALING_WITH_SIZE = (
    Field(
        "scaling_reference_gpus",
        INT,
        "GPUs",
        16_384,
        "Job size at which `scaling_efficiency` holds (default: the 16k-H100 Llama 3 runs the "
        "tiers' MFU figures come from); a job inside one node or NVLink domain is not derated.",
        positive=True,
    ),
    Field(
        "scaling_loss_per_doubling",
        FLOAT,
        "fraction",
        0.014,
        "Efficiency lost per doubling of the job's GPUs from the reference size (SemiAnalysis, "
        "Aug 2025: Llama-3-70B FP8 MFU 38.1% on 64 H100, 35.5% on 2,048, -7% over 5 doublings).",
        0,
        0.5,
    ),
)

FABRICS = Table(
    "fabrics",
    "catalog",
    "Compute-fabric options (rail-optimised fat tree of one switch model).",
    (
        _id("fabric"),
        Field("name", STR, description="Human-readable name."),
        Field("kind", STR, description="Link technology.", choices=("infiniband", "ethernet")),
        Field("port_gbps", FLOAT, "Gb/s", description="Port speed per GPU.", positive=True),
        Field("radix", INT, "ports", description="Ports per switch.", low=4),
        Field("switch_price_usd", FLOAT, "USD", description="Price of one switch.", positive=True),
        Field("switch_kw", FLOAT, "kW", description="Power of one switch.", positive=True),
        Field("switch_ru", INT, "U", 1, "Rack units per switch.", 1),
        Field("nic_price_usd", FLOAT, "USD", description="NIC price per fabric port.", low=0),
        Field("link_price_usd", FLOAT, "USD", description="Optics/cable price per link.", low=0),
        Field(
            "scaling_efficiency",
            FLOAT,
            "fraction",
            description="Distributed-training scaling efficiency on this fabric at `scaling_reference_gpus`.",
            low=0.01,
            high=1,
        ),
        Field("nodes_per_su", INT, "nodes", 32, "Nodes per scalable unit (SU).", 1),
        Field("rails", INT, "rails", 8, "Rails (leaf switches) per SU.", 1),
        Field("support_pct", FLOAT, "%/yr", 8.0, "Support, % of price per year.", 0, 100),
        *SCALING_WITH_SIZE,
        _source(),
    ),
)

STORAGE_TIERS = Table(
    "storage_tiers",
    "catalog",
    "Storage tiers, bought in whole units.",
    (
        _id("storage tier"),
        Field("name", STR, description="Human-readable name."),
        Field("hot", BOOL, description="Can serve training reads and checkpoints (flash)."),
        Field(
            "unit_tb", FLOAT, "TB", description="Usable TB per unit (the minimum purchase).", positive=True
        ),
        Field("usd_per_tb", FLOAT, "USD/TB", description="Price per usable TB.", positive=True),
        Field("read_gbps_per_unit", FLOAT, "GB/s", description="Read bandwidth per unit.", low=0),
        Field("write_gbps_per_unit", FLOAT, "GB/s", description="Write bandwidth per unit.", low=0),
        Field("kw_per_unit", FLOAT, "kW", description="Power per unit.", low=0),
        Field("ru_per_unit", INT, "U", description="Rack units per unit.", low=0),
        Field("encryption_at_rest", BOOL, description="Supports encryption at rest."),
        Field("support_pct", FLOAT, "%/yr", 10.0, "Support, % of price per year.", 0, 100),
        _source(),
    ),
)

RACK_TYPES = Table(
    "rack_types",
    "catalog",
    "Rack types by cooling kind and usable power.",
    (
        _id("rack type"),
        Field("name", STR, description="Human-readable name."),
        Field("cooling", STR, description="Cooling kind.", choices=COOLING_KINDS),
        Field(
            "usable_kw", FLOAT, "kW", description="Usable IT power per rack.", positive=True, usual=(1, 500)
        ),
        Field("rack_units", INT, "U", description="Usable rack units.", positive=True),
        Field("price_usd", FLOAT, "USD", 0.0, "Fit-out price per rack (PDUs, manifolds, containment).", 0),
        _source(),
    ),
)

SERVICES = Table(
    "services",
    "catalog",
    "Per-site infrastructure around the compute: management, observability, storage and "
    "front-end networks, out-of-band management. Quantity scales with `basis`.",
    (
        _id("service"),
        Field("name", STR, description="Human-readable name."),
        Field(
            "layer",
            STR,
            description="Architecture layer.",
            choices=SERVICE_LAYERS,
        ),
        Field(
            "basis",
            STR,
            description="What one item is counted per: site, serving_site (a site from the first "
            "year it serves inference: load balancers, API gateways), rack (every fitted rack, "
            "compute or gear), node or gpu.",
            choices=("site", "serving_site", "rack", "node", "gpu"),
        ),
        Field(
            "per_basis",
            FLOAT,
            "items",
            1.0,
            "Items per basis unit (e.g. 0.0625 switches per node).",
            positive=True,
        ),
        Field(
            "fabric_kind",
            STR,
            "",
            "any",
            "Only at sites whose compute fabric is of this kind.",
            choices=("any", "infiniband", "ethernet"),
        ),
        Field("price_usd", FLOAT, "USD", description="Capex per item.", low=0),
        Field("annual_usd", FLOAT, "USD/yr", 0.0, "Opex per item per year (licences, subscriptions).", 0),
        Field("kw", FLOAT, "kW", 0.0, "Power per item.", 0),
        Field("ru", FLOAT, "U", 0.0, "Rack units per item.", 0),
        Field(
            "stacks",
            LIST,
            "",
            (),
            "Node and gpu basis: count only the nodes of GPU tiers of these software stacks "
            "(e.g. a CUDA licence; empty: every tier).",
        ),
        _source(),
    ),
)

POLICY = Table(
    "policy",
    "scenario",
    "Planning policy (YAML `policy:` mapping).",
    (
        Field("start_year", INT, "year", 2026, "First planning year.", 2000, 2100),
        Field("horizon_years", INT, "years", 3, "Number of planning years.", 1, 15),
        Field("discount_rate", FLOAT, "fraction/yr", 0.08, "Discount rate for NPV.", 0, 0.5, usual=(0, 0.25)),
        Field("capex_budget_usd", FLOAT, "USD", None, "Cap on total capex over the horizon.", positive=True),
        Field(
            "capex_budget_per_year_usd", FLOAT, "USD/yr", None, "Cap on capex in any one year.", positive=True
        ),
        Field(
            "objective",
            STR,
            "",
            "min_npv",
            "min_npv: cheapest plan meeting demand; "
            "max_capacity: largest uniform demand multiple within budget.",
            choices=("min_npv", "max_capacity"),
        ),
        Field("hardware_lifetime_years", INT, "years", 5, "Years a node stays in service.", 1, 15),
        Field(
            "average_load",
            FLOAT,
            "fraction",
            0.75,
            "Average IT draw as a fraction of nameplate (energy cost).",
            0.05,
            1,
        ),
        Field(
            "electricity_escalation",
            FLOAT,
            "fraction/yr",
            0.0,
            "Yearly change of electricity prices.",
            -0.5,
            1,
        ),
        Field(
            "max_pool_utilisation",
            FLOAT,
            "fraction",
            0.9,
            "Share of a year a node pool may be booked by training runs in sequence "
            "(the rest is maintenance and slack).",
            0.1,
            1,
        ),
        Field(
            "allow_rent",
            BOOL,
            "",
            False,
            "Training runs and part of serving may rent GPUs from the catalog's cloud_offers "
            "(min_npv only; renting is opex, outside the capex budget).",
        ),
        Field(
            "transfer_usd_per_tb",
            FLOAT,
            "USD/TB",
            50.0,
            "Cost of moving one TB of a workload's data to another site (WAN transfer, egress, "
            "verification). Default [est]: cloud egress lists $50-90/TB at volume (AWS S3 data "
            "transfer out, 2025), an owned WAN far less; staff time to verify a move on top.",
            0,
            usual=(0, 1_000),
        ),
        Field(
            "max_power_utilisation",
            FLOAT,
            "fraction",
            0.9,
            "Share of facility power the IT load times PUE may draw; the rest is headroom for load "
            "swings and a failed power path. 0.9 [est]: operators plan below nameplate, NEC sizes "
            "breakers and feeders for continuous loads at 80 % of rating, and a synchronous training "
            "job swings close to its peak.",
            0.1,
            1,
        ),
        Field(
            "tax_rate",
            FLOAT,
            "fraction",
            0.0,
            "Income tax rate for the after-tax NPV (`plan.cash` tax rows, KPI after_tax_npv_usd): opex "
            "and depreciation are deducted, the residual value's gain over book value taxed. 0: no tax "
            "view.",
            0,
            0.9,
            usual=(0, 0.5),
        ),
        Field(
            "depreciation",
            STR,
            "",
            "straight_line",
            "Book depreciation (`plan.book`): straight_line over each category's book life, or the IRS "
            "MACRS half-year table of the 5- or 7-year class (Pub. 946 Table A-1) for equipment; "
            "facility and stacks stay straight line.",
            choices=("straight_line", "macrs_5", "macrs_7"),
        ),
        Field(
            "book_life_years",
            MAP,
            "years",
            None,
            "Book life by capex category, e.g. {compute: 4, facility: 20}; a category left out: "
            "hardware_lifetime_years for equipment, 15 for facility, 3 for stacks.",
        ),
    ),
)

SITES = Table(
    "sites",
    "scenario",
    "Data-centre sites (YAML `sites:` list).",
    (
        _id("site"),
        Field("region", STR, description="Region code used for residency, e.g. us, eu."),
        Field(
            "tenancy",
            STR,
            "",
            "dedicated",
            "dedicated (own cage or building) or shared.",
            choices=("dedicated", "shared"),
        ),
        Field(
            "certifications",
            LIST,
            "",
            (),
            "Certifications and attestations held, e.g. [soc2, hipaa-ready, hitrust, iso27001] "
            "(hipaa-ready: BAA + attestation; the retired tag hipaa is refused with a migration fix).",
        ),
        Field(
            "power_mw", FLOAT, "MW", description="Facility power available to this deployment.", positive=True
        ),
        Field("pue", FLOAT, "ratio", 1.3, "Power usage effectiveness.", 1.0, 3.0, usual=(1.0, 2.0)),
        Field(
            "liquid_cooling_mw",
            FLOAT,
            "MW",
            None,
            "Liquid-cooling (CDU) capacity; default: no separate limit.",
            0,
        ),
        Field(
            "air_cooling_mw",
            FLOAT,
            "MW",
            None,
            "Air and rear-door cooling capacity; default: no separate limit.",
            0,
        ),
        Field("electricity_usd_per_kwh", FLOAT, "USD/kWh", 0.08, "Electricity price.", 0, 2, usual=(0, 1)),
        Field(
            "colocation_usd_per_kw_month",
            FLOAT,
            "USD/kW-month",
            0.0,
            "Colocation fee per kW of IT capacity (0 for an owned site).",
            0,
            usual=(0, 1_000),
        ),
        Field(
            "racks", MAP, "racks", REQUIRED, "Rack positions available, by rack type id.", ref="rack_types"
        ),
        Field("carriers", INT, "carriers", 2, "Independent network carriers already contracted.", 0, 10),
        Field(
            "second_carrier_usd_per_year",
            FLOAT,
            "USD/yr",
            250_000.0,
            "Cost to add a second carrier (needed to serve inference).",
            0,
        ),
        Field(
            "encrypted_wan",
            BOOL,
            "",
            True,
            "Inter-site links encrypt in transit (needed to move regulated data).",
        ),
        Field(
            "expansion_block_mw", FLOAT, "MW", 0.0, "Size of one facility power expansion block (0: none).", 0
        ),
        Field("expansion_cost_usd", FLOAT, "USD", 0.0, "Capex of one expansion block.", 0),
        Field("expansion_lead_years", INT, "years", 1, "Years from ordering a block to using it.", 0, 10),
        Field("expansion_max_blocks", INT, "blocks", 0, "Most blocks that can be added.", 0, 100),
        Field(
            "build_usd_per_mw",
            FLOAT,
            "USD/MW",
            0.0,
            "Owned site: build cost per MW of facility power, charged as an annuity over the building "
            "life at the discount rate while the site is open (0: already paid for).",
            0,
            usual=(0, 30_000_000),
        ),
        Field(
            "building_life_years", INT, "years", 20, "Owned site: years the build cost is spread over.", 1, 60
        ),
        Field(
            "facility_om_usd_per_kw_year",
            FLOAT,
            "USD/kW-yr",
            0.0,
            "Owned site: facility operations and maintenance per kW of facility power while open.",
            0,
            usual=(0, 1_000),
        ),
        Field(
            "committed_kw",
            FLOAT,
            "kW",
            0.0,
            "Colocation: IT kW contracted, billed every year whether used or not; kW used above it "
            "are billed at the same fee.",
            0,
        ),
        Field(
            "colocation_escalation",
            FLOAT,
            "fraction/yr",
            0.0,
            "Colocation: yearly rise of the fee, fee × (1 + e)^(year − start year).",
            -0.5,
            1,
            usual=(0, 0.25),
        ),
        Field(
            "liquid_premium",
            FLOAT,
            "fraction",
            0.0,
            "Colocation: extra share of the fee paid per kW of nodes in liquid-cooled racks.",
            0,
            5,
        ),
    ),
)

WORKLOAD_KINDS = ("training", "finetune", "inference")
TRAINING_METHODS = ("full", "lora", "qlora")
TRAINING_PRECISIONS = ("bf16", "fp8")
INFERENCE_PRECISIONS = ("bf16", "fp8", "fp4")

WORKLOADS = Table(
    "workloads",
    "scenario",
    "Workloads (YAML `workloads:` list).",
    (
        _id("workload"),
        Field("kind", STR, description="training, finetune or inference.", choices=WORKLOAD_KINDS),
        Field(
            "params_b",
            FLOAT,
            "B params",
            None,
            "Model parameters, billions (training/finetune; serving names a `model`).",
            positive=True,
            usual=(0, 20_000),
        ),
        Field(
            "tokens_t",
            FLOAT,
            "T tokens",
            None,
            "Training tokens, trillions (training/finetune).",
            positive=True,
            usual=(0, 1_000),
        ),
        Field(
            "deadline_days",
            FLOAT,
            "days",
            None,
            "Wall-clock days to finish one run (training/finetune).",
            positive=True,
        ),
        Field(
            "runs_per_year",
            INT,
            "runs/yr",
            1,
            "Runs a year, each of tokens_t within deadline_days (training/finetune).",
            1,
            365,
        ),
        Field(
            "method",
            STR,
            "",
            "full",
            "Training method (training/finetune): full parameters, LoRA adapters on frozen BF16 "
            "weights, or QLoRA adapters on 4-bit weights.",
            choices=TRAINING_METHODS,
        ),
        Field(
            "tokens_per_s",
            FLOAT,
            "tokens/s",
            None,
            "Peak generated (output) tokens per second served (inference); prompt tokens come on top.",
            positive=True,
            usual=(0, 100_000_000),
        ),
        Field("model", STR, "", None, "Model served (inference), a `models` catalog id.", ref="models"),
        Field(
            "precision",
            STR,
            "",
            "bf16",
            "Number format of the math: training and fine-tuning use the tier's peak and MFU at it "
            "(bf16 or fp8: tflops_fp8, mfu_fp8); serving its weights and math (bf16, fp8 or fp4).",
            choices=INFERENCE_PRECISIONS,
        ),
        Field(
            "min_replicas",
            INT,
            "replicas",
            2,
            "Fewest replicas at each site serving it (inference; 2: no single point of failure).",
            1,
        ),
        Field(
            "min_sites",
            INT,
            "sites",
            1,
            "Fewest sites serving it in any year, for disaster recovery (inference).",
            1,
            20,
        ),
        Field(
            "site_peak_share",
            FLOAT,
            "fraction",
            0.5,
            "Share of the peak each serving site must carry on its own when min_sites >= 2.",
            0,
            1,
        ),
        Field(
            "mixed_tiers",
            BOOL,
            "",
            False,
            "May serve from several GPU tiers in one year (inference); each part whole replicas.",
        ),
        Field(
            "input_tokens", INT, "tokens", None, "Mean prompt tokens per request (inference).", positive=True
        ),
        Field(
            "output_tokens",
            INT,
            "tokens",
            None,
            "Mean generated tokens per request (inference).",
            positive=True,
        ),
        Field(
            "ttft_ms",
            FLOAT,
            "ms",
            None,
            "Time-to-first-token target (inference; empty: none).",
            positive=True,
        ),
        Field(
            "tpot_ms",
            FLOAT,
            "ms",
            None,
            "Time-per-output-token target (inference; empty: none, batch serving).",
            positive=True,
        ),
        Field(
            "mfu",
            FLOAT,
            "fraction",
            None,
            "Model-FLOPs utilisation (training/finetune); default the tier's at the workload's precision.",
            0.01,
            1,
        ),
        Field(
            "tiers", LIST, "", (), "GPU tiers the workload may use (empty: any that fits).", ref="gpu_tiers"
        ),
        Field("compliance", LIST, "", (), "Certifications a site must hold, e.g. [hipaa-ready]."),
        Field("region", STR, "", None, "Residency: run and store only in this region."),
        Field("dedicated", BOOL, "", False, "Needs a dedicated-tenancy site."),
        Field("isolated", BOOL, "", False, "Never shares nodes, racks or leaf switches."),
        Field(
            "spare_fraction",
            FLOAT,
            "fraction",
            0.05,
            "Spare nodes (N+k) as a fraction of active nodes.",
            0,
            1,
        ),
        Field(
            "growth_per_year",
            FLOAT,
            "fraction/yr",
            0.0,
            "Demand growth per year after the start year.",
            -0.9,
            10,
        ),
        Field(
            "start_year", INT, "year", None, "First year of demand (default: policy start year).", 2000, 2100
        ),
        Field(
            "hot_tb",
            FLOAT,
            "TB",
            0.0,
            "Hot data kept on flash where the workload runs.",
            0,
            usual=(0, 1_000_000),
        ),
        Field("cold_tb", FLOAT, "TB", 0.0, "Cold data kept once, on any tier.", 0, usual=(0, 1_000_000)),
        Field(
            "read_gbps_per_gpu",
            FLOAT,
            "GB/s",
            None,
            "Storage read per training GPU (default 1.0 training/finetune, 0 inference).",
            0,
        ),
        Field(
            "checkpoint_minutes",
            FLOAT,
            "min",
            10.0,
            "Window to write one checkpoint (training/finetune).",
            positive=True,
        ),
        Field(
            "stacks",
            LIST,
            "",
            (),
            "Software stacks the workload runs on (empty: any); it uses only tiers of these stacks.",
            ref="software_stacks",
        ),
    ),
    retired={
        "latency": "removed: serving states its latency targets; use ttft_ms and tpot_ms, "
        "e.g. tpot_ms: 45 for an interactive service (empty for batch)",
        "kv_cache_gb": "removed: the KV cache follows from model, input_tokens, output_tokens and the "
        "batch tpot_ms allows; remove it",
    },
)

CLOUD_TERMS = ("on_demand", "block", "reserved")

CLOUD_OFFERS = Table(
    "cloud_offers",
    "catalog",
    "GPUs for rent: a provider class's price for one GPU tier in a region and term. A training run "
    "or part of a service may rent instead of owning where the workload's compliance, residency and "
    "tenancy allow (optional table: a catalog without the file rents nothing).",
    (
        _id("offer"),
        Field("name", STR, description="Human-readable name."),
        Field(
            "provider_class",
            STR,
            description="hyperscaler or neocloud.",
            choices=("hyperscaler", "neocloud"),
        ),
        Field("tier", STR, description="GPU tier rented, a `gpu_tiers` id.", ref="gpu_tiers"),
        Field("region", STR, description="Region code of the capacity, as sites' `region`."),
        Field(
            "term",
            STR,
            description="on_demand (by the hour), block (a 1-3-month reservation) or reserved (a year).",
            choices=CLOUD_TERMS,
        ),
        Field(
            "usd_per_gpu_hour",
            FLOAT,
            "USD/GPU-h",
            description="Price of one GPU-hour.",
            positive=True,
            usual=(0.1, 50),
        ),
        Field(
            "min_hours",
            FLOAT,
            "h",
            1.0,
            "Hours each rental is billed at least (on-demand 1, a block its months, reserved 8760).",
            positive=True,
        ),
        Field("max_gpus", INT, "GPUs", None, "GPUs available a year (empty: no limit).", positive=True),
        Field("certifications", LIST, "", (), "Certifications the offer holds, e.g. soc2;iso27001."),
        Field(
            "tenancy",
            STR,
            "",
            "shared",
            "dedicated (single-tenant hosts) or shared.",
            choices=("dedicated", "shared"),
        ),
        Field(
            "egress_usd_per_tb",
            FLOAT,
            "USD/TB",
            0.0,
            "Data transfer per TB; a rented run pays it on the workload's hot TB once a year it rents.",
            0,
        ),
        Field(
            "scaling_efficiency",
            FLOAT,
            "fraction",
            0.95,
            "Distributed-training scaling efficiency of the offer's cluster (default: InfiniBand NDR, "
            "as the `ib-ndr` fabric).",
            0.01,
            1,
        ),
        *SCALING_WITH_SIZE,
        _source(),
    ),
)

SOFTWARE_STACKS = Table(
    "software_stacks",
    "catalog",
    "Software stacks GPU tiers run on (`gpu_tiers.stack`): what a plan pays to adopt and keep one "
    "(porting and validation once; engineering and on-call each year). The file may be left out.",
    (
        _id("software stack"),
        Field("name", STR, description="Human-readable name."),
        Field("one_time_usd", FLOAT, "USD", description="Paid the year the stack is adopted.", low=0),
        Field("annual_usd", FLOAT, "USD/yr", description="Paid every year from adoption on.", low=0),
        _source(),
    ),
)

CATALOG_TABLES = (
    GPU_TIERS,
    MODELS,
    FABRICS,
    STORAGE_TIERS,
    RACK_TYPES,
    SERVICES,
    CLOUD_OFFERS,
    SOFTWARE_STACKS,
)
SCENARIO_TABLES = (POLICY, SITES, WORKLOADS)
TABLES = {t.name: t for t in CATALOG_TABLES + SCENARIO_TABLES}


def render_docs() -> str:
    """Markdown reference of every input table, generated from the schemas."""
    out = ["# Input reference", "", "Generated from `aiopt/schema.py` by `aiopt.schema.render_docs()`.", ""]
    for table in CATALOG_TABLES + SCENARIO_TABLES:
        where = f"`aiopt/data/catalog/{table.name}.csv`" if table.where == "catalog" else "scenario YAML"
        out += [f"## {table.name}", "", f"{table.description} ({where})", ""]
        out += ["| field | type | unit | default | description |", "|---|---|---|---|---|"]
        for f in table.fields:
            default = "required" if f.required else ("" if f.default is None else repr(f.default))
            desc = f.description + (f" One of: {', '.join(f.choices)}." if f.choices else "")
            desc += f" Usually {f.usual_text}; outside, a warning." if f.usual else ""
            out.append(f"| `{f.name}` | {f.kind} | {f.unit} | {default} | {desc} |")
        out.append("")
        if table.retired:
            out += ["Fields no longer taken, and the fix their error gives:", ""]
            out += [f"- `{name}`: {fix}." for name, fix in table.retired.items()] + [""]
    return "\n".join(out)
