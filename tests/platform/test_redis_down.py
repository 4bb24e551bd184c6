"""A Redis that is down, or that accepts connections and never answers, does not hold the
web app: a request is registered and answered, its jobs left to the sweep."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from engine.circuit import Circuit
from engine.models import Notification
from engine.platform.redisconn import CONNECT_TIMEOUT, READ_TIMEOUT, RETRY, connect
from tests.support.circuit import make_settings
from tests.support.engine import PETITION
from tests.support.seed import PASSWORD, PEOPLE


@pytest.fixture
def silent_redis() -> Iterator[str]:
    """A server that takes TCP connections into its backlog and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    try:
        yield f"redis://127.0.0.1:{server.getsockname()[1]}/2"
    finally:
        server.close()


def test_the_redis_client_has_connect_and_read_timeouts_and_one_quick_retry(circuit):
    client = connect(
        make_settings(circuit.settings.data_dir, "sqlite://", "redis://127.0.0.1:6399/2")
    )
    kwargs = client.connection_pool.connection_kwargs
    assert kwargs["socket_connect_timeout"] == CONNECT_TIMEOUT
    assert kwargs["socket_timeout"] == READ_TIMEOUT
    assert client.get_retry() is RETRY and RETRY.get_retries() == 1


def in_thread(call: Any) -> Any:
    """Run `call`; a web thread that Redis holds would never come back (not a timing test:
    the bound is generous, the assertion is that it comes back at all)."""
    out: list[Any] = []
    worker = threading.Thread(target=lambda: out.append(call()), daemon=True)
    worker.start()
    worker.join(timeout=120)
    assert out, "the web request did not come back: Redis held the thread"
    return out[0]


@pytest.mark.slow
def test_with_a_silent_redis_a_citizen_still_logs_in_and_submits(circuit, silent_redis):
    from webapp import create_app

    settings = make_settings(circuit.settings.data_dir, circuit.settings.database_url, silent_redis)
    silent = Circuit(settings=settings, db=circuit.db, catalog=circuit.catalog)
    circuit.set_dispatcher(None)  # the database is shared: no in-process job log
    app = create_app({"TESTING": True}, circuit=silent)  # its jobs go to that Redis
    web = app.test_client()

    def submit() -> Any:
        token = web.post(
            "/api/v1/auth/token", json={"email": PEOPLE["citizen"][0], "password": PASSWORD}
        ).get_json()["token"]
        return web.post(
            "/api/v1/requests",
            json={"procedure": "petitie", "data": PETITION},
            headers={"Authorization": f"Bearer {token}"},
        )

    r = in_thread(submit)
    assert r.status_code == 201 and r.get_json()["registration"]["number"] == 1
    with circuit.db.session() as s:
        note = s.scalar(select(Notification).where(Notification.request_id == r.get_json()["id"]))
        assert note is not None and note.emailed_at is None  # kept for the sweep to send
    ready = in_thread(lambda: web.get("/readyz"))
    assert ready.status_code == 503 and ready.get_json()["checks"]["redis"] == "unreachable"
