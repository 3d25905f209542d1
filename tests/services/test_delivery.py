"""The delivery worker against a real local HTTP receiver: signatures, retries with
the same webhook-id, dead letters, pausing, order, redirects, timeouts and SSRF."""

import base64
import hashlib
import hmac
import json
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select
from standardwebhooks import Webhook

from app.db import Sessions
from app.models import Delivery, DeliveryAttempt, Subscription
from app.services import delivery, notifications
from app.services.content import ContentLimits, NewRevision
from app.services.delivery import Claimed, Policy
from app.services.ingest import ingest
from app.services.notifications import Filter
from app.settings import Settings
from app.worker import Worker
from tests.receiver import Receiver

INTRO = "The storm reached the coast on Sunday night with winds of 120 km/h."
DAMAGE = "## Damage\n\nThousands of homes lost power and schools stay closed."


@pytest.fixture
def make_worker() -> Iterator[Callable[..., Worker]]:
    made: list[Worker] = []

    def make(sessions: Sessions, **settings: Any) -> Worker:
        base: dict[str, Any] = {"DELIVERY_RETRY_SECONDS": "0,0,0", "DELIVERY_TIMEOUT_SECONDS": 2}
        made.append(Worker(sessions, Settings(**(base | settings))))
        return made[-1]

    yield make
    for worker in made:
        worker.close()


def subscribe(sessions: Sessions, url: str, **filter: Any) -> Subscription:
    with sessions.write() as session:
        made = notifications.create_subscription(
            session,
            url=url,
            description=None,
            filter=Filter(**filter),
            now=datetime.now(UTC),
            block_private=False,
        )
        session.commit()
        return made


def publish(sessions: Sessions, article: str, text: str) -> None:
    with sessions.write() as session:
        ingest(
            session,
            article_id=article,
            new=NewRevision("markdown", text),
            now=datetime.now(UTC),
            limits=ContentLimits(),
        )
        session.commit()


def deliveries(sessions: Sessions) -> list[Delivery]:
    with sessions.read() as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.id)))


def attempts(sessions: Sessions, delivery_id: int) -> list[DeliveryAttempt]:
    with sessions.read() as session:
        return list(
            session.scalars(
                select(DeliveryAttempt)
                .where(DeliveryAttempt.delivery_id == delivery_id)
                .order_by(DeliveryAttempt.id)
            )
        )


