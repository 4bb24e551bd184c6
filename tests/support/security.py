"""Steps the hardening tests share: an app on changed settings, tokens, concurrent calls."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from typing import Any

from engine.circuit import Circuit
from engine.workflow.catalog import Catalog
from tests.support.seed import PASSWORD, PEOPLE


def app_with(circuit: Circuit, **overrides: Any) -> Any:
    """Return the web app on the test's database and Redis, with some settings changed."""
    from webapp import create_app

    settings = dataclasses.replace(circuit.settings, **overrides)
    changed = dataclasses.replace(
        circuit, settings=settings, catalog=Catalog.load(settings.processes_dir)
    )
    return create_app({"TESTING": True}, circuit=changed)


def token_for(client: Any, who: str, password: str = PASSWORD, **kw: Any) -> Any:
    """POST /auth/token for a seeded person and return the response."""
    return client.post(
        "/api/v1/auth/token", json={"email": PEOPLE[who][0], "password": password}, **kw
    )


def bearer(response: Any) -> dict[str, str]:
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def at_once(n: int, call: Callable[[int], Any]) -> list[Any]:
    """Run `call(i)` for i in range(n) on n threads released together; return the results."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        results[i] = call(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results
