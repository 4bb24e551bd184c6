"""Certificat de urbanism (Law 50/1991), driven to each of its ends."""

from __future__ import annotations

import io
import re
import shutil
from datetime import date

import pytest

from engine.models import TimerStatus
from engine.platform.config import PROJECT_ROOT
from engine.platform.timeutil import local_today
from engine.workflow.lint import check_paths
from tests.support.scenario import PDF, Scenario, at_nine, registered_days_ago
from tests.support.tryout import ends_told

ADDRESS = "Lupeni, str. Parângului nr. 12"
REQUEST = {
    "scop": "construire",
    "adresa_imobil": ADDRESS,
    "inscris_cf": "da",
    "numar_carte_funciara": "60123",
    "numar_cadastral": "60123",
    "suprafata_teren": 1250,
    "descriere": "Construirea unei locuințe P+1 cu garaj.",
}
PLANS = {"plan_situatie": PDF, "extras_carte_funciara": PDF, "plan_cadastral": PDF}
CHECK = "Verificarea completitudinii dosarului"
REVIEW = "Analiza tehnică și redactarea certificatului"
ARCHITECT = "Semnarea de către arhitectul-șef"
MAYOR = "Semnarea de către primar"
ISSUE = "Eliberarea certificatului"
COMPLETE = {"verificare": "complet", "zona": "urbana"}
REVIEWED = {
    "regim_juridic": "Teren intravilan, proprietate privată",
    "regim_economic": "Zonă de locuințe individuale",
    "regim_tehnic": "POT maxim 35%, CUT maxim 0,9, P+1+M",
    "avize_necesare": "Aviz de alimentare cu apă, aviz de racordare la rețeaua electrică",
}


BPMN, FORMS = PROJECT_ROOT / "bpmn", PROJECT_ROOT / "forms"


@pytest.fixture
def sc(client, api_for, circuit):
    return Scenario(client, api_for, circuit, "certificat_urbanism")


def fee_notice(sc, rid):
    return [n for n in sc.notifications("citizen", rid) if "Taxa de eliberare" in n]


def signed(sc, rid):
    """Take a checked request through the review and both signatures, to its issuing."""
    sc.step("urbanism", rid, REVIEW, REVIEWED)
    sc.step("urbanism_head", rid, ARCHITECT, {"decizie_arhitect": "semnat"})
    assert sc.step("primar", rid, MAYOR, {"decizie_primar": "semnat"}) == "in_progress"
    return sc.task("urbanism", rid, ISSUE)


def test_catalog_entry_and_required_plans(client, sc):
    procs = {p["id"]: p for p in client.get("/api/v1/procedures").get_json()["procedures"]}
    proc = procs["certificat_urbanism"]
    assert proc["deadline"] == {"days": 15, "kind": "calendar"}
    assert "50/1991" in proc["legal_basis"] and "art. 6 alin. (4)" in proc["legal_basis"]
    required = {a["name"] for a in proc["attachments"] if a["required"]}
    assert required == {"plan_situatie"}
    when = {a["name"]: a.get("required_when") for a in proc["attachments"]}
    assert when["extras_carte_funciara"] == when["plan_cadastral"] == {"inscris_cf": "da"}
    assert when["plan_incadrare"] == {"inscris_cf": "nu"}
    assert "numar_carte_funciara" in proc["start_form"]["properties"]
    # The zone that sets the fee is the office's to decide, not the applicant's to declare.
    assert "zona" not in proc["start_form"]["properties"]
    r = sc.submit_raw({**REQUEST, "zona": "rurala"}, PLANS)
    assert r.status_code == 422
    assert [e["field"] for e in r.get_json()["errors"]] == ["/zona"]
    # Registered land: the land-book number, the CF extract and the cadastral plan.
    r = sc.submit_raw(
        {k: v for k, v in REQUEST.items() if k != "numar_carte_funciara"},
        {"plan_incadrare": PDF},
    )
    assert r.status_code == 422
    fields = {e["field"] for e in r.get_json()["errors"]}
    assert fields == {
        "/numar_carte_funciara",
        "/attachments/plan_situatie",
        "/attachments/extras_carte_funciara",
        "/attachments/plan_cadastral",
    }
    # Unregistered land: the OCPI location plan instead, and no land-book number.
    unregistered = {k: v for k, v in REQUEST.items() if not k.startswith("numar_")}
    unregistered["inscris_cf"] = "nu"
    r = sc.submit_raw(unregistered, {"plan_situatie": PDF})
    assert r.status_code == 422
    assert {e["field"] for e in r.get_json()["errors"]} == {"/attachments/plan_incadrare"}
    r = sc.submit_raw(unregistered, {"plan_situatie": PDF, "plan_incadrare": PDF})
    assert r.status_code == 201, r.get_json()


