"""Officials in real Chromium: the registry registers paper; an inbox of 40 worked on a phone."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from engine.models import AuditEvent, TaskRecord, TaskState
from tests.support import engine as steps
from tests.support.browser import DESKTOP, PHONE, log_in, pdf_text
from tests.support.web import PDF

pytestmark = pytest.mark.slow  # drives a real Chromium

ISSUER = "Gheorghe Ionescu-Bălțățeanu"
SUMMARY = "Sesizare privind iluminatul public pe strada Țesătorilor"
INBOX_SIZE = 40


def test_registry_registers_a_paper_petition_with_a_scan(page_at: Any, circuit: Any) -> None:
    c = page_at("registry", DESKTOP)
    page = c.page
    log_in(c, "registry", check_page=True)
    page.goto("/registratura/inregistrare")
    c.axe("înregistrarea unui document")
    page.locator("#procedura").select_option("petitie")
    page.get_by_role("button", name="Alege").click()
    page.wait_for_url("**procedure=petitie**")
    c.axe("înregistrarea unei petiții")

    # Nothing filled: every error at once, next to its field, nothing registered.
    page.get_by_role("button", name="Înregistrează").click()
    summary = page.locator(".error-summary")
    summary.wait_for()
    listed = summary.locator("li").all_inner_texts()
    assert len(listed) >= 3 and any("Subiectul petiției" in t for t in listed), listed
    assert not [t for t in listed if "{" in t], "each error in words, none as a raw dictionary"
    c.axe("înregistrarea cu erori")
    c.shot("inregistrare-erori")

    page.get_by_label("Intrare", exact=True).check()
    page.get_by_label("Canalul").select_option("post")
    page.locator("#f-issuer").fill(ISSUER)
    page.locator("#f-issuer_number").fill("12/A")
    page.locator("#f-issuer_date").fill("2026-11-20")
    page.locator("#f-pages").fill("3")
    page.locator("#f-annexes").fill("1")
    page.locator("#f-summary").fill(SUMMARY)
    page.locator("#f-issuer_contact").fill("Str. Țesătorilor nr. 4, Brașov")
    page.get_by_label("Prin poștă").check()
    page.locator("#f-subiect").fill("Iluminat public defect")
    page.locator("#f-continut").fill("Pe strada Țesătorilor nu funcționează trei stâlpi.")
    page.set_input_files(
        "#scanari", files=[{"name": "scanare.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.get_by_role("button", name="Înregistrează").click()
    page.wait_for_url(re.compile(r"/registratura/\?q=\d+"))
    flash = page.locator(".flash-success").inner_text()
    shown = re.search(r"nr\. (\d+)/(\d\d\.\d\d\.\d{4})", flash)
    assert shown, flash
    assert "Procedura a pornit" in flash
    number, day = shown.group(1), shown.group(2)
    c.axe("registrul după înregistrare")
    c.shot("inregistrat")

    # Search the register for the issuer and find the row with its number.
    page.goto("/registratura/")
    page.get_by_label("Caută").fill("Bălțățeanu")
    page.get_by_role("button", name="Caută").click()
    page.wait_for_url("**q=**")
    rows = page.locator("table.register tbody tr")
    assert rows.count() == 1
    row = rows.first.inner_text()
    assert f"{number} / {day}" in row and SUMMARY in row and "12/A" in row
    assert "Poștă" in row and "scanare.pdf" in row
    c.axe("registrul, căutare")
    c.shot("registru")

    # Print the day: the PDF holds the row.
    with page.expect_download() as info:
        page.get_by_role("link", name="ziua de azi (PDF)").click()
    text = " ".join(pdf_text(open(info.value.path(), "rb").read()).split())  # noqa: SIM115
    assert ISSUER in text and number in text
    assert info.value.suggested_filename.endswith(".pdf")
    with page.expect_download() as info:
        page.get_by_role("link", name="perioada aleasă (CSV)").click()
    csv = open(info.value.path(), "rb").read()  # noqa: SIM115
    assert csv.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM, for spreadsheets"
    assert ISSUER in csv.decode("utf-8-sig") and SUMMARY in csv.decode("utf-8-sig")


def seed_inbox(circuit: Any, people: dict[str, int]) -> list[int]:
    """Register 40 petitions through the engine; their triage lands in the registry's inbox."""
    return [
        steps.submit_petition(circuit, people["citizen"], subiect=f"Sesizarea {i:02d}").id
        for i in range(1, INBOX_SIZE + 1)
    ]


