"""Failed logins are throttled per account (web and API together) and per client address,
with counters in Redis that a burst sent at once cannot slip past."""

from __future__ import annotations

from tests.support.security import app_with, at_once, bearer, token_for
from tests.support.seed import PASSWORD, PEOPLE
from tests.support.web import Browser, csrf_from

LIMIT = 10  # failed logins per account in five minutes (the default)


def web_login(client, email, password, **kw):
    page = client.get("/autentificare", **kw)
    token = csrf_from(page.get_data(as_text=True))
    return client.post(
        "/autentificare",
        data={"csrf_token": token, "email": email, "password": password},
        **kw,
    )


def test_thirty_wrong_passwords_at_once_get_at_most_the_limit_checked(app):
    def guess(i):
        return token_for(app.test_client(), "citizen", f"greșită-{i}").status_code

    codes = at_once(30, guess)
    assert codes.count(401) <= LIMIT, codes
    assert codes.count(401) + codes.count(429) == 30, codes
    # The account is now locked: even the right password is refused, with a clear message.
    r = token_for(app.test_client(), "citizen")
    assert r.status_code == 429
    assert "Prea multe încercări" in r.get_json()["message"]
    assert int(r.headers["Retry-After"]) > 0


def test_web_form_and_api_share_one_counter_per_account(app):
    client = app.test_client()
    for i in range(LIMIT):
        assert web_login(client, PEOPLE["citizen"][0], f"greșită-{i}").status_code == 401
    r = token_for(client, "citizen", "încă-una-greșită")
    assert r.status_code == 429, r.get_json()
    page = web_login(client, PEOPLE["citizen"][0], PASSWORD)
    assert page.status_code == 429
    assert "Prea multe încercări de autentificare" in page.get_data(as_text=True)
    # Another account is not affected.
    assert token_for(client, "citizen2").status_code == 200


def test_after_lock_out_the_right_password_from_another_address_is_refused(app):
    client = app.test_client()
    for i in range(LIMIT):
        r = token_for(client, "citizen", f"greșită-{i}")
        assert r.status_code == 401
    elsewhere = {"REMOTE_ADDR": "198.51.100.23"}
    assert token_for(client, "citizen", environ_overrides=elsewhere).status_code == 429
    page = web_login(client, PEOPLE["citizen"][0], PASSWORD, environ_overrides=elsewhere)
    assert page.status_code == 429


def test_right_passwords_do_not_use_up_the_allowance(app):
    client = app.test_client()
    for _ in range(LIMIT + 5):
        bearer(token_for(client, "citizen"))
    for i in range(LIMIT - 1):
        assert token_for(client, "citizen", f"greșită-{i}").status_code == 401
    bearer(token_for(client, "citizen"))  # still one guess left: the account is not locked


ADDRESS_LIMIT = "5 per 5 minutes"  # the default is 30: fewer Argon2 checks make a faster test


def test_an_address_that_guesses_many_accounts_is_locked_out(circuit):
    client = app_with(circuit, login_ip_limit=ADDRESS_LIMIT).test_client()
    for i in range(5):
        r = client.post(
            "/api/v1/auth/token", json={"email": f"nimeni{i}@example.ro", "password": "x" * 12}
        )
        assert r.status_code == 401
    assert token_for(client, "citizen2").status_code == 429
    other = {"REMOTE_ADDR": "198.51.100.40"}
    bearer(token_for(client, "citizen2", environ_overrides=other))


def test_behind_a_proxy_each_client_is_counted_by_its_forwarded_address(circuit):
    app = app_with(circuit, proxies=1, login_ip_limit=ADDRESS_LIMIT)
    client = app.test_client()
    proxy = {"REMOTE_ADDR": "10.0.0.2"}  # every request reaches Circuit from the proxy

    def via(ip):
        return {"environ_overrides": proxy, "headers": {"X-Forwarded-For": ip}}

    for i in range(5):
        r = client.post(
            "/api/v1/auth/token",
            json={"email": f"nimeni{i}@example.ro", "password": "x" * 12},
            **via("203.0.113.7"),
        )
        assert r.status_code == 401
    assert token_for(client, "citizen2", **via("203.0.113.7")).status_code == 429
    # Others behind the same proxy still log in: the attacker's address is locked, not the proxy.
    bearer(token_for(client, "citizen2", **via("203.0.113.8")))
    assert (
        web_login(client, PEOPLE["citizen"][0], PASSWORD, **via("203.0.113.9")).status_code == 302
    )


def test_without_a_configured_proxy_forwarded_headers_are_not_believed(circuit):
    client = app_with(circuit, login_ip_limit=ADDRESS_LIMIT).test_client()
    for i in range(5):
        r = client.post(
            "/api/v1/auth/token",
            json={"email": f"nimeni{i}@example.ro", "password": "x" * 12},
            headers={"X-Forwarded-For": f"203.0.113.{i}"},  # forged, one per guess
        )
        assert r.status_code == 401
    spoofed = {"X-Forwarded-For": "203.0.113.200"}
    assert token_for(client, "citizen2", headers=spoofed).status_code == 429


def test_a_locked_web_login_names_the_wait(app):
    browser = Browser(app.test_client())
    for i in range(LIMIT):
        r = browser.submit("/autentificare", {"email": PEOPLE["taxe"][0], "password": f"g{i}"})
        assert r.status_code == 401
        assert "Adresa de e-mail sau parola nu este corectă." in r.get_data(as_text=True)
    r = browser.submit("/autentificare", {"email": PEOPLE["taxe"][0], "password": PASSWORD})
    assert r.status_code == 429
    text = r.get_data(as_text=True)
    assert "Așteptați" in text and "minute" in text
