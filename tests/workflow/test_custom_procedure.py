"""A procedure added as data only (diagram, forms, catalog entry from a temporary folder),
driven to its ends: a citizen reply with its own form and file, a timer with its own message
and recipients, notifyApplicant, the department property, withdrawal, the conversation."""

from __future__ import annotations

import dataclasses
import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from engine.circuit import Circuit, install
from engine.models import AuditEvent, Notification, TaskRecord, TaskState, Timer, TimerStatus
from engine.platform.config import PROJECT_ROOT
from engine.workflow.catalog import Catalog
from tests.support.api import PDF
from tests.support.circuit import JobLog, make_settings
from tests.support.engine import PETITION
from tests.support.seed import PEOPLE
from tests.support.web import Browser

DATA = PROJECT_ROOT / "tests" / "data" / "custom_procedure"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
START = {"adresa": "Strada Morilor nr. 5", "categorie": "constructie"}
QUESTION = "Trimiteți planul de situație și suprafața ocupată."


@pytest.fixture
def city(circuit: Circuit, tmp_path: Path) -> Iterator[Circuit]:
    """A Circuit whose diagrams, forms and catalog are only the files of a temporary folder."""
    folder = tmp_path / "primaria"
    shutil.copytree(DATA, folder)
    settings = make_settings(
        circuit.settings.data_dir,
        circuit.settings.database_url,
        circuit.settings.redis_url,
        bpmn_dir=folder / "bpmn",
        forms_dir=folder / "forms",
        processes_dir=folder / "processes",
    )
    c = Circuit(settings=settings, db=circuit.db, catalog=Catalog.load(settings.processes_dir))
    c.set_dispatcher(JobLog())
    install(c)
    c.deploy_all()
    yield c
    install(circuit)
    circuit.set_dispatcher(circuit.dispatcher)


@pytest.fixture
def api(city: Circuit) -> Any:
    """A test client of an app on the temporary folder's procedures, and tokens by person."""
    from webapp import create_app

    client = create_app({"TESTING": True}, circuit=city).test_client()
    tokens: dict[str, dict[str, str]] = {}

    def as_(who: str) -> dict[str, str]:
        if who not in tokens:
            r = client.post(
                "/api/v1/auth/token",
                json={"email": PEOPLE[who][0], "password": "parola-de-test-1"},
            )
            tokens[who] = {"Authorization": f"Bearer {r.get_json()['token']}"}
        return tokens[who]

    client.as_ = as_
    return client


def submit(api: Any, data: dict[str, Any] | None = None) -> int:
    r = api.post(
        "/api/v1/requests",
        json={"procedure": "aviz_amplasare", "data": data or START},
        headers=api.as_("citizen"),
    )
    assert r.status_code == 201, r.get_json()
    return int(r.get_json()["id"])


def task_of(api: Any, who: str, rid: int) -> dict[str, Any]:
    tasks = api.get("/api/v1/tasks", headers=api.as_(who)).get_json()["tasks"]
    [task] = [t for t in tasks if t["request_id"] == rid]
    return task


def complete(api: Any, who: str, rid: int, data: dict[str, Any]) -> dict[str, Any]:
    task = task_of(api, who, rid)
    r = api.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": data}, headers=api.as_(who))
    assert r.status_code == 200, r.get_json()
    return task


def detail(api: Any, rid: int, who: str = "citizen") -> dict[str, Any]:
    r = api.get(f"/api/v1/requests/{rid}", headers=api.as_(who))
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def ask(api: Any, rid: int) -> None:
    complete(api, "registry", rid, {"decizie": "incomplet", "intrebare": QUESTION})


def notes(c: Circuit, rid: int, kind: str | None = None) -> list[Notification]:
    with c.db.session() as s:
        query = select(Notification).where(Notification.request_id == rid)
        if kind:
            query = query.where(Notification.kind == kind)
        return list(s.scalars(query.order_by(Notification.id)))


