"""Reminders and deadline warnings reach people in working hours: the catalog's reminder at the
configured hour on a working day, whatever the time of registration; the holder warned before
the due date, the head on it, the secretary general a digest of overdue requests."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select, update

from engine.cases import escalation
from engine.deadlines.legal_calendar import LegalCalendar
from engine.models import Notification, Request, TaskRecord, Timer
from engine.platform.config import load_settings
from engine.platform.timeutil import BUCHAREST, local_today
from tests.support.api import complete, ready_task, submit, submitted_to_urbanism
from tests.support.engine import PETITION, TRIAGE_TO_URBANISM


def test_the_petition_reminder_fires_at_nine_on_a_working_day(client, api_for, circuit):
    rid, _ = submitted_to_urbanism(client, api_for)
    with circuit.db.session() as s:
        [timer] = s.scalars(select(Timer).where(Timer.request_id == rid)).all()
        registered = s.get(Request, rid).registration_date
    at = timer.due_at.astimezone(BUCHAREST)
    assert at.time() == time(9, 0)
    expected = LegalCalendar().next_working_day(registered + timedelta(days=25))
    assert at.date() == expected


def test_the_reminder_hour_is_a_setting_and_a_bad_one_is_refused(tmp_path):
    env = {"CIRCUIT_DATA_DIR": str(tmp_path), "SECRET_KEY": "x"}
    assert load_settings(env).reminder_hour == time(9, 0)
    assert load_settings({**env, "CIRCUIT_REMINDER_HOUR": "08:30"}).reminder_hour == time(8, 30)
    with pytest.raises(ValueError, match="CIRCUIT_REMINDER_HOUR"):
        load_settings({**env, "CIRCUIT_REMINDER_HOUR": "25:00"})


def due_on(circuit, rid: int, due: date) -> None:
    with circuit.db.transaction() as s:
        s.execute(update(Request).where(Request.id == rid).values(due_date=due))
        s.execute(update(TaskRecord).where(TaskRecord.request_id == rid).values(due_date=due))


def notes(circuit, kind: str) -> list[Notification]:
    with circuit.db.session() as s:
        found = s.scalars(select(Notification).where(Notification.kind == kind)).all()
        s.expunge_all()
        return list(found)


def test_holder_then_head_then_secretary_general_are_warned_once_in_working_hours(
    client, api_for, circuit, people
):
    citizen, registry, urbanism = api_for("citizen"), api_for("registry"), api_for("urbanism")
    calendar = LegalCalendar()
    today = calendar.next_working_day(local_today() + timedelta(days=1))
    soon_id, soon_task = submitted_to_urbanism(client, api_for)
    claimed = client.post(f"/api/v1/tasks/{soon_task['id']}/claim", headers=urbanism)
    assert claimed.status_code == 200
    due_id, _ = submitted_to_urbanism(client, api_for)
    late_id = submit(client, citizen, {**PETITION, "subiect": "Canal înfundat"}).get_json()["id"]
    r = complete(client, registry, ready_task(client, registry, late_id)["id"], TRIAGE_TO_URBANISM)
    assert r.status_code == 200
    far_id, _ = submitted_to_urbanism(client, api_for)
    due_on(circuit, soon_id, calendar.add_working_days(today, 2))
    due_on(circuit, due_id, today)
    due_on(circuit, late_id, today - timedelta(days=3))
    due_on(circuit, far_id, calendar.add_working_days(today, 10))

    before_nine = datetime.combine(today, time(8, 59), BUCHAREST)
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
    with circuit.db.transaction() as s:
        assert escalation.daily(s, circuit, before_nine) == 0
        assert escalation.daily(s, circuit, datetime.combine(saturday, time(10), BUCHAREST)) == 0
    at_nine = datetime.combine(today, time(9, 0), BUCHAREST)
    with circuit.db.transaction() as s:
        assert escalation.daily(s, circuit, at_nine) > 0
    with circuit.db.transaction() as s:  # a second sweep the same day sends nothing
        assert escalation.daily(s, circuit, at_nine + timedelta(hours=2)) == 0

    [soon] = notes(circuit, "deadline_soon")
    assert soon.request_id == soon_id and soon.user_id == people["urbanism"]
    assert "Termen apropiat" in soon.message
    assert f"{calendar.add_working_days(today, 2):%d.%m.%Y}" in soon.message
    heads = notes(circuit, "deadline_due")
    assert {(n.request_id, n.user_id) for n in heads} == {
        (due_id, people["urbanism_head"]),
        (late_id, people["urbanism_head"]),
    }
    assert all("Vă rugăm să interveniți" in n.message for n in heads)
    [digest] = notes(circuit, "deadline_digest")
    assert digest.user_id == people["secretar"]
    assert "Cereri cu termenul legal depășit" in digest.message
    assert "Canal înfundat" in digest.message and "3 zile de întârziere" in digest.message
    assert far_id not in {n.request_id for n in notes(circuit, "deadline_soon") + heads}

    # The next working day: the same warnings are not repeated; the digest comes again.
    tomorrow = calendar.next_working_day(today + timedelta(days=1))
    with circuit.db.transaction() as s:
        escalation.daily(s, circuit, datetime.combine(tomorrow, time(9, 5), BUCHAREST))
    assert len(notes(circuit, "deadline_soon")) == 1 and len(notes(circuit, "deadline_due")) == 2
    assert len(notes(circuit, "deadline_digest")) == 2
