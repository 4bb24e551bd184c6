"""GET /api/v1/stats and the predicted answer date on GET /api/v1/requests/{id} and the pages."""

from __future__ import annotations

from datetime import timedelta

from engine.platform.timeutil import local_today
from tests.support.api import submitted_to_urbanism
from tests.support.statsdata import seed_request

D = timedelta


def seed(circuit, people):
    """Urbanism: 3 petitions answered after 2, 4 and 9 days (term 5: the last one late),
    2 open, one overdue (held by Andrei Stan) and one due in 3 days. Taxe: one open."""
    today = local_today()
    reg = today - D(30)
    with circuit.db.transaction() as s:
        for days in (4, 9, 2):
            seed_request(
                s,
                procedure="petitie",
                department="urbanism",
                registered=reg,
                due=reg + D(5),
                answered=reg + D(days),
            )
        seed_request(
            s,
            procedure="petitie",
            department="urbanism",
            registered=reg,
            due=today - D(1),
            held_by=people["urbanism"],
        )
        seed_request(
            s, procedure="petitie", department="urbanism", registered=reg, due=today + D(3)
        )
        seed_request(
            s, procedure="informatii_publice", department="taxe", registered=reg, due=today + D(9)
        )


def test_the_secretary_gets_each_departments_figures(client, api_for, circuit, people):
    seed(circuit, people)
    r = client.get("/api/v1/stats", headers=api_for("secretar"))
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    rows = {(x["department"], x["procedure"]): x for x in body["stats"]}
    urb = rows["urbanism", "petitie"]
    assert urb["department_name"] == "Urbanism și Amenajarea Teritoriului"
    assert urb["procedure_title"] == "Petiție"
    assert {k: urb[k] for k in ("open", "overdue", "at_risk")} == {
        "open": 2,
        "overdue": 1,
        "at_risk": 1,
    }
    assert (urb["answered_on_time"], urb["answered_late"]) == (2, 1)
    assert (urb["median_days"], urb["p90_days"]) == (4, 9)
    assert rows["taxe", "informatii_publice"]["open"] == 1
    assert body["to"] == local_today().isoformat()
    assert sum(m["on_time"] + m["late"] for m in body["by_month"]) == 3
    assert body["load"] == [
        {
            "user_id": people["urbanism"],
            "name": "Andrei Stan",
            "department": "urbanism",
            "open_tasks": 1,
            "overdue_tasks": 1,
        }
    ]
    codes = {d["code"] for d in body["departments"]}
    assert {"urbanism", "taxe", "registratura"} <= codes


def test_a_head_gets_only_their_department_and_others_are_refused(client, api_for, circuit, people):
    seed(circuit, people)
    r = client.get("/api/v1/stats", headers=api_for("urbanism_head"))
    assert r.status_code == 200
    assert {x["department"] for x in r.get_json()["stats"]} == {"urbanism"}
    r = client.get("/api/v1/stats?department=taxe", headers=api_for("urbanism_head"))
    assert r.status_code == 403
    assert "conduceți" in r.get_json()["message"]
    for who in ("citizen", "urbanism", "registry"):
        r = client.get("/api/v1/stats", headers=api_for(who))
        assert r.status_code == 403, who
        assert r.get_json()["error"] == "forbidden"
    assert client.get("/api/v1/stats").status_code == 401


def test_bad_filters_are_refused_in_romanian(client, api_for):
    sec = api_for("secretar")
    r = client.get("/api/v1/stats?from=31.12.2026", headers=sec)
    assert r.status_code == 400 and r.get_json()["error"] == "bad_date"
    assert "AAAA-LL-ZZ" in r.get_json()["message"]
    r = client.get("/api/v1/stats?from=2026-12-01&to=2026-11-01", headers=sec)
    assert r.status_code == 400 and r.get_json()["error"] == "bad_period"
    r = client.get("/api/v1/stats?department=nicaieri", headers=sec)
    assert r.status_code == 400 and "nu există" in r.get_json()["message"]
    r = client.get("/api/v1/stats?format=xls", headers=sec)
    assert r.status_code == 400


def test_the_csv_export_is_utf8_with_bom(client, api_for, circuit, people):
    seed(circuit, people)
    r = client.get("/api/v1/stats?format=csv&department=urbanism", headers=api_for("primar"))
    assert r.status_code == 200
    assert r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    assert r.data.startswith(b"\xef\xbb\xbf")
    lines = r.data.decode("utf-8-sig").splitlines()
    assert lines[0].split(";")[:3] == ['"Compartiment"', '"Procedură"', '"Deschise"']
    assert lines[1] == '"Urbanism și Amenajarea Teritoriului";"Petiție";2;1;1;2;1;4;9'
    assert len(lines) == 2


def answered_urbanism_petitions(circuit, n):
    """n petitions of urbanism answered last month in 4 working days (Monday to Friday)."""
    today = local_today()
    monday = today - D(today.weekday() + 28)
    with circuit.db.transaction() as s:
        calendar = circuit.calendar(s)
        # a week with no public holiday, so Monday to Friday is 4 working days
        while not all(calendar.is_working_day(monday + D(n)) for n in range(1, 5)):
            monday -= D(7)
        for _ in range(n):
            seed_request(
                s,
                procedure="petitie",
                department="urbanism",
                registered=monday,
                due=monday + D(30),
                answered=monday + D(4),
            )


def test_the_prediction_appears_only_with_ten_answers(client, api_for, browser_for, circuit):
    rid, _ = submitted_to_urbanism(client, api_for)
    answered_urbanism_petitions(circuit, 9)
    citizen = api_for("citizen")
    body = client.get(f"/api/v1/requests/{rid}", headers=citizen).get_json()
    assert "predicted" not in body["deadline"]
    page = browser_for("citizen").get(f"/cereri/{rid}").get_data(as_text=True)
    assert "De obicei" not in page

    answered_urbanism_petitions(circuit, 1)
    body = client.get(f"/api/v1/requests/{rid}", headers=citizen).get_json()
    assert body["deadline"]["predicted"] == {
        "median_working_days": 4,
        "p90_working_days": 4,
        "based_on": 10,
    }
    assert body["deadline"]["due_date"] == body["due_date"]
    page = browser_for("citizen").get(f"/cereri/{rid}").get_data(as_text=True)
    assert "De obicei, cererile ca a dumneavoastră primesc răspuns în 4 zile lucrătoare" in page
    assert "10 răspunsuri" in page
    office = browser_for("urbanism").get(f"/birou/cereri/{rid}").get_data(as_text=True)
    assert "De obicei, cererile ca aceasta primesc răspuns în 4 zile lucrătoare" in office
    # another citizen learns nothing, not even that the request exists
    r = client.get(f"/api/v1/requests/{rid}", headers=api_for("citizen2"))
    assert r.status_code == 404
