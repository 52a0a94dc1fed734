"""The command line: the bad-input corpus, exit codes, output, `python -m aiopt`.

Each case in tests/bad_inputs is either a scenario YAML whose first line is `# expect: FIELD`,
or a directory of catalog CSVs laid over tests/data/catalog with an `expect.txt`
(`expect: FIELD`, optional `delete: FILE` lines). Every case must exit 2 with one short line per
problem on stderr, no traceback, and FIELD named in the message.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from aiopt import cli
from aiopt.cli import main
from aiopt.errors import SolveError

TESTS = Path(__file__).resolve().parent
CATALOG_DIR = TESTS / "data" / "catalog"
TINY = TESTS / "data" / "tiny.yaml"
BAD_INPUTS = TESTS / "bad_inputs"
CASES = sorted(p for p in BAD_INPUTS.iterdir() if p.suffix == ".yaml" or p.is_dir())
CATALOG_CASES = [p for p in CASES if p.is_dir()]


def expectation(case: Path) -> dict[str, list[str]]:
    """The `key: value` lines of a case: `# expect:` atop a YAML, or a directory's expect.txt."""
    lines = (
        (case / "expect.txt").read_text().splitlines() if case.is_dir() else case.read_text().splitlines()[:1]
    )
    found: dict[str, list[str]] = {}
    for line in lines:
        key, _, value = line.lstrip("# ").partition(":")
        found.setdefault(key.strip(), []).append(value.strip())
    return found


def case_catalog(case: Path, tmp_path: Path) -> Path:
    """The test catalog with a catalog case's CSVs laid over it and its `delete:` files removed."""
    directory = tmp_path / "catalog"
    shutil.copytree(CATALOG_DIR, directory)
    for csv in case.glob("*.csv"):
        shutil.copy(csv, directory / csv.name)
    for name in expectation(case).get("delete", []):
        (directory / name).unlink()
    return directory


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_corpus_is_large_and_every_case_states_its_field():
    assert len(CASES) >= 30
    for case in CASES:
        assert expectation(case).get("expect"), f"{case.name}: no expect line"


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_bad_input_exits_2_naming_the_field(case, tmp_path, capsys):
    if case.is_dir():
        code, out, err = run(capsys, "validate", TINY, "--catalog", case_catalog(case, tmp_path))
    else:
        code, out, err = run(capsys, "validate", case, "--catalog", CATALOG_DIR)
    (field,) = expectation(case)["expect"]
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    assert field in err
    assert all(line.count(": ") >= 3 for line in err.splitlines()), err  # file: where: field=value: fix


@pytest.mark.parametrize("case", CATALOG_CASES, ids=lambda p: p.name)
def test_bad_catalog_fails_the_catalog_command_too(case, tmp_path, capsys):
    code, out, err = run(capsys, "catalog", "--catalog", case_catalog(case, tmp_path))
    assert code == 2 and "Traceback" not in err
    assert expectation(case)["expect"][0] in err


def test_validate_prints_a_summary(capsys):
    code, out, err = run(capsys, "validate", TINY, "--catalog", CATALOG_DIR)
    assert code == 0 and err == ""
    summary = " ".join(out.split())
    assert summary.startswith("tiny: valid.")
    for part in (
        "1 site: lab (us, 2 MW, 12 rack positions)",
        "2 workloads (1 training, 1 inference)",
        "Years 2026-2027 (2)",
    ):
        assert part in summary


def test_catalog_prints_every_table(capsys):
    code, out, _ = run(capsys, "catalog", "--catalog", CATALOG_DIR)
    assert code == 0
    for name in ("gpu_tiers", "fabrics", "storage_tiers", "rack_types", "services", "h100-sxm", "dlc-130"):
        assert name in out


def test_catalog_prints_one_table(capsys):
    code, out, _ = run(capsys, "catalog", "rack_types", "--catalog", CATALOG_DIR)
    assert code == 0 and "air-40" in out and "h100-sxm" not in out


def test_unknown_catalog_table_suggests_one(capsys):
    code, out, err = run(capsys, "catalog", "rack_type", "--catalog", CATALOG_DIR)
    assert code == 2 and out == ""
    assert (
        err.strip()
        == "command line: aiopt catalog: table='rack_type': unknown catalog table; did you mean 'rack_types'?"
    )


@pytest.mark.parametrize("where", ["missing", "directory"])
def test_missing_file_or_directory_is_bad_input(where, tmp_path, capsys):
    path = tmp_path / "nope.yaml" if where == "missing" else tmp_path
    code, _, err = run(capsys, "validate", path)
    assert code == 2 and "Traceback" not in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("args", [["--debug", "validate", "nope.yaml"], ["validate", "nope.yaml", "--debug"]])
def test_debug_adds_the_traceback(args, capsys):
    code, _, err = run(capsys, *args)
    assert code == 2
    assert "Traceback" in err and "InputError" in err
    assert err.rstrip().endswith("no such file; check the path (shipped scenarios are in data/scenarios/)")


def test_solve_error_exits_3(monkeypatch, capsys):
    def fail(args):
        raise SolveError("infeasible: demand exceeds site power", status="infeasible")

    monkeypatch.setattr(cli, "_cmd_validate", fail)
    code, _, err = run(capsys, "validate", TINY)
    assert code == 3 and err == "aiopt: infeasible: demand exceeds site power\n"


def test_a_bug_is_one_line_without_debug_and_raises_with_it(monkeypatch, capsys):
    def crash(args):
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "_cmd_validate", crash)
    code, _, err = run(capsys, "validate", TINY)
    assert code == 1 and "boom" in err and "--debug" in err and "Traceback" not in err
    with pytest.raises(RuntimeError):
        main(["--debug", "validate", str(TINY)])


@pytest.mark.parametrize(
    ("args", "code"), [([], 2), (["frobnicate"], 2), (["validate"], 2), (["--help"], 0), (["--version"], 0)]
)
def test_usage(args, code, capsys):
    assert main(args) == code


def test_python_m_aiopt():
    ok = subprocess.run(
        [sys.executable, "-m", "aiopt", "validate", str(TINY), "--catalog", str(CATALOG_DIR)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0 and ok.stdout.startswith("tiny: valid.")
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "aiopt",
            "validate",
            str(BAD_INPUTS / "power_mw_text.yaml"),
            "--catalog",
            str(CATALOG_DIR),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2 and "power_mw='twelve'" in bad.stderr and "Traceback" not in bad.stderr
