"""PDF receipts and answers: what a citizen keeps after submitting and once answered."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import date
from typing import Any

from pypdf import PdfReader

from engine.cases import receipts
from engine.platform import fonts
from tests.support import engine as steps
from tests.support.register import counter_petition
from tests.support.web import PDF, submit_petition

SUBJECT = "Groapă în asfalt pe strada Școlii, lângă țarc"
ANSWER = "Groapa va fi astupată; șantierul începe în săptămâna următoare."


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def flat(text: str) -> str:
    """Join the lines a PDF wrapped, so long values read as one."""
    return re.sub(r"\s+", "", text)


def answered(circuit: Any, people: dict[str, int], request_id: int) -> None:
    """Take a petition through triage, drafting, the head's approval and the mayor's signature."""
    for who, data in (
        ("registry", steps.TRIAGE_TO_URBANISM),
        ("urbanism", {"actiune": "propune_raspuns", "raspuns": ANSWER}),
        ("urbanism_head", {"decizie_sef": "aprobat"}),
        ("primar", steps.SIGNED),
    ):
        steps.complete(circuit, people[who], steps.ready_task_id(circuit, request_id), data)


def test_receipt_after_submitting_holds_number_procedure_due_date_and_hashes(
    browser_for: Any,
) -> None:
    citizen = browser_for("citizen")
    response = submit_petition(citizen, subject=SUBJECT)
    assert response.status_code == 302
    detail = citizen.get(response.location).get_data(as_text=True)
    registration = re.search(r"nr\. (\d+)/(\d\d\.\d\d\.\d{4})", detail)
    assert registration, "the request page shows the registration as nr. N/dd.mm.yyyy"
    assert not re.search(r"nr\. \d+ / ", detail), "one display form of the registration"
    link = re.search(r'href="(/cereri/\d+/dovada\.pdf)"', detail)
    assert link, "the request page offers the receipt"
    assert "Dovada de înregistrare" in detail

    download = citizen.get(link.group(1))
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert "attachment" in download.headers["Content-Disposition"]
    text = pdf_text(download.data)
    assert registration.group(0) in text
    assert "Petiție" in text and "Termen legal de răspuns" in text
    assert SUBJECT in text, "diacritics (ă ș ț) survive in the PDF's text"
    assert "fotografie.pdf" in text
    assert hashlib.sha256(PDF).hexdigest() in flat(text)


def test_receipt_through_the_api_and_not_for_others(
    circuit: Any, people: dict[str, int], client: Any, api_for: Any
) -> None:
    req = steps.submit_petition(circuit, people["citizen"])
    url = f"/api/v1/requests/{req.id}/receipt.pdf"
    mine = client.get(url, headers=api_for("citizen"))
    assert mine.status_code == 200 and mine.mimetype == "application/pdf"
    text = pdf_text(mine.data)
    assert f"nr. {req.registration_display}" in text
    assert f"{req.due_date:%d.%m.%Y}" in text
    assert "Cererea nu are documente atașate." in text

    other = client.get(url, headers=api_for("citizen2"))
    missing = client.get("/api/v1/requests/999999/receipt.pdf", headers=api_for("citizen2"))
    assert other.status_code == missing.status_code == 404
    assert other.get_json()["error"] == missing.get_json()["error"]
    assert client.get(url).status_code == 401


def test_answer_pdf_once_the_request_is_answered(
    circuit: Any, people: dict[str, int], client: Any, api_for: Any, browser_for: Any
) -> None:
    req = steps.submit_petition(circuit, people["citizen"], subiect=SUBJECT)
    url = f"/api/v1/requests/{req.id}/answer.pdf"
    early = client.get(url, headers=api_for("citizen"))
    assert early.status_code == 404 and early.get_json()["error"] == "no_answer"
    answered(circuit, people, req.id)

    citizen = browser_for("citizen")
    detail = citizen.get(f"/cereri/{req.id}").get_data(as_text=True)
    assert f'href="/cereri/{req.id}/raspuns.pdf"' in detail
    download = citizen.get(f"/cereri/{req.id}/raspuns.pdf")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    text = pdf_text(download.data)
    assert f"nr. {req.registration_display}" in text
    assert "Nr. de ieșire" in text
    assert ANSWER in " ".join(text.split()), "the answer's text, diacritics intact"
    # It names who approved and who signed it, with their roles (OG 27/2002, art. 13).
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert "Semnează" in lines
    assert "Șeful compartimentului Urbanism și Amenajarea Teritoriului: Cristina Vlad" in lines
    assert "Primar: Constantin Barbu" in lines
    assert client.get(url, headers=api_for("citizen")).status_code == 200
    assert client.get(url, headers=api_for("citizen2")).status_code == 404


def test_a_font_with_romanian_diacritics_is_found() -> None:
    found = fonts.font_paths()
    assert set(found) == {"", "B"} and all(p.is_file() for p in found.values())


def test_pdfs_print_with_the_shipped_dejavu_unless_a_font_folder_is_named(
    tmp_path, monkeypatch
) -> None:
    monkeypatch.delenv("CIRCUIT_PDF_FONT_DIR", raising=False)
    shipped = fonts.SHIPPED_FONTS
    assert fonts.font_paths() == {
        "": shipped / "DejaVuSans.ttf",
        "B": shipped / "DejaVuSans-Bold.ttf",
    }
    assert "Bitstream" in (shipped / "LICENSE").read_text(), "the licence travels with the fonts"
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
        (tmp_path / name).write_bytes((shipped / name).read_bytes())
    monkeypatch.setenv("CIRCUIT_PDF_FONT_DIR", str(tmp_path))
    assert fonts.font_paths()[""] == tmp_path / "DejaVuSans.ttf"


def test_registration_label_is_one_form() -> None:
    assert receipts.registration_label(7, date(2026, 11, 28)) == "nr. 7/28.11.2026"
    assert receipts.registration_label(120, date(2027, 1, 5)) == "nr. 120/05.01.2027"


def test_receipt_and_answer_of_a_counter_petition_name_its_issuer(
    circuit: Any, people: dict[str, int], client: Any, api_for: Any
) -> None:

    registry = api_for("registry")
    made = counter_petition(client, registry, subject=SUBJECT)
    assert made.status_code == 201, made.get_json()
    rid = made.get_json()["request_id"]
    receipt = client.get(f"/api/v1/requests/{rid}/receipt.pdf", headers=registry)
    assert receipt.status_code == 200 and receipt.mimetype == "application/pdf"
    text = pdf_text(receipt.data)
    assert "Gheorghe Țăranu" in text, "the petitioner without an account is named"
    assert f"nr. {made.get_json()['display']}" in text

    answered(circuit, people, rid)
    answer = client.get(f"/api/v1/requests/{rid}/answer.pdf", headers=registry)
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    text = pdf_text(answer.data)
    assert "Gheorghe Țăranu" in text
    assert ANSWER in " ".join(text.split())
