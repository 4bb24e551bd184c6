"""The registry's desk: every channel in one gap-free register, without an account too."""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime

from sqlalchemy import func, select

from engine.cases import desk, operations
from engine.models import RegistryEntry, Request, User
from tests.support.engine import (
    PETITION,
    SIGNED,
    TRIAGE_TO_URBANISM,
    complete,
    ready_task_id,
)
from tests.support.register import COUNTER_PETITION, counter_petition

ENTRIES = "/api/v1/registry/entries"


def register_entries(client, headers):
    return client.get(ENTRIES, headers=headers).get_json()["entries"]


def test_paper_petition_without_an_account_starts_the_procedure(client, api_for, circuit):
    registry = api_for("registry")
    r = counter_petition(client, registry)
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["number"] == 1 and body["request_id"]
    assert body["display"].startswith("1/")

    # The petition waits in the registry's inbox like one from the portal.
    detail = client.get(f"/api/v1/requests/{body['request_id']}", headers=registry).get_json()
    assert detail["status"] == "registered"
    assert [d["kind"] for d in detail["documents"]] == ["scan"]
    with circuit.db.session() as s:
        req = s.get(Request, body["request_id"])
        assert req.applicant_id is None
        assert req.petitioner_name == "Gheorghe Țăranu"
        assert (req.reply_by, req.issuer_contact) == ("post", "Str. Morilor nr. 7, Lupeni")
    # Nobody's citizen account sees it.
    r = client.get(f"/api/v1/requests/{body['request_id']}", headers=api_for("citizen"))
    assert r.status_code == 404

    # The register shows the issuer's columns and the scan's hash.
    row = register_entries(client, registry)[0]
    assert row["channel"] == "counter" and row["issuer"] == "Gheorghe Țăranu"
    assert (row["pages"], row["annexes"]) == (2, 1)
    assert row["summary"] == "Iluminat stradal defect"
    assert len(row["documents"]) == 1 and len(row["documents"][0]["sha256"]) == 64


def test_a_paper_petition_keeps_the_registry_summary_in_the_register(client, api_for):
    registry = api_for("registry")
    r = counter_petition(client, registry, summary="Sesizare: trei stâlpi stinși pe str. Școlii")
    assert r.status_code == 201, r.get_json()
    row = register_entries(client, registry)[0]
    assert row["summary"] == "Sesizare: trei stâlpi stinși pe str. Școlii"
    detail = client.get(f"/api/v1/requests/{r.get_json()['request_id']}", headers=registry)
    assert detail.get_json()["summary"] == "Iluminat stradal defect", "the request keeps its own"


def test_request_page_says_the_answer_goes_by_post(client, api_for, browser_for):
    rid = counter_petition(client, api_for("registry")).get_json()["request_id"]
    html = browser_for("registry").get(f"/birou/cereri/{rid}").get_data(as_text=True)
    assert "Gheorghe Țăranu" in html
    assert "fără cont" in html and "prin poștă" in html and "Str. Morilor nr. 7" in html


def test_answer_to_a_paper_petition_is_registered_out_to_its_issuer(client, api_for, circuit):
    rid = counter_petition(client, api_for("registry")).get_json()["request_id"]
    complete(circuit, _uid(circuit, "registry"), ready_task_id(circuit, rid), TRIAGE_TO_URBANISM)
    answer = {"actiune": "propune_raspuns", "raspuns": "Am remediat iluminatul pe stradă."}
    complete(circuit, _uid(circuit, "urbanism"), ready_task_id(circuit, rid), answer)
    complete(
        circuit,
        _uid(circuit, "urbanism_head"),
        ready_task_id(circuit, rid),
        {"decizie_sef": "aprobat"},
    )
    req = complete(circuit, _uid(circuit, "primar"), ready_task_id(circuit, rid), SIGNED)
    assert req.status.value == "completed"
    rows = register_entries(client, api_for("registry"))
    out, inc = rows[0], rows[1]
    assert out["direction"] == "out" and out["recipient"] == "Gheorghe Țăranu"
    assert out["related_to"] == inc["display"]
    assert inc["answered_by"] == out["display"]
    assert inc["department"] == "urbanism"
    # Registered, not sent: the registry still has to post it (tests/register/test_dispatch.py).
    assert "răspuns de expediat prin poștă" in inc["resolution"]
    assert out["resolution"] == "De expediat"
    assert inc["dispatch_date"] is None and out["dispatch_date"] is None


def _uid(circuit, who):
    from tests.support.seed import PEOPLE

    with circuit.db.session() as s:
        return s.scalar(select(User.id).where(User.email == PEOPLE[who][0]))


