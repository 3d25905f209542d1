"""The signed publish web-hook and Idempotency-Key on direct ingest."""

import gzip
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from standardwebhooks.webhooks import Webhook

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
ROTATED = "whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24="
PAYLOAD = {
    "article_id": "hooked",
    "title": "Storm hits coast",
    "url": "https://example.com/s",
    "published_at": "2024-05-01T12:00:00Z",
    "source_revision_id": "cms-1",
    "text": "The storm reached the coast on Sunday night.\n\nThousands lost power.",
    "metadata": {"desk": "news"},
}


def signed(
    payload: object, *, secret: str = SECRET, msg_id: str = "msg_1", at: datetime | None = None
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    at = at or datetime.now(UTC)
    signature = Webhook(secret).sign(msg_id, at, body.decode())
    return body, {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
        "Content-Type": "application/json",
    }


def stored(client: TestClient) -> int:
    r = client.get("/v1/articles/hooked")
    return 0 if r.status_code == 404 else r.json()["latest_revision"]


def test_valid_delivery_is_stored(client: TestClient) -> None:
    body, headers = signed(PAYLOAD)
    r = client.post("/v1/hooks/publish", content=body, headers=headers)
    assert r.status_code == 201, r.text
    assert r.json()["revision"] == 1
    rev = client.get("/v1/articles/hooked/revisions/1").json()
    assert rev["title"] == "Storm hits coast"
    assert rev["source_revision_id"] == "cms-1"


def test_rotated_secret_and_html_payload(client: TestClient) -> None:
    payload = {"article_id": "hooked", "html": "<h2>Storm</h2><p>It hit the coast.</p>"}
    body, headers = signed(payload, secret=ROTATED)
    assert client.post("/v1/hooks/publish", content=body, headers=headers).status_code == 201


@pytest.mark.parametrize(
    "tamper",
    [
        lambda b, h: (b.replace(b"Sunday", b"Monday"), h),
        lambda b, h: signed(PAYLOAD, secret="whsec_" + "d3Jvbmctc2VjcmV0LXZhbHVl")[0:2],
        lambda b, h: signed(PAYLOAD, at=datetime.now(UTC) - timedelta(minutes=6)),
        lambda b, h: signed(PAYLOAD, at=datetime.now(UTC) + timedelta(minutes=6)),
        lambda b, h: (b, {k: v for k, v in h.items() if k != "webhook-signature"}),
        lambda b, h: (b, {k: v for k, v in h.items() if k != "webhook-id"}),
        lambda b, h: (b, {k: v for k, v in h.items() if k != "webhook-timestamp"}),
        lambda b, h: (b, h | {"webhook-signature": "v1garbage-without-comma"}),
        lambda b, h: (b, h | {"webhook-signature": "v1,not base64!!"}),
        lambda b, h: (b, h | {"webhook-timestamp": "yesterday"}),
        lambda b, h: (b"\xff\xfe not utf-8", h),
    ],
    ids=[
        "tampered-body",
        "wrong-secret",
        "stale",
        "future",
        "no-signature",
        "no-id",
        "no-timestamp",
        "no-comma",
        "bad-base64",
        "bad-timestamp",
        "non-utf8-body",
    ],
)
def test_rejected_deliveries_store_nothing(client: TestClient, tamper) -> None:
    body, headers = tamper(*signed(PAYLOAD))
    r = client.post("/v1/hooks/publish", content=body, headers=headers)
    assert r.status_code == 401, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["detail"]
    assert stored(client) == 0


def test_tolerance_is_a_setting(make_client: Callable[..., TestClient]) -> None:
    client = make_client(WEBHOOK_TOLERANCE_SECONDS=3600)
    body, headers = signed(PAYLOAD, at=datetime.now(UTC) - timedelta(minutes=30))
    assert client.post("/v1/hooks/publish", content=body, headers=headers).status_code == 201


def test_unconfigured_hook_answers_503(make_client: Callable[..., TestClient]) -> None:
    client = make_client(WEBHOOK_SECRETS="")
    body, headers = signed(PAYLOAD)
    r = client.post("/v1/hooks/publish", content=body, headers=headers)
    assert r.status_code == 503
    assert "WEBHOOK_SECRETS" in r.json()["detail"]


def test_oversized_delivery_is_413(client: TestClient) -> None:
    body, headers = signed(PAYLOAD | {"text": "x " * 600_000})
    assert client.post("/v1/hooks/publish", content=body, headers=headers).status_code == 413
    assert stored(client) == 0


def test_gzip_delivery_is_verified_as_inflated(client: TestClient) -> None:
    body, headers = signed(PAYLOAD)
    headers["Content-Encoding"] = "gzip"
    r = client.post("/v1/hooks/publish", content=gzip.compress(body), headers=headers)
    assert r.status_code == 201, r.text
    assert stored(client) == 1


def test_redelivery_ten_times_concurrently_stores_once(committing_client: TestClient) -> None:
    client = committing_client
    body, headers = signed(PAYLOAD, msg_id="msg_dup")
    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(
            pool.map(
                lambda _: client.post("/v1/hooks/publish", content=body, headers=headers), range(10)
            )
        )
    assert all(r.status_code in (200, 201) for r in responses), [r.text for r in responses]
    assert {r.json()["revision"] for r in responses} == {1}
    assert [r.status_code for r in responses].count(201) == 10  # the first answer, replayed
    replays = [r for r in responses if r.headers.get("x-duplicate-delivery") == "true"]
    assert len(replays) == 9
    assert stored(client) == 1
    # A later delivery with a new id and new text is a new revision.
    changed = PAYLOAD | {"text": f"{PAYLOAD['text']}\n\nSchools are closed."}
    body, headers = signed(changed, msg_id="msg_2")
    assert client.post("/v1/hooks/publish", content=body, headers=headers).json()["revision"] == 2


def test_idempotency_key(client: TestClient) -> None:
    def send(text: str, key: str):
        return client.post(
            "/v1/articles/idem/revisions", json={"text": text}, headers={"Idempotency-Key": key}
        )

    first = send("Version one of the story is here.", "k1")
    assert first.status_code == 201
    # Same key, same body: the stored answer, even though the article moved on since.
    assert send("Version two of the story is here.", "k2").json()["revision"] == 2
    replay = send("Version one of the story is here.", "k1")
    assert replay.headers["x-duplicate-delivery"] == "true"
    assert "x-duplicate-delivery" not in first.headers
    assert replay.status_code == 201
    assert replay.json() == first.json()
    clash = send("Something else entirely was sent.", "k1")
    assert clash.status_code == 422
    assert "idempotency key" in clash.json()["detail"].lower()
    assert client.get("/v1/articles/idem").json()["latest_revision"] == 2


def test_keys_longer_than_the_receipt_column_still_deduplicate(client: TestClient) -> None:
    """A 200-character article id with a 200-character Idempotency-Key (each within its
    limit) and a web-hook id of 5,000 characters: PostgreSQL refused their receipt keys
    (varchar 300) with a 422 naming neither header."""
    article = "a" * 200
    first = client.post(
        f"/v1/articles/{article}/revisions",
        json={"text": "One long-named story."},
        headers={"Idempotency-Key": "k" * 200},
    )
    assert first.status_code == 201, first.text
    replay = client.post(
        f"/v1/articles/{article}/revisions",
        json={"text": "One long-named story."},
        headers={"Idempotency-Key": "k" * 200},
    )
    assert replay.headers["x-duplicate-delivery"] == "true"
    assert replay.json() == first.json()
    other = client.post(  # the same head, another end: another key
        f"/v1/articles/{article}/revisions",
        json={"text": "A second version of it."},
        headers={"Idempotency-Key": "k" * 199 + "j"},
    )
    assert other.status_code == 201
    assert other.json()["revision"] == 2

    body, headers = signed(PAYLOAD, msg_id="m" * 5000)
    delivered = client.post("/v1/hooks/publish", content=body, headers=headers)
    assert delivered.status_code == 201, delivered.text
    again = client.post("/v1/hooks/publish", content=body, headers=headers)
    assert again.headers["x-duplicate-delivery"] == "true"
    assert stored(client) == 1
