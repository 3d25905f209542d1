"""A real HTTP receiver for outbound events: it records every request and answers
each path as the test scripted it."""

import http.server
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    started: float  # time.monotonic() when the request arrived
    finished: float  # … and when it was answered


@dataclass
class Receiver:
    base: str
    # path -> f(n) giving the status for the n-th request (1-based) to that path; default 204
    script: dict[str, Callable[[int], int]] = field(default_factory=dict)
    delay: float = 0.0  # seconds each answer takes
    gate: threading.Event | None = None  # if given: answers wait until it is set
    requests: list[Received] = field(default_factory=list)
    in_flight: dict[str, int] = field(default_factory=dict)  # webhook-id -> requests now
    overlaps: list[str] = field(default_factory=list)  # ids received twice at once
    arrivals: dict[str, int] = field(default_factory=dict)  # path -> requests so far
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def to(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.path == path]

    def wait_for(self, count: int, path: str | None = None, timeout: float = 20) -> list[Received]:
        """At least `count` requests (to `path`) arrived; fails after `timeout` s."""
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                got = [r for r in self.requests if path is None or r.path == path]
            if len(got) >= count or time.monotonic() > deadline:
                assert len(got) >= count, f"{len(got)} of {count} requests arrived"
                return got
            time.sleep(0.02)


def _accept(_n: int) -> int:
    return 204


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    receiver = Receiver(base="")

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            started = time.monotonic()
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            event_id = self.headers.get("webhook-id") or ""
            with receiver.lock:
                if receiver.in_flight.get(event_id):
                    receiver.overlaps.append(event_id)
                receiver.in_flight[event_id] = receiver.in_flight.get(event_id, 0) + 1
                seen = receiver.arrivals[self.path] = receiver.arrivals.get(self.path, 0) + 1
            status = receiver.script.get(self.path, _accept)(seen)
            time.sleep(receiver.delay)
            if receiver.gate is not None:
                receiver.gate.wait(30)
            with receiver.lock:
                receiver.in_flight[event_id] -= 1
                receiver.requests.append(
                    Received(
                        self.path,
                        {k.lower(): v for k, v in self.headers.items()},
                        body,
                        started,
                        time.monotonic(),
                    )
                )
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
