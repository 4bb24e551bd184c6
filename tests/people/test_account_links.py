"""Confirming the e-mail, resetting a password and changing the profile, by signed links
that expire and work once; submitting waits for a confirmed address."""

from __future__ import annotations

import time
from typing import Any

from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select

from engine.models import Request, User
from tests.support.citizens import ADULT_CNP, GOOD_PASSWORD, body, link, make_citizen
from tests.support.seed import PASSWORD
from tests.support.web import Browser, csrf_from

PETITION = {
    "procedure": "petitie",
    "data": {"subiect": "Iluminat stradal", "continut": "Becul de pe stâlpul 14 nu arde."},
}
EMAIL = "ana.marinescu@example.ro"


def sign_up(client: Any) -> dict[str, str]:
    r = client.post(
        "/api/v1/accounts",
        json={"name": "Ana Marinescu", "email": EMAIL, "password": GOOD_PASSWORD, "cnp": ADULT_CNP},
    )
    assert r.status_code == 201, r.get_json()
    r = client.post("/api/v1/auth/token", json={"email": EMAIL, "password": GOOD_PASSWORD})
    return {"Authorization": f"Bearer {r.get_json()['token']}"}


def token_in(mail: Any, path: str) -> str:
    return link(mail, path).rsplit("/", 1)[1]


def request_count(circuit: Any) -> int:
    with circuit.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(Request)) or 0)


def test_submitting_waits_for_the_confirmed_email(client: Any, circuit: Any, mailbox: Any) -> None:
    headers = sign_up(client)
    r = client.post("/api/v1/requests", headers=headers, json=PETITION)
    assert r.status_code == 403 and r.get_json()["error"] == "email_not_verified"
    assert "Confirmați adresa de e-mail" in r.get_json()["message"]
    assert request_count(circuit) == 0
    assert client.get("/api/v1/me", headers=headers).get_json()["verified"] is False

    token = token_in(mailbox.to(EMAIL)[0], "/cont/confirmare/")
    altered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    r = client.post("/api/v1/accounts/verify", json={"token": altered})
    assert r.status_code == 400 and r.get_json()["error"] == "invalid_token"
    r = client.post("/api/v1/accounts/verify", json={"token": token})
    assert r.status_code == 200 and r.get_json()["verified"] is True
    again = client.post("/api/v1/accounts/verify", json={"token": token})
    assert again.status_code == 400 and again.get_json()["error"] == "invalid_token"
    assert "a fost deja folosit" in again.get_json()["message"]

    assert client.get("/api/v1/me", headers=headers).get_json()["verified"] is True
    r = client.post("/api/v1/requests", headers=headers, json=PETITION)
    assert r.status_code == 201, r.get_json()


def test_an_expired_link_is_refused(client: Any, circuit: Any) -> None:
    sign_up(client)
    with circuit.db.session() as s:
        user_id = s.scalar(select(User.id).where(User.email == EMAIL))

    class FourDaysAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 4 * 24 * 3600

    old = URLSafeTimedSerializer(
        circuit.settings.secret_key, salt="circuit-link-verify", signer=FourDaysAgo
    ).dumps({"u": user_id, "e": EMAIL, "n": "0" * 32})
    r = client.post("/api/v1/accounts/verify", json={"token": old})
    assert r.status_code == 400 and r.get_json()["error"] == "invalid_token"
    assert "a expirat" in r.get_json()["message"]


