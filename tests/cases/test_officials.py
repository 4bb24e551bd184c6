"""Fair inboxes: claims in order or with a reason, assignment, redirects, the history."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, insert, select, update

from engine.models import AuditEvent, TaskRecord, User
from engine.people import accounts
from engine.platform.timeutil import local_today
from tests.support.api import complete, ready_task, submit, submitted_to_urbanism
from tests.support.engine import PETITION
from tests.support.seed import PASSWORD
from tests.support.web import Browser


def three_petitions(client, api_for):
    return [
        submit(client, api_for("citizen"), {**PETITION, "subiect": f"Petiția {n}"}).get_json()["id"]
        for n in range(3)
    ]


def claim(client, headers, task_id, **body):
    return client.post(f"/api/v1/tasks/{task_id}/claim", json=body, headers=headers)


def test_skipping_an_older_free_task_needs_a_reason_and_the_reason_is_kept(client, api_for):
    ids = three_petitions(client, api_for)
    registry = api_for("registry")
    oldest, newest = ready_task(client, registry, ids[0]), ready_task(client, registry, ids[2])
    r = claim(client, registry, newest["id"])
    assert r.status_code == 409
    body = r.get_json()
    assert body["error"] == "out_of_order" and body["older_task"]["id"] == oldest["id"]
    assert body["older_task"]["registration"] == oldest["registration"]["display"]
    assert "mai veche" in body["message"]
    r = claim(client, registry, newest["id"], reason="Petentul a venit la ghișeu, urgent")
    assert r.status_code == 200
    # The oldest is taken in order, without a reason; then the middle one is next in line.
    assert claim(client, registry, oldest["id"]).status_code == 200
    middle = ready_task(client, registry, ids[1])
    assert claim(client, api_for("registry_head"), middle["id"]).status_code == 200
    history = client.get(f"/api/v1/requests/{ids[2]}/history", headers=registry).get_json()
    claimed = [e for e in history["events"] if e["action"] == "task_claimed"]
    assert claimed[0]["reason"] == "Petentul a venit la ghișeu, urgent"
    assert claimed[0]["by"] == "Maria Dumitrescu"


def test_inbox_marks_days_left_at_risk_and_overdue(client, api_for, circuit):
    ids = three_petitions(client, api_for)
    today = local_today()
    with circuit.db.transaction() as s:
        for rid, due in ((ids[0], today - timedelta(days=1)), (ids[1], today + timedelta(days=3))):
            s.execute(update(TaskRecord).where(TaskRecord.request_id == rid).values(due_date=due))
    tasks = client.get("/api/v1/tasks", headers=api_for("registry")).get_json()["tasks"]
    marks = [(t["days_left"], t["at_risk"], t["overdue"]) for t in tasks]
    assert marks[0] == (-1, False, True) and marks[1] == (3, True, False)
    assert marks[2][0] > 5 and marks[2][1:] == (False, False)
    html = Browser(client)
    html.login("registratura@primarie.ro")
    page = html.get("/birou/").get_data(as_text=True)
    assert "depășit cu 1 zi" in page and "3 zile rămase" in page


def test_the_head_assigns_a_task_and_reassigns_it(client, api_for, people):
    rid = three_petitions(client, api_for)[0]
    task = ready_task(client, api_for("registry"), rid)
    url = f"/api/v1/tasks/{task['id']}/assign"
    r = client.post(url, json={"user_id": people["registry"]}, headers=api_for("registry"))
    assert r.status_code == 403  # only the head assigns
    r = client.post(url, json={"user_id": people["taxe"]}, headers=api_for("registry_head"))
    assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "/user_id"
    r = client.post(url, json={"user_id": people["registry"]}, headers=api_for("registry_head"))
    assert r.status_code == 200 and r.get_json()["claimed_by"] == "Maria Dumitrescu"
    r = client.post(
        url, json={"user_id": people["registry_head"]}, headers=api_for("registry_head")
    )
    assert r.get_json()["claimed_by"] == "Doina Preda"
    history = client.get(f"/api/v1/requests/{rid}/history", headers=api_for("registry")).get_json()
    assigned = [e["assigned_to_name"] for e in history["events"] if e["action"] == "task_assigned"]
    assert assigned == ["Maria Dumitrescu", "Doina Preda"]


def test_a_redirected_petition_continues_in_the_new_department(client, api_for, circuit):
    rid, task = submitted_to_urbanism(client, api_for)
    urbanism, taxe = api_for("urbanism"), api_for("taxe")
    url = f"/api/v1/tasks/{task['id']}/redirect"
    assert (
        client.post(url, json={"department": "taxe", "reason": "x"}, headers=taxe).status_code
        == 403
    )
    assert claim(client, urbanism, task["id"]).status_code == 200
    r = client.post(url, json={"department": "taxe"}, headers=urbanism)
    assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "/reason"
    reason = "Este o problemă de impozit pe clădiri, nu de urbanism."
    r = client.post(url, json={"department": "taxe", "reason": reason}, headers=urbanism)
    assert r.status_code == 200, r.get_json()
    assert not [t for t in client.get("/api/v1/tasks", headers=urbanism).get_json()["tasks"]]
    moved = ready_task(client, taxe, rid)
    assert moved["claimed_by"] is None
    answer = {"actiune": "propune_raspuns", "raspuns": "Impozitul a fost recalculat."}
    assert complete(client, taxe, moved["id"], answer).status_code == 200
    # The next step follows the redirect: the head of taxe approves.
    approval = ready_task(client, api_for("taxe_head"), rid)
    assert approval["department"] == "taxe"
    history = client.get(f"/api/v1/requests/{rid}/history", headers=taxe).get_json()
    redirect = [e for e in history["events"] if e["action"] == "task_redirected"][0]
    assert (redirect["source"], redirect["department"], redirect["reason"]) == (
        "urbanism",
        "taxe",
        reason,
    )
    assert redirect["by"] == "Andrei Stan"
    assert [s["department"] for s in history["steps"]] == ["registratura", "taxe", "taxe"]
    # Each step names its task: the open one is the approval the head now has in the inbox.
    assert [s["id"] for s in history["steps"] if s["state"] == "ready"] == [approval["id"]]
    with circuit.db.session() as s:
        assert s.scalar(select(AuditEvent.id).where(AuditEvent.action == "task_redirected"))


def test_the_history_reads_the_names_of_those_who_acted_not_every_account(client, api_for, circuit):
    """A county has hundreds of thousands of accounts: the history names its actors only."""
    rid = three_petitions(client, api_for)[0]
    registry = api_for("registry")
    task = ready_task(client, registry, rid)
    triage = {"decizie_triere": "repartizare", "departament": "urbanism"}
    assert complete(client, registry, task["id"], triage).status_code == 200
    with circuit.db.transaction() as s:  # many more accounts than acted on the request
        s.execute(
            insert(User),
            [
                {"email": f"locuitor{k}@example.ro", "name": f"Locuitor {k}", "password_hash": "x"}
                for k in range(2000)
            ],  # fmt: skip
        )
    users_read: list[str] = []

    def count_users(conn, cursor, statement, *_):
        if "FROM users" in statement:
            users_read.append(" ".join(statement.split()))

    event.listen(circuit.db.engine, "after_cursor_execute", count_users)
    try:
        history = client.get(f"/api/v1/requests/{rid}/history", headers=registry).get_json()
    finally:
        event.remove(circuit.db.engine, "after_cursor_execute", count_users)
    done = [s for s in history["steps"] if s["completed_by"]]
    assert [s["completed_by"] for s in done] == ["Maria Dumitrescu"]
    assert {e["by"] for e in history["events"] if e["action"] == "task_completed"} == {
        "Maria Dumitrescu"
    }
    # Each read of accounts picks some by id or token; none lists them all.
    assert users_read and all(" WHERE " in statement for statement in users_read)


def test_citizens_get_no_history(client, api_for):
    rid = three_petitions(client, api_for)[0]
    r = client.get(f"/api/v1/requests/{rid}/history", headers=api_for("citizen"))
    assert r.status_code == 404


def test_an_administrator_lands_on_the_overview(app, circuit):
    with circuit.db.transaction() as s:
        accounts.create_user(s, "admin@primarie.ro", "Ana Admin", PASSWORD, is_admin=True)
    browser = Browser(app.test_client())
    r = browser.login("admin@primarie.ro")
    assert r.location.endswith("/administrare/")
    html = browser.get(r.location).get_data(as_text=True)
    assert "Privire de ansamblu" in html


def test_the_inbox_pages_ask_for_a_reason_and_let_the_head_assign_and_redirect(
    client, api_for, browser_for, people
):
    ids = three_petitions(client, api_for)
    newest = ready_task(client, api_for("registry"), ids[2])["id"]
    official = browser_for("registry")
    page = official.submit(
        f"/birou/sarcini/{newest}", {}, action=f"/birou/sarcini/{newest}/preluare"
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 409 and "O cerere mai veche așteaptă" in html
    r = official.submit(
        f"/birou/sarcini/{newest}",
        {"reason": "Cerere urgentă a primarului"},
        action=f"/birou/sarcini/{newest}/preluare",
    )
    assert r.status_code == 302
    html = official.get(f"/birou/cereri/{ids[2]}").get_data(as_text=True)
    assert "Istoricul cererii" in html and "Motiv: Cerere urgentă a primarului" in html

    head = browser_for("registry_head")
    oldest = ready_task(client, api_for("registry"), ids[0])["id"]
    task_page = head.get(f"/birou/sarcini/{oldest}").get_data(as_text=True)
    assert "Repartizare (șef de compartiment)" in task_page and "Redirecționare" in task_page
    r = head.submit(
        f"/birou/sarcini/{oldest}",
        {"user_id": str(people["registry"])},
        action=f"/birou/sarcini/{oldest}/repartizare",
    )
    assert r.status_code == 302
    assert ready_task(client, api_for("registry"), ids[0])["claimed_by"] == "Maria Dumitrescu"
    r = head.submit(
        f"/birou/sarcini/{oldest}",
        {"department": "juridic", "reason": "Contestație: o soluționează juridicul."},
        action=f"/birou/sarcini/{oldest}/redirectionare",
    )
    assert r.status_code == 302
    moved = ready_task(client, api_for("juridic"), ids[0])
    assert moved["department"] == "juridic"
    inbox = official.get("/birou/").get_data(as_text=True)
    assert "zile rămase" in inbox


def test_an_absent_official_gets_nothing_assigned(client, api_for, people, browser_for):
    rid = three_petitions(client, api_for)[0]
    task = ready_task(client, api_for("registry"), rid)
    today = local_today()
    absence = {
        "user_id": people["registry"],
        "from": (today - timedelta(days=1)).isoformat(),
        "to": (today + timedelta(days=6)).isoformat(),
        "reason": "concediu de odihnă",
    }
    r = client.post("/api/v1/absences", json=absence, headers=api_for("urbanism_head"))
    assert r.status_code == 403  # not her head
    r = client.post(
        "/api/v1/absences", json={**absence, "reason": ""}, headers=api_for("registry_head")
    )
    assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "/reason"
    assert (
        client.post("/api/v1/absences", json=absence, headers=api_for("registry_head")).status_code
        == 201
    )
    r = client.post(
        f"/api/v1/tasks/{task['id']}/assign",
        json={"user_id": people["registry"]},
        headers=api_for("registry_head"),
    )
    assert r.status_code == 422
    until = (today + timedelta(days=6)).strftime("%d.%m.%Y")
    assert f"Maria Dumitrescu lipsește până la {until}" in r.get_json()["errors"][0]["message"]
    page = browser_for("registry_head").get(f"/birou/sarcini/{task['id']}").get_data(as_text=True)
    assert "Doina Preda</option>" in page and "Maria Dumitrescu</option>" not in page


def test_supervisors_see_every_request_and_other_departments_do_not(client, api_for):
    rid, _ = submitted_to_urbanism(client, api_for)
    for who in ("secretar", "primar", "registry", "urbanism"):
        assert client.get(f"/api/v1/requests/{rid}", headers=api_for(who)).status_code == 200, who
        listed = client.get("/api/v1/requests", headers=api_for(who)).get_json()["requests"]
        assert [r["id"] for r in listed] == [rid], who
    assert client.get(f"/api/v1/requests/{rid}", headers=api_for("taxe")).status_code == 404
    assert client.get("/api/v1/requests", headers=api_for("taxe")).get_json()["requests"] == []


def test_a_petition_for_another_authority_is_forwarded_and_the_citizen_told(
    client, api_for, circuit, people
):
    rid, task = submitted_to_urbanism(client, api_for)
    urbanism, citizen = api_for("urbanism"), api_for("citizen")
    url = f"/api/v1/tasks/{task['id']}/forward"
    # Only the department that holds the task may forward it.
    assert client.post(url, json={"authority": "X"}, headers=api_for("taxe")).status_code == 404
    assert claim(client, urbanism, task["id"]).status_code == 200
    r = client.post(url, json={"authority": " ", "reason": ""}, headers=urbanism)
    assert r.status_code == 422
    assert [e["field"] for e in r.get_json()["errors"]] == ["/authority", "/reason"]
    authority = "Administrația Bazinală de Apă Jiu"
    reason = "Albia râului ține de administrația apelor, nu de primărie."
    r = client.post(url, json={"authority": authority, "reason": reason}, headers=urbanism)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["request"]["status"] == "completed"

    seen = client.get(f"/api/v1/requests/{rid}", headers=citizen).get_json()
    assert seen["status"] == "completed" and authority in seen["answer"]
    assert "art. 6 alin. (2)" in seen["answer"] and reason in seen["answer"]
    notes = client.get("/api/v1/me/notifications", headers=citizen).get_json()["notifications"]
    assert any("transmisă către " + authority in n["text"] for n in notes)
    assert not client.get("/api/v1/tasks", headers=urbanism).get_json()["tasks"]
    # The letter to the authority is an outgoing register entry linked to the petition.
    rows = client.get("/api/v1/registry/entries", headers=api_for("registry")).get_json()
    [letter] = [e for e in rows["entries"] if e["direction"] == "out"]
    [petition] = [e for e in rows["entries"] if e["direction"] == "in"]
    assert letter["recipient"] == authority
    assert petition["answered_by"] == letter["display"]
    history = client.get(f"/api/v1/requests/{rid}/history", headers=urbanism).get_json()
    forwarded = [e for e in history["events"] if e["action"] == "request_forwarded"]
    assert forwarded and forwarded[0]["authority"] == authority
    assert forwarded[0]["reason"] == reason and forwarded[0]["by"] == "Andrei Stan"
    again = client.post(url, json={"authority": authority, "reason": reason}, headers=urbanism)
    assert again.status_code == 409


def test_the_task_page_forwards_to_another_authority(client, api_for, browser_for):
    rid, task = submitted_to_urbanism(client, api_for)
    official = browser_for("urbanism_head")
    page = official.get(f"/birou/sarcini/{task['id']}").get_data(as_text=True)
    assert "Transmitere către altă autoritate" in page
    r = official.submit(
        f"/birou/sarcini/{task['id']}",
        {"authority": "Consiliul Județean Hunedoara", "reason": "Drumul județean DJ 666."},
        action=f"/birou/sarcini/{task['id']}/transmitere",
    )
    assert r.status_code == 302
    inbox = official.get(r.location).get_data(as_text=True)
    assert "a fost transmisă autorității competente" in inbox
    seen = client.get(f"/api/v1/requests/{rid}", headers=api_for("citizen")).get_json()
    assert "Consiliul Județean Hunedoara" in seen["answer"]


def test_completing_an_unclaimed_task_out_of_order_needs_a_reason_too(client, api_for, browser_for):
    ids = three_petitions(client, api_for)
    registry = api_for("registry")
    oldest, newest = ready_task(client, registry, ids[0]), ready_task(client, registry, ids[2])
    triage = {"decizie_triere": "repartizare", "departament": "urbanism"}
    assert claim(client, registry, newest["id"]).status_code == 409
    # Completing without taking it first is refused the same way, and nothing changes.
    r = complete(client, registry, newest["id"], triage)
    assert r.status_code == 409
    body = r.get_json()
    assert body["error"] == "out_of_order" and body["older_task"]["id"] == oldest["id"]
    assert ready_task(client, registry, ids[2])["claimed_by"] is None
    # On the office page too: "Finalizez" without taking it gives the form back, asking why.
    official = browser_for("registry")
    page = official.submit(f"/birou/sarcini/{newest['id']}", triage)
    html = page.get_data(as_text=True)
    assert page.status_code == 409
    assert f"cererea mai veche nr. {oldest['registration']['display']}" in html
    assert 'name="reason"' in html
    assert ready_task(client, registry, ids[2])["claimed_by"] is None
    # With a reason it is claimed, completed, and the reason kept in the history.
    why = "Petentul a venit la ghișeu cu actele complete"
    r = client.post(
        f"/api/v1/tasks/{newest['id']}/complete",
        json={"data": triage, "reason": why},
        headers=registry,
    )
    assert r.status_code == 200, r.get_json()
    history = client.get(f"/api/v1/requests/{ids[2]}/history", headers=registry).get_json()
    claimed = [e for e in history["events"] if e["action"] == "task_claimed"]
    assert [(e["reason"], e["by"]) for e in claimed] == [(why, "Maria Dumitrescu")]
    # The web form takes the reason as well.
    middle = ready_task(client, registry, ids[1])
    r = official.submit(
        f"/birou/sarcini/{middle['id']}", {**triage, "reason": "Cerere urgentă a primarului"}
    )
    assert r.status_code == 302
    html = official.get(f"/birou/cereri/{ids[1]}").get_data(as_text=True)
    assert "Motiv: Cerere urgentă a primarului" in html
    # In order, no reason is asked.
    assert complete(client, registry, oldest["id"], triage).status_code == 200


def test_a_task_is_not_redirected_to_a_department_nobody_works_in(client, api_for, browser_for):
    rid, task = submitted_to_urbanism(client, api_for)
    head = api_for("urbanism_head")
    url = f"/api/v1/tasks/{task['id']}/redirect"
    why = "Este o chestiune de stare civilă, nu de urbanism."
    r = client.post(url, json={"department": "stare_civila", "reason": why}, headers=head)
    assert r.status_code == 422
    errors = r.get_json()["errors"]
    assert [e["field"] for e in errors] == ["/department"]
    assert "nu are niciun funcționar" in errors[0]["message"]
    assert ready_task(client, api_for("urbanism"), rid)["department"] == "urbanism"
    # The head's page: the same refusal next to the field, the task stays where it was.
    web = browser_for("urbanism_head")
    page = web.get(f"/birou/sarcini/{task['id']}").get_data(as_text=True)
    assert 'value="stare_civila"' not in page, "empty departments are not offered"
    r = web.submit(
        f"/birou/sarcini/{task['id']}",
        {"department": "stare_civila", "reason": why},
        action=f"/birou/sarcini/{task['id']}/redirectionare",
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "nu are niciun funcționar" in html
    assert ready_task(client, api_for("urbanism"), rid)["department"] == "urbanism"
    # A step reserved for heads does not go where nobody heads the department.
    answer = {"actiune": "propune_raspuns", "raspuns": "Am verificat autorizația."}
    assert complete(client, api_for("urbanism"), task["id"], answer).status_code == 200
    approval = ready_task(client, head, rid)
    r = client.post(
        f"/api/v1/tasks/{approval['id']}/redirect",
        json={"department": "politia_locala", "reason": "Constatarea o face poliția locală."},
        headers=head,
    )
    assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "/department"
    assert "nu are șef" in r.get_json()["errors"][0]["message"]
    r = client.post(
        f"/api/v1/tasks/{approval['id']}/redirect",
        json={"department": "juridic", "reason": "Aprobarea o dă juridicul."},
        headers=head,
    )
    assert r.status_code == 200, r.get_json()


def test_a_step_reserved_for_heads_is_listed_only_to_heads(client, api_for, browser_for):
    rid, task = submitted_to_urbanism(client, api_for)
    urbanism, head = api_for("urbanism"), api_for("urbanism_head")
    answer = {"actiune": "propune_raspuns", "raspuns": "Autorizația este în regulă."}
    assert complete(client, urbanism, task["id"], answer).status_code == 200
    approval = ready_task(client, head, rid)  # the head sees the approval step
    assert approval["name"] and approval["department"] == "urbanism"
    tasks = client.get("/api/v1/tasks", headers=urbanism).get_json()["tasks"]
    assert [t for t in tasks if t["request_id"] == rid] == []
    # The ordinary official's page neither lists nor counts it; the head's does.
    official = browser_for("urbanism").get("/birou/").get_data(as_text=True)
    assert 'Sarcini de lucru <span class="count">(0)</span>' in official
    assert approval["id"] not in official
    chief = browser_for("urbanism_head").get("/birou/").get_data(as_text=True)
    assert 'Sarcini de lucru <span class="count">(1)</span>' in chief
    assert approval["id"] in chief
    # Nor is it the "older task" that an ordinary official must take first.
    _, second = submitted_to_urbanism(client, api_for)
    assert claim(client, urbanism, second["id"]).status_code == 200
