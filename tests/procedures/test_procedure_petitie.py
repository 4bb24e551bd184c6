"""Petiție (OG 27/2002): four eyes on the approval, the signature of the mayor or of the
person the mayor delegated, and a completion request that says by when to answer."""

from __future__ import annotations

import io
import json
import shutil
from datetime import datetime, time, timedelta

import pytest
from pypdf import PdfReader

from engine.deadlines.legal_calendar import DeadlineKind
from engine.people import accounts
from engine.platform.config import PROJECT_ROOT
from engine.platform.timeutil import BUCHAREST, as_aware, local_today
from tests.support.drive import fire_waiting_timers, move_timers_clock, waiting_timers
from tests.support.scenario import Scenario
from tests.support.security import app_with, bearer, token_for
from tests.support.seed import PASSWORD
from tests.support.tryout import ends_told

PETITION = {"subiect": "Groapă în asfalt", "continut": "Pe strada Morilor nr. 5 este o groapă."}
TRIAGE = "Repartizare petiție"
DRAFT = "Redactare răspuns"
APPROVAL = "Aprobare răspuns"
SIGNING = "Semnarea răspunsului"
ANSWER = "Groapa va fi astupată până vineri, 12 decembrie."


@pytest.fixture
def sc(client, api_for, circuit):
    return Scenario(client, api_for, circuit, "petitie")


def drafted(sc, department="urbanism", author="urbanism") -> int:
    rid = sc.submit(PETITION)["id"]
    triage = {"decizie_triere": "repartizare", "departament": department}
    sc.step("registry", rid, TRIAGE, triage)
    sc.step(author, rid, DRAFT, {"actiune": "propune_raspuns", "raspuns": ANSWER})
    return rid


def answer_lines(sc, rid) -> list[str]:
    r = sc.client.get(f"/api/v1/requests/{rid}/answer.pdf", headers=sc.api_for("citizen"))
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(r.data)).pages)
    return [" ".join(line.split()) for line in text.splitlines()]


def test_the_head_who_drafted_cannot_approve_and_the_mayor_signs(sc, circuit):
    rid = drafted(sc, author="urbanism_head")
    approval = sc.task("urbanism_head", rid, APPROVAL)
    refused = sc.complete("urbanism_head", approval, {"decizie_sef": "aprobat"}, status=403)
    assert refused["error"] == "four_eyes" and "„Redactare răspuns”" in refused["message"]
    assert sc.task("urbanism_head", rid, APPROVAL)["id"] == approval["id"]  # nothing moved

    with circuit.db.transaction() as s:  # a second head of the department approves it
        accounts.create_user(
            s,
            "sef2.urbanism@primarie.ro",
            "Dan Pop",
            PASSWORD,
            departments=["urbanism"],
            heads=["urbanism"],
        )
    other = bearer(
        sc.client.post(
            "/api/v1/auth/token",
            json={"email": "sef2.urbanism@primarie.ro", "password": PASSWORD},
        )
    )
    r = sc.client.post(
        f"/api/v1/tasks/{approval['id']}/complete",
        json={"data": {"decizie_sef": "aprobat"}},
        headers=other,
    )
    assert r.status_code == 200 and r.get_json()["request"]["status"] == "in_progress"
    # Approved is not yet answered: the mayor, the catalog's signatory, signs it.
    signing = sc.task("primar", rid, SIGNING)
    assert signing["department"] == "primar" and signing["role"] == "head"
    assert sc.step("primar", rid, SIGNING, {"decizie_semnatar": "semnat"}) == "completed"
    seen = sc.detail(rid)
    assert seen["answer"] == ANSWER
    lines = answer_lines(sc, rid)
    assert "Semnează" in lines
    assert "Șeful compartimentului Urbanism și Amenajarea Teritoriului: Dan Pop" in lines
    assert "Primar: Constantin Barbu" in lines


def test_the_mayor_sends_the_answer_back_to_be_redrafted(sc):
    rid = drafted(sc)
    sc.step("urbanism_head", rid, APPROVAL, {"decizie_sef": "aprobat"})
    errors = sc.complete(
        "primar", sc.task("primar", rid, SIGNING), {"decizie_semnatar": "retrimis"}, status=422
    )["errors"]
    assert [e["field"] for e in errors] == ["/observatii_semnatar"]
    back = {"decizie_semnatar": "retrimis", "observatii_semnatar": "Dați o dată exactă."}
    assert sc.step("primar", rid, SIGNING, back) == "in_progress"
    sc.step("urbanism", rid, DRAFT, {"actiune": "propune_raspuns", "raspuns": ANSWER + " "})
    sc.step("urbanism_head", rid, APPROVAL, {"decizie_sef": "aprobat"})
    assert sc.step("primar", rid, SIGNING, {"decizie_semnatar": "semnat"}) == "completed"
    signed = [line for line in answer_lines(sc, rid) if line.startswith("Primar:")]
    assert signed == ["Primar: Constantin Barbu"]  # signed twice, named once