def test_the_portal_says_the_email_is_unconfirmed_and_resends(
    app: Any, circuit: Any, mailbox: Any
) -> None:
    web = Browser(app.test_client())
    page = web.get("/cont-nou").get_data(as_text=True)
    web.client.post(
        "/cont-nou",
        data={
            "csrf_token": csrf_from(page),
            "name": "Ana Marinescu",
            "email": EMAIL,
            "password": GOOD_PASSWORD,
            "password2": GOOD_PASSWORD,
            "cnp": ADULT_CNP,
        },
    )
    web.login(EMAIL, GOOD_PASSWORD)
    form = web.get("/proceduri/petitie").get_data(as_text=True)
    assert "nu este încă confirmată" in form and "Retrimite linkul de confirmare" in form
    r = web.submit("/proceduri/petitie", {"subiect": "Test", "continut": "Un text oarecare."})
    assert r.status_code == 403
    assert "Confirmați adresa de e-mail" in r.get_data(as_text=True)
    assert request_count(circuit) == 0

    r = web.submit("/proceduri/petitie", {}, action="/cont/retrimite")
    assert r.status_code == 302
    assert len(mailbox.to(EMAIL)) == 2
    confirm = link(mailbox.to(EMAIL)[1], "/cont/confirmare/")
    assert "Confirm adresa de e-mail" in web.get(confirm).get_data(as_text=True)
    assert request_count(circuit) == 0  # opening the link alone changes nothing
    r = web.submit(confirm, {})
    assert r.status_code == 302
    first = link(mailbox.to(EMAIL)[0], "/cont/confirmare/")  # the older link still works once
    assert web.submit(first, {}).status_code == 302
    reused = web.get(confirm)
    assert reused.status_code == 400 and "Cereți unul nou" in reused.get_data(as_text=True)
    r = web.submit("/proceduri/petitie", {"subiect": "Test", "continut": "Un text oarecare."})
    assert r.status_code == 302 and request_count(circuit) == 1


def test_a_forgotten_password_is_reset_once(
    app: Any, client: Any, circuit: Any, mailbox: Any
) -> None:
    make_citizen(circuit, "ion.vasilescu@example.ro")
    web = Browser(app.test_client())
    r = web.submit("/parola-uitata", {"email": "ion.vasilescu@example.ro"})
    assert "Dacă există un cont cu această adresă" in r.get_data(as_text=True)
    unknown = web.submit("/parola-uitata", {"email": "nimeni@example.ro"})
    assert unknown.get_data(as_text=True) == r.get_data(as_text=True)  # no enumeration
    assert mailbox.to("nimeni@example.ro") == []
    [mail] = mailbox.to("ion.vasilescu@example.ro")
    reset = link(mail, "/parola-noua/")

    weak = web.submit(reset, {"password": "password123", "password2": "password123"})
    assert weak.status_code == 422
    html = weak.get_data(as_text=True)
    assert 'id="f-password-error"' in html and "cele mai folosite parole" in html
    new = "o-parola-noua-si-lunga"
    assert web.submit(reset, {"password": new, "password2": new}).status_code == 302
    assert web.get(reset).status_code == 400  # used: refused
    old = client.post(
        "/api/v1/auth/token", json={"email": "ion.vasilescu@example.ro", "password": PASSWORD}
    )
    assert old.status_code == 401
    fresh = client.post(
        "/api/v1/auth/token", json={"email": "ion.vasilescu@example.ro", "password": new}
    )
    assert fresh.status_code == 200


def test_password_reset_through_the_api(client: Any, circuit: Any, mailbox: Any) -> None:
    make_citizen(circuit, "ion.vasilescu@example.ro")
    r = client.post("/api/v1/accounts/password-reset", json={"email": "ion.vasilescu@example.ro"})
    assert r.status_code == 202
    assert (
        client.post("/api/v1/accounts/password-reset", json={"email": "x@y.ro"}).status_code == 202
    )
    token = token_in(mailbox.to("ion.vasilescu@example.ro")[0], "/parola-noua/")
    short = client.post(
        "/api/v1/accounts/password-reset/confirm", json={"token": token, "password": "scurt"}
    )
    assert short.status_code == 422 and short.get_json()["errors"][0]["field"] == "/password"
    body_ok = {"token": token, "password": "o-parola-noua-si-lunga"}
    assert client.post("/api/v1/accounts/password-reset/confirm", json=body_ok).status_code == 200
    reused = client.post("/api/v1/accounts/password-reset/confirm", json=body_ok)
    assert reused.status_code == 400 and reused.get_json()["error"] == "invalid_token"