def inbox_rows(page: Any) -> list[str]:
    return page.locator("table.inbox tbody tr").all_inner_texts()


def test_official_works_an_inbox_of_forty_on_a_phone(
    page_at: Any, circuit: Any, people: dict[str, int]
) -> None:
    request_ids = seed_inbox(circuit, people)
    c = page_at("registry", PHONE)
    page = c.page
    log_in(c, "registry")
    page.goto("/birou/")
    heading = page.get_by_role("heading", level=1).inner_text()
    assert f"({INBOX_SIZE})" in heading, heading
    rows = inbox_rows(page)
    assert len(rows) == INBOX_SIZE
    subjects = [re.search(r"Sesizarea (\d\d)", r).group(1) for r in rows]  # type: ignore[union-attr]
    numbers = [r.split("\n", 1)[0] for r in rows]
    assert subjects == [f"{i:02d}" for i in range(1, INBOX_SIZE + 1)], "oldest first"
    due = re.compile(r"\d\d\.\d\d\.\d{4} — (\d+ (de )?zile rămase|1 zi rămasă)")
    assert all(due.search(r) for r in rows), "every row shows its due date and days left"
    c.axe("sarcinile de lucru, 40")
    c.shot("inbox-40")

    # Claim the oldest and triage it to urbanism.
    page.locator("table.inbox tbody tr").first.locator("td[data-label='Sarcina'] a").click()
    assert "Sesizarea 01" in page.locator(".lead").inner_text()
    c.axe("sarcina cea mai veche")
    page.get_by_role("button", name="Preiau").click()
    page.get_by_role("button", name="Eliberez").wait_for()
    c.axe("sarcina preluată")
    c.shot("sarcina")
    page.get_by_role("button", name="Finalizez").click()
    page.locator(".error-summary").wait_for()
    c.axe("sarcina cu erori")
    page.get_by_label("Repartizare către compartimentul competent").check()
    page.locator("#f-departament").select_option("urbanism")
    page.get_by_role("button", name="Finalizez").click()
    page.wait_for_url(re.compile(r"/birou/$"))
    assert "a fost finalizată" in page.locator(".flash-success").inner_text()
    assert f"({INBOX_SIZE - 1})" in page.get_by_role("heading", level=1).inner_text()
    assert len(inbox_rows(page)) == INBOX_SIZE - 1
    assert "Sesizarea 01" not in page.locator("table.inbox").inner_text()
    c.axe("sarcinile de lucru, 39")

    # Claiming the newest while older free tasks wait asks for a reason and records it.
    page.locator("table.inbox tbody tr").last.locator("td[data-label='Sarcina'] a").click()
    assert f"Sesizarea {INBOX_SIZE}" in page.locator(".lead").inner_text()
    page.get_by_role("button", name="Preiau").click()
    page.get_by_role("heading", name="O cerere mai veche așteaptă").wait_for()
    assert numbers[1] in page.locator(".lead").inner_text(), "it names the oldest free one"
    c.axe("preluare în afara ordinii")
    c.shot("motiv")
    reason = "Petentul a revenit la ghișeu cu o situație urgentă."
    page.get_by_label(re.compile("De ce preluați acum")).fill(reason)
    page.get_by_role("button", name="Preiau cu acest motiv").click()
    page.get_by_role("button", name="Eliberez").wait_for()
    assert "Maria Dumitrescu" in page.locator(".facts").first.inner_text()
    assert reason in page.content(), "the reason is in the request's history"
    c.axe("sarcina preluată cu motiv")

    with circuit.db.session() as s:
        newest = s.scalar(
            select(TaskRecord).where(
                TaskRecord.request_id == request_ids[-1], TaskRecord.state == TaskState.READY
            )
        )
        assert newest is not None and newest.claimed_by_id == people["registry"]
        reasons = s.scalars(select(AuditEvent.detail)).all()
        assert any(reason in str(d) for d in reasons)
    assert not [e for e in c.console_errors if "Content Security Policy" in e]
