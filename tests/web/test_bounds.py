"""Numbers from outside are bounded before the database: page numbers and sizes of every list,
ids in bodies and paths, the days of an absence. Each is refused with a sentence, never a 500."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from engine.models import Absence
from engine.platform.timeutil import local_today
from tests.support.api import ready_task, submit
from tests.support.engine import PETITION

BAD_PAGES = [
    "0",
    "-1",
    "9223372036854775808",
    str(10**20),
    "100001",
    "abc",
    "1.5",
    "1_0",
    "+2",
    "\u0661",  # Arabic-Indic one
    "１",  # full-width one
]
API_LISTS = [
    ("citizen", "/api/v1/requests"),
    ("registry", "/api/v1/requests"),
    ("registry", "/api/v1/tasks"),
    ("registry", "/api/v1/registry/entries"),
]
WEB_LISTS = [("citizen", "/cereri"), ("registry", "/birou/"), ("registry", "/registratura/")]


def test_every_api_list_refuses_a_page_outside_1_to_100000(client: Any, api_for: Any) -> None:
    for who, path in API_LISTS:
        for page in BAD_PAGES:
            r = client.get(path, query_string={"page": page}, headers=api_for(who))
            assert r.status_code == 400, (path, page, r.status_code)
            body = r.get_json()
            assert body["error"] == "bad_page", (path, page)
            assert "page" in body["message"] and "100000" in body["message"]
        last = client.get(path, query_string={"page": "100000"}, headers=api_for(who))
        assert last.status_code == 200, (path, last.get_json())


def test_every_api_list_bounds_its_page_size(client: Any, api_for: Any) -> None:
    for who, path in API_LISTS:
        for size in ("0", "-5", "abc", "100001", str(10**20)):
            r = client.get(path, query_string={"per_page": size}, headers=api_for(who))
            assert r.status_code == 400 and r.get_json()["error"] == "bad_page", (path, size)
            assert "per_page" in r.get_json()["message"]
        big = client.get(path, query_string={"per_page": "5000"}, headers=api_for(who))
        assert big.status_code == 200
        assert big.get_json()["per_page"] in (100, 200)  # clamped to the list's largest page


def test_every_web_list_refuses_a_page_outside_1_to_100000(browser_for: Any) -> None:
    for who, path in WEB_LISTS:
        browser = browser_for(who)
        for page in BAD_PAGES:
            r = browser.get(path, query_string={"pagina": page})
            html = r.get_data(as_text=True)
            assert r.status_code == 400, (path, page, r.status_code)
            assert "Parametrul pagina trebuie să fie un număr întreg între 1 și 100000" in html
        assert browser.get(path, query_string={"pagina": "1"}).status_code == 200


def absence(**fields: Any) -> dict[str, Any]:
    today = local_today()
    values = {
        "user_id": None,
        "from": today.isoformat(),
        "to": (today + timedelta(days=6)).isoformat(),
        "reason": "concediu de odihnă",
    }
    values.update(fields)
    return values


def absence_count(circuit: Any) -> int:
    with circuit.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(Absence)) or 0)


@pytest.mark.parametrize(
    "user_id", [10**30, 2**31, 2**63, -1, 0, True, "3", 1.0, None, [3], {"id": 3}]
)
def test_an_absence_for_an_id_no_row_can_have_is_refused(
    client: Any, api_for: Any, circuit: Any, user_id: Any
) -> None:
    r = client.post(
        "/api/v1/absences", json=absence(user_id=user_id), headers=api_for("registry_head")
    )
    assert r.status_code == 422, r.get_json()
    assert [e["field"] for e in r.get_json()["errors"]] == ["/user_id"]
    assert absence_count(circuit) == 0


def test_an_absence_is_at_most_a_year_long_and_a_year_ahead(
    client: Any, api_for: Any, circuit: Any, people: Any
) -> None:
    today = local_today()
    head = api_for("registry_head")

    def refused(start: Any, end: Any) -> dict[str, str]:
        body = absence(user_id=people["registry"], **{"from": start, "to": end})
        r = client.post("/api/v1/absences", json=body, headers=head)
        assert r.status_code == 422, (start, end, r.get_json())
        return {e["field"]: e["message"] for e in r.get_json()["errors"]}

    assert "cel mai devreme cu 31 de zile" in refused("0001-01-01", "9999-12-31")["/from"]
    assert "cel mult cu un an înainte" in refused("0001-01-01", "9999-12-31")["/to"]
    assert (
        "cel mult cu un an înainte"
        in refused(today.isoformat(), (today + timedelta(days=400)).isoformat())["/to"]
    )
    assert (
        "cel mai devreme"
        in refused((today - timedelta(days=32)).isoformat(), today.isoformat())["/from"]
    )
    assert (
        "se termină înainte să înceapă"
        in refused((today + timedelta(days=5)).isoformat(), today.isoformat())["/to"]
    )
    for bad in ("2026-13-01", "20261205", "05.12.2026", 20261205, None, "２０２６-１２-０５"):
        assert "AAAA-LL-ZZ" in refused(bad, today.isoformat())["/from"]
    assert absence_count(circuit) == 0

    for start, end in [
        (today - timedelta(days=31), today),  # a month back, recorded late
        (today, today + timedelta(days=365)),  # a year
        (today + timedelta(days=300), today + timedelta(days=320)),
    ]:
        body = absence(
            user_id=people["registry"], **{"from": start.isoformat(), "to": end.isoformat()}
        )
        r = client.post("/api/v1/absences", json=body, headers=head)
        assert r.status_code == 201, (start, end, r.get_json())
    assert absence_count(circuit) == 3


def test_an_assignment_to_an_id_no_row_can_have_is_refused(
    client: Any, api_for: Any, browser_for: Any
) -> None:
    rid = submit(client, api_for("citizen"), PETITION).get_json()["id"]
    task = ready_task(client, api_for("registry"), rid)
    for user_id in (10**30, 2**31, -3, True, "4"):
        r = client.post(
            f"/api/v1/tasks/{task['id']}/assign",
            json={"user_id": user_id},
            headers=api_for("registry_head"),
        )
        assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "/user_id"
    head = browser_for("registry_head")
    for raw in (str(10**30), "9223372036854775808", "-1", "١"):
        r = head.submit(
            f"/birou/sarcini/{task['id']}",
            {"user_id": raw},
            action=f"/birou/sarcini/{task['id']}/repartizare",
        )
        assert r.status_code == 302  # back to the task, with the reason
        page = head.get(r.location).get_data(as_text=True)
        assert "Alegeți un funcționar al compartimentului." in page


def test_register_counts_and_ids_in_paths_are_bounded(client: Any, api_for: Any) -> None:
    r = client.post(
        "/api/v1/registry/entries",
        headers=api_for("registry"),
        json={
            "direction": "in",
            "channel": "post",
            "issuer": "Ion Popescu",
            "summary": "Sesizare",
            "pages": 10**30,
            "annexes": -1,
        },
    )
    assert r.status_code == 422
    assert {e["field"] for e in r.get_json()["errors"]} == {"/pages", "/annexes"}
    for huge in (2**31, 2**63, 10**20):
        for path in (f"/api/v1/requests/{huge}", f"/api/v1/documents/{huge}"):
            r = client.get(path, headers=api_for("citizen"))
            assert r.status_code == 404 and r.get_json()["error"] == "not_found", path
