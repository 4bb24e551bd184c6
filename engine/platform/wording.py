"""Romanian wording of counts: numerals of 20 and above take „de” before the noun."""

from __future__ import annotations


def needs_de(n: int) -> bool:
    """Say whether a count takes „de” („20 de caractere”, but „19 caractere”, „101 caractere”)."""
    rest = abs(n) % 100
    return rest >= 20 or (rest == 0 and n != 0)


def count(n: int, singular: str, plural: str) -> str:
    """Say a count with its noun: „1 caracter”, „5 caractere”, „200 de caractere”."""
    if n == 1:
        return f"1 {singular}"
    return f"{n} {'de ' if needs_de(n) else ''}{plural}"
