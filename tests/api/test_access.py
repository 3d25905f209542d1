"""API keys, scopes, rate limits and CORS, on every route and both databases."""

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.services import keys

NOW = datetime(2026, 5, 1, tzinfo=UTC)
# (method, path as documented, a concrete URL)
READ_ROUTES = [
    ("GET", "/v1/articles", "/v1/articles"),
    ("GET", "/v1/articles/{article_id}", "/v1/articles/a"),
    ("GET", "/v1/articles/{article_id}/revisions", "/v1/articles/a/revisions"),
    ("GET", "/v1/articles/{article_id}/revisions/{revision}", "/v1/articles/a/revisions/1"),
    (
        "GET",
        "/v1/articles/{article_id}/revisions/{revision}/blame",
        "/v1/articles/a/revisions/1/blame",
    ),
    ("GET", "/v1/articles/{article_id}/history", "/v1/articles/a/history"),
    ("GET", "/v1/articles/{article_id}/diff", "/v1/articles/a/diff?from=1&to=1"),
    ("GET", "/v1/articles/{article_id}/diff/unified", "/v1/articles/a/diff/unified?from=1&to=1"),
    ("GET", "/v1/articles/{article_id}/diff/html", "/v1/articles/a/diff/html?from=1&to=1"),
    ("GET", "/v1/changes", "/v1/changes"),
    ("GET", "/metrics", "/metrics"),
    ("POST", "/v1/diff", "/v1/diff"),
    ("POST", "/v1/diff/unified", "/v1/diff/unified"),
    ("POST", "/v1/diff/html", "/v1/diff/html"),
]
WRITE_ROUTES = [
    ("POST", "/v1/articles/{article_id}/revisions", "/v1/articles/a/revisions"),
    ("POST", "/v1/import", "/v1/import"),
]
ADMIN_ROUTES = [
    ("POST", "/v1/subscriptions", "/v1/subscriptions"),
    ("GET", "/v1/subscriptions", "/v1/subscriptions"),
    ("GET", "/v1/subscriptions/{subscription_id}", "/v1/subscriptions/1"),
    ("PATCH", "/v1/subscriptions/{subscription_id}", "/v1/subscriptions/1"),
    ("DELETE", "/v1/subscriptions/{subscription_id}", "/v1/subscriptions/1"),
    (
        "POST",
        "/v1/subscriptions/{subscription_id}/rotate-secret",
        "/v1/subscriptions/1/rotate-secret",
    ),
    ("POST", "/v1/subscriptions/{subscription_id}/resume", "/v1/subscriptions/1/resume"),
    (
        "GET",
        "/v1/subscriptions/{subscription_id}/deliveries",
        "/v1/subscriptions/1/deliveries",
    ),
    (
        "POST",
        "/v1/subscriptions/{subscription_id}/deliveries/{delivery_id}/retry",
        "/v1/subscriptions/1/deliveries/1/retry",
    ),
]
OPEN_ROUTES = [("GET", "/healthz", "/healthz"), ("GET", "/readyz", "/readyz")]
REFUSALS = {401, 403, 429}


@pytest.fixture
def secrets(session: Session) -> dict[str, str]:
    made = {
        scope: keys.create_key(session, name=scope, scope=scope, now=NOW)
        for scope in ("read", "write", "admin")
    }
    revoked = keys.create_key(session, name="old", scope="admin", now=NOW)
    keys.revoke_key(session, revoked.key.id, now=NOW)
    session.commit()
    return {scope: new.secret for scope, new in made.items()} | {"revoked": revoked.secret}


def call(client: TestClient, method: str, path: str, secret: str | None):
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    if method == "POST" and "/revisions" in path:
        return client.post(path, json={"text": "A paragraph of text."}, headers=headers)
    if path == "/v1/import":
        line = b'{"article_id": "a", "text": "A paragraph of text."}\n'
        return client.post(
            path, content=line, headers=headers | {"Content-Type": "application/x-ndjson"}
        )
    if path == "/v1/subscriptions" and method == "POST":
        return client.post(path, json={"url": "https://example.com/hook"}, headers=headers)
    if method == "DELETE":
        return client.delete(path, headers=headers)
    if method == "PATCH":
        return client.patch(path, json={"description": "x"}, headers=headers)
    if method == "POST":
        return client.post(path, json={"old": "a b", "new": "a c"}, headers=headers)
    return client.get(path, headers=headers)


