"""Adeverință din arhivă: search, a certified copy or a written "not found", driven through
the API to every end."""

from __future__ import annotations

import io

from tests.support.drive import (
    JPEG,
    PDF,
    complete,
    detail,
    fire_waiting_timers,
    move_timers_clock,
    notifications,
    reply,
    submit,
    tasks_of,
    the_task,
    waiting_timers,
)
from tests.support.tryout import ends_told

REQUEST = {
    "pentru_cine": "mine",
    "tip_document": "vechime",
    "descriere": "State de plată ale Cooperativei Meșteșugarul, unde am lucrat ca lăcătuș.",
    "an_de_la": 1982,
    "an_pana_la": 1989,
    "nume_anterior": "Ionescu",
    "scop": "dosar de pensionare",
    "numar_exemplare": 2,
}


def identity_card() -> dict:
    return {"act_identitate": (io.BytesIO(JPEG), "buletin.jpg")}


def submitted(client, api_for) -> int:
    r = submit(client, api_for("citizen"), "adeverinta_arhiva", REQUEST, identity_card())
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


def test_found_copied_sent_back_once_by_the_head_then_signed_and_issued(
    client, api_for, circuit, people, browser_for
):
    archive = api_for("arhiva")  # the archivist is also the head of the archive
    rid = submitted(client, api_for)
    page = detail(client, api_for("citizen"), rid)
    assert [d["name"] for d in page["documents"]] == ["buletin.jpg"]
    task = the_task(client, archive, rid)
    assert (task["name"], task["department"]) == ("Căutare în arhivă", "arhiva")
    # A reminder waits for the 25th day of the 30-day term.
    [timer] = waiting_timers(circuit, rid)
    assert timer.name == "Reamintire termen"

    answer = "Vă eliberăm copia certificată a statelor de plată 1982–1989 (12 file)."
    r = complete(
        client,
        archive,
        task["id"],
        {
            "rezultat": "gasit",
            "cota_arhivistica": "Fond Cooperativa Meșteșugarul, ds. 4/1982",
            "numar_file": 12,
            "raspuns": answer,
        },
    )
    assert r.status_code == 200, r.get_json()
    sign = the_task(client, archive, rid)
    assert (sign["name"], sign["role"]) == ("Semnare și eliberare", "head")
    assert waiting_timers(circuit, rid) == []  # the search is done: its reminder is cancelled

    r = complete(client, archive, sign["id"], {"decizie": "refacere"})
    assert r.status_code == 422
    assert r.get_json()["errors"][0]["field"] == "/observatii"
    r = complete(
        client, archive, sign["id"], {"decizie": "refacere", "observatii": "Lipsește fila 7."}
    )
    assert r.status_code == 200
    task = the_task(client, archive, rid)
    assert task["name"] == "Căutare în arhivă"
    html = browser_for("arhiva").get(f"/birou/sarcini/{task['id']}").get_data(as_text=True)
    assert "Retrimis de șeful arhivei: Lipsește fila 7." in html

    complete(client, archive, task["id"], {"rezultat": "gasit", "raspuns": answer})
    sign = the_task(client, archive, rid)
    r = complete(client, archive, sign["id"], {"decizie": "semnat"})
    assert r.get_json()["request"]["status"] == "completed"
    page = detail(client, api_for("citizen"), rid)
    assert page["status"] == "completed" and page["answer"] == answer
    told = notifications(circuit, user_id=people["citizen"])
    assert any("Copia certificată cerută prin cererea nr." in t and answer in t for t in told)
    assert tasks_of(client, archive, rid) == []


def test_nothing_found_is_answered_in_writing_and_counts_as_solved(
    client, api_for, circuit, people
):
    rid = submitted(client, api_for)
    task = the_task(client, api_for("arhiva"), rid)
    answer = "Fondul Cooperativei Meșteșugarul nu a fost predat arhivei primăriei."
    r = complete(client, api_for("arhiva"), task["id"], {"rezultat": "negasit", "raspuns": answer})
    assert r.get_json()["request"]["status"] == "completed"
    page = detail(client, api_for("citizen"), rid)
    assert page["answer"] == answer
    told = notifications(circuit, user_id=people["citizen"])
    assert any("nu se află în arhiva primăriei. " + answer in t for t in told)


def test_someone_not_entitled_is_refused_with_the_reason(client, api_for, circuit, people):
    rid = submitted(client, api_for)
    task = the_task(client, api_for("arhiva"), rid)
    reason = "Actele privesc o altă persoană, iar cererea nu este însoțită de o procură."
    r = complete(client, api_for("arhiva"), task["id"], {"rezultat": "refuz", "raspuns": reason})
    assert r.get_json()["request"]["status"] == "rejected"
    page = detail(client, api_for("citizen"), rid)
    assert page["status"] == "rejected"  # the refusal, with its reason, is the answer
    assert page["answer"].endswith("nu poate fi aprobată. Motivul: " + reason)
    told = notifications(circuit, user_id=people["citizen"])
    assert any("nu poate fi aprobată. Motivul: " + reason in t for t in told)