def test_in_a_department_of_one_four_eyes_is_waived_and_the_history_says_so(sc):
    rid = drafted(sc, department="arhiva", author="arhiva")  # Ileana Coman works there alone
    assert sc.step("arhiva", rid, APPROVAL, {"decizie_sef": "aprobat"}) == "in_progress"
    r = sc.client.get(f"/api/v1/requests/{rid}/history", headers=sc.api_for("arhiva"))
    [waived] = [e for e in r.get_json()["events"] if e["action"] == "four_eyes_waived"]
    assert waived["label"] == "Principiul celor patru ochi nu s-a putut aplica"
    assert "o singură persoană activă" in waived["reason"]
    assert sc.step("primar", rid, SIGNING, {"decizie_semnatar": "semnat"}) == "completed"


def test_the_signatory_is_the_person_the_catalog_names_by_delegation(circuit, tmp_path):
    folder = tmp_path / "processes"
    shutil.copytree(PROJECT_ROOT / "processes", folder)
    entry = json.loads((folder / "petitie.json").read_text(encoding="utf-8"))
    role = "Secretarul general al municipiului, prin delegare (Dispoziția primarului nr. 15/2026)"
    entry["variables"]["semnatar"] = {"departament": "secretar", "functie": role}
    (folder / "petitie.json").write_text(json.dumps(entry, ensure_ascii=False), encoding="utf-8")
    app = app_with(circuit, processes_dir=folder)
    app.extensions["circuit"].deploy_all()
    client = app.test_client()
    tokens: dict[str, dict[str, str]] = {}

    def api_for(who: str) -> dict[str, str]:
        if who not in tokens:
            tokens[who] = bearer(token_for(client, who))
        return tokens[who]

    sc = Scenario(client, api_for, app.extensions["circuit"], "petitie")
    rid = drafted(sc)
    sc.step("urbanism_head", rid, APPROVAL, {"decizie_sef": "aprobat"})
    assert sc.inbox("primar", rid) == []
    signing = sc.task("secretar", rid, SIGNING)
    assert signing["department"] == "secretar"
    assert sc.complete("secretar", signing, {"decizie_semnatar": "semnat"})["request"][
        "status"
    ] == ("completed")
    lines = answer_lines(sc, rid)
    assert f"{role}: Gabriela Toma" in " ".join(lines)
    assert not any(line.startswith("Primar:") for line in lines)


def test_a_completion_not_sent_in_its_term_closes_the_petition_with_the_reason(
    sc, monkeypatch, browser_for
):
    rid = sc.submit(PETITION)["id"]
    sc.step("registry", rid, TRIAGE, {"decizie_triere": "repartizare", "departament": "urbanism"})
    question = "Precizați numărul blocului."
    sc.step("urbanism", rid, DRAFT, {"actiune": "cere_completari", "mesaj_solicitant": question})
    with sc.circuit.db.session() as s:  # the catalog's completion term: 10 working days
        due = sc.circuit.calendar(s).deadline(local_today(), 10, DeadlineKind.WORKING)
    seen = sc.detail(rid)
    assert seen["status"] == "waiting_for_citizen"
    assert seen["waiting_for"]["answer_by"] == due.isoformat()
    asking = f"Vă rugăm să răspundeți până la {due:%d.%m.%Y}."
    assert any(asking in n for n in sc.notifications("citizen", rid))
    assert asking in browser_for("citizen").get(f"/cereri/{rid}").get_data(as_text=True)
    [timer] = waiting_timers(sc.circuit, rid)
    assert as_aware(timer.due_at) == datetime.combine(
        due + timedelta(days=1), time(0, 0), BUCHAREST
    )

    move_timers_clock(monkeypatch, 30)
    assert fire_waiting_timers(sc.circuit, rid) == 1
    seen = sc.detail(rid)
    assert seen["status"] == "rejected" and seen["waiting_for"] is None
    assert question in seen["answer"]
    assert f"nu le-am primit până la {due:%d.%m.%Y}" in seen["answer"]
    assert sc.notifications("citizen", rid)[-1] == (
        f"Cererea nr. {seen['registration']['display']} a fost clasată."
    )
    assert sc.inbox("urbanism", rid) == []
    told = sc.notifications("urbanism", rid)  # the department that asked is told too
    assert any(f"petentul nu a trimis până la {due:%d.%m.%Y}" in n for n in told)
    assert sc.reply(rid, {"text": "Blocul 7."}).status_code == 409


def test_a_completion_sent_in_time_goes_back_to_the_draft(sc):
    rid = sc.submit(PETITION)["id"]
    sc.step("registry", rid, TRIAGE, {"decizie_triere": "repartizare", "departament": "urbanism"})
    sc.step("urbanism", rid, DRAFT, {"actiune": "cere_completari", "mesaj_solicitant": "Blocul?"})
    r = sc.reply(rid, {"text": "Blocul 7, scara B."})
    assert r.status_code == 200 and r.get_json()["status"] == "in_progress"
    # The completion's term is over; only the drafting's reminder waits.
    assert [t.name for t in waiting_timers(sc.circuit, rid)] == ["Reamintire termen"]
    assert sc.task("urbanism", rid, DRAFT)


def test_the_dry_run_scenarios_of_the_procedure_reach_their_ends():
    """Its scenarios in tests/data/scenarios, as `circuit procedure try` plays them."""
    ends_told("petitie_raspuns", "completed")
    ends_told("petitie_completari", "rejected")
