"""The counter and the post: the receipt printed at the counter, and answers to people without
an account that the registry sends (Expediere) before the register calls them sent."""

from __future__ import annotations

import dataclasses
import re
import socket
from datetime import timedelta
from email.header import decode_header, make_header
from typing import Any

import pytest
from sqlalchemy import func, select

from engine.models import AuditEvent, Dispatch, Notification
from engine.platform.timeutil import local_today
from tests.support.browser import pdf_text
from tests.support.citizens import body, smtp_mailbox
from tests.support.engine import submit_petition
from tests.support.register import (
    ANSWER,
    DISPATCHES,
    answer_counter_petition,
    counter_petition,
)
from tests.support.web import PDF, Pages, file

ENTRIES = "/api/v1/registry/entries"
NEW = "/registratura/inregistrare"
EMAIL_PETITION = {"reply_by": "email", "issuer_contact": "gheorghe.taranu@example.ro"}


def _rows(client: Any, headers: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the register's outgoing answer and the incoming petition it answers."""
    rows = client.get(ENTRIES, headers=headers).get_json()["entries"]
    out = next(r for r in rows if r["direction"] == "out")
    inc = next(r for r in rows if r["direction"] == "in")
    return out, inc


def _dispatches(circuit: Any) -> int:
    with circuit.db.session() as s:
        return s.scalar(select(func.count()).select_from(Dispatch)) or 0


def _text(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/pdf"
    return " ".join(pdf_text(response.data).split())


# The counter's receipt


def test_counter_registration_offers_the_portal_receipt(browser_for, client, api_for, circuit):
    pages, registry = Pages(), browser_for("registry")
    r = registry.submit(
        f"{NEW}?procedure=petitie",
        {
            "procedure": "petitie",
            "direction": "in",
            "channel": "counter",
            "issuer": "Gheorghe Țăranu",
            "issuer_contact": "Str. Morilor nr. 7, Lupeni",
            "reply_by": "post",
            "subiect": "Iluminat stradal defect",
            "continut": "Pe strada Morilor nu funcționează trei stâlpi.",
            "files": file(PDF, "scanare.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 302
    html = pages.get(registry, r.location)
    assert "Dovada de înregistrare pentru petent" in html
    link = re.search(r'href="(/registratura/cereri/(\d+)/dovada\.pdf)"', html)
    assert link, "after registering, the registry is offered the receipt"
    receipt = _text(registry.get(link.group(1)))
    assert "Dovadă de înregistrare a cererii nr. 1/" in receipt
    assert "Gheorghe Țăranu" in receipt and "Iluminat stradal defect" in receipt
    # The same PDF as the portal's: the API's receipt of that request says the same.
    same = client.get(f"/api/v1/requests/{link.group(2)}/receipt.pdf", headers=api_for("registry"))
    assert _text(same) == receipt
    # The register keeps a link to it on the petition's row.
    html = pages.get(registry, "/registratura/")
    assert f'href="{link.group(1)}"' in html and "dovada (PDF)" in html
    pages.check_all()


def test_only_the_registry_prints_counter_receipts(browser_for, client, api_for, circuit):
    rid = counter_petition(client, api_for("registry")).get_json()["request_id"]
    url = f"/registratura/cereri/{rid}/dovada.pdf"
    assert browser_for("secretar").get(url).status_code == 403  # reads the register only
    assert browser_for("urbanism").get(url).status_code == 403
    assert browser_for("registry").get("/registratura/cereri/999999/dovada.pdf").status_code == 404


# Dispatch by post


def test_posted_answer_waits_in_the_register_until_the_registry_sends_it(client, api_for, circuit):
    registry = api_for("registry")
    rid = answer_counter_petition(client, api_for, circuit)
    out, inc = _rows(client, registry)
    assert out["resolution"] == "De expediat" and out["dispatch_date"] is None
    assert "răspuns de expediat prin poștă" in inc["resolution"]

    queue = client.get(DISPATCHES, headers=registry).get_json()
    assert queue["total"] == 1
    item = queue["dispatches"][0]
    assert (item["request_id"], item["answer"], item["reply_by"]) == (rid, out["display"], "post")
    assert item["contact"] == "Str. Morilor nr. 7, Lupeni" and item["dispatch"] is None
    answer = _text(client.get(item["answer_pdf"], headers=registry))
    assert ANSWER in answer and f"nr. {out['display']}" in answer
    with circuit.db.session() as s:  # the registry's desk is told
        note = s.scalar(select(Notification).where(Notification.kind == "dispatch"))
        assert note is not None and note.department == "registratura"
        assert out["display"] in note.message and "prin poștă" in note.message

    today = local_today()
    r = client.post(
        f"{DISPATCHES}/{rid}",
        json={"channel": "post", "sent_on": today.isoformat(), "reference": "RR123456789RO"},
        headers=registry,
    )
    assert r.status_code == 201, r.get_json()
    said = f"prin poștă la {today:%d.%m.%Y}, ref. RR123456789RO"
    assert r.get_json()["dispatch"]["said"] == said

    out, inc = _rows(client, registry)
    assert out["resolution"] == f"Expediat {said}"
    assert out["dispatch_date"] == today.isoformat() == inc["dispatch_date"]
    assert f"răspuns expediat {said}" in inc["resolution"]
    assert client.get(DISPATCHES, headers=registry).get_json()["total"] == 0
    history = client.get(f"/api/v1/requests/{rid}/history", headers=registry).get_json()
    labels = [e["label"] for e in history["events"]]
    assert f"Răspuns expediat {said}" in labels, labels


@pytest.mark.parametrize(
    ("sent", "field", "words"),
    [
        ({"channel": "post"}, "/reference", "numărul trimiterii poștale"),
        ({"channel": "post", "reference": "RR1RO", "sent_on": "+1"}, "/sent_on", "în viitor"),
        ({"channel": "post", "reference": "RR1RO", "sent_on": "-1"}, "/sent_on", "înregistrat la"),
        ({"channel": "post", "reference": "RR1RO", "sent_on": "5.12"}, "/sent_on", "AAAA-LL-ZZ"),
        ({"channel": "email"}, "/channel", "nu a dat o adresă de e-mail"),
        ({"channel": "porumbel"}, "/channel", "Alegeți cum a plecat răspunsul"),
    ],
)
def test_a_bad_dispatch_is_refused_and_changes_nothing(
    client, api_for, circuit, sent, field, words
):
    registry = api_for("registry")
    rid = answer_counter_petition(client, api_for, circuit)
    if sent.get("sent_on") in ("+1", "-1"):  # tomorrow; the day before the answer
        day = local_today() + timedelta(days=int(sent["sent_on"]))
        sent = {**sent, "sent_on": day.isoformat()}
    r = client.post(f"{DISPATCHES}/{rid}", json=sent, headers=registry)
    assert r.status_code == 422, r.get_json()
    errors = r.get_json()["errors"]
    assert any(e["field"] == field and words in e["message"] for e in errors), errors
    assert _dispatches(circuit) == 0
    assert _rows(client, registry)[0]["resolution"] == "De expediat"
    with circuit.db.session() as s:
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.request_id == rid))
        assert "answer_dispatched" not in list(actions)


def test_an_answer_is_dispatched_once(client, api_for, circuit):
    registry = api_for("registry")
    rid = answer_counter_petition(client, api_for, circuit)
    first = {"channel": "post", "reference": "RR123456789RO"}
    assert client.post(f"{DISPATCHES}/{rid}", json=first, headers=registry).status_code == 201
    again = {"channel": "in_person"}
    r = client.post(f"{DISPATCHES}/{rid}", json=again, headers=registry)
    assert r.status_code == 409
    assert r.get_json()["error"] == "already_dispatched"
    assert "a fost deja expediat prin poștă" in r.get_json()["message"]
    assert _dispatches(circuit) == 1
    assert "ref. RR123456789RO" in _rows(client, registry)[0]["resolution"]


def test_only_the_registry_dispatches_and_only_answers_by_hand(client, api_for, circuit, people):
    rid = answer_counter_petition(client, api_for, circuit)
    body = {"channel": "post", "reference": "RR1RO"}
    for who in ("urbanism", "secretar"):
        r = client.post(f"{DISPATCHES}/{rid}", json=body, headers=api_for(who))
        assert r.status_code == 403, who
        assert client.get(DISPATCHES, headers=api_for(who)).status_code == 403
    r = client.post(f"{DISPATCHES}/{rid}", json=body, headers=api_for("citizen"))
    assert r.status_code == 403
    # A citizen with an account reads the answer in the portal: nothing to post.
    own = submit_petition(circuit, people["citizen"])
    r = client.post(f"{DISPATCHES}/{own.id}", json=body, headers=api_for("registry"))
    assert r.status_code == 404
    assert _dispatches(circuit) == 0


# Dispatch by e-mail


@pytest.fixture
def mailbox(circuit: Any) -> Any:
    yield from smtp_mailbox(circuit)


def test_emailed_answer_leaves_with_its_pdf(client, api_for, circuit, mailbox):
    registry = api_for("registry")
    rid = answer_counter_petition(client, api_for, circuit, **EMAIL_PETITION)
    out, _ = _rows(client, registry)
    assert out["resolution"] == "De expediat", "an e-mail answer waits for the registry too"
    r = client.post(f"{DISPATCHES}/{rid}", json={"channel": "email"}, headers=registry)
    assert r.status_code == 201, r.get_json()
    [mail] = mailbox.to("gheorghe.taranu@example.ro")
    subject = str(make_header(decode_header(mail["Subject"])))
    assert subject.startswith("Răspuns la cererea nr. 1/")
    [text] = [p for p in mail.walk() if p.get_content_type() == "text/plain"]
    assert "Bună ziua, Gheorghe Țăranu," in body(text)
    pdfs = [p for p in mail.walk() if p.get_content_type() == "application/pdf"]
    assert len(pdfs) == 1 and pdfs[0].get_filename().startswith("raspuns-1-")
    assert ANSWER in " ".join(pdf_text(pdfs[0].get_payload(decode=True)).split())
    out, _ = _rows(client, registry)
    assert out["resolution"].startswith("Expediat prin e-mail la ")
    assert out["resolution"].endswith("la gheorghe.taranu@example.ro")


def test_mail_server_down_leaves_the_answer_to_dispatch(client, api_for, circuit):
    rid = answer_counter_petition(client, api_for, circuit, **EMAIL_PETITION)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    circuit.settings = dataclasses.replace(circuit.settings, smtp_host="127.0.0.1", smtp_port=port)
    r = client.post(f"{DISPATCHES}/{rid}", json={"channel": "email"}, headers=api_for("registry"))
    assert r.status_code == 502
    assert "rămâne de expediat" in r.get_json()["message"]
    assert _dispatches(circuit) == 0
    assert client.get(DISPATCHES, headers=api_for("registry")).get_json()["total"] == 1


# The registry's page


def test_dispatch_page_refuses_post_without_reference_then_records_it(
    browser_for, client, api_for, circuit
):
    pages, registry = Pages(), browser_for("registry")
    rid = answer_counter_petition(client, api_for, circuit)
    html = pages.get(registry, "/registratura/")
    assert "Expediere: răspunsuri de trimis (1)" in html and "De expediat" in html
    html = pages.get(registry, "/registratura/expediere")
    assert "Gheorghe Țăranu" in html and "Str. Morilor nr. 7, Lupeni" in html
    assert f"/registratura/expediere/{rid}/raspuns.pdf" in html
    assert ANSWER in _text(registry.get(f"/registratura/expediere/{rid}/raspuns.pdf"))

    url = f"/registratura/expediere/{rid}"
    page = "/registratura/expediere"
    r = registry.submit(page, {"channel": "post", "reference": ""}, action=url)
    html = pages.html(r, 422)
    assert "Răspunsul nu a fost expediat" in html and "numărul trimiterii poștale" in html
    assert f'id="reference-{rid}-error"' in html
    assert _dispatches(circuit) == 0

    r = registry.submit(page, {"channel": "post", "reference": "RR987654321RO"}, action=url)
    assert r.status_code == 302
    html = pages.get(registry, r.location)
    assert "Răspunsul a fost expediat prin poștă" in html and "RR987654321RO" in html
    assert "Niciun răspuns nu așteaptă" in html
    html = pages.get(registry, "/registratura/")
    assert "Expediere: răspunsuri de trimis (0)" in html
    assert "ref. RR987654321RO" in html and "De expediat" not in html
    pages.check_all()
