"""Numbers taken from outside are checked against what the database can hold before any query.

Page numbers of every list, sizes of a page, ids in a body: a value that is not an integer
in range is refused with a sentence naming the parameter (`400 bad_page` for pages, `422`
with a field pointer for a body), never passed on to overflow in SQLite or PostgreSQL.
"""

from __future__ import annotations

import re
from typing import Any

from engine.platform.errors import BadRequest, Invalid

MAX_PAGE = 100_000
MAX_ID = 2**31 - 1  # ids are INTEGER columns: larger ones cannot exist
_ASCII_INT = re.compile(r"[0-9]{1,9}")


def _query_int(raw: str | None) -> int | None:
    """Read a query parameter as written in ASCII digits (no sign, no `_`, no other digits)."""
    text = (raw or "").strip()
    return int(text) if _ASCII_INT.fullmatch(text) else None


def page_number(raw: str | None, name: str = "page") -> int:
    """Return a page number between 1 and MAX_PAGE (1 when absent), or refuse it clearly."""
    page = 1 if raw in (None, "") else _query_int(raw)
    if page is None or not 1 <= page <= MAX_PAGE:
        raise BadRequest(
            f"Parametrul {name} trebuie să fie un număr întreg între 1 și {MAX_PAGE}.",
            code="bad_page",
        )
    return page


def page_size(raw: str | None, default: int, largest: int, name: str = "per_page") -> int:
    """Return how many rows a page holds: an integer from 1 (above `largest`, `largest`)."""
    size = default if raw in (None, "") else _query_int(raw)
    if size is None or not 1 <= size <= MAX_PAGE:
        raise BadRequest(
            f"Parametrul {name} trebuie să fie un număr întreg între 1 și {largest}.",
            code="bad_page",
        )
    return min(size, largest)


def stored_id(value: Any) -> int | None:
    """Return an id given as a JSON integer if a row could have it (not a bool, 1…MAX_ID)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        return None
    return value


def form_id(raw: str | None) -> int | None:
    """Return an id a web form sent as ASCII digits if a row could have it, else None."""
    return stored_id(_query_int(raw))


def body_id(value: Any, field: str, message: str) -> int:
    """Return an id from a request body, or refuse it with 422 at its field."""
    found = stored_id(value)
    if found is None:
        raise Invalid([{"field": f"/{field}", "message": message}])
    return found
