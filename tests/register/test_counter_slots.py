"""The counter registers a procedure's files by its slots, checked as the portal checks them;
a refused registration keeps the good files for the registry official."""

from __future__ import annotations

import io
import json
import re
from typing import Any

from sqlalchemy import func, select

from engine.models import Document, PendingUpload, RegistryEntry, Request
from tests.support.web import PDF

ENTRIES = "/api/v1/registry/entries"
NEW = "/registratura/inregistrare?procedure=certificat_urbanism"
FORM = {
    "scop": "construire",
    "adresa_imobil": "Lupeni, str. Parângului nr. 12",
    "inscris_cf": "da",
    "numar_carte_funciara": "60123",
    "numar_cadastral": "60123",
    "suprafata_teren": "1250",
    "descriere": "Construirea unei locuințe P+1 cu garaj.",
}
COUNTER = {
    "direction": "in",
    "channel": "counter",
    "issuer": "Maria Lăcătușu",
    "issuer_contact": "Str. Tudor Vladimirescu nr. 3, Lupeni",
    "reply_by": "post",
    "procedure": "certificat_urbanism",
}
HELD = re.compile(r'name="held_file" value="([0-9a-f]{32})"')
NOT_A_PDF = b"doar text, nu un PDF"


def titles(circuit: Any) -> dict[str, str]:
    with circuit.db.transaction() as s:
        proc = circuit.procedures(s).get("certificat_urbanism")
    return {a.name: a.title for a in proc.attachments}


def counts(circuit: Any) -> tuple[int, int, int, int]:
    with circuit.db.transaction() as s:
        return tuple(  # type: ignore[return-value]
            s.scalar(select(func.count()).select_from(t)) or 0
            for t in (RegistryEntry, Request, Document, PendingUpload)
        )


def api_post(client: Any, headers: Any, files: dict[str, tuple[bytes, str]], **extra: Any) -> Any:
    data = {**FORM, "suprafata_teren": 1250}  # JSON carries the number as a number
    form: dict[str, Any] = {**COUNTER, **extra, "data": json.dumps(data)}
    for name, (content, filename) in files.items():
        form[name] = (io.BytesIO(content), filename)
    return client.post(ENTRIES, data=form, headers=headers, content_type="multipart/form-data")


def web_post(browser: Any, fields: dict[str, Any], files: dict[str, Any]) -> Any:
    data: dict[str, Any] = {**fields}
    for name, (content, filename) in files.items():
        data[name] = (io.BytesIO(content), filename)
    return browser.submit(NEW, data, content_type="multipart/form-data")


def test_api_registers_a_certificat_de_urbanism_with_its_files_by_slot(
    client: Any, api_for: Any, circuit: Any
) -> None:
    slot = titles(circuit)
    registry = api_for("registry")
    r = api_post(
        client,
        registry,
        {
            "plan_situatie": (PDF, "situatie.pdf"),
            "extras_carte_funciara": (PDF, "extras-cf.pdf"),
            "plan_cadastral": (PDF, "cadastru.pdf"),
            "files": (PDF, "cerere semnata.pdf"),
        },
    )
    assert r.status_code == 201, r.get_json()
    rid = r.get_json()["request_id"]
    body = client.get(f"/api/v1/requests/{rid}", headers=registry).get_json()
    assert body["status"] == "registered"
    sent = {d["name"]: (d["kind"], d["slot"], d["slot_title"]) for d in body["documents"]}
    assert sent == {
        "situatie.pdf": ("attachment", "plan_situatie", slot["plan_situatie"]),
        "extras-cf.pdf": ("attachment", "extras_carte_funciara", slot["extras_carte_funciara"]),
        "cadastru.pdf": ("attachment", "plan_cadastral", slot["plan_cadastral"]),
        "cerere semnata.pdf": ("scan", "scan", "Document scanat la registratură"),
    }
    with circuit.db.session() as s:
        req = s.get(Request, rid)
        assert req.applicant_id is None and req.petitioner_name == "Maria Lăcătușu"
        entry = req.registry_entry
        assert [d.get("slot") for d in entry.documents] == [
            "plan_situatie",
            "extras_carte_funciara",
            "plan_cadastral",
            "scan",
        ]


