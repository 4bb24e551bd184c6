"""CIRCUIT_REGISTRY_DEPARTMENT is read everywhere: a city hall whose registry is `registru`
has its register, its permissions, its pages and the diagrams' `registratura` lane there."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import delete

from engine.models import Department, Membership
from engine.people import accounts, organisation
from tests.support.engine import PETITION
from tests.support.security import app_with
from tests.support.seed import PASSWORD, PEOPLE
from tests.support.web import Browser

RODICA = "rodica.registru@primarie.ro"


@pytest.fixture
def registru_app(circuit: Any) -> Iterator[Any]:
    """The app with the registry department named `registru`, and Rodica working in it."""
    with circuit.db.transaction() as s:
        organisation.ensure_department(s, "registru", "Registru general")
        accounts.create_user(s, RODICA, "Rodica Pavel", PASSWORD, departments=["registru"])
    try:
        yield app_with(circuit, registry_department="registru")
    finally:
        # Departments outlive a test (its people go with the next test's cleaning).
        with circuit.db.transaction() as s:
            s.execute(delete(Membership).where(Membership.department_code == "registru"))
            s.execute(delete(Department).where(Department.code == "registru"))


def token(client: Any, email: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.get_json()
    return {"Authorization": f"Bearer {r.get_json()['token']}"}


def test_the_registry_department_setting_is_read_everywhere(registru_app: Any) -> None:
    client = registru_app.test_client()
    rodica = Browser(registru_app.test_client())
    rodica.login(RODICA)
    page = rodica.get("/registratura/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Înregistrați un document" in html and 'href="/registratura/"' in html  # the menu

    r = rodica.submit(
        "/registratura/inregistrare",
        {
            "direction": "in",
            "channel": "post",
            "issuer": "Ioana Mureșan",
            "summary": "Cerere de audiență",
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    entries = client.get("/api/v1/registry/entries", headers=token(client, RODICA)).get_json()
    assert [e["issuer"] for e in entries["entries"]] == ["Ioana Mureșan"]
    assert entries["entries"][0]["department"] == "registru"

    citizen = token(client, PEOPLE["citizen"][0])
    r = client.post(
        "/api/v1/requests", json={"procedure": "petitie", "data": PETITION}, headers=citizen
    )
    assert r.status_code == 201, r.get_json()
    request_id = r.get_json()["id"]
    tasks = client.get("/api/v1/tasks", headers=token(client, RODICA)).get_json()["tasks"]
    assert [(t["request_id"], t["department"]) for t in tasks] == [(request_id, "registru")]
    inbox = rodica.get("/birou/").get_data(as_text=True)
    assert f"/birou/sarcini/{tasks[0]['id']}" in inbox  # in her web inbox too
    seen = client.get(f"/api/v1/requests/{request_id}", headers=token(client, RODICA))
    assert seen.status_code == 200  # the registry follows every registration

    # The department that is no longer the registry has neither the register nor its work.
    maria = Browser(registru_app.test_client())
    maria.login(PEOPLE["registry"][0])
    assert maria.get("/registratura/").status_code == 403
    assert 'href="/registratura/"' not in maria.get("/birou/").get_data(as_text=True)
    old = client.get("/api/v1/tasks", headers=token(client, "registratura@primarie.ro"))
    assert old.get_json()["tasks"] == []
    refused = client.post(
        "/api/v1/registry/entries",
        headers=token(client, PEOPLE["registry"][0]),
        json={"direction": "in", "channel": "post", "issuer": "X", "summary": "Y"},
    )
    assert refused.status_code == 403
