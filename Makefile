# The two commands a newcomer needs: `make run` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run chat test lint bench flows clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)  ## the bot: on Telegram with TELEGRAM_BOT_TOKEN, else in this terminal
	$(BIN)/alongside run

chat: $(STAMP)  ## the conversation in this terminal, whatever the settings
	$(BIN)/alongside chat

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint  ## lint, types, and the whole test suite
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/startup.py $(if $(ALONGSIDE_TEST_POSTGRES_URL),--postgres $(ALONGSIDE_TEST_POSTGRES_URL))
	$(BIN)/python bench/checkins.py $(if $(ALONGSIDE_TEST_POSTGRES_URL),--postgres $(ALONGSIDE_TEST_POSTGRES_URL))
	$(BIN)/python bench/safety_screen.py
	$(BIN)/python bench/understanding.py
	$(BIN)/python bench/language_guard.py
	$(BIN)/python bench/dashboard.py $(if $(ALONGSIDE_TEST_POSTGRES_URL),--postgres $(ALONGSIDE_TEST_POSTGRES_URL))
	$(BIN)/python bench/privacy_at_rest.py $(if $(ALONGSIDE_TEST_POSTGRES_URL),--postgres $(ALONGSIDE_TEST_POSTGRES_URL))

flows: $(STAMP)  ## check the flows and print them as a Mermaid diagram
	$(BIN)/alongside flows --mermaid

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
