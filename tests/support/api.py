"""The JSON API as its clients call it: the petition submitted, tasks found and completed."""

from __future__ import annotations

import io
import json

from tests.support.engine import PETITION, TRIAGE_TO_URBANISM

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def submit(client, headers, data=None, **kw):
    return client.post(
        "/api/v1/requests",
        json={"procedure": "petitie", "data": data or PETITION},
        headers=headers,
        **kw,
    )


def ready_task(client, headers, request_id):
    tasks = client.get("/api/v1/tasks", headers=headers).get_json()["tasks"]
    mine = [t for t in tasks if t["request_id"] == request_id]
    assert len(mine) == 1, tasks
    return mine[0]


def submit_procedure(client, headers, procedure="petitie", data=None):
    """Submit a request for any procedure; return its id (201 or the test fails)."""
    r = client.post(
        "/api/v1/requests", json={"procedure": procedure, "data": data or PETITION}, headers=headers
    )
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


def task_of(client, headers, request_id):
    tasks = client.get("/api/v1/tasks", headers=headers).get_json()["tasks"]
    [task] = [t for t in tasks if t["request_id"] == request_id]
    return task


def submitted_to_urbanism(client, api_for):
    """Submit a petition as the citizen and have the registry send it to urbanism."""
    rid = submit(client, api_for("citizen")).get_json()["id"]
    triage = ready_task(client, api_for("registry"), rid)
    r = complete(client, api_for("registry"), triage["id"], TRIAGE_TO_URBANISM)
    assert r.status_code == 200, r.get_json()
    return rid, ready_task(client, api_for("urbanism"), rid)


def complete(client, headers, task_id, data, **body):
    return client.post(
        f"/api/v1/tasks/{task_id}/complete", json={"data": data, **body}, headers=headers
    )


def a_request_with_everything(client, api_for):
    """A petition with a document, triaged, so request, task and document pages exist."""
    r = client.post(
        "/api/v1/requests",
        headers=api_for("citizen"),
        data={
            "procedure": "petitie",
            "data": json.dumps(PETITION),
            "anexe": (io.BytesIO(PDF), "plan.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 201, r.get_json()
    rid = r.get_json()["id"]
    detail = client.get(f"/api/v1/requests/{rid}", headers=api_for("citizen")).get_json()
    tasks = client.get("/api/v1/tasks", headers=api_for("registry")).get_json()["tasks"]
    return {
        "request_id": rid,
        "id": rid,
        "document_id": detail["documents"][0]["id"],
        "task_id": tasks[0]["id"],
        "procedure_id": "petitie",
        "filename": "circuit.css",
    }
