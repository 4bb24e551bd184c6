"""The circuit of a request drawn for whoever may see the request: steps done and current."""

from __future__ import annotations

from lxml import etree

from tests.support.api import complete, ready_task, submit, submitted_to_urbanism
from tests.support.engine import TRIAGE_TO_URBANISM

SVG = "{http://www.w3.org/2000/svg}"


def _marks(response) -> dict[str, str]:
    """Return element id → done/current as drawn."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "image/svg+xml"
    svg = etree.fromstring(response.get_data())
    marks = {}
    for g in svg.iter(f"{SVG}g"):
        classes = (g.get("class") or "").split()
        for mark in ("done", "current"):
            if mark in classes:
                marks[g.get("data-element")] = mark
    return marks


def test_the_citizen_sees_the_steps_done_and_the_current_step(client, api_for):
    rid = submit(client, api_for("citizen")).get_json()["id"]
    url = f"/api/v1/requests/{rid}/diagram.svg"
    marks = _marks(client.get(url, headers=api_for("citizen")))
    assert marks["petitie_depusa"] == "done" and marks["triere"] == "current"
    assert "redactare" not in marks
    # Lanes read as a citizen reads them: no department codes, no variables.
    drawing = client.get(url, headers=api_for("citizen")).get_data(as_text=True)
    assert "Solicitantul" in drawing and "Compartimentul competent" in drawing
    assert "{departament}" not in drawing and ">solicitant<" not in drawing
    triage = ready_task(client, api_for("registry"), rid)
    done = complete(client, api_for("registry"), triage["id"], TRIAGE_TO_URBANISM)
    assert done.status_code == 200
    marks = _marks(client.get(url, headers=api_for("citizen")))
    assert marks["triere"] == "done" and marks["gw_triere"] == "done"
    assert marks["redactare"] == "current" and "petitie_clasata" not in marks
    # The official now holding the request sees the same drawing.
    assert _marks(client.get(url, headers=api_for("urbanism"))) == marks


def test_whoever_may_not_see_the_request_gets_404_as_for_a_missing_one(client, api_for):
    rid = submit(client, api_for("citizen")).get_json()["id"]
    other = client.get(f"/api/v1/requests/{rid}/diagram.svg", headers=api_for("citizen2"))
    missing = client.get(f"/api/v1/requests/{rid + 999}/diagram.svg", headers=api_for("citizen2"))
    assert other.status_code == missing.status_code == 404
    assert other.get_json() == missing.get_json()
    # Taxe never touched the request: for taxe it does not exist.
    taxe = client.get(f"/api/v1/requests/{rid}/diagram.svg", headers=api_for("taxe"))
    assert taxe.status_code == 404
    assert client.get(f"/api/v1/requests/{rid}/diagram.svg").status_code == 401


def test_request_pages_show_the_drawing_a_legend_and_the_steps_as_text(
    client, api_for, browser_for
):
    rid, _ = submitted_to_urbanism(client, api_for)
    page = browser_for("citizen").get(f"/cereri/{rid}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Circuitul cererii" in html and "pasul curent" in html and "pași parcurși" in html
    assert 'viewBox="' in html and 'data-element="redactare"' in html
    # The text list says the same as the drawing, in order: done first, then current.
    steps = html.split('class="circuit-steps"')[1].split("</ol>")[0]
    assert steps.index("Repartizare petiție — parcurs") < steps.index(
        "Redactare răspuns — pasul curent"
    )
    office = browser_for("urbanism").get(f"/birou/cereri/{rid}")
    text = office.get_data(as_text=True)
    assert office.status_code == 200 and "Redactare răspuns — pasul curent" in text
    # Another citizen's page is not found, drawing included.
    assert browser_for("citizen2").get(f"/cereri/{rid}").status_code == 404
