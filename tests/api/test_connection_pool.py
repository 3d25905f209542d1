"""An API process keeps DATABASE_POOL_SIZE connections open: up to that many requests
at once never open a connection per request (on PostgreSQL, a new server process each)."""

from sqlalchemy import event, text

from app.main import create_app
from app.settings import Settings


def _connects_over_two_bursts(settings: Settings, at_once: int) -> int:
    app = create_app(settings)
    engine = app.state.engine
    opened: list[object] = []
    event.listen(engine, "connect", lambda connection, _record: opened.append(connection))
    try:
        for _ in range(2):  # two bursts of `at_once` requests in flight together
            held = [engine.connect() for _ in range(at_once)]
            for connection in held:
                connection.execute(text("SELECT 1"))
            for connection in held:
                connection.close()
    finally:
        engine.dispose()
    return len(opened)


def test_eight_requests_at_once_reuse_their_connections(
    settings: Settings, own_database_url: str
) -> None:
    settings = settings.model_copy(update={"DATABASE_URL": own_database_url})
    assert settings.DATABASE_POOL_SIZE == 10
    assert _connects_over_two_bursts(settings, 8) == 8


def test_the_pool_size_is_a_setting(settings: Settings, own_database_url: str) -> None:
    small = settings.model_copy(update={"DATABASE_URL": own_database_url, "DATABASE_POOL_SIZE": 2})
    # Two stay open; the other six of each burst are opened anew and closed after use.
    assert _connects_over_two_bursts(small, 8) == 8 + 6
