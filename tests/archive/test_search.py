"""Searching the archive: case and diacritics ignored, filters, who may see what, the access
log of personal data, files Circuit stores archived without an import, retention."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from sqlalchemy import select

from engine import jobs
from engine.archive import retention, store
from engine.models import ArchiveDocument, AuditEvent, User
from engine.platform.errors import Forbidden
from tests.support.archive import text_pdf
from tests.support.engine import PETITION

SEARCH = "/api/v1/archive/search"


def archive(circuit, text: str, **meta) -> int:
    """Put a PDF with this text in the archive as an import does; return its id."""
    with circuit.db.transaction() as s:
        doc = store.add(
            s,
            circuit.settings,
            text_pdf(text),
            "scan.pdf",
            store.Metadata(title=meta.pop("title", "Document"), **meta),
            "import",
        )
        return doc.id


@pytest.fixture
def corpus(circuit):
    return {
        "building": archive(
            circuit,
            "Recepția clădirea din strada Ștefan cel Mare nr. 3, blocul B, etajul 2.",
            title="Proces-verbal de recepție",
            doc_date=date(1998, 5, 4),
            registration="451/04.05.1998",
            doc_type="Proces-verbal",
            file_code="V-1",
        ),
        "salary": archive(
            circuit,
            "Stat de plată pentru luna martie: Ioana Țărănescu, muncitoare, 1.200 lei.",
            title="Stat de plată martie",
            doc_date=date(1987, 3, 31),
            doc_type="Stat de plată",
            file_code="III-1",
            person="Ioana Țărănescu",
        ),
        "letter": archive(
            circuit,
            "Scrisoare despre iluminatul public de pe strada Ștefan cel Mare, lângă piață.",
            title="Corespondență iluminat",
            doc_date=date(2001, 9, 10),
            doc_type="Corespondență",
            file_code="VIII-4",
        ),
    }


def ids(response) -> list[int]:
    assert response.status_code == 200, response.get_json()
    return [hit["id"] for hit in response.get_json()["results"]]


def test_search_ignores_case_and_diacritics_and_filters(client, api_for, corpus):
    arhiva = api_for("arhiva")
    found = client.get(SEARCH, query_string={"q": "cladirea stefan cel mare"}, headers=arhiva)
    assert ids(found) == [corpus["building"]]
    hit = found.get_json()["results"][0]
    assert "clădirea din strada Ștefan cel Mare" in hit["snippet"]
    assert hit["registration"] == "451/04.05.1998" and hit["file_code"] == "V-1"
    assert hit["score"] > 0
    # Upper case with diacritics finds the same; a name without its diacritics is found.
    shouted = client.get(SEARCH, query_string={"q": "CLĂDIREA ȘTEFAN"}, headers=arhiva)
    assert ids(shouted) == [corpus["building"]]
    assert ids(client.get(SEARCH, query_string={"q": "taranescu"}, headers=arhiva)) == [
        corpus["salary"]
    ]
    both = client.get(SEARCH, query_string={"q": "stefan cel mare"}, headers=arhiva)
    assert set(ids(both)) == {corpus["building"], corpus["letter"]}
    assert both.get_json()["total"] == 2
    one_year = client.get(SEARCH, query_string={"q": "stefan", "year": 2001}, headers=arhiva)
    assert ids(one_year) == [corpus["letter"]]
    by_code = client.get(SEARCH, query_string={"q": "strada", "file_code": "V-1"}, headers=arhiva)
    assert ids(by_code) == [corpus["building"]]
    by_type = client.get(SEARCH, query_string={"type": "stat de plată"}, headers=arhiva)
    assert ids(by_type) == [corpus["salary"]]
    bad = client.get(SEARCH, query_string={"q": "x", "page": "0"}, headers=arhiva)
    assert bad.status_code == 400 and bad.get_json()["error"] == "bad_page"


def test_citizens_and_anonymous_callers_get_nothing(client, api_for, corpus):
    assert client.get(SEARCH, query_string={"q": "stefan"}).status_code == 401
    r = client.get(SEARCH, query_string={"q": "stefan"}, headers=api_for("citizen"))
    assert r.status_code == 403 and "funcționarii" in r.get_json()["message"]
    doc = f"/api/v1/archive/documents/{corpus['building']}"
    assert client.get(doc, headers=api_for("citizen")).status_code == 403
    assert client.get(doc).status_code == 401


def test_the_archive_and_supervisors_see_all_other_officials_what_they_touched(
    client, api_for, corpus
):
    for who in ("arhiva", "secretar", "primar"):
        found = client.get(SEARCH, query_string={"q": "stefan"}, headers=api_for(who))
        assert len(ids(found)) == 2, who
    # Urbanism never handled these imported scans: nothing found, and no opening by id.
    found = client.get(SEARCH, query_string={"q": "stefan"}, headers=api_for("urbanism"))
    assert ids(found) == [] and found.get_json()["total"] == 0
    doc = f"/api/v1/archive/documents/{corpus['building']}"
    assert client.get(doc, headers=api_for("urbanism")).status_code == 404
    opened = client.get(doc, headers=api_for("arhiva"))
    assert opened.status_code == 200
    body = opened.get_json()
    assert body["title"] == "Proces-verbal de recepție" and body["date"] == "1998-05-04"
    download = client.get(body["download_url"], headers=api_for("arhiva"))
    assert download.status_code == 200 and download.data.startswith(b"%PDF")


def test_a_citizens_attachment_is_archived_and_its_opening_shows_in_their_access_log(
    circuit, client, api_for, job_log
):
    scan = text_pdf("Cerere privind gardul vecinului de pe strada Ștefan cel Mare nr. 40.")
    r = client.post(
        "/api/v1/requests",
        headers=api_for("citizen"),
        data={
            "procedure": "petitie",
            "data": json.dumps(PETITION),
            "anexe": (io.BytesIO(scan), "gard.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 201, r.get_json()
    rid = r.get_json()["id"]
    # The store asked for indexing after its commit; the worker's job runs here in-process.
    [job] = job_log.named("archive_index_document")
    assert jobs.archive_index_document(*job.args) is True
    assert jobs.archive_index_document(*job.args) is False  # once

    found = client.get(SEARCH, query_string={"q": "gardul stefan"}, headers=api_for("arhiva"))
    [hit] = found.get_json()["results"]
    assert hit["registration"] == r.get_json()["registration"]["display"]
    # The registry handled the request (its triage task): it finds it too; urbanism does not.
    assert ids(client.get(SEARCH, query_string={"q": "gardul"}, headers=api_for("registry")))
    assert not ids(client.get(SEARCH, query_string={"q": "gardul"}, headers=api_for("urbanism")))

    opened = client.get(f"/api/v1/archive/documents/{hit['id']}", headers=api_for("arhiva"))
    assert opened.status_code == 200 and opened.get_json()["request_id"] == rid
    log = client.get("/api/v1/me/access-log", headers=api_for("citizen")).get_json()["entries"]
    archive_lines = [e for e in log if e["request_id"] == rid and e["official"] == "Ileana Coman"]
    assert archive_lines, log


def test_retention_lists_what_is_due_and_nothing_leaves_without_a_decision(
    circuit, people, client, api_for, corpus
):
    with circuit.db.transaction() as s:
        arhiva = s.get(User, people["arhiva"])
        due = retention.past_retention(s, circuit, arhiva, today=date(2026, 12, 5))
        # 2001 correspondence (VIII-4, 3 years) is due; a 1987 pay slip (III-1, 50) is not;
        # the building's acceptance (V-1) is kept permanently.
        assert [d.doc.id for d in due] == [corpus["letter"]]
        assert due[0].expired_on == date(2005, 1, 1)
        with pytest.raises(Forbidden):
            retention.past_retention(s, circuit, s.get(User, people["urbanism"]))
        retention.decide(
            s,
            arhiva,
            [corpus["letter"]],
            "eliminate",
            "PV 12/2026",
            "Termen împlinit, fără valoare",
        )
    found = client.get(SEARCH, query_string={"q": "iluminatul"}, headers=api_for("arhiva"))
    assert ids(found) == []
    with circuit.db.session() as s:
        assert s.get(ArchiveDocument, corpus["letter"]).disposed_at is not None
        decided = s.scalar(select(AuditEvent).where(AuditEvent.action == "archive_decision"))
        assert decided.detail["number"] == "PV 12/2026"
        assert retention.past_retention(s, circuit, s.get(User, people["arhiva"])) == []


def test_the_search_page_highlights_the_matching_passage(browser_for, corpus):
    page = browser_for("arhiva").get("/arhiva/?q=cladirea+stefan")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<mark>clădirea</mark>" in html and "<mark>Ștefan</mark>" in html
    assert "Proces-verbal de recepție" in html
    assert browser_for("citizen").get("/arhiva/?q=stefan").status_code == 403


def test_a_scan_registered_without_a_request_is_archived_for_its_department(
    client, api_for, job_log
):
    scan = text_pdf("Adresa Prefecturii privind investițiile în școala din strada Gării.")
    r = client.post(
        "/api/v1/registry/entries",
        data={
            "direction": "in",
            "channel": "post",
            "issuer": "Instituția Prefectului",
            "summary": "Solicitare situație investiții școli",
            "department": "juridic",
            "files": (io.BytesIO(scan), "adresa.pdf"),
        },
        headers=api_for("registry"),
        content_type="multipart/form-data",
    )
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["request_id"] is None
    for job in job_log.named("archive_index_entry"):
        jobs.archive_index_entry(*job.args)
    q = {"q": "investitiile scoala garii"}
    [hit] = client.get(SEARCH, query_string=q, headers=api_for("juridic")).get_json()["results"]
    assert hit["registration"] == r.get_json()["display"]
    assert hit["title"].startswith("Solicitare situație investiții școli")
    assert ids(client.get(SEARCH, query_string=q, headers=api_for("arhiva"))) == [hit["id"]]
    assert ids(client.get(SEARCH, query_string=q, headers=api_for("taxe"))) == []


def test_the_retention_page_lists_due_documents_for_the_archive_only(browser_for, corpus):
    page = browser_for("arhiva").get("/arhiva/pastrare")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Corespondență iluminat" in html and "VIII-4" in html and "3 ani" in html
    assert "Proces-verbal de recepție" not in html  # V-1 is kept permanently
    assert browser_for("urbanism").get("/arhiva/pastrare").status_code == 403


def test_the_commission_records_its_decision_on_the_retention_page(browser_for, corpus, circuit):
    arhiva = browser_for("arhiva")
    missing = arhiva.submit(
        "/arhiva/pastrare",
        {"document": str(corpus["letter"]), "outcome": "eliminate", "number": "", "reason": ""},
        action="/arhiva/pastrare/decizie",
        follow_redirects=True,
    )
    html = missing.get_data(as_text=True)
    assert "Scrieți numărul procesului-verbal." in html and "Corespondență iluminat" in html
    done = arhiva.submit(
        "/arhiva/pastrare",
        {
            "document": str(corpus["letter"]),
            "outcome": "eliminate",
            "number": "PV 3/2026",
            "reason": "Termen împlinit",
        },
        action="/arhiva/pastrare/decizie",
        follow_redirects=True,
    )
    html = done.get_data(as_text=True)
    assert (
        "Decizia din procesul-verbal PV 3/2026 a fost consemnată pentru un document: se elimină"
        in html
    )
    assert "Corespondență iluminat" not in html
    with circuit.db.session() as s:
        assert s.get(ArchiveDocument, corpus["letter"]).disposed_at is not None


def test_a_broad_query_is_ranked_among_the_newest_matches_and_says_there_are_more(
    circuit, client, api_for, corpus, monkeypatch
):
    from engine.archive import search

    if circuit.db.is_sqlite:
        pytest.skip("the newest matches of a broad query are PostgreSQL's plan; FTS5 ranks all")
    newer = [
        archive(circuit, f"Cerere pentru strada Ștefan cel Mare, numărul {n}.", title=f"Cerere {n}")
        for n in range(3)
    ]
    # Here every query counts as broad, and two matches are the most ranked.
    monkeypatch.setattr(search, "BROAD", 1)
    monkeypatch.setattr(search, "RANK_CAP", 2)
    arhiva = api_for("arhiva")
    found = client.get(SEARCH, query_string={"q": "STRADA stefan"}, headers=arhiva)
    assert set(ids(found)) == set(newer)  # RANK_CAP + 1 ranked: the newest three, not older
    assert found.get_json()["total"] == 2 and found.get_json()["more"] is True
    assert "strada Ștefan cel Mare" in found.get_json()["results"][0]["snippet"]
    # Too few matches among the newest documents: the index finds the older one.
    rare = client.get(SEARCH, query_string={"q": "taranescu"}, headers=arhiva)
    assert ids(rare) == [corpus["salary"]] and rare.get_json()["more"] is False
    # Filters and permissions hold on that path as on the other.
    dated = client.get(SEARCH, query_string={"q": "strada", "year": 2001}, headers=arhiva)
    assert ids(dated) == [corpus["letter"]]
    none = client.get(SEARCH, query_string={"q": "strada"}, headers=api_for("urbanism"))
    assert ids(none) == [] and none.get_json()["total"] == 0


def test_the_year_filter_offers_each_year_once_newest_first(circuit, corpus):
    from engine.archive import search

    archive(circuit, "Încă un act din 1998.", doc_date=date(1998, 1, 2))
    archive(circuit, "Un act fără dată.")
    with circuit.db.session() as s:
        assert search.years(s) == [2001, 1998, 1987]
