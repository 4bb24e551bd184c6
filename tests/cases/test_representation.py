"""Acting for a company or another person needs a proof the registry accepted: anyone can no
longer file for any company, nor ask for someone else's fiscal certificate."""

from __future__ import annotations

import io
from typing import Any

from alembic import command
from sqlalchemy import create_engine, func, select, text

from engine.models import Request
from engine.platform.migrate import alembic_config
from tests.support.citizens import ADULT_CNP, PROOF_PDF, make_citizen
from tests.support.seed import PASSWORD


def token(client: Any, email: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.get_json()
    return {"Authorization": f"Bearer {r.get_json()['token']}"}


DACIA = {"cui": "RO14399840", "name": "Dacia Automobile SA"}
PETITION = {"subiect": "Aviz", "continut": "Solicităm avizul de funcționare."}
OTHER_CNP = "1900512400015"
CERTIFICATE = {
    "tip_contribuabil": "persoana_fizica",
    "nume_contribuabil": "Ion Popescu",
    "cnp": OTHER_CNP,
    "scop": "instrainare",
}


def claim(client: Any, headers: dict[str, str], **fields: Any) -> Any:
    form = {**fields, "proof": (io.BytesIO(PROOF_PDF), "certificat-constatator.pdf")}
    return client.post("/api/v1/me/companies", data=form, headers=headers)


def petition_for(client: Any, headers: dict[str, str], cui: str) -> Any:
    return client.post(
        "/api/v1/requests",
        json={"procedure": "petitie", "company": cui, "data": PETITION},
        headers=headers,
    )


def requests_count(circuit: Any) -> int:
    with circuit.db.session() as s:
        return s.scalar(select(func.count()).select_from(Request))


def pending(client: Any, api_for: Any) -> list[dict[str, Any]]:
    r = client.get("/api/v1/companies?status=pending", headers=api_for("registry"))
    assert r.status_code == 200, r.get_json()
    return r.get_json()["companies"]  # type: ignore[no-any-return]


def test_a_company_without_proof_is_refused_and_a_pending_one_cannot_be_used(
    client, api_for, circuit
):
    citizen = api_for("citizen")
    r = client.post("/api/v1/me/companies", json=DACIA, headers=citizen)
    assert r.status_code == 422
    assert [e["field"] for e in r.get_json()["errors"]] == ["/proof"]
    assert "împuternicirea sau certificatul constatator" in r.get_json()["errors"][0]["message"]
    r = client.post(
        "/api/v1/me/companies",
        data={**DACIA, "proof": (io.BytesIO(b"<html>not a pdf</html>"), "dovada.pdf")},
        headers=citizen,
    )
    assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "/proof"

    r = claim(client, citizen, **DACIA)
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["cui"] == "14399840" and body["name"] == DACIA["name"]
    assert body["status"] == "pending" and body["id"]

    r = petition_for(client, citizen, DACIA["cui"])
    assert r.status_code == 403
    assert r.get_json()["error"] == "company_not_verified"
    assert "registratura" in r.get_json()["message"]
    assert requests_count(circuit) == 0


def test_two_citizens_claim_the_same_company_and_each_is_checked_apart(client, api_for, circuit):
    first, second, registry = api_for("citizen"), api_for("citizen2"), api_for("registry")
    assert claim(client, first, **DACIA).status_code == 201
    assert claim(client, second, cui=DACIA["cui"], name="Dacia Pitești").status_code == 201
    waiting = pending(client, api_for)
    assert [(c["applicant"]["name"], c["name"]) for c in waiting] == [
        ("Ion Popescu", "Dacia Automobile SA"),
        ("Elena Ionescu", "Dacia Pitești"),
    ]
    proof = client.get(waiting[0]["proof_url"], headers=registry)
    assert proof.status_code == 200 and proof.data == PROOF_PDF
    assert proof.headers["Content-Disposition"].startswith("attachment")
    # Citizens neither list the claims nor decide them, nor read another's proof.
    assert client.get("/api/v1/companies?status=pending", headers=first).status_code == 403
    decide = f"/api/v1/companies/{waiting[1]['id']}/verify"
    assert client.post(decide, json={"decision": "accepted"}, headers=second).status_code == 403
    assert client.get(waiting[1]["proof_url"], headers=first).status_code == 404

    r = client.post(decide, json={"decision": "refused"}, headers=registry)
    assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "/reason"
    r = client.post(
        decide,
        json={"decision": "refused", "reason": "Certificatul constatator nu vă numește."},
        headers=registry,
    )
    assert r.status_code == 200 and r.get_json()["status"] == "refused"
    accept = f"/api/v1/companies/{waiting[0]['id']}/verify"
    assert client.post(accept, json={"decision": "accepted"}, headers=registry).status_code == 200
    assert (
        client.post(
            accept, json={"decision": "refused", "reason": "x"}, headers=registry
        ).status_code
        == 409
    )
    assert pending(client, api_for) == []

    notes = client.get("/api/v1/me/notifications", headers=second).get_json()["notifications"]
    assert "Certificatul constatator nu vă numește." in notes[0]["text"]
    notes = client.get("/api/v1/me/notifications", headers=first).get_json()["notifications"]
    assert "a acceptat" in notes[0]["text"]

    r = petition_for(client, first, DACIA["cui"])
    assert r.status_code == 201, r.get_json()
    r = petition_for(client, second, DACIA["cui"])
    assert r.status_code == 403 and r.get_json()["error"] == "company_not_verified"
    assert requests_count(circuit) == 1


def test_a_fiscal_certificate_for_another_persons_cnp_needs_an_accepted_imputernicire(
    client, api_for, circuit
):
    make_citizen(circuit, "ana@example.ro", "Ana Marinescu", cnp=ADULT_CNP)
    ana = token(client, "ana@example.ro")
    send = {"procedure": "atestare_fiscala"}
    r = client.post("/api/v1/requests", json={**send, "data": CERTIFICATE}, headers=ana)
    assert r.status_code == 403
    assert r.get_json()["error"] == "company_not_verified"
    assert "altă persoană" in r.get_json()["message"]
    assert requests_count(circuit) == 0
    # Her own CNP needs nobody's consent.
    own = {**CERTIFICATE, "nume_contribuabil": "Ana Marinescu", "cnp": ADULT_CNP}
    r = client.post("/api/v1/requests", json={**send, "data": own}, headers=ana)
    assert r.status_code == 201, r.get_json()
    # Her own CNP cannot be claimed as someone else's.
    r = claim(client, ana, cnp=ADULT_CNP, name="Ana Marinescu")
    assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "/cnp"
    # With the împuternicire pending, still refused; once accepted, registered.
    r = claim(client, ana, cnp=OTHER_CNP, name="Ion Popescu")
    assert r.status_code == 201 and r.get_json()["status"] == "pending"
    [waiting] = pending(client, api_for)
    assert waiting["represented"] == f"Ion Popescu (CNP {OTHER_CNP})"
    r = client.post("/api/v1/requests", json={**send, "data": CERTIFICATE}, headers=ana)
    assert r.status_code == 403
    represent_id = waiting["id"]
    r = client.post(
        f"/api/v1/companies/{represent_id}/verify",
        json={"decision": "accepted"},
        headers=api_for("registry"),
    )
    assert r.status_code == 200
    r = client.post("/api/v1/requests", json={**send, "data": CERTIFICATE}, headers=ana)
    assert r.status_code == 201, r.get_json()
    # Another citizen, without Ion's împuternicire, still cannot ask for his certificate.
    other = api_for("citizen2")
    r = client.post("/api/v1/requests", json={**send, "data": CERTIFICATE}, headers=other)
    assert r.status_code == 403 and r.get_json()["error"] == "company_not_verified"


def test_the_account_page_and_the_registry_page(app, client, api_for, circuit, browser_for):
    web = browser_for("citizen")
    r = web.submit(
        "/cont", {"company_cui": DACIA["cui"], "company_name": DACIA["name"]}, action="/cont/firme"
    )
    assert r.status_code == 422
    assert 'id="f-company_proof-error"' in r.get_data(as_text=True)
    r = web.submit(
        "/cont",
        {
            **{"company_cui": DACIA["cui"], "company_name": DACIA["name"]},
            "company_proof": (io.BytesIO(PROOF_PDF), "certificat.pdf"),
        },
        action="/cont/firme",
    )
    assert r.status_code == 302
    page = web.get("/cont").get_data(as_text=True)
    assert "Dacia Automobile SA (CUI 14399840)" in page and "în așteptare" in page

    registry = browser_for("registry")
    page = registry.get("/registratura/reprezentari").get_data(as_text=True)
    assert "Dacia Automobile SA (CUI 14399840)" in page and "certificat.pdf" in page
    [waiting] = pending(client, api_for)
    action = f"/registratura/reprezentari/{waiting['id']}"
    assert registry.client.post(action, data={"decision": "refused"}).status_code == 400  # no CSRF
    r = registry.submit("/registratura/reprezentari", {"decision": "refused"}, action=action)
    assert r.status_code == 422
    assert "Scrieți motivul refuzului" in r.get_data(as_text=True)
    r = registry.submit(
        "/registratura/reprezentari",
        {"decision": "refused", "reason": "Lipsește semnătura."},
        action=action,
    )
    assert r.status_code == 302
    page = web.get("/cont").get_data(as_text=True)
    assert "refuzată. Motivul: Lipsește semnătura." in page
    # A citizen does not reach the registry's page.
    assert web.get("/registratura/reprezentari").status_code == 403


def test_companies_added_before_proofs_were_asked_for_become_pending(tmp_path):
    # Their holders sent no proof: they serve only once the registry accepts one.
    url = f"sqlite:///{tmp_path / 'before.db'}"
    cfg = alembic_config(url)
    with create_engine(url).begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0006")
        conn.execute(
            text(
                "INSERT INTO companies (user_id, cui, name, created_at) "
                "VALUES (1, '14399840', 'Dacia Automobile SA', '2026-11-01 10:00:00')"
            )
        )
        command.upgrade(cfg, "head")
        row = conn.execute(text("SELECT kind, cui, status, proof_sha256 FROM companies")).one()
    assert tuple(row) == ("company", "14399840", "pending", None)
