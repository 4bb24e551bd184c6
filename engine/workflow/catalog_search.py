"""Finding procedures in a catalog of a hundred: by words (case and diacritics ignored), by
category and by whom they are for."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from engine.workflow.catalog import AUDIENCES, Procedure

MAX_QUERY = 200  # characters of a search; longer ones are cut, not refused


def fold(text: str | None) -> str:
    """Lower-case a text and take off its diacritics: „Ștampilă” and „stampila” are equal."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _haystack(proc: Procedure) -> str:
    parts = [proc.title, proc.description, proc.category, proc.legal_basis]
    parts += [a.title for a in proc.attachments]
    return fold(" ".join(parts))


def categories(procedures: Iterable[Procedure]) -> list[str]:
    """Return the catalog's categories, each once, in alphabetical order."""
    names = {p.category for p in procedures if p.category}
    return sorted(names, key=fold)


def category_of(name: str, procedures: Iterable[Procedure]) -> str:
    """Return the category a request's parameter names (any case or diacritics), or ""."""
    wanted = fold(name.strip())
    return next((c for c in categories(procedures) if fold(c) == wanted), "")


def search(
    procedures: Iterable[Procedure], words: str = "", category: str = "", audience: str = ""
) -> list[Procedure]:
    """Return the procedures with every word, in that category and for that audience: those
    whose title has the words first, each group by title."""
    terms = fold(words[:MAX_QUERY]).split()
    wanted_category = fold(category)
    found: list[tuple[int, str, Procedure]] = []
    for proc in procedures:
        if wanted_category and fold(proc.category) != wanted_category:
            continue
        if audience in AUDIENCES and audience not in proc.audience:
            continue
        text = _haystack(proc)
        if not all(term in text for term in terms):
            continue
        title = fold(proc.title)
        in_title = all(term in title for term in terms)
        found.append((0 if in_title else 1, title, proc))
    return [proc for _, _, proc in sorted(found, key=lambda row: (row[0], row[1]))]
