"""Certificat de urbanism (Law 50/1991), driven to each of its ends."""

from __future__ import annotations

import io
import re
import shutil
from datetime import date

import pytest

from engine.models import TimerStatus
from engine.platform.config import PROJECT_ROOT
from engine.workflow.lint import check_paths
from tests.support.scenario import PDF, Scenario, at_nine, registered_days_ago

ADDRESS = "Lupeni, str. Parângului nr. 12"
REQUEST = {
    "scop": "construire",
    "adresa_imobil": ADDRESS,
    "inscris_cf": "da",
    "numar_carte_funciara": "60123",
    "numar_cadastral": "60123",
    "suprafata_teren": 1250,
    "zona": "urbana",
    "descriere": "Construirea unei locuințe P+1 cu garaj.",
}
PLANS = {"plan_situatie": PDF, "extras_carte_funciara": PDF, "plan_cadastral": PDF}
CHECK = "Verificarea completitudinii dosarului"
REVIEW = "Analiza tehnică și redactarea certificatului"
ARCHITECT = "Semnarea de către arhitectul-șef"
MAYOR = "Semnarea de către primar"
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
def test_fee_from_surface_and_zone(sc, surface, zone, fee):
    rid = sc.submit({**REQUEST, "suprafata_teren": surface, "zona": zone}, PLANS)["id"]
    [notice] = fee_notice(sc, rid)
    assert f"Taxa de eliberare calculată este {fee} lei." in notice


def test_certificate_issued_after_missing_documents_and_both_signatures(sc, browser_for):
    body = sc.submit(REQUEST, PLANS)
    rid, registered = body["id"], date.fromisoformat(body["registration"]["date"])
    assert body["due_date"] == sc.due(registered, 15).isoformat()
    assert fee_notice(sc, rid) == [
        f"Dosarul pentru cererea nr. {body['registration']['display']} (Certificat de "
        "urbanism) este în verificare. Taxa de eliberare calculată este 16,50 lei."
    ]
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
    assert sc.step("registry", rid, CHECK, {"verificare": "complet"}) == "in_progress"
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
    assert sc.step("primar", rid, MAYOR, {"decizie_primar": "semnat"}) == "completed"

    seen = sc.detail(rid)
    assert seen["status"] == "completed" and seen["waiting_for"] is None
    assert seen["answer"].startswith(f"Certificatul de urbanism pentru imobilul din {ADDRESS}")
    assert tech in seen["answer"] and "Taxa de eliberare: 16,50 lei." in seen["answer"]
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
    ]
    kinds = sorted((d["kind"], d["name"]) for d in seen["documents"])
    assert kinds == [
        ("attachment", "extras_carte_funciara.pdf"),
        ("attachment", "plan_cadastral.pdf"),
        ("attachment", "plan_situatie.pdf"),
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
    assert "Taxa de eliberare calculată este 16,50 lei." in fee_notice(sc, rid)[0]

    task = sc.task("registry", rid, CHECK)
    url = f"/birou/sarcini/{task['id']}"
    assert "Taxa de eliberare calculată: 16,50 lei." in registry.get(url).get_data(as_text=True)
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
