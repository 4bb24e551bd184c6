"""A procedure whose diagram names a department with nobody in it is not offered: the
catalog and its page say why, the API refuses it, the overview lists the department first."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import update

from engine.models import User
from engine.people import accounts
from tests.support.seed import PASSWORD
from tests.support.web import Browser

PERSON = {
    "tip_contribuabil": "persoana_fizica",
    "nume_contribuabil": "Ion Popescu",
    "cnp": "1900512400015",
    "scop": "instrainare",
}
WHY = "momentan nu poate fi depusă: compartimentul „Primar” nu are încă personal"


@pytest.fixture
def admin(app, circuit) -> Browser:
    with circuit.db.transaction() as s:
        accounts.create_user(s, "admin@primarie.ro", "Administrator", PASSWORD, is_admin=True)
    browser = Browser(app.test_client())
    browser.login("admin@primarie.ro")
    return browser


@pytest.fixture
def no_mayor(circuit, people) -> Iterator[None]:
    """The mayor's office with nobody active in it (the seeded mayor is away for good)."""

    def set_active(value: bool) -> None:
        with circuit.db.transaction() as s:
            s.execute(update(User).where(User.id == people["primar"]).values(active=value))

    set_active(False)
    try:
        yield
    finally:
        set_active(True)


def test_the_catalog_and_the_procedure_page_say_it_cannot_be_submitted_and_why(
    client, browser_for, no_mayor
):
    catalog = client.get("/proceduri").get_data(as_text=True)
    card = catalog[catalog.index("Certificat de atestare fiscală") :]
    card = card[: card.index("</li>")]
    assert "Temporar indisponibilă" in card and WHY in card
    assert "/proceduri/atestare_fiscala" not in card.split("</h2>", 1)[1]  # no form offered
    petition = catalog[catalog.index(">Petiție<") :]
    assert "Completează cererea" in petition[: petition.index("</li>")]  # others stay offered

    citizen = browser_for("citizen")
    page = citizen.get("/proceduri/atestare_fiscala").get_data(as_text=True)
    assert WHY in page and "Trimite cererea" not in page
    refused = citizen.submit("/proceduri/atestare_fiscala", {"nume_contribuabil": "Ion"})
    assert refused.status_code == 409


def test_the_api_refuses_a_request_for_it_with_409_and_says_why(client, api_for, no_mayor):
    r = client.post(
        "/api/v1/requests",
        json={"procedure": "atestare_fiscala", "data": PERSON},
        headers=api_for("citizen"),
    )
    assert r.status_code == 409
    body = r.get_json()
    assert body["error"] == "procedure_unavailable" and body["departments"] == ["primar"]
    assert WHY in body["message"]
    listed = {p["id"]: p for p in client.get("/api/v1/procedures").get_json()["procedures"]}
    assert listed["atestare_fiscala"]["available"] is False
    assert WHY in listed["atestare_fiscala"]["unavailable_reason"]
    assert listed["petitie"]["available"] is True
    doc = client.get("/api/v1/openapi.json").get_json()
    assert (
        "procedure_unavailable"
        in doc["paths"]["/requests"]["post"]["responses"]["409"]["description"]
    )


def test_the_overview_lists_the_unstaffed_department_first(admin, no_mayor):
    page = admin.get("/administrare/").get_data(as_text=True)
    problem = page.index("De rezolvat: compartimente fără personal")
    assert problem < page.index("Sarcini deschise pe compartimente") if "<table" in page else True
    assert "/administrare/compartimente" in page
    listed = page[problem:]
    listed = listed[: listed.index("</ul>")]
    assert "Primar" in listed and "Certificat de atestare fiscală" in listed
    assert "Audiență la primar" in listed and "Certificat de urbanism" in listed


def test_with_everyone_at_work_every_procedure_is_offered(client, admin):
    catalog = client.get("/proceduri").get_data(as_text=True)
    assert "Temporar indisponibilă" not in catalog
    page = admin.get("/administrare/").get_data(as_text=True)
    assert page.count("<h1>") == 1
    assert "compartimente fără personal" not in page
    listed = client.get("/api/v1/procedures").get_json()["procedures"]
    assert all(p["available"] for p in listed)
