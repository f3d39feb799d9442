# Two set-up commands: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
ifeq ($(OS),Windows_NT)
  BIN := $(VENV)/Scripts
else
  BIN := $(VENV)/bin
endif

.PHONY: demo test bench template config-example picture clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/python main.py demo demo-workspace

test: $(BIN)/.installed
	$(BIN)/python -m pytest -q

bench: $(BIN)/.installed
	$(BIN)/python bench/run.py

template: $(BIN)/.installed
	$(BIN)/python -m automation.agenda.template sheets_templates/buku_agenda_press_release.xlsx

# config.example.toml, generated from the keys declared in automation/config.py
config-example: $(BIN)/.installed
	$(BIN)/python -m automation.config config.example.toml

# docs/img/*.png for docs/panduan-staf.md; needs LibreOffice Calc and poppler-utils (pdftoppm)
picture: $(BIN)/.installed
	$(BIN)/python docs/render_agenda_picture.py
	$(BIN)/python docs/render_pratinjau_pictures.py

clean:
	rm -rf $(VENV) demo-workspace .pytest_cache
