"""Identifiers from outside are read one way (NFKC, no spaces, ASCII digits only), so one CNP,
CUI or register number cannot be written twice; birth dates and CNPs claim a plausible age."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from engine.models import Company, User
from engine.people import personal
from engine.platform.timeutil import local_today
from tests.support.citizens import (
    ADULT_CNP,
    PROOF_PDF,
    body,
    errors_of,
    make_citizen,
    make_cnp,
    signup_body,
    smtp_mailbox,
    user_count,
)
from tests.support.cli import circuit as run_cli
from tests.support.register import fill_register

ENTRIES = "/api/v1/registry/entries"


def full_width(text: str) -> str:
    """Write ASCII digits and letters as their full-width forms (１７９…, ＲＯ)."""
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


def arabic_indic(text: str) -> str:
    """Write ASCII digits as Arabic-Indic digits (٠١٢…): digits, but not 0-9."""
    return "".join(chr(0x0660 + int(c)) if c.isdigit() else c for c in text)


@pytest.fixture
def mailbox(circuit: Any) -> Iterator[Any]:
    yield from smtp_mailbox(circuit)


def test_a_cnp_in_full_width_digits_is_the_cnp_already_registered(
    client: Any, circuit: Any, mailbox: Any
) -> None:
    assert client.post("/api/v1/accounts", json=signup_body()).status_code == 201
    count = user_count(circuit)
    for written in (full_width(ADULT_CNP), f" {ADULT_CNP[:7]} {ADULT_CNP[7:]}\u00a0"):
        r = client.post("/api/v1/accounts", json=signup_body(email="alta@example.ro", cnp=written))
        assert r.status_code == 201  # the same answer as ever: no enumeration
    assert user_count(circuit) == count  # but no second account for the same person
    warnings = [m for m in mailbox.to("ana.marinescu@example.ro") if "CNP-ul" in body(m)]
    assert len(warnings) == 2
    with circuit.db.session() as s:
        stored = s.scalar(select(User).where(User.email == "ana.marinescu@example.ro"))
        assert personal.vault().decrypt(stored.cnp_encrypted) == ADULT_CNP


def test_a_cnp_in_other_digits_is_refused(client: Any, circuit: Any) -> None:
    before = user_count(circuit)
    for written in (arabic_indic(ADULT_CNP), ADULT_CNP[:6] + "\u200b" + ADULT_CNP[6:]):
        errors = errors_of(client.post("/api/v1/accounts", json=signup_body(cnp=written)))
        assert "exact 13 cifre (0-9)" in errors["/cnp"]
    assert user_count(circuit) == before


@pytest.mark.slow  # runs the `circuit` command in processes of its own
def test_the_command_line_refuses_a_full_width_copy_of_a_cnp(tmp_path: Any) -> None:
    assert run_cli(["db", "upgrade"], tmp_path).returncode == 0
    password = "o-parola-destul-de-lunga\n"
    first = run_cli(
        ["user", "add", "ana@example.ro", "--name", "Ana Pop", "--cnp", ADULT_CNP],
        tmp_path,
        stdin=password,
    )
    assert first.returncode == 0, first.stderr
    copy = run_cli(
        ["user", "add", "ana2@example.ro", "--name", "Ana Pop", "--cnp", full_width(ADULT_CNP)],
        tmp_path,
        stdin=password,
    )
    assert copy.returncode == 1 and "Există deja un cont cu acest CNP" in copy.stderr
    other = run_cli(
        ["user", "add", "ana3@example.ro", "--name", "Ana Pop", "--cnp", arabic_indic(ADULT_CNP)],
        tmp_path,
        stdin=password,
    )
    assert other.returncode == 1 and "13 cifre (0-9)" in other.stderr


def with_proof(**fields: str) -> dict[str, Any]:
    """A representation claim's form, with its proof (the registry checks it later)."""
    return {**fields, "proof": (io.BytesIO(PROOF_PDF), "certificat.pdf")}


def test_a_cui_is_stored_in_ascii_and_other_digits_are_refused(client: Any, circuit: Any) -> None:
    make_citizen(circuit, "ion.vasilescu@example.ro")
    login = client.post(
        "/api/v1/auth/token",
        json={"email": "ion.vasilescu@example.ro", "password": "parola-de-test-1"},
    )
    headers = {"Authorization": f"Bearer {login.get_json()['token']}"}
    r = client.post(
        "/api/v1/me/companies",
        headers=headers,
        data=with_proof(cui=full_width("RO18547290"), name="Lumina Serv SRL"),
    )
    assert r.status_code == 201 and r.get_json()["cui"] == "18547290"
    again = client.post(
        "/api/v1/me/companies",
        headers=headers,
        data=with_proof(cui="ro 185 472 90", name="Lumina Serv SRL"),
    )
    assert again.status_code == 201 and again.get_json()["cui"] == "18547290"
    with circuit.db.session() as s:
        assert list(s.scalars(select(Company.cui))) == ["18547290"]
    bad = client.post(
        "/api/v1/me/companies",
        headers=headers,
        data=with_proof(cui=arabic_indic("18547290"), name="Lumina Serv SRL"),
    )
    assert bad.status_code == 422
    assert "cifre (0-9)" in bad.get_json()["errors"][0]["message"]


