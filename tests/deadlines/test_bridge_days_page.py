"""Bridge days on the admin page: declared and withdrawn with a name, refused in Romanian for
a past day, a day already free or already declared; audited; open requests' due dates move
at once, and the running server's calendar sees the change without waiting for its cache."""

from __future__ import annotations

import html as htmlmod
from datetime import timedelta
from typing import Any

import pytest

from engine.deadlines.legal_calendar import LegalCalendar
from engine.people import accounts
from engine.platform.timeutil import local_today
from tests.support.api import ready_task, submit
from tests.support.seed import PASSWORD
from tests.support.web import Browser

ADMIN = "admin.zile@primarie.ro"
PAGE = "/administrare/zile-libere"


@pytest.fixture
def admin(app: Any, circuit: Any) -> Browser:
    with circuit.db.transaction() as s:
        accounts.create_user(s, ADMIN, "Ana Administrator", PASSWORD, is_admin=True)
    browser = Browser(app.test_client())
    browser.login(ADMIN)
    return browser


def text(response) -> str:
    return htmlmod.unescape(response.get_data(as_text=True))


def test_a_bridge_day_moves_open_due_dates_at_once_and_is_logged(admin, client, api_for):
    citizen, registry = api_for("citizen"), api_for("registry")
    rid = submit(client, citizen).get_json()["id"]
    due = LegalCalendar().deadline(local_today(), 30)
    assert client.get(f"/api/v1/requests/{rid}", headers=citizen).get_json()["due_date"] == (
        due.isoformat()
    )
    # Warm the server's calendar cache first: the change must not wait for it.
    url = f"/api/v1/calendar/deadline?start={local_today().isoformat()}&days=30&kind=calendar"
    assert client.get(url).get_json()["due_date"] == due.isoformat()

    r = admin.submit(PAGE, {"day": due.isoformat(), "name": "Zi liberă (HG nr. 1/2027)"})
    assert r.status_code == 302, text(r)[:800]
    page = text(admin.get(PAGE))
    assert f"Ziua {due:%d.%m.%Y} a fost declarată liberă" in page
    assert "1 termen de răspuns s-a mutat" in page
    assert "Zi liberă (HG nr. 1/2027)" in page

    moved = LegalCalendar(frozenset({due})).next_working_day(due)
    assert moved > due
    body = client.get(f"/api/v1/requests/{rid}", headers=citizen).get_json()
    assert body["due_date"] == body["deadline"]["due_date"] == moved.isoformat()
    assert ready_task(client, registry, rid)["due_date"] == moved.isoformat()
    assert client.get(url).get_json()["due_date"] == moved.isoformat()
    log = text(admin.get("/administrare/jurnal"))
    assert "Zi liberă declarată" in log and f"{due:%d.%m.%Y}" in log

    # Declared twice: refused, nothing changed.
    again = admin.submit(PAGE, {"day": due.isoformat(), "name": "Din nou"})
    assert again.status_code == 422
    assert f"Ziua {due:%d.%m.%Y} este deja declarată liberă." in text(again)

    # Withdrawn: the due date comes back.
    r = admin.submit(PAGE, {}, action=f"{PAGE}/{due.isoformat()}/retragere")
    assert r.status_code == 302
    assert client.get(f"/api/v1/requests/{rid}", headers=citizen).get_json()["due_date"] == (
        due.isoformat()
    )
    assert "Zi liberă retrasă" in text(admin.get("/administrare/jurnal"))


def test_past_free_and_nameless_days_are_refused_in_romanian(admin, client):
    today = local_today()
    past = admin.submit(PAGE, {"day": (today - timedelta(days=3)).isoformat(), "name": "HG"})
    assert past.status_code == 422 and "a trecut" in text(past)
    sunday = today + timedelta(days=(6 - today.weekday()) or 7)
    free = admin.submit(PAGE, {"day": sunday.isoformat(), "name": "HG"})
    assert free.status_code == 422 and "este deja nelucrătoare: zi de weekend" in text(free)
    christmas = admin.submit(PAGE, {"day": f"{today.year + 1}-12-25", "name": "HG"})
    assert christmas.status_code == 422 and "sărbătoare legală" in text(christmas)
    working = LegalCalendar().next_working_day(today + timedelta(days=20))
    nameless = admin.submit(PAGE, {"day": working.isoformat(), "name": "  "})
    assert nameless.status_code == 422 and "Scrieți denumirea zilei libere" in text(nameless)
    garbled = admin.submit(PAGE, {"day": "31.02.2027", "name": "HG"})
    assert garbled.status_code == 422 and "Alegeți ziua" in text(garbled)
    not_declared = admin.submit(PAGE, {}, action=f"{PAGE}/{working.isoformat()}/retragere")
    assert not_declared.status_code == 422 and "nu este declarată liberă" in text(not_declared)
    assert "Nu este declarată nicio zi liberă care să urmeze." in text(admin.get(PAGE))


def test_only_administrators_open_the_page(browser_for):
    assert browser_for("registry_head").get(PAGE).status_code == 403
