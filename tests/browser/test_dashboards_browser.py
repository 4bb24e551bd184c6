"""The secretary general reads the dashboards in real Chromium, at a phone's width and a
desktop's: reached from the navigation, filtered by department, every view passing axe-core."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.seed import PASSWORD, PEOPLE
from tests.support.statsdata import seed_dashboard as seed

pytestmark = pytest.mark.slow  # drives a real Chromium


def test_the_secretary_reads_and_filters_the_dashboards(new_page: Any, circuit: Any, people):
    seed(circuit, people)
    c = new_page("secretar")
    page = c.page
    page.goto("/autentificare")
    page.get_by_label("Adresa de e-mail").fill(PEOPLE["secretar"][0])
    page.get_by_label("Parola").fill(PASSWORD)
    page.get_by_role("button", name="Intră în cont").click()
    page.wait_for_load_state()
    nav = page.get_by_role("navigation", name="Navigare principală")
    nav.get_by_role("link", name="Statistici").click()
    page.wait_for_url("**/birou/statistici/")
    chart = page.get_by_role("img", name="Răspunsuri pe luni: la termen și după termen")
    assert chart.is_visible()
    c.axe("statistici")
    c.shot("statistici")
    page.get_by_label("Compartiment", exact=True).select_option(label="Taxe și Impozite Locale")
    page.get_by_role("button", name="Arată").click()
    page.wait_for_url("**compartiment=taxe**")
    table = page.get_by_role("table", name="Cifrele fiecărei proceduri a fiecărui compartiment")
    assert "Taxe și Impozite Locale" in table.inner_text()
    assert "Urbanism" not in table.inner_text()
    c.axe("statistici, un compartiment")
    assert not c.console_errors
