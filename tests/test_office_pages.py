"""What officials see on a task page: the file so far, with what each step decided."""

from __future__ import annotations

import io
import json

from tests.test_api_flow import PETITION, complete, ready_task, submit


def test_the_head_sees_the_proposed_answer_and_the_drafter_sees_the_comment(
    client, api_for, browser_for
):
    rid = submit(client, api_for("citizen")).get_json()["id"]
    triage = ready_task(client, api_for("registry"), rid)
    complete(
        client,
        api_for("registry"),
        triage["id"],
        {"decizie_triere": "repartizare", "departament": "urbanism"},
    )
    draft = ready_task(client, api_for("urbanism"), rid)
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
