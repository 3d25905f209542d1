"""/v1/subscriptions: made, read, rotated, resumed and deleted with an admin key; their
deliveries listed and retried; bad input answered with problems."""

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session

from app.models import Delivery
from app.services import delivery, keys

NOW = datetime(2026, 5, 1, tzinfo=UTC)
HOOK = "https://receiver.example/hook"


@pytest.fixture
def admin(session: Session) -> dict[str, str]:
    made = keys.create_key(session, name="ops", scope="admin", now=NOW)
    session.commit()
    return {"Authorization": f"Bearer {made.secret}"}


def create(client: TestClient, admin: dict[str, str], **body: object) -> dict[str, object]:
    response = client.post("/v1/subscriptions", json={"url": HOOK, **body}, headers=admin)
    assert response.status_code == 201, response.text
    data: dict[str, object] = response.json()
    return data


def test_create_read_list_delete(client: TestClient, admin: dict[str, str]) -> None:
    response = client.post(
        "/v1/subscriptions",
        json={
            "url": HOOK,
            "description": "standards desk",
            "filter": {"kinds": ["section_removed"], "min_significance": 0.5},
        },
        headers=admin,
    )
    assert response.status_code == 201
    made = response.json()
    assert response.headers["location"] == f"/v1/subscriptions/{made['id']}"
    assert made["secret"].startswith("whsec_")
    assert made["status"] == "active"
    assert made["filter"] == {
        "article_ids": None,
        "article_prefix": None,
        "kinds": ["section_removed"],
        "min_significance": 0.5,
    }
    read = client.get(f"/v1/subscriptions/{made['id']}", headers=admin).json()
    assert "secret" not in read  # shown once
    assert read == {k: v for k, v in made.items() if k != "secret"}

    second = create(client, admin)
    page = client.get("/v1/subscriptions?limit=1", headers=admin).json()
    assert [s["id"] for s in page["items"]] == [made["id"]]
    rest = client.get(f"/v1/subscriptions?cursor={page['next_cursor']}", headers=admin).json()
    assert [s["id"] for s in rest["items"]] == [second["id"]]
    assert rest["next_cursor"] is None

    assert client.delete(f"/v1/subscriptions/{made['id']}", headers=admin).status_code == 204
    gone = client.get(f"/v1/subscriptions/{made['id']}", headers=admin)
    assert gone.status_code == 404
    assert gone.headers["content-type"].startswith("application/problem+json")
    assert client.delete(f"/v1/subscriptions/{made['id']}", headers=admin).status_code == 404


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"url": "ftp://example.com/x"}, "url"),
        ({"url": "https://user:pw@example.com/x"}, "credentials"),
        ({"url": HOOK, "filter": {"kinds": ["paragraph_exploded"]}}, "filter.kinds"),
        ({"url": HOOK, "filter": {"article_ids": ["a"], "article_prefix": "a"}}, "not both"),
        ({"url": HOOK, "filter": {"min_significance": 2}}, "min_significance"),
        ({"url": HOOK, "filter": {"article_ids": ["bad id"]}}, "article_ids"),
        ({"url": HOOK, "filter": {"colour": "red"}}, "filter.colour"),
        ({"url": HOOK, "secret": "mine"}, "unknown field(s) secret"),
        ({"url": HOOK, "description": "a\u0000b"}, "NUL"),
        ({}, "url"),
    ],
)
def test_bad_subscriptions_are_problems(
    client: TestClient, admin: dict[str, str], body: dict[str, object], detail: str
) -> None:
    response = client.post("/v1/subscriptions", json=body, headers=admin)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert detail in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        # A field typed "model or left out" is a union: pydantic reported both branches,
        # "filter.SubscriptionFilter.kinds: …; filter.none: Input should be None".
        (
            {"filter": {"kinds": []}},
            "filter.kinds: List should have at least 1 item after validation, not 0",
        ),
        ({"url": 5}, "url: Input should be a valid string"),
    ],
)
def test_a_bad_update_names_the_field_alone(
    client: TestClient, admin: dict[str, str], body: dict[str, object], detail: str
) -> None:
    made = client.post("/v1/subscriptions", json={"url": HOOK}, headers=admin).json()
    response = client.patch(f"/v1/subscriptions/{made['id']}", json=body, headers=admin)
    assert response.status_code == 422
    assert response.json()["detail"] == detail


