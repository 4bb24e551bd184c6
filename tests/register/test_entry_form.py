"""The registry desk's form is one schema: what the page draws is what the engine checks."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from engine.models import RegistryEntry
from engine.register import entry_form

ENTRIES = "/api/v1/registry/entries"
DEPARTMENTS = [("registratura", "Registratură"), ("juridic", "Juridic")]


def test_what_a_web_form_sends_is_read_into_the_schemas_types():
    form, errors = entry_form.read(
        {
            "channel": "post",
            "issuer": "  Ana   Popescu ",
            "pages": "3",
            "annexes": "0",
            "issuer_date": "27.11.2026",
            "summary": "Cerere\r\n de informații",
            "join": "on",
            "related_to": "nr. 17/27.11.2026",
            "procedure": "petitie",
            "reply_by": "post",
            "issuer_contact": "Str. Morilor 7",
        },
        DEPARTMENTS,
        "petitie",
    )
    assert errors == []
    assert form is not None
    assert (form.direction, form.issuer, form.pages, form.annexes) == ("in", "Ana Popescu", 3, 0)
    assert form.issuer_date == date(2026, 11, 27) and form.summary == "Cerere de informații"
    assert form.join and form.related_to == (17, date(2026, 11, 27))


def test_too_long_is_refused_by_the_schema_not_cut_silently():
    form, errors = entry_form.read(
        {"channel": "counter", "issuer": "A" * 301, "summary": "S" * 501}, DEPARTMENTS
    )
    messages = {e["field"]: e["message"] for e in errors}
    assert form is None
    assert messages["/issuer"] == "Textul poate avea cel mult 300 de caractere."
    assert messages["/summary"] == "Textul poate avea cel mult 500 de caractere."


def test_an_outgoing_letter_needs_a_recipient_and_is_issued_by_the_city_hall():
    form, errors = entry_form.read({"direction": "out", "channel": "post"}, DEPARTMENTS)
    assert form is None
    assert {e["field"] for e in errors} == {"/recipient", "/summary"}
    form, errors = entry_form.read(
        {"direction": "out", "channel": "post", "recipient": "ANAF", "summary": "Adresă"},
        DEPARTMENTS,
    )
    assert errors == [] and form is not None and form.issuer == "Primăria"


def test_the_desk_refuses_a_department_with_nobody_and_an_overlong_issuer(client, api_for, circuit):
    registry = api_for("registry")
    base = {"direction": "in", "channel": "post", "summary": "Adresă de la ANAF"}
    r = client.post(
        ENTRIES,
        json={**base, "issuer": "ANAF " * 70, "department": "nimeni"},
        headers=registry,
    )
    assert r.status_code == 422
    fields = {e["field"]: e["message"] for e in r.get_json()["errors"]}
    assert fields["/issuer"].startswith("Textul poate avea cel mult 300")
    assert fields["/department"] == "Alegeți una dintre variantele permise."
    with circuit.db.session() as s:
        assert s.scalar(select(func.count()).select_from(RegistryEntry)) == 0
    # The same letter, to a department people work in, is registered.
    r = client.post(
        ENTRIES, json={**base, "issuer": "ANAF", "department": "juridic"}, headers=registry
    )
    assert r.status_code == 201, r.get_json()
