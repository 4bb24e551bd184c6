"""An administrator in real Chromium: adds an official, then deactivates one, every page
passing axe-core, at a phone's width and a desktop's."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from engine.models import User
from engine.people import accounts
from tests.support.seed import PASSWORD

pytestmark = pytest.mark.slow  # drives a real Chromium

ADMIN = "admin@primarie.ro"


def test_an_admin_adds_an_official_and_deactivates_another(new_page: Any, circuit: Any) -> None:
    with circuit.db.transaction() as s:
        accounts.create_user(s, ADMIN, "Ana Administrator", PASSWORD, is_admin=True)
        leaving = accounts.create_user(
            s, "pleaca@primarie.ro", "Petru Plecat", PASSWORD, departments=["taxe"]
        ).id
    c = new_page("admin")
    page = c.page
    page.goto("/autentificare")
    page.get_by_label("Adresa de e-mail").fill(ADMIN)
    page.get_by_label("Parola").fill(PASSWORD)
    page.get_by_role("button", name="Intră în cont").click()
    page.wait_for_load_state()

    page.goto("/administrare/personal")
    c.axe("lista personalului")
    page.get_by_role("link", name="Adăugați o persoană").click()
    page.wait_for_url("**/administrare/personal/nou")
    c.axe("persoană nouă")
    page.get_by_role("button", name="Creează contul").click()  # nothing filled
    page.locator(".error-summary").wait_for()
    assert "Scrieți numele complet." in page.locator(".error-summary").inner_text()
    c.axe("persoană nouă, cu erori")
    c.shot("persoana-noua-erori")

    page.get_by_label("Nume și prenume").fill("Dana Urbanescu")
    page.get_by_label("Adresa de e-mail").fill("dana.urbanescu@primarie.ro")
    page.get_by_label("Urbanism și Amenajarea Teritoriului", exact=True).check()
    page.get_by_role("button", name="Creează contul").click()
    page.wait_for_url("**/administrare/personal/*")
    assert "Contul lui Dana Urbanescu a fost creat" in page.locator(".flashes").inner_text()
    c.axe("pagina persoanei")
    with circuit.db.session() as s:
        dana = s.scalar(select(User).where(User.email == "dana.urbanescu@primarie.ro"))
        assert dana is not None and dana.departments == ["urbanism"]

    page.goto(f"/administrare/personal/{leaving}")
    page.get_by_role("link", name="Dezactivează contul…").click()
    page.wait_for_url("**/dezactivare")
    c.axe("confirmarea dezactivării")
    c.shot("dezactivare")
    page.get_by_role("button", name="Dezactivează contul").click()
    page.wait_for_url(f"**/administrare/personal/{leaving}")
    assert "Contul lui Petru Plecat a fost dezactivat." in page.locator(".flashes").inner_text()
    assert page.get_by_role("button", name="Reactivează contul").is_visible()
    with circuit.db.session() as s:
        assert s.get(User, leaving).active is False

    page.get_by_role("link", name="Jurnalul modificărilor").click()
    page.wait_for_url("**/administrare/jurnal")
    log = page.locator("table").inner_text()
    assert "Cont dezactivat" in log and "Cont creat" in log and "Dana Urbanescu" in log
    c.axe("jurnalul modificărilor")
    page.goto("/administrare/compartimente")
    c.axe("compartimente")
    c.shot("compartimente")
    page.goto("/administrare/compartimente/urbanism")
    c.axe("un compartiment")
    assert [e for e in c.console_errors if "status of 422" not in e] == []  # the refused form
