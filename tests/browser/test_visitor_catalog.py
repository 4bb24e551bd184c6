"""A visitor, not signed in, on a phone: searches the catalog, opens a procedure's page and
reads the documents, the fee and the term; then signs in and lands on the form."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.browser import PHONE
from tests.support.city_hall import configured_app
from tests.support.seed import PASSWORD, PEOPLE

pytestmark = pytest.mark.slow  # drives a real Chromium


@pytest.fixture
def app(circuit: Any) -> Any:
    """The city hall with its contact, hours and payment account configured."""
    return configured_app(circuit)


@pytest.fixture
def viewport() -> dict[str, int]:
    return PHONE


def fits_the_screen(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_a_visitor_on_a_phone_finds_a_procedure_and_reads_what_to_bring_and_pay(new_page):
    c = new_page("visitor")
    page = c.page
    page.goto("/proceduri")
    c.axe("catalogul")
    assert fits_the_screen(page)
    page.get_by_label("Ce căutați?").fill("URBANISM")
    page.get_by_role("button", name="Caută").click()
    page.wait_for_url("**/proceduri?q=URBANISM**")
    c.axe("catalogul, căutare")
    cards = page.locator("li.card h2")
    assert cards.all_inner_texts() == ["Certificat de urbanism"]
    card = page.locator("li.card")
    assert "15 zile calendaristice" in card.inner_text()
    assert "Plan de situație (obligatoriu)" in card.inner_text()

    cards.get_by_role("link", name="Certificat de urbanism").click()
    page.wait_for_url("**/proceduri/certificat_urbanism/despre")
    c.axe("pagina procedurii")
    c.shot("procedura-certificat-urbanism")
    assert fits_the_screen(page)
    documents = page.locator(".documents-to-bring").inner_text()
    assert "Plan de situație" in documents and "Obligatoriu." in documents
    assert "ați răspuns „Nu”" in documents
    fee = page.locator("#taxa + *").inner_text() + page.locator(".pay-ways").inner_text()
    assert "taxa pentru eliberarea certificatului de urbanism" in fee
    assert "RO49TREZ3665006XXX000123" in fee and "ghișeul.ro" in fee
    body = page.locator("main").inner_text()
    assert "15 zile calendaristice" in body and "Cine decide" in body
    assert "verify" not in body  # the catalog's notes are not shown

    page.get_by_role("link", name="Autentificați-vă pentru a depune cererea").click()
    page.get_by_label("Adresa de e-mail").fill(PEOPLE["citizen"][0])
    page.get_by_label("Parola").fill(PASSWORD)
    page.get_by_role("button", name="Intră în cont").click()
    page.wait_for_url("**/proceduri/certificat_urbanism")
    assert page.get_by_role("button", name="Trimite cererea").is_visible()
    assert not c.console_errors, c.console_errors


def test_the_privacy_notice_is_one_tap_from_the_footer(new_page):
    c = new_page("visitor")
    page = c.page
    page.goto("/proceduri")
    page.locator("footer").get_by_role("link", name="Protecția datelor personale").click()
    page.wait_for_url("**/confidentialitate")
    c.axe("protecția datelor")
    assert fits_the_screen(page)
    assert "dpo@primaria-test.ro" in page.locator("main").inner_text()
