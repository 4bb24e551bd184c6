"""Notifications reach people by e-mail through a real SMTP server on loopback."""

from __future__ import annotations

import dataclasses
from email import message_from_bytes

from sqlalchemy import select

from engine.models import Notification
from tests.support.engine import complete, ready_task_id, submit_petition


def test_registration_and_answer_are_emailed_to_the_citizen(circuit, people, smtp):
    inbox, port = smtp
    circuit.settings = dataclasses.replace(
        circuit.settings, smtp_host="127.0.0.1", smtp_port=port, mail_from="primaria@example.ro"
    )
    req = submit_petition(circuit, people["citizen"])
    rid, display = req.id, req.registration_display
    [mail] = inbox.messages
    assert mail["To"] == "ion.popescu@example.ro"
    assert mail["From"] == "primaria@example.ro"
    body = mail.get_payload(decode=True).decode("utf-8")
    assert f"nr. {display}" in body and "Termenul legal" in body
    assert f"/cereri/{rid}" in body
    with circuit.db.session() as s:
        note = s.scalar(select(Notification).where(Notification.request_id == rid))
        assert note.emailed_at is not None

    # A rejected (filed) petition tells the citizen too.
    complete(
        circuit, people["registry"], ready_task_id(circuit, rid), {"decizie_triere": "clasare"}
    )
    assert len(inbox.messages) == 2
    assert "a fost clasată" in inbox.messages[1].get_payload(decode=True).decode("utf-8")


def test_without_smtp_mail_is_written_to_the_outbox(circuit, people, job_log):
    req = submit_petition(circuit, people["citizen"])
    assert [j.name for j in job_log.sent if j.at is None] == ["send_notification"]
    [eml] = list((circuit.settings.data_dir / "outbox").glob("*.eml"))
    mail = message_from_bytes(eml.read_bytes())
    assert mail["To"] == "ion.popescu@example.ro"
    body = mail.get_payload(decode=True).decode("utf-8")
    assert "înregistrată" in body and req.registration_display in body
    with circuit.db.session() as s:
        note = s.scalar(select(Notification).where(Notification.request_id == req.id))
        assert note.emailed_at is not None  # written once: the sweep does not repeat it


def test_the_sweep_resends_an_email_whose_job_was_lost(circuit, people, smtp):
    from datetime import timedelta

    from rq import Queue, SimpleWorker
    from sqlalchemy import update

    from engine import jobs
    from engine.platform.rqueue import QUEUE_NAME
    from engine.platform.timeutil import utcnow

    inbox, port = smtp
    circuit.settings = dataclasses.replace(circuit.settings, smtp_host="127.0.0.1", smtp_port=port)
    circuit.set_dispatcher(None)  # Redis was down when the request committed: no job
    req = submit_petition(circuit, people["citizen"])
    with circuit.db.transaction() as s:  # two minutes pass
        s.execute(update(Notification).values(created_at=utcnow() - timedelta(minutes=2)))
    assert inbox.messages == []
    redis = circuit.redis()
    Queue(QUEUE_NAME, connection=redis).empty()
    assert jobs.sweep(jobs.rq_dispatcher(redis)) == 1
    SimpleWorker([Queue(QUEUE_NAME, connection=redis)], connection=redis).work(burst=True)
    [mail] = inbox.messages
    assert req.registration_display in mail.get_payload(decode=True).decode("utf-8")
    assert jobs.sweep(jobs.rq_dispatcher(redis)) == 0  # sent: nothing more to do
