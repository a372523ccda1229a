"""Browser tests: Playwright driving Debian's Chromium (/usr/bin/chromium) against the dashboard served by uvicorn
in the test's own event loop (hence Playwright's async API). Never `playwright install`: no browser is downloaded.

Without /usr/bin/chromium every browser test is skipped, folded into one line of the summary; with
REQUIRE_BROWSER=1 (as in CI, .ci/run) that is a failure instead. One database is enough in a browser: these run
on SQLite only. A failing test leaves a screenshot of its page under its tmp_path (printed with the failure).
"""

import os
import shutil
from collections.abc import AsyncIterator, Generator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

CHROMIUM = Path("/usr/bin/chromium")
# This machine's network refuses connections the browser would make on its own: none are attempted.
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SKIPPED = "browser tests skipped: install Debian's chromium (apt-get install chromium)"
_outcomes = pytest.StashKey[dict[str, pytest.TestReport]]()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    # Kept for the page fixture's teardown, which takes a screenshot when the test itself failed.
    item.stash.setdefault(_outcomes, {})[report.when] = report
    if report.skipped and isinstance(report.longrepr, tuple) and SKIPPED in report.longrepr[2]:
        report.longrepr = (__file__, None, report.longrepr[2])  # one place: `-ra` folds them into one line
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    skipped = terminalreporter.stats.get("skipped", [])
    count = sum(1 for r in skipped if isinstance(r.longrepr, tuple) and SKIPPED in r.longrepr[2])
    if count:
        terminalreporter.write_line(f"{SKIPPED} ({count} tests).", yellow=True, bold=True)


@pytest.fixture
def database_url(sqlite_template: Path, tmp_path: Path) -> Iterator[str]:
    """SQLite only (overrides the both-databases fixture of tests/conftest.py)."""
    path = tmp_path / "test.db"
    shutil.copyfile(sqlite_template, path)
    yield f"sqlite+aiosqlite:///{path}"


def _require_chromium() -> None:
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"REQUIRE_BROWSER=1 but {CHROMIUM} is missing: apt-get install chromium", pytrace=False)
    pytest.skip(SKIPPED)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    _require_chromium()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def page(browser: Browser, request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Page]:
    context = await browser.new_context(locale="id-ID")
    opened = await context.new_page()
    opened.set_default_timeout(10_000)
    try:
        yield opened
    finally:
        call = request.node.stash.get(_outcomes, {}).get("call")
        if call is not None and call.failed:
            shot = tmp_path / "failure.png"
            await opened.screenshot(path=shot, full_page=True)
            print(f"screenshot of the page when the test failed: {shot}")
        await context.close()
