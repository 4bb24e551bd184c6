"""Concurrent officials and citizens on a real database: no lost, doubled or gapped work."""

from __future__ import annotations

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from engine.cases import operations
from engine.models import AuditEvent, Instance, RegistryEntry, TaskRecord, TaskState, User
from engine.people import accounts
from engine.platform.errors import Conflict
from tests.support.api import ready_task, submit
from tests.support.engine import (
    PETITION,
    TRIAGE_TO_URBANISM,
    complete,
    ready_task_id,
    submit_petition,
)
from tests.support.seed import PASSWORD


def test_two_officials_complete_the_same_task_at_once(app, circuit, api_for):
    with circuit.db.transaction() as s:
        accounts.create_user(
            s, "registratura2@primarie.ro", "Dan Pop", PASSWORD, departments=["registratura"]
        )
    client = app.test_client()
    rid = submit(client, api_for("citizen")).get_json()["id"]
    task = ready_task(client, api_for("registry"), rid)
    tokens = [api_for("registry")]
    r = client.post(
        "/api/v1/auth/token", json={"email": "registratura2@primarie.ro", "password": PASSWORD}
    )
    tokens.append({"Authorization": f"Bearer {r.get_json()['token']}"})
    choices = [
        {"decizie_triere": "repartizare", "departament": "urbanism"},
        {"decizie_triere": "repartizare", "departament": "taxe"},
    ]
    barrier = threading.Barrier(2)
    results: list[tuple[int, dict]] = []

    def go(i: int) -> None:
        c = app.test_client()
        barrier.wait()
        r = c.post(
            f"/api/v1/tasks/{task['id']}/complete", json={"data": choices[i]}, headers=tokens[i]
        )
        results.append((r.status_code, r.get_json()))

    threads = [threading.Thread(target=go, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(code for code, _ in results)
    assert codes == [200, 409], results
    with circuit.db.session() as s:
        ready = s.scalars(
            select(TaskRecord).where(
                TaskRecord.request_id == rid, TaskRecord.state == TaskState.READY
            )
        ).all()
        assert len(ready) == 1 and ready[0].name == "Redactare răspuns"
        assert ready[0].department in ("urbanism", "taxe")
        done = s.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.request_id == rid, AuditEvent.action == "task_completed")
        )
        assert done == 1
        instance = s.scalar(select(Instance).where(Instance.request_id == rid))
        assert instance.revision == 2  # created, then exactly one completion saved


def test_fifty_concurrent_submissions_get_fifty_consecutive_numbers(circuit, people):
    barrier = threading.Barrier(50)

    def register(i: int) -> int:
        barrier.wait()
        with circuit.db.transaction() as s:
            user = s.get(User, people["citizen" if i % 2 else "citizen2"])
            req, _ = operations.start_request(
                s, circuit, user, "petitie", {**PETITION, "subiect": f"Petiția {i}"}
            )
            return req.registration_number

    with ThreadPoolExecutor(max_workers=50) as pool:
        numbers = sorted(pool.map(register, range(50)))
    assert numbers == list(range(1, 51))
    with circuit.db.session() as s:
        entries = s.scalars(select(RegistryEntry).order_by(RegistryEntry.number)).all()
        assert [e.number for e in entries] == list(range(1, 51))
        # The register's hash chain links each entry to the one before it.
        assert all(b.prev_hash == a.entry_hash for a, b in itertools.pairwise(entries))


def test_a_failed_registration_leaves_no_gap(circuit, people):
    submit_petition(circuit, people["citizen"])
    with pytest.raises(RuntimeError):
        with circuit.db.transaction() as s:
            user = s.get(User, people["citizen"])
            operations.start_request(s, circuit, user, "petitie", PETITION)
            raise RuntimeError("crash after registering, before commit")
    assert submit_petition(circuit, people["citizen"]).registration_number == 2
    with circuit.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Instance)) == 2


def test_completing_through_the_engine_twice_conflicts(circuit, people):
    task_id = ready_task_id(circuit, submit_petition(circuit, people["citizen"]).id)
    complete(circuit, people["registry"], task_id, TRIAGE_TO_URBANISM)
    with pytest.raises(Conflict) as info:
        complete(circuit, people["registry"], task_id, TRIAGE_TO_URBANISM)
    assert info.value.status == 409


def test_two_retries_with_the_same_key_at_once_register_once(app, circuit, api_for):
    headers = {**api_for("citizen"), "Idempotency-Key": "retry-42"}
    barrier = threading.Barrier(2)
    answers: list[tuple[int, dict]] = []

    def go() -> None:
        c = app.test_client()
        barrier.wait()
        r = c.post(
            "/api/v1/requests", json={"procedure": "petitie", "data": PETITION}, headers=headers
        )
        answers.append((r.status_code, r.get_json()))

    threads = [threading.Thread(target=go) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [code for code, _ in answers] == [201, 201]
    assert answers[0][1] == answers[1][1]
    with circuit.db.session() as s:
        assert s.scalar(select(func.count()).select_from(RegistryEntry)) == 1


def test_an_expired_token_is_refused(client, circuit, people):
    from datetime import timedelta

    from engine.people import sessions

    with circuit.db.transaction() as s:
        token, _ = sessions.issue_token(s, s.get(User, people["citizen"]), timedelta(seconds=-1))
    r = client.get("/api/v1/requests", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and "expirat" in r.get_json()["message"]