@pytest.mark.parametrize(
    ("surface", "zone", "fee"),
    [
        (120, "urbana", "6,00"),
        (620, "urbana", "12,00"),
        (1250, "urbana", "16,50"),
        (1250, "rurala", "8,25"),
    ],
)
def test_fee_from_surface_and_the_zone_the_office_decides(sc, surface, zone, fee):
    rid = sc.submit({**REQUEST, "suprafata_teren": surface}, PLANS)["id"]
    assert fee_notice(sc, rid) == []  # not known before the office says the zone
    task = sc.task("registry", rid, CHECK)
    errors = sc.complete("registry", task, {"verificare": "complet"}, status=422)["errors"]
    assert errors == [{"field": "/zona", "message": "Câmpul este obligatoriu."}]
    sc.complete("registry", task, {"verificare": "complet", "zona": zone})
    [notice] = fee_notice(sc, rid)
    assert f"Taxa de eliberare este {fee} lei" in notice
    assert "Codul fiscal, art. 473 alin. (1)" in notice


def test_certificate_issued_after_missing_documents_and_both_signatures(sc, browser_for):
    body = sc.submit(REQUEST, PLANS)
    rid, registered = body["id"], date.fromisoformat(body["registration"]["date"])
    assert body["due_date"] == sc.due(registered, 15).isoformat()
    assert fee_notice(sc, rid) == []
    assert sc.timers(rid) == [
        (
            "Termenul de 5 zile pentru returnare",
            TimerStatus.WAITING,
            at_nine(sc.due(registered, 5)),
        )
    ]

    # The registry asks for the missing land-book extract: the citizen's own form, with files.
    missing = "Lipsește extrasul de carte funciară pentru informare."
    task = sc.task("registry", rid, CHECK)
    errors = sc.complete("registry", task, {"verificare": "cere_completari"}, status=422)
    assert [e["field"] for e in errors["errors"]] == ["/mesaj_solicitant"]
    sc.complete("registry", task, {"verificare": "cere_completari", "mesaj_solicitant": missing})
    seen = sc.detail(rid)
    assert seen["status"] == "waiting_for_citizen", seen
    asked = seen["waiting_for"]
    assert asked["message"] == missing
    assert asked["form"]["title"] == "Completarea dosarului"
    assert [(a["name"], a["required"]) for a in asked["attachments"]] == [("documente", True)]
    assert sc.inbox("registry", rid) == []

    r = sc.reply(rid, {"explicatii": "Am atașat extrasul."})
    assert r.status_code == 422
    assert [e["field"] for e in r.get_json()["errors"]] == ["/attachments/documente"]
    r = sc.reply(rid, {"explicatii": "Am atașat extrasul."}, {"documente": PDF})
    assert r.status_code == 200 and r.get_json()["status"] == "in_progress"
    assert sc.reply(rid, {}, {"documente": PDF}).status_code == 409

    # Complete now: Urbanism reviews, the chief architect sends it back once.
    assert sc.step("registry", rid, CHECK, COMPLETE) == "in_progress"
    assert fee_notice(sc, rid) == [
        f"Dosarul pentru cererea nr. {body['registration']['display']} (Certificat de "
        "urbanism) este complet și a intrat în analiză. Taxa de eliberare este 16,50 lei și se "
        "plătește înainte de eliberarea certificatului (Codul fiscal, art. 473 alin. (1))."
    ]
    review = sc.task("urbanism", rid, REVIEW)
    assert review["department"] == "urbanism"
    sc.complete("urbanism", review, REVIEWED)
    signature = sc.task("urbanism_head", rid, ARCHITECT)
    # The inbox names the step once: no "șef" badge after "arhitectul-șef".
    inbox = browser_for("urbanism_head").get("/birou/").get_data(as_text=True)
    assert ARCHITECT in inbox and "arhitectul-șef</a> <span" not in inbox
    assert "arhitectul-șef șef" not in " ".join(re.sub(r"<[^>]+>", " ", inbox).split())
    assert sc.complete("urbanism", signature, {"decizie_arhitect": "semnat"}, status=403)
    sc.complete(
        "urbanism_head",
        signature,
        {"decizie_arhitect": "retrimis", "comentariu_retrimitere": "Precizați aliniamentul."},
    )
    review = sc.task("urbanism", rid, REVIEW)
    tech = REVIEWED["regim_tehnic"] + ", aliniament la 5 m"
    sc.complete("urbanism", review, {**REVIEWED, "regim_tehnic": tech})
    sc.step("urbanism_head", rid, ARCHITECT, {"decizie_arhitect": "semnat"})

    # The mayor signs in the shared sub-process; sends it back to the architect once.
    mayor = sc.task("primar", rid, MAYOR)
    assert mayor["department"] == "primar"
    assert sc.inbox("urbanism_head", rid) == []
    sc.complete(
        "primar",
        mayor,
        {"decizie_primar": "retrimis", "comentariu_retrimitere": "Lipsește avizul de mediu."},
    )
    assert sc.detail(rid, who="urbanism_head")["status"] == "in_progress"
    again = sc.task("urbanism_head", rid, ARCHITECT)
    assert sc.complete("urbanism_head", again, {"decizie_arhitect": "semnat"})
    assert sc.step("primar", rid, MAYOR, {"decizie_primar": "semnat"}) == "in_progress"

    # Issuing needs the proof of payment (Codul fiscal, art. 473): none was attached.
    issue = sc.task("urbanism", rid, ISSUE)
    assert "Taxa de eliberare: 16,50 lei" in issue_page(browser_for, issue)
    refused = sc.complete("urbanism", issue, {"plata_verificata": True}, status=422)
    [error] = refused["errors"]
    assert error["field"] == "/dovada_plata"
    assert error["message"].startswith(
        "Certificatul de urbanism nu se poate elibera fără dovada plății taxei de eliberare "
        "(Codul fiscal, art. 473 alin. (1))."
    )
    assert sc.task("urbanism", rid, ISSUE)["id"] == issue["id"]  # nothing moved
    paid = {"plata_verificata": True, "dovada_plata": "Chitanța nr. 1234 din 05.12.2026"}
    assert sc.complete("urbanism", issue, paid)["request"]["status"] == "completed"

    seen = sc.detail(rid)
    assert seen["status"] == "completed" and seen["waiting_for"] is None
    assert seen["answer"].startswith(f"Certificatul de urbanism pentru imobilul din {ADDRESS}")
    assert (
        tech in seen["answer"]
        and "Taxa de eliberare, 16,50 lei, a fost plătită." in (seen["answer"])
    )
    assert [(s["name"], s["department"]) for s in seen["steps"]] == [
        (CHECK, "registratura"),
        ("Completarea dosarului", "solicitant"),
        (CHECK, "registratura"),
        (REVIEW, "urbanism"),
        (ARCHITECT, "urbanism"),
        (REVIEW, "urbanism"),
        (ARCHITECT, "urbanism"),
        (MAYOR, "primar"),
        (ARCHITECT, "urbanism"),
        (MAYOR, "primar"),
        (ISSUE, "urbanism"),
    ]
    kinds = sorted((d["kind"], d["name"]) for d in seen["documents"])
    assert kinds == [
        ("attachment", "extras_carte_funciara.pdf"),
        ("attachment", "plan_cadastral.pdf"),
        ("attachment", "plan_situatie.pdf"),
        ("issued", f"certificat-de-urbanism-{body['registration']['number']}-{registered:%Y}.pdf"),
        ("reply", "documente.pdf"),
    ]
    assert {s for _, s, _ in sc.timers(rid)} == {TimerStatus.CANCELLED}
    for who in ("registry", "urbanism", "urbanism_head", "primar"):
        assert sc.inbox(who, rid) == []


