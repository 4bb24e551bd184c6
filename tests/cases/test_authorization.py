"""Who may see and do what: checked by the engine, answered by the API."""

from __future__ import annotations

from tests.support.api import complete, ready_task, submit, submitted_to_urbanism


def test_another_citizen_gets_404_exactly_as_for_a_missing_request(client, api_for):
    rid = submit(client, api_for("citizen")).get_json()["id"]
    other = client.get(f"/api/v1/requests/{rid}", headers=api_for("citizen2"))
    missing = client.get(f"/api/v1/requests/{rid + 1000}", headers=api_for("citizen2"))
    assert other.status_code == missing.status_code == 404
    assert other.get_json() == missing.get_json()
    assert client.get("/api/v1/requests", headers=api_for("citizen2")).get_json()["total"] == 0
    r = client.post(
        f"/api/v1/requests/{rid}/reply", json={"text": "x"}, headers=api_for("citizen2")
    )
    assert r.status_code == 404


def test_an_official_cannot_complete_another_departments_task(client, api_for):
    rid = submit(client, api_for("citizen")).get_json()["id"]
    task = ready_task(client, api_for("registry"), rid)
    r = complete(
        client,
        api_for("taxe"),
        task["id"],
        {"decizie_triere": "repartizare", "departament": "taxe"},
    )
    assert r.status_code == 403
    assert r.get_json()["error"] == "forbidden"
    assert (
        client.post(f"/api/v1/tasks/{task['id']}/claim", headers=api_for("taxe")).status_code == 403
    )
    # Taxe never touched the request, so for taxe it does not exist.
    assert client.get(f"/api/v1/requests/{rid}", headers=api_for("taxe")).status_code == 404
    assert ready_task(client, api_for("registry"), rid)["id"] == task["id"]  # still there


def test_citizens_have_no_tasks_and_cannot_complete_any(client, api_for):
    rid = submit(client, api_for("citizen")).get_json()["id"]
    task = ready_task(client, api_for("registry"), rid)
    assert client.get("/api/v1/tasks", headers=api_for("citizen")).status_code == 403
    r = complete(client, api_for("citizen"), task["id"], {"decizie_triere": "clasare"})
    assert r.status_code == 403


def test_a_claimed_task_belongs_to_whoever_claimed_it(client, api_for):
    rid, draft = submitted_to_urbanism(client, api_for)
    assert (
        client.post(f"/api/v1/tasks/{draft['id']}/claim", headers=api_for("urbanism")).status_code
        == 200
    )
    assert ready_task(client, api_for("urbanism_head"), rid)["claimed_by"] == "Andrei Stan"
    r = client.post(f"/api/v1/tasks/{draft['id']}/claim", headers=api_for("urbanism_head"))
    assert r.status_code == 409 and r.get_json()["claimed_by"] == "Andrei Stan"
    r = complete(
        client,
        api_for("urbanism_head"),
        draft["id"],
        {"actiune": "propune_raspuns", "raspuns": "Un răspuns suficient de lung."},
    )
    assert r.status_code == 409
    r = client.post(f"/api/v1/tasks/{draft['id']}/release", headers=api_for("urbanism"))
    assert r.status_code == 200
    r = complete(
        client,
        api_for("urbanism_head"),
        draft["id"],
        {"actiune": "propune_raspuns", "raspuns": "Un răspuns suficient de lung."},
    )
    assert r.status_code == 200


def test_completed_task_and_wrong_form_answers(client, api_for):
    rid = submit(client, api_for("citizen")).get_json()["id"]
    registry = api_for("registry")
    task = ready_task(client, registry, rid)
    r = complete(client, registry, task["id"], {"decizie_triere": "repartizare"})
    assert r.status_code == 422
    assert r.get_json()["errors"] == [
        {"field": "/departament", "message": "Câmpul este obligatoriu."}
    ]
    r = complete(
        client, registry, task["id"], {"decizie_triere": "repartizare", "departament": "inexistent"}
    )
    assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "/departament"
    r = complete(client, registry, task["id"], {"decizie_triere": "clasare"})
    assert r.status_code == 200 and r.get_json()["request"]["status"] == "rejected"
    r = complete(client, registry, task["id"], {"decizie_triere": "clasare"})
    assert r.status_code == 409
    assert (
        client.post(
            "/api/v1/tasks/nu-exista/complete", json={"data": {}}, headers=registry
        ).status_code
        == 404
    )
    detail = client.get(f"/api/v1/requests/{rid}", headers=api_for("citizen")).get_json()
    assert detail["status"] == "rejected"
    assert detail["answer"].endswith("a fost închisă fără a fi admisă: Petiție clasată.")
