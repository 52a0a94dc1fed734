# Everything a fresh machine needs: `make demo` and `make test` create .venv and install.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[notebook,excel,dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/aiopt solve data/scenarios/enterprise-baseline.yaml --out out/enterprise-baseline

test: $(STAMP)
	$(PY) -m pytest -n 2 --dist loadfile

lint: $(STAMP)
	$(VENV)/bin/ruff check aiopt tests benchmarks
	$(VENV)/bin/ruff format --check aiopt tests benchmarks

bench: $(STAMP)
	$(PY) benchmarks/bench_pipeline.py

clean:
	rm -rf $(VENV) out .pytest_cache
