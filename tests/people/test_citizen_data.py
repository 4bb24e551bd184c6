"""What a citizen sees of their own data: companies they act for, notifications, the outbox,
who opened their requests, the export, and a CNP that is never kept in clear."""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy import select

from engine.models import RegistryEntry
from tests.support.citizens import ADULT_CNP, body, make_citizen, outbox
from tests.support.engine import TRIAGE_TO_URBANISM, complete, ready_task_id, submit_petition
from tests.support.web import PDF, Browser

EMAIL = "ion.vasilescu@example.ro"
CUI = "18547290"


def citizen(app: Any, circuit: Any, **kw: Any) -> tuple[int, Browser]:
    user_id = make_citizen(circuit, EMAIL, cnp=ADULT_CNP, **kw)
    web = Browser(app.test_client())
    web.login(EMAIL)
    return user_id, web


def token(client: Any, email: str = EMAIL) -> dict[str, str]:
    from tests.support.seed import PASSWORD

    r = client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    return {"Authorization": f"Bearer {r.get_json()['token']}"}


def test_a_person_submits_for_their_company(app: Any, client: Any, circuit: Any) -> None:
    _, web = citizen(app, circuit)
    bad = web.submit("/cont", {"company_cui": "18547291", "company_name": ""}, action="/cont/firme")
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert 'id="f-company_cui-error"' in html and "Cifra de control a CUI-ului" in html
    assert 'id="f-company_name-error"' in html
    r = web.submit(
        "/cont",
        {
            "company_cui": f"RO {CUI}",
            "company_name": "Lumina Serv SRL",
            "company_proof": (io.BytesIO(PDF), "certificat.pdf"),
        },
        action="/cont/firme",
    )
    assert r.status_code == 302
    assert "în așteptare" in web.get("/cont").get_data(as_text=True)
    registry = token(client, "registratura@primarie.ro")
    [claim] = client.get("/api/v1/companies?status=pending", headers=registry).get_json()[
        "companies"
    ]
    accepted = client.post(
        f"/api/v1/companies/{claim['id']}/verify", json={"decision": "accepted"}, headers=registry
    )
    assert accepted.status_code == 200, accepted.get_json()
    form = web.get("/proceduri/petitie").get_data(as_text=True)
    assert "în nume propriu" in form and "pentru Lumina Serv SRL (CUI 18547290)" in form

    r = web.submit(
        "/proceduri/petitie",
        {"company": CUI, "subiect": "Aviz de funcționare", "continut": "Solicităm avizul."},
    )
    assert r.status_code == 302
    page = web.get(r.location).get_data(as_text=True)
    assert "Lumina Serv SRL (CUI 18547290), prin Ion Vasilescu" in page
    own = web.submit(
        "/proceduri/petitie", {"subiect": "Pentru mine", "continut": "Un text pentru mine."}
    )
    assert own.status_code == 302
    with circuit.db.session() as s:
        issuers = list(s.scalars(select(RegistryEntry.issuer).order_by(RegistryEntry.id)))
    assert issuers == ["Lumina Serv SRL (CUI 18547290)", "Ion Vasilescu"]

    headers = token(client)
    assert client.get("/api/v1/me", headers=headers).get_json()["company"] == {
        "cui": CUI,
        "name": "Lumina Serv SRL",
        "status": "accepted",
    }
    other = client.post(
        "/api/v1/requests",
        headers=headers,
        json={
            "procedure": "petitie",
            "company": "14399840",
            "data": {"subiect": "Aviz", "continut": "Solicităm avizul."},
        },
    )
    assert other.status_code == 422 and other.get_json()["errors"][0]["field"] == "/company"
    r = client.post(
        "/api/v1/requests",
        headers=headers,
        json={
            "procedure": "petitie",
            "company": CUI,
            "data": {"subiect": "Aviz", "continut": "Solicităm avizul."},
        },
    )
    assert r.status_code == 201
    detail = client.get(f"/api/v1/requests/{r.get_json()['id']}", headers=headers).get_json()
    assert detail["company"]["name"] == "Lumina Serv SRL"


