"""Running requests moved to a newer version: refused where a waiting step is gone unless mapped,
due dates and form data kept, audited; the designer page counts requests per version and step."""

from __future__ import annotations

import re

import pytest
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine.cases import designer
from engine.models import AuditEvent, Instance, Request, TaskRecord, Timer, TimerStatus
from engine.people import accounts
from engine.workflow import definitions
from engine.workflow.spifftasks import timer_due, timer_tasks
from scripts.cli import main
from tests.support.api import complete, ready_task, submit
from tests.support.designer import Folders
from tests.support.engine import PETITION, TRIAGE_TO_URBANISM
from tests.support.seed import PASSWORD
from tests.support.web import Browser


@pytest.fixture
def folders(circuit, tmp_path):
    found = Folders(tmp_path / "designer", circuit)
    found.deploy()
    return found


def at_drafting(client, api_for):
    """A petition triaged to urbanism: it waits at „Redactare răspuns” (id `redactare`)."""
    rid = submit(client, api_for("citizen")).get_json()["id"]
    task = ready_task(client, api_for("registry"), rid)
    reason = "Le triem pe rând pentru test."
    r = complete(client, api_for("registry"), task["id"], TRIAGE_TO_URBANISM, reason=reason)
    assert r.status_code == 200, r.get_json()
    return rid


def new_version(folders, *, rename_drafting: bool) -> str:
    """Deploy a new version, the drafting step renamed in words or given another id too;
    return its number (versions stay between tests: the same content is the same version)."""
    path = folders.bpmn / "petitie.bpmn"
    text = path.read_text("utf-8").replace(
        'name="Redactare răspuns"', 'name="Redactarea răspunsului"'
    )
    if rename_drafting:
        text = re.sub(r"(?<![\w.-])redactare(?![\w.-])", "redactare_raspuns", text)
    path.write_text(text, "utf-8")
    folders.deploy()
    with folders.circuit.db.session() as s:
        [current] = [v for v in designer.procedure_versions(s, "petitie") if v.current]
        return str(current.number)


def spiff_timers(circuit, rid):
    """Return the instants the workflow's waiting timers wait for, as SpiffWorkflow has them."""
    with circuit.db.session() as s:
        row = s.scalars(select(Instance).where(Instance.request_id == rid)).one()
        workflow = definitions.load_workflow(
            row.state, definitions.definition(s, row.process_version_id)
        )
        return sorted(
            (t.task_spec.name, timer_due(t))
            for t in timer_tasks(workflow)
            if t.has_state(TaskState.WAITING)
        )


def state(circuit, rid):
    with circuit.db.session() as s:
        version = s.scalar(select(Instance.process_version_id).where(Instance.request_id == rid))
        task = s.scalars(
            select(TaskRecord).where(TaskRecord.request_id == rid, TaskRecord.state == "ready")
        ).one()
        timers = s.scalars(
            select(Timer).where(Timer.request_id == rid, Timer.status == TimerStatus.WAITING)
        ).all()
        data = s.get(Request, rid).data
        return (
            version,
            (task.id, task.bpmn_id, task.name, task.due_date),
            sorted((t.bpmn_id, t.due_at) for t in timers),
            data,
        )


