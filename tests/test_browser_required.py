"""CI cannot pass with the browser tests silently skipped."""
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SKIPPED_BROWSER_TEST = '''
import pytest

@pytest.mark.browser
@pytest.mark.skip(reason="chromium is not installed")
def test_journey():
    pass
'''


def _run(tmp_path, require: str | None) -> subprocess.CompletedProcess:
    (tmp_path / "test_journey.py").write_text(SKIPPED_BROWSER_TEST)
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers = browser: a browser test\n")
    env = {key: value for key, value in os.environ.items() if key != "PORTAL_REQUIRE_BROWSER"}
    env["PYTHONPATH"] = str(HERE)
    if require is not None:
        env["PORTAL_REQUIRE_BROWSER"] = require
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "browser_required", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True,
    )


def test_a_skipped_browser_test_fails_when_the_browser_is_required(tmp_path):
    result = _run(tmp_path, "1")
    assert result.returncode == 1, result.stdout
    assert "browser test skipped while PORTAL_REQUIRE_BROWSER=1" in result.stdout
    assert "chromium is not installed" in result.stdout


def test_a_skipped_browser_test_only_skips_on_a_laptop(tmp_path):
    result = _run(tmp_path, None)
    assert result.returncode == 0, result.stdout
    assert "1 skipped" in result.stdout
