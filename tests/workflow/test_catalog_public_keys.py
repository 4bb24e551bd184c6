"""The catalog keys citizens read — category, audience, fee, decided_by — checked when an entry
is read, set in every shipped entry, and searched without regard to case or diacritics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from engine.platform.config import PROJECT_ROOT, load_settings
from engine.platform.errors import DeploymentError
from engine.workflow.catalog import AUDIENCES, Procedure, read_entry
from engine.workflow.catalog_search import categories, category_of, fold, search

SHIPPED = sorted((PROJECT_ROOT / "processes").glob("*.json"))


def entry(**keys: Any) -> dict[str, Any]:
    base = json.loads((PROJECT_ROOT / "processes" / "petitie.json").read_text(encoding="utf-8"))
    base.update(keys)
    return base


def write(tmp_path: Path, raw: dict[str, Any]) -> Path:
    path = tmp_path / "aviz.json"
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_procedure_says_its_domain_audience_fee_and_who_decides(path):
    proc = Procedure.from_dict(read_entry(path))
    assert proc.category and proc.decided_by
    assert proc.audience and set(proc.audience) <= set(AUDIENCES)
    assert proc.fee is not None
    assert proc.fee.free or proc.fee.purpose


def test_the_urbanism_fee_text_says_the_amounts_the_diagram_computes():
    raw = json.loads((PROJECT_ROOT / "processes" / "certificat_urbanism.json").read_text())
    text = raw["fee"]["amount_text"]
    tariff = raw["variables"]["tarif_certificat"]
    for key in ("pana_la_150", "pana_la_250", "pana_la_500", "pana_la_750", "pana_la_1000"):
        assert f"— {tariff[key]} lei" in text, key
    assert str(tariff["peste_1000_pe_mp"]).replace(".", ",") in text


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"category": ""}, "„category” trebuie să fie un text."),
        ({"category": 7}, "„category” trebuie să fie un text."),
        ({"audience": ["cetateni"]}, "„audience” trebuie să fie o listă cu „persoane_fizice”"),
        ({"audience": []}, "„audience” trebuie să fie o listă"),
        ({"fee": 15}, "„fee” trebuie să fie un obiect"),
        ({"fee": {"purpose": "taxa"}}, "„fee” are nevoie de „amount”"),
        ({"fee": {"amount": -1, "purpose": "taxa"}}, "„fee.amount” trebuie să fie o sumă"),
        ({"fee": {"amount": "15 lei", "purpose": "taxa"}}, "„fee.amount” trebuie să fie o sumă"),
        ({"fee": {"amount": 15}}, "„fee.purpose” spune pentru ce se plătește taxa."),
        (
            {"fee": {"amount": 15, "purpose": "taxa", "iban": "DE89370400440532013000"}},
            "„fee.iban” nu este un IBAN românesc",
        ),
        ({"decided_by": ["primar"]}, "„decided_by” trebuie să fie un text."),
    ],
)
def test_a_wrong_public_key_is_refused_naming_the_file(tmp_path, keys, message):
    with pytest.raises(DeploymentError) as refused:
        read_entry(write(tmp_path, entry(**keys)))
    assert "„aviz.json”" in str(refused.value) and message in str(refused.value)


def test_an_entry_without_the_new_keys_still_reads_as_for_everyone(tmp_path):
    raw = entry()
    for key in ("category", "audience", "fee", "decided_by"):
        raw.pop(key, None)
    proc = Procedure.from_dict(read_entry(write(tmp_path, raw)))
    assert proc.category == "" and proc.fee is None and proc.audience == tuple(AUDIENCES)


def test_a_fee_with_its_own_budget_account_keeps_it(tmp_path):
    iban = "RO12 TREZ 3662 1360 206X XXXX"
    raw = entry(fee={"amount": 12.5, "purpose": "taxa", "iban": iban})
    proc = Procedure.from_dict(read_entry(write(tmp_path, raw)))
    assert proc.fee is not None and proc.fee.iban == "RO12TREZ36621360206XXXXX"
    assert proc.fee.amount == 12.5 and not proc.fee.free


def hundred() -> list[Procedure]:
    base = entry()
    topics = [("Stare civilă", "Căsătorie"), ("Urbanism", "Construire"), ("Taxe", "Clădiri")]
    return [
        Procedure.from_dict(
            {
                **base,
                "id": f"p{i}",
                "title": f"{topics[i % 3][1]} {i:03d}",
                "category": topics[i % 3][0],
                "audience": ["persoane_juridice"] if i % 2 else ["persoane_fizice"],
            }
        )
        for i in range(100)
    ]


def test_search_ignores_case_and_diacritics_and_ranks_titles_first():
    procs = hundred()
    assert fold("ȘTAMPILĂ Țară") == "stampila tara"
    assert len(search(procs, "CASATORIE")) == 34
    assert len(search(procs, "căsătorie 003")) == 1
    assert len(search(procs, "stare civila")) == 34  # found by the category
    assert len(search(procs, "", "stare civilă", "persoane_fizice")) == 17
    assert search(procs, "nimic asemanator") == []
    assert categories(procs) == ["Stare civilă", "Taxe", "Urbanism"]
    assert category_of("STARE CIVILA", procs) == "Stare civilă"
    assert category_of("altceva", procs) == ""
    petition = Procedure.from_dict(entry(id="x", title="Petiție despre taxe"))
    found = search([*procs, petition], "taxe")
    assert found[0].title == "Petiție despre taxe"  # the word in the title comes first


def test_the_city_halls_contact_and_account_come_from_the_environment(tmp_path):
    env = {
        "CIRCUIT_DATA_DIR": str(tmp_path),
        "CIRCUIT_CITY_HALL_ADDRESS": "Strada Tudor Vladimirescu nr. 21",
        "CIRCUIT_CITY_HALL_HOURS": "luni–vineri 8–16",
        "CIRCUIT_DPO_EMAIL": "dpo@primarie.ro",
        "CIRCUIT_PAYMENT_IBAN": "ro49 trez 3665 006x xx00 0123",
        "CIRCUIT_PAYMENT_URL": "https://www.ghiseul.ro/ghiseul/public/",
    }
    city_hall = load_settings(env).city_hall
    assert city_hall.address == "Strada Tudor Vladimirescu nr. 21"
    assert city_hall.hours == "luni–vineri 8–16" and city_hall.dpo_email == "dpo@primarie.ro"
    assert city_hall.iban == "RO49TREZ3665006XXX000123"
    with pytest.raises(ValueError, match="CIRCUIT_PAYMENT_IBAN"):
        load_settings({**env, "CIRCUIT_PAYMENT_IBAN": "123"})
    with pytest.raises(ValueError, match="CIRCUIT_PAYMENT_URL"):
        load_settings({**env, "CIRCUIT_PAYMENT_URL": "http://ghiseul.ro"})
    assert load_settings({"CIRCUIT_DATA_DIR": str(tmp_path)}).city_hall.iban == ""  # not set
