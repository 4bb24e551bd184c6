"""Every answer carries the security headers; the CSP needs no inline script or style."""

from __future__ import annotations

import re

from flask import url_for

from engine.platform.config import PROJECT_ROOT
from tests.support.api import a_request_with_everything
from tests.support.security import app_with

INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle\s*=|\son[a-z]+\s*=|javascript:", re.I
)


def check_headers(response, endpoint: str) -> None:
    where = f"{endpoint} {response.request.path} {response.status_code}"
    csp = response.headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp, where
    assert "frame-ancestors 'none'" in csp, where
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, where
    assert response.headers.get("X-Frame-Options") == "DENY", where
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("Referrer-Policy") == "same-origin", where
    if endpoint != "static":
        assert response.headers.get("Cache-Control") == "no-store", where
    assert "Strict-Transport-Security" not in response.headers, where  # http base URL


def test_every_page_of_every_blueprint_sends_the_security_headers(app, browser_for, api_for):
    values = a_request_with_everything(app.test_client(), api_for)
    visitors = {
        "anonymous": (app.test_client(), {}),
        "citizen": (browser_for("citizen").client, {}),
        "registry": (browser_for("registry").client, {}),
        "api-citizen": (app.test_client(), api_for("citizen")),
        "api-registry": (app.test_client(), api_for("registry")),
    }
    seen_blueprints, pages = set(), 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        with app.test_request_context():
            url = url_for(rule.endpoint, **{a: values.get(a, 1) for a in rule.arguments})
        for client, headers in visitors.values():
            response = client.get(url, headers=headers)
            assert response.status_code < 500, (url, response.status_code)
            check_headers(response, rule.endpoint)
            if response.mimetype == "text/html":
                html = response.get_data(as_text=True)
                assert not INLINE.search(html), (url, INLINE.search(html).group(0))
                pages += 1
        seen_blueprints.add(rule.endpoint.split(".")[0])
    assert {"auth", "portal", "office", "api", "static"} <= seen_blueprints
    assert pages >= 10
    # Error answers and form posts carry them too.
    for response in (
        app.test_client().get("/nu-exista"),
        app.test_client().post("/autentificare", data={"email": "x"}),  # no CSRF token: 400
        app.test_client().get("/api/v1/requests"),  # 401
    ):
        check_headers(response, "error")


def test_the_templates_hold_no_inline_script_style_or_handlers():
    templates = sorted((PROJECT_ROOT / "webapp" / "templates").rglob("*.html"))
    assert templates
    for path in templates:
        match = INLINE.search(path.read_text(encoding="utf-8"))
        assert match is None, (path.name, match.group(0))


def test_hsts_is_sent_when_the_base_url_is_https(circuit):
    app = app_with(circuit, base_url="https://primarie.example.ro")
    for url in ("/", "/autentificare", "/api/v1/procedures"):
        response = app.test_client().get(url)
        assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_static_files_may_be_cached_but_pages_may_not(client):
    css = client.get("/static/circuit.css")
    assert css.status_code == 200 and "no-store" not in css.headers.get("Cache-Control", "")
    assert client.get("/proceduri").headers["Cache-Control"] == "no-store"
