"""Making an account: every field checked in Romanian, all at once, nothing stored when wrong,
and the same answer whether or not an address or a CNP already has an account."""

from __future__ import annotations

import stat
from typing import Any

import pytest
from sqlalchemy import select, text

from engine.models import User
from engine.people import accounts, personal
from engine.platform.errors import BadRequest
from tests.support.citizens import (
    ADULT_CNP,
    GOOD_PASSWORD,
    body,
    errors_of,
    make_cnp,
    signup_body,
    user_count,
)
from tests.support.seed import PEOPLE
from tests.support.web import csrf_from

UNDER_AGE_CNP = make_cnp("5", "150310")  # born 10 March 2015
FOREIGN_2015_CNP = make_cnp("7", "150310")  # resident foreigner, century not in the code


BAD_INPUT = [
    ({"cnp": UNDER_AGE_CNP}, "/cnp", "au împlinit 18 ani"),
    ({"cnp": ADULT_CNP[:-1] + str((int(ADULT_CNP[-1]) + 1) % 10)}, "/cnp", "Cifra de control"),
    ({"cnp": make_cnp("1", "801332")}, "/cnp", "dată de naștere care nu există"),
    ({"cnp": make_cnp("1", "800515", county="99")}, "/cnp", "cod de județ"),
    ({"cnp": "18005154012"}, "/cnp", "exact 13 cifre"),
    ({"cnp": FOREIGN_2015_CNP, "birth_date": "2015-03-10"}, "/cnp", "au împlinit 18 ani"),
    ({"cnp": FOREIGN_2015_CNP}, "/birth_date", "scrieți și data nașterii"),
    ({"cnp": FOREIGN_2015_CNP, "birth_date": "1990-01-01"}, "/birth_date", "nu se potrivește"),
    ({"cnp": None}, "/birth_date", "data nașterii este obligatorie"),
    ({"cnp": None}, "/cnp", "Dacă nu aveți CNP"),
    ({"cnp": None, "birth_date": "1985-04-02"}, "/id_document", "documentului de identitate"),
    (
        {"cnp": None, "birth_date": "2012-04-02", "id_document": "Pașaport X123"},
        "/birth_date",
        "au împlinit 18 ani",
    ),
    ({"cnp": None, "birth_date": "31.02.1980", "id_document": "P1"}, "/birth_date", "ZZ.LL"),
    ({"email": "a@"}, "/email", "nu este validă"),
    ({"email": "@"}, "/email", "nu este validă"),
    ({"email": "ana.example.ro"}, "/email", "„@”"),
    ({"email": "ana@example.ro\r\nBcc: tot@example.ro"}, "/email", "caractere de control"),
    ({"email": "ana@example.ro\n"}, "/email", "caractere de control"),
    ({"password": "scurta123"}, "/password", "cel puțin 10 caractere"),
    ({"password": "x" * 129}, "/password", "cel mult 128 de caractere"),
    ({"password": "password123"}, "/password", "cele mai folosite parole"),
    ({"password": "Qwertyuiop"}, "/password", "cele mai folosite parole"),
    ({"name": "A" * 201}, "/name", "cel mult 200 de caractere"),
    ({"name": "Ana \u202eMarinescu"}, "/name", "caractere de control sau invizibile"),
    ({"name": "Ana\x07 Marinescu"}, "/name", "caractere de control sau invizibile"),
    ({"name": "   "}, "/name", "Scrieți numele complet"),
]


@pytest.mark.parametrize(("fields", "pointer", "message"), BAD_INPUT)
def test_each_bad_field_is_refused_in_romanian_and_nothing_is_stored(
    client: Any, circuit: Any, fields: dict[str, Any], pointer: str, message: str
) -> None:
    before = user_count(circuit)
    errors = errors_of(client.post("/api/v1/accounts", json=signup_body(**fields)))
    assert message in errors[pointer], errors
    assert user_count(circuit) == before


def test_every_problem_is_told_at_once(client: Any, circuit: Any) -> None:
    before = user_count(circuit)
    response = client.post(
        "/api/v1/accounts",
        json={"name": "N" * 250, "email": "a@", "password": "scurt", "cnp": UNDER_AGE_CNP},
    )
    errors = errors_of(response)
    assert set(errors) == {"/name", "/email", "/password", "/cnp"}
    assert "200 de caractere" in errors["/name"] and "18 ani" in errors["/cnp"]
    assert user_count(circuit) == before


