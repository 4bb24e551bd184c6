"""Four eyes: a task with `fourEyes` cannot be completed by whoever did the step it checks."""

from __future__ import annotations

import pytest

from engine.cases import operations
from engine.models import User
from engine.people import accounts
from engine.platform.config import PROJECT_ROOT
from engine.platform.errors import Forbidden
from tests.support.engine import PETITION, TRIAGE_TO_URBANISM, complete, ready_task_id
from tests.support.security import app_with, bearer
from tests.support.seed import PASSWORD

DATA = PROJECT_ROOT / "tests" / "data" / "four_eyes"
DRAFT = {"actiune": "propune_raspuns", "raspuns": "Vom astupa groapa până vineri."}


@pytest.fixture
def four_eyes_app(circuit):
    app = app_with(circuit, bpmn_dir=DATA / "bpmn", processes_dir=DATA / "processes")
    app.extensions["circuit"].deploy_all()
    return app


def drafted_by(app, people, author):
    """Submit the four-eyes petition, triage it, and have `author` draft the answer."""
    circuit = app.extensions["circuit"]
    with circuit.db.transaction() as s:
        req, _ = operations.start_request(
            s, circuit, s.get(User, people["citizen"]), "petitie_patru_ochi", PETITION
        )
    complete(circuit, people["registry"], ready_task_id(circuit, req.id), TRIAGE_TO_URBANISM)
    complete(circuit, people[author], ready_task_id(circuit, req.id), DRAFT)
    return req.id, ready_task_id(circuit, req.id)


def test_the_head_who_drafted_the_answer_cannot_approve_it(four_eyes_app, people):
    circuit = four_eyes_app.extensions["circuit"]
    rid, approval = drafted_by(four_eyes_app, people, "urbanism_head")
    with pytest.raises(Forbidden, match="patru ochi") as refused:
        complete(circuit, people["urbanism_head"], approval, {"decizie_sef": "aprobat"})
    assert refused.value.code == "four_eyes"
    assert ready_task_id(circuit, rid) == approval  # nothing moved

    client = four_eyes_app.test_client()
    headers = bearer(
        client.post(
            "/api/v1/auth/token",
            json={"email": "sef.urbanism@primarie.ro", "password": PASSWORD},
        )
    )
    r = client.post(
        f"/api/v1/tasks/{approval}/complete",
        json={"data": {"decizie_sef": "aprobat"}},
        headers=headers,
    )
    assert r.status_code == 403
    assert r.get_json()["error"] == "four_eyes"
    assert "„Redactare răspuns”" in r.get_json()["message"]

    # A second head of the department may approve it.
    with circuit.db.transaction() as s:
        other = accounts.create_user(
            s,
            "sef2.urbanism@primarie.ro",
            "Dan Pop",
            PASSWORD,
            departments=["urbanism"],
            heads=["urbanism"],
        ).id
    req = complete(circuit, other, approval, {"decizie_sef": "aprobat"})
    assert req.status.value == "completed"


def test_an_approval_of_someone_elses_draft_goes_through(four_eyes_app, people):
    circuit = four_eyes_app.extensions["circuit"]
    _rid, approval = drafted_by(four_eyes_app, people, "urbanism")
    req = complete(circuit, people["urbanism_head"], approval, {"decizie_sef": "aprobat"})
    assert req.status.value == "completed"