def multipart_reply(api: Any, rid: int, data: dict[str, Any], **files: Any) -> Any:
    form: dict[str, Any] = {"data": json.dumps(data)}
    form.update(
        {name: (io.BytesIO(content), filename) for name, (content, filename) in files.items()}
    )
    return api.post(
        f"/api/v1/requests/{rid}/reply",
        data=form,
        headers=api.as_("citizen"),
        content_type="multipart/form-data",
    )


def test_a_procedure_added_as_data_runs_to_its_end(city, api, people):
    assert "aviz_amplasare" in [
        p["id"] for p in api.get("/api/v1/procedures").get_json()["procedures"]
    ]
    rid = submit(api)
    registered = detail(api, rid)
    display = registered["registration"]["display"]
    due = ".".join(reversed(registered["due_date"].split("-")))

    # notifyApplicant on the first task: placeholders from task data and the request's facts.
    [told] = notes(city, rid, "message")
    assert told.user_id == people["citizen"]
    assert told.message == (
        f"Cererea {display} (Aviz de amplasare) pentru Strada Morilor nr. 5 "
        f"se verifică la registratură; termenul legal este {due}."
    )

    ask(api, rid)
    waiting = detail(api, rid)
    assert waiting["status"] == "waiting_for_citizen"
    assert waiting["waiting_for"]["message"] == QUESTION
    assert waiting["waiting_for"]["form"]["title"] == "Completarea dosarului"
    assert [a["name"] for a in waiting["waiting_for"]["attachments"]] == ["plan"]
    assert waiting["conversation"][0]["question"] == QUESTION
    assert waiting["conversation"][0]["replied_at"] is None

    # The reply is checked against the task's own form and its x-attachments, all at once.
    r = multipart_reply(api, rid, {"actiune": "completez"}, plan=(PNG, "plan.png"))
    assert r.status_code == 422
    fields = {e["field"] for e in r.get_json()["errors"]}
    assert fields == {"/suprafata", "/attachments/plan"}
    r = api.post(
        f"/api/v1/requests/{rid}/reply",
        json={"data": {"actiune": "completez", "suprafata": "mare"}},
        headers=api.as_("citizen"),
    )
    assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "/suprafata"
    assert detail(api, rid)["status"] == "waiting_for_citizen"  # nothing half-stored

    reply = {"actiune": "completez", "suprafata": 12.5, "observatii": "Chioșc de ziare."}
    r = multipart_reply(api, rid, reply, plan=(PDF, "plan-situatie.pdf"))
    assert r.status_code == 200 and r.get_json() == {"status": "in_progress"}

    # The conversation keeps the question, the reply and its file, for the citizen and officials.
    for who in ("citizen", "registry"):
        page = detail(api, rid, who)
        assert page["waiting_for"] is None
        [exchange] = page["conversation"]
        assert exchange["question"] == QUESTION and exchange["asked_by"] == "registratura"
        assert exchange["reply"] == reply and exchange["replied_at"]
        assert [d["name"] for d in exchange["documents"]] == ["plan-situatie.pdf"]

    # Complete: a script reads the catalog's routing table; the timer is already due.
    complete(api, "registry", rid, {"decizie": "complet"})
    analysis = task_of(api, "urbanism", rid)
    assert analysis["department"] == "urbanism" and analysis["name"] == "Analiza tehnică"
    with city.db.session() as s:
        [timer] = s.scalars(select(Timer).where(Timer.request_id == rid)).all()
        assert timer.status == TimerStatus.FIRED and timer.department == "urbanism"
    text = (
        f"Cererea {display} (Aviz de amplasare) pentru Strada Morilor nr. 5 așteaptă analiza; "
        f"termen legal {due}. {{inexistent}}"
    )
    reminders = notes(city, rid, "reminder")
    assert {(n.department, n.user_id) for n in reminders} == {
        ("urbanism", None),
        (None, people["urbanism_head"]),
        (None, people["citizen"]),
        ("taxe", None),
    }
    assert {n.message for n in reminders} == {text}

    # The signature step belongs to the mayor's office by its `department` property.
    complete(api, "urbanism", rid, {"decizie_aviz": "emis", "raspuns": "Avizul se emite."})
    signing = task_of(api, "primar", rid)
    assert signing["department"] == "primar" and signing["role"] == "head"
    complete(api, "primar", rid, {"semnat": True})

    done = detail(api, rid)
    assert done["status"] == "completed" and done["answer"] == "Avizul se emite."
    assert done["withdrawable"] is False and done["deadline"]["days_left"] is None
    # notifyApplicant on the end event; unknown names and attribute access stay as written.
    assert notes(city, rid, "message")[-1].message == (
        f"Avizul pentru cererea {display} a fost emis: Avizul se emite. "
        "{nedefinit} {cerere.__class__}"
    )
    r = api.post(f"/api/v1/requests/{rid}/reply", json={"data": {}}, headers=api.as_("citizen"))
    assert r.status_code == 409 and r.get_json()["error"] == "nothing_asked"


