"""The register book: search, pages, CSV and PDF exports, and its tamper-evident chain."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pypdf
from sqlalchemy import select, text

from engine.models import RegistryEntry, User
from engine.platform.timeutil import local_today
from engine.register import chain, desk
from tests.support.register import _tamper, fill_register

ENTRIES = "/api/v1/registry/entries"


def test_register_search_is_case_and_diacritics_blind_and_paginated(
    client, api_for, circuit, people
):
    fill_register(circuit, people, 7)
    registry_h = api_for("registry")
    body = client.get(f"{ENTRIES}?per_page=3&page=1", headers=registry_h).get_json()
    assert body["total"] == 7 and [e["number"] for e in body["entries"]] == [7, 6, 5]
    body = client.get(f"{ENTRIES}?per_page=3&page=3", headers=registry_h).get_json()
    assert [e["number"] for e in body["entries"]] == [1]
    found = client.get(f"{ENTRIES}?q=stefan tutuianu", headers=registry_h).get_json()
    assert [e["number"] for e in found["entries"]] == [7, 4, 1]
    found = client.get(f"{ENTRIES}?q=MUREȘAN", headers=registry_h).get_json()
    assert [e["issuer"] for e in found["entries"]] == ["Ioana Mureșan"] * 2
    assert client.get(f"{ENTRIES}?q=5", headers=registry_h).get_json()["entries"][0]["number"] == 5
    # A period before today has nothing.
    r = client.get(f"{ENTRIES}?from=2020-01-01&to=2020-12-31", headers=registry_h)
    assert r.get_json()["total"] == 0


def test_csv_export_opens_with_its_diacritics(client, api_for, circuit, people):
    fill_register(circuit, people, 3)
    today = local_today().isoformat()
    r = client.get(
        f"/api/v1/registry/export?from={today}&to={today}&format=csv", headers=api_for("registry")
    )
    assert r.status_code == 200 and r.mimetype == "text/csv"
    raw = r.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM tells spreadsheets it is UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Nr. înregistrare", "Data înregistrării", "Intrare/ieșire"]
    assert [r[0] for r in rows[1:]] == ["1", "2", "3"]
    assert rows[1][7] == "Ștefan Țuțuianu" and rows[2][7] == "Asociația de Proprietari nr. 3"
    assert rows[1][8] == "Sesizare 1: gunoi neridicat în cartierul Braia"
    assert rows[3][5] == "3"  # pages


def test_a_day_printed_as_pdf_ends_with_the_chains_last_hash(client, api_for, circuit, people):
    fill_register(circuit, people, 4)
    r = client.get("/api/v1/registry/export?format=pdf", headers=api_for("registry"))
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(r.get_data()))
    content = "\n".join(page.extract_text() for page in reader.pages)
    assert "Registrul de intrare-ieșire" in content
    assert "Ștefan Țuțuianu" in content and "Ioana Mureșan" in content
    with circuit.db.session() as s:
        last = chain.last_entry(s)
    tail = content.split("Ultimul hash al lanțului:")[-1]
    assert last.entry_hash in "".join(tail.split())


def test_chain_check_passes_on_a_clean_register(client, api_for, circuit, people):
    fill_register(circuit, people, 5)
    body = client.get("/api/v1/registry/verify", headers=api_for("registry")).get_json()
    assert body == {"ok": True, "entries": 5}


def test_chain_check_names_the_row_altered_in_the_database(client, api_for, circuit, people):
    shown = fill_register(circuit, people, 6)
    # The append-only trigger refuses an honest UPDATE on PostgreSQL.
    if not circuit.db.is_sqlite:
        with circuit.db.engine.connect() as conn:
            try:
                conn.execute(text("UPDATE registry_entries SET summary = 'x' WHERE number = 4"))
                raise AssertionError("the register accepted an UPDATE")
            except Exception as exc:  # noqa: BLE001 - any refusal will do
                assert "append-only" in str(exc)
    _tamper(
        circuit,
        "UPDATE registry_entries SET summary = :s WHERE number = 4",
        s="Sesizare 4: rezolvată",
    )
    body = client.get("/api/v1/registry/verify", headers=api_for("registry")).get_json()
    assert body["ok"] is False
    assert body["first_bad"]["number"] == 4
    assert body["first_bad"]["display"] == shown[3]
    assert body["first_bad"]["date"] == local_today().isoformat()
    assert "modificat" in body["first_bad"]["reason"]


def test_chain_check_names_a_rehashed_row_and_a_deleted_one(client, api_for, circuit, people):
    fill_register(circuit, people, 6)
    # Whoever recomputes the altered row's own hash still breaks the link of the next row.
    with circuit.db.session() as s:
        row = s.scalar(select(RegistryEntry).where(RegistryEntry.number == 2))
        row.issuer = "Altcineva"
        forged = chain.entry_digest(row)
        s.rollback()
    _tamper(
        circuit,
        "UPDATE registry_entries SET issuer = 'Altcineva', entry_hash = :h WHERE number = 2",
        h=forged,
    )
    body = client.get("/api/v1/registry/verify", headers=api_for("registry")).get_json()
    assert body["first_bad"]["number"] == 3 and "legat" in body["first_bad"]["reason"]
    _tamper(circuit, "DELETE FROM registry_entries WHERE number IN (2, 3)")
    body = client.get("/api/v1/registry/verify", headers=api_for("registry")).get_json()
    assert body["first_bad"]["number"] == 4 and "lipsește" in body["first_bad"]["reason"]


def test_the_chain_covers_the_scans_hashes(circuit, people):
    with circuit.db.transaction() as s:
        done = desk.register_document(
            s,
            circuit,
            s.get(User, people["registry"]),
            {"channel": "counter", "issuer": "Ion Pop", "summary": "Plângere"},
            [desk.documents.Upload("files", "a.pdf", b"%PDF-1.4\n%%EOF\n")],
            clock=lambda: datetime(2026, 5, 4, 9, 0, tzinfo=UTC),
        )
        entry = done.entry
        assert entry.documents[0]["name"] == "a.pdf"
        honest = chain.entry_digest(entry)
        entry.documents = [{**entry.documents[0], "sha256": "0" * 64}]
        assert chain.entry_digest(entry) != honest
        s.rollback()
