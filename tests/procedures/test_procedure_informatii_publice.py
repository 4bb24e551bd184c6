"""Cerere de informații de interes public (Law 544/2001), driven to each of its ends."""

from __future__ import annotations

from datetime import date

import pytest

from engine.models import TimerStatus
from tests.support.scenario import (
    Scenario,
    at_nine,
    days_for_term_to_pass,
    registered_days_ago,
)
from tests.support.tryout import ends_told

REQUEST = {
    "subiect": "Contractele de deszăpezire din 2025",
    "informatii_solicitate": "Vă rog să îmi comunicați contractele de deszăpezire încheiate "
    "în 2025 și sumele plătite în baza lor.",
    "modalitate_comunicare": "electronic",
}
ANALYSIS = "Analiza cererii"


@pytest.fixture
def sc(client, api_for, circuit):
    return Scenario(client, api_for, circuit, "informatii_publice")


def routed(sc, department="juridic", observatii=None):
    """Submit the request and have the registry route it to a department."""
    body = sc.submit(REQUEST)
    rid = body["id"]
    assert body["status"] == "registered"
    task = sc.task("registry", rid, "Repartizare către compartiment")
    assert task["department"] == "registratura"
    offered = [o["const"] for o in task["form"]["properties"]["departament"]["oneOf"]]
    assert department in offered and "registratura" not in offered
    data = {"departament": department}
    if observatii:
        data["observatii_registratura"] = observatii
    assert sc.complete("registry", task, data)["request"]["status"] == "in_progress"
    return body


def test_catalog_entry_and_start_form(client, sc):
    procs = {p["id"]: p for p in client.get("/api/v1/procedures").get_json()["procedures"]}
    proc = procs["informatii_publice"]
    assert proc["title"] == "Cerere de informații de interes public"
    assert "544/2001" in proc["legal_basis"] and "123/2002" in proc["legal_basis"]
    assert proc["deadline"] == {"days": 10, "kind": "calendar"}
    # By post, the address becomes required; every missing field is told at once.
    r = sc.submit_raw({"subiect": "x", "modalitate_comunicare": "posta"})
    assert r.status_code == 422
    fields = {e["field"] for e in r.get_json()["errors"]}
    assert fields == {"/subiect", "/informatii_solicitate", "/adresa_postala"}


def test_information_given_within_ten_days(sc):
    body = routed(sc, "juridic", observatii="Contractele sunt la achiziții.")
    rid, registered = body["id"], date.fromisoformat(body["registration"]["date"])
    assert body["due_date"] == sc.due(registered, 10).isoformat()

    task = sc.task("juridic", rid, ANALYSIS)
    assert task["department"] == "juridic"
    assert sc.inbox("registry", rid) == []
    # The 5-day refusal term and the 10-day answer term wait, counted by the legal calendar.
    assert sc.timers(rid) == [
        ("Termenul de 5 zile pentru refuz", TimerStatus.WAITING, at_nine(sc.due(registered, 5))),
        ("Termenul de 10 zile", TimerStatus.WAITING, at_nine(sc.due(registered, 10))),
    ]
    seen = sc.detail(rid, who="juridic")
    assert [s["name"] for s in seen["steps"]] == ["Repartizare către compartiment", ANALYSIS]

    # An answer that is too short is refused next to its field.
    errors = sc.complete("juridic", task, {"decizie": "comunicare"}, status=422)["errors"]
    assert errors == [{"field": "/raspuns", "message": "Câmpul este obligatoriu."}]
    answer = "În 2025 s-au încheiat două contracte, în valoare totală de 412.000 lei."
    done = sc.complete("juridic", task, {"decizie": "comunicare", "raspuns": answer})
    assert done["request"]["status"] == "completed"

    seen = sc.detail(rid)
    assert seen["status"] == "completed"
    assert seen["answer"] == answer
    assert seen["waiting_for"] is None
    assert sc.inbox("juridic", rid) == []
    assert {status for _, status, _ in sc.timers(rid)} == {TimerStatus.CANCELLED}
    notes = sc.notifications("citizen", rid)
    assert "a fost înregistrată" in notes[0] and "a fost soluționată" in notes[-1]
    assert sc.notifications("juridic", rid) == []  # no term ran out


