"""The privacy notice (GDPR art. 13): what is kept, why, how long, whom to ask; linked from
sign-up and every page's footer, with the city hall's contact and hours from configuration."""

from __future__ import annotations

import html

import pytest

from tests.support.city_hall import configured_app
from tests.support.web import Pages


@pytest.fixture
def visitor(circuit):
    return configured_app(circuit).test_client()


def test_the_notice_says_what_why_how_long_and_whom_to_ask(visitor):
    pages = Pages()
    page = html.unescape(pages.get(visitor, "/confidentialitate"))
    assert "<h1>Protecția datelor personale</h1>" in page
    assert "art. 13 din Regulamentul (UE) 2016/679" in page
    assert "CNP-ul (păstrat criptat și afișat mascat)" in page  # what
    assert "art. 6 alin. (1) lit. c) și e) din GDPR" in page  # why
    # how long: each procedure's retention from the catalog's archive key
    assert "Petiție: 10 ani (dosarul II-5)" in page
    assert "Certificat de urbanism: 30 de ani" in page
    assert "după 8 ore de la autentificare" in page
    # whom to ask, and where to complain
    assert 'href="mailto:dpo@primaria-test.ro"' in page
    assert "Strada Tudor Vladimirescu nr. 21, Lupeni" in page
    assert "www.dataprotection.ro" in page
    pages.check_all()


def test_every_page_has_the_city_halls_contact_and_the_notice_in_its_footer(visitor, circuit):
    for path in ("/", "/proceduri", "/autentificare", "/proceduri/petitie/despre"):
        page = html.unescape(visitor.get(path).get_data(as_text=True))
        footer = page[page.index('<footer class="site-footer">') :]
        assert 'href="/confidentialitate"' in footer, path
        assert "Strada Tudor Vladimirescu nr. 21, Lupeni" in footer
        assert "Program cu publicul: luni–joi 8:00–16:00, vineri 8:00–13:00." in footer
        assert 'href="mailto:registratura@primaria-test.ro"' in footer


def test_sign_up_links_to_the_notice(client):
    page = client.get("/cont-nou").get_data(as_text=True)
    form = page[page.index("<form") : page.index("</form>")]
    assert 'href="/confidentialitate"' in form


def test_without_configured_contact_the_footer_still_links_the_notice(client):
    page = html.unescape(client.get("/").get_data(as_text=True))
    footer = page[page.index('<footer class="site-footer">') :]
    assert 'href="/confidentialitate"' in footer and "Program cu publicul" not in footer
    notice = html.unescape(client.get("/confidentialitate").get_data(as_text=True))
    assert "„Pentru responsabilul cu protecția datelor”" in notice  # no DPO e-mail configured