def test_incomplete_file_returned_after_the_five_day_term(sc, monkeypatch):
    with registered_days_ago(monkeypatch, 15):
        body = sc.submit(REQUEST, PLANS)
    rid = body["id"]
    # The check was reached on registration, 15 days ago: the registry is told at once.
    [warning] = sc.notifications("registry", rid)
    assert warning == (
        f"Cererea nr. {body['registration']['display']} (Certificat de urbanism): astăzi "
        "expiră termenul de 5 zile în care un dosar incomplet se returnează solicitantului."
    )
    task = sc.task("registry", rid, CHECK)
    errors = sc.complete("registry", task, {"verificare": "returnat"}, status=422)["errors"]
    assert [e["field"] for e in errors] == ["/motive_returnare"]
    reason = "lipsesc planul de situație vizat de OCPI și extrasul de carte funciară."
    sc.complete("registry", task, {"verificare": "returnat", "motive_returnare": reason})

    seen = sc.detail(rid)
    assert seen["status"] == "rejected"  # the return, with its reasons, is the answer
    assert seen["answer"].endswith(f"vă este returnat ca incomplet: {reason}")
    returned = sc.notifications("citizen", rid)[-2]
    assert returned.endswith(f"vă este returnat ca incomplet: {reason}")
    assert sc.inbox("registry", rid) == [] and sc.inbox("urbanism", rid) == []


