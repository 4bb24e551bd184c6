"""Romanian identifiers: the personal numeric code (CNP) and a company's CUI, via python-stdnum.

Every identifier taken from outside is read the one way: NFKC (full-width `１７９` becomes
`179`), spaces removed, then refused unless it is ASCII digits (`[0-9]`), before any check
digit and before any lookup, so that one number cannot be written two ways.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from stdnum.exceptions import InvalidChecksum, InvalidComponent, ValidationError
from stdnum.ro import cnp as std_cnp
from stdnum.ro import cui as std_cui

from engine.platform.errors import BadRequest
from engine.platform.timeutil import local_today

MAJORITY = 18
# S=7, 8 (resident foreigners) and 9 (foreigners) do not say the century of birth.
CENTURY_UNKNOWN = "789"
OLDEST = 120  # years: nobody older has an account or a CNP still in use
_CNP = re.compile(r"[0-9]{13}")
_CUI = re.compile(r"(RO)?[0-9]{2,10}")


def plain(raw: str | None) -> str:
    """Return an identifier as typed, NFKC-normalised and without any whitespace."""
    return "".join(unicodedata.normalize("NFKC", raw or "").split())


def clean_cnp(raw: str | None) -> str:
    """Return a typed CNP in its one stored form (checked by cnp_problem)."""
    return plain(raw)


def cnp_problem(cnp: str, today: date) -> str | None:
    """Return why a CNP is not valid (in Romanian), or None when it is."""
    if not _CNP.fullmatch(cnp):
        return "CNP-ul trebuie să aibă exact 13 cifre (0-9)."
    if cnp[0] == "0":
        return "Prima cifră a CNP-ului (sexul și secolul nașterii) nu poate fi 0."
    try:
        std_cnp.get_birth_date(cnp)
    except InvalidComponent:
        return "CNP-ul conține o dată de naștere care nu există."
    try:
        std_cnp.get_county(cnp)
    except InvalidComponent:
        return "CNP-ul conține un cod de județ care nu există."
    try:
        std_cnp.validate(cnp)
    except InvalidChecksum:
        return "Cifra de control a CNP-ului nu se potrivește: verificați fiecare cifră."
    except ValidationError:
        return "CNP-ul nu este valid."
    born = birth_date(cnp)
    if born is not None and born > today:
        return "CNP-ul conține o dată de naștere din viitor."
    if born is not None and age(born, today) > OLDEST:
        return f"CNP-ul arată o vârstă de peste {OLDEST} de ani: verificați prima cifră și anul."
    return None


def birth_date_problem(born: date, today: date) -> str | None:
    """Return why a birth date typed by a person cannot be theirs, or None."""
    if born > today:
        return "Data nașterii nu poate fi în viitor."
    if age(born, today) > OLDEST:
        return f"Data nașterii arată o vârstă de peste {OLDEST} de ani: verificați anul."
    return None


def birth_date(cnp: str) -> date | None:
    """Return the birth date a valid CNP encodes, or None when the century is unknown."""
    if cnp[0] in CENTURY_UNKNOWN:
        return None
    return std_cnp.get_birth_date(cnp)


def matches_birth_date(cnp: str, born: date) -> bool:
    """Tell whether a birth date agrees with the CNP's YYMMDD digits."""
    return cnp[1:7] == f"{born:%y%m%d}"


def age(born: date, today: date) -> int:
    """Return a person's age in whole years on a day."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def under_age_message(born: date, today: date) -> str | None:
    """Return why someone born that day may not have an account yet, or None."""
    years = age(born, today)
    if years >= MAJORITY:
        return None
    return (
        f"Contul poate fi creat doar de persoane care au împlinit {MAJORITY} ani; "
        f"după data nașterii, aveți {max(years, 0)} ani."
    )


def mask(cnp: str | None) -> str | None:
    """Show only the first and the last digit of a CNP."""
    if not cnp:
        return None
    return cnp[0] + "•" * (len(cnp) - 2) + cnp[-1]


def validate_cnp(cnp: str, today: date | None = None) -> str:
    """Return the CNP if it is well formed, else raise BadRequest in Romanian."""
    problem = cnp_problem(cnp, today or local_today())
    if problem:
        raise BadRequest(problem)
    return cnp


def cui_problem(cui: str) -> str | None:
    """Return why a company's CUI is not valid (in Romanian), or None when it is."""
    cui = plain(cui).upper()
    if not _CUI.fullmatch(cui):
        return "CUI-ul trebuie să aibă între 2 și 10 cifre (0-9), cu sau fără prefixul RO."
    try:
        std_cui.validate(cui)
    except InvalidChecksum:
        return "Cifra de control a CUI-ului nu se potrivește: verificați fiecare cifră."
    except ValidationError:
        return "CUI-ul trebuie să aibă între 2 și 10 cifre (cu sau fără prefixul RO)."
    return None


def compact_cui(cui: str) -> str:
    """Return the CUI without the RO prefix and spaces (the form it is stored and found in)."""
    return std_cui.compact(plain(cui).upper())
