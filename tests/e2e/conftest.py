"""Real-browser tests: Playwright for Python driving Debian's Chromium against pytest-django's live server.

No browser is ever downloaded: the tests use /usr/bin/chromium (`apt-get install -y chromium`, which
.ci/run does when it is missing). Where Chromium or the playwright package is missing the tests are
skipped, loudly: the skip reason names the command, a warning carries it into the warnings summary (also
under xdist), and the terminal summary repeats it when pytest runs in one process.
"""

import os
import shutil
import warnings
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _async_unsafe_allowed(monkeypatch):
    """Playwright's sync API runs an event loop in this thread; Django would then refuse ORM calls made from
    the test itself. The calls are synchronous and on this thread, so they are safe — for these tests only
    (set for the whole run, the switch would leak into other tests' subprocesses)."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None

INSTALL_COMMAND = "apt-get install -y chromium"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"


def _missing() -> str | None:
    if shutil.which("chromium") is None or not Path(CHROMIUM).exists():
        return (
            "Chromium is not installed: the end-to-end browser tests were SKIPPED. "
            f"Install it with: {INSTALL_COMMAND}"
        )
    if sync_playwright is None:
        return (
            "The playwright package is not installed: the end-to-end browser tests were SKIPPED. "
            "Install the dev dependencies (make bootstrap) and Chromium with: " + INSTALL_COMMAND
        )
    return None


MISSING = _missing()


def pytest_terminal_summary(terminalreporter):
    if MISSING and any(
        "tests/e2e" in report.nodeid.replace(os.sep, "/")
        for report in terminalreporter.stats.get("skipped", [])
    ):
        terminalreporter.write_sep("!", "END-TO-END BROWSER TESTS SKIPPED", red=True, bold=True)
        terminalreporter.write_line(MISSING, red=True, bold=True)


@pytest.fixture
def browser(transactional_db, live_server):
    """A headless Chromium for one test; each user then gets a fresh context (no shared cookies).

    Started per test, after the database is set up and stopped before it is flushed: while Playwright's
    sync API runs, Django sees another context, with database connections of its own (closed here).
    """
    if MISSING:
        warnings.warn(MISSING, pytest.PytestWarning, stacklevel=1)
        pytest.skip(MISSING)
    from django.db import connections

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
            connections.close_all()


@pytest.fixture(autouse=True)
def _no_persistent_db_connections():
    """The live server answers each browser connection in its own thread, which Chromium keeps alive: with
    persistent database connections those threads would still hold theirs when the test database is dropped.
    Close each one at the end of its request instead."""
    from django.db import connections

    config = connections.settings["default"]
    before = config["CONN_MAX_AGE"]
    config["CONN_MAX_AGE"] = 0
    yield
    config["CONN_MAX_AGE"] = before


@pytest.fixture
def artifacts():
    """Where each step's screenshot goes (git-ignored; CI keeps the folder as the run's artifacts)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
