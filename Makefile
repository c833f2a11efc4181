# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test lint typecheck unit browser spark demo bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml setup.py protocols/_hmac_kernel.c protocols/_phone_kernel.c protocols/_ristretto_kernel.c | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check protocols policies reports party_agent cleanroom tests benchmarks tools
	$(BIN)/ruff format --check protocols policies reports party_agent cleanroom tests benchmarks tools

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) browser spark
	$(BIN)/pytest

# The console's browser tests drive Debian's Chromium (never a downloaded build). Where it
# is missing and we are root with apt-get, install it; otherwise the tests skip, saying why.
browser:
	@if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		echo "installing Debian's chromium for the console's browser tests (apt-get)"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
			>/dev/null 2>&1 || echo "could not install chromium; the browser tests will skip"; \
	fi

# The Spark engine needs pyspark (in '.[dev]' and '.[spark]') and a Java runtime (17+).
# Where java is missing and we are root with apt-get, install Debian's headless JRE;
# otherwise say exactly what to install (the Spark tests skip, saying why).
spark: $(STAMP)
	@if command -v java >/dev/null 2>&1 || [ -x "$${JAVA_HOME:-/nonexistent}/bin/java" ]; then \
		:; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		echo "installing Debian's headless Java runtime for the Spark engine (apt-get)"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			openjdk-17-jre-headless) >/dev/null 2>&1 \
			|| echo "could not install openjdk-17-jre-headless; the Spark tests will skip"; \
	else \
		echo "the Spark engine needs a Java runtime 17 or newer: apt-get install" \
			"openjdk-17-jre-headless (Debian/Ubuntu), or install a JDK and set JAVA_HOME;" \
			"the Spark tests skip until then"; \
	fi
	@$(BIN)/python -c "import pyspark" 2>/dev/null || $(BIN)/python -m pip install --quiet -e '.[spark]'

test: lint typecheck unit

demo: $(STAMP)
	$(BIN)/cleanroom demo --workdir demo-workdir

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'  # OpenMined PSI: bench_blind's baseline
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) demo-workdir .pytest_cache .mypy_cache .ruff_cache
