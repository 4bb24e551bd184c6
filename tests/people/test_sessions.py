"""Sessions and tokens end on the server: at logout, on revocation, when they expire, and when
the account is deactivated or given a new password."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from engine.models import AuditEvent, User, WebSession
from engine.people import accounts
from engine.platform.timeutil import utcnow
from tests.support.security import bearer, token_for
from tests.support.seed import PASSWORD, PEOPLE
from tests.support.web import Browser, csrf_from


def cookie(browser: Browser) -> str:
    found = browser.client.get_cookie("session")
    assert found is not None, "no session cookie"
    return found.value


def replay(app, value: str):
    """A new browser that presents a copied session cookie and asks for a personal page."""
    thief = app.test_client()
    thief.set_cookie("session", value)
    return thief.get("/cereri")


def logout(browser: Browser):
    page = browser.get("/cereri")
    return browser.client.post(
        "/iesire", data={"csrf_token": csrf_from(page.get_data(as_text=True))}
    )


def test_a_session_cookie_replayed_after_logout_is_refused(app, browser_for, circuit, people):
    browser = browser_for("citizen")
    stolen = cookie(browser)
    assert replay(app, stolen).status_code == 200  # the copy works while the session lives
    r = logout(browser)
    assert r.status_code == 302 and r.location.endswith("/autentificare")
    r = replay(app, stolen)
    assert r.status_code == 302 and "/autentificare" in r.location
    with circuit.db.session() as s:
        assert s.scalar(select(WebSession).where(WebSession.user_id == people["citizen"])) is None
        actions = s.scalars(
            select(AuditEvent.action).where(AuditEvent.actor_id == people["citizen"])
        ).all()
        assert "logout" in actions


def test_logging_out_ends_only_that_browser(app, browser_for):
    phone, laptop = browser_for("citizen"), browser_for("citizen")
    logout(phone)
    assert laptop.get("/cereri").status_code == 200


def test_an_expired_session_is_refused(app, browser_for, circuit, people):
    browser = browser_for("citizen")
    with circuit.db.transaction() as s:
        s.execute(
            update(WebSession)
            .where(WebSession.user_id == people["citizen"])
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    r = browser.get("/cereri")
    assert r.status_code == 302 and "/autentificare" in r.location


def test_a_revoked_token_is_refused(client):
    headers = bearer(token_for(client, "citizen"))
    assert client.get("/api/v1/requests", headers=headers).status_code == 200
    r = client.delete("/api/v1/auth/token", headers=headers)
    assert r.status_code == 204 and r.get_data() == b""
    r = client.get("/api/v1/requests", headers=headers)
    assert r.status_code == 401
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 401


def test_revoking_one_token_leaves_the_others(client):
    first, second = bearer(token_for(client, "citizen")), bearer(token_for(client, "citizen"))
    assert client.delete("/api/v1/auth/token", headers=first).status_code == 204
    assert client.get("/api/v1/requests", headers=second).status_code == 200


def test_tokens_expire(client, circuit):
    from engine.models import ApiToken

    headers = bearer(token_for(client, "citizen"))
    expires = token_for(client, "citizen").get_json()["expires_at"]
    assert expires  # the answer says when
    with circuit.db.transaction() as s:
        s.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert client.get("/api/v1/requests", headers=headers).status_code == 401


def test_a_deactivated_account_loses_its_sessions_and_tokens(app, browser_for, circuit, people):
    browser = browser_for("citizen2")
    headers = bearer(token_for(app.test_client(), "citizen2"))
    with circuit.db.transaction() as s:
        s.get(User, people["citizen2"]).active = False
    try:
        r = browser.get("/cereri")
        assert r.status_code == 302 and "/autentificare" in r.location
        assert app.test_client().get("/api/v1/requests", headers=headers).status_code == 401
    finally:
        with circuit.db.transaction() as s:
            s.get(User, people["citizen2"]).active = True


def test_a_new_password_ends_the_sessions_and_tokens_opened_before(
    app, browser_for, circuit, people
):
    browser = browser_for("citizen2")
    headers = bearer(token_for(app.test_client(), "citizen2"))
    with circuit.db.transaction() as s:
        user = s.get(User, people["citizen2"])
        old_hash = user.password_hash
        user.password_hash = accounts.hash_password("o-parolă-nouă-2026")
    try:
        r = browser.get("/cereri")
        assert r.status_code == 302 and "/autentificare" in r.location
        assert app.test_client().get("/api/v1/requests", headers=headers).status_code == 401
        fresh = Browser(app.test_client())
        fresh.login(PEOPLE["citizen2"][0], "o-parolă-nouă-2026")
        assert fresh.get("/cereri").status_code == 200
    finally:
        with circuit.db.transaction() as s:
            s.get(User, people["citizen2"]).password_hash = old_hash


def test_each_login_gets_a_new_session_id(app, browser_for):
    browser = browser_for("citizen")
    before = cookie(browser)
    logout(browser)
    browser.login(PEOPLE["citizen"][0])
    assert cookie(browser) != before
    assert replay(app, before).status_code == 302


OTHER_SITES = [
    "////evil.example/phish",
    "//evil.example/x",
    "/\\evil.example/x",
    "\\\\evil.example/x",
    "\\/evil.example/x",
    "https://evil.example/",
    "http:evil.example",
    "/%2F%2Fevil.example",
    "/%5C%5Cevil.example",
    "/%09/evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "/\t/evil.example",
    "/\n/evil.example",
    "\t//evil.example",
    " //evil.example",
    "",
]


def login_with_next(app, who, target):
    browser = Browser(app.test_client())
    page = browser.get("/autentificare", query_string={"next": target})
    return browser.client.post(
        "/autentificare",
        query_string={"next": target},
        data={
            "csrf_token": csrf_from(page.get_data(as_text=True)),
            "email": PEOPLE[who][0],
            "password": PASSWORD,
        },
    )


def test_login_sends_people_back_only_to_pages_of_this_site(app):
    for who, home in (("citizen", "/cereri"), ("urbanism", "/birou/")):
        for target in ("/cont", "/cereri?pagina=2"):
            r = login_with_next(app, who, target)
            assert r.status_code == 302 and r.location == target, (target, r.location)
        for target in OTHER_SITES:
            r = login_with_next(app, who, target)
            assert r.status_code == 302 and r.location == home, (target, r.location)


def test_going_back_after_a_form_stays_on_this_site(browser_for):
    browser = browser_for("citizen")
    for referrer, expected in [
        ("http://localhost/proceduri", "/proceduri"),
        ("https://evil.example/proceduri", "/cont"),
        ("http://localhost//evil.example/", "/cont"),
        ("javascript:alert(1)", "/cont"),
    ]:
        r = browser.submit("/cont", {}, action="/cont/retrimite", headers={"Referer": referrer})
        assert r.status_code == 302 and r.location == expected, (referrer, r.location)