def test_private_targets_are_refused_when_blocking(
    make_client: Callable[..., TestClient], admin: dict[str, str]
) -> None:
    client = make_client(BLOCK_PRIVATE_TARGETS=True)
    response = client.post(
        "/v1/subscriptions", json={"url": "http://127.0.0.1:8000/x"}, headers=admin
    )
    assert response.status_code == 422
    assert "BLOCK_PRIVATE_TARGETS" in response.json()["detail"]


def test_body_must_be_json(client: TestClient, admin: dict[str, str]) -> None:
    response = client.post(
        "/v1/subscriptions", content=HOOK, headers=admin | {"Content-Type": "text/plain"}
    )
    assert response.status_code == 415


@pytest.mark.parametrize("ident", ["abc", "0", "-1", "1.0", "99999999999999999999", "%D9%A3"])
def test_ids_are_plain_positive_numbers(
    client: TestClient, admin: dict[str, str], ident: str
) -> None:
    assert client.get(f"/v1/subscriptions/{ident}", headers=admin).status_code == 422
    path = f"/v1/subscriptions/1/deliveries/{ident}/retry"
    assert client.post(path, headers=admin).status_code == 422


def test_rotate_secret(client: TestClient, admin: dict[str, str]) -> None:
    made = create(client, admin)
    rotated = client.post(f"/v1/subscriptions/{made['id']}/rotate-secret", headers=admin)
    assert rotated.status_code == 200
    body = rotated.json()
    assert body["secret"].startswith("whsec_")
    assert body["secret"] != made["secret"]
    read = client.get(f"/v1/subscriptions/{made['id']}", headers=admin).json()
    assert read["previous_secret_valid_until"] == body["previous_secret_valid_until"]
    # An id no subscription has (see test_deliveries_listed_retried_and_resumed).
    unknown = f"/v1/subscriptions/{int(str(made['id'])) + 1}/rotate-secret"
    assert client.post(unknown, headers=admin).status_code == 404


def test_deliveries_listed_retried_and_resumed(
    client: TestClient, admin: dict[str, str], session: Session
) -> None:
    made = create(client, admin)
    for text in ("First version.", "Second version.", "Third version."):
        posted = client.post("/v1/articles/storm/revisions", json={"text": text})
        assert posted.status_code == 201
    path = f"/v1/subscriptions/{made['id']}/deliveries"
    page = client.get(f"{path}?limit=2", headers=admin).json()
    assert [(d["revision"], d["status"]) for d in page["items"]] == [
        (3, "pending"),
        (2, "pending"),
    ]  # newest first; stored with the revisions, none sent inside the request
    first = page["items"][0]
    assert first["article_id"] == "storm"
    assert first["event_type"] == "revision.created"
    assert first["event_id"].startswith("msg_")
    assert first["attempts"] == []
    assert first["next_attempt_at"] is not None
    rest = client.get(f"{path}?cursor={page['next_cursor']}", headers=admin).json()
    assert [d["revision"] for d in rest["items"]] == [1]

    session.execute(update(Delivery).where(Delivery.revision_no == 1).values(status="dead"))
    session.commit()
    dead = client.get(f"{path}?status=dead", headers=admin).json()["items"]
    assert [d["revision"] for d in dead] == [1]
    assert dead[0]["next_attempt_at"] is None
    retried = client.post(f"{path}/{dead[0]['id']}/retry", headers=admin)
    assert retried.status_code == 202
    assert retried.json()["status"] == "pending"
    assert retried.json()["event_id"] == dead[0]["event_id"]
    other = create(client, admin)
    wrong = client.post(f"/v1/subscriptions/{other['id']}/deliveries/{dead[0]['id']}/retry")
    assert wrong.status_code == 401  # an admin key is always needed
    wrong = client.post(
        f"/v1/subscriptions/{other['id']}/deliveries/{dead[0]['id']}/retry", headers=admin
    )
    assert wrong.status_code == 404

    resumed = client.post(f"/v1/subscriptions/{made['id']}/resume", headers=admin)
    assert resumed.status_code == 200
    assert resumed.json()["status"] == "active"
    # An id no subscription has (a fixed one would collide with the sequence's on PostgreSQL,
    # whose sequence keeps counting across the tests' rolled-back transactions).
    unknown = int(str(other["id"])) + 1
    assert client.get(f"/v1/subscriptions/{unknown}/deliveries", headers=admin).status_code == 404
    assert client.get(f"{path}?status=lost", headers=admin).status_code == 422

    assert client.delete(f"/v1/subscriptions/{made['id']}", headers=admin).status_code == 204
    left = session.scalars(select(Delivery.subscription_id)).all()
    assert set(left) == set()  # its deliveries went with it


