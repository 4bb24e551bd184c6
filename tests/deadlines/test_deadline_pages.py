"""The term in words on the citizen's and the official's pages; the official's extension form;
days waiting for the citizen push the due date (suspension); tacit approval flagged."""

from __future__ import annotations

import html as htmlmod
from datetime import timedelta

from sqlalchemy import update

from engine.deadlines.legal_calendar import LegalCalendar
from engine.models import Request, TaskRecord
from engine.platform.timeutil import local_today, utcnow
from engine.workflow.spifftasks import APPLICANT_LANE
from tests.support.api import complete, submitted_to_urbanism
from tests.support.web import Browser

REASON = "Verificări pe teren la trei adrese."


def text(response) -> str:
    return htmlmod.unescape(response.get_data(as_text=True))


def detail(client, headers, rid):
    return client.get(f"/api/v1/requests/{rid}", headers=headers).get_json()


def test_the_official_extends_on_the_request_page_and_the_citizen_reads_it(
    client, api_for, browser_for
):
    rid, _ = submitted_to_urbanism(client, api_for)
    official: Browser = browser_for("urbanism")
    page = text(official.get(f"/birou/cereri/{rid}"))
    assert "Prelungirea termenului" in page and "cel mult 15 zile" in page

    # No reason: the form comes back with the message beside the field, nothing stored.
    refused = official.submit(f"/birou/cereri/{rid}", {"days": "15", "reason": ""},
                              action=f"/birou/cereri/{rid}/prelungire")  # fmt: skip
    assert refused.status_code == 422
    assert "Scrieți motivul prelungirii" in text(refused)
    assert detail(client, api_for("citizen"), rid)["deadline"]["extended_by_days"] == 0

    done = official.submit(f"/birou/cereri/{rid}", {"days": "15", "reason": REASON},
                           action=f"/birou/cereri/{rid}/prelungire")  # fmt: skip
    assert done.status_code == 302
    due = LegalCalendar().deadline(local_today(), 45)
    page = text(official.get(f"/birou/cereri/{rid}"))
    assert f"prelungit până la {due:%d.%m.%Y}" in page  # the flash
    assert "Termenul a fost prelungit cu 15 zile." in page
    assert "Prelungirea termenului" not in page  # a petition is extended once
    assert "Termen prelungit cu 15 zile" in page  # the history

    mine = text(browser_for("citizen").get(f"/cereri/{rid}"))
    assert f"{due:%d.%m.%Y}" in mine and "Termenul a fost prelungit cu 15 zile." in mine
    assert "zile până la termen" in mine

    # Another department's official cannot extend it (the request does not exist for them).
    other = browser_for("taxe").submit("/birou/", {"days": "5", "reason": REASON},
                                       action=f"/birou/cereri/{rid}/prelungire")  # fmt: skip
    assert other.status_code == 404


def test_days_waiting_for_the_citizen_push_the_due_date(client, api_for, browser_for, circuit):
    citizen, urbanism = api_for("citizen"), api_for("urbanism")
    rid, draft = submitted_to_urbanism(client, api_for)
    start = detail(client, citizen, rid)["due_date"]
    r = complete(client, urbanism, draft["id"],
                 {"actiune": "cere_completari", "mesaj_solicitant": "Ce bloc?"})  # fmt: skip
    assert r.status_code == 200, r.get_json()
    # The question was put 4 days ago.
    asked = utcnow() - timedelta(days=4)
    with circuit.db.transaction() as s:
        s.execute(
            update(TaskRecord)
            .where(TaskRecord.request_id == rid, TaskRecord.department == APPLICANT_LANE)
            .values(created_at=asked)
        )
    waiting = detail(client, citizen, rid)["deadline"]
    assert waiting["suspended_days"] == 4 and waiting["overdue"] is False
    page = text(browser_for("citizen").get(f"/cereri/{rid}"))
    assert "Termenul este suspendat cât timp cererea așteaptă completările dumneavoastră" in page

    r = client.post(f"/api/v1/requests/{rid}/reply", json={"text": "Blocul A2."}, headers=citizen)
    assert r.status_code == 200, r.get_json()
    after = detail(client, citizen, rid)
    reg = local_today()
    expected = LegalCalendar().deadline(reg, 34).isoformat()
    assert after["deadline"]["suspended_days"] == 4
    assert after["due_date"] == after["deadline"]["due_date"] == expected != start
    # The stored date moved too: the department's inbox shows it.
    task = [t for t in client.get("/api/v1/tasks", headers=urbanism).get_json()["tasks"]
            if t["request_id"] == rid]  # fmt: skip
    assert task and task[0]["due_date"] == expected
    page = text(browser_for("urbanism").get(f"/birou/cereri/{rid}"))
    assert "Cele 4 zile în care cererea a așteptat completările petentului" in page


def test_an_overdue_urbanism_certificate_warns_officials_of_tacit_approval(
    client, api_for, browser_for, circuit
):
    from tests.support.api import PDF

    citizen = api_for("citizen")
    import io
    import json

    data = {
        "scop": "construire",
        "adresa_imobil": "Str. Morilor nr. 5, Cluj-Napoca",
        "inscris_cf": "da",
        "numar_carte_funciara": "60123",
        "numar_cadastral": "60123",
        "suprafata_teren": 400,
        "descriere": "Construirea unei locuințe P+1 cu garaj.",
    }
    r = client.post(
        "/api/v1/requests",
        headers=citizen,
        content_type="multipart/form-data",
        data={
            "procedure": "certificat_urbanism",
            "data": json.dumps(data),
            "plan_situatie": (io.BytesIO(PDF), "plan.pdf"),
            "extras_carte_funciara": (io.BytesIO(PDF), "cf.pdf"),
            "plan_cadastral": (io.BytesIO(PDF), "cadastral.pdf"),
        },
    )
    assert r.status_code == 201, r.get_json()
    rid = r.get_json()["id"]
    day = local_today() - timedelta(days=30)
    with circuit.db.transaction() as s:
        s.execute(update(Request).where(Request.id == rid).values(registration_date=day))
    body = detail(client, citizen, rid)["deadline"]
    assert body["overdue"] is True and body["tacit_approval_may_apply"] is True
    official = text(browser_for("registry").get(f"/birou/cereri/{rid}"))
    assert "poate interveni aprobarea tacită" in official
    assert "Poate interveni aprobarea tacită (OUG 27/2003)" in official
    assert "aprobarea tacită" not in text(browser_for("citizen").get(f"/cereri/{rid}"))
