"""The Romanian personal numeric code (CNP): structure and check digit."""

from __future__ import annotations

from datetime import date

from engine.errors import BadRequest

WEIGHTS = (2, 7, 9, 1, 4, 6, 3, 5, 8, 2, 7, 9)
CENTURY = {"1": 1900, "2": 1900, "3": 1800, "4": 1800, "5": 2000, "6": 2000}


def check_digit(first12: str) -> int:
    """Compute the control digit of the first twelve digits."""
    rest = sum(int(d) * w for d, w in zip(first12, WEIGHTS, strict=True)) % 11
    return 1 if rest == 10 else rest


def birth_date(cnp: str) -> date | None:
    """Return the birth date a CNP encodes, or None when the century is unknown (S=7,8,9)."""
    century = CENTURY.get(cnp[0])
    if century is None:
        return None
    return date(century + int(cnp[1:3]), int(cnp[3:5]), int(cnp[5:7]))


def validate_cnp(cnp: str) -> str:
    """Return the CNP if it is well formed, else raise BadRequest in Romanian."""
    if len(cnp) != 13 or not cnp.isdigit() or cnp[0] == "0":
        raise BadRequest("CNP-ul trebuie să aibă 13 cifre.")
    try:
        born = birth_date(cnp)
    except ValueError:
        raise BadRequest("CNP-ul conține o dată de naștere imposibilă.") from None
    if not (1 <= int(cnp[7:9]) <= 52):
        raise BadRequest("CNP-ul conține un cod de județ inexistent.")
    if born is None and cnp[0] not in "789":
        raise BadRequest("CNP-ul nu este valid.")
    if check_digit(cnp[:12]) != int(cnp[12]):
        raise BadRequest("Cifra de control a CNP-ului nu este corectă.")
    return cnp
