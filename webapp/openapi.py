"""The OpenAPI 3 description of /api/v1."""

from __future__ import annotations

from functools import lru_cache
from typing import Any


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    text = {
        400: "Cerere greșită",
        401: "Neautentificat",
        403: "Interzis",
        404: "Nu există",
        409: "Conflict",
        422: "Date invalide",
        429: "Prea multe încercări",
        503: "Indisponibil",
    }
    return {str(c): _json(_ref("Invalid") if c == 422 else _ref("Error"), text[c]) for c in codes}


def _op(summary: str, responses: dict[str, Any], *, secure: bool = True, **extra: Any) -> dict:
    op: dict[str, Any] = {"summary": summary, "responses": responses}
    if not secure:
        op["security"] = []
    op.update(extra)
    return op


ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
PDF = {
    "description": "Documentul PDF",
    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
}
TASK_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
PAGE = {
    "name": "page",
    "in": "query",
    "description": "1…100000; outside, or not an integer: 400 bad_page",
    "schema": {"type": "integer", "minimum": 1, "maximum": 100000, "default": 1},
}


def per_page(default: int, largest: int) -> dict[str, Any]:
    """Describe `per_page`: 1…100000 accepted (400 bad_page otherwise), above `largest` clamped."""
    return {
        "name": "per_page",
        "in": "query",
        "description": f"1…100000 (400 bad_page otherwise); more than {largest} gives {largest}",
        "schema": {"type": "integer", "minimum": 1, "maximum": 100000, "default": default},
    }


