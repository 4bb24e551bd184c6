"""Audiență la primar: the secretary proposes, the citizen confirms or asks again, the mayor
holds it; driven through the API to every end."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from engine.platform.timeutil import BUCHAREST, as_aware
from tests.support.drive import (
    complete,
    detail,
    fire_waiting_timers,
    in_days,
    move_timers_clock,
    notifications,
    reply,
    submit,
    tasks_of,
    the_task,
    waiting_timers,
)
from tests.support.tryout import ends_told

AUDIENCE = {
    "subiect": "Reabilitarea străzii Florilor",
    "descriere": "Strada nu a mai fost asfaltată de 20 de ani; vecinii au semnat o petiție.",
    "telefon": "0722123456",
    "interval_preferat": "dimineata",
}
PLACE = "Cabinetul primarului, etajul 1"


def propose(client, api_for, rid: int, day: str, hour: str = "10:30") -> None:
    task = the_task(client, api_for("secretar"), rid)
    assert (task["name"], task["department"]) == ("Propunere dată și oră", "secretar")
    r = complete(
        client,
        api_for("secretar"),
        task["id"],
        {"decizie": "programare", "data_audienta": day, "ora_audienta": hour, "loc": PLACE},
    )
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["request"]["status"] == "waiting_for_citizen"


def submitted(client, api_for) -> int:
    r = submit(client, api_for("citizen"), "audienta_primar", AUDIENCE)
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


def test_another_date_is_asked_then_confirmed_reminded_the_day_before_and_held(
    client, api_for, circuit, people, browser_for, job_log, monkeypatch
):
    citizen, mayor = api_for("citizen"), api_for("primar")
    rid = submitted(client, api_for)
    assert tasks_of(client, mayor, rid) == []

    first = in_days(7)
    propose(client, api_for, rid, first)
    waiting = detail(client, citizen, rid)["waiting_for"]
    assert first in waiting["message"] and "10:30" in waiting["message"]
    assert PLACE in waiting["message"]
    assert waiting["form"]["title"] == "Confirmare programare"
    told = notifications(circuit, user_id=people["citizen"])
    assert any(f"vă propunem data de {first}, ora 10:30" in t for t in told)

    # The citizen cannot come that day: asking again needs to say when suits them.
    r = reply(client, citizen, rid, {"raspuns_solicitant": "alta_data"})
    assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "/mentiuni"
    r = reply(
        client, citizen, rid, {"raspuns_solicitant": "alta_data", "mentiuni": "Joi dimineața."}
    )
    assert r.get_json()["status"] == "in_progress"
    task = the_task(client, api_for("secretar"), rid)
    html = browser_for("secretar").get(f"/birou/sarcini/{task['id']}").get_data(as_text=True)
    assert "Joi dimineața." in html  # the secretary sees what the citizen asked for

    second = in_days(10)
    propose(client, api_for, rid, second, "09:00")
    r = reply(client, citizen, rid, {"raspuns_solicitant": "confirm"})
    assert r.get_json()["status"] == "in_progress"
    task = the_task(client, mayor, rid)
    assert (task["name"], task["department"]) == ("Audiența la primar", "primar")
    told = notifications(circuit, user_id=people["citizen"])
    assert any(f"este confirmată: {second}, ora 09:00, {PLACE}" in t for t in told)

    # The reminder waits for 09:00 of the day before the audience.
    [timer] = waiting_timers(circuit, rid)
    day_before = date.fromisoformat(second) - timedelta(days=1)
    expected = datetime.combine(day_before, datetime.min.time().replace(hour=9), BUCHAREST)
    assert as_aware(timer.due_at) == expected
    assert any(as_aware(j.at) == expected for j in job_log.named("fire_timer"))
    move_timers_clock(monkeypatch, 10)
    assert fire_waiting_timers(circuit, rid) == 1
    reminder = f"Reamintire: mâine, {second}, ora 09:00, are loc audiența la primar"
    for texts in (
        notifications(circuit, user_id=people["citizen"]),
        notifications(circuit, department="primar"),
        notifications(circuit, department="secretar"),
    ):
        assert any(reminder in t for t in texts)

    conclusions = "Strada Florilor intră în programul de asfaltare din primăvară."
    r = complete(client, mayor, task["id"], {"rezultat": "tinuta", "concluzii": conclusions})
    assert r.get_json()["request"]["status"] == "completed"
    page = detail(client, citizen, rid)
    assert page["status"] == "completed" and page["answer"] == conclusions
    assert any(
        "a avut loc. Concluziile: " + conclusions in t
        for t in notifications(circuit, user_id=people["citizen"])
    )


def test_the_mayor_reschedules_and_the_citizen_then_gives_up(client, api_for, circuit, people):
    citizen, mayor = api_for("citizen"), api_for("primar")
    rid = submitted(client, api_for)
    propose(client, api_for, rid, in_days(5))
    reply(client, citizen, rid, {"raspuns_solicitant": "confirm"})
    task = the_task(client, mayor, rid)
    r = complete(
        client,
        mayor,
        task["id"],
        {"rezultat": "reprogramare", "mentiuni": "Ședință extraordinară; săptămâna viitoare."},
    )
    assert r.status_code == 200, r.get_json()
    assert tasks_of(client, mayor, rid) == []
    assert waiting_timers(circuit, rid) == [] or all(
        t.name != "Cu o zi înainte" for t in waiting_timers(circuit, rid)
    )
    propose(client, api_for, rid, in_days(12))
    r = reply(client, citizen, rid, {"raspuns_solicitant": "retrag"})
    assert r.get_json()["status"] == "withdrawn"
    assert detail(client, citizen, rid)["waiting_for"] is None
    assert any(
        "Ați renunțat la audiența" in t for t in notifications(circuit, user_id=people["citizen"])
    )


def test_a_request_outside_the_mayors_remit_is_refused_with_the_reason(
    client, api_for, circuit, people
):
    rid = submitted(client, api_for)
    task = the_task(client, api_for("secretar"), rid)
    r = complete(client, api_for("secretar"), task["id"], {"decizie": "refuz"})
    assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "/motiv_refuz"
    reason = "Cererea privește o amendă: vă rugăm să vă adresați Poliției Locale."
    r = complete(
        client, api_for("secretar"), task["id"], {"decizie": "refuz", "motiv_refuz": reason}
    )
    assert r.get_json()["request"]["status"] == "rejected"
    assert detail(client, api_for("citizen"), rid)["status"] == "rejected"
    told = notifications(circuit, user_id=people["citizen"])
    assert any("nu a putut fi programată. Motivul: " + reason in t for t in told)


def test_the_citizen_withdraws_while_the_secretary_looks_for_a_date(
    client, api_for, circuit, people
):
    rid = submitted(client, api_for)
    r = client.post(f"/api/v1/requests/{rid}/withdraw", headers=api_for("citizen"))
    assert r.status_code == 200 and r.get_json()["status"] == "withdrawn"
    assert tasks_of(client, api_for("secretar"), rid) == []
    assert any("retrasă" in t for t in notifications(circuit, department="secretar"))


def test_a_wrong_phone_number_or_time_is_refused_next_to_its_field(client, api_for):
    citizen = api_for("citizen")
    r = submit(client, citizen, "audienta_primar", {**AUDIENCE, "telefon": "12345"})
    assert r.status_code == 422
    [error] = r.get_json()["errors"]
    assert error["field"] == "/telefon" and "format" in error["message"]
    rid = submitted(client, api_for)
    task = the_task(client, api_for("secretar"), rid)
    r = complete(
        client,
        api_for("secretar"),
        task["id"],
        {"decizie": "programare", "data_audienta": in_days(3), "ora_audienta": "25:00"},
    )
    assert r.status_code == 422
    fields = {e["field"] for e in r.get_json()["errors"]}
    assert fields == {"/ora_audienta", "/loc"}


def test_an_appointment_left_unconfirmed_closes_the_request_with_the_reason(
    client, api_for, circuit, people, monkeypatch
):
    from engine.deadlines.legal_calendar import DeadlineKind
    from engine.platform.timeutil import local_today

    citizen = api_for("citizen")
    rid = submitted(client, api_for)
    day = in_days(20)  # far enough: the catalog's 5 working days come first
    propose(client, api_for, rid, day)
    with circuit.db.session() as s:
        due = circuit.calendar(s).deadline(local_today(), 5, DeadlineKind.WORKING)
    assert detail(client, citizen, rid)["waiting_for"]["answer_by"] == due.isoformat()
    told = notifications(circuit, user_id=people["citizen"])
    assert any(f"Vă rugăm să răspundeți până la {due:%d.%m.%Y}." in t for t in told)

    move_timers_clock(monkeypatch, 15)
    assert fire_waiting_timers(circuit, rid) == 1
    page = detail(client, citizen, rid)
    assert page["status"] == "rejected" and page["waiting_for"] is None
    assert f"Audiența propusă pentru {day}, ora 10:30, nu mai are loc" in page["answer"]
    assert f"până la {due:%d.%m.%Y}" in page["answer"]
    secretariat = notifications(circuit, department="secretar")
    assert any("nu a confirmat" in t and f"{due:%d.%m.%Y}" in t for t in secretariat)


def test_an_appointment_tomorrow_is_to_be_confirmed_today(client, api_for, circuit):
    from engine.platform.timeutil import local_today

    rid = submitted(client, api_for)
    propose(client, api_for, rid, in_days(1))
    answer_by = detail(client, api_for("citizen"), rid)["waiting_for"]["answer_by"]
    assert answer_by == local_today().isoformat()


def test_the_dry_run_scenarios_of_the_procedure_reach_their_ends():
    """Its scenarios in tests/data/scenarios, as `circuit procedure try` plays them."""
    ends_told("audienta_primar_tinuta", "completed")
    ends_told("audienta_primar_refuzata", "rejected")
