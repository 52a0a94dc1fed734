"""`aiopt report PLAN_DIR --out report.html`: one self-contained page, every plan string escaped.

The rent-or-buy scenario (solved in about a second) is written once as a plan folder; the report
of a copy whose site and workload are renamed to markup is opened in headless Chromium with no
network, where every chart must draw with no console message.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO
from test_plot import browse

import aiopt
from aiopt import plot, report
from aiopt.cli import main
from aiopt.errors import InputError

SCENARIO = REPO / "data" / "scenarios" / "rent-or-buy.yaml"
SITE = "<script>alert(1)</script>"
WORKLOAD = "<img src=x onerror=console.error('injected')>"  # would log to the console if it ran
BUNDLE_MARK = "window.vegaEmbed="


@pytest.fixture(scope="module")
def plan() -> aiopt.Plan:
    plan = aiopt.solve(SCENARIO, progress=False, reference=True)
    assert len(plan.saving)
    assert aiopt.check_plan(plan).ok
    return plan


@pytest.fixture(scope="module")
def plan_dir(plan, tmp_path_factory) -> Path:
    return aiopt.write_plan(plan, tmp_path_factory.mktemp("plans") / "rent-or-buy")


@pytest.fixture(scope="module")
def marked_up_dir(plan_dir, tmp_path_factory) -> Path:
    """The plan folder with its site and chat service renamed to markup in plan.json."""
    folder = shutil.copytree(plan_dir, tmp_path_factory.mktemp("plans") / "marked-up")
    text = (plan_dir / "plan.json").read_text()
    text = text.replace('"us-owned"', json.dumps(SITE)).replace('"chat-70b"', json.dumps(WORKLOAD))
    (folder / "plan.json").write_text(text)
    return folder


@pytest.fixture(scope="module")
def marked_up_report(marked_up_dir) -> Path:
    return report.write_report(marked_up_dir, marked_up_dir.parent / "report.html")


class Page(HTMLParser):
    """The parts of a page the tests read: script elements, text, and URL-bearing attributes."""

    def __init__(self, html: str):
        super().__init__()
        self.scripts: list[tuple[dict, str]] = []
        self.text: list[str] = []
        self.links: list[str] = []
        self._script: dict | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.links += [f"{tag} {k}={v}" for k, v in attrs.items() if k in ("src", "href", "srcset", "data")]
        if tag == "script":
            self._script = attrs

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None

    def handle_data(self, data):
        if self._script is not None:
            self.scripts.append((self._script, data))
        else:
            self.text.append(data)


def test_read_plan_dir_gives_back_every_table(plan, plan_dir):
    saved = report.read_plan_dir(plan_dir)
    for name in plan.TABLES:
        if name == "solve_info":
            continue
        got, want = getattr(saved, name), getattr(plan, name)
        assert list(got.columns) == list(want.columns), name  # empty tables too (schedule, fabric)
        if len(want):
            pd.testing.assert_frame_equal(got, want, check_dtype=False, obj=name)
    assert plan.schedule.empty and plan.fabric.empty
    assert saved.summary() == plan.summary()
    assert (saved.scenario.name, saved.scenario.years) == (plan.scenario.name, plan.scenario.years)
    assert saved.info.status == plan.info.status and saved.info.seconds.keys() == plan.info.seconds.keys()


def test_read_plan_dir_keeps_tables_the_plan_class_does_not_name(plan_dir, tmp_path):
    """A newer plan folder (a table this Plan class does not know) is read whole; its cash table,
    tax rows included, is drawn."""
    doc = json.loads((plan_dir / "plan.json").read_text())
    costs = doc["tables"]["costs"]
    tax = {"category": "tax", "kind": "tax", "year": 2026, "usd": 1.0, "discounted_usd": 1.0}
    doc["tables"]["cash"] = [*costs, tax]
    doc["tables"]["newer_table"] = [{"site": "a", "value": 1.0}]
    folder = shutil.copytree(plan_dir, tmp_path / "newer")
    (folder / "plan.json").write_text(json.dumps(doc))
    saved = report.read_plan_dir(folder)
    assert len(saved.cash) == len(costs) + 1
    assert saved.newer_table.to_dict("records") == [{"site": "a", "value": 1.0}]
    bars = plot.cash_flow(saved).to_dict()["layer"][0]
    assert "tax" in bars["encoding"]["color"]["scale"]["domain"]


def test_read_plan_dir_refuses_a_folder_without_a_plan(tmp_path):
    with pytest.raises(InputError, match="aiopt solve --out"):
        report.read_plan_dir(tmp_path)


def test_report_is_one_self_contained_page_with_the_javascript_once(plan_dir, tmp_path):
    out = tmp_path / "report.html"
    out.write_text("an earlier report")
    html = report.write_report(plan_dir, out).read_text()
    assert os.listdir(tmp_path) == ["report.html"]  # replaced, no temporary file left
    page = Page(html)
    assert page.links == [], "the page loads something from elsewhere"
    assert (
        "url(" not in "".join(re.findall(r"<style>(.*?)</style>", html, flags=re.S)) and "@import" not in html
    )
    assert html.count(BUNDLE_MARK) == 1
    specs = json.loads(next(text for attrs, text in page.scripts if attrs.get("id") == "aiopt-specs"))
    charts = re.findall(r'<div class="chart" id="aiopt-chart-(\d+)">', html)
    assert len(specs) == len(charts) >= 10 and charts == [str(i) for i in range(len(charts))]
    titles = {spec["title"]["text"] for spec in specs}
    assert {
        "Cost by category and year",
        "Capacity delivered vs demand",
        "Owned vs rented GPU-hours",
        "Saving vs the reference design",
    } <= titles
    assert not any(title.startswith("Training runs") for title in titles)  # rent-or-buy rents its training
    text = " ".join(page.text)
    assert "npv_usd" in text and "rent-or-buy" in text and "neocloud-h100-od-us" in text  # KPIs, rent table
    assert "Saving against the reference design (NPV)" in text


def test_a_site_named_like_markup_shows_as_text(marked_up_report):
    html = marked_up_report.read_text()
    assert SITE not in html and WORKLOAD not in html
    page = Page(html)
    assert SITE in page.text and WORKLOAD in page.text  # table cells, as text
    types = [attrs.get("type") for attrs, _ in page.scripts]
    assert types == ["text/javascript", "application/json", "text/javascript"]
    code = [text for attrs, text in page.scripts if attrs.get("type") == "text/javascript"]
    assert not any("alert(1)" in text or "injected" in text for text in code)
    specs = json.loads(page.scripts[1][1])
    assert SITE in json.dumps(specs, ensure_ascii=False)  # the charts get the name as data


def test_cli_writes_the_report_and_refuses_a_folder_without_a_plan(plan_dir, tmp_path, capsys):
    out = tmp_path / "site" / "report.html"
    assert main(["report", str(plan_dir), "--out", str(out)]) == 0
    assert out.is_file() and "wrote" in capsys.readouterr().out
    assert main(["report", str(tmp_path / "nowhere"), "--out", str(out)]) == 2
    assert "plan.json" in capsys.readouterr().err


def test_report_is_written_atomically(plan_dir, tmp_path, monkeypatch):
    out = tmp_path / "report.html"
    out.write_text("the earlier report")

    def fail(source, target):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        report.write_report(plan_dir, out)
    assert out.read_text() == "the earlier report" and os.listdir(tmp_path) == ["report.html"]


def test_report_draws_in_a_browser_without_network(marked_up_report, tmp_path):
    page = Path(shutil.copy(marked_up_report, tmp_path))  # the screenshot goes beside it
    dom, console = browse(page, tmp_path)
    assert "Chart failed to render" not in dom
    assert not console, console  # no Vega warning or error, and the injected markup never ran
    charts = re.split(r'<div [^>]*id="aiopt-chart-\d+"', dom)[1:]
    assert len(charts) >= 10
    drawn = ["<svg" in chart[:200_000] and "role-mark" in chart[:200_000] for chart in charts]
    assert all(drawn), f"charts not drawn: {[i for i, ok in enumerate(drawn) if not ok]}"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    assert page.with_suffix(".png").stat().st_size > 10_000
