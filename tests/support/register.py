"""The register filled and tampered with, straight through the engine and the database."""

from __future__ import annotations

import io
import json

from sqlalchemy import text

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
