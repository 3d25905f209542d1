"""Schemathesis against the app: every operation, every built-in check, on both databases.

The quick profile runs in `make test`; `make fuzz` runs the same test with many
more examples (SCHEMATHESIS_EXAMPLES). Three narrow allowances, each for
something a schema cannot say:
- Idempotency-Key: reusing a key for a different body is a 422 by design (the
  IETF idempotency-key draft), so each generated request gets a fresh key.
- A text/* body generated as a non-string (a "type mutation") is sent as its
  text, which is a valid text body: the server is right to accept it.
- Subscriptions need an admin key: positive examples carry a real one, which
  schemathesis cannot tell from a generated one (so its ignored-auth check is off
  for them; tests/api/test_access.py proves every refusal).
NDJSON bodies (POST /v1/import) come from a strategy of our own: lines that are
import lines, other JSON, or any text.
"""

import json
import os
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from requests.structures import CaseInsensitiveDict
from schemathesis.specs.openapi.checks import ignored_auth, negative_data_rejection
from sqlalchemy.orm import Session

from app.main import create_app
from app.services import keys
from app.settings import Settings

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "10"))


# The contract as the app publishes it; each case is sent through the test's own
# client (inside its rolled-back transaction, on SQLite and on PostgreSQL).
@pytest.fixture
def api(make_client: Callable[..., TestClient]) -> TestClient:
    """One app for all of a test's examples (rate limits off: they are tested elsewhere)."""
    return make_client(RATE_LIMIT="", RATE_LIMIT_ANONYMOUS="")


@pytest.fixture
def admin_key(session: Session) -> str:
    """For the operations only an admin may call (else every example would be a 401)."""
    return keys.create_key(session, name="fuzz", scope="admin", now=datetime.now(UTC)).secret


_IMPORT_LINE = st.fixed_dictionaries(
    {"article_id": st.from_regex(r"\A[a-z][a-z0-9]{0,8}\Z"), "text": st.text(min_size=1)}
)
_LINE = st.one_of(_IMPORT_LINE.map(json.dumps), st.text().map(json.dumps), st.text())
schemathesis.openapi.media_type(
    "application/x-ndjson", st.lists(_LINE, max_size=6).map(lambda ls: "\n".join(ls).encode())
)

schema = schemathesis.openapi.from_dict(
    create_app(Settings(DATABASE_URL="sqlite:///:memory:")).openapi()
)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_keeps_its_contract(
    case: schemathesis.Case[Any], api: TestClient, admin_key: str
) -> None:
    excluded: list[schemathesis.CheckFunction] = []
    positive = case.meta is None or case.meta.generation.mode.is_positive
    if positive and case.path.startswith("/v1/subscriptions"):
        # A real admin key, so these operations run past their 401 (which the access
        # matrix in test_access.py proves for every key); schemathesis would take the
        # key for one it generated and expect a refusal.
        case.headers = case.headers or CaseInsensitiveDict()
        case.headers["Authorization"] = f"Bearer {admin_key}"
        excluded.append(ignored_auth)
    if positive and case.headers and "Idempotency-Key" in case.headers:  # case-insensitive
        case.headers["Idempotency-Key"] = uuid.uuid4().hex
    if (case.media_type or "").startswith("text/") and not isinstance(case.body, str | bytes):
        excluded.append(negative_data_rejection)
    request = case.as_transport_kwargs(base_url="http://testserver")
    if request.pop("cookies", None):
        raise AssertionError("the API declares no cookie parameters")
    if isinstance(request.get("data"), bytes | str):  # requests' spelling of a raw body
        request["content"] = request.pop("data")
    response = api.request(**request, follow_redirects=False)
    case.validate_response(response, excluded_checks=excluded)