def test_the_archive_asks_for_details_and_the_citizen_answers_with_a_document(
    client, api_for, circuit, people
):
    citizen, archive = api_for("citizen"), api_for("arhiva")
    rid = submitted(client, api_for)
    task = the_task(client, archive, rid)
    question = "Cum se numea secția în care ați lucrat?"
    r = complete(client, archive, task["id"], {"rezultat": "detalii", "intrebare": question})
    assert r.get_json()["request"]["status"] == "waiting_for_citizen"
    waiting = detail(client, citizen, rid)["waiting_for"]
    assert waiting["message"] == question
    assert waiting["form"]["title"] == "Detalii pentru arhivă"
    assert [a["name"] for a in waiting["attachments"]] == ["documente"]
    assert tasks_of(client, archive, rid) == []

    r = reply(
        client,
        citizen,
        rid,
        {"actiune": "completez", "detalii": "Secția de lăcătușerie mecanică."},
        {"documente": (io.BytesIO(PDF), "carnet_de_munca.pdf")},
    )
    assert r.status_code == 200 and r.get_json()["status"] == "in_progress"
    task = the_task(client, archive, rid)
    assert task["name"] == "Căutare în arhivă"
    kinds = sorted((d["name"], d["kind"]) for d in detail(client, citizen, rid)["documents"])
    assert kinds == [("buletin.jpg", "attachment"), ("carnet_de_munca.pdf", "reply")]
    r = complete(
        client, archive, task["id"], {"rezultat": "negasit", "raspuns": "Nici cu aceste date."}
    )
    assert r.get_json()["request"]["status"] == "completed"


def test_the_citizen_withdraws_when_asked_or_while_the_archive_searches(
    client, api_for, circuit, people
):
    citizen, archive = api_for("citizen"), api_for("arhiva")
    rid = submitted(client, api_for)
    task = the_task(client, archive, rid)
    complete(client, archive, task["id"], {"rezultat": "detalii", "intrebare": "Ce an exact?"})
    r = reply(client, citizen, rid, {"actiune": "retrag"})
    assert r.get_json()["status"] == "withdrawn"
    assert any(
        "Ați retras cererea nr." in t for t in notifications(circuit, user_id=people["citizen"])
    )

    rid = submitted(client, api_for)
    r = client.post(f"/api/v1/requests/{rid}/withdraw", headers=citizen)
    assert r.status_code == 200 and r.get_json()["status"] == "withdrawn"
    assert tasks_of(client, archive, rid) == []
    assert waiting_timers(circuit, rid) == []
    r = client.post(f"/api/v1/requests/{rid}/withdraw", headers=citizen)
    assert r.status_code == 409


def test_details_not_sent_in_their_term_close_the_request_with_the_reason(
    client, api_for, circuit, people, monkeypatch
):
    from engine.deadlines.legal_calendar import DeadlineKind
    from engine.platform.timeutil import local_today

    citizen, archive = api_for("citizen"), api_for("arhiva")
    rid = submitted(client, api_for)
    task = the_task(client, archive, rid)
    complete(client, archive, task["id"], {"rezultat": "detalii", "intrebare": "Ce an exact?"})
    with circuit.db.session() as s:  # the catalog's term: 20 working days
        due = circuit.calendar(s).deadline(local_today(), 20, DeadlineKind.WORKING)
    assert detail(client, citizen, rid)["waiting_for"]["answer_by"] == due.isoformat()
    move_timers_clock(monkeypatch, 40)
    assert fire_waiting_timers(circuit, rid) == 1
    page = detail(client, citizen, rid)
    assert page["status"] == "rejected" and page["waiting_for"] is None
    assert "Ce an exact?" in page["answer"] and f"{due:%d.%m.%Y}" in page["answer"]
    message = f"nu ați trimis până la {due:%d.%m.%Y} detaliile cerute de arhivă"
    assert any(message in t for t in notifications(circuit, user_id=people["citizen"]))
    assert any(message in t for t in notifications(circuit, department="arhiva"))


def test_someone_elses_record_needs_the_proof_of_entitlement(client, api_for):
    citizen = api_for("citizen")
    procs = {p["id"]: p for p in client.get("/api/v1/procedures").get_json()["procedures"]}
    slots = {a["name"]: a for a in procs["adeverinta_arhiva"]["attachments"]}
    proof = slots["dovada_calitate"]
    assert "certificat de moștenitor" in proof["title"] and "împuternicire" in proof["title"]
    assert proof["required_when"] == {"pentru_cine": "altcineva"}
    parent = {**REQUEST, "pentru_cine": "altcineva"}
    # The holder's name and the proof are both asked for, at once.
    r = submit(client, citizen, "adeverinta_arhiva", parent, identity_card())
    assert r.status_code == 422
    assert {e["field"] for e in r.get_json()["errors"]} == {
        "/nume_titular",
        "/attachments/dovada_calitate",
    }
    files = {**identity_card(), "dovada_calitate": (io.BytesIO(PDF), "certificat.pdf")}
    r = submit(
        client, citizen, "adeverinta_arhiva", {**parent, "nume_titular": "Ion Ionescu"}, files
    )
    assert r.status_code == 201, r.get_json()
    page = detail(client, citizen, r.get_json()["id"])
    assert sorted(d["name"] for d in page["documents"]) == ["buletin.jpg", "certificat.pdf"]
    # One's own record needs no such proof.
    r = submit(client, citizen, "adeverinta_arhiva", REQUEST, identity_card())
    assert r.status_code == 201, r.get_json()


def test_a_request_without_the_identity_card_is_refused(client, api_for):
    citizen = api_for("citizen")
    r = submit(client, citizen, "adeverinta_arhiva", {**REQUEST, "an_de_la": 1800})
    assert r.status_code == 422
    fields = {e["field"] for e in r.get_json()["errors"]}
    assert fields == {"/an_de_la", "/attachments/act_identitate"}
    assert client.get("/api/v1/requests", headers=citizen).get_json()["total"] == 0


def test_the_dry_run_scenarios_of_the_procedure_reach_their_ends():
    """Its scenarios in tests/data/scenarios, as `circuit procedure try` plays them."""
    ends_told("adeverinta_arhiva_eliberata", "completed")
    ends_told("adeverinta_arhiva_refuz", "rejected")
