"""People and departments on the admin pages: added, renamed, moved, deactivated and
reactivated by an administrator, every change in the log, nothing half-stored."""

from __future__ import annotations

from email.header import decode_header, make_header
from typing import Any

import pytest
from sqlalchemy import func, select

from engine.models import ApiToken, AuditEvent, Department, TaskRecord, User, WebSession
from engine.people import accounts, organisation, staff
from engine.platform.errors import Conflict, Forbidden
from tests.support.api import complete, submit_procedure, task_of
from tests.support.citizens import body, link
from tests.support.designer import Folders, Step, diagram, process, text_form
from tests.support.seed import PASSWORD
from tests.support.web import Browser, Pages

ADMIN = "admin@primarie.ro"


@pytest.fixture
def admin(app: Any, circuit: Any) -> Browser:
    with circuit.db.transaction() as s:
        accounts.create_user(s, ADMIN, "Ana Administrator", PASSWORD, is_admin=True)
    browser = Browser(app.test_client())
    browser.login(ADMIN)
    return browser


def official(circuit: Any, email: str, name: str, departments: list[str], **kw: Any) -> int:
    with circuit.db.transaction() as s:
        return accounts.create_user(s, email, name, PASSWORD, departments=departments, **kw).id


def department(circuit: Any, code: str, name: str) -> None:
    with circuit.db.transaction() as s:
        organisation.ensure_department(s, code, name)


def user(circuit: Any, user_id: int) -> User:
    with circuit.db.session() as s:
        found = s.get(User, user_id)
        assert found is not None
        found.departments  # noqa: B018  # loaded before the session closes
        return found


def users_named(circuit: Any, email: str) -> int:
    with circuit.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(User).where(User.email == email)))


def test_an_admin_adds_an_official_who_chooses_the_password_from_a_mailed_link(
    admin, app, circuit, mailbox
):
    pages = Pages()
    html = pages.get(admin, "/administrare/personal/nou")
    assert "Urbanism și Amenajarea Teritoriului" in html and 'name="csrf_token"' in html
    r = admin.submit(
        "/administrare/personal/nou",
        {"name": "  Dan   Pavel ", "email": "Dan.Pavel@Primarie.ro", "departments": "urbanism",
         "heads": "taxe"},
    )  # fmt: skip
    assert r.status_code == 302
    html = pages.get(admin, r.location)
    assert "Contul lui Dan Pavel a fost creat" in html and "dan.pavel@primarie.ro" in html
    with circuit.db.session() as s:
        dan = s.scalar(select(User).where(User.email == "dan.pavel@primarie.ro"))
        assert dan.departments == ["taxe", "urbanism"] and dan.head_of == ["taxe"]
        assert not dan.is_admin

    [mail] = mailbox.to("dan.pavel@primarie.ro")
    text = body(mail)
    assert (
        "alegeți parola" in str(make_header(decode_header(mail["Subject"])))
        and "Bună ziua, Dan Pavel" in text
    )
    assert "parol" in text and PASSWORD not in text
    path = link(mail, "/cont/activare/")
    new = Browser(app.test_client())
    assert new.get(path).status_code == 200
    r = new.submit(path, {"password": "toamna-la-primarie-7", "password2": "toamna-la-primarie-7"})
    assert r.status_code == 302
    assert new.get(path).status_code == 400  # once only
    new.login("dan.pavel@primarie.ro", "toamna-la-primarie-7")
    assert "Sarcini" in new.get("/birou/").get_data(as_text=True)

    html = pages.get(admin, "/administrare/jurnal")
    assert "Cont creat" in html and "Ana Administrator" in html and "Dan Pavel" in html
    assert "Taxe și Impozite Locale (șef)" in html
    pages.check_all()


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"name": " ", "email": "x@primarie.ro", "departments": "taxe"}, "name", "numele"),
        (
            {"name": "Radu", "email": "taxe@primarie.ro", "departments": "taxe"},
            "email",
            "Există deja un cont cu această adresă",
        ),
        ({"name": "Radu", "email": "r@primarie.ro", "departments": "nu_exista"}, "departments",
         "Compartimentul „nu_exista” nu există."),
        ({"name": "Radu", "email": "r@primarie.ro"}, "departments", "Alegeți cel puțin"),
    ],
)  # fmt: skip
def test_bad_input_stores_nothing_and_says_why(admin, circuit, form, field, message):
    before = users_named(circuit, form["email"]), audited(circuit)
    r = admin.submit("/administrare/personal/nou", form)
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert message in html and 'href="#f-' + field + '"' in html
    assert (users_named(circuit, form["email"]), audited(circuit)) == before