def test_a_timer_message_to_heads_only_reaches_them_in_the_office(city, api, people):
    # A designer copies the procedure under a new process id and warns heads only.
    diagram = city.settings.bpmn_dir / "aviz_amplasare.bpmn"
    source = diagram.read_text(encoding="utf-8").replace('"aviz_amplasare"', '"aviz_sefi"')
    source = source.replace('value="department, head, applicant, taxe"', 'value="head"')
    diagram.write_text(source, encoding="utf-8")
    entry = city.settings.processes_dir / "aviz_amplasare.json"
    catalog = json.loads(entry.read_text(encoding="utf-8"))
    entry.write_text(json.dumps({**catalog, "process_id": "aviz_sefi"}), encoding="utf-8")
    city.catalog = Catalog.load(city.settings.processes_dir)
    city.deploy_all()
    rid = submit(api)
    complete(api, "registry", rid, {"decizie": "complet"})
    [note] = notes(city, rid, "reminder")
    assert note.user_id == people["urbanism_head"] and note.department is None
    from webapp import create_app

    app = create_app({"TESTING": True}, circuit=city)
    head, clerk = Browser(app.test_client()), Browser(app.test_client())
    head.login(PEOPLE["urbanism_head"][0])
    clerk.login(PEOPLE["urbanism"][0])
    assert "așteaptă analiza" in head.get("/birou/").get_data(as_text=True)
    assert "așteaptă analiza" not in clerk.get("/birou/").get_data(as_text=True)


def test_timer_messages_go_by_email_to_their_recipients(city, api, people, smtp):  # noqa: F811
    inbox, port = smtp
    city.settings = dataclasses.replace(city.settings, smtp_host="127.0.0.1", smtp_port=port)
    rid = submit(api)
    complete(api, "registry", rid, {"decizie": "complet"})
    bodies: dict[str, list[str]] = {}
    for mail in inbox.messages:
        body = mail.get_payload(decode=True).decode("utf-8")
        for address in mail["To"].split(", "):
            bodies.setdefault(address, []).append(body)
    alert = "așteaptă analiza"
    assert any(alert in b for b in bodies["sef.urbanism@primarie.ro"])  # head, and department
    assert any(alert in b for b in bodies["urbanism@primarie.ro"])  # the department
    assert any(alert in b for b in bodies["taxe@primarie.ro"])  # a department by code
    assert any(alert in b for b in bodies["ion.popescu@example.ro"])  # the applicant
    assert not any(alert in b for b in bodies.get("primar@primarie.ro", []))


