"""The registry's pages: register a paper document with its scan, read, print and check."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from engine.models import RegistryEntry, Request
from tests.support.register import _tamper, fill_register
from tests.support.web import PDF, Pages, file

NEW = "/registratura/inregistrare"


def test_registry_registers_a_paper_petition_with_its_scan(browser_for, circuit):
    pages, registry = Pages(), browser_for("registry")
    form = pages.get(registry, f"{NEW}?procedure=petitie")
    assert "Subiectul petiției" in form and 'name="files"' in form
    r = registry.submit(
        f"{NEW}?procedure=petitie",
        {
            "procedure": "petitie",
            "direction": "in",
            "channel": "post",
            "issuer": "Maria Rădulescu",
            "issuer_contact": "maria.radulescu@example.ro",
            "reply_by": "email",
            "pages": "3",
            "subiect": "Câini fără stăpân în parc",
            "continut": "În parcul central sunt câini fără stăpân care atacă trecătorii.",
            "files": file(PDF, "scanare.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    register = pages.get(registry, r.location)
    assert "Documentul a fost înregistrat cu nr. 1/" in register
    assert "Maria Rădulescu" in register and "Câini fără stăpân în parc" in register
    assert "scanare.pdf" in register
    link = re.search(r'href="(/birou/cereri/\d+)"', register)
    assert link, "the register links the request it started"
    page = pages.get(registry, link.group(1))
    assert "prin e-mail, la maria.radulescu@example.ro" in page
    assert "scanare.pdf" in page
    pages.check_all()


def test_registration_page_shows_every_error_next_to_its_field(browser_for, circuit):
    pages, registry = Pages(), browser_for("registry")
    r = registry.submit(
        f"{NEW}?procedure=petitie",
        {"procedure": "petitie", "direction": "in", "channel": "counter", "subiect": "ab"},
    )
    html = pages.html(r, 422)
    assert "Formularul nu a fost trimis" in html
    assert "Scrieți numele emitentului" in html
    assert "Alegeți cum primește petentul răspunsul" in html
    assert 'id="f-issuer-error"' in html and 'id="f-subiect-error"' in html
    with circuit.db.session() as s:
        assert s.scalar(select(func.count()).select_from(RegistryEntry)) == 0
        assert s.scalar(select(func.count()).select_from(Request)) == 0
    pages.check_all()


def test_correspondence_registered_from_the_page(browser_for, circuit):
    registry = browser_for("registry")
    r = registry.submit(
        NEW,
        {
            "direction": "in",
            "channel": "fax",
            "issuer": "Consiliul Județean Hunedoara",
            "summary": "Invitație la ședință",
            "department": "secretar",
        },
    )
    assert r.status_code == 302
    html = registry.get("/registratura/?q=judetean").get_data(as_text=True)
    assert "Consiliul Județean Hunedoara" in html and "Corespondență" in html
    assert "Secretar" in html


def test_the_register_is_printed_and_checked_from_its_pages(browser_for, circuit, people):
    fill_register(circuit, people, 3)
    pages, secretary = Pages(), browser_for("secretar")
    html = pages.get(secretary, "/registratura/")
    assert "Ștefan Țuțuianu" in html and "Înregistrați un document" not in html
    pdf = secretary.get(re.search(r'href="([^"]+format=pdf)"', html).group(1).replace("&amp;", "&"))
    assert pdf.status_code == 200 and pdf.get_data().startswith(b"%PDF")
    ok = pages.get(secretary, "/registratura/verificare")
    assert "Lanțul este întreg: toate cele 3 înregistrări" in ok
    _tamper(circuit, "UPDATE registry_entries SET issuer = 'Altcineva' WHERE number = 2")
    bad = pages.get(secretary, "/registratura/verificare")
    assert "Primul rând care nu corespunde: nr. 2 /" in bad
    pages.check_all()


def test_only_registry_and_auditors_open_the_register(browser_for):
    for who in ("citizen", "urbanism"):
        assert browser_for(who).get("/registratura/").status_code == 403, who
    assert browser_for("secretar").get(NEW).status_code == 403


def test_a_double_click_on_the_registration_form_registers_once(browser_for, circuit):
    registry = browser_for("registry")
    html = registry.get(NEW).get_data(as_text=True)
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', html).group(1)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    form = {
        "csrf_token": token,
        "idempotency_key": key,
        "direction": "in",
        "channel": "counter",
        "issuer": "Ion Pop",
        "summary": "Cerere de audiență",
    }
    first, second = registry.client.post(NEW, data=form), registry.client.post(NEW, data=form)
    assert first.status_code == second.status_code == 302
    assert "fusese deja înregistrat cu nr. 1/" in registry.get(second.location).get_data(
        as_text=True
    )
    with circuit.db.session() as s:
        assert s.scalar(select(func.count()).select_from(RegistryEntry)) == 1