def audited(circuit: Any) -> int:
    with circuit.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def test_the_list_searches_by_name_without_diacritics_filters_and_pages(admin, circuit):
    department(circuit, "evidenta_test", "Evidența Persoanelor")
    for i in range(30):
        official(circuit, f"ev{i:02d}@primarie.ro", f"Ștefan Evidență {i:02d}", ["evidenta_test"])
    html = admin.get("/administrare/personal?departament=evidenta_test").get_data(as_text=True)
    assert 'Personal <span class="count">(30)</span>' in html
    assert "Ștefan Evidență 00" in html and "Ștefan Evidență 25" not in html
    assert "Pagina 1 din 2" in html
    html = admin.get("/administrare/personal?departament=evidenta_test&pagina=2").get_data(
        as_text=True
    )
    assert "Ștefan Evidență 25" in html and "Ștefan Evidență 00" not in html
    html = admin.get("/administrare/personal?q=stefan+evidenta+07").get_data(as_text=True)
    assert "Ștefan Evidență 07" in html and "(1)" in html
    html = admin.get("/administrare/personal?q=ev12%40primarie").get_data(as_text=True)
    assert "Ștefan Evidență 12" in html
    html = admin.get("/administrare/personal?q=serban").get_data(as_text=True)
    assert "Ioana Șerban" in html  # a seeded head of department, found without diacritics
    assert "Ion Popescu" not in admin.get("/administrare/personal").get_data(as_text=True)


def test_rename_and_roles_are_saved_and_logged(admin, circuit):
    uid = official(circuit, "ion.radu@primarie.ro", "Ion Radu", ["taxe"])
    url = f"/administrare/personal/{uid}"
    r = admin.submit(url, {"name": "Ion Radu-Marin"}, action=f"{url}/nume")
    assert r.status_code == 302
    r = admin.submit(url, {"name": ""}, action=f"{url}/nume")
    assert r.status_code == 422 and "Scrieți numele complet." in r.get_data(as_text=True)
    r = admin.submit(
        url, {"departments": ["urbanism"], "heads": ["urbanism"], "is_admin": "1"},
        action=f"{url}/roluri",
    )  # fmt: skip
    assert r.status_code == 302
    found = user(circuit, uid)
    assert found.name == "Ion Radu-Marin" and found.is_admin
    assert found.departments == ["urbanism"] and found.head_of == ["urbanism"]
    r = admin.submit(url, {"departments": ["nu_exista"]}, action=f"{url}/roluri")
    assert r.status_code == 422 and "„nu_exista” nu există" in r.get_data(as_text=True)
    assert user(circuit, uid).departments == ["urbanism"]  # nothing half-changed

    html = admin.get("/administrare/jurnal").get_data(as_text=True)
    assert "„Ion Radu” → „Ion Radu-Marin”" in html
    assert "Taxe și Impozite Locale → Urbanism și Amenajarea Teritoriului (șef), administrator" in (
        html
    )


def test_an_admin_cannot_deactivate_themselves_nor_remove_the_last_admin(admin, circuit):
    with circuit.db.session() as s:
        me = s.scalar(select(User.id).where(User.email == ADMIN))
    html = admin.get(f"/administrare/personal/{me}/dezactivare").get_data(as_text=True)
    assert "Nu vă puteți dezactiva propriul cont." in html and "button-danger" not in html
    r = admin.submit(
        f"/administrare/personal/{me}", {}, action=f"/administrare/personal/{me}/dezactivare"
    )
    assert r.status_code == 409 and user(circuit, me).active
    r = admin.submit(
        f"/administrare/personal/{me}",
        {"departments": "taxe"},
        action=f"/administrare/personal/{me}/roluri",
    )
    assert r.status_code == 409
    assert "Nu vă puteți retrage singur dreptul" in r.get_data(as_text=True)


