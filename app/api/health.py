"""Liveness and readiness."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.api.deps import SessionDep
from app.schemas import Health
from app.services.health import check_database

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """The process is alive."""
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
def readyz(request: Request, session: SessionDep) -> JSONResponse:
    """The database is reachable and migrated to the version this code expects."""
    ok, database, migration = check_database(session, request.app.state.schema_head)
    body = Health(status="ok" if ok else "unavailable", database=database, migration=migration)
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)
