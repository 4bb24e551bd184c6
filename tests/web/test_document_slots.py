"""Every file keeps the slot it was uploaded for, and a refused form keeps its good files."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from engine.cases import documents
from engine.models import Document, PendingUpload, Request
from engine.platform.timeutil import utcnow
from engine.workflow.catalog import AttachmentSpec
from tests.support.register import counter_petition
from tests.support.scenario import Scenario
from tests.support.web import PDF, Pages

FORM = {
    "scop": "construire",
    "adresa_imobil": "Lupeni, str. Parângului nr. 12",
    "inscris_cf": "da",
    "numar_carte_funciara": "60123",
    "numar_cadastral": "60123",
    "suprafata_teren": "1250",
    "zona": "urbana",
    "descriere": "Construirea unei locuințe P+1 cu garaj.",
}
NEW = "/proceduri/certificat_urbanism"
CHECK = "Verificarea completitudinii dosarului"
HELD = re.compile(r'name="held_file" value="([0-9a-f]{32})"')
NOT_A_PDF = b"doar text, nu un PDF"


@pytest.fixture
def pages() -> Pages:
    return Pages()


@pytest.fixture
def sc(client: Any, api_for: Any, circuit: Any) -> Scenario:
    return Scenario(client, api_for, circuit, "certificat_urbanism")


def titles(circuit: Any) -> dict[str, str]:
    """The slot titles of the catalog entry, as the citizen's form shows them."""
    with circuit.db.transaction() as s:
        proc = circuit.procedures(s).get("certificat_urbanism")
    return {a.name: a.title for a in proc.attachments}


def pdf_text(content: bytes) -> str:
    return re.sub(
        r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    )


def post(browser: Any, url: str, form: dict[str, Any], files: dict[str, Any], **kw: Any) -> Any:
    """Post the form with (name -> (bytes, filename)) files, as a multipart browser would."""
    data: dict[str, Any] = dict(form)
    for name, (content, filename) in files.items():
        data[name] = (io.BytesIO(content), filename)
    return browser.submit(url, data, content_type="multipart/form-data", **kw)


def pending(circuit: Any) -> int:
    with circuit.db.transaction() as s:
        return s.scalar(select(func.count()).select_from(PendingUpload)) or 0


def request_id(location: str) -> int:
    return int(location.rstrip("/").rsplit("/", 1)[1])


def test_slot_titles_on_every_page_the_register_the_receipt_and_the_api(
    browser_for: Any, sc: Scenario, circuit: Any, pages: Pages
) -> None:
    slot = titles(circuit)
    citizen, registry = browser_for("citizen"), browser_for("registry")
    files = {
        "plan_situatie": (PDF, "situatie.pdf"),
        "extras_carte_funciara": (PDF, "extras-cf.pdf"),
        "plan_cadastral": (PDF, "cadastru.pdf"),
    }
    r = post(citizen, NEW, FORM, files)
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    rid = request_id(r.location)

    page = pages.get(citizen, r.location)
    for name, (_, filename) in files.items():
        assert re.search(
            rf"{re.escape(slot[name])}:</span>\s*<a [^>]*>{re.escape(filename)}</a>", page
        ), name

    body = sc.client.get(f"/api/v1/requests/{rid}", headers=sc.api_for("citizen")).get_json()
    sent = {d["name"]: (d["slot"], d["slot_title"]) for d in body["documents"]}
    assert sent == {f: (n, slot[n]) for n, (_, f) in files.items()}

    # The registry's completeness check: every required slot filled, optional ones not sent.
    task = sc.task("registry", rid, CHECK)
    check = pages.get(registry, f"/birou/sarcini/{task['id']}")
    assert "Documente cerute" in check
    assert "Toate documentele obligatorii au fost trimise." in check
    assert re.search(rf"{re.escape(slot['plan_situatie'])}</strong>.*?situatie\.pdf", check, re.S)
    assert re.search(rf"{re.escape(slot['plan_incadrare'])}</strong>.*?netrimis", check, re.S)
    office = pages.get(registry, f"/birou/cereri/{rid}")
    assert f"{slot['extras_carte_funciara']}:</span>" in office

    # The register: the page and the CSV say which file came for which slot.
    register = pages.get(registry, "/registratura/")
    assert f"{slot['plan_cadastral']}: cadastru.pdf" in register
    csv = registry.get("/registratura/export").get_data().decode("utf-8-sig")
    assert csv.splitlines()[0].endswith('"Documente"')
    assert f"{slot['plan_situatie']}: situatie.pdf; " in csv

    # A completion asked by the registry is listed on the receipt under its own slot.
    asked = {"verificare": "cere_completari", "mesaj_solicitant": "Anexați schița."}
    assert registry.submit(f"/birou/sarcini/{task['id']}", asked).status_code == 302
    detail = f"/cereri/{rid}"
    r = post(citizen, detail, {}, {"documente": (PDF, "schita.pdf")}, action=f"{detail}/completare")
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    text = pdf_text(citizen.get(f"/cereri/{rid}/dovada.pdf").data)
    for name, (_, filename) in files.items():
        assert f"{slot[name]} {filename}" in text
    assert re.search(r"Documentele cerute schita\.pdf \(\d+ KB, completare din ", text)
    pages.check_all()


