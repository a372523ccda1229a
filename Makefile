# Two commands for a newcomer: `make run` and `make test`. Everything else here serves them.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
LOCALES := locales
MO_FILES := $(LOCALES)/id/LC_MESSAGES/messages.mo $(LOCALES)/en/LC_MESSAGES/messages.mo

.PHONY: install run test lint format extract update-catalogs compile bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Translations: extract messages from the code, merge them into each language, compile to .mo.
extract: install
	$(BIN)/pybabel -q extract -F babel.cfg -k _ -k gettext -k ngettext:1,2 --no-location \
		--omit-header -w 120 -o $(LOCALES)/messages.pot bot handlers

update-catalogs: extract
	$(BIN)/pybabel -q update --no-fuzzy-matching -w 120 -i $(LOCALES)/messages.pot -d $(LOCALES)

$(LOCALES)/%/LC_MESSAGES/messages.mo: $(LOCALES)/%/LC_MESSAGES/messages.po | install
	$(BIN)/pybabel -q compile -d $(LOCALES) -l $* -f

compile: $(MO_FILES)

run: install compile
	$(BIN)/kampung-bahagia run

test: install compile
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install compile
	$(BIN)/python bench/updates.py
	$(BIN)/python bench/broadcast.py --recipients 1583 --rate 30

clean:
	rm -rf $(VENV) $(MO_FILES)