def work_until(worker: Worker, done: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "the worker did not get there in time"
        if not worker.run_once():
            time.sleep(0.02)


def settled(sessions: Sessions) -> Callable[[], bool]:
    return lambda: all(d.status != "pending" for d in deliveries(sessions))


def test_a_section_removal_arrives_once_signed_per_standard_webhooks(
    sessions: Sessions, receiver: Receiver, make_worker: Callable[..., Worker]
) -> None:
    subscription = subscribe(sessions, receiver.url("/hook"), kinds=["section_removed"])
    publish(sessions, "storm", f"# Storm\n\n{INTRO}\n\n{DAMAGE}")
    publish(sessions, "storm", f"# Storm\n\n{INTRO}")
    worker = make_worker(sessions)
    work_until(worker, settled(sessions))

    [request] = receiver.requests
    headers = request.headers
    # The official library verifies it with the subscription's secret ...
    body = Webhook(subscription.secret).verify(request.body, headers)
    assert body["type"] == "revision.created"
    assert body["data"]["change"]["sections_removed"] == ["Damage"]
    # ... and so does the scheme written out by hand: HMAC-SHA256 over "id.timestamp.body".
    key = base64.b64decode(subscription.secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + request.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert headers["webhook-signature"] == f"v1,{expected}"
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 60
    assert headers["content-type"] == "application/json"
    with pytest.raises(Exception, match="signature"):
        Webhook(notifications.new_secret()).verify(request.body, headers)
    [stored] = deliveries(sessions)
    assert stored.status == "delivered"
    assert headers["webhook-id"] == stored.event_id


def test_failing_twice_then_succeeding_arrives_three_times_with_one_id(
    sessions: Sessions, receiver: Receiver, make_worker: Callable[..., Worker]
) -> None:
    receiver.script["/flaky"] = lambda n: 503 if n <= 2 else 200
    subscribe(sessions, receiver.url("/flaky"))
    publish(sessions, "storm", INTRO)
    work_until(make_worker(sessions), settled(sessions))

    got = receiver.to("/flaky")
    assert len(got) == 3
    assert len({r.headers["webhook-id"] for r in got}) == 1
    assert len({r.body for r in got}) == 1  # the same bytes every time
    [stored] = deliveries(sessions)
    assert stored.status == "delivered"
    assert [a.status_code for a in attempts(sessions, stored.id)] == [503, 503, 200]


def test_always_failing_ends_dead_after_the_configured_attempts(
    sessions: Sessions, receiver: Receiver, make_worker: Callable[..., Worker]
) -> None:
    receiver.script["/down"] = lambda n: 500
    subscribe(sessions, receiver.url("/down"))
    publish(sessions, "storm", INTRO)
    work_until(make_worker(sessions, DELIVERY_RETRY_SECONDS="0,0"), settled(sessions))

    assert len(receiver.to("/down")) == 3  # the first attempt and two retries
    [stored] = deliveries(sessions)
    assert stored.status == "dead"
    tried = attempts(sessions, stored.id)
    assert [a.status_code for a in tried] == [500, 500, 500]
    assert all(a.error == "HTTP 500" and a.duration_ms >= 0 for a in tried)


def test_events_of_one_article_go_out_in_revision_order(
    sessions: Sessions, receiver: Receiver, make_worker: Callable[..., Worker]
) -> None:
    """The first event fails and waits for its retry: the second waits behind it."""
    receiver.script["/storm"] = lambda n: 500 if n == 1 else 204
    subscribe(sessions, receiver.url("/storm"), article_ids=["storm"])
    subscribe(sessions, receiver.url("/other"), article_ids=["other"])
    for n in range(1, 6):
        publish(sessions, "storm", "\n\n".join(f"Paragraph {i} of the story." for i in range(n)))
    publish(sessions, "other", INTRO)
    worker = make_worker(sessions, DELIVERY_CONCURRENCY=8)
    work_until(worker, settled(sessions))

    storm = [json.loads(r.body)["data"]["revision"] for r in receiver.to("/storm")]
    assert storm == [1, 1, 2, 3, 4, 5]
    assert len(receiver.to("/other")) == 1  # another article is not held back
    assert all(d.status == "delivered" for d in deliveries(sessions))


def test_a_subscription_failing_for_long_enough_is_paused_then_resumed(
    sessions: Sessions, receiver: Receiver, make_worker: Callable[..., Worker]
) -> None:
    receiver.script["/down"] = lambda n: 500
    subscription = subscribe(sessions, receiver.url("/down"))
    publish(sessions, "storm", INTRO)
    worker = make_worker(
        sessions, DELIVERY_RETRY_SECONDS="0.2,0.2,0.2,0.2,0.2,0.2", DELIVERY_PAUSE_AFTER_SECONDS=1
    )

    def paused() -> bool:
        with sessions.read() as session:
            return (
                notifications.require_subscription(session, subscription.id).paused_at is not None
            )

    work_until(worker, paused)
    sent = len(receiver.requests)
    for _ in range(10):
        worker.run_once()
        time.sleep(0.05)
    assert len(receiver.requests) == sent  # nothing goes to a paused subscription
    with sessions.read() as session:
        row = notifications.require_subscription(session, subscription.id)
        assert row.paused_reason is not None
        assert "HTTP 500" in row.paused_reason
        assert f"/v1/subscriptions/{subscription.id}/resume" in row.paused_reason
    [waiting] = deliveries(sessions)
    assert waiting.status == "pending"

    receiver.script["/down"] = lambda n: 204
    with sessions.write() as session:
        notifications.resume(session, subscription.id, now=datetime.now(UTC))
        session.commit()
    work_until(worker, settled(sessions))
    assert deliveries(sessions)[0].status == "delivered"


def test_a_rotated_secret_and_the_previous_one_both_verify(
    sessions: Sessions, receiver: Receiver, make_worker: Callable[..., Worker]
) -> None:
    subscription = subscribe(sessions, receiver.url("/hook"))
    with sessions.write() as session:
        rotated = notifications.rotate_secret(
            session, subscription.id, now=datetime.now(UTC), grace=timedelta(hours=1)
        )
        session.commit()
    publish(sessions, "storm", INTRO)
    work_until(make_worker(sessions), settled(sessions))
    [request] = receiver.requests
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    for secret in (subscription.secret, rotated.secret):
        Webhook(secret).verify(request.body, request.headers)


def test_redirects_are_not_followed(
    sessions: Sessions, receiver: Receiver, make_worker: Callable[..., Worker]
) -> None:
    receiver.script["/moved"] = lambda n: 302
    subscribe(sessions, receiver.url("/moved"))
    publish(sessions, "storm", INTRO)
    work_until(make_worker(sessions, DELIVERY_RETRY_SECONDS=""), settled(sessions))
    [stored] = deliveries(sessions)
    assert stored.status == "dead"
    [attempt] = attempts(sessions, stored.id)
    assert attempt.status_code == 302
    assert attempt.error is not None
    assert "redirects are not followed" in attempt.error


def test_a_slow_receiver_times_out(
    sessions: Sessions, receiver: Receiver, make_worker: Callable[..., Worker]
) -> None:
    receiver.delay = 1.5
    subscribe(sessions, receiver.url("/slow"))
    publish(sessions, "storm", INTRO)
    worker = make_worker(sessions, DELIVERY_RETRY_SECONDS="", DELIVERY_TIMEOUT_SECONDS=0.5)
    work_until(worker, settled(sessions))
    [attempt] = attempts(sessions, deliveries(sessions)[0].id)
    assert attempt.status_code is None
    assert attempt.error == "no answer within 0.5 s"


def test_a_dead_delivery_can_be_queued_again(
    sessions: Sessions, receiver: Receiver, make_worker: Callable[..., Worker]
) -> None:
    receiver.script["/hook"] = lambda n: 500 if n == 1 else 204
    subscription = subscribe(sessions, receiver.url("/hook"))
    publish(sessions, "storm", INTRO)
    worker = make_worker(sessions, DELIVERY_RETRY_SECONDS="")
    work_until(worker, settled(sessions))
    [dead] = deliveries(sessions)
    assert dead.status == "dead"
    with sessions.write() as session:
        notifications.retry_delivery(session, subscription.id, dead.id, now=datetime.now(UTC))
        session.commit()
    work_until(worker, settled(sessions))
    assert deliveries(sessions)[0].status == "delivered"
    got = receiver.to("/hook")
    assert [r.headers["webhook-id"] for r in got] == [dead.event_id] * 2


def test_a_stopping_worker_gives_back_what_it_has_not_started(
    sessions: Sessions, receiver: Receiver, make_worker: Callable[..., Worker]
) -> None:
    receiver.delay = 0.5
    subscribe(sessions, receiver.url("/hook"))
    for article in ("a", "b", "c", "d"):
        publish(sessions, article, INTRO)
    worker = make_worker(sessions, DELIVERY_CONCURRENCY=1)
    # Four claims for one thread (as when its threads are busy): stopped while the
    # first is in flight, it finishes that one and gives the other three back.
    worker.concurrency = 4
    worker.stop()
    assert worker.run_once() == 1
    states = deliveries(sessions)
    assert sorted(d.status for d in states) == ["delivered", "pending", "pending", "pending"]
    assert all(d.leased_by is None and d.lease_until is None for d in states)


# SSRF: BLOCK_PRIVATE_TARGETS


def _claimed(url: str) -> Claimed:
    return Claimed(1, "msg_1", "{}", 0, 1, url, (notifications.new_secret(),))


BLOCKING = Policy((), 1.0, 5.0, 86400, block_private=True)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://10.0.0.1/hook",
        "http://172.16.5.4/hook",
        "http://192.168.1.1/hook",
        "http://[::1]:9/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://0.0.0.0/",
        "http://localhost:9/hook",  # a name that resolves to loopback
    ],
)
def test_private_targets_are_refused_without_a_connection(url: str) -> None:
    with httpx.Client() as client:
        outcome = delivery.send(client, _claimed(url), BLOCKING)
    assert outcome.status_code is None
    assert outcome.error is not None
    assert outcome.error.startswith("refused: ")
    assert "not a public address" in outcome.error