def test_api_refuses_a_missing_required_slot_naming_it_and_stores_nothing(
    client: Any, api_for: Any, circuit: Any
) -> None:
    slot = titles(circuit)
    r = api_post(
        client,
        api_for("registry"),
        {"plan_situatie": (PDF, "situatie.pdf"), "files": (PDF, "cerere.pdf")},
    )
    assert r.status_code == 422
    errors = {e["field"]: e["message"] for e in r.get_json()["errors"]}
    assert errors == {
        "/attachments/extras_carte_funciara": (
            f"Atașați documentul cerut: {slot['extras_carte_funciara']}."
        ),
        "/attachments/plan_cadastral": f"Atașați documentul cerut: {slot['plan_cadastral']}.",
    }
    # A file by its content, as at the portal; a slot the procedure has not is refused.
    r = api_post(
        client,
        api_for("registry"),
        {
            "plan_situatie": (NOT_A_PDF, "situatie.pdf"),
            "extras_carte_funciara": (PDF, "extras.pdf"),
            "plan_cadastral": (PDF, "cadastru.pdf"),
            "buletin": (PDF, "buletin.pdf"),
        },
    )
    assert r.status_code == 422
    errors = {e["field"]: e["message"] for e in r.get_json()["errors"]}
    assert "nu este de un tip acceptat" in errors["/attachments/plan_situatie"]
    assert errors["/attachments/buletin"] == "Această procedură nu primește un fișier aici."
    assert counts(circuit) == (0, 0, 0, 0)


def test_counter_form_offers_the_slots_and_keeps_the_good_files_of_a_refused_form(
    browser_for: Any, circuit: Any
) -> None:
    slot = titles(circuit)
    registry = browser_for("registry")
    page = registry.get(NEW).get_data(as_text=True)
    for name, title in slot.items():
        assert f'name="{name}"' in page and title in page
    assert 'name="files"' in page and "Alte documente scanate" in page
    assert "obligatoriu dacă „Terenul este înscris în cartea funciară?” este „Da" in page

    fields = {**COUNTER, **FORM, "procedure": "certificat_urbanism"}
    r = web_post(
        registry,
        fields,
        {"plan_situatie": (PDF, "situatie.pdf"), "files": (PDF, "cerere.pdf")},
    )
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert f"Atașați documentul cerut: {slot['plan_cadastral']}." in page
    assert f"Atașați documentul cerut: {slot['extras_carte_funciara']}." in page
    assert "Fișierele bune trimise au fost păstrate (situatie.pdf, cerere.pdf)" in page
    held = HELD.findall(page)
    assert len(held) == 2
    assert counts(circuit)[:3] == (0, 0, 0)  # nothing registered, nothing stored as a document

    # Only the missing ones are chosen now; the held ones go with the form by their ids.
    r = web_post(
        registry,
        {**fields, "held_file": held},
        {"extras_carte_funciara": (PDF, "extras.pdf"), "plan_cadastral": (PDF, "cadastru.pdf")},
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    assert "dovada=" in r.location
    with circuit.db.transaction() as s:
        req = s.scalar(select(Request))
        docs = s.scalars(select(Document).where(Document.request_id == req.id))
        stored = {d.name: (d.field, d.slot_title) for d in docs}
        assert stored == {
            "situatie.pdf": ("plan_situatie", slot["plan_situatie"]),
            "extras.pdf": ("extras_carte_funciara", slot["extras_carte_funciara"]),
            "cadastru.pdf": ("plan_cadastral", slot["plan_cadastral"]),
            "cerere.pdf": ("scan", "Document scanat la registratură"),
        }
    assert counts(circuit)[3] == 0  # attached, no longer held
    office = registry.get(f"/birou/cereri/{req.id}").get_data(as_text=True)
    assert "Toate documentele obligatorii au fost trimise." in office