def test_the_signup_page_shows_every_error_beside_its_field(client: Any, circuit: Any) -> None:
    page = client.get("/cont-nou").get_data(as_text=True)
    assert 'inputmode="numeric"' in page and "200 de caractere" in page
    before = user_count(circuit)
    response = client.post(
        "/cont-nou",
        data={
            "csrf_token": csrf_from(page),
            "name": "",
            "email": "ion@exemplu.ro\r\n",
            "password": "scurt",
            "password2": "altceva",
            "cnp": UNDER_AGE_CNP,
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for field in ("name", "email", "password", "password2", "cnp"):
        assert f'id="f-{field}-error"' in html, field
    assert "Parolele nu coincid." in html and "au împlinit 18 ani" in html
    assert 'id="rezumat-erori"' in html and "Contul nu a fost creat" in html
    assert user_count(circuit) == before


def test_a_foreigner_signs_up_with_birth_date_and_document(client: Any, circuit: Any) -> None:
    r = client.post(
        "/api/v1/accounts",
        json=signup_body(cnp=None, birth_date="1979-06-30", id_document="Pașaport FR 12AB34567"),
    )
    assert r.status_code == 201, r.get_json()
    with circuit.db.session() as s:
        user = s.scalar(select(User).where(User.email == "ana.marinescu@example.ro"))
        assert user.birth_date.isoformat() == "1979-06-30" and user.cnp_hash is None
        assert "12AB34567" not in (user.id_document_encrypted or "")
        assert personal.vault().decrypt(user.id_document_encrypted) == "Pașaport FR 12AB34567"


def test_taken_email_or_cnp_gets_the_same_answer_and_the_owner_is_told(
    client: Any, circuit: Any, mailbox: Any
) -> None:
    first = client.post("/api/v1/accounts", json=signup_body())
    assert first.status_code == 201
    answer = first.get_json()
    assert answer["email"] == "ana.marinescu@example.ro" and answer["verified"] is False
    [verify] = mailbox.to("ana.marinescu@example.ro")
    assert "/cont/confirmare/" in body(verify)
    count = user_count(circuit)

    same_email = client.post(
        "/api/v1/accounts", json=signup_body(cnp=make_cnp("2", "850101"), name="Altcineva")
    )
    same_cnp = client.post("/api/v1/accounts", json=signup_body(email="alta@example.ro"))
    for r in (same_email, same_cnp):
        assert r.status_code == 201
        assert set(r.get_json()) == set(answer) and r.get_json()["verified"] is False
        assert r.get_json()["id"] != answer["id"]
    assert same_cnp.get_json()["email"] == "alta@example.ro"
    assert user_count(circuit) == count  # nothing new
    warnings = mailbox.to("ana.marinescu@example.ro")[1:]
    assert len(warnings) == 2
    texts = " ".join(body(m) for m in warnings)
    assert "are deja un cont" in texts and "CNP-ul dumneavoastră" in texts
    assert mailbox.to("alta@example.ro") == []  # the stranger learns nothing by mail either


def test_the_web_signup_answers_the_same_for_a_taken_email(client: Any, circuit: Any) -> None:
    def sign_up(email: str, cnp: str) -> str:
        page = client.get("/cont-nou").get_data(as_text=True)
        r = client.post(
            "/cont-nou",
            data={
                "csrf_token": csrf_from(page),
                "name": "Ana Marinescu",
                "email": email,
                "password": GOOD_PASSWORD,
                "password2": GOOD_PASSWORD,
                "cnp": cnp,
            },
        )
        assert r.status_code == 200
        return r.get_data(as_text=True).replace(email, "ADRESA")

    new = sign_up("ana@example.ro", ADULT_CNP)
    taken = sign_up("ion.popescu@example.ro", make_cnp("2", "850101"))
    assert "Verificați-vă e-mailul" in new and new == taken


def test_the_cnp_is_stored_encrypted_with_a_keyed_hash(client: Any, circuit: Any) -> None:
    assert client.post("/api/v1/accounts", json=signup_body()).status_code == 201
    with circuit.db.engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM users WHERE email = 'ana.marinescu@example.ro'"))
        values = [str(v) for v in row.one()]
    assert not any(ADULT_CNP in v for v in values)
    vault = personal.vault()
    assert vault.lookup_hash(ADULT_CNP) in values
    key = circuit.settings.data_dir / personal.KEY_FILE
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_accounts_made_by_the_administrator_are_checked_too(circuit: Any) -> None:
    with circuit.db.transaction() as s:
        with pytest.raises(BadRequest) as under_age:
            accounts.create_user(s, "copil@example.ro", "Copil", GOOD_PASSWORD, cnp=UNDER_AGE_CNP)
        assert "18 ani" in under_age.value.message
        user = accounts.create_user(s, "adult@example.ro", "Adult", GOOD_PASSWORD, cnp=ADULT_CNP)
        assert user.verified  # the administrator vouches for the address
        with pytest.raises(BadRequest) as twice:
            accounts.create_user(s, "dublu@example.ro", "Dublu", GOOD_PASSWORD, cnp=ADULT_CNP)
        assert "acest CNP" in twice.value.message


def test_circuit_user_add_checks_the_cnp(tmp_path: Any) -> None:
    from tests.support.cli import circuit as run_cli

    assert run_cli(["db", "upgrade"], tmp_path).returncode == 0
    young = run_cli(
        ["user", "add", "copil@example.ro", "--name", "Copil Mic", "--cnp", UNDER_AGE_CNP],
        tmp_path,
        stdin=f"{GOOD_PASSWORD}\n",
    )
    assert young.returncode == 1 and "au împlinit 18 ani" in young.stderr
    wrong = run_cli(
        ["user", "add", "x@example.ro", "--name", "X Y", "--cnp", ADULT_CNP[:-1] + "0"],
        tmp_path,
        stdin=f"{GOOD_PASSWORD}\n",
    )
    assert wrong.returncode == 1 and "Cifra de control" in wrong.stderr
    ok = run_cli(
        ["user", "add", "adult@example.ro", "--name", "Adult", "--cnp", ADULT_CNP],
        tmp_path,
        stdin=f"{GOOD_PASSWORD}\n",
    )
    assert ok.returncode == 0, ok.stderr
    assert ADULT_CNP not in (tmp_path / "circuit.db").read_bytes().decode("latin-1")


def test_sign_ups_from_one_address_are_throttled(client: Any, circuit: Any) -> None:
    import dataclasses

    circuit.settings = dataclasses.replace(circuit.settings, login_ip_limit="2 per 5 minutes")
    for n in range(2):
        r = client.post(
            "/api/v1/accounts", json=signup_body(email=f"a{n}@example.ro", cnp=None, name="")
        )
        assert r.status_code == 422  # refused forms count too: each could probe
    r = client.post("/api/v1/accounts", json=signup_body())
    assert r.status_code == 429 and r.headers["Retry-After"]
    assert "Prea multe conturi noi" in r.get_json()["message"]
    assert user_count(circuit) == len(PEOPLE)
