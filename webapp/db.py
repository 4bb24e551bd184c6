"""One database session per HTTP request, committed by the view that changes something.

A GET (or HEAD, OPTIONS) request reads: on SQLite its transaction takes no write lock, so
page views run side by side and beside a writer; if such a page writes after all (an
official's look at someone's data goes to the access log), the lock is taken then. Other
methods change something and take the lock at their start (engine.platform.db)."""

from __future__ import annotations

from typing import cast

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy.orm import Session

from engine.circuit import Circuit

READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def circuit() -> Circuit:
    """Return the Circuit this app serves."""
    return cast(Circuit, current_app.extensions["circuit"])


def session() -> Session:
    """Return the request's session, opening it on first use."""
    if "db" not in g:
        reading = has_request_context() and request.method in READING_METHODS
        g.db = circuit().db.session(for_write=not reading)
    return cast(Session, g.db)


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
