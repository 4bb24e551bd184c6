"""A procedure's public page: what anyone reads before signing in — the documents by slot, the
fee and how to pay it, the term in plain words, who decides — and never the designers' notes."""

from __future__ import annotations

import html
import io
import json
from collections.abc import Iterator

import pytest
from sqlalchemy import update

from engine.models import Request, User
from engine.platform.config import PROJECT_ROOT
from tests.support.city_hall import configured_app
from tests.support.drive import JPEG
from tests.support.seed import PEOPLE
from tests.support.web import Browser, Pages


@pytest.fixture
def visitor(circuit):
    """A browser that has not signed in, on a city hall with its contact and account set."""
    return configured_app(circuit).test_client()


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_a_visitor_reads_the_certificat_de_urbanism_page_without_signing_in(visitor):
    pages = Pages()
    page = html.unescape(pages.get(visitor, "/proceduri/certificat_urbanism/despre"))
    assert "<h1>Certificat de urbanism</h1>" in page
    assert "regimul juridic, economic și tehnic al terenului" in page  # what it is for
    # The documents by slot: the required one, and those required only with some answers.
    assert "Plan de situație" in page and "Obligatoriu." in page
    question = "Obligatoriu dacă la „Terenul este înscris în cartea funciară?” ați răspuns"
    assert f"{question} „Nu”." in page and f"{question} „Da”." in page
    # The fee: how it is computed, what for, when, and how to pay it.
    assert "taxa pentru eliberarea certificatului de urbanism" in page
    assert "până la 150 m² — 6 lei" in page
    assert "Codul fiscal, art. 473" in page
    assert "RO49TREZ3665006XXX000123" in page and "Trezoreria Petroșani" in page
    assert 'href="https://www.ghiseul.ro/ghiseul/public/taxe/test"' in page
    # The term in plain words, who decides, the legal basis on this page.
    assert "15 zile calendaristice" in page and "socotite din ziua următoare" in page
    assert "Primarul, care semnează certificatul împreună cu arhitectul-șef" in page
    assert "Legea nr. 50/1991" in page
    # Signing in leads back to the form.
    assert "/autentificare?next=/proceduri/certificat_urbanism" in page
    # The designers' notes stay in the catalog.
    notes = json.loads((PROJECT_ROOT / "processes" / "certificat_urbanism.json").read_text())
    assert notes["notes"][:40] not in page and "verify" not in page
    pages.check_all()


def test_no_procedure_page_shows_the_catalogs_notes(visitor):
    for path in sorted((PROJECT_ROOT / "processes").glob("*.json")):
        entry = json.loads(path.read_text(encoding="utf-8"))
        page = text_of(visitor.get(f"/proceduri/{entry['id']}/despre"))
        assert entry["title"] in page
        if entry.get("notes"):
            assert entry["notes"][:30] not in page, path.name


def test_a_free_procedure_says_so_and_the_archive_states_its_council_fee(visitor):
    petition = text_of(visitor.get("/proceduri/petitie/despre"))
    assert "Nu plătiți nicio taxă pentru această procedură." in petition
    assert "IBAN" not in petition
    archive = text_of(visitor.get("/proceduri/adeverinta_arhiva/despre"))
    assert "20 lei" in archive
    assert "taxa specială pentru cercetarea arhivei" in archive
    assert "Hotărârea consiliului local privind taxele speciale" in archive
    assert "beneficiar" in archive and "cod fiscal" in archive and "4374393" in archive
    public_info = text_of(visitor.get("/proceduri/informatii_publice/despre"))
    fee = public_info[public_info.index('<h2 id="taxa">') : public_info.index('<h2 id="termen">')]
    assert "Gratuit" in fee and "dacă cereți copii pe hârtie, plătiți costul copierii" in fee
    assert "Legea nr. 544/2001, art. 9 alin. (1)" in fee


def test_a_working_days_term_is_said_as_such(visitor):
    page = text_of(visitor.get("/proceduri/atestare_fiscala/despre"))
    assert "2 zile lucrătoare" in page
    assert "nu se socotesc sâmbetele, duminicile și sărbătorile legale" in page


def test_the_form_address_sends_a_visitor_to_the_procedure_page_and_refuses_a_post(
    visitor, circuit
):
    r = visitor.get("/proceduri/petitie")
    assert r.status_code == 302 and r.location.endswith("/proceduri/petitie/despre")
    posted = visitor.post("/proceduri/petitie", data={"subiect": "x", "continut": "y"})
    assert posted.status_code in (302, 400)  # to the sign-in page, or refused for its CSRF
    with circuit.db.transaction() as s:
        assert s.query(Request).count() == 0


def test_an_unknown_procedure_has_no_page(visitor):
    assert visitor.get("/proceduri/nu_exista/despre").status_code == 404


def test_a_signed_in_citizen_goes_from_the_page_to_the_form(browser_for):
    citizen = browser_for("citizen")
    page = citizen.get("/proceduri/petitie/despre").get_data(as_text=True)
    assert 'href="/proceduri/petitie">Completează cererea</a>' in page
    form = citizen.get("/proceduri/petitie").get_data(as_text=True)
    assert 'href="/proceduri/petitie/despre"' in form and "Trimite cererea" in form


@pytest.fixture
def no_archivist(circuit, people) -> Iterator[None]:
    """The archive with nobody active in it."""

    def set_active(value: bool) -> None:
        with circuit.db.transaction() as s:
            s.execute(update(User).where(User.id == people["arhiva"]).values(active=value))

    set_active(False)
    try:
        yield
    finally:
        set_active(True)


def test_an_unavailable_procedure_says_so_in_plain_words(visitor, no_archivist):
    page = text_of(visitor.get("/proceduri/adeverinta_arhiva/despre"))
    assert "Temporar indisponibilă." in page
    assert "compartimentul „Arhivă” nu are încă personal" in page
    assert "Autentificați-vă pentru a depune cererea" not in page
    assert "Actul de identitate" in page  # still says what to bring


def test_the_request_page_and_the_form_say_the_fee_and_how_to_pay(circuit, api_for):
    app = configured_app(circuit)
    citizen = Browser(app.test_client())
    citizen.login(PEOPLE["citizen"][0])
    form = text_of(citizen.get("/proceduri/adeverinta_arhiva"))
    assert "Taxa de plată" in form and "20 lei" in form and "RO49TREZ3665006XXX000123" in form
    sent = citizen.submit(
        "/proceduri/adeverinta_arhiva",
        {
            "pentru_cine": "mine",
            "tip_document": "vechime",
            "descriere": "State de plată ale Cooperativei Meșteșugarul.",
            "an_de_la": "1982",
            "an_pana_la": "1989",
            "scop": "dosar de pensionare",
            "act_identitate": (io.BytesIO(JPEG), "buletin.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert sent.status_code == 302, text_of(sent)[:2000]
    page = text_of(citizen.get(sent.location))
    assert "Taxa de plată" in page and "20 lei" in page
    assert "taxa specială pentru cercetarea arhivei" in page
    assert "ghișeul.ro" in page
    petition = citizen.submit(
        "/proceduri/petitie", {"subiect": "Test", "continut": "Un text suficient de lung."}
    )
    assert petition.status_code == 302, text_of(petition)[:2000]
    assert "Taxa de plată" not in text_of(citizen.get(petition.location))
