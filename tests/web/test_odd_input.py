"""Odd input is refused with a 400 and a sentence, never a 500: each case the probe found,
then every endpoint of the app walked with all of them."""

from __future__ import annotations

import io
import re

from tests.support.api import a_request_with_everything
from tests.support.cli import circuit as run_cli
from tests.support.security import app_with
from tests.support.seed import PASSWORD, PEOPLE

DEEP = "[" * 1000 + "]" * 1000
SURROGATE = '{"email": "\\ud800@example.ro", "password": "\\ud800", "procedure": "petitie", '
SURROGATE += '"data": {"subiect": "\\ud800", "continut": "x"}, "text": "\\ud800"}'
HUGE = "99999999999999999999"


def test_json_nested_a_thousand_deep_is_refused(client):
    r = client.post("/api/v1/auth/token", data=DEEP, content_type="application/json")
    assert r.status_code == 400
    assert "imbricare" in r.get_json()["message"]
    nested = '{"email": "a@b.ro", "password": "x", "p": ' + "[" * 100 + "]" * 100 + "}"
    r = client.post("/api/v1/auth/token", data=nested, content_type="application/json")
    assert r.status_code == 400 and "cel mult 64" in r.get_json()["message"]


def test_a_lone_surrogate_is_refused(client, api_for):
    r = client.post("/api/v1/auth/token", data=SURROGATE, content_type="application/json")
    assert r.status_code == 400
    assert "surogate" in r.get_json()["message"]
    r = client.post(
        "/api/v1/requests",
        data=SURROGATE,
        content_type="application/json",
        headers=api_for("citizen"),
    )
    assert r.status_code == 400 and "surogate" in r.get_json()["message"]


def test_a_page_number_past_any_page_is_refused(client, api_for, browser_for):
    r = client.get(f"/api/v1/requests?page={HUGE}", headers=api_for("citizen"))
    assert r.status_code == 400
    assert "page" in r.get_json()["message"] and "100000" in r.get_json()["message"]
    assert client.get("/api/v1/requests?page=0", headers=api_for("citizen")).status_code == 400
    page = browser_for("citizen").get(f"/cereri?pagina={HUGE}")
    assert page.status_code == 400 and "pagina" in page.get_data(as_text=True)
    assert browser_for("registry").get(f"/birou/?pagina={HUGE}").status_code == 400


def test_deadline_with_a_start_near_year_9999_or_negative_days(client, tmp_path):
    r = client.get("/api/v1/calendar/deadline?start=9999-12-01&days=30")
    assert r.status_code == 400 and "2100" in r.get_json()["message"]
    r = client.get("/api/v1/calendar/deadline?start=2026-03-02&days=-5")
    assert r.status_code == 400 and "days" in r.get_json()["message"]
    r = client.get("/api/v1/calendar/deadline?start=2026-03-02&days=10")
    assert r.status_code == 200
    cli = run_cli(["deadline", "9999-12-25", "30"], tmp_path)
    assert cli.returncode == 2 and "9999" in cli.stderr and "Traceback" not in cli.stderr


def test_ids_too_large_for_the_database_are_simply_not_found(client, api_for, browser_for):
    r = client.get(f"/api/v1/requests/{HUGE}", headers=api_for("citizen"))
    assert r.status_code == 404 and r.get_json()["error"] == "not_found"
    assert browser_for("citizen").get(f"/documente/{HUGE}").status_code == 404


def test_a_nul_in_a_form_field_is_refused(app):
    r = app.test_client().post(
        "/autentificare", data={"email": "ion\x00@example.ro", "password": "x"}
    )
    assert r.status_code == 400
    assert "caractere nepermise" in r.get_data(as_text=True)


# The walk: every rule of the URL map (the API's rules are the OpenAPI document's paths),
# every method, as each kind of caller, with each odd input in the path, the query and body.
ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
ODD_PATH = [HUGE, "-1", "%ED%A0%80", "%00", "x" * 300]
ODD_QUERIES = [
    f"page={HUGE}&pagina={HUGE}&per_page=-5",
    "page=0&pagina=0&per_page=0",
    "page=9223372036854775808&pagina=%D9%A1&per_page=%EF%BC%91",
    "start=9999-12-01&days=30&kind=working",
    "start=2026-01-05&days=-3",
    "q=%00&next=%00",
    "q=%ED%A0%80&from=9999-99-99&to=-1&sort=%ED%A0%80&claimed=x",
]


HUGE_NUMBERS = {
    name: 10**30 for name in ("user_id", "id", "days", "pages", "annexes", "page", "task_id")
} | {"from": "0001-01-01", "to": "9999-12-31", "reason": "x", "data": {"numar": 10**30}}


def _bodies():
    return [
        {"json": HUGE_NUMBERS},
        {"data": DEEP, "content_type": "application/json"},
        {"data": SURROGATE, "content_type": "application/json"},
        {"data": {"email": "a\x00@b.ro", "password": "\x00", "text": "\x00"}},
        {
            "data": {
                "procedure": "petitie",
                "data": DEEP,
                "anexe": (io.BytesIO(b"%PDF"), "a\x00.pdf"),
            },
            "content_type": "multipart/form-data",
        },
    ]


def _paths(rule, real):
    def fill(value_for):
        return ARGUMENT.sub(lambda m: str(value_for(m.group(2))), rule.rule)

    paths = [fill(lambda name: real.get(name, 1))]
    if rule.arguments:
        paths += [fill(lambda _name, v=v: v) for v in ODD_PATH]
    return paths


def test_every_endpoint_survives_every_odd_input(circuit, api_for):
    app = app_with(circuit)
    app.config["WTF_CSRF_ENABLED"] = False  # reach the views themselves, past the CSRF check
    real = a_request_with_everything(app.test_client(), api_for)
    web = {}
    for who in ("citizen", "registry"):
        web[who] = app.test_client()
        r = web[who].post("/autentificare", data={"email": PEOPLE[who][0], "password": PASSWORD})
        assert r.status_code == 302
    callers = [
        (app.test_client(), {}),
        (web["citizen"], {}),
        (web["registry"], {}),
        (app.test_client(), api_for("citizen")),
        (app.test_client(), api_for("registry")),
    ]
    failures, sent, rules = [], 0, 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("static", "auth.logout"):
            continue
        rules += 1
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for client, headers in callers:
                for path in _paths(rule, real):
                    for query in ODD_QUERIES:
                        r = client.open(f"{path}?{query}", method=method, headers=headers)
                        sent += 1
                        if r.status_code >= 500:
                            failures.append((method, path, query, r.status_code))
                if method == "GET":
                    continue
                for body in _bodies():
                    r = client.open(_paths(rule, real)[0], method=method, headers=headers, **body)
                    sent += 1
                    if r.status_code >= 500:
                        failures.append((method, rule.rule, str(body)[:60], r.status_code))
    assert rules >= 20 and sent > 1000
    assert failures == []
    # The walk covered every path of the API's OpenAPI document.
    walked = {ARGUMENT.sub("{}", r.rule) for r in app.url_map.iter_rules()}
    documented = app.test_client().get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/api/v1" + re.sub(r"\{[^}]+\}", "{}", p) for p in documented} <= walked
