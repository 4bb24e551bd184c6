"""The procedure catalog: one JSON file per procedure in processes/, edited by designers."""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.deadlines.legal_calendar import DeadlineKind
from engine.platform.errors import DeploymentError


@dataclass(frozen=True)
class AttachmentSpec:
    """An attachment a form accepts: its field name, the types and the size allowed."""

    name: str
    title: str
    required: bool
    types: tuple[str, ...]
    max_bytes: int
    multiple: bool = False
    # Required only when the form's data has these values ({"field": value}).
    required_when: tuple[tuple[str, Any], ...] = ()

    def required_for(self, data: Any) -> bool:
        """Tell whether this attachment is required with this form data."""
        if self.required:
            return True
        if not self.required_when or not isinstance(data, dict):
            return False
        return all(data.get(name) == value for name, value in self.required_when)

    def as_api(self) -> dict[str, Any]:
        out = {
            "name": self.name,
            "title": self.title,
            "required": self.required,
            "types": list(self.types),
            "max_bytes": self.max_bytes,
            "multiple": self.multiple,
        }
        if self.required_when:
            out["required_when"] = dict(self.required_when)
        return out


def _attachments(raw: list[dict[str, Any]]) -> tuple[AttachmentSpec, ...]:
    return tuple(
        AttachmentSpec(
            name=a["name"],
            title=a.get("title", a["name"]),
            required=bool(a.get("required")),
            types=tuple(a["types"]),
            max_bytes=int(a["max_bytes"]),
            multiple=bool(a.get("multiple")),
            required_when=tuple(sorted((a.get("required_when") or {}).items())),
        )
        for a in raw
    )


def form_attachments(schema: dict[str, Any]) -> tuple[AttachmentSpec, ...]:
    """Return the files a form accepts, listed under its `x-attachments`."""
    return _attachments(schema.get("x-attachments", []))


# Who a procedure is for (the catalog's `audience`), as the catalog's filter names them.
AUDIENCES = {"persoane_fizice": "Persoane fizice", "persoane_juridice": "Persoane juridice"}
_IBAN = re.compile(r"^RO[0-9]{2}[A-Z]{4}[0-9A-Z]{16}$")


@dataclass(frozen=True)
class Fee:
    """What a procedure costs: a fixed amount in lei (0: free) or how it is computed, what
    the money is for, its legal basis, when to pay, and the budget account if not the usual."""

    amount: float | None = None
    amount_text: str = ""  # when the amount is computed: how, in words
    purpose: str = ""
    legal_basis: str = ""
    when: str = ""
    iban: str = ""  # the account of this fee's budget line; default: the city hall's

    @property
    def free(self) -> bool:
        return self.amount == 0 and not self.amount_text

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Fee:
        amount = raw.get("amount")
        return cls(
            amount=None if amount is None else float(amount),
            amount_text=str(raw.get("amount_text", "")),
            purpose=str(raw.get("purpose", "")),
            legal_basis=str(raw.get("legal_basis", "")),
            when=str(raw.get("when", "")),
            iban=str(raw.get("iban", "")).replace(" ", "").upper(),
        )

    def as_api(self) -> dict[str, Any]:
        return {
            "free": self.free,
            "amount": self.amount,
            "currency": "RON",
            "amount_text": self.amount_text or None,
            "purpose": self.purpose or None,
            "legal_basis": self.legal_basis or None,
            "when": self.when or None,
        }


MAX_DEADLINE_DAYS = 365  # no term of a city hall's procedure is longer than a year
MAX_EXTENSIONS = 5


