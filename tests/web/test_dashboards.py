"""The dashboards' pages: charts drawn on the server beside their tables, filters, CSV, and
who may see them."""

from __future__ import annotations

import re
from datetime import timedelta

from engine.platform.timeutil import local_today
from tests.support.statsdata import seed_dashboard as seed
from tests.support.web import Pages

D = timedelta
URL = "/birou/statistici/"


def cells(html, caption):
    """Return the rows of the table with this caption, as lists of cell texts."""
    table = html.split(f">{caption}</caption>", 1)[1].split("</table>", 1)[0]
    return [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)
    ]


def test_the_mayor_reads_the_figures_as_charts_and_tables(browser_for, circuit, people):
    seed(circuit, people)
    pages = Pages()
    html = pages.get(browser_for("primar"), URL)
    assert '<a href="/birou/statistici/" aria-current="page">Statistici</a>' in html
    # charts: SVG with a title and a description, no script, nothing fetched from elsewhere
    assert html.count('<svg class="chart"') == 3
    assert (
        '<title id="grafic-luni-titlu">Răspunsuri pe luni: la termen și după termen</title>' in html
    )
    assert '<desc id="grafic-deschise-desc">' in html
    assert "<script>" not in html and not re.search(r'(src|href)="https?://', html)
    assert "<title>Urbanism și Amenajarea Teritoriului: 1 cu termenul depășit</title>" in html
    rows = cells(html, "Cifrele fiecărei proceduri a fiecărui compartiment")
    assert [
        "Urbanism și Amenajarea Teritoriului",
        "Petiție",
        "1",
        "1",
        "0",
        "1",
        "1",
        "8",
        "12",
    ] in rows
    assert cells(html, "Sarcini deschise ținute de fiecare funcționar")[1] == [
        "Andrei Stan",
        "Urbanism și Amenajarea Teritoriului",
        "1",
        "1",
    ]
    months = cells(html, "Răspunsuri pe luni, la termen și după termen")
    assert sum(int(r[1]) + int(r[2]) for r in months[1:]) == 2
    assert len(months) - 1 == 12  # a year of months by default
    assert 'Răspunse la termen în perioadă</dt><dd class="stat-number">1 din 2 (50%)' in html
    pages.check_all()


def test_filters_narrow_the_period_and_the_department(browser_for, circuit, people):
    seed(circuit, people)
    today = local_today()
    b = browser_for("secretar")
    html = b.get(f"{URL}?compartiment=taxe").get_data(as_text=True)
    rows = cells(html, "Cifrele fiecărei proceduri a fiecărui compartiment")
    assert [r[0] for r in rows[1:]] == ["Taxe și Impozite Locale"]
    assert '<option value="taxe" selected>' in html
    later = (today + D(1)).isoformat()
    html = b.get(f"{URL}?de_la={later}&pana_la={later}").get_data(as_text=True)
    rows = cells(html, "Cifrele fiecărei proceduri a fiecărui compartiment")
    urb = next(r for r in rows if r[0].startswith("Urbanism"))
    assert urb[5:] == ["0", "0", "—", "—"]  # nothing answered that day, still one open
    r = b.get(f"{URL}?de_la=azi")
    assert r.status_code == 400
    assert "AAAA-LL-ZZ" in r.get_data(as_text=True)


def test_the_csv_link_downloads_what_the_page_shows(browser_for, circuit, people):
    seed(circuit, people)
    b = browser_for("urbanism_head")
    html = b.get(URL).get_data(as_text=True)
    link = re.search(r'href="(/birou/statistici/export\.csv[^"]*)"', html).group(1)
    r = b.get(link.replace("&amp;", "&"))
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert r.data.startswith(b"\xef\xbb\xbf")
    lines = r.data.decode("utf-8-sig").splitlines()
    assert lines[1:] == ['"Urbanism și Amenajarea Teritoriului";"Petiție";1;1;0;1;1;8;12']


def test_only_heads_supervisors_and_admins_see_the_page(browser_for, circuit, people):
    seed(circuit, people)
    head = browser_for("urbanism_head").get(URL).get_data(as_text=True)
    assert "Taxe și Impozite Locale" not in head
    assert browser_for("urbanism_head").get(f"{URL}?compartiment=taxe").status_code == 403
    for who in ("citizen", "urbanism", "registry"):
        b = browser_for(who)
        assert b.get(URL).status_code == 403, who
        assert b.get(f"{URL}export.csv").status_code == 403, who
        assert 'href="/birou/statistici/"' not in b.get("/", follow_redirects=True).get_data(
            as_text=True
        )
    assert 'href="/birou/statistici/"' in browser_for("secretar").get(
        "/", follow_redirects=True
    ).get_data(as_text=True)