def test_notifications_are_listed_counted_and_marked_read(
    app: Any, client: Any, circuit: Any, people: dict[str, int]
) -> None:
    user_id, web = citizen(app, circuit)
    req = submit_petition(circuit, user_id)
    complete(circuit, people["registry"], ready_task_id(circuit, req.id), TRIAGE_TO_URBANISM)
    complete(
        circuit,
        people["urbanism"],
        ready_task_id(circuit, req.id),
        {"actiune": "cere_completari", "mesaj_solicitant": "Precizați blocul."},
    )
    notes = client.get("/api/v1/me/notifications", headers=token(client)).get_json()
    texts = [n["text"] for n in notes["notifications"]]
    assert len(texts) == 3  # registered, in progress (status change), a question
    assert any("înregistrată" in t for t in texts) and any("completări" in t for t in texts)
    assert any("este în lucru" in t for t in texts)
    assert all(n["request_id"] == req.id and n["read"] is False for n in notes["notifications"])

    home = web.get("/cereri").get_data(as_text=True)
    assert f'{len(texts)}<span class="visually-hidden"> necitite</span>' in home
    page = web.get("/cont/notificari").get_data(as_text=True)
    assert "Precizați" in page or "completări" in page
    assert page.count("<strong>nouă</strong>") == len(texts)
    assert "necitite" not in web.get("/cereri").get_data(as_text=True)
    again = client.get("/api/v1/me/notifications", headers=token(client)).get_json()
    assert all(n["read"] for n in again["notifications"])
    others = client.get(
        "/api/v1/me/notifications", headers=token(client, "elena.ionescu@example.ro")
    )
    assert others.get_json()["notifications"] == []


def test_without_smtp_account_mail_goes_to_the_outbox(client: Any, circuit: Any) -> None:
    r = client.post(
        "/api/v1/accounts",
        json={
            "name": "Ana Marinescu",
            "email": "ana@example.ro",
            "password": "lumina-de-toamna-42",
            "cnp": ADULT_CNP,
        },
    )
    assert r.status_code == 201
    [mail] = outbox(circuit.settings.data_dir)
    assert mail["To"] == "ana@example.ro" and "/cont/confirmare/" in body(mail)


def test_officials_opening_a_request_are_in_the_access_log(
    app: Any, browser_for: Any, client: Any, circuit: Any, people: dict[str, int]
) -> None:
    user_id, web = citizen(app, circuit)
    r = web.submit(
        "/proceduri/petitie",
        {
            "subiect": "Trotuar",
            "continut": "Trotuarul e spart.",
            "anexe": (io.BytesIO(PDF), "f.pdf"),
        },
        content_type="multipart/form-data",
    )
    rid = int(r.location.rsplit("/", 1)[1])
    web.get(r.location)  # the citizen's own look is not logged
    headers = token(client)
    assert client.get("/api/v1/me/access-log", headers=headers).get_json()["entries"] == []

    registry = browser_for("registry")
    office_page = registry.get(f"/birou/cereri/{rid}").get_data(as_text=True)
    assert ADULT_CNP[0] + "•" * 11 + ADULT_CNP[-1] in office_page  # masked for officials
    assert ADULT_CNP not in office_page
    doc = client.get(f"/api/v1/requests/{rid}", headers=headers).get_json()["documents"][0]
    reg_api = token(client, "registratura@primarie.ro")
    assert client.get(f"/api/v1/documents/{doc['id']}", headers=reg_api).status_code == 200
    complete(circuit, people["registry"], ready_task_id(circuit, rid), TRIAGE_TO_URBANISM)
    other = browser_for("taxe")  # another department: not allowed, nothing to log
    assert other.get(f"/birou/cereri/{rid}").status_code == 404

    entries = client.get("/api/v1/me/access-log", headers=headers).get_json()["entries"]
    assert [(e["official"], e["department"], e["action"]) for e in entries] == [
        ("Maria Dumitrescu", "registratura", "changed"),
        ("Maria Dumitrescu", "registratura", "downloaded"),
        ("Maria Dumitrescu", "registratura", "opened"),
    ]
    assert all(e["request_id"] == rid and e["at"] for e in entries)
    assert entries[1]["document_id"] == doc["id"] and "f.pdf" in entries[1]["what"]
    page = web.get("/cont/acces").get_data(as_text=True)
    assert "Maria Dumitrescu" in page and "a deschis" in page and "a modificat" in page
    assert client.get(
        "/api/v1/me/access-log", headers=token(client, "elena.ionescu@example.ro")
    ).get_json() == {"entries": []}