@dataclass(frozen=True)
class DeadlineRules:
    """What the law says of a procedure's term beyond its length: its legal basis, whether
    and how far it may be extended, whether it stops while the request waits for the
    citizen, and whether silence past it counts as approval (OUG 27/2003)."""

    legal_basis: str = ""
    extension_max_times: int = 0  # 0: the term cannot be extended
    extension_max_days: int = 0  # each extension adds at most this many days of the same kind
    extension_notify: bool = True  # the applicant is told of the extension and the new date
    # The extension must be decided within this many days of registration (Law 544/2001
    # art. 7(1): the applicant is told within 10 days that 30 are needed); None: any time.
    extension_within_days: int | None = None
    suspend_while_waiting: bool = False  # the clock stops while the citizen is asked for more
    tacit_approval: bool = False

    @property
    def extendable(self) -> bool:
        return self.extension_max_times > 0

    @classmethod
    def from_dict(cls, deadline: dict[str, Any]) -> DeadlineRules:
        ext = deadline.get("extension") or {}
        within = ext.get("within_days")
        return cls(
            legal_basis=str(deadline.get("legal_basis", "")),
            extension_max_times=int(ext.get("max_times", 1)) if ext else 0,
            extension_max_days=int(ext.get("max_days", 0)),
            extension_notify=bool(ext.get("notify_applicant", True)),
            extension_within_days=None if within is None else int(within),
            suspend_while_waiting=bool(deadline.get("suspend_while_waiting", False)),
            tacit_approval=bool(deadline.get("tacit_approval", False)),
        )


def _whole(value: Any, least: int, most: int) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and least <= value <= most