def test_the_last_active_administrator_stays(circuit):
    only = official(circuit, "a1@primarie.ro", "Singurul Admin", [], is_admin=True)
    clerk = official(circuit, "c@primarie.ro", "Funcționar", ["taxe"])
    with circuit.db.session() as s:
        # an administrator who is not an account here (as the command line would act)
        outside = User(id=10**9, name="Din consolă", email="-", is_admin=True, active=True)
        with pytest.raises(Conflict, match="singurul administrator activ"):
            staff.deactivate(s, circuit, outside, only)
        with pytest.raises(Conflict, match="singurul administrator activ"):
            staff.set_roles(s, circuit, outside, only, departments=["taxe"], is_admin=False)
        assert s.get(User, only).active and s.get(User, only).is_admin
        with pytest.raises(Forbidden):
            staff.rename(s, s.get(User, clerk), only, "Alt nume")
        with pytest.raises(Forbidden):
            organisation.rename_department(s, s.get(User, clerk), "taxe", "Alt nume")


@pytest.fixture
def avize(circuit, tmp_path):
    """A procedure whose second step is worked in a department of its own (`avize`)."""
    department(circuit, "avize", "Avize și Acorduri")
    folders = Folders(tmp_path / "designer", circuit)
    folders.write_form("aviz_start.json", text_form("Cerere de aviz", "text", required=("text",)))
    folders.write_form("aviz_lucru.json", text_form("Lucru", "nota"))
    steps = [
        Step("primire", "Primirea cererii", form="aviz_lucru.json"),
        Step("avizare", "Avizarea", lane="avize", form="aviz_lucru.json"),
    ]
    folders.write_diagram("aviz.bpmn", diagram("aviz", process("aviz", steps)))
    folders.entry("aviz", "aviz.bpmn", "aviz_start.json", title="Aviz de test")
    folders.deploy()


def test_deactivating_ends_sign_ins_returns_tasks_and_warns_of_an_empty_department(
    admin, app, client, api_for, circuit, avize
):
    uid = official(circuit, "avizator@primarie.ro", "Paul Avizator", ["avize"])
    rid = submit_procedure(client, api_for("citizen"), "aviz", {"text": "un aviz"})
    r = complete(client, api_for("registry"), task_of(client, api_for("registry"), rid)["id"], {})
    assert r.status_code == 200, r.get_json()
    his = Browser(app.test_client())
    his.login("avizator@primarie.ro")
    token = client.post(
        "/api/v1/auth/token", json={"email": "avizator@primarie.ro", "password": PASSWORD}
    ).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    task = task_of(client, headers, rid)
    assert client.post(f"/api/v1/tasks/{task['id']}/claim", headers=headers).status_code == 200

    url = f"/administrare/personal/{uid}"
    html = admin.get(f"{url}/dezactivare").get_data(as_text=True)
    assert "1 sarcină preluată se întoarce în lista compartimentului." in html
    assert "Compartimentul „Avize și Acorduri” rămâne fără personal" in html
    assert "procedurile „Aviz de test” nu mai pot fi depuse" in html
    r = admin.submit(f"{url}/dezactivare", {})
    assert r.status_code == 302

    assert his.get("/birou/").status_code == 302  # signed out: back to the login
    assert client.get("/api/v1/tasks", headers=headers).status_code == 401
    r = client.post(
        "/api/v1/auth/token", json={"email": "avizator@primarie.ro", "password": PASSWORD}
    )
    assert r.status_code == 401
    with circuit.db.session() as s:
        assert s.get(TaskRecord, task["id"]).claimed_by_id is None
        for table in (WebSession, ApiToken):
            assert (
                s.scalar(select(func.count()).select_from(table).where(table.user_id == uid)) == 0
            )
    history = client.get(f"/api/v1/requests/{rid}/history", headers=api_for("registry_head"))
    reasons = [e.get("reason") for e in history.get_json()["events"]]
    assert any(r and "Contul funcționarului a fost dezactivat" in r for r in reasons)
    with circuit.db.session() as s:
        assert "aviz" in organisation.unstaffed_by_procedure(s, circuit)
    html = admin.get("/administrare/compartimente").get_data(as_text=True)
    assert html.index("Avize și Acorduri") < html.index("Urbanism și Amenajarea Teritoriului")
    assert "niciuna — procedurile lui nu pot fi depuse" in html

    r = admin.submit(url, {}, action=f"{url}/reactivare")
    assert r.status_code == 302 and user(circuit, uid).active
    assert user(circuit, uid).departments == ["avize"]
    his = Browser(app.test_client())
    his.login("avizator@primarie.ro")  # the old password works again
    html = admin.get("/administrare/jurnal").get_data(as_text=True)
    assert "Cont dezactivat" in html and "Cont reactivat" in html
    assert "1 sarcină preluată s-a întors în lista compartimentului" in html


