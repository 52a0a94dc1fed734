"""How problems read: values shown briefly, YAML-style examples and units, did-you-mean."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from aiopt.schema import BOOL, FLOAT, INT, LIST, REQUIRED, Field

# example values for fixes, where the schema's default does not give one
EXAMPLES = {
    "id": "my-id",
    "name": "My name",
    "vendor": "NVIDIA",
    "source": "vendor datasheet",
    "region": "us",
    "power_mw": 12,
    "params_b": 70,
    "tokens_t": 2.0,
    "deadline_days": 60,
    "tokens_per_s": 5000,
    "model": "llama-3-70b",
    "input_tokens": 1024,
    "output_tokens": 1024,
    "tpot_ms": 45,
    "ttft_ms": 1000,
    "total_params_b": 70.6,
    "active_params_b": 70.6,
    "layers": 80,
    "kv_heads": 8,
    "head_dim": 128,
    "context_tokens": 131072,
    "hbm_tbps": 3.35,
    "tflops_fp8": 1979,
    "mfu": 0.4,
    "mfu_fp8": 0.29,
    "start_year": 2026,
    "read_gbps_per_gpu": 1.0,
    "certifications": ("soc2",),
    "compliance": ("hipaa-ready",),
    "tiers": ("h100-sxm",),
    "racks": {"air-40": 20},
    "gpus_per_node": 8,
    "tflops_bf16": 989,
    "hbm_gb": 80,
    "node_kw": 10.2,
    "rack_units": 8,
    "fabric_ports": 8,
    "price_usd": 250000,
    "port_gbps": 400,
    "radix": 64,
    "switch_price_usd": 25000,
    "switch_kw": 1.7,
    "nic_price_usd": 1500,
    "link_price_usd": 900,
    "scaling_efficiency": 0.9,
    "unit_tb": 100,
    "usd_per_tb": 150,
    "read_gbps_per_unit": 20,
    "write_gbps_per_unit": 10,
    "kw_per_unit": 1.5,
    "ru_per_unit": 2,
    "usable_kw": 40,
    "capex_budget_usd": 50_000_000,
    "capex_budget_per_year_usd": 20_000_000,
    "liquid_cooling_mw": 5,
    "air_cooling_mw": 5,
}


class Shown:
    """A stand-in value for a Problem whose repr is the given text (e.g. `<missing>`)."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


MISSING = Shown("<missing>")


def brief(value: object) -> object:
    """A value as shown in a problem: tuples as lists, long values cut short."""
    if isinstance(value, tuple):
        value = list(value)
    text = repr(value)
    return Shown(text[:57] + "...") if len(text) > 60 else value


def suggest(word: object, options: Iterable[object], what: str = "") -> str:
    """'did you mean ...?' for the closest option, else the known options."""
    options = sorted({str(o) for o in options})
    if not options:
        return f"there are no {what or 'options'}"
    close = difflib.get_close_matches(str(word), options, n=1, cutoff=0.6)
    close = close or difflib.get_close_matches(str(word).lower(), options, n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}?"
    shown = ", ".join(options[:12]) + (", ..." if len(options) > 12 else "")
    return f"known {what or 'values'}: {shown}"


def as_yaml(value: object) -> str:
    """A value as one would write it in YAML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.6g}"
    if isinstance(value, tuple | list):
        return "[" + ", ".join(as_yaml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {as_yaml(v)}" for k, v in value.items()) + "}"
    return str(value)


def example(f: Field, text: bool = False) -> str:
    """An example value of `f`: `power_mw: 12` in YAML, `12` in a CSV cell."""
    if f.name in EXAMPLES:
        value = EXAMPLES[f.name]
    elif f.choices:
        value = f.default if f.default in f.choices else f.choices[0]
    elif f.default is not REQUIRED and f.default not in (None, ()):
        value = f.default
    elif f.kind in (INT, FLOAT):
        value = f.low if f.low is not None and f.low > 0 else 1
    elif f.kind == BOOL:
        value = True
    elif f.kind == LIST:
        value = ("a", "b")
    else:
        value = "..."
    return as_yaml(value) if text else f"{f.name}: {as_yaml(value)}"


def unit_phrase(f: Field) -> str:
    """' in MW', ' (a fraction: 0.05 = 5%)' or '' for a field without a unit."""
    if not f.unit:
        return ""
    if f.unit.startswith("fraction"):
        return " (a fraction: 0.05 = 5%)"
    return f" in {f.unit}"
