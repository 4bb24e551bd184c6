"""Certificat de atestare fiscală (local taxes), for a person or a company, to each of its ends."""

from __future__ import annotations

from datetime import date

import pytest

from engine.models import TimerStatus
from tests.support.citizens import represent
from tests.support.scenario import (
    PDF,
    Scenario,
    at_nine,
    days_for_term_to_pass,
    registered_days_ago,
)
from tests.support.tryout import ends_told

PERSON = {
    "tip_contribuabil": "persoana_fizica",
    "nume_contribuabil": "Ion Popescu",
    "cnp": "1900512400015",
    "scop": "instrainare",
}
COMPANY = {
    "tip_contribuabil": "persoana_juridica",
    "nume_contribuabil": "Construct Lupeni SRL",
    "cui": "RO18547290",
    "scop": "licitatie",
    "detalii_scop": "Licitația pentru reabilitarea școlii nr. 2",
}
CHECK = "Verificarea situației fiscale"
HEAD = "Semnarea de către șeful serviciului"
MAYOR = "Semnarea de către primar"


@pytest.fixture
def sc(client, api_for, circuit):
    # Fiscal secrecy: the citizen asks for another taxpayer with an accepted împuternicire.
    represent(client, api_for, "citizen", PERSON["nume_contribuabil"], cnp=PERSON["cnp"])
    represent(client, api_for, "citizen", COMPANY["nume_contribuabil"], cui=COMPANY["cui"])
    return Scenario(client, api_for, circuit, "atestare_fiscala")


def test_start_form_asks_cnp_for_a_person_and_cui_for_a_company(client, sc):
    procs = {p["id"]: p for p in client.get("/api/v1/procedures").get_json()["procedures"]}
    proc = procs["atestare_fiscala"]
    assert proc["deadline"] == {"days": 2, "kind": "working"}
    # Its legal basis is the fiscal procedure code, not the indexation of the fiscal code.
    assert "art. 159" in proc["legal_basis"] and "491" not in proc["legal_basis"]
    assert "valabil 30 de zile" in proc["legal_basis"]
    form = proc["start_form"]
    assert form["properties"]["cnp"]["examples"] == ["1900512400015"]
    assert form["properties"]["cui"]["examples"] == ["RO18547290"]
    r = sc.submit_raw({k: v for k, v in COMPANY.items() if k != "cui"})
    assert r.status_code == 422
    assert [e["field"] for e in r.get_json()["errors"]] == ["/cui"]
    r = sc.submit_raw({**PERSON, "cnp": "19005124000"})
    assert [e["field"] for e in r.get_json()["errors"]] == ["/cnp"]


def test_certificate_without_debts_for_a_person(sc):
    body = sc.submit(PERSON)
    rid, registered = body["id"], date.fromisoformat(body["registration"]["date"])
    due = sc.due(registered, 2, working=True)
    assert body["due_date"] == due.isoformat()
    task = sc.task("taxe", rid, CHECK)
    assert task["department"] == "taxe"
    assert sc.timers(rid) == [("Termenul de emitere", TimerStatus.WAITING, at_nine(due))]

    assert sc.step("taxe", rid, CHECK, {"rezultat": "fara_datorii"}) == "in_progress"
    signing = sc.task("taxe_head", rid, HEAD)
    assert sc.complete("taxe", signing, {"decizie_sef": "semnat"}, status=403)
    sc.complete("taxe_head", signing, {"decizie_sef": "semnat"})

    mayor = sc.task("primar", rid, MAYOR)
    assert mayor["department"] == "primar"
    seen = sc.detail(rid, who="primar")
    assert seen["steps"][-1]["name"] == MAYOR and seen["steps"][-1]["state"] == "ready"
    assert sc.complete("primar", mayor, {"decizie_primar": "semnat"})["request"]["status"] == (
        "completed"
    )
    seen = sc.detail(rid)
    assert seen["status"] == "completed"
    assert seen["answer"] == (
        "Certificat de atestare fiscală pentru Ion Popescu: contribuabilul nu are obligații "
        "de plată restante la bugetul local. Certificatul este valabil 30 de zile de la "
        "emitere."
    )
    assert {s for _, s, _ in sc.timers(rid)} == {TimerStatus.CANCELLED}
    assert "a fost soluționată" in sc.notifications("citizen", rid)[-1]