def test_the_lists_cover_every_operation(client: TestClient) -> None:
    spec = client.app.openapi()  # type: ignore[attr-defined]
    documented = {(method.upper(), path) for path, ops in spec["paths"].items() for method in ops}
    listed = {(m, p) for m, p, _ in READ_ROUTES + WRITE_ROUTES + ADMIN_ROUTES + OPEN_ROUTES}
    assert documented - listed == {("POST", "/v1/hooks/publish")}  # signed, tested in test_hooks


@pytest.mark.parametrize(
    ("who", "reads", "writes", "admins"),
    [
        (None, 401, 401, 401),
        ("revoked", 401, 401, 401),
        ("read", None, 403, 403),
        ("write", None, None, 403),
        ("admin", None, None, None),
    ],
)
def test_every_route_with_each_kind_of_key(
    make_client: Callable[..., TestClient],
    secrets: dict[str, str],
    who: str | None,
    reads: int | None,
    writes: int | None,
    admins: int | None,
) -> None:
    client = make_client(AUTH_REQUIRED_FOR_READS=True, AUTH_REQUIRED_FOR_WRITES=True)
    secret = secrets[who] if who else None
    for routes, refused in ((WRITE_ROUTES, writes), (READ_ROUTES, reads), (ADMIN_ROUTES, admins)):
        for method, _, path in routes:
            response = call(client, method, path, secret)
            if refused is None:
                assert response.status_code not in REFUSALS, (path, response.text)
                assert response.status_code < 500
                continue
            assert response.status_code == refused, (path, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.headers["www-authenticate"].startswith('Bearer realm="article-diff"')
    for method, _, path in OPEN_ROUTES:
        assert call(client, method, path, None).status_code == 200


def test_open_by_default_but_a_presented_key_must_be_good(
    client: TestClient, secrets: dict[str, str]
) -> None:
    assert call(client, "POST", "/v1/articles/a/revisions", None).status_code == 201
    assert call(client, "GET", "/v1/articles/a", None).status_code == 200
    for method, _, path in ADMIN_ROUTES:  # never without an admin key
        assert call(client, method, path, None).status_code == 401, path
    assert call(client, "GET", "/v1/articles/a", "adk_not-a-key").status_code == 401
    assert call(client, "GET", "/v1/articles/a", secrets["revoked"]).status_code == 401
    assert call(client, "POST", "/v1/articles/a/revisions", secrets["read"]).status_code == 403
    basic = client.get("/v1/articles/a", headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert basic.status_code == 401
    assert "Bearer" in basic.json()["detail"]


def test_last_used_is_recorded(
    client: TestClient, secrets: dict[str, str], session: Session
) -> None:
    assert all(k.last_used_at is None for k in keys.list_keys(session))
    assert call(client, "GET", "/v1/changes", secrets["read"]).status_code == 200
    session.expire_all()
    used = {k.name: k.last_used_at for k in keys.list_keys(session)}
    assert used["read"] is not None
    assert used["write"] is None


def test_rate_limits_per_key_and_per_address(
    make_client: Callable[..., TestClient], secrets: dict[str, str]
) -> None:
    client = make_client(RATE_LIMIT="3/minute", RATE_LIMIT_ANONYMOUS="2/minute")
    assert [call(client, "GET", "/v1/changes", None).status_code for _ in range(3)] == [
        200,
        200,
        429,
    ]
    statuses = [call(client, "GET", "/v1/changes", secrets["read"]).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]  # a key has its own allowance
    limited = call(client, "GET", "/v1/changes", secrets["read"])
    assert limited.headers["content-type"].startswith("application/problem+json")
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert call(client, "GET", "/v1/changes", secrets["write"]).status_code == 200
    assert client.get("/healthz").status_code == 200  # never limited


def test_cors_only_when_configured(make_client: Callable[..., TestClient]) -> None:
    preflight = {
        "Origin": "https://newsroom.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    closed = make_client()
    assert (
        "access-control-allow-origin" not in closed.options("/v1/diff", headers=preflight).headers
    )
    opened = make_client(CORS_ORIGINS="https://newsroom.example")
    answer = opened.options("/v1/diff", headers=preflight)
    assert answer.headers["access-control-allow-origin"] == "https://newsroom.example"
    other = opened.options("/v1/diff", headers=preflight | {"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_keys_are_random_prefixed_and_stored_only_as_digests(
    session: Session, secrets: dict[str, str]
) -> None:
    secret = secrets["write"]
    assert secret.startswith("adk_")
    assert len(secret) >= 4 + 43  # 32 random bytes in base64url
    rows = keys.list_keys(session)
    assert all(secret not in (r.digest, r.prefix, r.name) for r in rows)
    assert any(r.digest == keys.digest_of(secret) and secret.startswith(r.prefix) for r in rows)