def test_correspondence_and_an_outgoing_reply_linked_to_it(client, api_for):
    registry = api_for("registry")
    r = client.post(
        ENTRIES,
        json={
            "direction": "in",
            "channel": "email",
            "issuer": "Instituția Prefectului Hunedoara",
            "issuer_number": "4521",
            "issuer_date": "2026-11-20",
            "summary": "Solicitare situație investiții",
            "department": "juridic",
        },
        headers=registry,
    )
    assert r.status_code == 201, r.get_json()
    incoming = r.get_json()
    assert incoming["request_id"] is None
    r = client.post(
        ENTRIES,
        json={
            "direction": "out",
            "channel": "post",
            "recipient": "Instituția Prefectului Hunedoara",
            "summary": "Situația investițiilor",
            "related_to": incoming["display"],
        },
        headers=registry,
    )
    assert r.status_code == 201, r.get_json()
    outgoing = r.get_json()
    assert outgoing["number"] == incoming["number"] + 1
    rows = {e["number"]: e for e in register_entries(client, registry)}
    assert rows[1]["issuer_number"] == "4521" and rows[1]["issuer_date"] == "2026-11-20"
    assert rows[1]["department"] == "juridic"
    assert rows[1]["answered_by"] == outgoing["display"]
    assert rows[1]["recipient"] == "Instituția Prefectului Hunedoara"
    assert rows[2]["related_to"] == incoming["display"] and rows[2]["resolution"] == "Expediat"


def test_bad_registration_lists_every_problem_and_stores_nothing(client, api_for, circuit):
    r = client.post(
        ENTRIES,
        json={
            "direction": "sideways",
            "channel": "pigeon",
            "pages": "-3",
            "issuer_date": "ieri",
            "related_to": "999/01.01.2026",
            "procedure": "petitie",
            "reply_by": "email",
            "issuer_contact": "fără adresă",
            "data": {"subiect": "x"},
        },
        headers=api_for("registry"),
    )
    assert r.status_code == 422
    errors = {e["field"]: e["message"] for e in r.get_json()["errors"]}
    for field in ("/direction", "/channel", "/issuer", "/pages", "/issuer_date", "/related_to"):
        assert field in errors, errors
    assert "/issuer_contact" in errors and "/data/subiect" in errors and "/data" in str(errors)
    assert "Scrieți numele emitentului" in errors["/issuer"]
    with circuit.db.session() as s:
        assert s.scalar(select(func.count()).select_from(RegistryEntry)) == 0


def test_only_the_registry_registers_and_reads_the_register(client, api_for):
    for who in ("citizen", "urbanism"):
        r = client.post(ENTRIES, json={"channel": "counter"}, headers=api_for(who))
        assert r.status_code == 403, who
        assert client.get(ENTRIES, headers=api_for(who)).status_code == 403
        assert client.get("/api/v1/registry/verify", headers=api_for(who)).status_code == 403
    assert client.get(ENTRIES, headers=api_for("secretar")).status_code == 200


def test_a_scan_is_checked_by_its_content(client, api_for):
    form = {**COUNTER_PETITION, "data": '{"subiect": "Subiect bun", "continut": "Conținut bun."}'}
    form["files"] = (io.BytesIO(b"MZ\x90\x00 not a pdf"), "scan.pdf")
    r = client.post(
        ENTRIES, data=form, headers=api_for("registry"), content_type="multipart/form-data"
    )
    assert r.status_code == 422
    assert r.get_json()["errors"] == [
        {"field": "/files", "message": "Fișierul „scan.pdf” nu este PDF, JPEG, PNG sau TIFF."}
    ]