def test_company_with_debts_gets_the_certificate_listing_them(sc, monkeypatch):
    # Registered a week or so ago: the 2-working-day term has run out when each step is
    # reached.
    with registered_days_ago(monkeypatch, days_for_term_to_pass(2, "working", at_least=7)):
        body = sc.submit(COMPANY, {"imputernicire": PDF})
    rid, display = body["id"], body["registration"]["display"]
    late = (
        f"Cererea nr. {display} (Certificat de atestare fiscală): certificatul de atestare "
        f"fiscală trebuie emis astăzi, {date.fromisoformat(body['due_date']):%d.%m.%Y}."
    )
    assert sc.notifications("taxe", rid) == [late]
    assert sc.notifications("taxe_head", rid) == [late, late]  # her department's, and her own

    task = sc.task("taxe", rid, CHECK)
    errors = sc.complete("taxe", task, {"rezultat": "cu_datorii"}, status=422)["errors"]
    assert [e["field"] for e in errors] == ["/datorii", "/total_datorii"]
    debts = "impozit pe clădiri 2025: 1.250,00 lei; taxă firmă 2025: 310,00 lei"
    sc.complete("taxe", task, {"rezultat": "cu_datorii", "datorii": debts, "total_datorii": 1560})
    # The head sends it back; the inspector sees why, and corrects the total.
    sc.step(
        "taxe_head",
        rid,
        HEAD,
        {"decizie_sef": "retrimis", "comentariu_retrimitere": "Adăugați majorările."},
    )
    task = sc.task("taxe", rid, CHECK)
    debts += "; majorări de întârziere: 42,50 lei"
    sc.complete("taxe", task, {"rezultat": "cu_datorii", "datorii": debts, "total_datorii": 1602.5})
    sc.step("taxe_head", rid, HEAD, {"decizie_sef": "semnat"})
    # The mayor, in the shared sub-process, sends it back to the head once.
    mayor = sc.task("primar", rid, MAYOR)
    waiting = sc.notifications("primar", rid)
    assert waiting == [
        f"Cererea nr. {display} (Certificat de atestare fiscală): astăzi expiră termenul "
        "legal, iar documentul „Certificat de atestare fiscală, Construct Lupeni SRL” așteaptă "
        "semnătura primarului."
    ]
    sc.complete(
        "primar",
        mayor,
        {"decizie_primar": "retrimis", "comentariu_retrimitere": "Verificați CUI-ul."},
    )
    assert sc.inbox("primar", rid) == []
    sc.step("taxe_head", rid, HEAD, {"decizie_sef": "semnat"})
    assert sc.step("primar", rid, MAYOR, {"decizie_primar": "semnat"}) == "completed"

    seen = sc.detail(rid)
    assert seen["status"] == "completed"
    assert seen["answer"] == (
        "Certificat de atestare fiscală pentru Construct Lupeni SRL: contribuabilul are "
        f"obligații de plată restante la bugetul local, în total 1602.5 lei: {debts} "
        "Certificatul este valabil 30 de zile de la emitere."
    )
    assert [s["name"] for s in seen["steps"]] == [CHECK, HEAD, CHECK, HEAD, MAYOR, HEAD, MAYOR]
    # The representation's proof, then the certificate issued, signed, with its code.
    proof, certificate = seen["documents"]
    assert (proof["name"], proof["kind"]) == ("imputernicire.pdf", "attachment")
    assert certificate["kind"] == "issued" and len(certificate["verification_code"]) == 10
    assert certificate["name"].startswith("certificat-de-atestare-fiscala-")


def test_refused_without_the_taxpayers_consent(sc):
    rid = sc.submit(COMPANY)["id"]
    reason = "solicitantul nu are acordul scris al contribuabilului Construct Lupeni SRL."
    status = sc.step("taxe", rid, CHECK, {"rezultat": "respins", "motiv_respingere": reason})
    assert status == "rejected"
    seen = sc.detail(rid)
    assert seen["status"] == "rejected" and seen["answer"].endswith(f"a fost respinsă: {reason}")
    assert any(n.endswith(f"a fost respinsă: {reason}") for n in sc.notifications("citizen", rid))
    assert sc.inbox("taxe", rid) == [] and sc.inbox("taxe_head", rid) == []


def test_withdrawn_before_it_is_issued(sc):
    rid = sc.submit(PERSON)["id"]
    sc.step("taxe", rid, CHECK, {"rezultat": "fara_datorii"})
    assert sc.withdraw(rid).status_code == 200
    assert sc.detail(rid)["status"] == "withdrawn"
    assert sc.inbox("taxe_head", rid) == []


def test_the_dry_run_scenarios_of_the_procedure_reach_their_ends():
    """Its scenarios in tests/data/scenarios, as `circuit procedure try` plays them."""
    ends_told("atestare_fiscala_fara_datorii", "completed")
    ends_told("atestare_fiscala_respinsa", "rejected")