def test_leaving_a_needed_department_empty_asks_for_confirmation(admin, circuit, avize):
    uid = official(circuit, "singur@primarie.ro", "Sorin Singur", ["avize"])
    url = f"/administrare/personal/{uid}"
    r = admin.submit(url, {"departments": ["taxe"]}, action=f"{url}/roluri")
    html = r.get_data(as_text=True)
    assert r.status_code == 409
    assert "Compartimentul „Avize și Acorduri” rămâne fără personal" in html
    assert 'name="acknowledged" value="1"' in html and "Confirm și salvez" in html
    assert user(circuit, uid).departments == ["avize"]
    r = admin.submit(url, {"departments": ["taxe"], "acknowledged": "1"}, action=f"{url}/roluri")
    assert r.status_code == 302 and user(circuit, uid).departments == ["taxe"]


def test_departments_are_renamed_and_deactivated_only_when_empty(admin, circuit, avize):
    department(circuit, "temporar", "Compartiment Temporar")
    uid = official(circuit, "temp@primarie.ro", "Tudor Temp", ["temporar"])
    url = "/administrare/compartimente/temporar"
    r = admin.submit(url, {"name": "  Compartiment   Provizoriu "}, action=f"{url}/denumire")
    assert r.status_code == 302
    r = admin.submit(url, {"name": ""}, action=f"{url}/denumire")
    assert r.status_code == 422 and "Denumirea este obligatorie." in r.get_data(as_text=True)
    html = admin.get(url).get_data(as_text=True)
    assert "Compartiment Provizoriu" in html and "în el lucrează 1 persoană" in html

    with circuit.db.transaction() as s:
        s.get(User, uid).active = False  # an inactive member does not keep it open
    r = admin.submit(url, {}, action=f"{url}/dezactivare")
    assert r.status_code == 302
    with circuit.db.session() as s:
        assert s.get(Department, "temporar").active is False
        assert s.get(User, uid).departments == []
    r = admin.submit("/administrare/personal/nou", {"name": "Nou", "email": "nou@primarie.ro",
                                                     "departments": "temporar"})  # fmt: skip
    assert r.status_code == 422 and "este dezactivat" in r.get_data(as_text=True)
    r = admin.submit("/administrare/compartimente", {"code": "temporar", "name": "Iar"})
    assert r.status_code == 422 and "reactivați-l din pagina lui" in r.get_data(as_text=True)
    r = admin.submit(url, {}, action=f"{url}/reactivare")
    assert r.status_code == 302

    html = admin.get("/administrare/compartimente/avize").get_data(as_text=True)
    assert "diagramele acestor proceduri îi trimit lucrări: „Aviz de test”" in html
    r = admin.submit(
        "/administrare/compartimente/avize",
        {},
        action="/administrare/compartimente/avize/dezactivare",
    )
    assert r.status_code == 409
    assert "Compartimentul „Avize și Acorduri” nu poate fi dezactivat" in r.get_data(as_text=True)
    with circuit.db.session() as s:
        assert s.get(Department, "avize").active is True

    html = admin.get("/administrare/jurnal").get_data(as_text=True)
    assert (
        "Compartiment redenumit" in html
        and "„Compartiment Temporar” → „Compartiment Provizoriu”" in html
    )
    assert "Compartiment dezactivat" in html and "Compartiment reactivat" in html


