"""Browser tests: Debian's Chromium driven by Playwright against the app in a real server.

Skipped, with the reason printed in pytest's summary (-ra), when /usr/bin/chromium or the
playwright package is missing. Screenshots of each step go to $E2E_ARTIFACTS
(default tests/e2e/artifacts/, ignored by git).
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.localstripe_server import LocalStripe, free_port

CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("E2E_ARTIFACTS") or Path(__file__).parent / "artifacts")

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None

SKIP_REASON = (
    "playwright is not installed (pip install -e '.[test]')"
    if sync_playwright is None
    else f"{CHROMIUM} is missing (apt-get install chromium fonts-noto-cjk)"
    if not CHROMIUM.exists()
    else ""
)


def pytest_collection_modifyitems(config, items):
    """Every test here is marked `e2e` in its module; skip them all, saying why."""
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            if SKIP_REASON:
                item.add_marker(pytest.mark.skip(reason=f"e2e skipped: {SKIP_REASON}"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so a fixture can tell that its test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def pytest_terminal_summary(terminalreporter):
    if SKIP_REASON and any(
        "e2e" in str(r.nodeid) for r in terminalreporter.stats.get("skipped", [])
    ):
        terminalreporter.write_line(f"END-TO-END BROWSER TESTS SKIPPED: {SKIP_REASON}", red=True)


@pytest.fixture(scope="session")
def live_server():
    """The base URL of the app served by tests/e2e/server.py on a free port."""
    stripe = LocalStripe().start()
    tmp = tempfile.TemporaryDirectory(prefix="market-e2e-")
    port = free_port()
    log = open(Path(tmp.name) / "server.log", "w+")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.e2e.server", str(port), str(Path(tmp.name) / "e2e.db"),
         stripe.url],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True,
    )  # fmt: skip
    try:
        line = proc.stdout.readline()
        if "READY" not in line:
            proc.wait(10)
            log.seek(0)
            raise RuntimeError(f"the e2e server did not start:\n{log.read()[-3000:]}")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        proc.stdout.close()
        stripe.stop()
        log.close()
        tmp.cleanup()


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


class Shots:
    """Numbered screenshots, one per step, under ARTIFACTS."""

    def __init__(self):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for old in ARTIFACTS.glob("*.png"):
            old.unlink()
        self.n = 0
        self.started = time.monotonic()

    def __call__(self, page, name: str) -> None:
        self.n += 1
        page.screenshot(path=str(ARTIFACTS / f"{self.n:02d}-{name}.png"), full_page=True)


@pytest.fixture(scope="session")
def shot():
    return Shots()
