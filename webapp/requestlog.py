"""Each HTTP request gets an id: the X-Request-Id a proxy or client sent, if it looks like
one, else a new one. It is in the response's X-Request-Id header, in every log line written
while the request is served, and in the jobs it enqueues (engine.platform.logs). With
CIRCUIT_LOG_FORMAT=json the app writes the access line itself, by route rather than path (a
path can hold a link's token), and gunicorn's own access log is off (scripts/webserver.py)."""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request

from engine.platform import logs
from webapp import db

access = logging.getLogger("circuit.access")


def _begin() -> None:
    rid = logs.accept_request_id(request.headers.get(logs.REQUEST_ID_HEADER))
    g.request_id = rid
    g.request_id_token = logs.request_id.set(rid)
    g.request_started = time.perf_counter()


def _answer(response: Response) -> Response:
    rid = g.get("request_id")
    if rid:
        response.headers[logs.REQUEST_ID_HEADER] = rid
    if db.circuit().settings.log_format == "json" and "request_started" in g:
        rule = request.url_rule
        access.info(
            "request",
            extra={
                "method": request.method,
                "route": rule.rule if rule is not None else None,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - g.request_started) * 1000, 2),
            },
        )
    return response


def _end(_exc: BaseException | None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        logs.request_id.reset(token)


def init_app(app: Flask) -> None:
    app.before_request(_begin)
    app.after_request(_answer)
    app.teardown_request(_end)
