"""The ASGI application: app.main:app."""

from fastapi import FastAPI

from app.api import articles, changes, diffs, health, hooks
from app.db import create_db_engine, create_session_factory
from app.errors import add_exception_handlers
from app.services.health import schema_head
from app.settings import Settings, get_settings

DESCRIPTION = """Keeps every revision of every news article and explains what changed
between any two of them: sections, headings, paragraphs added, removed, modified,
moved, split or merged, and the words changed inside them."""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(title="Article revision diff service", version="0.1.0", description=DESCRIPTION)
    engine = create_db_engine(settings.DATABASE_URL)
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = create_session_factory(engine)
    app.state.schema_head = schema_head()
    add_exception_handlers(app)
    for module in (health, articles, diffs, changes, hooks):
        app.include_router(module.router)
    return app


app = create_app()