def test_a_name_resolving_to_loopback_is_refused_by_the_worker(
    sessions: Sessions, receiver: Receiver, make_worker: Callable[..., Worker]
) -> None:
    port = receiver.base.rsplit(":", 1)[1]
    subscribe(sessions, f"http://localhost:{port}/hook")
    publish(sessions, "storm", INTRO)
    worker = make_worker(sessions, BLOCK_PRIVATE_TARGETS=True, DELIVERY_RETRY_SECONDS="")
    work_until(worker, settled(sessions))
    assert receiver.requests == []
    [attempt] = attempts(sessions, deliveries(sessions)[0].id)
    assert attempt.error is not None
    assert "localhost resolves to" in attempt.error


def test_a_public_name_is_pinned_to_the_address_it_resolved_to(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The request goes to the address checked (no second lookup to rebind), with the
    name kept for the Host header and TLS."""

    def resolve(host: str, port: int, **_: Any) -> list[Any]:
        assert host == "hooks.example.org"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    url, headers, extensions = delivery.pinned("https://hooks.example.org:8443/in?x=1")
    assert str(url) == "https://93.184.215.14:8443/in?x=1"
    assert headers == {"Host": "hooks.example.org:8443"}
    assert extensions == {"sni_hostname": "hooks.example.org"}

    def mixed(host: str, port: int, **_: Any) -> list[Any]:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", mixed)
    with pytest.raises(delivery.Refused, match=r"10\.0\.0\.5"):
        delivery.pinned("https://hooks.example.org/in")


def test_delivery_outcomes_are_counted(
    sessions: Sessions, receiver: Receiver, make_worker: Callable[..., Worker]
) -> None:
    def seen(outcome: str) -> float:
        return (
            REGISTRY.get_sample_value("articlediff_delivery_attempts_total", {"outcome": outcome})
            or 0.0
        )

    before = {o: seen(o) for o in ("delivered", "retry", "dead")}
    receiver.script["/flaky"] = lambda n: 500 if n == 1 else 204
    receiver.script["/down"] = lambda n: 500
    subscribe(sessions, receiver.url("/flaky"))
    subscribe(sessions, receiver.url("/down"))
    publish(sessions, "storm", INTRO)
    work_until(make_worker(sessions, DELIVERY_RETRY_SECONDS="0"), settled(sessions))
    after = {o: seen(o) - before[o] for o in before}
    assert after == {"delivered": 1, "retry": 2, "dead": 1}


JS_CHECK = Path(__file__).resolve().parents[1] / "js"


def test_the_official_javascript_library_verifies_our_signatures(
    sessions: Sessions, receiver: Receiver, make_worker: Callable[..., Worker]
) -> None:
    node = shutil.which("node")
    if node is None or not (JS_CHECK / "node_modules" / "standardwebhooks").is_dir():
        pytest.skip("needs node and tests/js/node_modules (make install runs npm ci there)")
    subscription = subscribe(sessions, receiver.url("/hook"))
    publish(sessions, "storm", INTRO)
    work_until(make_worker(sessions), settled(sessions))
    [request] = receiver.requests

    def verify(secret: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [node, "verify.mjs", secret],
            cwd=JS_CHECK,
            input=json.dumps({"body": request.body.decode(), "headers": request.headers}),
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )

    good = verify(subscription.secret)
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["data"]["article_id"] == "storm"
    assert verify(notifications.new_secret()).returncode == 1