def test_me_and_the_export_hold_everything_and_mask_the_cnp(
    app: Any, client: Any, circuit: Any, browser_for: Any
) -> None:
    user_id, web = citizen(app, circuit)
    req = submit_petition(circuit, user_id, subiect="Parcare")
    browser_for("registry").get(f"/birou/cereri/{req.id}")
    headers = token(client)
    me = client.get("/api/v1/me", headers=headers).get_json()
    assert me["email"] == EMAIL and me["verified"] is True
    assert me["cnp_masked"] == ADULT_CNP[0] + "•" * 11 + ADULT_CNP[-1]
    assert ADULT_CNP not in str(me)
    export = client.get("/api/v1/me/export", headers=headers).get_json()
    assert export["account"]["cnp"] == ADULT_CNP and export["account"]["id"] == me["id"]
    [request] = export["requests"]
    assert request["data"]["subiect"] == "Parcare" and request["registration"]
    assert export["notifications"][0]["request_id"] == req.id
    assert export["access_log"][0]["official"] == "Maria Dumitrescu"
    download = web.get("/cont/export")
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.get_json()["account"]["email"] == EMAIL
    assert ADULT_CNP[0] + "•" * 11 in web.get("/cont").get_data(as_text=True)


def test_the_api_profile_and_a_company_given_at_sign_up(client: Any, circuit: Any) -> None:
    r = client.post(
        "/api/v1/accounts",
        json={
            "name": "Ana Marinescu",
            "email": "ana@example.ro",
            "password": "lumina-de-toamna-42",
            "cnp": ADULT_CNP,
            "company": {"cui": "18547291", "name": "Lumina Serv SRL"},
        },
    )
    assert r.status_code == 422
    assert r.get_json()["errors"] == [
        {
            "field": "/company_cui",
            "message": "Cifra de control a CUI-ului nu se potrivește: verificați fiecare cifră.",
        }
    ]
    r = client.post(
        "/api/v1/accounts",
        json={
            "name": "Ana Marinescu",
            "email": "ana@example.ro",
            "password": "lumina-de-toamna-42",
            "cnp": ADULT_CNP,
            "company": {"cui": CUI, "name": "Lumina Serv SRL"},
        },
    )
    assert r.status_code == 201
    created_id = r.get_json()["id"]
    login = client.post(
        "/api/v1/auth/token", json={"email": "ana@example.ro", "password": "lumina-de-toamna-42"}
    )
    headers = {"Authorization": f"Bearer {login.get_json()['token']}"}
    me = client.get("/api/v1/me", headers=headers).get_json()
    assert me["id"] == created_id and me["company"] == {
        "cui": CUI,
        "name": "Lumina Serv SRL",
        "status": "pending",  # a company named at sign-up serves once a proof is accepted
    }

    bad = client.patch(
        "/api/v1/me",
        headers=headers,
        json={"name": "x" * 201, "password": "nouă-parolă-lungă", "current_password": "greșită"},
    )
    assert bad.status_code == 422
    assert client.get("/api/v1/me", headers=headers).get_json()["name"] == "Ana Marinescu"
    ok = client.patch("/api/v1/me", headers=headers, json={"name": "Ana M. Marinescu"})
    assert ok.status_code == 200 and ok.get_json()["name"] == "Ana M. Marinescu"
    bad_cui = client.post("/api/v1/me/companies", headers=headers, json={"cui": "12", "name": "X"})
    assert bad_cui.status_code == 422
    assert [e["field"] for e in bad_cui.get_json()["errors"]] == ["/cui", "/proof"]
