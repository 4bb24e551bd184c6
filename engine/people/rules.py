"""What an account's fields must be: name, e-mail, password, identity, company; all told at once."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email

from engine.people import cnp as cnp_rules

NAME_MAX = 200
PASSWORD_MIN = 10
PASSWORD_MAX = 128
EMAIL_MAX = 254
DOCUMENT_MAX = 50
# Romanian favourites that zxcvbn's English-speaking list lacks.
EXTRA_COMMON = {
    "parola1234",
    "parola12345",
    "parola123456",
    "parolamea123",
    "romania1234",
    "bucuresti123",
    "primaria123",
}


@dataclass
class Identity:
    """Who a person is: a CNP, or for foreigners without one a birth date and a document."""

    cnp: str | None = None
    birth_date: date | None = None
    id_document: str | None = None


@dataclass
class Checked:
    """Clean values and the problems found, keyed by field name."""

    errors: dict[str, str] = field(default_factory=dict)
    email: str = ""
    name: str = ""
    identity: Identity = field(default_factory=Identity)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """Return the 30,000 most common passwords (zxcvbn's list) and a few Romanian ones."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"]) | EXTRA_COMMON


def _has_hidden(text: str) -> bool:
    """Tell whether text holds control or format characters (bidirectional overrides too)."""
    return any(unicodedata.category(ch) in ("Cc", "Cf") for ch in text)


def name_problem(name: str) -> str | None:
    if not name.strip():
        return "Scrieți numele complet."
    if len(name) > NAME_MAX:
        return f"Numele poate avea cel mult {NAME_MAX} de caractere; ați scris {len(name)}."
    if _has_hidden(name):
        return "Numele conține caractere de control sau invizibile; scrieți-l din nou, fără ele."
    return None


def check_email(email: str) -> tuple[str, str | None]:
    """Return the normalized address and the problem with it, if any."""
    if _has_hidden(email):
        return email, "Adresa de e-mail conține caractere de control; scrieți-o din nou."
    email = email.strip()
    if not email:
        return email, "Scrieți adresa de e-mail."
    if "@" not in email:
        return email, "Adresa de e-mail trebuie să conțină „@”, de exemplu nume@exemplu.ro."
    try:
        result = validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return email, "Adresa de e-mail nu este validă; scrieți-o în forma nume@exemplu.ro."
    normalized = result.normalized.lower()
    if len(normalized) > EMAIL_MAX:
        return email, f"Adresa de e-mail poate avea cel mult {EMAIL_MAX} de caractere."
    return normalized, None


def password_problem(password: str) -> str | None:
    if len(password) < PASSWORD_MIN:
        return f"Parola trebuie să aibă cel puțin {PASSWORD_MIN} caractere."
    if len(password) > PASSWORD_MAX:
        return f"Parola poate avea cel mult {PASSWORD_MAX} de caractere."
    if password.lower() in common_passwords():
        return "Parola este printre cele mai folosite parole și se ghicește ușor; alegeți alta."
    return None


def parse_date(raw: str | date | None) -> date | None | str:
    """Read a date written AAAA-LL-ZZ or ZZ.LL.AAAA; return a message when it is not one."""
    if raw is None or isinstance(raw, date):
        return raw
    raw = raw.strip()
    if not raw:
        return None
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    return "Scrieți data nașterii în forma ZZ.LL.AAAA, de exemplu 31.12.1980."


DOCUMENT_PUNCTUATION = set(" .-/,:#()")
DOCUMENT_MESSAGE = (
    f"Scrieți tipul, seria și numărul documentului, cel mult {DOCUMENT_MAX} de caractere: "
    "litere, cifre 0-9, spații și . - / , : # ( )."
)


def clean_document(raw: str | None) -> tuple[str | None, str | None]:
    """Return an identity document as stored (NFKC, single spaces) and the problem with it."""
    if raw is None or not raw.strip():
        return None, None
    if _has_hidden(raw):
        return raw, DOCUMENT_MESSAGE
    text = " ".join(unicodedata.normalize("NFKC", raw).split())
    if len(text) > DOCUMENT_MAX or not any("0" <= ch <= "9" for ch in text):
        return text, DOCUMENT_MESSAGE
    for ch in text:
        latin_letter = ch.isalpha() and unicodedata.name(ch, "").startswith("LATIN")
        if not (latin_letter or "0" <= ch <= "9" or ch in DOCUMENT_PUNCTUATION):
            return text, DOCUMENT_MESSAGE
    return text, None


def check_identity(
    cnp: str | None,
    birth_raw: str | date | None,
    id_document: str | None,
    today: date,
    *,
    required: bool,
) -> tuple[Identity, dict[str, str]]:
    """Check a CNP (or a birth date and document) and the age of majority."""
    errors: dict[str, str] = {}
    cnp = cnp_rules.clean_cnp(cnp) or None
    id_document, problem = clean_document(id_document)
    if problem:
        errors["id_document"] = problem
    born = parse_date(birth_raw)
    if isinstance(born, str):
        errors["birth_date"], born = born, None
    elif born is not None and (problem := cnp_rules.birth_date_problem(born, today)):
        errors["birth_date"], born = problem, None
    if cnp:
        problem = cnp_rules.cnp_problem(cnp, today)
        if problem:
            errors["cnp"] = problem
            return Identity(cnp, born, id_document), errors
        from_cnp = cnp_rules.birth_date(cnp)
        if from_cnp is not None:
            born = from_cnp
        elif born is None and "birth_date" not in errors:
            errors["birth_date"] = (
                "CNP-ul care începe cu 7, 8 sau 9 nu arată secolul nașterii: "
                "scrieți și data nașterii."
            )
        elif born is not None and not cnp_rules.matches_birth_date(cnp, born):
            errors["birth_date"] = "Data nașterii nu se potrivește cu cea din CNP."
            born = None
        if born is not None and (too_young := cnp_rules.under_age_message(born, today)):
            errors["cnp"] = too_young
        return Identity(cnp, born, id_document), errors
    if not required:
        return Identity(None, born, id_document), errors
    if born is None and "birth_date" not in errors:
        errors["cnp"] = (
            "Scrieți CNP-ul. Dacă nu aveți CNP, completați data nașterii și documentul de "
            "identitate."
        )
        errors["birth_date"] = "Fără CNP, data nașterii este obligatorie."
    if not id_document and "id_document" not in errors:
        errors["id_document"] = (
            "Fără CNP, scrieți seria și numărul documentului de identitate (pașaport sau "
            "permis de ședere)."
        )
    if born is not None and (too_young := cnp_rules.under_age_message(born, today)):
        errors["birth_date"] = too_young
    return Identity(None, born, id_document), errors


def company_problems(cui: str | None, name: str | None) -> dict[str, str]:
    """Check a company's CUI and name."""
    errors: dict[str, str] = {}
    cui = (cui or "").strip()
    if not cui:
        errors["company_cui"] = "Scrieți codul unic de înregistrare (CUI) al firmei."
    elif problem := cnp_rules.cui_problem(cui):
        errors["company_cui"] = problem
    if problem := name_problem(name or ""):
        errors["company_name"] = problem.replace("Numele", "Numele firmei").replace(
            "numele complet", "numele firmei"
        )
    return errors


def check_account(
    *,
    name: str,
    email: str,
    password: str,
    cnp: str | None = None,
    birth_date: str | date | None = None,
    id_document: str | None = None,
    today: date,
    identity_required: bool,
) -> Checked:
    """Check every field of a new account and gather every problem."""
    out = Checked(name=name.strip())
    if problem := name_problem(name):
        out.errors["name"] = problem
    out.email, problem = check_email(email)
    if problem:
        out.errors["email"] = problem
    if problem := password_problem(password):
        out.errors["password"] = problem
    out.identity, identity_errors = check_identity(
        cnp, birth_date, id_document, today, required=identity_required
    )
    out.errors.update(identity_errors)
    return out


def as_invalid(errors: dict[str, str]) -> list[dict[str, str]]:
    """Turn field problems into the API's JSON-pointer errors."""
    return [{"field": f"/{name}", "message": message} for name, message in errors.items()]
