"""The viewer's browser tests: Debian's Chromium driven by Playwright, no download.

Without a Chromium (CHROMIUM, else `chromium` on PATH) they are skipped with one
line saying so, unless REQUIRE_BROWSER=1 (as .ci/run sets): then they fail.
"""

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.conftest import serving


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if path is None:
        message = "no Chromium (apt-get install chromium, or set CHROMIUM to one)"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"{message}; REQUIRE_BROWSER=1 demands it", pytrace=False)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright's launch, with the system's Chromium."""
    return {**browser_type_launch_args, "executable_path": chromium_path()}


@pytest.fixture(scope="module")
def viewer(session_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real server (bin/serve) on a loopback port, for the browser.

    Tests write to article ids of their own."""
    chromium_path()  # skip (or fail) before starting a server for nothing
    log = tmp_path_factory.mktemp("viewer-log") / "server.log"
    settings = {"WEB_CONCURRENCY": "1", "RATE_LIMIT": "", "RATE_LIMIT_ANONYMOUS": ""}
    with serving(session_database_url, log, **settings) as (base, _):
        yield base