def test_completeness_check_names_the_required_slot_missing(
    browser_for: Any, sc: Scenario, circuit: Any, pages: Pages
) -> None:
    """A file lacking a required slot (here: a request whose land-book answer changed to
    "not registered" after it came in, so the OCPI plan becomes required) is named missing."""
    slot = titles(circuit)
    citizen, registry = browser_for("citizen"), browser_for("registry")
    files = {
        n: (PDF, f"{n}.pdf") for n in ("plan_situatie", "extras_carte_funciara", "plan_cadastral")
    }
    rid = request_id(post(citizen, NEW, FORM, files).location)
    with circuit.db.transaction() as s:
        req = s.get(Request, rid)
        req.data = {**req.data, "inscris_cf": "nu"}
    task = sc.task("registry", rid, CHECK)
    page = pages.get(registry, f"/birou/sarcini/{task['id']}")
    missing = re.search(r"Lipsesc documente obligatorii: ([^<]*)\.</p>", page)
    assert missing, page[:3000]
    assert missing.group(1) == slot["plan_incadrare"]
    assert re.search(rf"{re.escape(slot['plan_incadrare'])}</strong>.*?lipsește", page, re.S)
    # The land-book documents, no longer required, are still listed as sent.
    assert re.search(rf"{re.escape(slot['plan_cadastral'])}</strong>:\s*<a ", page)
    pages.check_all()


