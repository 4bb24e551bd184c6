"""The OpenAPI description of the accounts and personal-data paths."""

from __future__ import annotations

from typing import Any


def _obj(**props: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


S = {"type": "string"}
B = {"type": "boolean"}
ME = _obj(
    id=S,
    email=S,
    name=S,
    cnp_masked={"type": "string", "nullable": True},
    birth_date={"type": "string", "format": "date", "nullable": True},
    verified=B,
    company={**_obj(cui=S, name=S, status=S), "nullable": True},
    companies={"type": "array", "items": _obj(cui=S, name=S, status=S)},
)
STATUS = {"type": "string", "enum": ["pending", "accepted", "refused"]}
NULLABLE = {"type": "string", "nullable": True}
CLAIM = _obj(
    id={"type": "integer"},
    kind={"type": "string", "enum": ["company", "person"]},
    cui=NULLABLE,
    name=S,
    status=STATUS,
    reason=NULLABLE,
)
CLAIM_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}


def account_paths() -> dict[str, Any]:
    """Return the paths of accounts, links and /me."""
    from webapp.openapi import _errors, _json, _op

    token_body = _body({"type": "object", "required": ["token"], "properties": {"token": S}})
    return {
        "/accounts": {
            "post": _op(
                "Creează un cont (același răspuns pentru o adresă sau un CNP deja folosite)",
                {
                    "201": _json(_obj(id=S, email=S, verified=B), "Cont creat; e-mail trimis"),
                    **_errors(400, 422, 429),
                },
                secure=False,
                requestBody=_body(
                    {
                        "type": "object",
                        "required": ["name", "email", "password"],
                        "properties": {
                            "name": {"type": "string", "maxLength": 200},
                            "email": S,
                            "password": {"type": "string", "minLength": 10, "maxLength": 128},
                            "cnp": S,
                            "birth_date": {"type": "string", "format": "date"},
                            "id_document": S,
                            "company": _obj(cui=S, name=S),
                        },
                    }
                ),
            )
        },
        "/accounts/verify": {
            "post": _op(
                "Confirmă adresa de e-mail cu tokenul din link",
                {"200": _json(_obj(verified=B, email=S), "Confirmată"), **_errors(400)},
                secure=False,
                requestBody=token_body,
            )
        },
        "/accounts/verify/resend": {
            "post": _op(
                "Retrimite linkul de confirmare",
                {"202": _json(_obj(sent=B), "Trimis"), **_errors(401)},
            )
        },
        "/accounts/password-reset": {
            "post": _op(
                "Cere un link pentru o parolă nouă (același răspuns pentru orice adresă)",
                {"202": _json(_obj(message=S), "Acceptat"), **_errors(400)},
                secure=False,
                requestBody=_body(_obj(email=S)),
            )
        },
        "/accounts/password-reset/confirm": {
            "post": _op(
                "Alege parola nouă cu tokenul din link",
                {"200": _json(_obj(ok=B), "Parola schimbată"), **_errors(400, 422)},
                secure=False,
                requestBody=_body(_obj(token=S, password=S)),
            )
        },
        "/me": {
            "get": _op("Contul meu", {"200": _json(ME, "Contul"), **_errors(401)}),
            "patch": _op(
                "Schimbă numele, adresa de e-mail (confirmată din nou) sau parola",
                {"200": _json(ME, "Contul"), **_errors(400, 401, 422)},
                requestBody=_body(
                    _obj(name=S, email=S, password=S, current_password=S),
                ),
            ),
        },
        "/me/companies": {
            "post": _op(
                "Cere să reprezentați o firmă (cui) sau o persoană (cnp), cu dovada; "
                "registratura o verifică",
                {
                    "201": _json(CLAIM, "Primită, în așteptarea verificării"),
                    **_errors(401, 422),
                },
                requestBody={
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["name", "proof"],
                                "properties": {
                                    "cui": S,
                                    "cnp": S,
                                    "name": S,
                                    "proof": {
                                        "type": "string",
                                        "format": "binary",
                                        "description": "împuternicirea sau certificatul "
                                        "constatator: PDF, JPEG sau PNG, cel mult 10 MB",
                                    },
                                },
                            }
                        },
                        "application/json": {
                            "schema": _obj(cui=S, cnp=S, name=S),
                        },
                    },
                },
            )
        },
        "/companies": {
            "get": _op(
                "Reprezentările care așteaptă verificarea registraturii, cu dovada",
                {
                    "200": _json(
                        _obj(
                            companies={
                                "type": "array",
                                "items": {
                                    **CLAIM,
                                    "properties": {
                                        **CLAIM["properties"],
                                        "represented": S,
                                        "applicant": _obj(name=S, email=S),
                                        "created_at": {"type": "string", "format": "date-time"},
                                        "proof_url": NULLABLE,
                                    },
                                },
                            }
                        ),
                        "Reprezentări în așteptare",
                    ),
                    **_errors(400, 401, 403),
                },
                parameters=[
                    {
                        "name": "status",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["pending"]},
                    }
                ],
            )
        },
        "/companies/{id}/proof": {
            "get": _op(
                "Descarcă dovada unei reprezentări (registratura sau titularul)",
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
                parameters=[CLAIM_ID],
            )
        },
        "/companies/{id}/verify": {
            "post": _op(
                "Acceptă sau refuză o reprezentare; solicitantul este anunțat",
                {"200": _json(CLAIM, "Decisă"), **_errors(401, 403, 404, 409, 422)},
                parameters=[CLAIM_ID],
                requestBody=_body(
                    {
                        "type": "object",
                        "required": ["decision"],
                        "properties": {
                            "decision": {"type": "string", "enum": ["accepted", "refused"]},
                            "reason": {
                                "type": "string",
                                "maxLength": 500,
                                "description": "obligatoriu la refuz",
                            },
                        },
                    }
                ),
            )
        },
        "/me/notifications": {
            "get": _op(
                "Notificările mele",
                {
                    "200": _json(
                        _obj(
                            notifications={
                                "type": "array",
                                "items": _obj(
                                    at={"type": "string", "format": "date-time"},
                                    request_id={"type": "integer", "nullable": True},
                                    text=S,
                                    read=B,
                                ),
                            }
                        ),
                        "Notificări",
                    ),
                    **_errors(401),
                },
            )
        },
        "/me/notifications/read": {
            "post": _op(
                "Marchează notificările ca citite",
                {"200": _json(_obj(marked={"type": "integer"}), "Marcate"), **_errors(401)},
            )
        },
        "/me/access-log": {
            "get": _op(
                "Cine mi-a deschis sau modificat datele",
                {
                    "200": _json(
                        _obj(
                            entries={
                                "type": "array",
                                "items": _obj(
                                    at={"type": "string", "format": "date-time"},
                                    official=S,
                                    department={"type": "string", "nullable": True},
                                    request_id={"type": "integer", "nullable": True},
                                    document_id={"type": "integer", "nullable": True},
                                    action={
                                        "type": "string",
                                        "enum": ["opened", "downloaded", "changed"],
                                    },
                                    what=S,
                                ),
                            }
                        ),
                        "Accesări",
                    ),
                    **_errors(401),
                },
            )
        },
        "/me/export": {
            "get": _op(
                "Toate datele mele, într-un singur document JSON",
                {"200": _json({"type": "object"}, "Datele"), **_errors(401)},
            )
        },
    }