PAGING = [PAGE, per_page(20, 100)]

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error", "message"],
        "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
    },
    "Invalid": {
        "type": "object",
        "required": ["error", "message", "errors"],
        "properties": {
            "error": {"type": "string", "enum": ["invalid"]},
            "message": {"type": "string"},
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "field": {"type": "string", "description": "JSON pointer"},
                        "message": {"type": "string"},
                    },
                },
            },
        },
    },
    "Registration": {
        "type": "object",
        "properties": {
            "number": {"type": "integer"},
            "date": {"type": "string", "format": "date"},
            "display": {"type": "string", "example": "17/27.11.2026"},
        },
    },
    "Status": {
        "type": "string",
        "enum": [
            "registered",
            "in_progress",
            "waiting_for_citizen",
            "completed",
            "rejected",
            "withdrawn",
        ],
    },
    "RequestSummary": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "procedure": {"type": "string"},
            "registration": _ref("Registration"),
            "status": _ref("Status"),
            "due_date": {"type": "string", "format": "date"},
        },
    },
    "Step": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "department": {"type": "string"},
            "state": {"type": "string", "enum": ["ready", "completed", "cancelled"]},
            "started_at": {"type": "string", "format": "date-time"},
            "completed_at": {"type": "string", "format": "date-time", "nullable": True},
            "completed_by": {"type": "string", "nullable": True},
        },
    },
    "Attachment": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "required": {"type": "boolean"},
            "types": {"type": "array", "items": {"type": "string"}},
            "max_bytes": {"type": "integer"},
        },
    },
    "Document": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "kind": {"type": "string"},
            "sha256": {"type": "string"},
            "url": {"type": "string"},
        },
    },
    "RequestDetail": {
        "allOf": [
            _ref("RequestSummary"),
            {
                "type": "object",
                "properties": {
                    "waiting_for": {
                        "type": "object",
                        "nullable": True,
                        "properties": {
                            "message": {"type": "string"},
                            "form": {"type": "object", "description": "JSON Schema"},
                            "attachments": {"type": "array", "items": _ref("Attachment")},
                        },
                    },
                    "steps": {"type": "array", "items": _ref("Step")},
                    "documents": {"type": "array", "items": _ref("Document")},
                    "answer": {"type": "string", "nullable": True},
                    "conversation": {"type": "array", "items": _ref("Exchange")},
                    "deadline": {
                        "type": "object",
                        "properties": {
                            "due_date": {"type": "string", "format": "date"},
                            "days_left": {"type": "integer", "nullable": True},
                            "overdue": {"type": "boolean"},
                        },
                    },
                    "withdrawable": {"type": "boolean"},
                },
            },
        ]
    },
    "Exchange": {
        "type": "object",
        "description": "A question put to the applicant and the reply, when there is one",
        "properties": {
            "question": {"type": "string", "nullable": True},
            "step": {"type": "string"},
            "asked_at": {"type": "string", "format": "date-time"},
            "asked_by": {"type": "string", "nullable": True},
            "state": {"type": "string", "enum": ["ready", "completed", "cancelled"]},
            "reply": {"type": "object", "nullable": True},
            "replied_at": {"type": "string", "format": "date-time", "nullable": True},
            "documents": {"type": "array", "items": _ref("Document")},
        },
    },
    "Procedure": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "legal_basis": {"type": "string"},
            "deadline": {
                "type": "object",
                "properties": {
                    "days": {"type": "integer"},
                    "kind": {"type": "string", "enum": ["calendar", "working"]},
                },
            },
            "start_form": {"type": "object", "description": "JSON Schema"},
            "attachments": {"type": "array", "items": _ref("Attachment")},
            "available": {
                "type": "boolean",
                "description": "false când un compartiment numit de diagramă nu are personal",
            },
            "unavailable_reason": {"type": "string", "nullable": True},
        },
    },
    "Task": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "request_id": {"type": "integer"},
            "registration": _ref("Registration"),
            "name": {"type": "string"},
            "department": {"type": "string"},
            "form": {"type": "object", "nullable": True},
            "due_date": {"type": "string", "format": "date"},
            "days_left": {"type": "integer"},
            "at_risk": {"type": "boolean", "description": "under 5 days left"},
            "overdue": {"type": "boolean"},
            "claimed_by": {"type": "string", "nullable": True},
        },
    },
}


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    """Return the OpenAPI document (built once)."""
    req_body = {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["procedure", "data"],
                    "properties": {
                        "procedure": {"type": "string"},
                        "data": {"type": "object"},
                        "company": {
                            "type": "string",
                            "description": "CUI to act for: a representation the registry accepted",
                        },
                    },
                }
            },
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "procedure": {"type": "string"},
                        "data": {"type": "string", "description": "the form data as a JSON string"},
                    },
                    "additionalProperties": {"type": "string", "format": "binary"},
                }
            },
        },
    }
    paths: dict[str, Any] = {
        "/auth/token": {
            "post": _op(
                "Obține un token de acces",
                {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "token": {"type": "string"},
                                "expires_at": {"type": "string", "format": "date-time"},
                            },
                        },
                        "Token",
                    ),
                    **_errors(400, 401, 429),
                },
                secure=False,
                requestBody={
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["email", "password"],
                                "properties": {
                                    "email": {"type": "string"},
                                    "password": {"type": "string"},
                                },
                            }
                        }
                    },
                },
            ),
            "delete": _op(
                "Revocă tokenul folosit: este refuzat de acum înainte",
                {"204": {"description": "Token revocat"}, **_errors(401)},
            ),
        },
        "/openapi.json": {
            "get": _op(
                "Acest document", {"200": _json({"type": "object"}, "OpenAPI 3")}, secure=False
            )
        },
        "/procedures": {
            "get": _op(
                "Catalogul de proceduri",
                {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "procedures": {"type": "array", "items": _ref("Procedure")}
                            },
                        },
                        "Proceduri",
                    )
                },
                secure=False,
            )
        },
        "/departments": {
            "get": _op(
                "Compartimentele primăriei",
                {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "departments": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "properties": {
                                            "code": {"type": "string"},
                                            "name": {"type": "string"},
                                        },
                                    },
                                }
                            },
                        },
                        "Compartimente",
                    )
                },
                secure=False,
            )
        },
        "/requests": {
            "post": _op(
                "Depune o cerere",
                {
                    "201": _json(_ref("RequestSummary"), "Cererea a fost înregistrată"),
                    **_errors(400, 401, 403, 422, 429),
                    "403": _json(
                        _ref("Error"),
                        "email_not_verified; company_not_verified: reprezentarea firmei sau a "
                        "persoanei pentru care este cererea nu a fost acceptată de registratură",
                    ),
                    "500": _json(
                        _ref("Error"),
                        "process_error: diagrama a eșuat (o buclă peste limită, un pas oprit); "
                        "nu s-a salvat nimic",
                    ),
                    "409": _json(
                        _ref("Error"),
                        "Procedura nu poate fi depusă acum: `error` este "
                        "`procedure_unavailable`, `message` spune care compartiment nu are "
                        "încă personal, `departments` le numește prin cod",
                    ),
                },
                requestBody=req_body,
                parameters=[
                    {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"}}
                ],
            ),
            "get": _op(
                "Cererile vizibile pentru utilizator",
                {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "requests": {"type": "array", "items": _ref("RequestSummary")},
                                "page": {"type": "integer"},
                                "per_page": {"type": "integer"},
                                "total": {"type": "integer"},
                            },
                        },
                        "Cereri",
                    ),
                    **_errors(400, 401),
                },
                parameters=PAGING,
            ),
        },
        "/requests/{id}": {
            "get": _op(
                "O cerere, cu pașii ei",
                {"200": _json(_ref("RequestDetail"), "Cererea"), **_errors(401, 404)},
                parameters=[ID],
            )
        },
        "/requests/{id}/reply": {
            "post": _op(
                "Răspunsul petentului la o cerere de completări",
                {
                    "200": _json(
                        {"type": "object", "properties": {"status": _ref("Status")}}, "Reluat"
                    ),
                    **_errors(401, 404, 409, 422),
                },
                parameters=[ID],
                requestBody={
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "data": {
                                        "type": "object",
                                        "description": "checked against waiting_for.form",
                                    },
                                    "text": {
                                        "type": "string",
                                        "description": "where the form is one text field",
                                    },
                                },
                            }
                        },
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "data": {"type": "string", "description": "JSON object"},
                                    "text": {"type": "string"},
                                },
                                "additionalProperties": {"type": "string", "format": "binary"},
                            }
                        },
                    }
                },
            )
        },
        "/requests/{id}/withdraw": {
            "post": _op(
                "Petentul își retrage cererea (unde procedura permite)",
                {
                    "200": _json(
                        {"type": "object", "properties": {"status": _ref("Status")}}, "Retrasă"
                    ),
                    **_errors(401, 404, 409),
                },
                parameters=[ID],
            )
        },
        "/documents/{id}": {
            "get": _op(
                "Descarcă un document",
                {
                    "200": {
                        "description": "Fișierul",
                        "content": {
                            "application/octet-stream": {
                                "schema": {"type": "string", "format": "binary"}
                            }
                        },
                    },
                    **_errors(401, 404),
                },
                parameters=[ID],
            )
        },
        "/requests/{id}/receipt.pdf": {
            "get": _op(
                "Dovada de înregistrare a cererii, în PDF (număr, procedură, termen, amprente)",
                {"200": PDF, **_errors(401, 404)},
                parameters=[ID],
            )
        },
        "/requests/{id}/answer.pdf": {
            "get": _op(
                "Răspunsul primăriei la o cerere închisă, în PDF (404 no_answer fără răspuns)",
                {"200": PDF, **_errors(401, 404)},
                parameters=[ID],
            )
        },
        "/tasks": {
            "get": _op(
                "Sarcinile compartimentelor mele",
                {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {"tasks": {"type": "array", "items": _ref("Task")}},
                        },
                        "Sarcini",
                    ),
                    **_errors(400, 401, 403),
                },
                parameters=[
                    *PAGING,
                    {
                        "name": "sort",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["request", "due_date"]},
                    },
                    {
                        "name": "claimed",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["any", "free", "mine"]},
                    },
                ],
            )
        },
        "/tasks/{id}/claim": {
            "post": _op(
                "Preia o sarcină",
                {"200": _json({"type": "object"}, "Preluată"), **_errors(401, 403, 404, 409)},
                parameters=[TASK_ID],
                requestBody={
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {"reason": {"type": "string"}},
                            }
                        }
                    }
                },
            )
        },
        "/tasks/{id}/release": {
            "post": _op(
                "Eliberează o sarcină preluată",
                {"200": _json({"type": "object"}, "Eliberată"), **_errors(401, 403, 404)},
                parameters=[TASK_ID],
            )
        },
        "/tasks/{id}/complete": {
            "post": _op(
                "Finalizează o sarcină",
                {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "request": {
                                    "type": "object",
                                    "properties": {
                                        "id": {"type": "integer"},
                                        "status": _ref("Status"),
                                    },
                                }
                            },
                        },
                        "Finalizată",
                    ),
                    **_errors(400, 401, 403, 404, 409, 422),
                },
                parameters=[TASK_ID],
                description=(
                    "O sarcină nepreluată este preluată întâi, după regula preluării: dacă în "
                    "lista compartimentului așteaptă una mai veche, nepreluată, trebuie un "
                    "`reason` (păstrat în istoric), altfel 409 `out_of_order` cu `older_task`."
                ),
                requestBody={
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "data": {"type": "object"},
                                    "reason": {"type": "string"},
                                },
                            }
                        }
                    },
                },
            )
        },
        "/calendar/deadline": {
            "get": _op(
                "Calculează un termen legal",
                {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {"due_date": {"type": "string", "format": "date"}},
                        },
                        "Termenul",
                    ),
                    **_errors(400),
                },
                secure=False,
                parameters=[
                    {
                        "name": "start",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "string", "format": "date"},
                    },
                    {
                        "name": "days",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "integer"},
                    },
                    {
                        "name": "kind",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["calendar", "working"]},
                    },
                ],
            )
        },
    }
    from webapp.openapi_accounts import account_paths

    paths.update(account_paths())
    from webapp.openapi_registry import registry_paths

    paths.update(registry_paths())
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Circuit API",
            "version": "1.0.0",
            "description": "Circuitul documentelor unei primării.",
        },
        "servers": [{"url": "/api/v1"}],
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }
