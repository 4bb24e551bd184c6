"""A citizen in real Chromium, on a phone and a desktop: submit, keep the receipt, answer."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest

from tests.support import engine as steps
from tests.support.browser import pdf_text, wait_for_focus
from tests.support.citizens import ADULT_CNP, GOOD_PASSWORD, link, outbox
from tests.support.web import PDF

pytestmark = pytest.mark.slow  # drives a real Chromium

NAME = "Ștefan Țăranu"
EMAIL = "stefan.taranu@example.ro"
QUESTION = "Precizați, vă rog, în dreptul cărei case se află groapa."
ANSWER = "Groapa din dreptul casei cu numărul 12 va fi astupată până la 3 decembrie."
REPLY = "În dreptul casei cu numărul 12, lângă stâlpul de iluminat."


ASK = (
    ("registry", steps.TRIAGE_TO_URBANISM),
    ("urbanism", {"actiune": "cere_completari", "mesaj_solicitant": QUESTION}),
)
ANSWER_STEPS = (
    ("urbanism", {"actiune": "propune_raspuns", "raspuns": ANSWER}),
    ("urbanism_head", {"decizie_sef": "aprobat"}),
    ("primar", steps.SIGNED),
)


def officials_act(client: Any, api_for: Any, circuit: Any, request_id: int, acts: Any) -> None:
    """Officials complete the request's steps through the API, one after another."""
    for who, data in acts:
        task_id = steps.ready_task_id(circuit, request_id)
        done = client.post(
            f"/api/v1/tasks/{task_id}/complete", json={"data": data}, headers=api_for(who)
        )
        assert done.status_code == 200, done.get_json()


def sign_up_and_verify(c: Any, data_dir: Path) -> None:
    """Sign up on the web, open the link from the outbox's .eml, confirm, then log in."""
    page = c.page
    page.goto("/")
    c.axe("pagina principală")
    page.get_by_role("link", name="Cont nou", exact=True).first.click()
    c.axe("contul nou")
    page.get_by_role("button", name="Creează contul").click()
    summary = page.locator(".error-summary")
    summary.wait_for()
    wait_for_focus(page, "error-summary")
    assert summary.locator("li").count() >= 3, "every error of the sign-up form at once"
    c.axe("contul nou, cu erori")
    c.shot("cont-nou-erori")
    assert page.locator("#f-cnp").get_attribute("inputmode") == "numeric"
    page.locator("#f-name").fill(NAME)
    page.locator("#f-email").fill(EMAIL)
    page.locator("#f-password").fill(GOOD_PASSWORD)
    page.locator("#f-password2").fill(GOOD_PASSWORD)
    page.locator("#f-cnp").fill(ADULT_CNP)
    page.get_by_role("button", name="Creează contul").click()
    page.get_by_role("heading", name="Verificați-vă e-mailul").wait_for()
    c.axe("e-mailul de confirmare trimis")

    mails = [m for m in outbox(data_dir) if m["To"] == EMAIL]
    assert len(mails) == 1, "one .eml in the outbox for the new account"
    page.goto(link(mails[0], "/cont/confirmare/"))
    c.axe("confirmarea adresei")
    page.get_by_role("button", name="Confirm adresa de e-mail").click()
    page.wait_for_url("**/autentificare**")
    assert "Adresa de e-mail a fost confirmată" in page.content()
    c.axe("autentificare")
    page.get_by_label("Adresa de e-mail").fill(EMAIL)
    page.get_by_label("Parola").fill(GOOD_PASSWORD)
    page.get_by_role("button", name="Intră în cont").click()
    page.wait_for_url("**/cereri")