def test_identical_petition_is_joined_and_closes_with_the_first_answer(client, api_for, circuit):
    registry = api_for("registry")
    first = counter_petition(client, registry).get_json()
    # Another person's petition cannot be joined to it.
    r = counter_petition(
        client, registry, issuer="Ana Pop", related_to=first["display"], join="true"
    )
    assert r.status_code == 422
    assert "aceleiași persoane" in r.get_json()["errors"][0]["message"]
    second = counter_petition(
        client, registry, issuer="gheorghe  ȚĂRANU", related_to=first["display"], join="true"
    )
    assert second.status_code == 201, second.get_json()
    joined_id = second.get_json()["request_id"]
    with circuit.db.session() as s:
        joined = s.get(Request, joined_id)
        assert joined.joined_to_id == first["request_id"]
    # The registry follows it although no department has touched it.
    r = client.get(f"/api/v1/requests/{joined_id}", headers=registry)
    assert r.status_code == 200 and r.get_json()["status"] == "in_progress"
    # One workflow: the registry's inbox has the first petition only.
    tasks = client.get("/api/v1/tasks", headers=registry).get_json()["tasks"]
    assert [t["request_id"] for t in tasks] == [first["request_id"]]

    rid = first["request_id"]
    complete(circuit, _uid(circuit, "registry"), ready_task_id(circuit, rid), TRIAGE_TO_URBANISM)
    answer = {"actiune": "propune_raspuns", "raspuns": "Răspuns comun celor două petiții."}
    complete(circuit, _uid(circuit, "urbanism"), ready_task_id(circuit, rid), answer)
    complete(
        circuit,
        _uid(circuit, "urbanism_head"),
        ready_task_id(circuit, rid),
        {"decizie_sef": "aprobat"},
    )
    complete(circuit, _uid(circuit, "primar"), ready_task_id(circuit, rid), SIGNED)
    with circuit.db.session() as s:
        a, b = s.get(Request, rid), s.get(Request, joined_id)
        assert b.status.value == "completed" and b.answer == a.answer
        assert b.answer_entry_id == a.answer_entry_id
        assert s.scalar(select(func.count()).where(RegistryEntry.direction == "out")) == 1
    rows = {e["request_id"]: e for e in register_entries(client, registry) if e["request_id"]}
    assert rows[joined_id]["related_to"] == first["display"]
    assert f"Conexată la nr. {first['display']}" in rows[joined_id]["resolution"]


def test_portal_and_counter_registrations_at_once_share_one_gapless_sequence(app, circuit, people):
    rounds = 6
    barrier = threading.Barrier(2)
    failures: list[BaseException] = []

    def portal() -> None:
        barrier.wait()
        for i in range(rounds):
            with circuit.db.transaction() as s:
                operations.start_request(
                    s,
                    circuit,
                    s.get(User, people["citizen"]),
                    "petitie",
                    {**PETITION, "subiect": f"Portal {i}"},
                )

    def counter() -> None:
        barrier.wait()
        for i in range(rounds):
            with circuit.db.transaction() as s:
                desk.register_document(
                    s,
                    circuit,
                    s.get(User, people["registry"]),
                    {"channel": "post", "issuer": "Ion Pop", "summary": f"Scrisoare {i}"},
                )

    def run(target):
        try:
            target()
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(f,)) for f in (portal, counter)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures
    with circuit.db.session() as s:
        entries = list(s.scalars(select(RegistryEntry).order_by(RegistryEntry.number)))
    assert [e.number for e in entries] == list(range(1, 2 * rounds + 1))
    assert {e.channel for e in entries} == {"portal", "post"}
    times = [e.registered_at for e in entries]
    assert times == sorted(times)  # number order is time order


def test_the_year_turns_at_midnight_in_bucharest(circuit, people):
    official = people["registry"]
    moments = [
        datetime(2026, 12, 31, 21, 59, 58, tzinfo=UTC),  # 23:59:58 in Bucharest
        datetime(2026, 12, 31, 21, 59, 59, tzinfo=UTC),
        datetime(2026, 12, 31, 22, 0, 0, tzinfo=UTC),  # 00:00:00 on 1 January 2027
        datetime(2026, 12, 31, 22, 0, 1, tzinfo=UTC),
    ]
    got = []
    for moment in moments:
        with circuit.db.transaction() as s:
            done = desk.register_document(
                s,
                circuit,
                s.get(User, official),
                {"channel": "fax", "issuer": "Ion Pop", "summary": "Felicitări"},
                clock=lambda m=moment: m,
            )
            got.append(done.entry.display)
    assert got == ["1/31.12.2026", "2/31.12.2026", "1/01.01.2027", "2/01.01.2027"]


def test_openapi_lists_the_register_paths(client):
    from openapi_spec_validator import validate

    doc = client.get("/api/v1/openapi.json").get_json()
    validate(doc)
    assert set(doc["paths"]["/registry/entries"]) == {"get", "post"}
    assert "/registry/export" in doc["paths"] and "/registry/verify" in doc["paths"]


def test_a_retried_registration_keeps_its_first_number(client, api_for, circuit):
    registry = dict(api_for("registry"), **{"Idempotency-Key": "scrisoare-7f3a"})
    letter = {"channel": "post", "issuer": "Ion Pop", "summary": "Cerere de audiență"}
    first = client.post(ENTRIES, json=letter, headers=registry)
    again = client.post(ENTRIES, json=letter, headers=registry)
    assert first.status_code == again.status_code == 201
    assert again.get_json()["display"] == first.get_json()["display"]
    assert again.headers["Idempotent-Replayed"] == "true"
    other = client.post(ENTRIES, json=letter, headers=api_for("registry")).get_json()
    assert other["number"] == first.get_json()["number"] + 1
    with circuit.db.session() as s:
        assert s.scalar(select(func.count()).select_from(RegistryEntry)) == 2