def test_a_value_the_database_refuses_is_a_problem_not_a_500(
    client: TestClient, admin: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(*_args: object, **_kwargs: object) -> None:
        raise DataError("INSERT …", {}, ValueError("value out of range"))

    monkeypatch.setattr("app.services.notifications.create_subscription", refused)
    response = client.post("/v1/subscriptions", json={"url": HOOK}, headers=admin)
    assert response.status_code == 422
    assert "value out of range" in response.json()["detail"]


def test_update_changes_only_what_is_given(client: TestClient, admin: dict[str, str]) -> None:
    made = create(client, admin, description="desk", filter={"kinds": ["section_removed"]})
    path = f"/v1/subscriptions/{made['id']}"
    moved = client.patch(path, json={"url": "https://new.example/in"}, headers=admin)
    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert body["url"] == "https://new.example/in"
    assert body["description"] == "desk"
    assert body["filter"]["kinds"] == ["section_removed"]
    refiltered = client.patch(
        path, json={"filter": {"article_prefix": "storm-"}, "description": None}, headers=admin
    ).json()
    assert refiltered["filter"] == {
        "article_ids": None,
        "article_prefix": "storm-",
        "kinds": None,  # a filter given replaces the whole filter
        "min_significance": None,
    }
    assert refiltered["description"] is None
    assert refiltered["url"] == "https://new.example/in"
    for bad, detail in (
        ({"url": None}, "instead of sending null"),
        ({"url": "ftp://x.example/"}, "http"),
        ({"filter": {"article_ids": ["a"], "article_prefix": "a"}}, "not both"),
        ({"secret": "mine"}, "unknown field"),
    ):
        refused = client.patch(path, json=bad, headers=admin)
        assert refused.status_code == 422, bad
        assert detail in refused.json()["detail"]
    unknown = f"/v1/subscriptions/{int(str(made['id'])) + 1}"  # no subscription has this id
    assert client.patch(unknown, json={}, headers=admin).status_code == 404
    # The secret never changed: it is only ever shown by create and rotate.
    assert "secret" not in client.get(path, headers=admin).json()


def test_pending_events_follow_a_changed_url(
    client: TestClient, admin: dict[str, str], session: Session
) -> None:
    made = create(client, admin)
    assert client.post("/v1/articles/storm/revisions", json={"text": "One."}).status_code == 201
    client.patch(
        f"/v1/subscriptions/{made['id']}", json={"url": "https://fixed.example/in"}, headers=admin
    )
    claimed = delivery.claim(session, worker="w", now=datetime.now(UTC), lease=60, limit=10)
    assert [c.url for c in claimed] == ["https://fixed.example/in"]
