"""A pytest plugin: with ``PORTAL_REQUIRE_BROWSER=1`` (set by CI) a skipped browser test fails.

On a laptop without Chromium the browser tests skip; in CI a skip would hide that the journeys
never ran, so there the skip is turned into a failure that says why.
"""
import os

import pytest


def browser_required() -> bool:
    return os.environ.get("PORTAL_REQUIRE_BROWSER") == "1"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and browser_required() and item.get_closest_marker("browser") is not None:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"browser test skipped while PORTAL_REQUIRE_BROWSER=1: {reason}"
