"""Files over the total limit: said before sending, and the server's 413 page leads back."""

from __future__ import annotations

from typing import Any

from tests.support.browser import wait_for_focus
from tests.support.web import PDF

MB = 1024 * 1024


def big(name: str) -> dict[str, Any]:
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF + b"0" * (MB - len(PDF))}


def test_files_over_the_total_are_refused_before_and_after_sending(app: Any, new_page: Any) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 2 * MB  # each file is under its own 10 MB limit
    c = new_page("citizen")
    page = c.page
    page.goto("/autentificare")
    page.get_by_label("Adresa de e-mail").fill("ion.popescu@example.ro")
    page.get_by_label("Parola").fill("parola-de-test-1")
    page.get_by_role("button", name="Intră în cont").click()
    page.wait_for_url("**/cereri")
    page.goto("/proceduri/petitie")
    assert "cel mult 2 MB" in page.locator(".upload-limit").inner_text()
    page.locator("#f-subiect").fill("Trei fotografii")
    page.locator("#f-continut").fill("Trei fotografii ale gropii, fiecare sub limita de 10 MB.")
    page.set_input_files("#a-anexe", files=[big("a.pdf"), big("b.pdf"), big("c.pdf")])
    total = page.locator(".upload-total")
    assert "peste limita de 2,0 MB" in total.inner_text()
    page.get_by_role("button", name="Trimite cererea").click()
    assert page.url.endswith("/proceduri/petitie"), "the script keeps the form from being sent"
    wait_for_focus(page, "upload-total")
    c.axe("formularul cu fișiere prea mari")

    # A browser without the script sends it anyway: the server answers 413, in Romanian.
    with page.expect_navigation():
        page.evaluate("document.querySelector('form[data-max-bytes]').submit()")
    assert "Fișiere prea mari" in page.locator("h1").inner_text()
    assert "de 2 MB" in page.content()
    c.axe("pagina 413")
    c.shot("413")
    page.get_by_role("link", name="Înapoi la formular").click()
    page.wait_for_url("**/proceduri/petitie")
    assert page.get_by_role("button", name="Trimite cererea").is_visible()
    page.goto("/cereri")
    assert "Nu aveți încă nicio cerere" in page.content()
