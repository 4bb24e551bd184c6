"""The petition end to end through the JSON API, on each configured database."""

from __future__ import annotations

import io
import json
from datetime import date

from sqlalchemy import func, select

from engine.models import AuditEvent, RegistryEntry, Request, Timer, TimerStatus
from engine.platform.timeutil import local_today
from tests.support.api import PDF, complete, ready_task, submit
from tests.support.engine import PETITION


def test_petition_end_to_end_through_the_api(client, api_for, circuit):
    citizen, registry = api_for("citizen"), api_for("registry")
    official, head = api_for("urbanism"), api_for("urbanism_head")

    r = submit(client, citizen)
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    today = local_today()
    assert body["status"] == "registered"
    assert body["registration"]["number"] == 1
    assert body["registration"]["date"] == today.isoformat()
    assert body["registration"]["display"] == f"1/{today:%d.%m.%Y}"
    with circuit.db.session() as s:
        expected_due = circuit.calendar(s).deadline(today, 30)
    assert body["due_date"] == expected_due.isoformat()
    assert (date.fromisoformat(body["due_date"]) - today).days >= 31
    rid = body["id"]

    # The registry triages it; the task carries its form with the live department list.
    task = ready_task(client, registry, rid)
    assert task["department"] == "registratura"
    assert task["registration"]["number"] == 1
    codes = [o["const"] for o in task["form"]["properties"]["departament"]["oneOf"]]
    assert "urbanism" in codes and "registratura" not in codes
    r = complete(
        client, registry, task["id"], {"decizie_triere": "repartizare", "departament": "urbanism"}
    )
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["request"]["status"] == "in_progress"

    # The department asks the citizen for more; the citizen replies with a file.
    task = ready_task(client, official, rid)
    assert task["name"] == "Redactare răspuns"
    r = complete(
        client,
        official,
        task["id"],
        {"actiune": "cere_completari", "mesaj_solicitant": "Precizați blocul."},
    )
    assert r.get_json()["request"]["status"] == "waiting_for_citizen"
    detail = client.get(f"/api/v1/requests/{rid}", headers=citizen).get_json()
    assert detail["waiting_for"]["message"] == "Precizați blocul."
    r = client.post(
        f"/api/v1/requests/{rid}/reply",
        headers=citizen,
        data={"text": "Blocul 7, scara B.", "documente": (io.BytesIO(PDF), "schita.pdf")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "in_progress"
    r = client.post(f"/api/v1/requests/{rid}/reply", headers=citizen, json={"text": "Din nou"})
    assert r.status_code == 409

    # Draft, sent back by the head with a comment, redrafted, approved.
    task = ready_task(client, official, rid)
    complete(
        client,
        official,
        task["id"],
        {"actiune": "propune_raspuns", "raspuns": "Vom astupa groapa în 5 zile."},
    )
    approval = ready_task(client, head, rid)
    assert approval["name"] == "Aprobare răspuns"
    r = complete(client, official, approval["id"], {"decizie_sef": "aprobat"})
    assert r.status_code == 403  # not the head
    r = complete(
        client,
        head,
        approval["id"],
        {"decizie_sef": "retrimis", "comentariu_sef": "Dați un termen exact."},
    )
    assert r.status_code == 200
    task = ready_task(client, official, rid)
    complete(
        client,
        official,
        task["id"],
        {"actiune": "propune_raspuns", "raspuns": "Groapa va fi astupată până vineri."},
    )
    approval = ready_task(client, head, rid)
    r = complete(client, head, approval["id"], {"decizie_sef": "aprobat"})
    assert r.get_json()["request"]["status"] == "in_progress"
    # The mayor, the petition's signatory in the catalog, signs it (OG 27/2002, art. 13).
    mayor = api_for("primar")
    signing = ready_task(client, mayor, rid)
    assert (signing["name"], signing["department"]) == ("Semnarea răspunsului", "primar")
    r = complete(client, mayor, signing["id"], {"decizie_semnatar": "semnat"})
    assert r.get_json()["request"]["status"] == "completed"

    detail = client.get(f"/api/v1/requests/{rid}", headers=citizen).get_json()
    assert detail["status"] == "completed"
    assert detail["answer"] == "Groapa va fi astupată până vineri."
    assert detail["waiting_for"] is None
    names = [(s["name"], s["department"], s["state"], s["completed_by"]) for s in detail["steps"]]
    assert names == [
        ("Repartizare petiție", "registratura", "completed", "Maria Dumitrescu"),
        ("Redactare răspuns", "urbanism", "completed", "Andrei Stan"),
        ("Completarea petiției", "solicitant", "completed", "Ion Popescu"),
        ("Redactare răspuns", "urbanism", "completed", "Andrei Stan"),
        ("Aprobare răspuns", "urbanism", "completed", "Cristina Vlad"),
        ("Redactare răspuns", "urbanism", "completed", "Andrei Stan"),
        ("Aprobare răspuns", "urbanism", "completed", "Cristina Vlad"),
        ("Semnarea răspunsului", "primar", "completed", "Constantin Barbu"),
    ]
    assert all(s["started_at"] and s["completed_at"] for s in detail["steps"])
    doc, answer = detail["documents"]  # the citizen's sketch, then the signed answer
    assert doc["name"] == "schita.pdf" and doc["kind"] == "reply"
    assert answer["kind"] == "issued" and len(answer["verification_code"]) == 10
    download = client.get(doc["url"], headers=citizen)
    assert download.status_code == 200 and download.data == PDF
    assert client.get(doc["url"], headers=api_for("citizen2")).status_code == 404

    # No reminder can come for a closed request: every boundary timer was cancelled.
    with circuit.db.session() as s:
        statuses = s.scalars(select(Timer.status).where(Timer.request_id == rid)).all()
        assert len(statuses) == 6 and set(statuses) == {
            TimerStatus.CANCELLED
        }  # 3 drafts, 2 approvals, 1 question to the citizen

    # Nothing left in any inbox; the answer went out under its own number, linked to no. 1.
    assert client.get("/api/v1/tasks", headers=head).get_json()["tasks"] == []
    with circuit.db.session() as s:
        out = s.scalar(select(RegistryEntry).where(RegistryEntry.direction == "out"))
        assert out is not None and out.linked_number == 1 and out.number == 2
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.request_id == rid)).all()
        assert actions.count("task_completed") == 8
        assert "request_registered" in actions and "request_closed" in actions


