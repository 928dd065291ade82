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

.PHONY: install install-test apt apt-test apt-packages demo test test-fast lint bench corpus clean

# Two xdist workers (2 cores in CI); Ray tests share one worker (tests/conftest.py). `make test WORKERS=0`: serial.
WORKERS ?= 2
PYTEST := $(PYTHON) -m pytest -q $(if $(filter 0,$(WORKERS)),,-n $(WORKERS) --dist loadgroup)

# Exits 0 when this folder is installed (editable) with every requirement of the extras named as
# arguments satisfied, read from pyproject.toml: then `make install` runs no pip (pip takes a minute
# to find that out, rebuilding the editable wheel).
define INSTALLED_CHECK
import importlib.metadata as md, importlib.util, pathlib, sys, tomllib
from packaging.requirements import Requirement
project = tomllib.loads(pathlib.Path("pyproject.toml").read_text())["project"]
try:
    origin = importlib.util.find_spec(project["name"]).origin
    here = pathlib.Path(origin).resolve().is_relative_to(pathlib.Path("src").resolve())
    if not here or md.version(project["name"]) != project["version"]:
        sys.exit(1)
except (AttributeError, TypeError, md.PackageNotFoundError):
    sys.exit(1)
wanted = [Requirement(text) for text in project.get("dependencies", [])]
todo, seen = list(sys.argv[1:]), set()
while todo:
    extra = todo.pop()
    if extra not in seen:
        seen.add(extra)
        for req in map(Requirement, project["optional-dependencies"][extra]):
            if req.name == project["name"]:
                todo.extend(req.extras)
            else:
                wanted.append(req)
for req in wanted:
    if req.marker and not req.marker.evaluate({"extra": ""}):
        continue
    try:
        if not req.specifier.contains(md.version(req.name), prereleases=True):
            sys.exit(1)
    except md.PackageNotFoundError:
        sys.exit(1)
endef
export INSTALLED_CHECK


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
	@if $(PYTHON) -c "$$INSTALLED_CHECK" all; then echo "voiceleak[all] is installed from here: no pip"; else \
		$(PIP) install -q torch==2.13.0 && $(PIP) install -q -e '.[all]'; fi

install-test: install apt-test
	@if $(PYTHON) -c "$$INSTALLED_CHECK" all test; then echo "voiceleak[all,test] is installed from here: no pip"; \
	else $(PIP) install -q -e '.[all,test]'; fi

demo: install
	voiceleak demo --fresh

# Lint and types first (seconds), then the suite; the tools are pinned so CI reads code as we do.
# Every test runs here, the slow ones included.
test: install-test
	ruff check src tests benchmarks scripts
	mypy
	$(PYTEST)

# While developing: the same, without the tests marked slow (real models, Ray, whole runs in a subprocess).
test-fast: install-test
	ruff check src tests benchmarks scripts
	mypy
	$(PYTEST) -m "not slow"

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
