"""The floor: the same stack (gunicorn + Flask + SQLAlchemy, same database and
engine settings, the collector settled as onething's workers settle it) answering
each request with one INSERT + COMMIT, nothing else.

    gunicorn bench.floor_app:app     (DATABASE_URL as for onething)
"""

from __future__ import annotations

import os
from datetime import datetime, timezone

import orjson
from flask import Flask, Response, request
from sqlalchemy import Column, DateTime, Integer, MetaData, Table, Text, insert

from engine.adapters.heap import settle
from engine.config import normalise_database_url
from engine.store.db import make_engine, make_session_factory

metadata = MetaData()
floor = Table(
    "bench_floor",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("body", Text),
)


def create_app(url: str) -> Flask:
    engine = make_engine(normalise_database_url(url))
    metadata.create_all(engine)
    sessions = make_session_factory(engine)
    app = Flask(__name__)

    @app.post("/floor")
    def write():
        body = request.get_data(as_text=True)
        with sessions() as session:
            row = session.execute(
                insert(floor)
                .values(at=datetime.now(timezone.utc), body=body[:200])
                .returning(floor.c.id)
            ).scalar_one()
            session.commit()
        return Response(orjson.dumps({"id": row}), status=201, mimetype="application/json")

    @app.get("/floor")
    def ready():
        return Response(b"{}", mimetype="application/json")

    return app


app = create_app(os.environ["DATABASE_URL"]) if "DATABASE_URL" in os.environ else None
if app is not None:
    settle()  # as api.wsgi does for onething