def issue_page(browser_for, task):
    return browser_for("urbanism").get(f"/birou/sarcini/{task['id']}").get_data(as_text=True)


def test_the_applicants_proof_of_payment_lets_the_certificate_be_issued(sc):
    rid = sc.submit(REQUEST, {**PLANS, "dovada_plata": PDF})["id"]
    sc.step("registry", rid, CHECK, COMPLETE)
    issue = signed(sc, rid)
    done = sc.complete("urbanism", issue, {"plata_verificata": True})
    assert done["request"]["status"] == "completed"


def test_documents_not_sent_in_their_term_return_the_file_with_the_reason(sc, monkeypatch):
    from tests.support.drive import fire_waiting_timers, move_timers_clock

    rid = sc.submit(REQUEST, PLANS)["id"]
    asked = "Lipsește extrasul de carte funciară."
    sc.step("registry", rid, CHECK, {"verificare": "cere_completari", "mesaj_solicitant": asked})
    due = sc.due(local_today(), 10, working=True)
    waiting = sc.detail(rid)["waiting_for"]
    assert waiting["answer_by"] == due.isoformat()
    asking = f"Vă rugăm să răspundeți până la {due:%d.%m.%Y}."
    assert any(asking in n for n in sc.notifications("citizen", rid))
    move_timers_clock(monkeypatch, 30)
    assert fire_waiting_timers(sc.circuit, rid) >= 1
    seen = sc.detail(rid)
    assert seen["status"] == "rejected" and seen["waiting_for"] is None
    assert asked in seen["answer"] and f"nu le-am primit până la {due:%d.%m.%Y}" in seen["answer"]
    told = sc.notifications("registry", rid)
    assert any(f"nu a trimis până la {due:%d.%m.%Y} documentele lipsă" in n for n in told)
    assert sc.reply(rid, {}, {"documente": PDF}).status_code == 409


def test_withdrawn_while_documents_are_asked_for(sc):
    rid = sc.submit(REQUEST, PLANS)["id"]
    sc.step(
        "registry",
        rid,
        CHECK,
        {"verificare": "cere_completari", "mesaj_solicitant": "Lipsește extrasul CF."},
    )
    assert sc.detail(rid)["status"] == "waiting_for_citizen"
    r = sc.withdraw(rid)
    assert r.status_code == 200 and r.get_json()["status"] == "withdrawn"
    seen = sc.detail(rid)
    assert seen["status"] == "withdrawn" and seen["waiting_for"] is None
    assert sc.reply(rid, {}, {"documente": PDF}).status_code == 409
    assert {s for _, s, _ in sc.timers(rid)} == {TimerStatus.CANCELLED}