def test_invalid_data_gives_422_per_field_and_registers_nothing(client, api_for, circuit):
    citizen = api_for("citizen")
    r = submit(client, citizen, {"subiect": "", "continut": 5, "extra": 1})
    assert r.status_code == 422
    body = r.get_json()
    assert body["error"] == "invalid"
    fields = {e["field"]: e["message"] for e in body["errors"]}
    assert set(fields) == {"/subiect", "/continut", "/extra"}
    assert "caractere" in fields["/subiect"]
    r = submit(client, citizen, {"subiect": "Ceva"})
    assert {e["field"] for e in r.get_json()["errors"]} == {"/continut"}
    assert r.get_json()["errors"][0]["message"] == "Câmpul este obligatoriu."
    with circuit.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Request)) == 0
        assert s.scalar(select(func.count()).select_from(RegistryEntry)) == 0
    # The next valid request still gets number 1: the failed ones used no number.
    assert submit(client, citizen).get_json()["registration"]["number"] == 1


def test_unknown_procedure_malformed_json_and_bad_files(client, api_for):
    citizen = api_for("citizen")
    r = client.post(
        "/api/v1/requests", json={"procedure": "nu-exista", "data": {}}, headers=citizen
    )
    assert r.status_code == 400 and r.get_json()["error"] == "unknown_procedure"
    r = client.post(
        "/api/v1/requests",
        data="{nu e json",
        headers={**citizen, "Content-Type": "application/json"},
    )
    assert r.status_code == 400 and r.get_json()["error"] == "malformed_json"
    # A file that claims to be a PDF but is an executable script is refused by content.
    r = client.post(
        "/api/v1/requests",
        headers=citizen,
        content_type="multipart/form-data",
        data={
            "procedure": "petitie",
            "data": json.dumps(PETITION),
            "anexe": (io.BytesIO(b"#!/bin/sh\nrm -rf /\n"), "factura.pdf"),
        },
    )
    assert r.status_code == 422
    assert r.get_json()["errors"][0]["field"] == "/attachments/anexe"
    assert "tip acceptat" in r.get_json()["errors"][0]["message"]
    r = client.post(
        "/api/v1/requests",
        headers=citizen,
        content_type="multipart/form-data",
        data={
            "procedure": "petitie",
            "data": json.dumps(PETITION),
            "anexe": (io.BytesIO(PDF), "plan.pdf"),
        },
    )
    assert r.status_code == 201
    assert client.get("/api/v1/requests", headers=citizen).get_json()["total"] == 1


