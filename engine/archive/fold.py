"""Text without case or diacritics, character for character, and the passage that matched."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

WORD = re.compile(r"\w+", re.UNICODE)


def fold_char(ch: str) -> str:
    """Return one character without case or diacritics (ș→s, Ă→a), always one character."""
    base = unicodedata.normalize("NFD", ch)[0].lower()
    return base if len(base) == 1 else ch


def fold(text: str) -> str:
    """Fold a text character by character, so positions in it are positions in the original."""
    return "".join(fold_char(ch) for ch in unicodedata.normalize("NFC", text))


def words(query: str) -> list[str]:
    """Return the folded words of a query (what is searched for)."""
    return [w for w in WORD.findall(fold(query)) if w][:12]


@dataclass(frozen=True)
class Snippet:
    """A passage of a document and where in it the searched words are."""

    text: str
    marks: tuple[tuple[int, int], ...]  # (start, end) in text

    def parts(self) -> list[tuple[str, bool]]:
        """Split the passage into (text, matched) pieces, for highlighting."""
        out: list[tuple[str, bool]] = []
        at = 0
        for start, end in self.marks:
            if start > at:
                out.append((self.text[at:start], False))
            out.append((self.text[start:end], True))
            at = end
        if at < len(self.text):
            out.append((self.text[at:], False))
        return out


def snippet(text: str, query_words: list[str], width: int = 220) -> Snippet:
    """Return the passage around the first searched word, with every searched word marked."""
    original = " ".join(unicodedata.normalize("NFC", text or "").split())
    folded = fold(original)
    wanted = set(query_words)
    hits = [m for m in WORD.finditer(folded) if m.group(0) in wanted]
    if not hits:
        return Snippet(original[:width] + ("…" if len(original) > width else ""), ())
    start = max(0, hits[0].start() - width // 3)
    if start:
        space = original.find(" ", start)
        start = space + 1 if 0 <= space < hits[0].start() else start
    end = min(len(original), start + width)
    prefix = "…" if start else ""
    suffix = "…" if end < len(original) else ""
    marks = tuple(
        (m.start() - start + len(prefix), m.end() - start + len(prefix))
        for m in hits
        if m.start() >= start and m.end() <= end
    )
    return Snippet(prefix + original[start:end] + suffix, marks)
