"""The real server, as the Docker image runs it: bin/serve (migrate, then uvicorn)."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
BODY_TIMEOUT = 2.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(database_url: str, log_path: Path, **settings: str) -> Iterator[tuple[str, Any]]:
    """bin/serve (migrate, then uvicorn) on a free port: its base URL and process,
    stopped with SIGTERM at the end (killed if it does not stop)."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
        **settings,
    }
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            ["bin/serve"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killable with its workers
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, proc, log_path)
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def wait_ready(base: str, proc: Any, log_path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"server did not become ready:\n{log_path.read_text()}")
        time.sleep(0.2)


@pytest.fixture(scope="session")
def server(session_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """bin/serve on a free port with 2 workers, one per backend for the whole session.

    Tests that use it write to article ids of their own."""
    log = tmp_path_factory.mktemp("server-log") / "server.log"
    # Many tests share this server from one address: no rate limits here
    # (tests/api/test_access.py covers them); a short body timeout for the slow client.
    with serving(
        session_database_url,
        log,
        WEB_CONCURRENCY="2",
        RATE_LIMIT="",
        RATE_LIMIT_ANONYMOUS="",
        BODY_READ_TIMEOUT_SECONDS=str(BODY_TIMEOUT),
    ) as (base, _):
        yield base