def test_through_the_portal_and_the_office(browser_for, sc):
    """The same procedure in the web pages: the citizen's form and files, the registry's check,
    the citizen's reply with its own form and a file."""
    citizen, registry = browser_for("citizen"), browser_for("registry")
    page = citizen.get("/proceduri/certificat_urbanism").get_data(as_text=True)
    for title in (
        "Suprafața terenului (m²)",
        "Plan de încadrare în zonă",
        "Numărul cărții funciare",
    ):
        assert title in page
    form = {k: str(v) for k, v in REQUEST.items()}
    files = {name: (io.BytesIO(PDF), f"{name}.pdf") for name in PLANS}
    r = citizen.submit(
        "/proceduri/certificat_urbanism", {**form, **files}, content_type="multipart/form-data"
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    detail_url = r.location
    rid = int(detail_url.rstrip("/").rsplit("/", 1)[1])
    assert fee_notice(sc, rid) == []

    task = sc.task("registry", rid, CHECK)
    url = f"/birou/sarcini/{task['id']}"
    # The registry decides the zone on its own form; the citizen's form never asked for it.
    assert "Zona în care se află imobilul" in registry.get(url).get_data(as_text=True)
    assert "Zona în care se află imobilul" not in page and "Imobilul se află în" not in page
    missing = "Anexați extrasul de carte funciară."
    r = registry.submit(url, {"verificare": "cere_completari", "mesaj_solicitant": missing})
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]

    page = citizen.get(detail_url).get_data(as_text=True)
    assert missing in page and "Documentele cerute" in page
    # The request for documents is said once: the registry's words, then what to do.
    assert page.count(missing) == 1 and "lipsesc din dosar" not in page
    r = citizen.submit(
        detail_url,
        {"explicatii": "Extrasul este anexat.", "documente": (io.BytesIO(PDF), "extras.pdf")},
        action=f"{detail_url}/completare",
        content_type="multipart/form-data",
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    page = citizen.get(detail_url).get_data(as_text=True)
    assert "extras.pdf" in page and "Extrasul este anexat." in page
    # What the citizen sent is headed "Explicații", not "Explicații (opțional)".
    assert "<dt>Explicații</dt>" in page and "Explicații (opțional)" not in page
    # The history says what the status changed to.
    history = sc.client.get(
        f"/api/v1/requests/{rid}/history", headers=sc.api_for("registry")
    ).get_json()
    changes = [e["label"] for e in history["events"] if e["action"] == "status_changed"]
    assert changes == [
        "Stare schimbată: înregistrată → așteaptă completări de la petent",
        "Stare schimbată: așteaptă completări de la petent → în lucru",
    ]
    assert sc.detail(rid)["status"] == "in_progress"
    assert sc.task("registry", rid, CHECK)["name"] == CHECK


def test_diagrams_pass_bpmn_check_and_need_the_shared_signature(tmp_path):
    for name in ("informatii_publice", "certificat_urbanism", "atestare_fiscala"):
        assert check_paths([BPMN / f"{name}.bpmn"], FORMS) == [], name
    assert check_paths([BPMN / "semnatura_primar.bpmn"], FORMS) == []
    # Without the shared sub-process in its folder, the call activity cannot run.
    alone = tmp_path / "certificat_urbanism.bpmn"
    shutil.copy(BPMN / alone.name, alone)
    [problem] = check_paths([alone], FORMS)
    assert "semnatura_primar" in problem.line()


def test_the_office_page_refuses_to_issue_without_payment_in_romanian(sc, browser_for):
    rid = sc.submit(REQUEST, PLANS)["id"]
    sc.step("registry", rid, CHECK, COMPLETE)
    issue = signed(sc, rid)
    office = browser_for("urbanism")
    url = f"/birou/sarcini/{issue['id']}"
    page = office.get(url).get_data(as_text=True)
    assert "Taxa de eliberare: 16,50 lei" in page and "Documentul de plată" in page
    refused = office.submit(url, {"plata_verificata": "on"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "nu se poate elibera fără dovada plății taxei de eliberare" in html
    assert sc.detail(rid)["status"] == "in_progress"
    done = office.submit(url, {"plata_verificata": "on", "dovada_plata": "OP nr. 88/05.12.2026"})
    assert done.status_code == 302, done.get_data(as_text=True)[:1000]
    assert sc.detail(rid)["status"] == "completed"


def test_the_dry_run_scenarios_of_the_procedure_reach_their_ends():
    """Its scenarios in tests/data/scenarios, as `circuit procedure try` plays them."""
    ends_told("certificat_urbanism_eliberat", "completed")
    ends_told("certificat_urbanism_returnat", "rejected")