def test_the_profile_changes_name_email_and_password(
    app: Any, client: Any, circuit: Any, mailbox: Any
) -> None:
    make_citizen(circuit, "ion.vasilescu@example.ro")
    ion = Browser(app.test_client())
    ion.login("ion.vasilescu@example.ro")
    page = ion.get("/cont").get_data(as_text=True)
    assert "ion.vasilescu@example.ro" in page and "(confirmată)" in page

    bad = ion.submit("/cont", {"name": "Ion \u202eVasilescu"}, action="/cont/nume")
    assert bad.status_code == 422
    assert 'id="f-name-error"' in bad.get_data(as_text=True)
    assert ion.submit("/cont", {"name": "Ion I. Vasilescu"}, action="/cont/nume").status_code == 302
    assert "Ion I. Vasilescu" in ion.get("/cont").get_data(as_text=True)

    bad = ion.submit("/cont", {"email": "ion@"}, action="/cont/email")
    assert bad.status_code == 422 and "nu este validă" in bad.get_data(as_text=True)
    r = ion.submit("/cont", {"email": "ion.nou@example.ro"}, action="/cont/email")
    assert r.status_code == 302
    [warning] = mailbox.to("ion.vasilescu@example.ro")
    assert "ion.nou@example.ro" in body(warning)
    [confirm] = mailbox.to("ion.nou@example.ro")
    with circuit.db.session() as s:  # not changed until the new address is confirmed
        assert s.scalar(select(User.email).where(User.name == "Ion I. Vasilescu")) == (
            "ion.vasilescu@example.ro"
        )
    assert ion.submit(link(confirm, "/cont/confirmare/"), {}).status_code == 302
    page = ion.get("/cont").get_data(as_text=True)
    assert "ion.nou@example.ro" in page and "(confirmată)" in page

    wrong = ion.submit(
        "/cont",
        {"current_password": "nu-e-parola-mea", "new_password": "x", "new_password2": "x"},
        action="/cont/parola",
    )
    html = wrong.get_data(as_text=True)
    assert wrong.status_code == 422
    assert "Parola actuală nu este corectă." in html and 'id="f-new_password-error"' in html
    new = "alta-parola-buna-7"
    r = ion.submit(
        "/cont",
        {"current_password": PASSWORD, "new_password": new, "new_password2": new},
        action="/cont/parola",
    )
    assert r.status_code == 302
    token = client.post("/api/v1/auth/token", json={"email": "ion.nou@example.ro", "password": new})
    assert token.status_code == 200


def test_a_reset_link_dies_when_another_one_sets_the_password(
    app: Any, client: Any, circuit: Any, mailbox: Any
) -> None:
    make_citizen(circuit, "ion.vasilescu@example.ro")
    for _ in range(2):
        r = client.post(
            "/api/v1/accounts/password-reset", json={"email": "ion.vasilescu@example.ro"}
        )
        assert r.status_code == 202
    first, second = (link(m, "/parola-noua/") for m in mailbox.to("ion.vasilescu@example.ro"))
    web = Browser(app.test_client())
    chosen = "parola-aleasa-de-ion"
    assert web.submit(first, {"password": chosen, "password2": chosen}).status_code == 302

    page = web.get(second)  # the other link asked for before: dead
    assert page.status_code == 400 and "Cereți unul nou" in page.get_data(as_text=True)
    token = second.rsplit("/", 1)[1]
    r = client.post(
        "/api/v1/accounts/password-reset/confirm",
        json={"token": token, "password": "parola-atacatorului-9"},
    )
    assert r.status_code == 400 and r.get_json()["error"] == "invalid_token"
    assert "nu mai este valabil" in r.get_json()["message"]
    signs_in = client.post(
        "/api/v1/auth/token", json={"email": "ion.vasilescu@example.ro", "password": chosen}
    )
    assert signs_in.status_code == 200