def test_a_request_moves_to_a_version_that_renamed_its_step_in_words(
    circuit, client, api_for, folders, monkeypatch, capsys
):
    rid = at_drafting(client, api_for)
    v1, task, timers, data = state(circuit, rid)
    waiting = spiff_timers(circuit, rid)
    assert waiting and all(due is not None for _, due in waiting)
    to = new_version(folders, rename_drafting=False)
    monkeypatch.setenv("DATABASE_URL", circuit.settings.database_url)
    # A dry run says what would move and changes nothing.
    assert main(["bpmn", "migrate", "petitie", "--to", to, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"s-ar muta pe versiunea {to}" in out and "Simulare: nu s-a schimbat nimic." in out
    assert state(circuit, rid) == (v1, task, timers, data)
    assert main(["bpmn", "migrate", "petitie", "--to", to]) == 0
    assert f"1 din 1 cereri în lucru mutate pe versiunea {to}." in capsys.readouterr().out
    v2, moved_task, moved_timers, moved_data = state(circuit, rid)
    assert v2 != v1
    # Same task, same due date, the new name; timers keep their dates; form data kept.
    assert moved_task[0] == task[0] and moved_task[3] == task[3]
    assert moved_task[2] == "Redactarea răspunsului"
    assert moved_timers == timers and moved_data == data == PETITION
    assert spiff_timers(circuit, rid) == waiting  # the workflow's own timers too
    with circuit.db.session() as s:
        [event] = s.scalars(select(AuditEvent).where(AuditEvent.action == "request_migrated")).all()
        assert event.request_id == rid
    # The request goes on on version 2: urbanism drafts the answer.
    page = client.get(f"/api/v1/requests/{rid}/diagram.svg", headers=api_for("citizen"))
    assert b'data-element="redactare"' in page.data and b">Redactarea<" in page.data
    # Nothing left to move: a second run moves nothing and says so.
    assert main(["bpmn", "migrate", "petitie", "--to", to]) == 0
    assert "0 din 0 cereri" in capsys.readouterr().out


def test_a_waiting_step_missing_from_the_new_version_is_refused_unless_mapped(
    circuit, client, api_for, folders, monkeypatch, capsys
):
    rid = at_drafting(client, api_for)
    before = state(circuit, rid)
    to = new_version(folders, rename_drafting=True)
    monkeypatch.setenv("DATABASE_URL", circuit.settings.database_url)
    assert main(["bpmn", "migrate", "petitie", "--to", to]) == 1
    out, err = capsys.readouterr()
    assert "refuzată: cererea așteaptă la pasul „Redactare răspuns” (redactare)" in err
    assert "--map redactare=PAS_NOU" in err and "0 din 1 cereri" in out
    assert state(circuit, rid) == before  # nothing half-moved
    # A mapping to a step the version lacks is refused before anything moves.
    assert main(["bpmn", "migrate", "petitie", "--to", to, "--map", "redactare=nu_exista"]) == 1
    assert f"pasul „nu_exista” nu există în versiunea {to}" in capsys.readouterr().err
    assert main(["bpmn", "migrate", "petitie", "--to", "99"]) == 1
    assert "nu are versiunea 99" in capsys.readouterr().err
    # With the mapping, it moves: the same task, now the new step, its due date kept.
    assert (
        main(["bpmn", "migrate", "petitie", "--to", to, "--map", "redactare=redactare_raspuns"])
        == 0
    )
    version, task, timers, data = state(circuit, rid)
    assert version != before[0] and task[0] == before[1][0] and task[3] == before[1][3]
    assert task[1] == "redactare_raspuns" and task[2] == "Redactarea răspunsului"
    assert [t[1] for t in timers] == [t[1] for t in before[2]] and data == before[3]
    # Urbanism completes it on the new version and the request goes on to approval.
    draft = ready_task(client, api_for("urbanism"), rid)
    assert draft["id"] == task[0]


def test_the_designer_page_shows_versions_running_requests_and_counts_per_step(
    circuit, client, api_for, folders
):
    at_drafting(client, api_for)
    at_drafting(client, api_for)
    new = int(new_version(folders, rename_drafting=False))
    with circuit.db.session() as s:
        [old] = [v.number for v in designer.procedure_versions(s, "petitie") if v.running]
    assert old != new
    with circuit.db.transaction() as s:
        accounts.create_user(s, "admin@primarie.ro", "Ana Admin", PASSWORD, is_admin=True)
    admin = Browser(client.application.test_client())
    admin.login("admin@primarie.ro")
    listing = admin.get("/administrare/proceduri/").get_data(as_text=True)
    assert "/administrare/proceduri/petitie" in listing
    page = admin.get(f"/administrare/proceduri/petitie?versiune={old}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f"Diagrama versiunii {old}" in html and "curentă" in html
    assert "Redactare răspuns (<code>redactare</code>): 2 cereri" in html
    # The count is drawn on the diagram, on the step.
    step = html.split('data-element="redactare"')[1].split("</g></g>")[0]
    assert 'class="bpmn-count"' in step and ">2</text>" in step
    current = admin.get("/administrare/proceduri/petitie").get_data(as_text=True)
    assert f"Diagrama versiunii {new}" in current and "Nicio cerere nu așteaptă" in current
    # The same move from the page: a dry run first, then for real; audited with who did it.
    url, action = "/administrare/proceduri/petitie", "/administrare/proceduri/petitie/mutare"
    tried = admin.submit(url, {"versiune": str(new), "simulare": "1"}, action=action)
    said = tried.get_data(as_text=True)
    assert tried.status_code == 200 and "2 din 2 cereri în lucru ar fi mutate" in said
    assert "Simulare: nu s-a schimbat nimic." in said
    with circuit.db.session() as s:
        assert [v.running for v in designer.procedure_versions(s, "petitie") if v.running] == [2]
    bad = admin.submit(url, {"versiune": str(new), "corespondente": "redactare"}, action=action)
    assert bad.status_code == 422 and "scrieți PAS_VECHI=PAS_NOU" in bad.get_data(as_text=True)
    done = admin.submit(url, {"versiune": str(new)}, action=action)
    assert "2 din 2 cereri în lucru mutate" in done.get_data(as_text=True)
    with circuit.db.session() as s:
        running = {v.number: v.running for v in designer.procedure_versions(s, "petitie")}
        assert running[new] == 2 and running[old] == 0
        actors = s.scalars(
            select(AuditEvent.actor_id).where(AuditEvent.action == "request_migrated")
        ).all()
        assert len(actors) == 2 and None not in actors
    assert admin.get("/administrare/proceduri/nu-exista").status_code == 404
    citizen = Browser(client.application.test_client())
    citizen.login("ion.popescu@example.ro")
    assert citizen.get("/administrare/proceduri/petitie").status_code == 403
