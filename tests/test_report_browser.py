"""The audit report in a real browser: headless Chromium over a report built from a small fixture run.

Each page is copied next to itself with a probe script appended; Chromium loads it, the script writes
its checks into the DOM, and `--dump-dom` hands the DOM back. Console errors come from Chromium's log.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from voiceleak.report.html import write_html
from voiceleak.runner.plan import RunConfig
from voiceleak.runner.run import Runner, RunOptions
from voiceleak.studies.execute import report_run

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make install-test "
                                                         "installs it): no browser to test the report in")

PROBE = """<script>
window.__errors = window.__errors || [];
window.addEventListener('error', e => window.__errors.push(String(e.message)));
</script>"""
CHECKS = """<script>
function voiceleakChecks() {
  const out = {
    scrollWidth: document.documentElement.scrollWidth,
    errors: window.__errors || [],
    brokenImages: [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.alt),
    readings: [...document.querySelectorAll('ul.readings li')].map(li => li.textContent),
    rows: document.querySelectorAll('#rows tr').length,
    audio: document.querySelectorAll('#rows audio').length,
    title: document.title,
  };
  const o = document.getElementById('outcome');
  if (o && o.options.length > 1) {
    o.value = o.options[1].value; o.dispatchEvent(new Event('change'));
    const shown = [...document.querySelectorAll('#rows tr')];
    out.filtered = shown.length;
    out.filteredOutcomes = [...new Set(shown.map(r => r.dataset.outcome))];
    out.filterValue = o.value;
  }
  const pre = document.createElement('pre'); pre.id = 'voiceleak-checks';
  pre.textContent = JSON.stringify(out); document.body.appendChild(pre);
}
window.addEventListener('load', voiceleakChecks);
</script>"""


def browse(page: Path, tmp: Path) -> tuple[dict[str, object], str]:
    """Load `page` (with the probe scripts) in headless Chromium; returns the checks and its log."""
    text = page.read_text(encoding="utf-8")
    probe = page.with_name(f"_probe_{page.name}")
    probe.write_text(text.replace("<head>", "<head>" + PROBE, 1).replace("</body>", CHECKS + "</body>"),
                     encoding="utf-8")
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp / 'chrome'}",
               "--window-size=1280,900", "--enable-logging=stderr", "--v=0", "--virtual-time-budget=3000",
               "--dump-dom", probe.as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)
    probe.unlink()
    found = re.search(r'<pre id="voiceleak-checks">(.*?)</pre>', done.stdout, re.S)
    assert found, f"the page never finished loading: {done.stderr[-2000:]}"
    import html

    return json.loads(html.unescape(found.group(1))), done.stderr


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.targets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and ((tag == "a" and name == "href") or (tag in {"img", "audio", "source"} and name == "src")):
                self.targets.append(value)


def local_targets(page: Path) -> list[str]:
    parser = Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return [t for t in parser.targets if not t.startswith(("data:", "#", "http:", "https:", "mailto:"))]


def console_errors(log: str) -> list[str]:
    return [line for line in log.splitlines() if "CONSOLE" in line and ("Uncaught" in line or "ERROR" in line
                                                                          or "rror" in line)]


@pytest.fixture(scope="module")
def audit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A main run (probe + calibration baselines + blind control) with one sub-run: seconds, not the demo."""
    import os
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from conftest import SPEAKERS, write_corpus

    base = tmp_path_factory.mktemp("browser")
    previous = os.environ.get("VOICELEAK_CACHE")
    os.environ["VOICELEAK_CACHE"] = str(base / "cache")
    try:
        speakers = [*SPEAKERS, ("m4", "Male", 110.0), ("m5", "Male", 145.0), ("f4", "Female", 222.0),
                    ("f5", "Female", 248.0)]
        manifest = write_corpus(base / "corpus", speakers, clips_each=2, seconds=1.0)
        out = base / "audit"
        config = RunConfig(corpus=str(manifest), models=("probe", "majority", "uniform"), tasks=("attribute:sex",),
                           transforms=("none", "blind:silence"))
        runner = Runner(config, RunOptions(out=out, quiet=True))
        runner.execute()
        report_run(runner)
        sub = RunConfig(corpus=str(manifest), models=("uniform",), tasks=("attribute:sex",))
        sub_runner = Runner(sub, RunOptions(out=out / "extra", quiet=True))
        sub_runner.execute()
        report_run(sub_runner)
        # the main run's pages again, now that the sub-run exists (what `voiceleak demo` does at its end)
        write_html(out, json.loads((out / "results.json").read_text()))
    finally:
        if previous is None:
            os.environ.pop("VOICELEAK_CACHE", None)
        else:
            os.environ["VOICELEAK_CACHE"] = previous
    return out


def test_landing_page_reads_findings_first_and_fits_1280(audit: Path, tmp_path: Path) -> None:
    checks, log = browse(audit / "index.html", tmp_path)
    assert checks["errors"] == [] and console_errors(log) == []
    assert checks["scrollWidth"] <= 1280  # type: ignore[operator]
    assert checks["brokenImages"] == []
    assert "corpus" in str(checks["title"]) and "probe" in str(checks["title"])
    # the headline names the figures of results.json: the probe's balanced accuracy and leakage on sex
    results = json.loads((audit / "results.json").read_text())
    probe = next(c for c in results["cells"] if c["model"] == "probe" and c["transform"] == "none")
    reading = next(r for r in checks["readings"] if r.startswith("sex"))  # type: ignore[union-attr]
    assert f"{probe['metrics']['balanced_accuracy']['value'] * 100:.1f} balanced accuracy" in reading
    assert f"{probe['metrics']['leakage']['value'] * 100:+.1f} points above its null" in reading
    assert "calibration" not in reading  # stand-in baselines are no finding
    page = (audit / "index.html").read_text()
    assert page.index("voiceprint probe") < page.index("calibration run")


def test_every_page_loads_clean_and_every_link_resolves(audit: Path, tmp_path: Path) -> None:
    pages = [audit / "index.html", audit / "report.html", audit / "samples.html", audit / "extra" / "report.html",
             audit / "extra" / "samples.html"]
    for page in pages:
        assert page.exists(), page
        for target in local_targets(page):
            path = (page.parent / unquote(urlparse(target).path)).resolve()
            assert path.exists(), f"{page.name} links to missing {target}"
        checks, log = browse(page, tmp_path)
        assert checks["errors"] == [] and console_errors(log) == [], (page, log[-1500:])
        assert checks["scrollWidth"] <= 1280, (page, checks["scrollWidth"])  # type: ignore[operator]
        assert checks["brokenImages"] == [], page
    assert "extra/report.html" in (audit / "index.html").read_text()  # one audit, one navigation


def test_sample_browser_shows_replies_with_audio_and_filters_by_outcome(audit: Path, tmp_path: Path) -> None:
    checks, _ = browse(audit / "samples.html", tmp_path)
    assert checks["rows"] == 20 and checks["audio"] == 20  # 10 speakers x 2 clips, each with its player
    assert checks["filtered"] <= checks["rows"]  # type: ignore[operator]
    assert checks["filteredOutcomes"] == [checks["filterValue"]]


def test_the_browser_check_itself_catches_a_script_error(tmp_path: Path) -> None:
    """Guards the guard: a page that throws is reported both by the page probe and by Chromium's log."""
    page = tmp_path / "broken.html"
    page.write_text("<!doctype html><html><head></head><body><p>x</p><script>missingFunction();</script></body></html>")
    checks, log = browse(page, tmp_path)
    assert checks["errors"] and console_errors(log)
