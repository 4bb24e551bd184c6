"""Stuck requests: a step the diagram cannot run keeps its reason in the audit, is listed for
administrators, and is retried on the fixed, deployed diagram or ended with an answer."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.cases import stuck
from engine.models import AuditEvent, Instance, User
from engine.people import accounts
from engine.platform.config import PROJECT_ROOT
from engine.platform.errors import Forbidden, ProcessFailure
from tests.support.api import complete
from tests.support.circuit import with_test_procedures
from tests.support.seed import PASSWORD, PEOPLE
from tests.support.web import Browser

DATA = PROJECT_ROOT / "tests" / "data" / "expr"
GOOD = {"baza": 2, "exponent": 10, "text": "ab", "repetari": 3, "bucla": False}
POWER = {**GOOD, "baza": 10, "exponent": 10**10}  # `baza ** exponent` never returns


@pytest.fixture
def circuit(circuit, tmp_path):
    """The test Circuit with tests/data/expr's procedure, whose script `calcul` can fail."""
    return with_test_procedures(circuit, DATA, tmp_path)


def stuck_request(client, api_for) -> int:
    r = client.post(
        "/api/v1/requests",
        json={"procedure": "proba_calcul", "data": {"subiect": "Probă", "n": 1}},
        headers=api_for("citizen"),
    )
    rid = r.get_json()["id"]
    tasks = client.get("/api/v1/tasks", headers=api_for("registry")).get_json()["tasks"]
    task = next(t for t in tasks if t["request_id"] == rid)
    r = complete(client, api_for("registry"), task["id"], POWER)
    assert r.status_code == 500 and r.get_json()["error"] == "process_error"
    assert "technical" not in r.get_json()  # the library's words are for administrators
    return rid


def admin(circuit) -> int:
    with circuit.db.transaction() as s:
        return accounts.create_user(
            s, "admin.blocate@primarie.ro", "Admin Blocate", "parola-admin-1234", is_admin=True
        ).id


def test_the_reason_is_kept_in_the_audit_and_the_request_is_listed(client, api_for, circuit):
    rid = stuck_request(client, api_for)
    with circuit.db.session() as s:
        events = s.scalars(
            select(AuditEvent).where(
                AuditEvent.request_id == rid, AuditEvent.action == "process_error"
            )
        ).all()
        assert len(events) == 1
        detail = events[0].detail
        assert detail["element"] == "calcul" and detail["step"] == "task"
        assert "Procedura nu a putut continua" in detail["message"]
        assert detail["technical"]  # the exception's type and words
        listed = stuck.stuck_requests(s)
    assert [(x.request_id, x.element, x.can_retry) for x in listed] == [(rid, "calcul", True)]
    history = client.get(f"/api/v1/requests/{rid}", headers=api_for("registry")).get_json()
    assert history["status"] == "registered"  # nothing of the failed step was stored


def test_retry_runs_the_step_again_on_the_fixed_deployed_diagram(client, api_for, circuit):
    rid = stuck_request(client, api_for)
    admin_id = admin(circuit)
    with circuit.db.session() as s:
        version_before = s.scalar(
            select(Instance.process_version_id).where(Instance.request_id == rid)
        )
    # Before the fix the retry fails again, undone, and the new failure is kept too.
    with pytest.raises(ProcessFailure), circuit.db.transaction() as s:
        stuck.retry(s, circuit, s.get(User, admin_id), rid)
    diagram = circuit.settings.bpmn_dir / "proba_calcul.bpmn"
    diagram.write_text(
        diagram.read_text(encoding="utf-8").replace(
            "rezultat = baza ** exponent", "rezultat = baza"
        ),
        encoding="utf-8",
    )
    circuit.deploy_all()  # what `circuit db upgrade` does
    with circuit.db.transaction() as s:
        request = stuck.retry(s, circuit, s.get(User, admin_id), rid)
        assert request.status.value == "completed"
    with circuit.db.session() as s:
        assert stuck.stuck_requests(s) == []
        moved = s.scalar(select(Instance.process_version_id).where(Instance.request_id == rid))
        assert moved != version_before
        actions = s.scalars(
            select(AuditEvent.action).where(AuditEvent.request_id == rid).order_by(AuditEvent.id)
        ).all()
    assert actions.count("process_error") == 2
    assert "version_moved" in actions and "task_completed" in actions
    body = client.get(f"/api/v1/requests/{rid}", headers=api_for("citizen")).get_json()
    assert body["status"] == "completed"


def test_ending_with_an_answer_closes_it_and_tells_the_citizen(client, api_for, circuit):
    rid = stuck_request(client, api_for)
    admin_id = admin(circuit)
    with pytest.raises(Forbidden), circuit.db.transaction() as s:
        official = s.scalar(select(User).where(User.email == PEOPLE["registry"][0]))
        stuck.end_with_answer(s, circuit, official, rid, "Răspuns oarecare dat.", False)
    with circuit.db.transaction() as s:
        stuck.end_with_answer(
            s,
            circuit,
            s.get(User, admin_id),
            rid,
            "Cererea nu a putut fi procesată; vă rugăm să o depuneți din nou.",
            False,
        )
    body = client.get(f"/api/v1/requests/{rid}", headers=api_for("citizen")).get_json()
    assert body["status"] == "rejected"
    assert body["answer"] == "Cererea nu a putut fi procesată; vă rugăm să o depuneți din nou."
    with circuit.db.session() as s:
        assert stuck.stuck_requests(s) == []


def test_the_admin_page_lists_it_and_ends_it_with_an_answer(app, client, api_for, circuit):
    rid = stuck_request(client, api_for)
    with circuit.db.transaction() as s:
        accounts.create_user(s, "admin.pagina@primarie.ro", "Admin", PASSWORD, is_admin=True)
    admin_browser = Browser(app.test_client())
    admin_browser.login("admin.pagina@primarie.ro")
    page = admin_browser.get("/administrare/blocate").get_data(as_text=True)
    assert "Cereri blocate" in page and "elementul „calcul”" in page
    assert "Reîncearcă" in page and "circuit db upgrade" in page
    r = admin_browser.submit(
        "/administrare/blocate",
        {"answer": "Cererea nu a putut fi procesată; reveniți cu o cerere nouă.", "solved": "nu"},
        action=f"/administrare/blocate/{rid}/incheiere",
    )
    assert r.status_code == 302
    page = admin_browser.get("/administrare/blocate").get_data(as_text=True)
    assert "Nicio cerere nu este blocată." in page
    body = client.get(f"/api/v1/requests/{rid}", headers=api_for("citizen")).get_json()
    assert body["status"] == "rejected"

    official = Browser(app.test_client())
    official.login(PEOPLE["registry"][0])
    assert official.get("/administrare/blocate").status_code == 403