def test_refused_with_reasons_within_five_days(sc):
    rid = routed(sc, "taxe")["id"]
    task = sc.task("taxe", rid, ANALYSIS)
    errors = sc.complete("taxe", task, {"decizie": "refuz"}, status=422)["errors"]
    assert [e["field"] for e in errors] == ["/motive_refuz"]
    reasons = "informațiile privesc date fiscale ale unor persoane, exceptate de art. 12"
    status = sc.step("taxe", rid, ANALYSIS, {"decizie": "refuz", "motive_refuz": reasons})
    assert status == "rejected"

    seen = sc.detail(rid)
    assert seen["status"] == "rejected" and seen["waiting_for"] is None
    refusal = [n for n in sc.notifications("citizen", rid) if "respinsă" in n]
    assert len(refusal) == 1
    assert reasons in refusal[0] and "art. 22" in refusal[0]
    assert refusal[0].startswith(f"Cererea nr. {seen['registration']['display']} ")
    assert sc.inbox("taxe", rid) == []


def test_thirty_days_notice_in_time_then_answer(sc, monkeypatch):
    with registered_days_ago(monkeypatch, days_for_term_to_pass(5, at_least=8)):
        body = routed(sc, "urbanism")
    rid, registered = body["id"], date.fromisoformat(body["registration"]["date"])
    display = body["registration"]["display"]

    # Routed on day 8 or so: the 5-day refusal term has run (its reminder fires as soon as the
    # department has the request); the 10-day one still waits.
    department = sc.notifications("urbanism", rid)
    assert len(department) == 1
    assert "termenul de 5 zile" in department[0] and "refuz motivat" in department[0]
    assert f"nr. {display}" in department[0]
    assert [s for _, s, _ in sc.timers(rid)] == [TimerStatus.FIRED, TimerStatus.WAITING]
    task = sc.task("urbanism", rid, ANALYSIS)

    status = sc.complete(
        "urbanism",
        task,
        {"decizie": "prelungire", "motiv_prelungire": "volumul mare de documente de copiat"},
    )["request"]["status"]
    assert status == "in_progress"
    extended = sc.due(registered, 30)
    notice = sc.notifications("citizen", rid)[-1]
    assert "volumul mare de documente de copiat" in notice
    assert f"până la {extended:%d.%m.%Y}" in notice
    assert sc.detail(rid)["late_steps"] == []  # the notice came within the 10 days

    task = sc.task("urbanism", rid, "Comunicarea informațiilor (30 de zile)")
    thirty = [t for t in sc.timers(rid) if t[0] == "Termenul de 30 de zile"]
    assert thirty == [("Termenul de 30 de zile", TimerStatus.WAITING, at_nine(extended))]

    answer = "Vă transmitem în anexă cele 14 contracte și situația plăților."
    assert sc.step("urbanism", rid, task["name"], {"raspuns": answer}) == "completed"
    seen = sc.detail(rid)
    assert seen["status"] == "completed" and seen["answer"] == answer
    assert [s["name"] for s in seen["steps"]] == [
        "Repartizare către compartiment",
        ANALYSIS,
        "Comunicarea informațiilor (30 de zile)",
    ]


