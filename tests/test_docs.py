"""docs/inputs.md is generated from the schemas and must not drift from them."""

from pathlib import Path

from aiopt.schema import CATALOG_TABLES, SCENARIO_TABLES, render_docs

DOCS = Path(__file__).resolve().parent.parent / "docs" / "inputs.md"
REGENERATE = (
    "python -c 'from pathlib import Path; from aiopt.schema import render_docs; "
    'Path("docs/inputs.md").write_text(render_docs())\''
)


def test_inputs_doc_matches_schema():
    assert DOCS.read_text() == render_docs(), f"docs/inputs.md is out of date; regenerate it: {REGENERATE}"


def test_inputs_doc_lists_every_field():
    text = DOCS.read_text()
    for table in CATALOG_TABLES + SCENARIO_TABLES:
        assert f"## {table.name}" in text
        for field in table.fields:
            assert f"| `{field.name}` |" in text
