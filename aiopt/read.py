"""Read stage: turn the input files into plain Python values, nothing more.

The scenario YAML becomes a mapping (safe loader, duplicate keys reported), a catalog CSV a
header and rows of text cells. A file that cannot be read at all is bad input (`InputError`);
whether the values are good is decided by `aiopt.validate`.
"""

from __future__ import annotations

import csv
from importlib.resources import files
from pathlib import Path

import yaml

from aiopt.errors import InputError, Problem
from aiopt.schema import CATALOG_TABLES

# the default catalog ships inside the package, so a wheel install finds it too
DEFAULT_CATALOG_DIR = Path(str(files("aiopt") / "data" / "catalog"))
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's, when PyYAML has it: ~20x faster
_SCENARIO_HELP = "a scenario is a YAML mapping with name, policy, sites and workloads, see docs/inputs.md"


def display_path(path: str | Path) -> str:
    """`path` relative to the working directory when it lies below it, else as given."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def _unreadable(file: str, where: str, field: str, value: object, fix: str) -> InputError:
    return InputError([Problem(file, where, field, value, fix)])


def read_scenario_file(path: str | Path) -> dict:
    """The scenario YAML at `path` as a mapping (`yaml.safe_load`).

    Raises `InputError` when the file is missing, a directory, empty, not UTF-8, invalid YAML,
    not a mapping, or repeats a key within one mapping (YAML would silently keep the last).
    """
    path = Path(path)
    file = display_path(path)
    if path.is_dir():
        raise _unreadable(
            file, "file", "path", str(path), f"is a directory; give a scenario .yaml file: {_SCENARIO_HELP}"
        )
    if not path.is_file():
        raise _unreadable(
            file,
            "file",
            "path",
            str(path),
            "no such file; check the path (shipped scenarios are in data/scenarios/)",
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise _unreadable(
            file, "file", "encoding", exc.encoding, "not UTF-8 text; save the file as UTF-8"
        ) from None
    try:
        doc, duplicates = _parse(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "file"
        line = text.splitlines()[mark.line].strip() if mark and mark.line < len(text.splitlines()) else ""
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise _unreadable(
            file, where, "yaml", line, f"invalid YAML ({reason}); check indentation, colons and quotes"
        ) from None
    if doc is None:
        raise _unreadable(file, "top level", "document", "", f"the file is empty; {_SCENARIO_HELP}")
    if not isinstance(doc, dict):
        raise _unreadable(
            file,
            "top level",
            "document",
            type(doc).__name__,
            f"expected a mapping, not a {type(doc).__name__}; {_SCENARIO_HELP}",
        )
    if duplicates:
        raise InputError(
            [
                Problem(
                    file,
                    f"line {line}",
                    str(key),
                    value,
                    f"key given twice in one mapping (first on line {first}); "
                    "YAML keeps only the last, remove one",
                )
                for key, first, line, value in duplicates
            ]
        )
    return doc


def _parse(text: str) -> tuple[object, list[tuple[str, int, int, str]]]:
    """The YAML document in `text` (as `yaml.safe_load` reads it) and its repeated keys, parsed once."""
    loader = _LOADER(text)
    try:
        node = loader.get_single_node()
        return (None if node is None else loader.construct_document(node)), _duplicate_keys(node)
    finally:
        loader.dispose()


def _duplicate_keys(root: yaml.Node | None) -> list[tuple[str, int, int, str]]:
    """(key, first line, repeated line, repeated value) for each key repeated in one mapping."""
    found = []
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            seen: dict[object, int] = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    line = key.start_mark.line + 1
                    if key.value in seen:
                        shown = value.value if isinstance(value, yaml.ScalarNode) else "..."
                        found.append((key.value, seen[key.value], line, shown))
                    seen.setdefault(key.value, line)
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return sorted(found, key=lambda item: item[2])


def read_catalog_csv(path: str | Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and `(line number, cells)` rows of one catalog CSV, all text, cells stripped.

    Blank lines are skipped; a UTF-8 byte-order mark (Excel) is dropped. Raises `InputError`
    when the file is missing, unreadable or has no header line.
    """
    path = Path(path)
    file = display_path(path)
    if not path.is_file():
        tables = ", ".join(f"{t.name}.csv" for t in CATALOG_TABLES)
        raise _unreadable(
            file, "file", "path", str(path), f"no such file; a catalog directory holds {tables}"
        )
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            for cells in reader:
                cells = [cell.strip() for cell in cells]
                if not any(cells):
                    continue
                if header is None:
                    header = cells
                else:
                    rows.append((reader.line_num, cells))
    except UnicodeDecodeError as exc:
        raise _unreadable(
            file, "file", "encoding", exc.encoding, "not UTF-8 text; save the CSV as UTF-8"
        ) from None
    except csv.Error as exc:
        raise _unreadable(file, "file", "csv", str(exc), "malformed CSV; check the quoting") from None
    if header is None:
        raise _unreadable(
            file,
            "file",
            "header",
            "",
            "the file is empty; the first line must be the header (the field names)",
        )
    return header, rows
