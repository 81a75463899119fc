"""Suite-wide hooks: every test starts in the default language and time zone, and the run says
loudly when the browser journeys (tests/web, marker `browser`) could not run because this
machine has no Chromium."""

from __future__ import annotations

import pytest
from django.utils import timezone, translation

NO_BROWSER = "no Chromium"


@pytest.fixture(autouse=True)
def default_language_and_time_zone():
    """A page request through the test client activates its reader's language (LocaleMiddleware)
    and the pages' time zone in the test's own thread, and nothing deactivates them: without
    this, a test's English or UTC expectations would depend on which test ran before it."""
    yield
    translation.deactivate()
    timezone.deactivate()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if NO_BROWSER in str(getattr(report, "longrepr", ""))
    ]
    if not skipped:
        return
    line = "!" * 78
    terminalreporter.write_line(line, red=True, bold=True)
    terminalreporter.write_line(
        f"SKIPPED {len(skipped)} BROWSER JOURNEYS: no Chromium at /usr/bin/chromium "
        "(or $CHROMIUM_PATH).",
        red=True,
        bold=True,
    )
    terminalreporter.write_line(
        "Install it with `sudo apt-get install -y chromium` and run `make test` again; "
        "CI (.ci/run) installs it and fails when a journey is skipped (REQUIRE_BROWSER=1).",
        red=True,
    )
    terminalreporter.write_line(line, red=True, bold=True)
