"""Every end that owes the applicant an answer registers it as outgoing: a rejection, a
clasare, a request closed for no completion in time; to someone without an account it waits
in the registry's Expediere. A withdrawal owes no answer and registers none."""

from __future__ import annotations

import io
import json
from typing import Any

from sqlalchemy import func, select

from engine.models import RegistryEntry
from tests.support.browser import pdf_text
from tests.support.drive import (
    complete,
    detail,
    fire_waiting_timers,
    move_timers_clock,
    notifications,
    submit,
    the_task,
)
from tests.support.register import DISPATCHES, counter_petition

ENTRIES = "/api/v1/registry/entries"
CLASARE = {"decizie_triere": "clasare", "observatii_triere": "Petiția repetă una soluționată."}
DOGS = {
    "categorie": "caini",
    "descriere": "O haită de câini fără stăpân stă zilnic lângă locul de joacă.",
    "adresa": "Strada Morilor nr. 12",
}


def rows(client: Any, headers: dict[str, str]) -> list[dict[str, Any]]:
    return client.get(ENTRIES, headers=headers).get_json()["entries"]  # type: ignore[no-any-return]


def outgoing(circuit: Any) -> int:
    with circuit.db.session() as s:
        return (
            s.scalar(
                select(func.count())
                .select_from(RegistryEntry)
                .where(RegistryEntry.direction == "out")
            )
            or 0
        )


def test_a_counter_petition_rejected_at_triage_is_answered_out_and_dispatched_by_post(
    client: Any, api_for: Any, circuit: Any, browser_for: Any
) -> None:
    registry = api_for("registry")
    r = counter_petition(client, registry)
    assert r.status_code == 201, r.get_json()
    rid, number = r.get_json()["request_id"], r.get_json()["display"]
    triage = the_task(client, registry, rid)
    r = complete(client, registry, triage["id"], CLASARE)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["request"]["status"] == "rejected"

    # The rejection has an answer, registered out and linked to the petition's number.
    page = detail(client, registry, rid)
    assert page["answer"] == (
        f"Cererea nr. {number} („Iluminat stradal defect”) a fost închisă fără a fi admisă: "
        "Petiție clasată."
    )
    [out] = [e for e in rows(client, registry) if e["direction"] == "out"]
    assert out["recipient"] == "Gheorghe Țăranu" and out["related_to"] == number
    assert out["summary"] == "Răspuns: Iluminat stradal defect"
    assert out["resolution"] == "De expediat" and out["dispatch_date"] is None

    # It waits in Expediere with its PDF; the registry sends it by post.
    waiting = client.get(DISPATCHES, headers=registry).get_json()
    assert [d["request_id"] for d in waiting["dispatches"]] == [rid]
    assert waiting["dispatches"][0]["answer"] == out["display"]
    answer = client.get(f"/api/v1/requests/{rid}/answer.pdf", headers=registry)
    assert answer.status_code == 200
    text = " ".join(pdf_text(answer.data).split())
    assert "a fost închisă fără a fi admisă: Petiție clasată." in text
    assert f"Nr. de ieșire nr. {out['display']}" in text
    # The request's page says the answer waits at the registry, with the way to the list.
    html = browser_for("registry").get(f"/birou/cereri/{rid}").get_data(as_text=True)
    assert "Răspunsul așteaptă la registratură să fie expediat prin poștă (Expediere)." in html
    assert 'href="/registratura/expediere"' in html

    r = client.post(
        f"{DISPATCHES}/{rid}",
        json={"channel": "post", "reference": "RR123456789RO"},
        headers=registry,
    )
    assert r.status_code == 201, r.get_json()
    assert client.get(DISPATCHES, headers=registry).get_json()["total"] == 0
    [out] = [e for e in rows(client, registry) if e["direction"] == "out"]
    assert out["resolution"].startswith("Expediat prin poștă la ")
    assert out["resolution"].endswith("ref. RR123456789RO")
    html = browser_for("registry").get(f"/birou/cereri/{rid}").get_data(as_text=True)
    sent_on = out["resolution"].removeprefix("Expediat prin poștă la ").split(",")[0]
    assert f"Răspunsul a fost expediat prin poștă la {sent_on}, ref. RR123456789RO." in html
    assert "așteaptă la registratură" not in html


def test_the_diagram_s_own_rejection_text_is_the_answer_with_an_account_too(
    client: Any, api_for: Any, circuit: Any, people: Any
) -> None:
    citizen, police = api_for("citizen"), api_for("politia")
    rid = submit(client, citizen, "sesizare", DOGS).get_json()["id"]
    task = the_task(client, police, rid)
    reason = "Animalele au fost ridicate de ecarisaj înainte de verificare."
    r = complete(client, police, task["id"], {"rezultat": "nefondata", "raspuns": reason})
    assert r.status_code == 200, r.get_json()
    page = detail(client, citizen, rid)
    assert page["status"] == "rejected"
    assert page["answer"].endswith(f"a fost clasată. Motivul: {reason}")
    [out] = [e for e in rows(client, api_for("registry")) if e["direction"] == "out"]
    assert out["summary"].startswith("Răspuns: ") and out["recipient"]
    # The applicant has an account: the answer is in it, nothing waits at the registry.
    assert out["resolution"] != "De expediat"
    assert client.get(DISPATCHES, headers=api_for("registry")).get_json()["total"] == 0


def test_a_counter_report_closed_for_no_details_in_time_is_answered_and_waits_for_dispatch(
    client: Any, api_for: Any, circuit: Any, monkeypatch: Any
) -> None:
    registry, police = api_for("registry"), api_for("politia")
    form = {
        "direction": "in",
        "channel": "counter",
        "issuer": "Ilie Mureșan",
        "issuer_contact": "ilie.muresan@example.ro",
        "reply_by": "email",
        "procedure": "sesizare",
        "data": json.dumps(DOGS),
        "files": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "sesizare.pdf"),
    }
    r = client.post(ENTRIES, data=form, headers=registry, content_type="multipart/form-data")
    assert r.status_code == 201, r.get_json()
    rid = r.get_json()["request_id"]
    task = the_task(client, police, rid)
    asked = {"rezultat": "cere_detalii", "intrebare": "Unde anume?"}
    assert complete(client, police, task["id"], asked).status_code == 200
    assert outgoing(circuit) == 0

    move_timers_clock(monkeypatch, 25)
    assert fire_waiting_timers(circuit, rid) == 1
    page = detail(client, registry, rid)
    assert page["status"] == "rejected"
    assert "v-am cerut detalii" in page["answer"] and "nu le-am primit până la" in page["answer"]
    assert outgoing(circuit) == 1
    waiting = client.get(DISPATCHES, headers=registry).get_json()["dispatches"]
    assert [(d["request_id"], d["reply_by"]) for d in waiting] == [(rid, "email")]
    assert any(
        "Expediere: răspunsul nr." in t for t in notifications(circuit, department="registratura")
    )


def test_a_withdrawal_owes_no_answer_and_registers_nothing_out(
    client: Any, api_for: Any, circuit: Any
) -> None:
    citizen = api_for("citizen")
    rid = submit(client, citizen, "sesizare", DOGS).get_json()["id"]
    r = client.post(f"/api/v1/requests/{rid}/withdraw", headers=citizen)
    assert r.status_code == 200 and r.get_json()["status"] == "withdrawn"
    assert detail(client, citizen, rid)["answer"] is None
    assert outgoing(circuit) == 0