def test_a_reset_link_dies_when_the_password_is_changed_in_the_account(
    app: Any, client: Any, circuit: Any, mailbox: Any
) -> None:
    make_citizen(circuit, "ion.vasilescu@example.ro")
    client.post("/api/v1/accounts/password-reset", json={"email": "ion.vasilescu@example.ro"})
    client.post("/api/v1/accounts/password-reset", json={"email": "ion.vasilescu@example.ro"})
    by_page, by_api = (link(m, "/parola-noua/") for m in mailbox.to("ion.vasilescu@example.ro"))
    ion = Browser(app.test_client())
    ion.login("ion.vasilescu@example.ro")
    new = "alta-parola-buna-7"
    r = ion.submit(
        "/cont",
        {"current_password": PASSWORD, "new_password": new, "new_password2": new},
        action="/cont/parola",
    )
    assert r.status_code == 302
    refused = ion.get(by_page)
    assert refused.status_code == 400 and "Cereți unul nou" in refused.get_data(as_text=True)

    # The same after PATCH /me: a link asked for before the change is dead.
    client.post("/api/v1/accounts/password-reset", json={"email": "ion.vasilescu@example.ro"})
    asked_after_page = link(mailbox.to("ion.vasilescu@example.ro")[-1], "/parola-noua/")
    token = client.post(
        "/api/v1/auth/token", json={"email": "ion.vasilescu@example.ro", "password": new}
    )
    headers = {"Authorization": f"Bearer {token.get_json()['token']}"}
    newest = "a-treia-parola-buna"
    r = client.patch(
        "/api/v1/me", headers=headers, json={"current_password": new, "password": newest}
    )
    assert r.status_code == 200, r.get_json()
    for stale in (by_api, asked_after_page):
        r = client.post(
            "/api/v1/accounts/password-reset/confirm",
            json={"token": stale.rsplit("/", 1)[1], "password": "parola-atacatorului-9"},
        )
        assert r.status_code == 400 and r.get_json()["error"] == "invalid_token"
    signs_in = client.post(
        "/api/v1/auth/token", json={"email": "ion.vasilescu@example.ro", "password": newest}
    )
    assert signs_in.status_code == 200


def test_an_email_change_link_dies_when_the_password_changes(
    app: Any, client: Any, circuit: Any, mailbox: Any
) -> None:
    make_citizen(circuit, "ion.vasilescu@example.ro")
    intruder = Browser(app.test_client())  # someone who learnt the password
    intruder.login("ion.vasilescu@example.ro")
    r = intruder.submit("/cont", {"email": "intrus@example.ro"}, action="/cont/email")
    assert r.status_code == 302
    [confirm] = mailbox.to("intrus@example.ro")
    ion = Browser(app.test_client())
    ion.login("ion.vasilescu@example.ro")
    new = "alta-parola-buna-7"
    r = ion.submit(
        "/cont",
        {"current_password": PASSWORD, "new_password": new, "new_password2": new},
        action="/cont/parola",
    )
    assert r.status_code == 302
    stranger = Browser(app.test_client())
    page = stranger.get(link(confirm, "/cont/confirmare/"))
    assert page.status_code == 400 and "Cereți unul nou" in page.get_data(as_text=True)
    r = client.post(
        "/api/v1/accounts/verify",
        json={"token": link(confirm, "/cont/confirmare/").rsplit("/", 1)[1]},
    )
    assert r.status_code == 400 and r.get_json()["error"] == "invalid_token"
    me = client.post(
        "/api/v1/auth/token", json={"email": "ion.vasilescu@example.ro", "password": new}
    )
    assert me.status_code == 200  # the account kept its own address