def test_the_applicant_withdraws_and_open_steps_and_timers_stop(city, api, people):
    # A later alert: the designer edits the catalog entry and deploys it as a new version.
    path = city.settings.processes_dir / "aviz_amplasare.json"
    entry = json.loads(path.read_text(encoding="utf-8"))
    entry["variables"] = {**entry.get("variables", {}), "alerta_la": "2099-01-05T09:00:00+02:00"}
    path.write_text(json.dumps(entry, ensure_ascii=False), encoding="utf-8")
    city.deploy_all()
    rid = submit(api)
    complete(api, "registry", rid, {"decizie": "complet"})
    with city.db.session() as s:
        assert s.scalar(select(Timer.status).where(Timer.request_id == rid)) == TimerStatus.WAITING
    assert detail(api, rid)["withdrawable"] is True

    other = api.post(f"/api/v1/requests/{rid}/withdraw", headers=api.as_("citizen2"))
    assert other.status_code == 404  # someone else's request is not there at all
    r = api.post(f"/api/v1/requests/{rid}/withdraw", headers=api.as_("citizen"))
    assert r.status_code == 200 and r.get_json() == {"status": "withdrawn"}

    page = detail(api, rid)
    assert page["status"] == "withdrawn" and page["closed_at"]
    assert [s["state"] for s in page["steps"]] == ["completed", "cancelled"]
    with city.db.session() as s:
        assert s.scalar(select(Timer.status).where(Timer.request_id == rid)) == (
            TimerStatus.CANCELLED
        )
        assert s.scalar(
            select(AuditEvent.id).where(
                AuditEvent.request_id == rid,
                AuditEvent.action == "status_changed",
                AuditEvent.detail["new"].as_string() == "withdrawn",
            )
        )
    tasks = api.get("/api/v1/tasks", headers=api.as_("urbanism")).get_json()["tasks"]
    assert rid not in [t["request_id"] for t in tasks]
    told = {(n.kind, n.user_id, n.department) for n in notes(city, rid)}
    assert ("withdrawn", people["citizen"], None) in told
    assert ("withdrawn", None, "urbanism") in told

    again = api.post(f"/api/v1/requests/{rid}/withdraw", headers=api.as_("citizen"))
    assert again.status_code == 409 and again.get_json()["error"] == "closed"


def test_withdrawal_is_refused_where_the_procedure_does_not_allow_it(client, api_for):
    r = client.post(
        "/api/v1/requests",
        json={"procedure": "petitie", "data": PETITION},
        headers=api_for("citizen"),
    )
    rid = r.get_json()["id"]
    r = client.post(f"/api/v1/requests/{rid}/withdraw", headers=api_for("citizen"))
    assert r.status_code == 409 and r.get_json()["error"] == "not_withdrawable"
    assert (
        client.get(f"/api/v1/requests/{rid}", headers=api_for("citizen")).get_json()["status"]
        == "registered"
    )


def test_an_end_event_can_close_the_request_as_withdrawn(city, api):
    rid = submit(api)
    ask(api, rid)
    r = api.post(
        f"/api/v1/requests/{rid}/reply",
        json={"data": {"actiune": "renunt"}},
        headers=api.as_("citizen"),
    )
    assert r.status_code == 200 and r.get_json() == {"status": "withdrawn"}
    page = detail(api, rid)
    assert page["conversation"][0]["reply"] == {"actiune": "renunt"}
    assert page["answer"] is None
    assert "retrasă" in notes(city, rid, "withdrawn")[0].message


