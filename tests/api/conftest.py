"""The real server, as the Docker image runs it: bin/serve (migrate, then uvicorn)."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
BODY_TIMEOUT = 2.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def server(session_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """bin/serve on a free port with 2 workers, one per backend for the whole session.

    Tests that use it write to article ids of their own."""
    tmp_path = tmp_path_factory.mktemp("server-log")
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": session_database_url,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        # Many tests share this server from one address: no rate limits here
        # (tests/api/test_access.py covers them); a short body timeout for the slow client.
        "RATE_LIMIT": "",
        "RATE_LIMIT_ANONYMOUS": "",
        "BODY_READ_TIMEOUT_SECONDS": str(BODY_TIMEOUT),
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    }
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(["bin/serve"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    f"server did not become ready:\n{(tmp_path / 'server.log').read_text()}"
                )
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
