# The two commands of the README: `make run` and `make test`. Everything else supports them.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
FLASK := $(VENV)/bin/flask --app matchmaker
HOST ?= 127.0.0.1
PORT ?= 5000
PO_FILES := $(wildcard matchmaker/translations/zh/LC_MESSAGES/*.po)
MO_FILES := $(PO_FILES:.po=.mo)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
# From a checkout, the indexes and model artifacts go to its indexes/ and models/ folders (ignored
# by git); an installed package keeps them under its instance folder.
export MATCHMAKER_DATA_DIR ?= $(CURDIR)

.PHONY: run test install serve-prep lint typecheck chromium clean bench eval

# As production runs it: gunicorn (gunicorn.conf.py: 2 x CPUs workers) and one job worker, both
# from the Procfile under honcho; Ctrl-C stops both.
run: install serve-prep
	@$(FLASK) demo-logins
	@echo "Serving on http://$(HOST):$(PORT) (gunicorn) with one job worker; Ctrl-C stops both"
	@# The session key lives only in these processes' environment, never on disk; every web
	@# worker must share it, so it is made once here.
	@MATCHMAKER_SECRET_KEY=$${MATCHMAKER_SECRET_KEY:-$$($(PY) -c 'import secrets; print(secrets.token_hex(32))')} \
		HOST=$(HOST) $(VENV)/bin/honcho start --procfile Procfile --port $(PORT)

serve-prep:
	$(FLASK) db upgrade
	$(FLASK) demo-data
	$(FLASK) index build

test: install chromium
	$(PY) -m pytest

install: $(VENV)/.installed $(MO_FILES)

# torch first and pinned: a CPU build lies on these machines, and an unpinned torch would pull
# gigabytes of CUDA packages. The stamp makes a second `make` start at once.
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e '.[test,dev]'
	touch $@

%.mo: %.po $(VENV)/.installed
	$(PY) scripts/i18n.py compile

chromium:
	@bash scripts/install_chromium.sh

lint: install
	$(VENV)/bin/ruff check matchmaker tests scripts

typecheck: install
	$(VENV)/bin/mypy matchmaker/recommend matchmaker/services matchmaker/jobs matchmaker/queue.py matchmaker/mail.py
	$(VENV)/bin/mypy --strict --follow-imports=silent matchmaker/recommend

bench: install
	$(PY) scripts/bench_recommend.py

eval: install
	$(FLASK) eval benchmarks/bundles/dev-yc-crunchbase
	$(FLASK) eval benchmarks/bundles/dev-cn-chollima

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
