# Tableau de bord d'impact — cité éducative.
#   make run    installe ce qu'il faut, charge la démonstration si la base est vide, lance l'application
#               sur ce poste seulement (127.0.0.1) ; IMPACT_ADDRESS=0.0.0.0 make run l'ouvre au réseau, ce qui
#               est refusé tant qu'aucun compte et aucune connexion unique n'existent
#   make test   installe aussi les outils de test, un Chromium sans affichage et axe-core (npm), puis lance les tests
#   make bench  mesures de performance (tableaux imprimés)
#   make clean  supprime l'environnement Python et les fichiers générés (jamais la base ni son secret)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
IMPACT_DB ?= data/impact.duckdb
PORT ?= 8501
# This machine only, unless told otherwise (and refused on a network without accounts: serve-check).
IMPACT_ADDRESS ?= 127.0.0.1
CHROMIUM := /usr/bin/chromium
BENCH_OUT := bench/output
# axe-core (npm), the accessibility audit of the browser tests: version pinned in package-lock.json
AXE := node_modules/axe-core/axe.min.js

.PHONY: help run test lint bench clean venv chromium report-tools axe

help:
	@echo "make run    lance le tableau de bord sur http://localhost:$(PORT) (ce poste seulement)"
	@echo "make test   lance toutes les vérifications (ruff, pytest, navigateur)"
	@echo "make bench  mesures de performance"
	@echo "make clean  supprime .venv et les fichiers générés"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Reinstall only when the pinned list changes: the stamp is newer than the list otherwise.
$(VENV)/.requirements.stamp: requirements.txt | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.requirements-test.stamp: requirements-test.txt requirements.txt | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-test.txt
	touch $@

venv: $(VENV)/.requirements.stamp

run: $(VENV)/.requirements.stamp report-tools
	$(PY) -m impact serve-check "$(IMPACT_ADDRESS)" --db "$(IMPACT_DB)"
	$(PY) -m impact demo --if-empty --db "$(IMPACT_DB)"
	IMPACT_DB="$(IMPACT_DB)" $(PY) -m streamlit run dashboard.py \
		--server.headless true --server.address "$(IMPACT_ADDRESS)" --server.port $(PORT) \
		--browser.gatherUsageStats false

chromium:
	@if [ -x "$(CHROMIUM)" ]; then \
		exit 0; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		echo "Installation de Chromium (apt-get install chromium)..."; \
		DEBIAN_FRONTEND=noninteractive apt-get update -q; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	else \
		echo "Chromium est introuvable ($(CHROMIUM)) : les tests dans un navigateur en ont besoin." >&2; \
		echo "Installez-le en administrateur : sudo apt-get update && sudo apt-get install -y chromium" >&2; \
		exit 1; \
	fi

# The report (PDF, Word) draws its charts with Chromium (kaleido) and lays out its pages with WeasyPrint,
# which needs Pango. Installed when missing and we are root; otherwise said, and the dashboard runs
# without them (the Rapport page says what is missing).
report-tools: $(VENV)/.requirements.stamp
	@missing=""; \
	if [ ! -x "$(CHROMIUM)" ] && ! command -v chromium >/dev/null; then missing="chromium"; fi; \
	if ! $(PY) -c "import weasyprint" >/dev/null 2>&1; then missing="$$missing libpango-1.0-0 libpangoft2-1.0-0"; fi; \
	if [ -z "$$missing" ]; then \
		exit 0; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		echo "Installation de ce dont le rapport a besoin (apt-get install $$missing)..."; \
		DEBIAN_FRONTEND=noninteractive apt-get update -q; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	else \
		echo "Le rapport (PDF et Word) a besoin de : $$missing." >&2; \
		echo "Installez-les en administrateur : sudo apt-get update && sudo apt-get install -y $$missing" >&2; \
		echo "Le tableau de bord fonctionne sans ; la page « Rapport » dit ce qui manque." >&2; \
	fi

# Without npm (and not root to install it), the browser tests skip the audit and say why.
$(AXE): package.json package-lock.json
	@if ! command -v npm >/dev/null && [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		echo "Installation de npm (apt-get install npm), pour l'audit d'accessibilité..."; \
		DEBIAN_FRONTEND=noninteractive apt-get update -q; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q npm; \
	fi
	@if command -v npm >/dev/null; then \
		npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else \
		echo "npm est introuvable : l'audit d'accessibilité (axe-core) sera sauté. Installez npm." >&2; \
	fi

axe: $(AXE)

lint: $(VENV)/.requirements-test.stamp
	$(VENV)/bin/ruff check .

# pytest exits 5 when it collects no test: any non-zero status fails the target.
# The tests run in TEST_WORKERS processes (pytest-xdist), one per core: a third process on two cores
# is no faster (three took 2 min 59 s and 3 min 11 s in hours when two took 2 min 56 s to 3 min 55 s).
# With two, the tests now take 2 min 44 s to 3 min 11 s on the same shared machine from one hour to
# the next, as its speed varies.
# TEST_WORKERS=0 runs them in this process.
TEST_WORKERS ?= 2
test: $(VENV)/.requirements-test.stamp chromium report-tools $(AXE) lint
	$(PY) -m pytest -p tests.conftest_meta -n $(TEST_WORKERS) --dist loadgroup tests/

$(BENCH_OUT)/national.duckdb: bench/make_national.py | $(VENV)/.requirements-test.stamp
	mkdir -p $(BENCH_OUT)
	$(PY) bench/make_national.py --db $@

bench: $(VENV)/.requirements-test.stamp chromium report-tools $(BENCH_OUT)/national.duckdb
	$(PY) bench/pages.py --national $(BENCH_OUT)/national.duckdb
	$(PY) bench/import.py
	$(PY) bench/startup.py
	$(PY) bench/browser.py
	$(PY) bench/report.py

clean:
	rm -rf $(VENV) node_modules test-output $(BENCH_OUT) .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