def test_the_portal_request_page_keeps_the_conversation(city, api, people):
    from webapp import create_app

    rid = submit(api)
    ask(api, rid)
    app = create_app({"TESTING": True}, circuit=city)
    citizen = Browser(app.test_client())
    citizen.login(PEOPLE["citizen"][0])
    page = citizen.get(f"/cereri/{rid}").get_data(as_text=True)
    assert QUESTION in page and "Vi se cer completări" in page
    assert 'type="file" id="a-plan" name="plan" accept="' in page  # the form's own file field
    assert 'name="suprafata"' in page and "Suprafața ocupată" in page

    # A wrong answer: every error beside its field, the question still there.
    r = citizen.submit(
        f"/cereri/{rid}",
        {"actiune": "completez", "plan": (io.BytesIO(PNG), "plan.png")},
        action=f"/cereri/{rid}/completare",
        content_type="multipart/form-data",
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "Câmpul este obligatoriu." in html and "nu este de un" in html

    r = citizen.submit(
        f"/cereri/{rid}",
        {
            "actiune": "completez",
            "suprafata": "7,5",
            "observatii": "Terasă sezonieră.",
            "plan": (io.BytesIO(PDF), "plan-terasa.pdf"),
        },
        action=f"/cereri/{rid}/completare",
        content_type="multipart/form-data",
    )
    assert r.status_code == 302
    ask(api, rid)  # a second question, after the first reply
    html = citizen.get(f"/cereri/{rid}").get_data(as_text=True)
    assert html.count(QUESTION) == 3  # both questions in the conversation, one in the box
    assert "Răspunsul dumneavoastră" in html and "Terasă sezonieră." in html
    assert "7.5" in html and "plan-terasa.pdf" in html

    official = Browser(app.test_client())
    official.login(PEOPLE["registry"][0])
    html = official.get(f"/birou/cereri/{rid}").get_data(as_text=True)
    assert "Răspunsul petentului" in html and "Terasă sezonieră." in html
    assert "plan-terasa.pdf" in html


def test_the_portal_withdraws_after_confirmation(city, api):
    from webapp import create_app

    rid = submit(api)
    app = create_app({"TESTING": True}, circuit=city)
    citizen = Browser(app.test_client())
    citizen.login(PEOPLE["citizen"][0])
    assert f"/cereri/{rid}/retragere" in citizen.get(f"/cereri/{rid}").get_data(as_text=True)
    confirm = citizen.get(f"/cereri/{rid}/retragere").get_data(as_text=True)
    assert "Da, retrag cererea" in confirm
    r = citizen.submit(f"/cereri/{rid}/retragere", {})
    assert r.status_code == 302
    html = citizen.get(f"/cereri/{rid}").get_data(as_text=True)
    assert "Retrasă" in html and "a fost retrasă" in html
    assert f"/cereri/{rid}/retragere" not in html  # no button once closed
    with city.db.session() as s:
        states = s.scalars(select(TaskRecord.state).where(TaskRecord.request_id == rid)).all()
        assert states == [TaskState.CANCELLED]


def test_replies_count_toward_the_procedures_file_limit(city, api):
    rid = submit(api)  # the catalog allows 3 files on one request, all steps together
    ask(api, rid)
    data = {"actiune": "completez", "suprafata": 3}
    files = [("plan", (io.BytesIO(PDF), f"plan-{i}.pdf")) for i in range(4)]
    r = api.post(
        f"/api/v1/requests/{rid}/reply",
        data={"data": json.dumps(data), "plan": [f for _, f in files]},
        headers=api.as_("citizen"),
        content_type="multipart/form-data",
    )
    assert r.status_code == 422
    assert r.get_json()["errors"] == [
        {
            "field": "/attachments",
            "message": "La o cerere se pot atașa cel mult 3 fișiere.",
        }
    ]
    assert detail(api, rid)["documents"] == []
    r = multipart_reply(api, rid, data, plan=(PDF, "plan.pdf"))
    assert r.status_code == 200


def test_messages_fill_plain_names_only():
    from engine.messages.notify import fill

    values = {"nume": "Ana", "suma": 12.5}
    assert fill("Bună, {nume}: {suma} lei.", values) == "Bună, Ana: 12.5 lei."
    kept = "{lipsa} {nume.__class__} {0} {nume!r} {nume:>10} {_x} {{nume}}"
    assert fill(kept, values) == "{lipsa} {nume.__class__} {0} {nume!r} {nume:>10} {_x} {Ana}"


def test_the_file_limit_is_said_in_correct_romanian():
    from engine.cases.documents import files_limit_message

    assert "cel mult 3 fișiere" in files_limit_message(3)
    assert "cel mult 20 de fișiere" in files_limit_message(20)
    assert "cel mult 101 fișiere" in files_limit_message(101)
    assert "cel mult 200 de fișiere" in files_limit_message(200)
