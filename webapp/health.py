"""Signals for the operator's probes: /healthz (the process answers) and /readyz (it can
serve: database and Redis reachable, migrations applied).

No login, no CSRF, no cookie, no throttle, no database session of the request's own; the
answer names which check failed and never how (no URL, host or error text). gunicorn's
access log leaves them out (scripts/webserver.py)."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Flask, Response, jsonify
from sqlalchemy.exc import SQLAlchemyError

from engine.platform import migrate, redisconn
from webapp import db

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


def _plain(body: dict[str, Any], status: int) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
def healthz() -> Response:
    """The process is up and answers; nothing else is asked."""
    return _plain({"status": "ok"}, 200)


def _database() -> tuple[str, str]:
    """The database's check and the migrations' check."""
    try:
        # A reading connection: on SQLite it waits for no writer.
        with db.circuit().db.reading_engine.connect() as conn:
            state = migrate.schema_state(conn)
    except (SQLAlchemyError, OSError) as exc:
        log.warning("readiness: database unreachable (%s)", type(exc).__name__)
        return "unreachable", "unknown"
    if state == "behind":
        log.warning("readiness: the database needs `circuit db upgrade`")
    return "ok", {"current": "ok"}.get(state, state)


@bp.get("/readyz")
def readyz() -> Response:
    """Ready when the database and Redis answer and the schema is not behind the code.

    A schema ahead of the code (a newer release has upgraded it during a rolling restart)
    is reported and still ready: migrations add before they take away."""
    circuit = db.circuit()
    database, migrations = _database()
    redis_ok = redisconn.reachable(
        circuit.settings, None if circuit.settings.redis_url else circuit.redis()
    )
    checks = {
        "database": database,
        "redis": "ok" if redis_ok else "unreachable",
        "migrations": migrations,
    }
    ready = database == "ok" and redis_ok and migrations in ("ok", "ahead")
    return _plain(
        {"status": "ready" if ready else "not ready", "checks": checks}, 200 if ready else 503
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
