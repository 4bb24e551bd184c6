"""The counter and the post in real Chromium: a petition registered for someone without an
account, its receipt printed, its answer posted by the registry and the register saying so."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from engine.models import User
from engine.platform.timeutil import local_today
from tests.support import engine as steps
from tests.support.browser import DESKTOP, PHONE, log_in, pdf_text
from tests.support.register import ANSWER
from tests.support.seed import PEOPLE

pytestmark = pytest.mark.slow  # drives a real Chromium

ISSUER = "Gheorghe Țăranu"
ADDRESS = "Str. Morilor nr. 7, Lupeni, jud. Hunedoara"
REFERENCE = "RR123456789RO"


def _downloaded_text(page: Any, click: Any) -> str:
    with page.expect_download() as info:
        click()
    assert info.value.suggested_filename.endswith(".pdf")
    return " ".join(pdf_text(open(info.value.path(), "rb").read()).split())  # noqa: SIM115


def _answer(circuit: Any, request_id: int) -> None:
    """The officials' part: triage to urbanism, an answer, its head's approval, the mayor's
    signature."""

    def uid(who: str) -> int:
        with circuit.db.session() as s:
            found = s.scalar(select(User.id).where(User.email == PEOPLE[who][0]))
            assert found is not None
            return found

    step = steps.ready_task_id
    steps.complete(circuit, uid("registry"), step(circuit, request_id), steps.TRIAGE_TO_URBANISM)
    answer = {"actiune": "propune_raspuns", "raspuns": ANSWER}
    steps.complete(circuit, uid("urbanism"), step(circuit, request_id), answer)
    decision = {"decizie_sef": "aprobat"}
    steps.complete(circuit, uid("urbanism_head"), step(circuit, request_id), decision)
    steps.complete(circuit, uid("primar"), step(circuit, request_id), steps.SIGNED)


def _columns_fit(page: Any) -> dict[str, Any]:
    """Bring the last column into view (scrolling the table's box if it must) and measure it
    against the box and the page: reachable, not cut off by the page's edge."""
    return page.evaluate(
        """() => {
          const th = [...document.querySelectorAll('table.register th')]
            .find(th => th.innerText.trim() === 'Dosar');
          th.scrollIntoView({block: 'nearest', inline: 'nearest'});
          const box = document.querySelector('.table-scroll').getBoundingClientRect();
          const dosar = th.getBoundingClientRect();
          return {page: document.documentElement.scrollWidth, width: window.innerWidth,
                  dosarRight: dosar.right, boxRight: box.right};
        }"""
    )


def test_registry_registers_at_the_counter_and_posts_the_answer(page_at: Any, circuit: Any) -> None:
    c = page_at("registry", DESKTOP)
    page = c.page
    log_in(c, "registry")
    page.goto("/registratura/inregistrare?procedure=petitie")
    page.get_by_label("Intrare", exact=True).check()
    page.get_by_label("Canalul").select_option("counter")
    page.locator("#f-issuer").fill(ISSUER)
    page.locator("#f-pages").fill("2")
    page.locator("#f-issuer_contact").fill(ADDRESS)
    page.get_by_label("Prin poștă").check()
    page.locator("#f-subiect").fill("Iluminat stradal defect")
    page.locator("#f-continut").fill("Pe strada Morilor nu funcționează trei stâlpi.")
    page.get_by_role("button", name="Înregistrează").click()
    page.wait_for_url(re.compile(r"/registratura/\?q=\d+&dovada=\d+"))
    request_id = int(re.search(r"dovada=(\d+)", page.url).group(1))  # type: ignore[union-attr]
    panel = page.get_by_role("region", name="Dovada de înregistrare pentru petent")
    assert ISSUER in panel.inner_text()
    c.axe("registrul, cu dovada de înregistrare")
    c.shot("ghiseu-dovada")

    # The person at the counter leaves with the receipt: the portal's PDF.
    link = page.get_by_role("link", name="Descarcă dovada de înregistrare (PDF)")
    receipt = _downloaded_text(page, link.click)
    assert "Dovadă de înregistrare a cererii nr." in receipt and ISSUER in receipt
    assert "Termen legal de răspuns" in receipt

    _answer(circuit, request_id)

    # Answered, registered out, not sent: the register says so and the queue holds it.
    page.goto("/registratura/")
    out_row = page.locator("table.register tbody tr").first
    assert "De expediat" in out_row.inner_text()
    assert out_row.locator("td[data-label='Data expedierii']").inner_text().strip() == ""
    page.get_by_role("link", name="Expediere: răspunsuri de trimis (1)").click()
    page.wait_for_url("**/registratura/expediere")
    card = page.get_by_role("region", name=re.compile(f"către {ISSUER}"))
    assert ADDRESS in card.inner_text() and "prin poștă" in card.inner_text()
    c.axe("expediere")
    answer = _downloaded_text(
        page, page.get_by_role("link", name="Descarcă răspunsul de tipărit (PDF)").click
    )
    assert ANSWER in answer

    # Posted without the post's number: refused, told next to the field.
    page.get_by_role("button", name="Expediază").click()
    page.locator(".error-summary").wait_for()
    assert "numărul trimiterii poștale" in page.locator(".error-summary").inner_text()
    c.axe("expediere cu erori")
    c.shot("expediere-erori")
    page.get_by_label(re.compile("Numărul trimiterii poștale")).fill(REFERENCE)
    page.get_by_role("button", name="Expediază").click()
    page.wait_for_url("**/registratura/expediere")
    flash = page.locator(".flash-success").inner_text()
    assert "expediat prin poștă" in flash and REFERENCE in flash
    c.axe("expediere reușită")

    # The register shows it sent, with the day and the reference; every column in view.
    page.goto("/registratura/")
    today = f"{local_today():%d.%m.%Y}"
    out_row = page.locator("table.register tbody tr").first
    assert f"Expediat prin poștă la {today}, ref. {REFERENCE}" in out_row.inner_text()
    assert out_row.locator("td[data-label='Data expedierii']").inner_text().strip() == today
    fit = _columns_fit(page)
    assert fit["page"] <= fit["width"], fit
    assert fit["dosarRight"] <= min(fit["boxRight"], fit["width"]) + 1, f"Dosar is cut: {fit}"
    c.axe("registrul, răspuns expediat")
    c.shot("registru-expediat")

    # On a phone the register's lines stack: nothing runs off the screen.
    p = page_at("registry", PHONE)
    log_in(p, "registry")
    p.page.goto("/registratura/")
    width = p.page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    dosar = p.page.locator("table.register tbody tr").first.locator("td[data-label='Dosar']")
    assert dosar.is_visible()
    p.axe("registrul pe telefon")
    p.shot("registru-telefon")
