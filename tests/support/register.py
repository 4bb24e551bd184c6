"""The register filled and tampered with, straight through the engine and the database."""

from __future__ import annotations

import io
import json

from sqlalchemy import select, text

from engine.cases import desk
from engine.models import User
from tests.support.api import PDF
from tests.support.engine import PETITION

ISSUERS = ["Ștefan Țuțuianu", "Asociația de Proprietari nr. 3", "Ioana Mureșan"]


def fill_register(circuit, people, count, *, summary="Sesizare"):
    """Register `count` letters by post, issuers taking turns; return their displays."""
    shown = []
    with circuit.db.transaction() as s:
        official = s.get(User, people["registry"])
        for i in range(count):
            done = desk.register_document(
                s,
                circuit,
                official,
                {
                    "channel": "post",
                    "issuer": ISSUERS[i % len(ISSUERS)],
                    "summary": f"{summary} {i + 1}: gunoi neridicat în cartierul Braia",
                    "pages": str(i + 1),
                },
            )
            shown.append(done.entry.display)
    return shown


def _tamper(circuit, sql, **params):
    """Change the register straight in the database, as someone with database access could."""
    with circuit.db.engine.begin() as conn:
        if circuit.db.is_sqlite:
            conn.execute(text(sql), params)
            return
        conn.execute(text("ALTER TABLE registry_entries DISABLE TRIGGER USER"))
        conn.execute(text(sql), params)
        conn.execute(text("ALTER TABLE registry_entries ENABLE TRIGGER USER"))


ENTRIES = "/api/v1/registry/entries"
COUNTER_PETITION = {
    "direction": "in",
    "channel": "counter",
    "issuer": "Gheorghe Țăranu",
    "issuer_contact": "Str. Morilor nr. 7, Lupeni",
    "reply_by": "post",
    "pages": "2",
    "annexes": "1",
    "procedure": "petitie",
}


def counter_petition(client, headers, *, subject="Iluminat stradal defect", **extra):
    data = {**PETITION, "subiect": subject}
    form = {**COUNTER_PETITION, **extra, "data": json.dumps(data)}
    form["files"] = (io.BytesIO(PDF), "scanare petitie.pdf")
    return client.post(ENTRIES, data=form, headers=headers, content_type="multipart/form-data")


DISPATCHES = "/api/v1/registry/dispatches"
ANSWER = "Am remediat iluminatul pe stradă."


def answer_counter_petition(client, api_for, circuit, **extra) -> int:
    """Register a petition at the counter for someone without an account and have the
    officials answer it (triage, urbanism's answer, its head's approval, the mayor's
    signature); return its id."""
    from tests.support.engine import SIGNED, TRIAGE_TO_URBANISM, complete, ready_task_id
    from tests.support.seed import PEOPLE

    r = counter_petition(client, api_for("registry"), **extra)
    assert r.status_code == 201, r.get_json()
    rid = r.get_json()["request_id"]

    def uid(who):
        with circuit.db.session() as s:
            return s.scalar(select(User.id).where(User.email == PEOPLE[who][0]))

    complete(circuit, uid("registry"), ready_task_id(circuit, rid), TRIAGE_TO_URBANISM)
    answer = {"actiune": "propune_raspuns", "raspuns": ANSWER}
    complete(circuit, uid("urbanism"), ready_task_id(circuit, rid), answer)
    complete(circuit, uid("urbanism_head"), ready_task_id(circuit, rid), {"decizie_sef": "aprobat"})
    req = complete(circuit, uid("primar"), ready_task_id(circuit, rid), SIGNED)
    assert req.status.value == "completed"
    return rid
