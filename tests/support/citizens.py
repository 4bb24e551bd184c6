"""Citizens' accounts and their mail: CNPs, a loopback SMTP server, links from messages."""

from __future__ import annotations

import dataclasses
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from engine.models import User
from engine.people.cnp import std_cnp
from tests.support.seed import PASSWORD

GOOD_PASSWORD = "lumina-de-toamna-42"


def make_cnp(first: str, yymmdd: str, county: str = "40", serial: str = "123") -> str:
    """Build a CNP with a correct check digit."""
    body = f"{first}{yymmdd}{county}{serial}"
    return body + std_cnp.calc_check_digit(body)


ADULT_CNP = make_cnp("1", "800515")  # born 15 May 1980


class Inbox:
    """What the loopback SMTP server received."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m["To"] == address]


def body(mail: Message) -> str:
    return mail.get_payload(decode=True).decode("utf-8")  # type: ignore[union-attr]


def link(mail: Message, path: str) -> str:
    """Return the path (with token) of the link to `path` in a message."""
    match = re.search(rf"https?://[^/\s]+({re.escape(path)}[^\s]+)", body(mail))
    assert match, body(mail)
    return match.group(1)


@contextmanager
def loopback_smtp() -> Iterator[tuple[Inbox, int]]:
    """Run a real SMTP server on a free loopback port; give its inbox and port."""
    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def smtp_mailbox(circuit: Any) -> Iterator[Inbox]:
    """Start a real SMTP server on loopback and send the circuit's mail through it."""
    with loopback_smtp() as (inbox, port):
        circuit.settings = dataclasses.replace(
            circuit.settings,
            smtp_host="127.0.0.1",
            smtp_port=port,
            mail_from="primaria@example.ro",
        )
        yield inbox


def user_count(circuit: Any) -> int:
    with circuit.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(User)) or 0)


def outbox(data_dir: Path) -> list[Message]:
    return [message_from_bytes(p.read_bytes()) for p in sorted(data_dir.glob("outbox/*.eml"))]


def make_citizen(circuit: Any, email: str, name: str = "Ion Vasilescu", **kw: Any) -> int:
    """Create a verified citizen for one test (seeded people must stay as they are)."""
    from engine.people import accounts

    with circuit.db.transaction() as s:
        return accounts.create_user(s, email, name, PASSWORD, **kw).id


PROOF_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def represent(
    client: Any,
    api_for: Any,
    who: str,
    name: str,
    *,
    cnp: str | None = None,
    cui: str | None = None,
) -> dict[str, Any]:
    """Claim, as `who`, to act for a person (CNP) or a company (CUI) with a proof, and have the
    registry accept it, through the API; return the accepted claim."""
    import io

    form = {"name": name, "proof": (io.BytesIO(PROOF_PDF), "imputernicire.pdf")}
    form |= {"cnp": cnp} if cnp else {"cui": cui}
    r = client.post("/api/v1/me/companies", data=form, headers=api_for(who))
    assert r.status_code == 201, r.get_json()
    claim_id = r.get_json()["id"]
    r = client.post(
        f"/api/v1/companies/{claim_id}/verify",
        json={"decision": "accepted"},
        headers=api_for("registry"),
    )
    assert r.status_code == 200, r.get_json()
    return r.get_json()  # type: ignore[no-any-return]


def signup_body(**fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "Ana Marinescu",
        "email": "ana.marinescu@example.ro",
        "password": GOOD_PASSWORD,
        "cnp": ADULT_CNP,
    }
    values.update(fields)
    return {k: v for k, v in values.items() if v is not None}


def errors_of(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.get_json()
    return {e["field"]: e["message"] for e in response.get_json()["errors"]}
