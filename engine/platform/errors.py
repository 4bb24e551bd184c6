"""Errors the engine raises; each carries a code and a sentence for the user (Romanian)."""

from __future__ import annotations

from typing import Any


class CircuitError(Exception):
    """Base of the errors a caller turns into an answer for a person."""

    code = "error"
    status = 400
    # Whether a refused submission still takes its slot of the submission throttle: true
    # once the engine ran its steps (a diagram that failed, a loop past its bound).
    counts_as_attempt = False

    def __init__(self, message: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.extra = extra

    def as_dict(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, **self.extra}


class BadRequest(CircuitError):
    code = "bad_request"
    status = 400


class Unauthorized(CircuitError):
    code = "unauthorized"
    status = 401


class Forbidden(CircuitError):
    code = "forbidden"
    status = 403


class NotFound(CircuitError):
    code = "not_found"
    status = 404


class Conflict(CircuitError):
    code = "conflict"
    status = 409


class Invalid(CircuitError):
    """Form data or attachments that break the rules; `errors` lists them per field."""

    code = "invalid"
    status = 422

    def __init__(self, errors: list[dict[str, str]], message: str | None = None) -> None:
        super().__init__(message or "Datele trimise nu sunt valide.", errors=errors)
        self.errors = errors


class ProcessFailure(CircuitError):
    """The diagram itself failed (a script or condition error): a designer must fix it."""

    code = "process_error"
    status = 500
    counts_as_attempt = True
    # The library's own words (exception type and message), for administrators only: never
    # in as_dict, which users see.
    technical: str | None = None


class DeploymentError(Exception):
    """A designer's file that cannot be deployed; the message names the file, in Romanian."""

    def __init__(self, message: str) -> None:
        message = " ".join(message.split())  # one line, whatever a parser's reason held
        super().__init__(message)
        self.message = message
