# Sales portal: `make run` serves it, `make test` tests it. Both install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 0.0.0.0
PORT ?= 5000
SIZE ?= large
# Worker processes of `make run`: single-threaded processes measured fastest on SQLite, 2 to 6 alike;
# four (two per core) leave one free while another streams a long export (bench/README.md, Latest figures).
WORKERS ?= 4
export FLASK_APP := portal

.PHONY: run test install install-dev install-load translations browser wrk bench loadtest capacity loadtest-cluster nginx clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

$(VENV)/.installed-load: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev,load]'
	touch $(VENV)/.installed $(VENV)/.installed-dev $@

install: $(VENV)/.installed translations
install-dev: $(VENV)/.installed-dev translations
install-load: $(VENV)/.installed-load translations

translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d portal/translations

# Debian's Chromium for the browser tests (Playwright's own download cannot work offline).
# A failed install is reported loudly; the browser tests then skip instead of failing the suite,
# except where PORTAL_REQUIRE_BROWSER=1 (CI), which turns those skips into failures.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing chromium for the browser tests"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
	  || echo "WARNING: chromium could not be installed; the browser tests will be skipped"; }
	@# A Chinese font, so the screenshots the browser tests save show the pages as people read them.
	@fc-list 2>/dev/null | grep -qi zenhei || { \
	  echo "installing a Chinese font for the browser tests"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-zenhei >/dev/null; } \
	  || echo "WARNING: fonts-wqy-zenhei could not be installed; screenshots will show boxes for Chinese"; }

run: install
	$(BIN)/flask db upgrade
	@echo "Sales portal on http://$(HOST):$(PORT)/ (this machine: http://127.0.0.1:$(PORT)/)"
	$(BIN)/gunicorn --bind $(HOST):$(PORT) --workers $(WORKERS) --timeout 120 wsgi:app

test: install-dev browser
	$(BIN)/pytest

bench: install-dev
	$(BIN)/python -m bench.run --size $(SIZE) $(if $(ONLY),--only $(ONLY))

# wrk (Debian's package) for the capacity run.
wrk:
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "installing wrk"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

# Mixed load through the real server at 10, 50 and 200 users with think time (bench/loadtest.py),
# then each request kind alone with wrk (bench/capacity.py); figures in bench/results/.
# STEP=START,STEP,MAX instead finds the largest user count served with p95 <= 300 ms and no errors.
loadtest: install-load wrk
	$(BIN)/python -m bench.loadtest --size $(SIZE) $(if $(STEP),--step $(STEP))
	$(BIN)/python -m bench.capacity --size $(SIZE)

# Each request kind alone with wrk against make run's server, as a ratio to the login page.
capacity: install-load wrk
	$(BIN)/python -m bench.capacity --size $(SIZE) $(if $(ONLY),--only $(ONLY))

# nginx (Debian's package) for the scale-out run.
nginx:
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { \
	  echo "installing nginx"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null \
	  || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; }

# nginx in front of two app servers on PostgreSQL with Redis (bench/cluster.py; figures in bench/results/).
CLUSTER_SIZE ?= medium
loadtest-cluster: install-load nginx
	$(BIN)/python -m bench.cluster --size $(CLUSTER_SIZE)

clean:
	rm -rf $(VENV) build *.egg-info
