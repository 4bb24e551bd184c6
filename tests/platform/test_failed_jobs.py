"""A job that keeps failing is retried with growing pauses a bounded number of times, then
parked as a row an administrator sees and can try again; never dropped, never retried forever.

Jobs go to real RQ on real Redis and are run in-process, as the worker runs them; the clock
is moved instead of waiting for the pauses."""

from __future__ import annotations

import dataclasses
import socket
from datetime import timedelta

import pytest
from rq import Queue
from sqlalchemy import select, update

from engine import jobs
from engine.cases import failed_jobs
from engine.models import FailedJob, Instance, Notification, Timer, TimerStatus
from engine.people import accounts
from engine.platform.rqueue import QUEUE_NAME
from engine.platform.timeutil import as_aware, moved_clock
from tests.support.citizens import loopback_smtp
from tests.support.cli import circuit as run_cli
from tests.support.engine import TRIAGE_TO_URBANISM, complete, ready_task_id, submit_petition
from tests.support.seed import PASSWORD
from tests.support.web import Browser


def closed_port() -> int:
    """A loopback port nobody listens on: an SMTP server that is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def queue(circuit):
    q = Queue(QUEUE_NAME, connection=circuit.redis())
    q.empty()
    yield q
    q.empty()


def swept(circuit, queue) -> list[str]:
    """Run the worker's sweep against real RQ; return the ids of the jobs it sent (and
    empty the queue, as a worker would by taking them)."""
    jobs.sweep(jobs.rq_dispatcher(circuit.redis()))
    ids = list(queue.job_ids)
    queue.empty()
    return ids


def failure(circuit, key: str) -> FailedJob | None:
    with circuit.db.session() as s:
        return s.scalar(select(FailedJob).where(FailedJob.job_key == key))


def test_smtp_down_is_retried_with_backoff_then_parked_then_sent_on_retry(circuit, people, queue):
    circuit.settings = dataclasses.replace(
        circuit.settings,
        smtp_host="127.0.0.1",
        smtp_port=closed_port(),
        job_max_attempts=3,
        job_backoff_seconds=60,
    )
    with moved_clock() as clock:
        rid = submit_petition(circuit, people["citizen"]).id  # its e-mail fails at once
        with circuit.db.session() as s:
            note_id = s.scalar(select(Notification.id).where(Notification.request_id == rid))
        key = f"notification-{note_id}"
        row = failure(circuit, key)
        assert row is not None and row.attempts == 1 and row.parked_at is None
        assert "Connection refused" in row.error or "ConnectionRefused" in row.error
        sent = []
        for pause in (60, 120):
            clock.move(timedelta(seconds=pause // 2))
            assert key not in swept(circuit, queue)  # pausing: not every 15 s any more
            clock.move(timedelta(seconds=pause // 2 + 1))
            assert swept(circuit, queue).count(key) == 1  # the pause is over: one more try
            sent.append(jobs.send_notification(note_id))
        assert sent == [False, False]
        row = failure(circuit, key)
        assert row is not None and row.attempts == 3 and row.parked_at is not None
        for _ in range(3):  # parked: the sweep leaves it alone, however long we wait
            clock.move(timedelta(hours=2))
            assert key not in swept(circuit, queue)
        with circuit.db.session() as s:
            [view] = failed_jobs.listing(s)
            assert view.parked and view.request_id == rid and view.kind == "E-mail de notificare"
            assert s.get(Notification, note_id).emailed_at is None  # not sent, not dropped

    with loopback_smtp() as (inbox, port):
        circuit.settings = dataclasses.replace(circuit.settings, smtp_port=port)
        with circuit.db.transaction() as s:
            failed_jobs.retry(s, view.id)  # the test's dispatcher runs the job after commit
        assert len(inbox.messages) == 1
    assert failure(circuit, key) is None  # done: nothing left to show
    with circuit.db.session() as s:
        assert s.get(Notification, note_id).emailed_at is not None


def test_a_timer_whose_step_fails_is_parked_and_retried_from_the_command_line(
    circuit, people, queue, backend
):
    circuit.settings = dataclasses.replace(
        circuit.settings, job_max_attempts=2, job_backoff_seconds=30
    )
    rid = submit_petition(circuit, people["citizen"]).id
    complete(circuit, people["registry"], ready_task_id(circuit, rid), TRIAGE_TO_URBANISM)
    with circuit.db.transaction() as s:
        timer = s.scalar(select(Timer).where(Timer.request_id == rid))
        task_id, due, instance_id = timer.task_id, as_aware(timer.due_at), timer.instance_id
        good_state = s.get(Instance, instance_id).state
        s.execute(
            update(Instance)
            .where(Instance.id == instance_id)
            .values(state="{broken", revision=Instance.revision + 1)
        )
    key = f"timer-{task_id}"
    with moved_clock() as clock:
        clock.move_to(due + timedelta(minutes=5))
        assert swept(circuit, queue).count(key) == 1  # due: sent
        assert jobs.fire_timer(task_id) is False  # the step fails; nothing half-done
        assert key not in swept(circuit, queue)
        clock.move(timedelta(seconds=31))
        assert swept(circuit, queue).count(key) == 1
        assert jobs.fire_timer(task_id) is False  # second and last attempt: parked
        clock.move(timedelta(days=1))
        assert key not in swept(circuit, queue)
        with circuit.db.session() as s:
            assert s.scalar(select(Timer.status).where(Timer.task_id == task_id)) == (
                TimerStatus.WAITING
            )

    env = dict(DATABASE_URL=backend.url, REDIS_URL=circuit.settings.redis_url or "")
    listed = run_cli(["jobs", "failed"], circuit.settings.data_dir, **env)
    assert listed.returncode == 0, listed.stderr
    row = failure(circuit, key)
    assert row is not None and row.parked_at is not None
    assert f"{row.id}\tTemporizator" in listed.stdout and f"cererea {rid}" in listed.stdout
    assert "2 încercări" in listed.stdout and "oprită" in listed.stdout

    with circuit.db.transaction() as s:  # the administrator repairs the instance
        s.execute(
            update(Instance)
            .where(Instance.id == instance_id)
            .values(state=good_state, revision=Instance.revision + 1)
        )
    retried = run_cli(["jobs", "retry", str(row.id)], circuit.settings.data_dir, **env)
    assert retried.returncode == 0, retried.stderr
    assert "trimisă din nou" in retried.stdout
    assert queue.job_ids == [key]  # in the queue for the worker
    with moved_clock() as clock:
        clock.move_to(due + timedelta(days=1, minutes=10))
        assert jobs.fire_timer(task_id) is True  # the worker runs it: the reminder is out
    assert failure(circuit, key) is None
    again = run_cli(["jobs", "retry", str(row.id)], circuit.settings.data_dir, **env)
    assert again.returncode == 1 and f"Nu există lucrarea eșuată nr. {row.id}" in again.stderr
    assert "Nicio lucrare" in run_cli(["jobs", "failed"], circuit.settings.data_dir, **env).stdout


@pytest.fixture
def admin(app, circuit) -> Browser:
    with circuit.db.transaction() as s:
        accounts.create_user(s, "admin@primarie.ro", "Administrator", PASSWORD, is_admin=True)
    browser = Browser(app.test_client())
    browser.login("admin@primarie.ro")
    return browser


def test_administrators_see_parked_jobs_and_retry_them_on_a_page(
    circuit, people, admin, browser_for
):
    circuit.settings = dataclasses.replace(
        circuit.settings, smtp_host="127.0.0.1", smtp_port=closed_port(), job_max_attempts=1
    )
    rid = submit_petition(circuit, people["citizen"]).id  # SMTP down: parked at once
    page = admin.get("/administrare/lucrari").get_data(as_text=True)
    assert "E-mail de notificare" in page and "Oprită din" in page
    assert "ConnectionRefusedError" in page and "Reîncearcă acum" in page
    with circuit.db.session() as s:
        [view] = failed_jobs.listing(s)
        assert view.request_id == rid
    action = f"/administrare/lucrari/{view.id}/reincercare"
    assert browser_for("urbanism").get("/administrare/lucrari").status_code == 403
    assert admin.client.post(action).status_code == 400  # no CSRF token: refused
    assert failure(circuit, view.args and f"notification-{view.args[0]}") is not None

    with loopback_smtp() as (inbox, port):
        circuit.settings = dataclasses.replace(circuit.settings, smtp_port=port)
        done = admin.submit("/administrare/lucrari", {}, action=action, follow_redirects=True)
        assert len(inbox.messages) == 1  # the e-mail went out
    page = done.get_data(as_text=True)
    assert f"Lucrarea nr. {view.id} (E-mail de notificare) a fost trimisă din nou" in page
    assert "Nicio lucrare eșuată" in page
    again = admin.submit("/administrare/lucrari", {}, action=action, follow_redirects=True)
    assert f"Nu există lucrarea eșuată nr. {view.id}." in again.get_data(as_text=True)
