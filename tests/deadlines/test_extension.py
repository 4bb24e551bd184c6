"""Extending a request's term: who may, by how much, how often; the citizen is told, the
history shows it, inboxes and the request page stop calling it overdue."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from engine.deadlines.legal_calendar import LegalCalendar
from engine.models import Notification, Request, RequestStatus, TaskRecord
from engine.platform.timeutil import local_today
from tests.support.api import ready_task, submit, submit_procedure

REASON = "Sunt necesare verificări pe teren la mai multe adrese."


def extend(client, headers, rid, **body):
    return client.post(f"/api/v1/requests/{rid}/extend", json=body, headers=headers)


def detail(client, headers, rid):
    r = client.get(f"/api/v1/requests/{rid}", headers=headers)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def registered_days_ago(circuit, rid, days):
    """Move a request's registration back in time (its term with it), as if filed then."""
    day = local_today() - timedelta(days=days)
    due = LegalCalendar().deadline(day, 30, "calendar")
    with circuit.db.transaction() as s:
        s.execute(
            update(Request).where(Request.id == rid).values(registration_date=day, due_date=due)
        )
        s.execute(update(TaskRecord).where(TaskRecord.request_id == rid).values(due_date=due))
    return day


def test_a_petition_extended_once_by_15_days_tells_the_citizen_and_is_no_longer_overdue(
    client, api_for, circuit
):
    citizen, registry = api_for("citizen"), api_for("registry")
    rid = submit(client, citizen).get_json()["id"]
    day = registered_days_ago(circuit, rid, 40)  # 30 days have passed: overdue
    before = detail(client, citizen, rid)["deadline"]
    assert before["overdue"] is True and before["extended_by_days"] == 0

    r = extend(client, registry, rid, days=15, reason=REASON)
    assert r.status_code == 200, r.get_json()
    expected = LegalCalendar().deadline(day, 45, "calendar")
    assert r.get_json() == {"due_date": expected.isoformat()}

    after = detail(client, citizen, rid)
    assert after["due_date"] == expected.isoformat()
    assert after["deadline"]["due_date"] == expected.isoformat()
    assert after["deadline"]["extended_by_days"] == 15
    assert after["deadline"]["overdue"] is False
    assert after["deadline"]["tacit_approval_may_apply"] is False
    # The inbox and the citizen's list carry the new date too.
    assert ready_task(client, registry, rid)["due_date"] == expected.isoformat()
    listed = client.get("/api/v1/requests", headers=citizen).get_json()["requests"]
    assert [x["due_date"] for x in listed if x["id"] == rid] == [expected.isoformat()]
    # The citizen is told the new date and the reason.
    notes = client.get("/api/v1/me/notifications", headers=citizen).get_json()["notifications"]
    said = [n["text"] for n in notes if n["request_id"] == rid and "prelungit" in n["text"]]
    assert len(said) == 1
    assert f"{expected:%d.%m.%Y}" in said[0] and REASON in said[0]
    # The history shows who extended it, by how much and why.
    history = client.get(f"/api/v1/requests/{rid}/history", headers=registry).get_json()
    [event] = [e for e in history["events"] if e["action"] == "deadline_extended"]
    assert event["reason"] == REASON and event["by"] == "Maria Dumitrescu"
    assert event["label"] == f"Termen prelungit cu 15 zile, până la {expected:%d.%m.%Y}"

    # A second extension of a petition: refused, nothing changed.
    again = extend(client, api_for("registry_head"), rid, days=5, reason=REASON)
    assert again.status_code == 409
    assert "o dată" in again.get_json()["message"]
    assert detail(client, citizen, rid)["deadline"]["extended_by_days"] == 15


