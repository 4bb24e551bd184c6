"""Input that cannot be stored or walked safely is refused with a 400, never a 500."""

from __future__ import annotations

import json
from typing import Any

from engine.platform.bounds import MAX_PAGE, page_number, page_size
from engine.platform.errors import BadRequest

MAX_JSON_DEPTH = 64
NESTING_MESSAGE = (
    f"Corpul cererii are prea multe niveluri de imbricare (cel mult {MAX_JSON_DEPTH})."
)
TEXT_MESSAGE = (
    "Textul trimis conține caractere nepermise (caracterul nul sau "
    "surogate Unicode izolate). Corectați-l și încercați din nou."
)


__all__ = ["MAX_PAGE", "page_number", "page_size"]


class RefusedJSON(ValueError):
    """JSON that parses but that Circuit will not take; its message is for people."""


def bad_text(value: str) -> bool:
    """Tell whether a string holds a NUL or a lone surrogate (neither can be stored)."""
    if "\x00" in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def check_json(value: Any) -> None:
    """Refuse a parsed JSON value nested too deep or holding text that cannot be stored."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise RefusedJSON(NESTING_MESSAGE)
            children = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in children:
                if isinstance(key, str) and bad_text(key):
                    raise RefusedJSON(TEXT_MESSAGE)
                stack.append((child, depth + 1))
        elif isinstance(item, str) and bad_text(item):
            raise RefusedJSON(TEXT_MESSAGE)


def load_json(raw: str | bytes) -> Any:
    """Parse JSON, refusing what check_json refuses; ValueError for what is not JSON."""
    try:
        value = json.loads(raw)
    except RecursionError:
        raise RefusedJSON(NESTING_MESSAGE) from None
    check_json(value)
    return value


def json_object(raw: str | bytes, what: str = "Corpul cererii") -> dict[str, Any]:
    """Parse a JSON object, with a BadRequest people understand for anything else."""
    try:
        body = load_json(raw or b"{}")
    except RefusedJSON as exc:
        raise BadRequest(str(exc), code="malformed_json") from None
    except (ValueError, UnicodeDecodeError):
        raise BadRequest(f"{what} nu este JSON valid.", code="malformed_json") from None
    if not isinstance(body, dict):
        raise BadRequest(f"{what} trebuie să fie un obiect JSON.", code="malformed_json")
    return body
