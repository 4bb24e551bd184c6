"""Logging for the processes of a server: one line per event, as text or as JSON
(CIRCUIT_LOG_FORMAT=json), each carrying the id of the HTTP request it belongs to, which
follows that request into the jobs it enqueues; secrets are masked before a line is written.

The request id lives in a context variable: the web app sets it for each request, the
dispatcher copies it into the meta of each job it enqueues, the worker sets it back while it
runs that job (engine.platform.rqueue)."""

from __future__ import annotations

import logging
import re
import sys
import uuid
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

from pythonjsonlogger.json import JsonFormatter

FORMAT_ENV = "CIRCUIT_LOG_FORMAT"
REQUEST_ID_HEADER = "X-Request-Id"
# What a proxy or a client may hand us as a request id: short, printable, no spaces.
_SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,63}")

request_id: ContextVar[str | None] = ContextVar("circuit_request_id", default=None)
job_id: ContextVar[str | None] = ContextVar("circuit_job_id", default=None)


def accept_request_id(offered: str | None) -> str:
    """Return the id a client or proxy sent if it looks like one, else a new one."""
    if offered and _SANE_ID.fullmatch(offered):
        return offered
    return uuid.uuid4().hex


# Secrets never reach a log line, whoever wrote the message: a password or a token given as
# `name=value` or `"name": "value"`, a bearer token, a cookie, a CNP (13 digits).
_SECRET_PAIR = re.compile(
    r"""(?ix)
    (["']?(?:password|parola|passwd|token|secret|api[_-]?key|cookie|set-cookie|session|csrf_token)
    ["']?\s*[:=]\s*)
    ("[^"]*"|'[^']*'|[^\s,;&}]+)
    """
)
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]+")
_CNP = re.compile(r"(?<!\d)[1-9]\d{12}(?!\d)")


def mask(text: str) -> str:
    """Return the text with passwords, tokens, cookies and CNPs replaced by ***."""
    text = _SECRET_PAIR.sub(lambda m: m.group(1) + "***", text)
    text = _BEARER.sub(lambda m: m.group(1) + "***", text)
    return _CNP.sub("***", text)


class ContextFilter(logging.Filter):
    """Add the request and job ids to each record and mask secrets in its message."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        record.job_id = job_id.get()
        message = record.getMessage()
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = mask(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = mask(record.exc_text)
        return True


def _masked(text: str | list[str]) -> str | list[str]:
    return mask(text) if isinstance(text, str) else [mask(line) for line in text]


class _Json(JsonFormatter):
    # python-json-logger may give a traceback as a list of lines (exc_info_as_array).
    def formatException(self, ei: Any) -> Any:  # noqa: N802  # logging's name
        return _masked(super().formatException(ei))

    def formatStack(self, stack_info: str) -> Any:  # noqa: N802
        return _masked(super().formatStack(stack_info))

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message)
        for key in ("request_id", "job_id"):
            if log_data.get(key) is None:
                log_data.pop(key, None)


def json_formatter() -> logging.Formatter:
    """One JSON object per line: time, level, logger, message, request_id, job_id, extras."""
    return _Json(
        "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(job_id)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        timestamp=False,
        json_ensure_ascii=False,
    )


class _Text(logging.Formatter):
    """A line for a person: time, level, logger, [request id] when there is one, message."""

    def format(self, record: logging.LogRecord) -> str:
        rid = getattr(record, "request_id", None)
        record.request_tag = f" [{rid}]" if rid else ""
        return super().format(record)


def text_formatter() -> logging.Formatter:
    return _Text("%(asctime)s %(levelname)s %(name)s%(request_tag)s %(message)s")


def wants_json(env: Mapping[str, str]) -> bool:
    return env.get(FORMAT_ENV, "text").strip().lower() == "json"


def handler(env: Mapping[str, str], stream: Any = None) -> logging.Handler:
    """Return a handler writing to `stream` (stderr) in the format the environment asks for."""
    out = logging.StreamHandler(stream or sys.stderr)
    out.setFormatter(json_formatter() if wants_json(env) else text_formatter())
    out.addFilter(ContextFilter())
    return out


def configure(env: Mapping[str, str], level: int = logging.INFO, stream: Any = None) -> None:
    """Send this process's log records (ours, RQ's, gunicorn's error log) through one handler."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "circuit", False)]:
        root.removeHandler(old)
    out = handler(env, stream)
    out.circuit = True  # type: ignore[attr-defined]  # ours, replaced on reconfiguration
    root.addHandler(out)
    root.setLevel(level)
