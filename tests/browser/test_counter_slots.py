"""The counter in real Chromium, without JavaScript doing the work: a certificat de urbanism
brought on paper is registered with each scan in its slot; a missing required document is
refused by name and the good scans are kept for the registry official."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.browser import DESKTOP, Checked
from tests.support.seed import PASSWORD, PEOPLE
from tests.support.web import PDF

pytestmark = pytest.mark.slow  # drives a real Chromium


def pdf(name: str) -> dict[str, Any]:
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF}


@pytest.fixture
def registry_page(chromium: Any, live_url: str) -> Iterator[Checked]:
    context = chromium.new_context(viewport=DESKTOP, base_url=live_url, locale="ro-RO")
    c = Checked(context.new_page(), "registratura-sloturi")
    page = c.page
    page.goto("/autentificare")
    page.get_by_label("Adresa de e-mail").fill(PEOPLE["registry"][0])
    page.get_by_label("Parola").fill(PASSWORD)
    page.get_by_role("button", name="Intră în cont").click()
    page.wait_for_load_state()
    yield c
    context.close()


def test_counter_registers_a_certificat_de_urbanism_by_slot(registry_page: Checked) -> None:
    c = registry_page
    page = c.page
    page.goto("/registratura/inregistrare")
    page.get_by_label("Ce pornește documentul").select_option(label="Certificat de urbanism")
    page.get_by_role("button", name="Alege").click()
    page.wait_for_url(re.compile(r"procedure=certificat_urbanism"))
    # One file input per slot of the procedure, with when it is required, and other scans.
    page.get_by_label("Plan de situație").wait_for()
    rules = page.locator("ul.slot-rules").inner_text()
    assert "obligatoriu dacă „Terenul este înscris în cartea funciară?”" in rules
    c.axe("înregistrare la ghișeu, cu documentele procedurii")

    page.get_by_label("Canalul").select_option("counter")
    page.locator("#f-issuer").fill("Maria Lăcătușu")
    page.locator("#f-issuer_contact").fill("Str. Tudor Vladimirescu nr. 3, Lupeni")
    page.get_by_label("Prin poștă").check()
    page.locator("#f-scop").select_option("construire")
    page.locator("#f-adresa_imobil").fill("Lupeni, str. Parângului nr. 12")
    page.locator("#f-inscris_cf-1").check()
    page.locator("#f-numar_carte_funciara").fill("60123")
    page.locator("#f-numar_cadastral").fill("60123")
    page.locator("#f-suprafata_teren").fill("1250")
    page.locator("#f-descriere").fill("Construirea unei locuințe P+1 cu garaj.")
    page.locator("#a-plan_situatie").set_input_files(pdf("situatie.pdf"))
    page.locator("#scanari").set_input_files(pdf("cerere semnata.pdf"))
    page.get_by_role("button", name="Înregistrează").click()

    # The land-book documents are missing: refused by name, the good scans kept.
    summary = page.locator(".error-summary")
    summary.wait_for()
    assert "Atașați documentul cerut: Extras de carte funciară" in summary.inner_text()
    assert "Atașați documentul cerut: Extras de plan cadastral" in summary.inner_text()
    kept = page.locator(".flash-info").inner_text()
    assert "situatie.pdf" in kept and "cerere semnata.pdf" in kept
    c.axe("înregistrare refuzată, fișierele bune păstrate")

    page.locator("#a-extras_carte_funciara").set_input_files(pdf("extras-cf.pdf"))
    page.locator("#a-plan_cadastral").set_input_files(pdf("cadastru.pdf"))
    page.get_by_role("button", name="Înregistrează").click()
    page.wait_for_url(re.compile(r"/registratura/\?q=\d+&dovada=\d+"))
    request_id = int(re.search(r"dovada=(\d+)", page.url).group(1))  # type: ignore[union-attr]
    page.goto(f"/birou/cereri/{request_id}")
    body = page.locator("main").inner_text()
    assert "Toate documentele obligatorii au fost trimise." in body
    for name in ("situatie.pdf", "extras-cf.pdf", "cadastru.pdf", "cerere semnata.pdf"):
        assert name in body
    c.axe("cererea înregistrată la ghișeu")
