# The two set-up commands in the README: `make site` and `make test`. Each installs what it needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: site test test-fast lint lint-js venv node browser spell

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

venv: $(VENV)/.installed
node: node_modules/.installed

# Debian's Chromium for the browser tests (Playwright's own browser download cannot work here).
browser:
	@command -v /usr/bin/chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "note: /usr/bin/chromium missing and not root: browser tests will be skipped"; fi; }

# Debian's hunspell and its British English dictionary for the spelling test of the rendered pages.
spell:
	@{ command -v hunspell >/dev/null && [ -f /usr/share/hunspell/en_GB.dic ]; } || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq hunspell hunspell-en-gb >/dev/null; \
	  else echo "note: hunspell (en_GB) missing and not root: the spelling test will be skipped"; fi; }

site: venv node
	$(PY) -m gen build

test: venv node browser spell
	$(PY) -m pytest -q

# Python lint (ruff.toml); the page's JavaScript is linted by lint-js.
lint: venv lint-js
	$(VENV)/bin/ruff check .

# The fast lane: no browser, no site build, no training (markers in pytest.ini). Under 2 minutes.
test-fast: venv
	$(PY) -m pytest -q -m "not slow and not browser and not site"

# ESLint over the site's own JavaScript (flat config: site_src/eslint.config.mjs; ESLint pinned in package.json).
lint-js: node
	cd site_src && ../node_modules/.bin/eslint --max-warnings 0 assets
