"""The app as served, plus one route the server bench measures it against.

`POST /bench/bare` inserts the request body as one row of a bare table (the
anchor for ingest: the same server, database, worker count and client, doing
nothing but the database write); `GET /bench/noop` answers at once (the client's
own overhead, subtracted from read latencies). Served only by `make bench`:
    uvicorn --factory bench.app:create_bench_app
"""

from fastapi import FastAPI, Response
from sqlalchemy import BigInteger, Column, Integer, MetaData, Table, Text, insert

from app.api.deps import BodyDep
from app.main import create_app

_metadata = MetaData()
BARE = Table(
    "bench_bare",
    _metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    Column("body", Text, nullable=False),
)


def create_bench_app() -> FastAPI:
    app = create_app()
    _metadata.create_all(app.state.engine)

    @app.post("/bench/bare", include_in_schema=False)
    def bare(body: BodyDep) -> Response:  # read, then written from the threadpool, as ingest
        with app.state.engine.begin() as conn:
            conn.execute(insert(BARE).values(body=body.decode()))
        return Response(status_code=201)

    @app.get("/bench/noop", include_in_schema=False)
    async def noop() -> Response:
        return Response(status_code=204)

    return app
