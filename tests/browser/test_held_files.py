"""A citizen on a phone sends one bad and one good file: only the bad one is chosen again."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.support.browser import PHONE, wait_for_focus
from tests.support.web import PDF

pytestmark = pytest.mark.slow  # drives a real Chromium


@pytest.fixture
def viewport() -> dict[str, int]:
    return PHONE  # the phone only: the form is the same on a desktop


def test_a_refused_form_keeps_the_good_file_on_a_phone(new_page: Any, circuit: Any) -> None:
    with circuit.db.transaction() as s:
        slots = {
            a.name: a.title for a in circuit.procedures(s).get("certificat_urbanism").attachments
        }
    c = new_page("citizen")
    page = c.page
    page.goto("/autentificare")
    page.get_by_label("Adresa de e-mail").fill("ion.popescu@example.ro")
    page.get_by_label("Parola").fill("parola-de-test-1")
    page.get_by_role("button", name="Intră în cont").click()
    page.wait_for_url("**/cereri")

    page.goto("/proceduri/certificat_urbanism")
    page.locator("#f-scop").select_option("construire")
    page.locator("#f-adresa_imobil").fill("Lupeni, str. Parângului nr. 12")
    page.locator("input[name=inscris_cf][value=nu]").check()  # the OCPI plan is required
    page.locator("#f-suprafata_teren").fill("480")
    page.locator("#f-descriere").fill("Construirea unei locuințe P+1.")
    page.set_input_files(
        "#a-plan_incadrare",
        files=[{"name": "incadrare.pdf", "mimeType": "application/pdf", "buffer": b"o poza"}],
    )
    page.set_input_files(
        "#a-plan_situatie",
        files=[{"name": "situatie.pdf", "mimeType": "application/pdf", "buffer": PDF}],
    )
    page.get_by_role("button", name="Trimite cererea").click()
    summary = page.locator(".error-summary")
    summary.wait_for()
    wait_for_focus(page, "error-summary")
    assert "incadrare.pdf” nu este de un tip acceptat" in summary.inner_text()
    held = page.locator("#a-plan_situatie-held")
    assert "situatie.pdf" in held.inner_text(), "the good file is kept, said beside its slot"
    assert page.get_by_label("Renunț la fișierul „situatie.pdf”").is_visible()
    assert "alegeți din nou fișierul incadrare.pdf" in page.content()
    c.axe("formularul refuzat, cu fișierul păstrat")
    c.shot("fisier-pastrat")

    # Only the bad file is chosen again; every answer is still filled in.
    assert page.locator("#f-adresa_imobil").input_value() == "Lupeni, str. Parângului nr. 12"
    page.set_input_files(
        "#a-plan_incadrare",
        files=[{"name": "incadrare.pdf", "mimeType": "application/pdf", "buffer": PDF}],
    )
    page.get_by_role("button", name="Trimite cererea").click()
    page.wait_for_url(re.compile(r"/cereri/\d+$"))
    files = page.locator("ul.documents").inner_text()
    assert f"{slots['plan_incadrare']}: incadrare.pdf" in files
    assert f"{slots['plan_situatie']}: situatie.pdf" in files
    c.axe("cererea înregistrată cu ambele fișiere")
    c.shot("ambele-fisiere")
    assert [e for e in c.console_errors if "422" not in e] == []  # the refusal only
