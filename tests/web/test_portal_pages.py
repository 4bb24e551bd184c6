"""The portal's smaller promises: limits said before they bite, one registration form, wording."""

from __future__ import annotations

import re
from typing import Any

from engine.people import accounts
from engine.platform import wording
from tests.support import engine as steps
from tests.support.seed import PASSWORD
from tests.support.web import Browser
from webapp import formrender


def test_romanian_counts_take_de_from_twenty() -> None:
    said = {n: wording.count(n, "caracter", "caractere") for n in (1, 2, 19, 20, 101, 120, 200)}
    assert said == {
        1: "1 caracter",
        2: "2 caractere",
        19: "19 caractere",
        20: "20 de caractere",
        101: "101 caractere",
        120: "120 de caractere",
        200: "200 de caractere",
    }


def test_too_long_subject_is_refused_with_de(browser_for: Any) -> None:
    citizen = browser_for("citizen")
    response = citizen.submit(
        "/proceduri/petitie", {"subiect": "x" * 201, "continut": "Un text suficient de lung."}
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "cel mult 200 de caractere" in text and "200 caractere" not in text


def test_start_form_states_its_limits_and_loads_the_script(browser_for: Any) -> None:
    page = browser_for("citizen").get("/proceduri/petitie").get_data(as_text=True)
    assert "Cel mult 10.000 de caractere." in page, "the long text box says its limit"
    assert 'data-chars-left="f-continut"' in page
    assert re.search(r'aria-describedby="[^"]*f-continut-limit', page)
    assert "pot avea împreună cel mult 25 MB" in page, "total upload size beside the files"
    assert '<script src="/static/circuit.js" defer></script>' in page
    assert 'rel="icon" href="/static/favicon.svg"' in page
    assert "<script>" not in page, "no inline scripts (the CSP forbids them)"


def test_static_assets_are_served(client: Any) -> None:
    script = client.get("/static/circuit.js")
    icon = client.get("/static/favicon.svg")
    assert script.status_code == 200 and b"error-summary" in script.data
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"


def test_cnp_fields_open_a_digit_keyboard() -> None:
    schema = {
        "properties": {
            "cnp": {"type": "string", "title": "CNP"},
            "cod": {"type": "string", "title": "Cod", "pattern": "^[0-9]{6}$"},
            "nume": {"type": "string", "title": "Nume"},
            "iban": {"type": "string", "title": "IBAN", "x-inputmode": "text"},
        }
    }
    modes = {f.name: f.inputmode for f in formrender.fields(schema)}
    assert modes == {"cnp": "numeric", "cod": "numeric", "nume": None, "iban": "text"}


def test_request_page_tells_internal_id_from_registration_number(
    circuit: Any, people: dict[str, int], browser_for: Any
) -> None:
    req = steps.submit_petition(circuit, people["citizen"])
    page = browser_for("citizen").get(f"/cereri/{req.id}").get_data(as_text=True)
    assert f"nr. {req.registration_display}" in page
    assert f"Numărul {req.id} din adresa paginii este doar identificatorul intern" in page
    listing = browser_for("citizen").get("/cereri").get_data(as_text=True)
    assert f"nr. {req.registration_display}</a>" in listing


def test_admin_lands_on_the_overview_without_new_request_button(
    app: Any, circuit: Any, people: dict[str, int], browser_for: Any
) -> None:
    steps.submit_petition(circuit, people["citizen"])
    with circuit.db.transaction() as session:
        accounts.create_user(session, "admin@primarie.ro", "Admin", PASSWORD, is_admin=True)
    admin = Browser(app.test_client())
    landed = admin.login("admin@primarie.ro")
    assert landed.status_code == 302
    page = admin.get(landed.location).get_data(as_text=True)
    assert "<h1>Privire de ansamblu" in page and "Cererile mele" not in page
    assert "Cerere nouă" not in page
    everything = admin.get("/cereri").get_data(as_text=True)
    assert "<h1>Toate cererile" in everything and "Cerere nouă" not in everything
    assert "Cerere nouă" in browser_for("citizen").get("/cereri").get_data(as_text=True)


def test_every_error_of_the_start_form_at_once(browser_for: Any) -> None:
    import io

    response = browser_for("citizen").submit(
        "/proceduri/petitie",
        {"subiect": "", "continut": "", "anexe": (io.BytesIO(b"just text"), "poza.pdf")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    summary = page.split('class="error-summary"', 1)[1].split("</ul>", 1)[0]
    for link in ('href="#f-subiect"', 'href="#f-continut"', 'href="#a-anexe"'):
        assert link in summary, f"{link} missing from the error summary"
