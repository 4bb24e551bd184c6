"""The register's paths in the OpenAPI document."""

from __future__ import annotations

from typing import Any

from webapp.openapi import PAGE, _errors, _json, _op, per_page

_TEXT = {"type": "string"}
_PERIOD = [
    {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}},
    {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}},
]
ENTRY_INPUT = {
    "type": "object",
    "properties": {
        "direction": {"type": "string", "enum": ["in", "out"]},
        "channel": {"type": "string", "enum": ["counter", "post", "email", "portal", "fax"]},
        "issuer": _TEXT,
        "issuer_number": _TEXT,
        "issuer_date": {"type": "string", "format": "date"},
        "issuer_contact": {"type": "string", "description": "postal address or e-mail"},
        "reply_by": {"type": "string", "enum": ["post", "email"]},
        "recipient": _TEXT,
        "summary": _TEXT,
        "pages": {"type": "integer", "minimum": 0},
        "annexes": {"type": "integer", "minimum": 0},
        "department": _TEXT,
        "procedure": _TEXT,
        "data": {"type": "object"},
        "related_to": {"type": "string", "example": "17/27.11.2026"},
        "join": {"type": "boolean", "description": "conexare of an identical petition"},
    },
}
ENTRY = {
    "type": "object",
    "properties": {
        "number": {"type": "integer"},
        "date": {"type": "string", "format": "date"},
        "display": _TEXT,
        "direction": _TEXT,
        "channel": {"type": "string", "nullable": True},
        "issuer": _TEXT,
        "issuer_number": {"type": "string", "nullable": True},
        "issuer_date": {"type": "string", "format": "date", "nullable": True},
        "pages": {"type": "integer", "nullable": True},
        "annexes": {"type": "integer", "nullable": True},
        "summary": _TEXT,
        "department": {"type": "string", "nullable": True},
        "dispatch_date": {"type": "string", "format": "date", "nullable": True},
        "resolution": _TEXT,
        "recipient": {"type": "string", "nullable": True},
        "related_to": {"type": "string", "nullable": True},
        "answered_by": {"type": "string", "nullable": True},
        "file_code": {"type": "string", "nullable": True},
        "request_id": {"type": "integer", "nullable": True},
        "hash": _TEXT,
    },
}


_TASK_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
HISTORY = {
    "type": "object",
    "properties": {
        "request_id": {"type": "integer"},
        "events": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "at": {"type": "string", "format": "date-time"},
                    "action": _TEXT,
                    "label": _TEXT,
                    "by": {"type": "string", "nullable": True},
                    "reason": _TEXT,
                },
            },
        },
        "steps": {"type": "array", "items": {"type": "object"}},
    },
}


def _body(properties: dict[str, Any]) -> dict[str, Any]:
    schema = {"type": "object", "properties": properties}
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def registry_paths() -> dict[str, Any]:
    """Return the register's paths."""
    multipart = {
        **ENTRY_INPUT,
        "properties": {
            **ENTRY_INPUT["properties"],
            "data": {"type": "string", "description": "the form data as a JSON string"},
            "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
        },
    }
    created = {
        "type": "object",
        "properties": {
            "number": {"type": "integer"},
            "date": {"type": "string", "format": "date"},
            "display": _TEXT,
            "request_id": {"type": "integer", "nullable": True},
            "hash": _TEXT,
        },
    }
    listing = {
        "type": "object",
        "properties": {
            "entries": {"type": "array", "items": ENTRY},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total": {"type": "integer"},
        },
    }
    verified = {
        "type": "object",
        "properties": {
            "ok": {"type": "boolean"},
            "entries": {"type": "integer"},
            "first_bad": {
                "type": "object",
                "properties": {
                    "number": {"type": "integer"},
                    "date": {"type": "string", "format": "date"},
                    "display": _TEXT,
                    "reason": _TEXT,
                },
            },
        },
    }
    return {
        "/registry/entries": {
            "post": _op(
                "Înregistrează un document intrat sau ieșit",
                {"201": _json(created, "Înregistrat"), **_errors(400, 401, 403, 422, 503)},
                parameters=[
                    {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"}}
                ],
                requestBody={
                    "required": True,
                    "content": {
                        "application/json": {"schema": ENTRY_INPUT},
                        "multipart/form-data": {"schema": multipart},
                    },
                },
            ),
            "get": _op(
                "Registrul de intrare-ieșire",
                {"200": _json(listing, "Înregistrări"), **_errors(400, 401, 403)},
                parameters=[
                    *_PERIOD,
                    {"name": "q", "in": "query", "schema": _TEXT},
                    PAGE,
                    per_page(50, 200),
                ],
            ),
        },
        "/registry/export": {
            "get": _op(
                "Registrul pe o perioadă, CSV (UTF-8 cu BOM) sau PDF",
                {
                    "200": {
                        "description": "Fișierul",
                        "content": {
                            "text/csv": {"schema": _TEXT},
                            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                        },
                    },
                    **_errors(400, 401, 403),
                },
                parameters=[
                    *_PERIOD,
                    {
                        "name": "format",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["csv", "pdf"]},
                    },
                ],
            )
        },
        "/tasks/{id}/assign": {
            "post": _op(
                "Repartizează o sarcină unui funcționar (șeful compartimentului)",
                {
                    "200": _json({"type": "object"}, "Repartizată"),
                    **_errors(401, 403, 404, 409, 422),
                },
                parameters=[_TASK_ID],
                requestBody=_body({"user_id": {"type": "integer"}}),
            )
        },
        "/tasks/{id}/redirect": {
            "post": _op(
                "Redirecționează o sarcină către alt compartiment",
                {
                    "200": _json({"type": "object"}, "Redirecționată"),
                    **_errors(401, 403, 404, 409, 422),
                },
                parameters=[_TASK_ID],
                description=(
                    "422 pe `department` pentru un compartiment în care nu lucrează nimeni "
                    "(sau, pentru o sarcină rezervată șefilor, care nu are șef)."
                ),
                requestBody=_body({"department": _TEXT, "reason": _TEXT}),
            )
        },
        "/tasks/{id}/forward": {
            "post": _op(
                "Transmite cererea autorității competente (OG 27/2002 art. 6) și o închide",
                {
                    "200": _json({"type": "object"}, "Transmisă; solicitantul este anunțat"),
                    **_errors(401, 403, 404, 409, 422),
                },
                parameters=[_TASK_ID],
                requestBody=_body({"authority": _TEXT, "reason": _TEXT}),
            )
        },
        "/absences": {
            "post": _op(
                "Înregistrează absența unui funcționar (nu i se repartizează nimic)",
                {"201": _json({"type": "object"}, "Înregistrată"), **_errors(401, 403, 404, 422)},
                requestBody=_body(
                    {
                        "user_id": {"type": "integer"},
                        "from": {"type": "string", "format": "date"},
                        "to": {"type": "string", "format": "date"},
                        "reason": _TEXT,
                    }
                ),
            )
        },
        "/requests/{id}/history": {
            "get": _op(
                "Istoricul unei cereri: pași, preluări, redirecționări, documente",
                {"200": _json(HISTORY, "Istoricul"), **_errors(401, 404)},
                parameters=[
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
                ],
            )
        },
        "/registry/verify": {
            "get": _op(
                "Verifică lanțul de hash-uri al registrului",
                {"200": _json(verified, "Rezultatul verificării"), **_errors(401, 403, 503)},
                description=(
                    "503 `register_key_missing` când cheia lanțului lipsește, deși registrul "
                    "are rânduri semnate cu ea."
                ),
            )
        },
    }
