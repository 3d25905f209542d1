"""What on-call engineers read: JSON log lines that carry the request id, and
Prometheus metrics that count across every uvicorn worker.

Logs: one JSON object a line on standard error (LOG_FORMAT=text for people),
with `request_id` on every line logged while a request is handled, uvicorn's
and SQLAlchemy's included. No article text and no keys are logged: requests
are logged by method, path, route and status; SQLAlchemy keeps statement
parameters out of its messages (`hide_parameters`).

Metrics: prometheus-client. With PROMETHEUS_MULTIPROC_DIR set (bin/serve sets
it), every process writes its samples there and a scrape of any one of them
adds them all up (the library's multiprocess mode); the delivery worker
processes count too when they share the folder.
"""

import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from pythonjsonlogger.json import JsonFormatter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
REQUEST_ID_HEADER = "X-Request-ID"
_GIVEN_ID = re.compile(r"^[A-Za-z0-9._:/+=-]{1,128}$")
_HANDLER_MARK = "article_diff_handler"

log = logging.getLogger("app.requests")

# Metrics. Labels stay few and bounded: route templates, never raw paths.
_LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
HTTP_REQUESTS = Counter(
    "articlediff_http_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "articlediff_http_request_duration_seconds",
    "Time to answer, by route template",
    ["method", "route"],
    buckets=_LATENCY_BUCKETS,
)
REVISIONS = Counter(
    "articlediff_revisions_ingested_total", "Revisions stored", ["via"]
)  # api | hook | import
DIFF_SECONDS = Histogram(
    "articlediff_diff_duration_seconds",
    "Engine time per diff (parse excluded)",
    ["use"],  # ingest | read
    buckets=_LATENCY_BUCKETS,
)
DIFF_BLOCKS = Histogram(
    "articlediff_diff_blocks",
    "Blocks compared per diff (old + new)",
    ["use"],
    buckets=(10, 30, 100, 300, 1000, 3000, 10_000, 30_000, 100_000),
)
DIFFS_DEGRADED = Counter(
    "articlediff_diffs_degraded_total", "Diffs that hit the work budget", ["use"]
)
DELIVERIES = Counter(
    "articlediff_delivery_attempts_total",
    "Attempts at sending an event, by outcome",
    ["outcome"],  # delivered | retry | dead
)
# Every metric has labels: their samples (files, in multiprocess mode) are made on
# first use, not at import.
DELIVERY_LATENCY = Histogram(
    "articlediff_delivery_duration_seconds",
    "Time a subscriber took to answer (or not)",
    ["answered"],  # yes | no (timeout, refused, no connection)
    buckets=_LATENCY_BUCKETS,
)


def ensure_metrics_folder() -> None:
    """Create PROMETHEUS_MULTIPROC_DIR if it is set but missing (else every sample
    written would fail)."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        os.makedirs(folder, exist_ok=True)


def observe_diff(use: str, seconds: float, blocks: int, degraded: bool) -> None:
    DIFF_SECONDS.labels(use).observe(seconds)
    DIFF_BLOCKS.labels(use).observe(blocks)
    if degraded:
        DIFFS_DEGRADED.labels(use).inc()


class _Live(Collector):
    """Gauges read at scrape time from a callback (the outbox backlog)."""

    def __init__(self, read: Callable[[], Iterable[tuple[str, str, float]]]) -> None:
        self.read = read

    def collect(self) -> Iterable[GaugeMetricFamily]:
        for name, help_text, value in self.read():
            yield GaugeMetricFamily(name, help_text, value=value)


def render_metrics(live: Callable[[], Iterable[tuple[str, str, float]]]) -> tuple[bytes, str]:
    """The exposition text: every process's counters (multiprocess mode) or this
    process's, plus the live gauges."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(_Registered())
    registry.register(_Live(live))
    return generate_latest(registry), CONTENT_TYPE_LATEST


class _Registered(Collector):
    """The default registry's metrics, inside a registry of the scrape's own."""

    def collect(self) -> Iterable[Any]:
        return REGISTRY.collect()


# Logs


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


def configure_logging(fmt: str, level: str) -> None:
    """Send every logger's lines (uvicorn's, SQLAlchemy's, warnings) through one
    handler on standard error, JSON or text, each with the request id. Idempotent;
    handlers of others (pytest's) are left alone."""
    root = logging.getLogger()
    ours = [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]
    handler = ours[0] if ours else logging.StreamHandler(sys.stderr)
    setattr(handler, _HANDLER_MARK, True)
    handler.filters = [_RequestIdFilter()]
    if fmt == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(levelname)s %(name)s %(message)s %(request_id)s",
                rename_fields={"levelname": "level", "name": "logger"},
                timestamp="time",  # ISO 8601, UTC
            )
        )
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        )
    if not ours:
        root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers = []
        uvicorn_logger.propagate = True
    # One line per request is ours (below), with the route and the request id.
    logging.getLogger("uvicorn.access").disabled = True
    logging.captureWarnings(True)


def route_template(scope: Scope) -> str:
    """The route a request matched, as a template: a metrics label and a log field.

    A mounted app (the viewer's static files) sets no route, only its mount point.
    """
    path = getattr(scope.get("route"), "path", None)
    if path:
        return str(path)
    if "app_root_path" in scope:  # set by a Mount, and only then
        mount = scope["root_path"][len(scope["app_root_path"]) :]
        return f"{mount}/{{path}}"
    return "unmatched"


class ObserveRequests:
    """Per request: the id (X-Request-ID as sent, if sane, else a new one) in the
    context and on the response, one log line, and the HTTP metrics."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, b"x-request-id")
        ident = given if given and _GIVEN_ID.match(given) else uuid.uuid4().hex
        # Not reset afterwards: each request runs in a context of its own, and the
        # error handler outside this middleware (an unexpected 500) still logs the id.
        request_id.set(ident)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (REQUEST_ID_HEADER.lower().encode(), ident.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            template = route_template(scope)
            method = scope["method"]
            HTTP_REQUESTS.labels(method, template, str(status)).inc()
            HTTP_LATENCY.labels(method, template).observe(elapsed)
            log.info(
                "%s %s %d",
                method,
                scope["path"],
                status,
                extra={
                    "method": method,
                    "path": scope["path"],
                    "route": template,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None
