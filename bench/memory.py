"""An API worker's memory over many ingests (issue 12: under 200 MB RSS after 100,000).

    python -m bench.memory [--requests N] [--database-url URL]

Starts the real server (uvicorn, one worker) on a fresh database (PostgreSQL
from BENCH_DATABASE_URL by default, `sqlite://` for a temporary SQLite file),
publishes N revisions from 8 clients, following real corpus histories over 1,000
articles, and prints the worker's resident memory (VmRSS) as it goes. Not part
of `make bench`: 100,000 ingests take about a quarter of an hour here.
"""

import argparse
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench.__main__ import CORPUS
from bench.ingest import DEFAULT_URL, _database, histories
from bench.server import TEXT, _version, serve

GOAL_MB = 200.0


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args()
    stories = histories(CORPUS)
    articles, clients, step = 1_000, 8, 5_000
    with _database(args.database_url) as own, serve(own, with_pid=True) as (base, pid):
        print(f"{'ingests':>9}{'RSS MB':>9}{'req/s':>9}")
        print(f"{0:>9,}{rss_mb(pid):>9.1f}")
        done, start = 0, time.perf_counter()

        def post(share: range) -> None:
            with httpx.Client(base_url=base, timeout=60) as client:
                for k in share:
                    body = _version(stories, k % articles, k // articles)
                    answer = client.post(
                        f"/v1/articles/m{k % articles}/revisions", content=body, headers=TEXT
                    )
                    assert answer.status_code < 300, answer.text

        peak = 0.0
        while done < args.requests:
            chunk = range(done, min(done + step, args.requests))
            with ThreadPoolExecutor(clients) as pool:
                list(pool.map(post, [chunk[k::clients] for k in range(clients)]))
            done = chunk.stop
            rss = rss_mb(pid)
            peak = max(peak, rss)
            rate = done / (time.perf_counter() - start)
            print(f"{done:>9,}{rss:>9.1f}{rate:>9.0f}", flush=True)
    met = peak < GOAL_MB
    print(
        f"peak {peak:.1f} MB after {done:,} ingests: {'ok' if met else 'MISSED'} (<{GOAL_MB:g} MB)"
    )
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
