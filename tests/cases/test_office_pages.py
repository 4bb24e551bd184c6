"""What officials see on a task page: the file so far, with what each step decided."""

from __future__ import annotations

import io
import json
from datetime import date

from tests.support.api import complete, ready_task, submit, submitted_to_urbanism
from tests.support.engine import PETITION


def test_the_head_sees_the_proposed_answer_and_the_drafter_sees_the_comment(
    client, api_for, browser_for
):
    rid, draft = submitted_to_urbanism(client, api_for)
    complete(
        client,
        api_for("urbanism"),
        draft["id"],
        {"actiune": "propune_raspuns", "raspuns": "Strada va fi asfaltată în iunie."},
    )
    approval = ready_task(client, api_for("urbanism_head"), rid)
    page = browser_for("urbanism_head").get(f"/birou/sarcini/{approval['id']}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Strada va fi asfaltată în iunie." in html
    assert "Compartimentul competent" in html  # the triage decision, with the form's title
    complete(
        client,
        api_for("urbanism_head"),
        approval["id"],
        {"decizie_sef": "retrimis", "comentariu_sef": "Precizați și trotuarul."},
    )
    redraft = ready_task(client, api_for("urbanism"), rid)
    html = browser_for("urbanism").get(f"/birou/sarcini/{redraft['id']}").get_data(as_text=True)
    assert "Precizați și trotuarul." in html
    # The citizen does not see the office's internal deliberation.
    citizen_page = browser_for("citizen").get(f"/cereri/{rid}").get_data(as_text=True)
    assert "Precizați și trotuarul." not in citizen_page
    assert "Strada va fi asfaltată în iunie." not in citizen_page


def test_form_and_attachment_errors_are_reported_together(client, api_for):
    r = client.post(
        "/api/v1/requests",
        headers=api_for("citizen"),
        content_type="multipart/form-data",
        data={
            "procedure": "petitie",
            "data": json.dumps({**PETITION, "subiect": ""}),
            "anexe": (io.BytesIO(b"just text"), "nota.pdf"),
        },
    )
    assert r.status_code == 422
    assert {e["field"] for e in r.get_json()["errors"]} == {"/subiect", "/attachments/anexe"}


def test_the_inbox_sorts_by_deadline_and_filters_by_who_claimed(
    client, api_for, browser_for, circuit
):
    from sqlalchemy import update

    from engine.models import TaskRecord

    ids = [
        submit(client, api_for("citizen"), {**PETITION, "subiect": f"Petiția {n}"}).get_json()["id"]
        for n in range(3)
    ]
    registry = api_for("registry")
    with circuit.db.transaction() as s:  # the newest request has the nearest deadline
        s.execute(
            update(TaskRecord)
            .where(TaskRecord.request_id == ids[2])
            .values(due_date=date(2026, 12, 1))
        )
    oldest_first = client.get("/api/v1/tasks", headers=registry).get_json()["tasks"]
    assert [t["request_id"] for t in oldest_first] == ids
    by_due = client.get("/api/v1/tasks?sort=due_date", headers=registry).get_json()["tasks"]
    assert [t["request_id"] for t in by_due] == [ids[2], ids[0], ids[1]]
    claimed = ready_task(client, registry, ids[1])["id"]
    r = client.post(
        f"/api/v1/tasks/{claimed}/claim", json={"reason": "Petentul a sunat"}, headers=registry
    )
    assert r.status_code == 200  # an older free task waits: taken with a reason
    mine = client.get("/api/v1/tasks?claimed=mine", headers=registry).get_json()["tasks"]
    assert [t["id"] for t in mine] == [claimed]
    free = client.get("/api/v1/tasks?claimed=free", headers=registry).get_json()["tasks"]
    assert [t["request_id"] for t in free] == [ids[0], ids[2]]
    assert client.get("/api/v1/tasks?sort=x", headers=registry).status_code == 400

    page = browser_for("registry").get("/birou/?ordine=termen&preluare=nepreluate")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'Sarcini de lucru <span class="count">(2)' in html
    assert html.index("Petiția 2") < html.index("Petiția 0") and "Petiția 1" not in html