def test_a_refused_form_keeps_the_good_file_and_takes_it_back(
    browser_for: Any, circuit: Any, pages: Pages
) -> None:
    slot = titles(circuit)
    citizen = browser_for("citizen")
    r = post(
        citizen,
        NEW,
        FORM,
        {
            "plan_situatie": (PDF, "situatie.pdf"),
            "extras_carte_funciara": (NOT_A_PDF, "extras.pdf"),
            "plan_cadastral": (PDF, "cadastru.pdf"),
        },
    )
    page = pages.html(r, 422)
    assert "extras.pdf” nu este de un tip acceptat" in page
    assert "alegeți din nou fișierul extras.pdf" in page
    assert "Fișierele bune trimise au fost păstrate (situatie.pdf, cadastru.pdf)" in page
    held = HELD.findall(page)
    assert len(held) == 2 and pending(circuit) == 2
    assert "Renunț la fișierul „situatie.pdf”" in page
    assert "Nu aveți încă nicio cerere" in pages.get(citizen, "/cereri")  # nothing half-stored

    # Only the bad file is chosen again; the held ones go with the form by their ids.
    r = post(
        citizen,
        NEW,
        FORM | {"held_file": held},
        {"extras_carte_funciara": (PDF, "extras.pdf")},
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    page = pages.get(citizen, r.location)
    for name, filename in (
        ("plan_situatie", "situatie.pdf"),
        ("extras_carte_funciara", "extras.pdf"),
        ("plan_cadastral", "cadastru.pdf"),
    ):
        assert f"{slot[name]}:</span>" in page and f">{filename}</a>" in page
    assert pending(circuit) == 0  # attached, no longer held
    with circuit.db.transaction() as s:
        stored = s.scalars(select(Document).where(Document.request_id == request_id(r.location)))
        assert sorted(d.field for d in stored) == sorted(
            ["plan_situatie", "extras_carte_funciara", "plan_cadastral"]
        )
    pages.check_all()


def test_a_missing_field_keeps_every_file_and_one_can_be_removed(
    browser_for: Any, circuit: Any, pages: Pages
) -> None:
    citizen = browser_for("citizen")
    files = {
        "plan_situatie": (PDF, "situatie.pdf"),
        "extras_carte_funciara": (PDF, "extras.pdf"),
        "plan_cadastral": (PDF, "cadastru.pdf"),
        "dovada_plata": (PDF, "chitanta.pdf"),
    }
    r = post(citizen, NEW, {k: v for k, v in FORM.items() if k != "adresa_imobil"}, files)
    page = pages.html(r, 422)
    assert "Câmpul este obligatoriu." in page
    held = dict(
        zip(re.findall(r"Renunț la fișierul „([^”]+)”", page), HELD.findall(page), strict=True)
    )
    assert set(held) == {"situatie.pdf", "extras.pdf", "cadastru.pdf", "chitanta.pdf"}
    assert ' required aria-describedby="a-plan_situatie-hint' not in page  # already held

    # The receipt of payment is removed and the address still forgotten: three stay held.
    r = post(
        citizen,
        NEW,
        {k: v for k, v in FORM.items() if k != "adresa_imobil"}
        | {"held_file": list(held.values()), "drop_held": held["chitanta.pdf"]},
        {},
    )
    page = pages.html(r, 422)
    assert "chitanta.pdf" not in page and len(HELD.findall(page)) == 3
    assert pending(circuit) == 3

    r = post(citizen, NEW, FORM | {"held_file": HELD.findall(page)}, {})
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    page = pages.get(citizen, r.location)
    assert "situatie.pdf" in page and "chitanta.pdf" not in page
    pages.check_all()


def test_a_held_file_belongs_to_its_uploader_only(browser_for: Any, circuit: Any) -> None:
    ion, elena = browser_for("citizen"), browser_for("citizen2")
    form = {k: v for k, v in FORM.items() if k != "adresa_imobil"}
    page = post(ion, NEW, form, {"plan_situatie": (PDF, "situatie.pdf")}).get_data(as_text=True)
    [held] = HELD.findall(page)

    r = post(elena, NEW, FORM | {"held_file": held}, {})
    page = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "Atașați documentul cerut: Plan de situație." in page
    assert "situatie.pdf" not in page and held not in page
    assert pending(circuit) == 1  # still Ion's

    r = post(ion, NEW, FORM | {"held_file": held}, {})
    assert r.status_code == 422  # the CF extract and the cadastral plan are still missing
    assert "situatie.pdf" in r.get_data(as_text=True)


def test_a_refused_reply_keeps_its_good_file(
    browser_for: Any, sc: Scenario, circuit: Any, pages: Pages
) -> None:
    citizen, registry = browser_for("citizen"), browser_for("registry")
    files = {
        n: (PDF, f"{n}.pdf") for n in ("plan_situatie", "extras_carte_funciara", "plan_cadastral")
    }
    rid = request_id(post(citizen, NEW, FORM, files).location)
    task = sc.task("registry", rid, CHECK)
    asked = {"verificare": "cere_completari", "mesaj_solicitant": "Anexați schița."}
    assert registry.submit(f"/birou/sarcini/{task['id']}", asked).status_code == 302

    detail = f"/cereri/{rid}"
    data = {"documente": [(io.BytesIO(PDF), "schita.pdf"), (io.BytesIO(NOT_A_PDF), "poza.pdf")]}
    r = citizen.submit(
        detail, data, action=f"{detail}/completare", content_type="multipart/form-data"
    )
    page = pages.html(r, 422)
    assert "poza.pdf” nu este de un tip acceptat" in page
    [held] = HELD.findall(page)
    assert "Fișierele bune trimise au fost păstrate (schita.pdf)" in page

    r = citizen.submit(detail, {"held_file": held}, action=f"{detail}/completare")
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    page = pages.get(citizen, detail)
    assert "Documentele cerute:</span>" in page and ">schita.pdf</a>" in page
    assert "poza.pdf" not in page and pending(circuit) == 0
    pages.check_all()


SPEC = AttachmentSpec("plan", "Plan de încadrare", True, ("application/pdf",), 1024, True)


def test_held_files_are_checked_bounded_and_expire(
    circuit: Any, people: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    where, me = circuit.settings.documents_dir, people["citizen"]
    big = PDF + b" " * 2000
    with circuit.db.transaction() as s:
        held = documents.hold(
            s,
            where,
            me,
            "start:x",
            [SPEC],
            [
                documents.Upload("plan", "a.pdf", PDF),
                documents.Upload("plan", "b.exe", b"MZ not a pdf"),
                documents.Upload("plan", "mare.pdf", big),
                documents.Upload("alt", "c.pdf", PDF),
            ],
        )
        assert [f.name for f in held.files] == ["a.pdf"]
        assert held.lost == ["b.exe", "mare.pdf", "c.pdf"]
        ids = [f.id for f in held.files]
    monkeypatch.setattr(documents, "MAX_HELD_FILES", 2)
    with circuit.db.transaction() as s:
        more = documents.hold(
            s,
            where,
            me,
            "start:x",
            [SPEC],
            [documents.Upload("plan", f"{i}.pdf", PDF) for i in range(3)],
        )
        assert len(more.files) == 1 and more.lost == ["1.pdf", "2.pdf"]
        ids.append(more.files[0].id)
        # Another user, another form, or after two hours: nothing to take.
        assert documents.held_files(s, people["citizen2"], "start:x", ids) == []
        assert documents.held_files(s, me, "reply:1", ids) == []
        later = utcnow() + documents.HOLD_FOR + timedelta(minutes=1)
        assert documents.held_files(s, me, "start:x", ids, now=later) == []
        assert len(documents.held_files(s, me, "start:x", ids)) == 2
        documents.hold(s, where, me, "start:x", [SPEC], [], now=later)  # sweeps the expired
    assert pending(circuit) == 0


def test_slot_states_follow_required_when() -> None:
    specs = (
        AttachmentSpec(
            "cf", "Extras CF", False, ("application/pdf",), 10, required_when=(("inscris", "da"),)
        ),
        AttachmentSpec(
            "ocpi",
            "Plan de încadrare",
            False,
            ("application/pdf",),
            10,
            required_when=(("inscris", "nu"),),
        ),
    )
    doc = Document(field="cf", kind="reply", name="cf.pdf", slot_title="Extras CF")
    states = {s.name: s for s in documents.slot_states(specs, {"inscris": "da"}, [doc])}
    assert states["cf"].files == (doc,) and not states["cf"].missing
    assert not states["ocpi"].required and not states["ocpi"].missing
    states = {s.name: s for s in documents.slot_states(specs, {"inscris": "nu"}, [])}
    assert states["ocpi"].missing and not states["cf"].required
    assert (
        documents.slot_title(Document(field="scan", kind="scan"))
        == "Document scanat la registratură"
    )


def test_a_registry_scan_is_named_as_such_in_the_register_and_the_request(
    browser_for: Any, api_for: Any, client: Any, pages: Pages
) -> None:
    r = counter_petition(client, api_for("registry"))
    assert r.status_code == 201, r.get_json()
    rid = r.get_json()["request_id"]
    registry = browser_for("registry")
    assert "Document scanat la registratură: scanare petitie.pdf" in pages.get(
        registry, "/registratura/"
    )
    page = pages.get(registry, f"/birou/cereri/{rid}")
    assert "Document scanat la registratură:</span>" in page
    body = client.get(f"/api/v1/requests/{rid}", headers=api_for("registry")).get_json()
    assert [(d["slot"], d["slot_title"]) for d in body["documents"]] == [
        ("scan", "Document scanat la registratură")
    ]
    pages.check_all()
