# Quick start: `make demo` (install, then audit the shipped demo corpus) and `make test`.
PYTHON ?= python3
PIP := $(PYTHON) -m pip
# Debian packages: speech synthesis the tests use to make spoken audio, sox for measurements.
APT_PACKAGES := flite espeak-ng sox libsndfile1
# Debian packages the tests alone need: chromium drives the report in a real browser (tests/test_report_browser.py).
TEST_APT_PACKAGES := chromium
# Only to rebuild the shipped demo corpus from its sources (scripts/build_demo_corpus.py).
CORPUS_APT_PACKAGES := asterisk-core-sounds-en-wav asterisk-core-sounds-es-wav asterisk-core-sounds-fr-wav \
	asterisk-core-sounds-it-wav asterisk-core-sounds-ru-wav flite festival festvox-kallpc16k \
	festvox-us-slt-hts festvox-italp16k festvox-itapc16k

.PHONY: install install-test apt apt-test apt-packages demo test lint bench corpus clean

apt:
	@$(MAKE) --no-print-directory apt-packages PACKAGES="$(APT_PACKAGES)"

apt-test:
	@$(MAKE) --no-print-directory apt-packages PACKAGES="$(TEST_APT_PACKAGES)"

apt-packages:
	@missing=""; for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# torch is pinned to the CPU build first, so no other requirement can pull a multi-GB CUDA build.
install: apt
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e '.[all]'

install-test: install apt-test
	$(PIP) install -q -e '.[all,test]'

demo: install
	voiceleak demo --fresh

# Lint and types first (seconds), then the suite; the tools are pinned so CI reads code as we do.
test: install-test
	ruff check src tests benchmarks scripts
	mypy
	$(PYTHON) -m pytest -q

lint: install-test
	ruff check src tests benchmarks scripts
	mypy

bench: install-test
	$(PYTHON) benchmarks/run_all.py

corpus:
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(CORPUS_APT_PACKAGES)
	$(PYTHON) scripts/build_demo_corpus.py

clean:
	rm -rf runs build dist *.egg-info .pytest_cache .mypy_cache
