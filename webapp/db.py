"""One database session per HTTP request, committed by the view that changes something."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from engine.circuit import Circuit


def circuit() -> Circuit:
    """Return the Circuit this app serves."""
    return current_app.extensions["circuit"]  # type: ignore[no-any-return]


def session() -> Session:
    """Return the request's session, opening it on first use."""
    if "db" not in g:
        g.db = circuit().db.session()
    return g.db  # type: ignore[no-any-return]


def commit() -> None:
    """Commit the request's unit of work (jobs are enqueued right after)."""
    session().commit()


def rollback() -> None:
    """Roll back the request's unit of work, if it opened one, releasing its locks at once."""
    if "db" in g:
        g.db.rollback()


def init_app(app: Flask) -> None:
    @app.teardown_appcontext
    def _close(_exc: BaseException | None) -> None:
        db = g.pop("db", None)
        if db is not None:
            db.rollback()
            db.close()
