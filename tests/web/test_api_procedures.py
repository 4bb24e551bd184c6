"""GET /api/v1/procedures with its domain, audience, fee and filters, and
GET /api/v1/procedures/{id}: the public page as data, to anyone."""

from __future__ import annotations

from tests.support.city_hall import configured_app


def test_the_catalog_lists_domains_fees_and_filters_by_words(circuit):
    client = configured_app(circuit).test_client()
    everything = client.get("/api/v1/procedures").get_json()
    assert len(everything["procedures"]) == 7
    assert "Urbanism și construcții" in everything["categories"]
    urbanism = next(p for p in everything["procedures"] if p["id"] == "certificat_urbanism")
    assert urbanism["category"] == "Urbanism și construcții"
    assert urbanism["audience"] == ["persoane_fizice", "persoane_juridice"]
    assert urbanism["fee"]["amount"] is None and "150 m²" in urbanism["fee"]["amount_text"]
    assert urbanism["fee"]["payment"]["iban"] == "RO49TREZ3665006XXX000123"
    petition = next(p for p in everything["procedures"] if p["id"] == "petitie")
    assert petition["fee"]["free"] is True and petition["fee"]["payment"] is None
    found = client.get("/api/v1/procedures?q=ARHIVA").get_json()["procedures"]
    assert [p["id"] for p in found] == ["adeverinta_arhiva"]
    taxes = client.get("/api/v1/procedures?category=taxe si impozite locale").get_json()
    assert [p["id"] for p in taxes["procedures"]] == ["atestare_fiscala"]
    refused = client.get("/api/v1/procedures?audience=altcineva")
    assert refused.status_code == 400 and "persoane_fizice" in refused.get_json()["message"]


def test_one_procedure_as_data_says_slots_conditions_fee_and_term(client):
    r = client.get("/api/v1/procedures/certificat_urbanism")
    assert r.status_code == 200
    page = r.get_json()
    slots = {a["name"]: a for a in page["attachments"]}
    assert slots["plan_situatie"]["required"] is True
    assert slots["plan_incadrare"]["required_if"] == (
        "Obligatoriu dacă la „Terenul este înscris în cartea funciară?” ați răspuns „Nu”."
    )
    assert page["fee"]["purpose"] == "taxa pentru eliberarea certificatului de urbanism"
    assert page["term"].startswith("Răspunsul vine în cel mult 15 zile calendaristice")
    assert page["decided_by"].startswith("Primarul")
    assert page["available"] is True and page["unavailable_reason"] is None
    assert "notes" not in page
    missing = client.get("/api/v1/procedures/nu_exista")
    assert missing.status_code == 404 and missing.get_json()["error"] == "not_found"
