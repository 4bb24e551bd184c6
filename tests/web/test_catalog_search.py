"""The catalog as a city hall's, with a hundred procedures: searched by words (case and
diacritics ignored), by domain and by whom it is for, ten cards a page, with a GET form."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.circuit import Circuit, install
from engine.platform.config import PROJECT_ROOT
from engine.workflow.catalog import Catalog
from tests.support.circuit import JobLog, make_settings
from tests.support.web import Pages

BOTH = ["persoane_fizice", "persoane_juridice"]
# (domain, title, audience) of the generated entries, taken in turn: 93 entries make 16 of the
# first three and 15 of the others.
TOPICS = [
    ("Stare civilă", "Transcrierea certificatului de naștere", ["persoane_fizice"]),
    ("Urbanism și construcții", "Autorizație de construire", BOTH),
    ("Taxe și impozite locale", "Declarație fiscală pentru clădiri", BOTH),
    ("Asistență socială", "Ajutor pentru încălzirea locuinței", ["persoane_fizice"]),
    ("Transport și circulație", "Autorizație de transport în regim de taxi", ["persoane_juridice"]),
    ("Comerț", "Acord de funcționare pentru activități de comerț", ["persoane_juridice"]),
]
GENERATED = 93


def generated_entries(folder: Path) -> None:
    """Write the seven shipped entries and 93 more on the petition's diagram and form."""
    folder.mkdir()
    shipped = sorted((PROJECT_ROOT / "processes").glob("*.json"))
    for path in shipped:
        (folder / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    petition = json.loads((PROJECT_ROOT / "processes" / "petitie.json").read_text())
    for i in range(GENERATED):
        category, title, audience = TOPICS[i % len(TOPICS)]
        entry = {
            **petition,
            "id": f"generata_{i:03d}",
            "title": f"{title} — varianta {i + 1:02d}",
            "description": f"Procedură generată pentru test, din domeniul {category.lower()}.",
            "category": category,
            "audience": audience,
            "fee": {"amount": 10 + i, "purpose": "taxa de test"},
        }
        entry.pop("decided_by", None)  # the page names the diagram's departments instead
        (folder / f"generata_{i:03d}.json").write_text(
            json.dumps(entry, ensure_ascii=False), encoding="utf-8"
        )
    assert len(list(folder.glob("*.json"))) == 100


@pytest.fixture
def hundred(circuit: Circuit, tmp_path: Path) -> Iterator[Any]:
    """A visitor's client of a city hall whose catalog has a hundred procedures."""
    from webapp import create_app

    generated_entries(tmp_path / "processes")
    settings = make_settings(
        circuit.settings.data_dir,
        circuit.settings.database_url,
        circuit.settings.redis_url,
        processes_dir=tmp_path / "processes",
    )
    city = Circuit(settings=settings, db=circuit.db, catalog=Catalog.load(settings.processes_dir))
    city.set_dispatcher(JobLog())
    install(city)
    city.deploy_all()
    yield create_app({"TESTING": True}, circuit=city).test_client()
    install(circuit)


def cards(page: str) -> list[str]:
    return re.findall(r'<li class="card">\s*<h2><a href="[^"]+">([^<]+)</a>', page)


def count_of(page: str) -> str:
    match = re.search(r'<h1>Proceduri <span class="count">\(([^)]+)\)</span></h1>', page)
    assert match, page[:2000]
    return match.group(1)


def test_a_hundred_procedures_come_ten_a_page(hundred):
    pages = Pages()
    first = html.unescape(pages.get(hundred, "/proceduri"))
    assert count_of(first) == "100"
    assert len(cards(first)) == 10 and "Pagina 1 din 10" in first
    assert 'href="/proceduri?pagina=2"' in first
    last = html.unescape(pages.get(hundred, "/proceduri?pagina=10"))
    assert len(cards(last)) == 10 and "Pagina 10 din 10" in last
    assert hundred.get("/proceduri?pagina=11").status_code == 404
    pages.check_all()


def test_words_are_found_whatever_their_case_and_diacritics(hundred):
    plain = html.unescape(hundred.get("/proceduri?q=STARE+CIVILA").get_data(as_text=True))
    assert count_of(plain) == "16 din 100"
    assert all("Transcrierea certificatului de naștere" in title for title in cards(plain))
    assert "Pagina 1 din 2" in plain
    assert 'href="/proceduri?pagina=2&q=STARE+CIVILA"' in plain  # the next page keeps it
    accented = html.unescape(hundred.get("/proceduri?q=naștere").get_data(as_text=True))
    assert count_of(accented) == "16 din 100"
    two_words = html.unescape(hundred.get("/proceduri?q=arhiva+certificata").get_data(as_text=True))
    assert cards(two_words) == ["Adeverință sau copie certificată din arhivă"]
    assert 'value="arhiva certificata"' in two_words  # the search stays in the box


def test_a_domain_and_an_audience_narrow_the_list(hundred):
    urbanism = html.unescape(
        hundred.get("/proceduri?categorie=urbanism+si+constructii").get_data(as_text=True)
    )
    assert count_of(urbanism) == "17 din 100"  # 16 generated and the certificat de urbanism
    assert '<option value="Urbanism și construcții" selected>' in urbanism
    companies = html.unescape(
        hundred.get("/proceduri?pentru=persoane_juridice&categorie=Stare+civilă").get_data(
            as_text=True
        )
    )
    assert count_of(companies) == "0 din 100"
    assert "Nicio procedură nu se potrivește căutării." in companies
    for_companies = html.unescape(
        hundred.get("/proceduri?pentru=persoane_juridice").get_data(as_text=True)
    )
    # the seven shipped ones (for both), 16 of taxes and of urbanism, 15 of transport and trade
    assert count_of(for_companies) == f"{7 + 16 + 16 + 15 + 15} din 100"


def test_a_card_shows_the_term_the_fee_and_the_documents_not_the_legal_basis(client):
    page = html.unescape(client.get("/proceduri").get_data(as_text=True))
    card = page[page.index(">Certificat de urbanism<") :]
    card = card[: card.index("</li>")]
    assert "Termen de răspuns" in card and "15 zile calendaristice" in card
    assert "Se calculează la depunere" in card
    assert "Plan de situație" in card and "(obligatoriu)" in card
    assert "(în anumite cazuri)" in card
    assert "Temei legal" not in card and "Legea nr. 50/1991" not in card
    assert "Urbanism și construcții" in card
    petition = page[page.index(">Petiție<") :]
    assert "Gratuit" in petition[: petition.index("</li>")]
    search = page[page.index('role="search"') :]
    assert 'method="get"' in page[page.index("<form") : page.index('role="search"')]
    assert '<label for="q">' in search and '<label for="categorie">' in search


def test_a_visitor_asked_to_sign_in_comes_back_to_the_form(client):
    page = client.get("/proceduri").get_data(as_text=True)
    assert 'href="/autentificare?next=/proceduri/petitie"' in page


def test_a_generated_procedure_has_its_page_with_its_fee_and_its_departments(hundred):
    page = html.unescape(hundred.get("/proceduri/generata_004/despre").get_data(as_text=True))
    assert "<h1>Autorizație de transport în regim de taxi — varianta 05</h1>" in page
    assert "Transport și circulație · Pentru: persoane juridice" in page
    assert "14 lei" in page and "taxa de test" in page
    decides = page[page.index('<h2 id="decide">') :]
    assert "Registratură și Relații cu Publicul" in decides[: decides.index("</p>")]


def test_the_home_page_searches_the_catalog(client):
    page = client.get("/").get_data(as_text=True)
    form = page[page.index('role="search"') - 80 : page.index("</form>")]
    assert 'method="get" action="/proceduri"' in form and 'name="q"' in form
    found = html.unescape(client.get("/proceduri?q=certificat de urbanism").get_data(as_text=True))
    assert cards(found) == ["Certificat de urbanism"]
