"""The front door: the client's address behind proxies, response headers, refused input."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from engine.platform.bounds import MAX_ID
from engine.platform.errors import BadRequest
from webapp import errors, inputs

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
HSTS = "max-age=31536000; includeSubDomains"


class BoundedInt(IntegerConverter):
    """An `<int:...>` URL part that matches only ids the database can hold (else 404)."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


class CheckedJSON(DefaultJSONProvider):
    """`request.get_json()` refuses JSON nested too deep or holding text that cannot be stored."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return inputs.load_json(s)


def init_app(app: Flask) -> None:
    """Install the proxy fix, the URL converters and the hooks (before blueprints)."""
    settings = app.extensions["circuit"].settings
    if settings.proxies > 0:
        n = settings.proxies
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # Flask's documented way
            app.wsgi_app, x_for=n, x_proto=n, x_host=n
        )
    app.url_map.converters["int"] = BoundedInt
    app.json = CheckedJSON(app)
    app.json.ensure_ascii = False
    hsts = settings.base_url.startswith("https://")

    @app.before_request
    def _refuse_unstorable_text() -> None:
        values = [("", request.path), *request.args.items(multi=True)]
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            values += request.form.items(multi=True)
        for key, value in values:
            # A multipart part whose name cannot be decoded comes as None: nothing to store.
            if inputs.bad_text(key or "") or inputs.bad_text(value or ""):
                raise BadRequest(inputs.TEXT_MESSAGE, code="bad_text")

    @app.after_request
    def _headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if hsts:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        if request.endpoint != "static":
            # Pages and API answers carry personal data: never kept by a browser or a proxy.
            response.headers["Cache-Control"] = "no-store"
            response.headers["Pragma"] = "no-cache"
        return response

    @app.errorhandler(RecursionError)
    def _too_deep(_exc: RecursionError) -> Any:
        if request.path.startswith("/api/"):
            return jsonify({"error": "too_deep", "message": inputs.NESTING_MESSAGE}), 400
        return errors.page(400, inputs.NESTING_MESSAGE)