def test_an_extension_after_day_ten_is_refused_with_the_legal_reason(sc, monkeypatch):
    with registered_days_ago(monkeypatch, 40):
        body = routed(sc, "urbanism")
    rid = body["id"]
    # Routed 40 days late: the 5- and 10-day terms fire as soon as the department has it.
    department = sc.notifications("urbanism", rid)
    assert len(department) == 2
    assert "termenul de 10 zile" in department[1] and "30 de zile" in department[1]
    head = sc.notifications("urbanism_head", rid)  # her department's, and her own
    assert head.count(department[0]) == 1 and head.count(department[1]) == 2

    task = sc.task("urbanism", rid, ANALYSIS)
    refused = sc.complete(
        "urbanism",
        task,
        {"decizie": "prelungire", "motiv_prelungire": "volumul mare de documente de copiat"},
        status=422,
    )
    [error] = refused["errors"]
    assert error["field"] == "/decizie"
    assert "Prelungirea nu mai este posibilă" in error["message"]
    assert "Legea nr. 544/2001, art. 7 alin. (1)" in error["message"]
    # Nothing moved: the same task waits, the citizen was told nothing of an extension.
    assert sc.task("urbanism", rid, ANALYSIS)["id"] == task["id"]
    assert not any("mai mult timp" in n for n in sc.notifications("citizen", rid))

    answer = "Vă transmitem contractele cerute, în copie."
    assert sc.step("urbanism", rid, ANALYSIS, {"decizie": "comunicare", "raspuns": answer}) == (
        "completed"
    )


def test_a_refusal_after_day_five_is_accepted_but_flagged_late(sc, monkeypatch, browser_for):
    with registered_days_ago(monkeypatch, days_for_term_to_pass(5)):
        rid = routed(sc, "taxe")["id"]
    reasons = "informațiile privesc date fiscale ale unor persoane, exceptate de art. 12"
    status = sc.step("taxe", rid, ANALYSIS, {"decizie": "refuz", "motive_refuz": reasons})
    assert status == "rejected"  # the citizen gets the refusal, late rather than never

    seen = sc.detail(rid)
    [late] = seen["late_steps"]
    assert late["step"] == ANALYSIS
    assert "după termenul de 5 zile" in late["reason"]
    assert "Legea nr. 544/2001, art. 7 alin. (2)" in late["reason"]
    # The history says so, with the reason; so do the citizen's and the office's pages.
    r = sc.client.get(f"/api/v1/requests/{rid}/history", headers=sc.api_for("taxe_head"))
    flagged = [e for e in r.get_json()["events"] if e["action"] == "step_late"]
    assert [e["label"] for e in flagged] == ["Pas finalizat după termenul legal"]
    assert "art. 7 alin. (2)" in flagged[0]["reason"]
    page = browser_for("citizen").get(f"/cereri/{rid}").get_data(as_text=True)
    assert "Pași finalizați după termenul legal" in page and "art. 7 alin. (2)" in page
    office = browser_for("taxe").get(f"/birou/cereri/{rid}").get_data(as_text=True)
    assert "Pași finalizați după termenul legal" in office
    assert "Pas finalizat după termenul legal" in office  # in the history


def test_a_refusal_within_five_days_is_not_flagged(sc):
    rid = routed(sc, "taxe")["id"]
    reasons = "informațiile privesc date fiscale ale unor persoane, exceptate de art. 12"
    sc.step("taxe", rid, ANALYSIS, {"decizie": "refuz", "motive_refuz": reasons})
    assert sc.detail(rid)["late_steps"] == []


def test_withdrawn_by_the_applicant(sc):
    rid = routed(sc, "juridic")["id"]
    assert sc.withdraw(rid, who="citizen2").status_code == 404
    r = sc.withdraw(rid)
    assert r.status_code == 200 and r.get_json()["status"] == "withdrawn"
    assert sc.detail(rid)["status"] == "withdrawn"
    assert sc.inbox("juridic", rid) == []
    assert {status for _, status, _ in sc.timers(rid)} == {TimerStatus.CANCELLED}
    assert sc.withdraw(rid).status_code == 409


def test_the_dry_run_scenarios_of_the_procedure_reach_their_ends():
    """Its scenarios in tests/data/scenarios, as `circuit procedure try` plays them."""
    ends_told("informatii_publice_comunicate", "completed")
    ends_told("informatii_publice_refuz", "rejected")
