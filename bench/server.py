"""Requests against a real server (uvicorn, one worker), side by side in one run:
single ingest against a bare insert of the same body, serial and with 8
concurrent clients, in three alternating rounds (the median round counts), each
article getting the successive versions of a real corpus history (as text, about
6 KB); reads (a stored diff, a revision, a 500-revision history) by p99 net of the
client's own overhead (the p99 of a no-op route through the same client). SQLite
and PostgreSQL, each in a fresh database.
"""

import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench.ingest import DEFAULT_URL, _database

ROOT = Path(__file__).resolve().parent.parent
TEXT = {"Content-Type": "text/plain"}
CLIENTS = 8
ROUNDS = 3  # of bare and ingest in turn (the median round is reported)
# (goal: ingest at least this share of the bare insert's requests/s)
INGEST_GOAL = 0.5
# p99 goals in ms, net of the client's overhead
READ_GOALS = {"diff": 5.0, "revision": 3.0, "history-500": 30.0}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(database_url: str, with_pid: bool = False) -> Iterator[Any]:
    """A uvicorn (one worker) on a free port: its base URL (and pid, `with_pid`)."""
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "RATE_LIMIT": "", "RATE_LIMIT_ANONYMOUS": ""}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "bench.app:create_bench_app",
            "--port",
            str(port),
            "--workers",
            "1",
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        yield (base, process.pid) if with_pid else base
    finally:
        process.terminate()
        process.wait(10)


def _timed(
    send: Callable[[httpx.Client, int], httpx.Response],
    count: int,
    clients: int,
    base: str,
    first: int = 0,
) -> tuple[float, list[float]]:
    """Requests/s and latencies (ms) of requests first … first + count - 1 from
    `clients` threads."""

    def worker(share: range) -> list[float]:
        out = []
        with httpx.Client(base_url=base, timeout=60) as client:
            for k in share:
                start = time.perf_counter()
                response = send(client, k)
                out.append((time.perf_counter() - start) * 1000)
                assert response.status_code < 300, response.text
        return out

    shares = [range(first + k, first + count, clients) for k in range(clients)]
    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        latencies = [ms for part in pool.map(worker, shares) for ms in part]
    return count / (time.perf_counter() - start), latencies


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def _row(name: str, rate: str, p50: str, p99: str, anchor: str, ratio: str, goal: str) -> None:
    print(f"{name:<30}{rate:>9}{p50:>9}{p99:>9}{anchor:>10}{ratio:>8}  {goal}")


def _version(histories: list[list[str]], article: int, number: int) -> str:
    """The number-th revision of an article following a real corpus history; past its
    end, the last version with a line added each time."""
    versions = histories[article % len(histories)]
    if number < len(versions):
        return versions[number]
    return f"{versions[-1]}\n\nUpdate {number - len(versions) + 1}."


def _ingest(base: str, histories: list[list[str]], backend: str, clients: int) -> dict[str, Any]:
    count = 200 * clients if clients > 1 else 300
    articles = 50

    def body(k: int) -> str:
        return _version(histories, k % articles, k // articles)

    def bare(client: httpx.Client, k: int) -> httpx.Response:
        return client.post("/bench/bare", content=body(k), headers=TEXT)

    def ingest(client: httpx.Client, k: int) -> httpx.Response:
        path = f"/v1/articles/{backend}-{clients}-{k % articles}/revisions"
        return client.post(path, content=body(k), headers=TEXT)

    # Side by side in ROUNDS alternating rounds, each article's versions going on from
    # one round to the next: the median round, so that a second of the machine running
    # slow moves the ratio less.
    bare_rates, rates, ms = [], [], []
    for r in range(ROUNDS):
        bare_rate, _ = _timed(bare, count, clients, base, r * count)
        rate, latencies = _timed(ingest, count, clients, base, r * count)
        bare_rates.append(bare_rate)
        rates.append(rate)
        ms += latencies
    return {
        "requests_per_s": round(statistics.median(rates), 1),
        "bare_requests_per_s": round(statistics.median(bare_rates), 1),
        "ratio": round(
            statistics.median([i / b for i, b in zip(rates, bare_rates, strict=True)]), 3
        ),
        "p50_ms": round(_p(ms, 50), 2),
        "p99_ms": round(_p(ms, 99), 2),
    }


def _reads(base: str, histories: list[list[str]], backend: str) -> dict[str, float]:
    """p99 (ms) of each read, and of the no-op route (the client's own overhead)."""
    article = f"{backend}-history"
    with httpx.Client(base_url=base, timeout=60) as client:
        for k in range(500):
            text = _version(histories, 0, k)
            client.post(f"/v1/articles/{article}/revisions", content=text, headers=TEXT)
    reads = {
        "noop": "/bench/noop",
        "diff": f"/v1/articles/{article}/diff?from=1&to=2",
        "revision": f"/v1/articles/{article}/revisions/2",
        "history-500": f"/v1/articles/{article}/history?limit=500",
    }
    out = {}
    for name, path in reads.items():

        def get(client: httpx.Client, _: int, path: str = path) -> httpx.Response:
            return client.get(path)

        _, ms = _timed(get, 300, 1, base)
        out[name] = _p(ms, 99)
    return out


def run(histories: list[list[str]]) -> tuple[bool, dict[str, Any]]:
    """Print the server table; (every goal met, the figures)."""
    postgres = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    figures: dict[str, Any] = {}
    all_met = True
    print()
    _row("server (uvicorn, 1 worker)", "req/s", "p50 ms", "p99 ms", "bare/s", "ratio", "goal")
    for backend, url in (("sqlite", "sqlite://"), ("postgresql", postgres)):
        with _database(url) as own, serve(own) as base:
            for clients in (1, CLIENTS):
                name = f"ingest {backend} x{clients}"
                got = figures[name] = _ingest(base, histories, backend, clients)
                met = got["ratio"] >= INGEST_GOAL
                all_met &= met
                _row(
                    name,
                    f"{got['requests_per_s']:.0f}",
                    f"{got['p50_ms']:.1f}",
                    f"{got['p99_ms']:.1f}",
                    f"{got['bare_requests_per_s']:.0f}",
                    f"{got['ratio']:.2f}",
                    f"≥{INGEST_GOAL}× bare {'ok' if met else 'MISSED'}",
                )
            p99 = _reads(base, histories, backend)
            for read, goal in READ_GOALS.items():
                net = p99[read] - p99["noop"]
                met = net < goal
                all_met &= met
                name = f"GET {read} {backend}"
                figures[name] = {
                    "p99_net_ms": round(net, 2),
                    "client_p99_ms": round(p99["noop"], 2),
                }
                _row(
                    name,
                    "",
                    "",
                    f"{net:.1f}",
                    f"{p99['noop']:.1f}",
                    "",
                    f"p99 net <{goal:g} ms {'ok' if met else 'MISSED'}",
                )
    print("reads: p99 minus the p99 of a no-op route through the same client (bare/s column)")
    return all_met, figures
