"""Departments as data: added by command and page; work never goes to an empty one."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.models import AuditEvent, Request, RequestStatus, TaskRecord, TaskState, User
from engine.people import accounts
from tests.support.api import complete, task_of
from tests.support.api import submit_procedure as submit
from tests.support.cli import circuit as run_cli
from tests.support.designer import Folders, Step, diagram, process, text_form
from tests.support.seed import PASSWORD
from tests.support.web import Browser

PASSWORD_IN = "o-parola-destul-de-lunga\n"


@pytest.mark.slow  # runs the `circuit` command in processes of its own
def test_a_fresh_city_hall_adds_departments_then_officials(tmp_path):
    add_clerk = ["user", "add", "maria@primarie.ro", "--name", "Maria", "--department"]
    r = run_cli([*add_clerk, "registratura"], tmp_path, stdin=PASSWORD_IN)  # first command
    assert r.returncode == 1 and "Compartimentul „registratura” nu există" in r.stderr
    assert "Traceback" not in r.stderr
    r = run_cli(["db", "upgrade"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert "procedura „petitie” trimite lucrări compartimentului „registratura”" in r.stdout

    r = run_cli(["department", "add", "registratura", "--name", "Registratură"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert "Compartiment adăugat: registratura" in r.stdout
    r = run_cli([*add_clerk, "registratura"], tmp_path, stdin=PASSWORD_IN)
    assert r.returncode == 0, r.stderr
    r = run_cli(["department", "add", "Urbanism!", "--name", ""], tmp_path)
    assert r.returncode == 1 and "Codul" in r.stderr and "Denumirea" in r.stderr
    r = run_cli(["department", "add", "registratura", "--name", "Alta"], tmp_path)
    assert r.returncode == 1 and "există deja" in r.stderr
    r = run_cli(["department", "add", "urbanism", "--name", "Urbanism"], tmp_path)
    assert r.returncode == 0, r.stderr

    r = run_cli(["db", "upgrade"], tmp_path)  # the registry now has someone
    # Procedures whose lanes name departments not added yet are refused by name, the rest
    # deployed: once a city hall has departments, a lane naming none is an error.
    assert r.returncode == 1 and "NU a fost instalată" in r.stderr, r.stderr
    assert "compartimentului „registratura”" not in r.stdout

    listing = run_cli(["department", "list"], tmp_path).stdout.splitlines()
    assert len(listing) == 2
    assert "registratura" in listing[0] and "Registratură" in listing[0]
    assert "(1 persoană)" in listing[0]
    assert "urbanism" in listing[1] and "(0 persoane)" in listing[1]


@pytest.fixture
def admin(app, circuit):
    with circuit.db.transaction() as s:
        accounts.create_user(s, "admin@primarie.ro", "Admin", PASSWORD, is_admin=True)
    browser = Browser(app.test_client())
    browser.login("admin@primarie.ro")
    return browser


def test_the_admin_page_adds_departments_and_counts_their_people(admin, browser_for, app):
    page = admin.get("/administrare/compartimente")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'href="/administrare/compartimente"' in html
    assert "Urbanism și Amenajarea Teritoriului" in html
    assert "niciuna — nu poate primi cereri" in html  # stare_civila has nobody

    r = admin.submit(
        "/administrare/compartimente", {"code": "evidenta", "name": "Evidența Persoanelor"}
    )
    assert r.status_code == 302
    html = admin.get("/administrare/compartimente").get_data(as_text=True)
    assert "Compartimentul „Evidența Persoanelor” (evidenta) a fost adăugat." in html
    assert "<code>evidenta</code>" in html

    r = admin.submit("/administrare/compartimente", {"code": "Evidență", "name": "  "})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "Codul trebuie să aibă" in html and "Denumirea este obligatorie." in html
    assert 'value="Evidență"' in html  # what was typed stays in the form

    no_token = app.test_client()
    Browser(no_token).login("admin@primarie.ro")
    r = no_token.post("/administrare/compartimente", data={"code": "fara_csrf", "name": "X"})
    assert r.status_code == 400
    assert browser_for("registry").get("/administrare/compartimente").status_code == 403
    assert app.test_client().get("/administrare/compartimente").status_code == 302


def test_triage_offers_only_departments_with_active_people(client, api_for, circuit):
    rid = submit(client, api_for("citizen"))
    form = task_of(client, api_for("registry"), rid)["form"]
    codes = {o["const"] for o in form["properties"]["departament"]["oneOf"]}
    assert {"urbanism", "taxe", "primar"} <= codes
    assert not codes & {"stare_civila", "asistenta_sociala", "proiecte", "registratura"}

    with circuit.db.transaction() as s:
        user = accounts.create_user(s, "p@primarie.ro", "P", PASSWORD, departments=["proiecte"])
        user_id = user.id
    form = task_of(client, api_for("registry"), rid)["form"]
    assert "proiecte" in {o["const"] for o in form["properties"]["departament"]["oneOf"]}
    with circuit.db.transaction() as s:
        s.get(User, user_id).active = False
    form = task_of(client, api_for("registry"), rid)["form"]
    assert "proiecte" not in {o["const"] for o in form["properties"]["departament"]["oneOf"]}


@pytest.fixture
def routing(circuit, tmp_path):
    """A procedure whose clerk types the department, and whose last step's department is
    read from a variable through the `department` property."""
    folders = Folders(tmp_path / "designer", circuit)
    folders.write_form("rutare_start.json", text_form("Cerere", "text", required=("text",)))
    folders.write_form(
        "rutare_alegere.json",
        text_form("Alegere", "departament", "avizare", required=("departament", "avizare")),
    )
    folders.write_form("rutare_lucru.json", text_form("Lucru", "nota"))
    steps = [
        Step("alegere", "Alegerea compartimentului", form="rutare_alegere.json"),
        Step("lucru", "Lucrul compartimentului", lane="{departament}", form="rutare_lucru.json"),
        Step("aviz", "Avizare", props={"department": "{avizare}"}, form="rutare_lucru.json"),
    ]
    folders.write_diagram("rutare.bpmn", diagram("rutare", process("rutare", steps)))
    folders.entry("rutare", "rutare.bpmn", "rutare_start.json")
    folders.deploy()


def nothing_saved(circuit, rid, task_id):
    with circuit.db.session() as s:
        assert s.get(TaskRecord, task_id).state == TaskState.READY
        assert s.get(Request, rid).status == RequestStatus.REGISTERED
        done = s.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.request_id == rid, AuditEvent.action == "task_completed")
        )
        assert done == 0


def test_routing_to_a_department_with_nobody_is_refused(client, api_for, circuit, routing):
    registry = api_for("registry")
    rid = submit(client, api_for("citizen"), "rutare", {"text": "de rutat"})
    task = task_of(client, registry, rid)

    r = complete(client, registry, task["id"], {"departament": "stare_civila", "avizare": "taxe"})
    assert r.status_code == 422
    [error] = r.get_json()["errors"]
    assert error["field"] == "/departament"
    assert error["message"].startswith("Compartimentul „Stare Civilă” nu are niciun funcționar")
    nothing_saved(circuit, rid, task["id"])
    r = complete(client, registry, task["id"], {"departament": "nu_exista", "avizare": "taxe"})
    assert r.status_code == 422
    assert "„nu_exista”, care nu există" in r.get_json()["errors"][0]["message"]
    nothing_saved(circuit, rid, task["id"])

    r = complete(client, registry, task["id"], {"departament": "urbanism", "avizare": "proiecte"})
    assert r.status_code == 200, r.get_json()
    work = task_of(client, api_for("urbanism"), rid)
    r = complete(client, api_for("urbanism"), work["id"], {"nota": "gata"})
    assert r.status_code == 422  # the next step's `department` property names an empty one
    assert r.get_json()["errors"][0]["field"] == "/avizare"
    assert "Proiecte și Programe" in r.get_json()["errors"][0]["message"]


def test_the_office_page_shows_the_refusal_next_to_the_field(
    client, api_for, browser_for, circuit, routing
):
    rid = submit(client, api_for("citizen"), "rutare", {"text": "de rutat"})
    task = task_of(client, api_for("registry"), rid)
    office = browser_for("registry")
    url = f"/birou/sarcini/{task['id']}"
    r = office.submit(url, {"departament": "asistenta_sociala", "avizare": "taxe"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "Compartimentul „Asistență Socială” nu are niciun funcționar" in html
    assert 'aria-invalid="true"' in html
    nothing_saved(circuit, rid, task["id"])


def test_a_submission_routed_to_an_empty_department_is_refused_before_registration(
    client, api_for, circuit, tmp_path
):
    folders = Folders(tmp_path / "designer", circuit)
    folders.write_form(
        "alege_start.json", text_form("Sesizare", "text", "compartiment", required=("text",))
    )
    steps = [Step("rezolvare", "Rezolvare", lane="{compartiment}", form="alege_start.json")]
    folders.write_diagram("alege.bpmn", diagram("alege", process("alege", steps)))
    folders.entry("alege", "alege.bpmn", "alege_start.json")
    folders.deploy()

    citizen = api_for("citizen")
    r = client.post(
        "/api/v1/requests",
        json={"procedure": "alege", "data": {"text": "x", "compartiment": "proiecte"}},
        headers=citizen,
    )
    assert r.status_code == 422
    assert r.get_json()["errors"][0]["field"] == "/compartiment"
    with circuit.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Request)) == 0
    r = client.post(
        "/api/v1/requests",
        json={"procedure": "alege", "data": {"text": "x", "compartiment": "gospodarie"}},
        headers=citizen,
    )
    assert r.status_code == 201 and r.get_json()["registration"]["number"] == 1  # no gap