def deadline_rule_problems(deadline: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Return (key, what is wrong, how to fix it) for the rules of a catalog's `deadline`."""
    out: list[tuple[str, str, str]] = []
    for key in ("suspend_while_waiting", "tacit_approval"):
        if key in deadline and not isinstance(deadline[key], bool):
            out.append(
                (f"deadline.{key}", f"„deadline.{key}” trebuie să fie true sau false.", _FIX)
            )
    basis = deadline.get("legal_basis")
    if basis is not None and (not isinstance(basis, str) or not basis.strip()):
        out.append(
            (
                "deadline.legal_basis",
                "„deadline.legal_basis” trebuie să fie un text: actul normativ și articolul.",
                'Scrieți de exemplu "legal_basis": "OG 27/2002, art. 8".',
            )
        )
    ext = deadline.get("extension")
    if ext is None:
        return out
    if not isinstance(ext, dict):
        out.append(("deadline.extension", "„deadline.extension” trebuie să fie un obiect.", _EXT))
        return out
    for sub in ext:
        if sub not in EXTENSION_KEYS:
            out.append(
                (
                    f"deadline.extension.{sub}",
                    f"cheia „deadline.extension.{sub}” nu este cunoscută"
                    f"{_suggest(sub, EXTENSION_KEYS)}.",
                    f"Cheile lui „deadline.extension” sunt: {', '.join(EXTENSION_KEYS)}.",
                )
            )
    if not _whole(ext.get("max_days"), 1, MAX_DEADLINE_DAYS):
        out.append(
            (
                "deadline.extension.max_days",
                "„deadline.extension.max_days” (cu câte zile se poate prelungi termenul) "
                f"trebuie să fie un număr întreg între 1 și {MAX_DEADLINE_DAYS}, "
                f"nu {ext.get('max_days')!r}.",
                _EXT,
            )
        )
    if "max_times" in ext and not _whole(ext["max_times"], 1, MAX_EXTENSIONS):
        out.append(
            (
                "deadline.extension.max_times",
                "„deadline.extension.max_times” (de câte ori se poate prelungi) trebuie să fie "
                f"un număr întreg între 1 și {MAX_EXTENSIONS}, nu {ext['max_times']!r}.",
                _EXT,
            )
        )
    if "within_days" in ext and not _whole(ext["within_days"], 1, MAX_DEADLINE_DAYS):
        out.append(
            (
                "deadline.extension.within_days",
                "„deadline.extension.within_days” trebuie să fie un număr întreg între 1 și "
                f"{MAX_DEADLINE_DAYS}, nu {ext['within_days']!r}.",
                _EXT,
            )
        )
    if "notify_applicant" in ext and not isinstance(ext["notify_applicant"], bool):
        out.append(
            (
                "deadline.extension.notify_applicant",
                "„deadline.extension.notify_applicant” trebuie să fie true sau false.",
                _EXT,
            )
        )
    return out


@dataclass(frozen=True)
class Procedure:
    """A procedure citizens can start: title, legal basis, deadline rule, diagram, forms."""

    id: str
    title: str
    description: str
    legal_basis: str
    deadline_days: int
    deadline_kind: DeadlineKind
    bpmn: str
    process_id: str
    start_form: str
    reminder_days: int | None = None
    reminder_after_seconds: int | None = None  # for drills and tests instead of reminder_days
    answer_field: str | None = None
    summary_field: str | None = None
    attachments: tuple[AttachmentSpec, ...] = ()
    reply_attachments: tuple[AttachmentSpec, ...] = ()
    archive: dict[str, Any] = field(default_factory=dict)
    max_files: int = 20  # files on one request, all steps together
    max_instances: int = 100  # instances of a multi-instance task, repetitions of a loop
    # Fields naming the taxpayer a request is about (`cnp_field`, `cui_field`): when it is
    # not the applicant, an accepted representation of that person or company is needed.
    represented: dict[str, str] = field(default_factory=dict)
    withdrawable: bool = False  # the applicant may withdraw it while it is open
    variables: dict[str, Any] = field(default_factory=dict)  # data every instance starts with
    # What citizens read in the catalog and on the procedure's public page.
    category: str = ""  # the domain, as the city hall names it: „Urbanism și construcții”
    audience: tuple[str, ...] = tuple(AUDIENCES)  # codes of AUDIENCES
    fee: Fee | None = None  # None: the catalog says nothing about a fee
    decided_by: str = ""  # who decides, in words: „Primarul, la propunerea arhitectului-șef”
    # The term a citizen has to answer a completion request (`completion`: days and kind);
    # instances start with it as `completare` = {"zile": days, "tip": kind}.
    completion_days: int | None = None
    completion_kind: DeadlineKind = DeadlineKind.WORKING
    # The term's rules (`deadline` in the catalog, docs/designing-procedures.md).
    rules: DeadlineRules = field(default_factory=lambda: DeadlineRules())

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Procedure:
        deadline = raw["deadline"]
        return cls(
            id=raw["id"],
            title=raw["title"],
            description=raw.get("description", ""),
            legal_basis=raw.get("legal_basis", ""),
            deadline_days=int(deadline["days"]),
            deadline_kind=DeadlineKind(deadline.get("kind", "calendar")),
            bpmn=raw["bpmn"],
            process_id=raw["process_id"],
            start_form=raw["start_form"],
            reminder_days=raw.get("reminder_days"),
            reminder_after_seconds=raw.get("reminder_after_seconds"),
            answer_field=raw.get("answer_field"),
            summary_field=raw.get("summary_field"),
            attachments=_attachments(raw.get("attachments", [])),
            reply_attachments=_attachments(raw.get("reply_attachments", [])),
            archive=raw.get("archive", {}),
            max_files=int(raw.get("max_files", 20)),
            max_instances=int(raw.get("max_instances", 100)),
            represented={str(k): str(v) for k, v in dict(raw.get("represented", {})).items()},
            withdrawable=bool(raw.get("withdrawable", False)),
            variables=dict(raw.get("variables", {})),
            category=str(raw.get("category", "")),
            audience=tuple(raw.get("audience") or AUDIENCES),
            fee=Fee.from_dict(raw["fee"]) if raw.get("fee") is not None else None,
            decided_by=str(raw.get("decided_by", "")),
            **_completion(raw.get("completion")),
            rules=DeadlineRules.from_dict(deadline),
        )

    def completion_data(self) -> dict[str, Any]:
        """Return what instances start with of the completion term (empty without one)."""
        if self.completion_days is None:
            return {}
        return {"completare": {"zile": self.completion_days, "tip": self.completion_kind.value}}


MAX_COMPLETION_DAYS = 365


def _completion(raw: Any) -> dict[str, Any]:
    """Read the catalog's `completion` term: {"days": 1..365, "kind": "working"|"calendar"}."""
    if raw is None:
        return {}
    days = raw["days"]
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_COMPLETION_DAYS:
        raise ValueError(f"completion.days trebuie să fie între 1 și {MAX_COMPLETION_DAYS}")
    return {
        "completion_days": days,
        "completion_kind": DeadlineKind(raw.get("kind", "working")),
    }


MAX_INSTANCES = 10_000  # the most a catalog entry may allow in `max_instances`
REQUIRED_KEYS = ("id", "title", "deadline", "bpmn", "process_id", "start_form")
# Every key a catalog entry may have, and those of its objects; anything else is a typo.
KEYS = (
    *REQUIRED_KEYS, "description", "legal_basis", "reminder_days", "reminder_after_seconds",
    "answer_field", "summary_field", "attachments", "reply_attachments", "archive", "max_files",
    "max_instances", "represented", "withdrawable", "variables", "category", "audience", "fee",
    "decided_by", "notes", "completion", "$schema", "$comment",
)  # fmt: skip
SUBKEYS = {
    "deadline": (
        "days",
        "kind",
        "legal_basis",
        "extension",
        "suspend_while_waiting",
        "tacit_approval",
    ),
    "fee": ("amount", "amount_text", "purpose", "legal_basis", "when", "iban"),
    "archive": ("file_code", "retention_years"),
    "represented": ("cnp_field", "cui_field"),
    "completion": ("days", "kind"),
}
EXTENSION_KEYS = ("max_times", "max_days", "notify_applicant", "within_days")
_EXT = 'De exemplu "extension": {"max_times": 1, "max_days": 15, "notify_applicant": true}.'
ATTACHMENT_KEYS = ("name", "title", "required", "types", "max_bytes", "multiple", "required_when")
DEADLINE_KINDS = {"calendar": "zile calendaristice", "working": "zile lucrătoare"}
_FIX = "Corectați intrarea din catalog (cheile sunt descrise în docs/designing-procedures.md)."


def _suggest(word: str, known: tuple[str, ...]) -> str:
    lower = {k.lower(): k for k in known}
    close = [lower[word.lower()]] if word.lower() in lower else []
    close = close or difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    return f" (poate „{close[0]}”?)" if close else ""


def entry_problems(raw: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Return (key, what is wrong, how to fix it) for every problem of a catalog entry."""
    out: list[tuple[str, str, str]] = []
    missing = [key for key in REQUIRED_KEYS if not raw.get(key)]
    if missing:
        keys = ", ".join(f"„{k}”" for k in missing)
        out.append((missing[0], f"nu are cheile obligatorii {keys}.", _FIX))
    for key in raw:
        if key not in KEYS:
            out.append(
                (
                    key,
                    f"cheia „{key}” nu este cunoscută{_suggest(key, KEYS)} și nu are niciun efect.",
                    "Scrieți numele exact al cheii, sau ștergeți-o.",
                )
            )
    for key, known in SUBKEYS.items():
        value = raw.get(key)
        if isinstance(value, dict):
            for sub in value:
                if sub not in known:
                    out.append(
                        (
                            f"{key}.{sub}",
                            f"cheia „{key}.{sub}” nu este cunoscută{_suggest(sub, known)}.",
                            f"Cheile lui „{key}” sunt: {', '.join(known)}.",
                        )
                    )
    for key in ("attachments", "reply_attachments"):
        items = raw.get(key, [])
        if not isinstance(items, list):
            out.append((key, f"„{key}” trebuie să fie o listă de fișiere.", _FIX))
            continue
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                out.append((f"{key}[{i}]", f"„{key}”[{i}] trebuie să fie un obiect.", _FIX))
                continue
            for sub in item:
                if sub not in ATTACHMENT_KEYS:
                    out.append(
                        (
                            f"{key}[{i}].{sub}",
                            f"cheia „{sub}” a fișierului „{item.get('name', i)}” din „{key}” nu "
                            f"este cunoscută{_suggest(sub, ATTACHMENT_KEYS)}.",
                            f"Cheile unui fișier sunt: {', '.join(ATTACHMENT_KEYS)}.",
                        )
                    )
            for sub in ("name", "types", "max_bytes"):
                if sub not in item:
                    out.append(
                        (
                            f"{key}[{i}]",
                            f"fișierul {i + 1} din „{key}” nu are „{sub}”.",
                            "Fiecare fișier are name, types (tipurile MIME) și max_bytes.",
                        )
                    )
    deadline = raw.get("deadline")
    if deadline is not None:
        if not isinstance(deadline, dict):
            out.append(
                (
                    "deadline",
                    "„deadline” trebuie să fie un obiect.",
                    '{"days": 30, "kind": "calendar"}',
                )
            )
        else:
            kind = deadline.get("kind", "calendar")
            if kind not in DEADLINE_KINDS:
                out.append(
                    (
                        "deadline.kind",
                        f"„deadline.kind” „{kind}” nu este cunoscut"
                        f"{_suggest(str(kind), tuple(DEADLINE_KINDS))}.",
                        "Scrieți „calendar” (zile calendaristice) sau „working” (zile lucrătoare).",
                    )
                )
            days = deadline.get("days")
            if not _whole(days, 1, MAX_DEADLINE_DAYS):
                out.append(
                    (
                        "deadline.days",
                        "„deadline.days” trebuie să fie un număr întreg de zile, între 1 și "
                        f"{MAX_DEADLINE_DAYS}, nu {days!r}.",
                        'Scrieți de exemplu "days": 30.',
                    )
                )
            out.extend(deadline_rule_problems(deadline))
    completion = raw.get("completion")
    if isinstance(completion, dict) and completion.get("kind", "working") not in DEADLINE_KINDS:
        kind = completion.get("kind")
        out.append(
            (
                "completion.kind",
                f"„completion.kind” „{kind}” nu este cunoscut"
                f"{_suggest(str(kind), tuple(DEADLINE_KINDS))}.",
                "Scrieți „working” (zile lucrătoare) sau „calendar” (zile calendaristice).",
            )
        )
    elif completion is not None and not isinstance(completion, dict):
        out.append(("completion", "„completion” trebuie să fie un obiect.", _FIX))
    for key, least in (("max_files", 1), ("reminder_days", 1), ("reminder_after_seconds", 0)):
        value = raw.get(key)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < least
        ):
            out.append((key, f"„{key}” trebuie să fie un număr întreg, cel puțin {least}.", _FIX))
    bound = raw.get("max_instances", 100)
    if isinstance(bound, bool) or not isinstance(bound, int) or not 1 <= bound <= MAX_INSTANCES:
        out.append(
            (
                "max_instances",
                f"„max_instances” trebuie să fie un număr întreg între 1 și {MAX_INSTANCES}.",
                _FIX,
            )
        )
    for key in ("variables", "represented", "archive"):
        if key in raw and not isinstance(raw[key], dict):
            out.append((key, f"„{key}” trebuie să fie un obiect.", _FIX))
    problem = public_keys_problem(raw)
    if problem:
        out.append(("", problem, _FIX))
    if not out:
        try:
            Procedure.from_dict(raw)
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            out.append(("", f"are o valoare greșită ({type(exc).__name__}: {exc}).", _FIX))
    return out


def read_json(path: Path) -> dict[str, Any]:
    """Read a catalog entry file; DeploymentError says why it is not a JSON object."""
    name = path.name
    try:
        with open(path, encoding="utf-8") as fh:
            raw = json.load(fh)
    except json.JSONDecodeError as exc:
        raise DeploymentError(
            f"Intrarea din catalog „{name}” nu este JSON valid "
            f"(linia {exc.lineno}, coloana {exc.colno})."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DeploymentError(
            f"Intrarea din catalog „{name}” nu poate fi citită ca text UTF-8 ({exc})."
        ) from None
    if not isinstance(raw, dict):
        raise DeploymentError(f"Intrarea din catalog „{name}” trebuie să fie un obiect JSON.")
    return raw


def read_entry(path: Path) -> dict[str, Any]:
    """Read and check one catalog entry; DeploymentError names the file and the problems."""
    raw = read_json(path)
    problems = entry_problems(raw)
    if problems:
        whats = " ".join(what for _, what, _ in problems)
        raise DeploymentError(f"Intrarea din catalog „{path.name}”: {whats}")
    return raw


def public_keys_problem(raw: dict[str, Any]) -> str | None:
    """Check the keys citizens read (category, audience, fee, decided_by); say what is wrong."""
    for key in ("category", "decided_by"):
        value = raw.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            return f"„{key}” trebuie să fie un text."
    if len(str(raw.get("category", ""))) > 80:
        return "„category” are cel mult 80 de caractere."
    audience = raw.get("audience")
    if audience is not None and (
        not isinstance(audience, list) or not audience or not set(audience) <= set(AUDIENCES)
    ):
        codes = " și ".join(f"„{code}”" for code in AUDIENCES)
        return f"„audience” trebuie să fie o listă cu {codes}."
    fee = raw.get("fee")
    if fee is None:
        return None
    if not isinstance(fee, dict):
        return "„fee” trebuie să fie un obiect („amount” sau „amount_text”, „purpose”)."
    amount, text = fee.get("amount"), fee.get("amount_text")
    if amount is not None and (
        isinstance(amount, bool) or not isinstance(amount, int | float) or amount < 0
    ):
        return "„fee.amount” trebuie să fie o sumă în lei, cel puțin 0."
    if amount is None and not (isinstance(text, str) and text.strip()):
        return "„fee” are nevoie de „amount” (suma în lei, 0 dacă e gratuit) sau de „amount_text”."
    if (amount or text) and not str(fee.get("purpose", "")).strip():
        return "„fee.purpose” spune pentru ce se plătește taxa."
    iban = str(fee.get("iban", "")).replace(" ", "").upper()
    if iban and not _IBAN.match(iban):
        return f"„fee.iban” nu este un IBAN românesc ({fee.get('iban')})."
    return None


def read_entries(directory: Path) -> list[tuple[str, dict[str, Any]]]:
    """Read every catalog entry of a folder as (file name, entry), refusing duplicate ids."""
    if not directory.is_dir():
        raise DeploymentError(f"Dosarul catalogului „{directory}” nu există.")
    seen: dict[str, str] = {}
    entries = []
    for path in sorted(directory.glob("*.json")):
        raw = read_entry(path)
        if raw["id"] in seen:
            raise DeploymentError(
                f"Intrările din catalog „{seen[raw['id']]}” și „{path.name}” au același "
                f"identificator „{raw['id']}”."
            )
        seen[raw["id"]] = path.name
        entries.append((path.name, raw))
    return entries


class Catalog:
    """Procedures by id; from the database, each with the id of its current version."""

    def __init__(
        self, procedures: dict[str, Procedure], versions: dict[str, int] | None = None
    ) -> None:
        self._procedures = procedures
        self._versions = versions or {}

    @classmethod
    def load(cls, directory: Path) -> Catalog:
        """Read the catalog in a designers' folder (what `circuit db upgrade` deploys)."""
        entries = read_entries(directory) if directory.is_dir() else []
        return cls({raw["id"]: Procedure.from_dict(raw) for _, raw in entries})

    def get(self, procedure_id: str) -> Procedure | None:
        return self._procedures.get(procedure_id)

    def version_of(self, procedure_id: str) -> int | None:
        """Return the id of the procedure's current version (catalogs from the database)."""
        return self._versions.get(procedure_id)

    def all(self) -> list[Procedure]:
        return sorted(self._procedures.values(), key=lambda p: p.title)