def test_refusals_change_nothing(client, api_for, circuit):
    citizen, registry = api_for("citizen"), api_for("registry")
    rid = submit(client, citizen).get_json()["id"]
    due = detail(client, citizen, rid)["due_date"]

    too_long = extend(client, registry, rid, days=16, reason=REASON)
    assert too_long.status_code == 422
    assert too_long.get_json()["errors"][0]["field"] == "/days"
    assert "cel mult 15 zile" in too_long.get_json()["errors"][0]["message"]
    no_reason = extend(client, registry, rid, days=10, reason="  ")
    assert no_reason.status_code == 422
    assert no_reason.get_json()["errors"][0]["field"] == "/reason"
    assert extend(client, registry, rid, days=0, reason=REASON).status_code == 422
    assert extend(client, registry, rid, days="zece", reason=REASON).status_code == 422
    # Another department's official does not work it; a citizen is not told it exists.
    assert extend(client, api_for("taxe"), rid, days=10, reason=REASON).status_code == 404
    assert extend(client, citizen, rid, days=10, reason=REASON).status_code == 404
    # A closed request keeps its term.
    with circuit.db.transaction() as s:
        s.execute(update(Request).where(Request.id == rid).values(status=RequestStatus.COMPLETED))
    closed = extend(client, registry, rid, days=10, reason=REASON)
    assert closed.status_code == 422
    assert "închisă" in closed.get_json()["message"]

    assert detail(client, citizen, rid)["due_date"] == due
    with circuit.db.transaction() as s:
        assert not s.scalars(
            select(Notification).where(Notification.kind == "deadline_extended")
        ).all()


def test_a_procedure_without_extension_refuses_with_409(client, api_for):
    citizen = api_for("citizen")
    audience = {
        "subiect": "Reabilitarea străzii Florilor",
        "descriere": "Strada nu a mai fost asfaltată de 20 de ani.",
        "telefon": "0722123456",
    }
    rid = submit_procedure(client, citizen, "audienta_primar", audience)
    r = extend(client, api_for("secretar"), rid, days=5, reason=REASON)
    assert r.status_code == 409, r.get_json()
    assert r.get_json()["error"] == "extension_not_allowed"


def test_public_information_extends_to_30_days_within_the_first_10(client, api_for, circuit):
    citizen, registry = api_for("citizen"), api_for("registry")
    rid = public_information(client, citizen)
    today = local_today()
    beyond = extend(client, registry, rid, days=21, reason=REASON)
    assert beyond.status_code == 422
    assert "Legea nr. 544/2001" in beyond.get_json()["message"]
    r = extend(client, registry, rid, days=20, reason=REASON)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["due_date"] == LegalCalendar().deadline(today, 30).isoformat()


def public_information(client, citizen):
    data = {
        "subiect": "Contractele de deszăpezire din 2025",
        "informatii_solicitate": "Contractele de deszăpezire încheiate în 2025.",
        "modalitate_comunicare": "electronic",
    }
    return submit_procedure(client, citizen, "informatii_publice", data)


def test_the_diagrams_own_extension_moves_the_due_date_and_allows_no_second(client, api_for):
    citizen, registry, urbanism = api_for("citizen"), api_for("registry"), api_for("urbanism")
    rid = public_information(client, citizen)
    triage = ready_task(client, registry, rid)
    r = client.post(f"/api/v1/tasks/{triage['id']}/complete", headers=registry,
                    json={"data": {"departament": "urbanism"}})  # fmt: skip
    assert r.status_code == 200, r.get_json()
    analysis = ready_task(client, urbanism, rid)
    r = client.post(f"/api/v1/tasks/{analysis['id']}/complete", headers=urbanism,
                    json={"data": {"decizie": "prelungire",
                                   "motiv_prelungire": "volumul mare de documente"}})  # fmt: skip
    assert r.status_code == 200, r.get_json()
    thirty = LegalCalendar().deadline(local_today(), 30).isoformat()
    body = detail(client, citizen, rid)
    assert body["due_date"] == body["deadline"]["due_date"] == thirty
    assert body["deadline"]["extended_by_days"] == 20
    assert ready_task(client, urbanism, rid)["due_date"] == thirty
    again = extend(client, urbanism, rid, days=5, reason=REASON)
    assert again.status_code == 409


def test_an_extension_after_the_notice_term_is_refused_with_the_law(client, api_for, circuit):
    citizen, registry = api_for("citizen"), api_for("registry")
    rid = public_information(client, citizen)
    # 10 free days end on day 11, or later when it is not a working day (a weekend and
    # holidays move it by at most a few days): 20 days ago is past it on any day.
    day = local_today() - timedelta(days=20)
    with circuit.db.transaction() as s:
        s.execute(update(Request).where(Request.id == rid).values(registration_date=day))
    late = extend(client, registry, rid, days=20, reason=REASON)
    assert late.status_code == 409
    assert (
        "până la" in late.get_json()["message"]
        and "Legea nr. 544/2001" in late.get_json()["message"]
    )