def submit_petition(c: Any) -> tuple[int, str]:
    """Fill the petition, fail once on purpose, then send it with a file; return id and nr."""
    page = c.page
    page.get_by_role("link", name="Cerere nouă").click()
    c.axe("catalogul procedurilor")
    page.locator('a.button[href$="/petitie"]').click()
    c.axe("formularul petiției")
    c.shot("formular")

    page.get_by_role("button", name="Trimite cererea").click()
    summary = page.locator(".error-summary")
    summary.wait_for()
    wait_for_focus(page, "error-summary")
    assert summary.locator("li").count() >= 2, "every error of the form at once"
    c.axe("formularul cu erori")
    c.shot("erori")

    page.locator("#f-subiect").fill("Groapă în asfalt pe strada Școlii")
    content = page.locator("#f-continut")
    content.fill("În fața casei cu nr. 12 s-a format o groapă adâncă, periculoasă noaptea.")
    left = page.locator("[data-chars-left='f-continut']")
    assert re.fullmatch(r"Mai puteți scrie 9\.9\d\d de caractere\.", left.inner_text()), (
        left.inner_text()
    )
    page.set_input_files(
        "#a-anexe", files=[{"name": "fotografie.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    assert "din 25,0 MB" in page.locator(".upload-total").inner_text()
    page.get_by_role("button", name="Trimite cererea").click()
    page.wait_for_url(re.compile(r"/cereri/\d+$"))
    heading = page.get_by_role("heading", level=1).inner_text()
    number = re.search(r"nr\. \d+/\d\d\.\d\d\.\d{4}", heading)
    assert number, heading
    assert "a fost înregistrată cu " + number.group(0) in page.content()
    c.axe("cererea înregistrată")
    c.shot("inregistrata")
    return int(page.url.rsplit("/", 1)[1]), number.group(0)


def download_receipt(c: Any, number: str) -> None:
    with c.page.expect_download() as info:
        c.page.get_by_role("link", name="Descărcați dovada de înregistrare (PDF)").click()
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    text = pdf_text(open(download.path(), "rb").read())  # noqa: SIM115
    assert number in text and "Petiție" in text and "Școlii" in text
    assert hashlib.sha256(PDF).hexdigest() in re.sub(r"\s+", "", text)


def answer_question(c: Any) -> None:
    page = c.page
    page.reload()
    box = page.locator(".action-box")
    assert QUESTION in box.inner_text()
    c.axe("cererea cu întrebarea funcționarului")
    c.shot("intrebare")
    page.locator("#f-text").fill(REPLY)
    page.get_by_role("button", name="Trimite completările").click()
    page.wait_for_load_state()
    assert "Completările au fost trimise" in page.content()
    conversation = page.locator(".conversation").inner_text()
    assert QUESTION in conversation and REPLY in conversation
    c.axe("cererea după completare")
    c.shot("completata")


def download_answer(c: Any, number: str) -> None:
    page = c.page
    page.reload()
    assert "Soluționată" in page.locator(".facts-grid").inner_text()
    c.axe("cererea soluționată")
    c.shot("solutionata")
    with page.expect_download() as info:
        page.get_by_role("link", name="Descărcați răspunsul (PDF)").click()
    text = pdf_text(open(info.value.path(), "rb").read())  # noqa: SIM115
    assert number in text and ANSWER in " ".join(text.split())


def test_citizen_signs_up_submits_keeps_the_receipt_and_answers_a_question(
    new_page: Any, client: Any, api_for: Any, circuit: Any
) -> None:
    c = new_page("citizen")
    sign_up_and_verify(c, circuit.settings.data_dir)
    c.axe("cererile mele")
    request_id, number = submit_petition(c)
    download_receipt(c, number)
    officials_act(client, api_for, circuit, request_id, ASK)
    answer_question(c)
    officials_act(client, api_for, circuit, request_id, ANSWER_STEPS)
    download_answer(c, number)
    c.page.get_by_role("link", name="Cererile mele").first.click()
    assert number in c.page.locator("table").inner_text()
    c.axe("cererile mele, cu cererea")
    assert not [e for e in c.console_errors if "Content Security Policy" in e]
