"""Sesizare: a public problem routed by category, driven through the API to every end."""

from __future__ import annotations

import io
from datetime import datetime, time, timedelta

from sqlalchemy import select

from engine.models import Timer, TimerStatus
from engine.platform.timeutil import BUCHAREST, as_aware, local_today
from tests.support.drive import (
    JPEG,
    PDF,
    PNG,
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

POTHOLE = {
    "categorie": "drumuri",
    "descriere": "O groapă adâncă în carosabil, în dreptul blocului 7.",
    "adresa": "Strada Morilor nr. 12",
}
DOGS = {
    "categorie": "caini",
    "descriere": "O haită de câini fără stăpân stă zilnic lângă locul de joacă.",
    "latitudine": 45.3561,
    "longitudine": 23.2081,
}


def photos(*contents: bytes) -> dict:
    names = {JPEG: "groapa.jpg", PNG: "groapa.png", PDF: "groapa.pdf"}
    return {"fotografii": [(io.BytesIO(c), names[c]) for c in contents]}


def test_a_pothole_goes_to_gospodarie_is_reminded_after_five_working_days_and_is_solved(
    client, api_for, circuit, people, monkeypatch
):
    citizen = api_for("citizen")
    r = submit(client, citizen, "sesizare", POTHOLE, photos(JPEG, PNG))
    assert r.status_code == 201, r.get_json()
    rid = r.get_json()["id"]

    # Routed by category, as the catalog's table says: Gospodărie Comunală, not the police.
    task = the_task(client, api_for("gospodarie"), rid)
    assert (task["name"], task["department"]) == ("Analiză și intervenție", "gospodarie")
    assert tasks_of(client, api_for("politia"), rid) == []
    assert tasks_of(client, api_for("registry"), rid) == []
    page = detail(client, citizen, rid)
    assert page["status"] in ("registered", "in_progress")
    assert sorted(d["name"] for d in page["documents"]) == ["groapa.jpg", "groapa.png"]

    # The internal term: five working days from registration, by the legal calendar.
    [timer] = waiting_timers(circuit, rid)
    with circuit.db.session() as s:
        five_working = circuit.calendar(s).deadline(local_today(), 5, "working")
    assert timer.name == "5 zile lucrătoare"
    assert as_aware(timer.due_at) == datetime.combine(five_working, time(9), BUCHAREST)
    move_timers_clock(monkeypatch, 25)  # past any holidays
    assert fire_waiting_timers(circuit, rid) == 1
    [reminder] = notifications(circuit, department="gospodarie")
    assert "nu a fost rezolvată în termenul intern de 5 zile lucrătoare" in reminder
    assert "gropi în carosabil sau pe trotuar" in reminder
    assert reminder in notifications(circuit, user_id=people["gospodarie_head"])
    task = the_task(client, api_for("gospodarie"), rid)  # the reminder does not stop the work

    answer = "Groapa a fost astupată cu asfalt turnat la cald pe 2 decembrie."
    r = complete(
        client, api_for("gospodarie"), task["id"], {"rezultat": "rezolvata", "raspuns": answer}
    )
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["request"]["status"] == "completed"

    page = detail(client, citizen, rid)
    assert page["status"] == "completed" and page["answer"] == answer
    assert page["waiting_for"] is None
    told = notifications(circuit, user_id=people["citizen"])
    assert any(
        "(gropi în carosabil sau pe trotuar) a fost rezolvată" in t and answer in t for t in told
    )
    assert tasks_of(client, api_for("gospodarie"), rid) == []


def test_dogs_go_to_the_police_who_ask_details_then_send_it_on_and_it_is_unfounded(
    client, api_for, circuit, people, browser_for
):
    citizen, police, gospodarie = api_for("citizen"), api_for("politia"), api_for("gospodarie")
    r = submit(client, citizen, "sesizare", DOGS)  # coordinates instead of an address
    assert r.status_code == 201, r.get_json()
    rid = r.get_json()["id"]
    task = the_task(client, police, rid)
    assert task["department"] == "politia_locala"
    assert tasks_of(client, gospodarie, rid) == []

    question = "La ce ore sunt câinii acolo? Trimiteți o fotografie, dacă puteți."
    r = complete(client, police, task["id"], {"rezultat": "cere_detalii", "intrebare": question})
    assert r.get_json()["request"]["status"] == "waiting_for_citizen"
    waiting = detail(client, citizen, rid)["waiting_for"]
    assert waiting["message"] == question
    assert list(waiting["form"]["properties"]) == ["actiune", "detalii"]
    assert [a["name"] for a in waiting["attachments"]] == ["fotografii"]
    assert tasks_of(client, police, rid) == []

    # A reply that breaks the task's own form is refused with every problem, nothing kept.
    r = reply(client, citizen, rid, {"actiune": "completez"}, photos(PDF))
    assert r.status_code == 422
    fields = {e["field"] for e in r.get_json()["errors"]}
    assert fields == {"/detalii", "/attachments/fotografii"}
    assert detail(client, citizen, rid)["status"] == "waiting_for_citizen"

    r = reply(
        client,
        citizen,
        rid,
        {"actiune": "completez", "detalii": "Seara, între 19 și 22."},
        photos(JPEG),
    )
    assert r.status_code == 200 and r.get_json()["status"] == "in_progress"
    task = the_task(client, police, rid)
    page = browser_for("politia").get(f"/birou/sarcini/{task['id']}").get_data(as_text=True)
    assert "Seara, între 19 și 22." in page  # the official sees the citizen's answer

    # The police send it to Gospodărie Comunală (it runs the dog shelter in this town).
    r = complete(
        client,
        police,
        task["id"],
        {"rezultat": "redirectionare", "departament_nou": "gospodarie"},
    )
    assert r.status_code == 200, r.get_json()
    assert tasks_of(client, police, rid) == []
    task = the_task(client, gospodarie, rid)
    assert task["department"] == "gospodarie"

    reason = "La verificarea din 3 decembrie, seara, nu au fost găsiți câini în zonă."
    r = complete(client, gospodarie, task["id"], {"rezultat": "nefondata", "raspuns": reason})
    assert r.get_json()["request"]["status"] == "rejected"
    page = detail(client, citizen, rid)
    assert page["status"] == "rejected" and page["waiting_for"] is None
    # The police's details, then the answer the city hall issued (signed, with its code).
    assert [d["kind"] for d in page["documents"]] == ["reply", "issued"]
    told = notifications(circuit, user_id=people["citizen"])
    assert any("a fost clasată. Motivul: " + reason in t for t in told)


def test_not_the_city_halls_competence_is_forwarded_not_rejected(
    client, api_for, circuit, people, browser_for
):
    citizen, gospodarie = api_for("citizen"), api_for("gospodarie")
    data = {**POTHOLE, "categorie": "iluminat", "descriere": "Stâlpul de pe DN 66 nu luminează."}
    created = submit(client, citizen, "sesizare", data).get_json()
    rid = created["id"]
    task = the_task(client, gospodarie, rid)
    # The form offers no way to reject it as "not ours"; it says to forward it instead.
    options = [o["const"] for o in task["form"]["properties"]["rezultat"]["oneOf"]]
    assert "necompetenta" not in options
    assert "Transmitere către altă autoritate" in task["form"]["description"]
    r = complete(client, gospodarie, task["id"], {"rezultat": "necompetenta", "raspuns": "x" * 20})
    assert r.status_code == 422
    assert client.post(f"/api/v1/tasks/{task['id']}/claim", headers=gospodarie).status_code == 200
    # The task page tells the official the last day of the 5-day forwarding term.
    registered = datetime.strptime(created["registration"]["date"], "%Y-%m-%d").date()
    page = browser_for("gospodarie").get(f"/birou/sarcini/{task['id']}").get_data(as_text=True)
    with circuit.db.session() as s:
        last_day = circuit.calendar(s).deadline(registered, 5)
    assert f"până la {last_day:%d.%m.%Y}" in page
    assert "termenul a trecut" not in page

    authority = "Direcția Regională de Drumuri și Poduri Timișoara"
    reason = "Drumul național DN 66 este administrat de CNAIR, nu de primărie."
    r = client.post(
        f"/api/v1/tasks/{task['id']}/forward",
        json={"authority": authority, "reason": reason},
        headers=gospodarie,
    )
    assert r.status_code == 200, r.get_json()
    page = detail(client, citizen, rid)
    assert page["status"] == "completed"  # forwarded, not rejected
    assert authority in page["answer"] and "OG 27/2002" in page["answer"]
    told = notifications(circuit, user_id=people["citizen"])
    assert any("transmisă către " + authority in t for t in told)
    with circuit.db.session() as s:
        statuses = s.scalars(select(Timer.status).where(Timer.request_id == rid)).all()
    assert statuses == [TimerStatus.CANCELLED]  # the reminder no longer waits


def answer_by(circuit, days: int):
    """The day a citizen must answer by: `days` working days from today, legally counted."""
    from engine.deadlines.legal_calendar import DeadlineKind

    with circuit.db.session() as s:
        return circuit.calendar(s).deadline(local_today(), days, DeadlineKind.WORKING)


def test_a_question_left_unanswered_past_its_term_closes_the_report_with_the_reason(
    client, api_for, circuit, people, monkeypatch, browser_for
):
    citizen, police = api_for("citizen"), api_for("politia")
    rid = submit(client, citizen, "sesizare", DOGS).get_json()["id"]
    task = the_task(client, police, rid)
    complete(client, police, task["id"], {"rezultat": "cere_detalii", "intrebare": "Unde anume?"})
    # The question says by when to answer: the catalog's term, 10 working days.
    due = answer_by(circuit, 10)
    asked = detail(client, citizen, rid)["waiting_for"]
    assert asked["answer_by"] == due.isoformat()
    told = notifications(circuit, user_id=people["citizen"])
    assert any(f"Vă rugăm să răspundeți până la {due:%d.%m.%Y}." in t for t in told)
    page = browser_for("citizen").get(f"/cereri/{rid}").get_data(as_text=True)
    assert f"Vă rugăm să răspundeți până la {due:%d.%m.%Y}." in page
    # The term ends with its last day: the timer fires at the start of the next one.
    [timer] = waiting_timers(circuit, rid)
    next_day = datetime.combine(due + timedelta(days=1), time(0, 0), BUCHAREST)
    assert as_aware(timer.due_at) == next_day

    move_timers_clock(monkeypatch, 25)
    assert fire_waiting_timers(circuit, rid) == 1
    page = detail(client, citizen, rid)
    assert page["status"] == "rejected" and page["waiting_for"] is None
    # Closed with an answer saying why, not left open forever.
    assert "Unde anume?" in page["answer"]
    assert f"nu le-am primit până la {due:%d.%m.%Y}" in page["answer"]
    told = notifications(circuit, user_id=people["citizen"])
    assert any(f"nu ați trimis până la {due:%d.%m.%Y} detaliile cerute" in t for t in told)
    pdf = client.get(f"/api/v1/requests/{rid}/answer.pdf", headers=citizen)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    r = reply(client, citizen, rid, {"actiune": "completez", "detalii": "Prea târziu."})
    assert r.status_code == 409


def test_the_citizen_withdraws_a_report_from_the_question_or_at_any_time(
    client, api_for, circuit, people
):
    citizen, police = api_for("citizen"), api_for("politia")
    # From the question: the problem went away meanwhile.
    rid = submit(client, citizen, "sesizare", DOGS).get_json()["id"]
    task = the_task(client, police, rid)
    complete(client, police, task["id"], {"rezultat": "cere_detalii", "intrebare": "Mai sunt?"})
    r = reply(client, citizen, rid, {"actiune": "retrag"})
    assert r.status_code == 200 and r.get_json()["status"] == "withdrawn"
    assert any(
        "Ați retras sesizarea" in t for t in notifications(circuit, user_id=people["citizen"])
    )

    # While the department works on it: the task leaves its inbox, the department is told.
    rid = submit(client, citizen, "sesizare", POTHOLE).get_json()["id"]
    assert len(tasks_of(client, api_for("gospodarie"), rid)) == 1
    r = client.post(f"/api/v1/requests/{rid}/withdraw", headers=api_for("citizen2"))
    assert r.status_code == 404  # another citizen's request does not exist for them
    r = client.post(f"/api/v1/requests/{rid}/withdraw", headers=citizen)
    assert r.status_code == 200 and r.get_json()["status"] == "withdrawn"
    assert detail(client, citizen, rid)["status"] == "withdrawn"
    assert tasks_of(client, api_for("gospodarie"), rid) == []
    assert any("retrasă" in t for t in notifications(circuit, department="gospodarie"))
    assert waiting_timers(circuit, rid) == []


def test_a_report_without_a_place_or_with_a_document_for_a_photo_is_refused(client, api_for):
    citizen = api_for("citizen")
    data = {"categorie": "deseuri", "descriere": "Saci de moloz aruncați pe marginea drumului."}
    r = submit(client, citizen, "sesizare", data, photos(PDF))
    assert r.status_code == 422
    errors = r.get_json()["errors"]
    assert {e["field"]: e["message"] for e in errors} == {  # every problem at once
        "/adresa": "Completați „Adresa sau un reper” sau „Latitudine (GPS)” și "
        "„Longitudine (GPS)”.",
        "/attachments/fotografii": "Fișierul „groapa.pdf” nu este de un tip acceptat (JPEG, PNG).",
    }
    r = submit(client, citizen, "sesizare", {**data, "latitudine": 45.3})  # half a position
    assert r.status_code == 422
    r = submit(client, citizen, "sesizare", {**data, "categorie": "altceva", "adresa": "Str. X 1"})
    assert r.status_code == 422
    assert client.get("/api/v1/requests", headers=citizen).get_json()["total"] == 0


def test_a_citizen_reports_from_the_portal_with_gps_coordinates_and_a_photo(
    browser_for, client, api_for
):
    citizen = browser_for("citizen")
    page = citizen.get("/proceduri/sesizare").get_data(as_text=True)
    assert "Câini fără stăpân" in page and 'name="latitudine"' in page
    assert 'placeholder="45.3561"' in page  # the example shows the expected format

    r = citizen.submit(
        "/proceduri/sesizare",
        {"categorie": "iluminat", "descriere": "Trei stâlpi stinși pe aleea parcului."},
    )
    assert r.status_code == 422
    text = r.get_data(as_text=True)
    assert "Formularul nu a fost trimis" in text
    assert 'id="f-adresa-error"' in text and "Completați „Adresa sau un reper”" in text

    r = citizen.submit(
        "/proceduri/sesizare",
        {
            "categorie": "iluminat",
            "descriere": "Trei stâlpi stinși pe aleea parcului.",
            "latitudine": "45.3561",
            "longitudine": "23.2081",
            "fotografii": (io.BytesIO(JPEG), "stalpi.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    [request] = client.get("/api/v1/requests", headers=api_for("citizen")).get_json()["requests"]
    assert request["procedure"] == "sesizare"
    task = the_task(client, api_for("gospodarie"), request["id"])
    assert task["department"] == "gospodarie"


def test_the_dry_run_scenarios_of_the_procedure_reach_their_ends():
    """Its scenarios in tests/data/scenarios, as `circuit procedure try` plays them."""
    ends_told("sesizare_rezolvata", "completed")
    ends_told("sesizare_nefondata", "rejected")