@pytest.mark.parametrize(
    "url",
    [
        "/administrare/personal",
        "/administrare/personal/nou",
        "/administrare/jurnal",
        "/administrare/compartimente/urbanism",
    ],
)
def test_admin_pages_are_for_admins_only(app, browser_for, url):
    assert browser_for("urbanism_head").get(url).status_code == 403
    r = app.test_client().get(url)
    assert r.status_code == 302 and "/autentificare" in r.location


def test_every_admin_form_needs_its_csrf_token(admin, app, circuit):
    uid = official(circuit, "csrf@primarie.ro", "Cezar Csrf", ["taxe"])
    bare = app.test_client()
    Browser(bare).login(ADMIN)
    for url, data in [
        ("/administrare/personal/nou", {"name": "X", "email": "x@p.ro", "departments": "taxe"}),
        (f"/administrare/personal/{uid}/nume", {"name": "Alt nume"}),
        (f"/administrare/personal/{uid}/roluri", {"departments": "urbanism"}),
        (f"/administrare/personal/{uid}/dezactivare", {}),
        (f"/administrare/personal/{uid}/reactivare", {}),
        ("/administrare/compartimente/taxe/denumire", {"name": "Alt nume"}),
        ("/administrare/compartimente/proiecte/dezactivare", {}),
        ("/administrare/compartimente/proiecte/reactivare", {}),
    ]:
        assert bare.post(url, data=data).status_code == 400, url
    found = user(circuit, uid)
    assert found.name == "Cezar Csrf" and found.active and found.departments == ["taxe"]


def test_taking_away_the_only_head_warns_of_the_tasks_reserved_for_heads(
    admin, client, api_for, circuit, tmp_path
):
    department(circuit, "decizii", "Decizii")
    folders = Folders(tmp_path / "designer", circuit)
    folders.write_form("dec_start.json", text_form("Cerere", "text", required=("text",)))
    folders.write_form("dec_lucru.json", text_form("Lucru", "nota"))
    steps = [
        Step("primire", "Primirea cererii", form="dec_lucru.json"),
        Step("decizie", "Decizia șefului", lane="decizii", form="dec_lucru.json",
             props={"role": "head"}),
    ]  # fmt: skip
    folders.write_diagram("dec.bpmn", diagram("dec", process("dec", steps)))
    folders.entry("dec", "dec.bpmn", "dec_start.json", title="Decizie de test")
    folders.deploy()
    head = official(
        circuit, "sef.decizii@primarie.ro", "Șerban Șef", ["decizii"], heads=["decizii"]
    )
    official(circuit, "decizii@primarie.ro", "Dora Decizii", ["decizii"])
    rid = submit_procedure(client, api_for("citizen"), "dec", {"text": "o decizie"})
    r = complete(client, api_for("registry"), task_of(client, api_for("registry"), rid)["id"], {})
    assert r.status_code == 200, r.get_json()

    url = f"/administrare/personal/{head}"
    r = admin.submit(url, {"departments": "decizii"}, action=f"{url}/roluri")
    html = r.get_data(as_text=True)
    assert r.status_code == 409
    assert (
        "Compartimentul „Decizii” rămâne fără șef: 1 sarcină rezervată șefilor va aștepta "
        "până când numiți alt șef." in html
    )
    assert user(circuit, head).head_of == ["decizii"]
    r = admin.submit(url, {"departments": "decizii", "acknowledged": "1"}, action=f"{url}/roluri")
    assert r.status_code == 302 and user(circuit, head).head_of == []