def test_idempotency_key_returns_the_first_registration(client, api_for, circuit):
    citizen = api_for("citizen")
    headers = {**citizen, "Idempotency-Key": "abc-123"}
    first = submit(client, headers)
    again = submit(client, headers)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    other = submit(client, {**api_for("citizen2"), "Idempotency-Key": "abc-123"})
    assert other.get_json()["id"] != first.get_json()["id"]
    with circuit.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Request)) == 2


def test_tokens_are_required_and_bad_credentials_look_the_same(client):
    assert client.get("/api/v1/requests").status_code == 401
    assert (
        client.get("/api/v1/requests", headers={"Authorization": "Bearer nope"}).status_code == 401
    )
    unknown = client.post(
        "/api/v1/auth/token", json={"email": "nimeni@example.ro", "password": "x" * 12}
    )
    wrong = client.post(
        "/api/v1/auth/token", json={"email": "ion.popescu@example.ro", "password": "x" * 12}
    )
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.get_json() == wrong.get_json()


def test_public_endpoints(client):
    procs = client.get("/api/v1/procedures").get_json()["procedures"]
    petitie = next(p for p in procs if p["id"] == "petitie")
    assert petitie["deadline"] == {"days": 30, "kind": "calendar"}
    assert petitie["start_form"]["required"] == ["subiect", "continut"]
    assert petitie["attachments"][0]["types"] == ["application/pdf", "image/jpeg", "image/png"]
    depts = client.get("/api/v1/departments").get_json()["departments"]
    assert {"code": "urbanism", "name": "Urbanism și Amenajarea Teritoriului"} in depts
    r = client.get("/api/v1/calendar/deadline?start=2025-09-10&days=15&kind=calendar")
    assert r.get_json() == {"due_date": "2025-09-26"}
    r = client.get("/api/v1/calendar/deadline?start=2025-09-12&days=1&kind=working")
    assert r.get_json() == {"due_date": "2025-09-15"}
    r = client.get("/api/v1/calendar/deadline?start=12.09.2025&days=1")
    assert r.status_code == 400 and "AAAA-LL-ZZ" in r.get_json()["message"]


def test_openapi_document_is_valid_and_lists_every_path(client):
    from openapi_spec_validator import validate

    doc = client.get("/api/v1/openapi.json").get_json()
    validate(doc)
    for path in [
        "/auth/token",
        "/openapi.json",
        "/procedures",
        "/requests",
        "/requests/{id}",
        "/requests/{id}/reply",
        "/departments",
        "/tasks",
        "/tasks/{id}/claim",
        "/tasks/{id}/complete",
        "/calendar/deadline",
        "/accounts",
        "/accounts/verify",
        "/me",
        "/me/notifications",
        "/me/access-log",
        "/me/export",
    ]:
        assert path in doc["paths"], path
