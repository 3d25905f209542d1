"""`make load`: a bounded load test against a local server on PostgreSQL.

Starts bin/serve (WEB_CONCURRENCY workers, default 2) on a fresh database of the
PostgreSQL at LOAD_DATABASE_URL (default: the local test server), runs locust
headless (LOAD_USERS users for LOAD_SECONDS seconds) with the mix in
load/locustfile.py, and prints requests/s, p50/p95/p99 per request type and the
error count. Exit 1 if any request failed.
"""

import csv
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from scripts.databases import fresh_database

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> int:
    users = os.environ.get("LOAD_USERS", "16")
    seconds = os.environ.get("LOAD_SECONDS", "30")
    workers = os.environ.get("WEB_CONCURRENCY", "2")
    bindir = Path(sys.executable).parent
    with (
        tempfile.TemporaryDirectory() as folder,
        fresh_database(os.environ.get("LOAD_DATABASE_URL", DEFAULT_URL), prefix="load") as url,
    ):
        port = _free_port()
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "WEB_CONCURRENCY": workers,
            "RATE_LIMIT": "",
            "RATE_LIMIT_ANONYMOUS": "",
            "LOG_LEVEL": "WARNING",
            "PATH": f"{bindir}:{os.environ.get('PATH', '')}",
        }
        server = subprocess.Popen(["bin/serve"], cwd=ROOT, env=env)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    print("the server did not start", file=sys.stderr)
                    return 2
                time.sleep(0.2)
            prefix = Path(folder) / "run"
            subprocess.run(
                [
                    str(bindir / "locust"),
                    "-f",
                    "load/locustfile.py",
                    "--headless",
                    "--users",
                    users,
                    "--spawn-rate",
                    users,
                    "--run-time",
                    f"{seconds}s",
                    "--host",
                    base,
                    "--csv",
                    str(prefix),
                    "--only-summary",
                    "--loglevel",
                    "WARNING",
                ],
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                check=False,
            )
            return _report(prefix, users, seconds, workers)
        finally:
            server.terminate()
            server.wait(timeout=30)


def _report(prefix: Path, users: str, seconds: str, workers: str) -> int:
    with open(f"{prefix}_stats.csv", newline="") as stats:
        rows = list(csv.DictReader(stats))
    print(
        f"\nmake load: {users} users, {seconds} s, {workers} API workers, PostgreSQL"
        f"\n{'request':<16}{'count':>8}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}"
        f"{'errors':>8}"
    )
    errors = 0
    for row in rows:
        name = row["Name"] if row["Name"] != "Aggregated" else "all"
        errors += int(row["Failure Count"]) if name != "all" else 0
        print(
            f"{name:<16}{row['Request Count']:>8}{float(row['Requests/s']):>8.1f}"
            f"{row['50%']:>8}{row['95%']:>8}{row['99%']:>8}{row['Failure Count']:>8}"
        )
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
