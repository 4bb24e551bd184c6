"""Uploads are named by what they are and capped in number; submissions are throttled per
account; passwords over 128 characters are refused before any hashing."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from engine.models import Document, RegistryEntry
from engine.people import accounts
from engine.platform.config import load_settings
from engine.platform.errors import BadRequest
from tests.support.api import PDF
from tests.support.engine import PETITION
from tests.support.security import app_with, at_once, token_for
from tests.support.seed import PEOPLE
from tests.support.web import Browser


def submit_files(client, headers, files):
    return client.post(
        "/api/v1/requests",
        headers=headers,
        data={"procedure": "petitie", "data": json.dumps(PETITION), "anexe": files},
        content_type="multipart/form-data",
    )


def test_a_pdf_named_html_is_stored_and_served_as_pdf(client, api_for):
    citizen = api_for("citizen")
    r = submit_files(client, citizen, [(io.BytesIO(PDF), "poly.html")])
    assert r.status_code == 201, r.get_json()
    doc = client.get(f"/api/v1/requests/{r.get_json()['id']}", headers=citizen).get_json()[
        "documents"
    ][0]
    assert doc["name"] == "poly.pdf"
    download = client.get(f"/api/v1/documents/{doc['id']}", headers=citizen)
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"] == "attachment; filename=poly.pdf"


def test_control_characters_are_stripped_from_file_names(client, api_for, circuit):
    citizen = api_for("citizen")
    name = "cer\x00ere\x07 de\u202e\ttest.pdf"
    r = submit_files(client, citizen, [(io.BytesIO(PDF), name)])
    assert r.status_code == 201, r.get_json()
    with circuit.db.session() as s:
        stored = s.scalar(select(Document.name))
    assert stored == "cerere detest.pdf"
    doc = client.get(f"/api/v1/requests/{r.get_json()['id']}", headers=citizen).get_json()[
        "documents"
    ][0]
    download = client.get(f"/api/v1/documents/{doc['id']}", headers=citizen)
    assert download.status_code == 200 and download.get_data() == PDF


def test_too_many_files_on_one_request_are_refused_whole(client, api_for, circuit):
    r = submit_files(
        client, api_for("citizen"), [(io.BytesIO(PDF), f"a{i}.pdf") for i in range(900)]
    )
    assert r.status_code == 422, r.status_code
    messages = [e["message"] for e in r.get_json()["errors"]]
    assert "La o cerere se pot atașa cel mult 20 de fișiere." in messages
    with circuit.db.session() as s:
        assert s.scalar(select(func.count()).select_from(RegistryEntry)) == 0
        assert s.scalar(select(func.count()).select_from(Document)) == 0
    twenty = [(io.BytesIO(PDF + bytes([i])), f"a{i}.pdf") for i in range(20)]
    assert submit_files(client, api_for("citizen"), twenty).status_code == 201


def test_the_portal_says_how_many_files_are_allowed(browser_for):
    browser = browser_for("citizen")
    files = [(io.BytesIO(PDF), f"a{i}.pdf") for i in range(21)]
    r = browser.submit(
        "/proceduri/petitie",
        {**PETITION, "anexe": files},
        content_type="multipart/form-data",
    )
    assert r.status_code == 422
    assert "cel mult 20 de fișiere" in r.get_data(as_text=True)


def test_submissions_are_limited_per_account_in_the_api(client, api_for, circuit):
    citizen = api_for("citizen")
    bad = client.post(
        "/api/v1/requests", json={"procedure": "petitie", "data": {}}, headers=citizen
    )
    assert bad.status_code == 422  # a refused form does not count
    for _ in range(10):
        r = client.post(
            "/api/v1/requests", json={"procedure": "petitie", "data": PETITION}, headers=citizen
        )
        assert r.status_code == 201, r.get_json()
    r = client.post(
        "/api/v1/requests", json={"procedure": "petitie", "data": PETITION}, headers=citizen
    )
    assert r.status_code == 429
    assert r.get_json()["error"] == "too_many_submissions"
    assert "10 într-un interval de o oră" in r.get_json()["message"]
    assert int(r.headers["Retry-After"]) > 0
    other = api_for("citizen2")  # another account is not affected
    r = client.post(
        "/api/v1/requests", json={"procedure": "petitie", "data": PETITION}, headers=other
    )
    assert r.status_code == 201


def test_a_burst_of_submissions_registers_only_up_to_the_limit(app, api_for, circuit):
    citizen = api_for("citizen")

    def send(_i):
        return (
            app.test_client()
            .post(
                "/api/v1/requests", json={"procedure": "petitie", "data": PETITION}, headers=citizen
            )
            .status_code
        )

    codes = at_once(20, send)
    assert codes.count(201) == 10 and codes.count(429) == 10, codes
    with circuit.db.session() as s:
        assert s.scalar(select(func.count()).select_from(RegistryEntry)) == 10


def test_the_portal_shows_the_limit_on_the_form_page(circuit):
    app = app_with(circuit, submission_limit="2 per hour")
    browser = Browser(app.test_client())
    browser.login(PEOPLE["citizen"][0])
    for _ in range(2):
        assert browser.submit("/proceduri/petitie", PETITION).status_code == 302
    r = browser.submit("/proceduri/petitie", PETITION)
    assert r.status_code == 429
    html = r.get_data(as_text=True)
    assert "numărul maxim de cereri permis (2 într-un interval de o oră)" in html
    assert "Trimite cererea" in html  # the form is still there, filled in
    assert PETITION["subiect"] in html


def test_the_submission_limit_is_read_from_the_environment(tmp_path):
    env = {"CIRCUIT_DATA_DIR": str(tmp_path), "CIRCUIT_SUBMISSION_LIMIT": "3 per minute"}
    assert load_settings(env).submission_limit == "3 per minute"
    assert load_settings({"CIRCUIT_DATA_DIR": str(tmp_path)}).submission_limit == "10 per hour"
    with pytest.raises(ValueError, match="CIRCUIT_SUBMISSION_LIMIT"):
        load_settings({**env, "CIRCUIT_SUBMISSION_LIMIT": "multe"})
    assert load_settings({**env, "CIRCUIT_PROXIES": "2"}).proxies == 2


class CountingHasher:
    """The real Argon2 hasher, counting how often it is asked to work."""

    def __init__(self, real):
        self.real, self.calls = real, 0

    def __getattr__(self, name):
        attr = getattr(self.real, name)
        if name in ("hash", "verify"):

            def counted(*args, **kwargs):
                self.calls += 1
                return attr(*args, **kwargs)

            return counted
        return attr


@pytest.fixture
def hasher(monkeypatch):
    counting = CountingHasher(accounts._hasher)
    monkeypatch.setattr(accounts, "_hasher", counting)
    return counting


def test_a_huge_password_is_refused_before_hashing(client, hasher, browser_for):
    huge = "p" * (24 * 1024 * 1024)
    r = token_for(client, "citizen", huge)
    assert r.status_code == 401
    page = Browser(client).submit(
        "/autentificare", {"email": PEOPLE["citizen"][0], "password": "p" * 129}
    )
    assert page.status_code == 401
    assert hasher.calls == 0
    token_for(client, "citizen")  # the right one is still hashed and checked
    assert hasher.calls == 1


def test_new_passwords_over_128_characters_are_refused(circuit, hasher, client):
    with circuit.db.session() as s, pytest.raises(BadRequest, match="cel mult 128 de caractere"):
        accounts.create_user(s, "nou@example.ro", "Ana Nou", "p" * 129)
    r = Browser(client).submit(
        "/cont-nou",
        {
            "name": "Ana Nou",
            "email": "nou@example.ro",
            "password": "p" * 129,
            "password2": "p" * 129,
        },
    )
    assert r.status_code == 422
    assert "Parola poate avea cel mult 128 de caractere." in r.get_data(as_text=True)
    assert hasher.calls == 0


def test_replies_count_towards_the_files_of_the_request(client, api_for):
    from tests.support.api import complete, ready_task

    citizen = api_for("citizen")
    twenty = [(io.BytesIO(PDF + bytes([i])), f"a{i}.pdf") for i in range(20)]
    rid = submit_files(client, citizen, twenty).get_json()["id"]
    triage = ready_task(client, api_for("registry"), rid)
    complete(
        client,
        api_for("registry"),
        triage["id"],
        {"decizie_triere": "repartizare", "departament": "urbanism"},
    )
    draft = ready_task(client, api_for("urbanism"), rid)
    ask = {"actiune": "cere_completari", "mesaj_solicitant": "Trimiteți schița."}
    assert complete(client, api_for("urbanism"), draft["id"], ask).status_code == 200
    r = client.post(
        f"/api/v1/requests/{rid}/reply",
        headers=citizen,
        data={"text": "Schița", "documente": (io.BytesIO(PDF), "schita.pdf")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 422
    assert r.get_json()["errors"][0]["message"] == (
        "La o cerere se pot atașa cel mult 20 de fișiere; mai puteți atașa 0."
    )
    r = client.post(f"/api/v1/requests/{rid}/reply", headers=citizen, json={"text": "Fără fișier"})
    assert r.status_code == 200
