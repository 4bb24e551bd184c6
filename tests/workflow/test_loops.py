"""Loops and multi-instance tasks are bounded; a step that never ends is stopped; a failed
submission keeps its throttle slot."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.models import Request, TaskRecord
from engine.platform.config import PROJECT_ROOT
from engine.workflow import expressions as scripting
from engine.workflow import runtime
from engine.workflow.catalog import Catalog
from tests.support.circuit import with_test_procedures
from tests.support.security import app_with

DATA = PROJECT_ROOT / "tests" / "data" / "bounds"


@pytest.fixture
def circuit(circuit, tmp_path):
    """The test Circuit, with the repository's procedures and tests/data/bounds's."""
    return with_test_procedures(circuit, DATA, tmp_path)


def submit(client, headers, procedure, n):
    return client.post(
        "/api/v1/requests",
        json={"procedure": procedure, "data": {"subiect": "Probă", "n": n}},
        headers=headers,
    )


def rows(circuit):
    with circuit.db.session() as s:
        return (
            s.scalar(select(func.count()).select_from(Request)),
            s.scalar(select(func.count()).select_from(TaskRecord)),
        )


def inbox(client, headers):
    return client.get("/api/v1/tasks", headers=headers).get_json()["tasks"]


@pytest.mark.parametrize("procedure", ["proba_exemplare", "proba_secvential"])
def test_a_count_past_the_bound_is_refused_before_any_instance_is_made(
    client, api_for, circuit, procedure
):
    r = submit(client, api_for("citizen"), procedure, 300_000)
    assert r.status_code == 422, r.get_json()
    body = r.get_json()
    assert body["error"] == "invalid"
    [problem] = body["errors"]
    assert problem["field"] == "/n"
    assert "300000 de ori" in problem["message"] and "limita procedurii (100)" in problem["message"]
    assert rows(circuit) == (0, 0)
    # Another citizen's submission goes through right after: nothing was left locked.
    r = submit(client, api_for("citizen2"), procedure, 2)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["registration"]["number"] == 1


def test_a_count_within_the_bound_makes_that_many_tasks(client, api_for, circuit):
    r = submit(client, api_for("citizen"), "proba_exemplare", 100)
    assert r.status_code == 201, r.get_json()
    assert rows(circuit) == (1, 100)  # a hundred steps waiting in the registry's inbox
    assert inbox(client, api_for("registry"))[0]["name"] == "Verificare exemplar"


def test_the_catalog_entry_sets_the_bound(client, api_for, circuit):
    entry = circuit.settings.processes_dir / "proba_exemplare.json"
    entry.write_text(entry.read_text().replace('"id"', '"max_instances": 3, "id"', 1))
    circuit.catalog = Catalog.load(circuit.settings.processes_dir)
    circuit.deploy_all()
    r = submit(client, api_for("citizen"), "proba_exemplare", 4)
    assert r.status_code == 422
    assert "limita procedurii (3)" in r.get_json()["errors"][0]["message"]
    assert submit(client, api_for("citizen"), "proba_exemplare", 3).status_code == 201


def test_a_loop_whose_condition_never_ends_stops_at_the_bound(client, api_for, circuit):
    r = submit(client, api_for("citizen"), "proba_bucla", 1)
    assert r.status_code == 500
    body = r.get_json()
    assert body["error"] == "process_error"
    assert body["element"] == "repetare"
    assert "„Repetare”" in body["message"] and "Nu s-a salvat nimic" in body["message"]
    assert rows(circuit) == (0, 0)


def test_a_cycle_through_a_gateway_is_stopped_by_the_step_limit(
    client, api_for, circuit, monkeypatch
):
    monkeypatch.setattr(scripting, "STEP_SECONDS", 600.0)  # the count stops it, not the clock
    monkeypatch.setattr(runtime, "MAX_STEP_TASKS", 300)
    r = submit(client, api_for("citizen"), "proba_ciclu", 1)
    assert r.status_code == 500
    body = r.get_json()
    assert body["error"] == "process_error"
    assert body["element"] in {"gw", "ocol"}
    assert rows(circuit) == (0, 0)
    # The database is free at once: another citizen registers right after.
    r = submit(client, api_for("citizen2"), "proba_exemplare", 1)
    assert r.status_code == 201, r.get_json()


def test_a_cycle_never_ends_the_process_silently(client, api_for, circuit, monkeypatch):
    # SpiffWorkflow stops seeing tasks 1,000 levels deep and would call the process finished.
    monkeypatch.setattr(scripting, "STEP_SECONDS", 600.0)
    r = submit(client, api_for("citizen"), "proba_ciclu", 1)
    assert r.status_code == 500
    assert r.get_json()["error"] == "process_error"
    assert rows(circuit) == (0, 0)


def test_a_cycle_is_stopped_by_the_clock_too(client, api_for, circuit, monkeypatch):
    monkeypatch.setattr(scripting, "STEP_SECONDS", 0.2)
    monkeypatch.setattr(runtime, "MAX_STEP_TASKS", 10**9)
    r = submit(client, api_for("citizen"), "proba_ciclu", 1)
    assert r.status_code == 500
    assert r.get_json()["error"] == "process_error"
    assert rows(circuit) == (0, 0)


def test_a_failed_submission_keeps_its_throttle_slot(api_for, circuit, monkeypatch):
    monkeypatch.setattr(runtime, "MAX_STEP_TASKS", 100)
    client = app_with(circuit, submission_limit="2 per hour").test_client()
    citizen = api_for("citizen")
    assert submit(client, citizen, "proba_ciclu", 1).status_code == 500
    assert submit(client, citizen, "proba_exemplare", 300_000).status_code == 422
    r = submit(client, citizen, "proba_exemplare", 1)
    assert r.status_code == 429
    assert r.get_json()["error"] == "too_many_submissions"
    assert rows(circuit) == (0, 0)


def test_a_form_refused_before_the_engine_runs_gives_its_slot_back(api_for, circuit):
    client = app_with(circuit, submission_limit="1 per hour").test_client()
    citizen = api_for("citizen")
    assert submit(client, citizen, "proba_exemplare", -1).status_code == 422  # minimum 0
    assert submit(client, citizen, "proba_exemplare", 1).status_code == 201
