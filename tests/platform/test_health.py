"""The probes an operator points a load balancer or an orchestrator at: /healthz, /readyz."""

from __future__ import annotations

import dataclasses
import socket

from alembic import command
from alembic.script import ScriptDirectory

from engine.platform.db import Database
from engine.platform.migrate import alembic_config

READY = {"database": "ok", "redis": "ok", "migrations": "ok"}


def _closed_port() -> int:
    """A loopback port nobody listens on: connections to it are refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _no_cookie_nor_secret(response, *secrets: str) -> None:
    assert "Set-Cookie" not in response.headers
    body = response.get_data(as_text=True)
    for secret in secrets:
        assert secret not in body


def test_healthz_answers_without_login_or_cookie(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.get_json() == {"status": "ok"}
    _no_cookie_nor_secret(r)


def test_healthz_answers_even_without_a_database(app, circuit, monkeypatch):
    monkeypatch.setattr(
        circuit, "db", Database(f"postgresql+psycopg://x@127.0.0.1:{_closed_port()}/x")
    )
    assert app.test_client().get("/healthz").status_code == 200


def test_readyz_on_a_good_setup(client):
    for _ in range(3):  # probes come every few seconds: never throttled
        r = client.get("/readyz")
        assert r.status_code == 200, r.get_json()
        assert r.get_json() == {"status": "ready", "checks": READY}
        _no_cookie_nor_secret(r)


def test_readyz_says_503_when_redis_is_unreachable(app, circuit, monkeypatch):
    port = _closed_port()
    url = f"redis://:a-redis-password@127.0.0.1:{port}/3"
    monkeypatch.setattr(circuit, "settings", dataclasses.replace(circuit.settings, redis_url=url))
    r = app.test_client().get("/readyz")
    assert r.status_code == 503
    assert r.get_json() == {"status": "not ready", "checks": READY | {"redis": "unreachable"}}
    _no_cookie_nor_secret(r, "a-redis-password", str(port), "127.0.0.1")


def test_readyz_says_503_when_the_database_is_unreachable(app, circuit, monkeypatch):
    port = _closed_port()
    url = f"postgresql+psycopg://circuit:a-db-password@127.0.0.1:{port}/circuit"
    monkeypatch.setattr(circuit, "db", Database(url))
    r = app.test_client().get("/readyz")
    assert r.status_code == 503
    assert r.get_json()["checks"] == READY | {"database": "unreachable", "migrations": "unknown"}
    _no_cookie_nor_secret(r, "a-db-password", str(port))


def test_readyz_says_503_when_migrations_are_behind(app, circuit, monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    scripts = ScriptDirectory.from_config(alembic_config(url))
    previous = scripts.get_revision(scripts.get_current_head()).down_revision
    command.upgrade(alembic_config(url), previous)  # a release behind the code
    old = Database(url)
    monkeypatch.setattr(circuit, "db", old)
    try:
        r = app.test_client().get("/readyz")
        assert r.status_code == 503
        assert r.get_json()["checks"] == READY | {"migrations": "behind"}
        command.upgrade(alembic_config(url), "head")  # `circuit db upgrade`: ready again
        assert app.test_client().get("/readyz").status_code == 200
    finally:
        old.dispose()