def test_a_foreigners_document_number_is_read_in_ascii(client: Any, circuit: Any) -> None:
    foreign = {"cnp": None, "birth_date": "1979-06-30"}
    errors = errors_of(
        client.post(
            "/api/v1/accounts",
            json=signup_body(**foreign, id_document="Pașaport " + arabic_indic("12345")),
        )
    )
    assert "cifre 0-9" in errors["/id_document"]
    r = client.post(
        "/api/v1/accounts",
        json=signup_body(**foreign, id_document="Pașaport  " + full_width("FR 12AB34567")),
    )
    assert r.status_code == 201, r.get_json()
    with circuit.db.session() as s:
        user = s.scalar(select(User).where(User.email == "ana.marinescu@example.ro"))
        assert personal.vault().decrypt(user.id_document_encrypted) == "Pașaport FR 12AB34567"


def test_register_numbers_typed_in_any_digits_are_read_or_refused(
    client: Any, api_for: Any, circuit: Any, people: Any
) -> None:
    shown = fill_register(circuit, people, 3)
    registry_h = api_for("registry")
    for odd in ("\u1369", "\u1369\u136a", arabic_indic("2")):  # Ethiopic digits, ٢
        r = client.get(ENTRIES, query_string={"q": odd}, headers=registry_h)
        assert r.status_code == 200 and r.get_json()["entries"] == []  # no number, no 500
    found = client.get(ENTRIES, query_string={"q": full_width("2")}, headers=registry_h)
    assert 2 in [e["number"] for e in found.get_json()["entries"]]
    number, day = shown[1].split("/")
    r = client.post(
        ENTRIES,
        headers=registry_h,
        json={
            "direction": "out",
            "channel": "post",
            "issuer": "Primăria",
            "recipient": "Ioana Mureșan",
            "summary": "Răspuns",
            "related_to": f"{full_width(number)}/{full_width(day)}",
        },
    )
    assert r.status_code == 201, r.get_json()
    rows = client.get(ENTRIES, headers=registry_h).get_json()["entries"]
    assert rows[0]["related_to"] == shown[1]
    r = client.post(
        ENTRIES,
        headers=registry_h,
        json={
            "direction": "out",
            "channel": "post",
            "issuer": "Primăria",
            "recipient": "Ioana Mureșan",
            "summary": "Răspuns",
            "related_to": f"{arabic_indic(number)}/{arabic_indic(day)}",
        },
    )
    assert r.status_code == 422
    assert [e["field"] for e in r.get_json()["errors"]] == ["/related_to"]


OLDEST = date(local_today().year - 122, 6, 15)  # 121 or 122 years old


@pytest.mark.parametrize(
    ("fields", "pointer", "message"),
    [
        ({"cnp": make_cnp("3", "800515")}, "/cnp", "peste 120 de ani"),  # born 1880
        ({"cnp": make_cnp("4", "990101")}, "/cnp", "peste 120 de ani"),  # born 1899
        (
            {"cnp": make_cnp("7", f"{OLDEST:%y%m%d}"), "birth_date": OLDEST.isoformat()},
            "/birth_date",
            "peste 120 de ani",
        ),
        (
            {"cnp": make_cnp("8", f"{OLDEST:%y%m%d}"), "birth_date": OLDEST.isoformat()},
            "/birth_date",
            "peste 120 de ani",
        ),
        (
            {"cnp": None, "birth_date": "0001-01-01", "id_document": "Pașaport X123"},
            "/birth_date",
            "peste 120 de ani",
        ),
        (
            {"cnp": None, "birth_date": "01.01.1800", "id_document": "Pașaport X123"},
            "/birth_date",
            "peste 120 de ani",
        ),
        (
            {
                "cnp": None,
                "birth_date": (local_today() + timedelta(days=1)).isoformat(),  # Romania's day
                "id_document": "Pașaport X123",
            },
            "/birth_date",
            "nu poate fi în viitor",
        ),
        (
            {"cnp": None, "birth_date": "9999-12-31", "id_document": "Pașaport X123"},
            "/birth_date",
            "nu poate fi în viitor",
        ),
    ],
)
def test_a_birth_over_120_years_ago_or_in_the_future_is_refused(
    client: Any, circuit: Any, fields: dict[str, Any], pointer: str, message: str
) -> None:
    before = user_count(circuit)
    errors = errors_of(client.post("/api/v1/accounts", json=signup_body(**fields)))
    assert message in errors[pointer], errors
    assert user_count(circuit) == before


def test_a_resident_foreigner_of_a_plausible_age_signs_up(client: Any, circuit: Any) -> None:
    r = client.post(
        "/api/v1/accounts",
        json=signup_body(cnp=make_cnp("7", "800515"), birth_date="1980-05-15"),
    )
    assert r.status_code == 201, r.get_json()
