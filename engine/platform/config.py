"""Configuration, read once from the environment."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path

from engine.platform.datadir import private_dir
from engine.platform.signing import SigningConfig, signing_from

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# The procedures that ship with Circuit (bpmn/, forms/, processes/): at the repository's top
# level in a checkout or an editable install, in engine/shipped/ once installed from a wheel
# (pyproject.toml maps them there).
_INSTALLED = PROJECT_ROOT / "engine" / "shipped"
SHIPPED_ROOT = _INSTALLED if _INSTALLED.is_dir() else PROJECT_ROOT


@dataclass(frozen=True)
class CityHall:
    """How citizens reach the city hall and pay it; empty parts are left out of the pages."""

    address: str = ""
    phone: str = ""
    email: str = ""
    hours: str = ""  # opening hours, as the city hall writes them
    dpo_email: str = ""  # the data protection officer (GDPR art. 37–39)
    cif: str = ""  # the city hall's fiscal code, which a bank transfer names
    iban: str = ""  # the local budget's account fees are paid into, unless a fee names its own
    bank: str = ""  # where that account is: „Trezoreria Petroșani”
    payment_url: str = ""  # the city hall's page on ghiseul.ro


@dataclass(frozen=True)
class Settings:
    """Everything Circuit reads from its environment."""

    data_dir: Path
    database_url: str
    redis_url: str | None
    secret_key: str
    bpmn_dir: Path = SHIPPED_ROOT / "bpmn"
    forms_dir: Path = SHIPPED_ROOT / "forms"
    processes_dir: Path = SHIPPED_ROOT / "processes"
    # Templates of the documents the city hall issues (HTML + CSS, one per procedure that
    # issues an act, `default.html` for the rest), beside the catalog: CIRCUIT_ACTS_DIR.
    acts_dir: Path = SHIPPED_ROOT / "acts"
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    mail_from: str = "circuit@localhost"
    city_hall_name: str = "Primăria Municipiului Lupeni"  # signs e-mail, names the sender
    base_url: str = "http://127.0.0.1:5000"
    token_ttl_hours: int = 12
    session_ttl_hours: int = 8
    max_upload_bytes: int = 25 * 1024 * 1024
    registry_department: str = "registratura"  # registers what comes in; not a triage choice
    proxies: int = 0  # reverse proxies in front whose X-Forwarded-* headers are trusted
    login_limit: str = "10 per 5 minutes"  # failed logins per account, web and API together
    login_ip_limit: str = "30 per 5 minutes"  # failed logins per client address
    submission_limit: str = "10 per hour"  # requests submitted per account
    # The register's chain key (engine.register_key); keep it out of the database's backups.
    register_key_file: Path | None = None  # default: register.key in the data directory
    # A background job that fails is tried again after job_backoff_seconds, doubling each
    # time, at most job_max_attempts times in all; then it is parked for an administrator.
    job_max_attempts: int = 5
    job_backoff_seconds: float = 30.0
    # The city hall as citizens reach it: the pages' footer, the privacy notice, how to pay.
    city_hall: CityHall = field(default_factory=CityHall)
    # /metrics answers loopback clients, and others that send this as a bearer token.
    metrics_token: str | None = field(default=None, repr=False)
    log_format: str = "text"  # CIRCUIT_LOG_FORMAT: "text", or "json" (one object per line)
    # Several nodes share these two folders (docs/running-a-county.md): the keys (the session
    # key unless SECRET_KEY is set, the personal-data key, the register's key unless
    # CIRCUIT_REGISTER_KEY_FILE names it) and the documents. Default: the data directory.
    keys_root: Path | None = None  # CIRCUIT_KEYS_DIR
    documents_root: Path | None = None  # CIRCUIT_DOCUMENTS_DIR
    # When reminders and deadline warnings reach people: this hour (Romania's time) on a
    # working day; holders are warned this many working days before a due date.
    reminder_hour: time = time(9, 0)
    escalation_working_days: int = 3
    # The institution's signing key (engine.platform.signing): development keys by default.
    signing: SigningConfig = field(default_factory=SigningConfig)

    @property
    def documents_dir(self) -> Path:
        return self.documents_root or self.data_dir / "documents"

    @property
    def keys_dir(self) -> Path:
        return self.keys_root or self.data_dir

    @property
    def register_key_path(self) -> Path:
        return self.register_key_file or self.keys_dir / "register.key"


def _secret_key(data_dir: Path) -> str:
    """Return the key kept in the data directory, creating it the first time."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    private_dir(data_dir)
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process (a node sharing the folder) made it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def forms_dir_from(env: Mapping[str, str] | None = None) -> Path:
    """Return the forms folder the environment names (CIRCUIT_FORMS_DIR), or the shipped one."""
    env = os.environ if env is None else env
    return Path(env.get("CIRCUIT_FORMS_DIR", SHIPPED_ROOT / "forms")).resolve()


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build the settings from an environment mapping (default: os.environ)."""
    env = os.environ if env is None else env
    data_dir = private_dir(Path(env.get("CIRCUIT_DATA_DIR", "instance")).resolve())
    database_url = env.get("DATABASE_URL") or f"sqlite:///{data_dir / 'circuit.db'}"
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://") :]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]
    root = SHIPPED_ROOT
    keys_root = _folder(env, "CIRCUIT_KEYS_DIR")
    return Settings(
        data_dir=data_dir,
        bpmn_dir=Path(env.get("CIRCUIT_BPMN_DIR", root / "bpmn")).resolve(),
        forms_dir=forms_dir_from(env),
        processes_dir=Path(env.get("CIRCUIT_PROCESSES_DIR", root / "processes")).resolve(),
        acts_dir=Path(env.get("CIRCUIT_ACTS_DIR", root / "acts")).resolve(),
        database_url=database_url,
        redis_url=env.get("REDIS_URL") or None,
        secret_key=env.get("SECRET_KEY") or _secret_key(keys_root or data_dir),
        smtp_host=env.get("SMTP_HOST") or None,
        smtp_port=int(env.get("SMTP_PORT", "25")),
        smtp_user=env.get("SMTP_USER") or None,
        smtp_password=env.get("SMTP_PASSWORD") or None,
        mail_from=env.get("MAIL_FROM", "circuit@localhost"),
        city_hall_name=env.get("CIRCUIT_CITY_HALL_NAME") or Settings.city_hall_name,
        base_url=env.get("CIRCUIT_BASE_URL", "http://127.0.0.1:5000"),
        registry_department=env.get("CIRCUIT_REGISTRY_DEPARTMENT", "registratura"),
        proxies=int(env.get("CIRCUIT_PROXIES", "0")),
        login_limit=_limit(env, "CIRCUIT_LOGIN_LIMIT", Settings.login_limit),
        login_ip_limit=_limit(env, "CIRCUIT_LOGIN_IP_LIMIT", Settings.login_ip_limit),
        submission_limit=_limit(env, "CIRCUIT_SUBMISSION_LIMIT", Settings.submission_limit),
        register_key_file=Path(env["CIRCUIT_REGISTER_KEY_FILE"]).resolve()
        if env.get("CIRCUIT_REGISTER_KEY_FILE")
        else None,
        city_hall=city_hall_from(env),
        metrics_token=env.get("CIRCUIT_METRICS_TOKEN") or None,
        log_format=_log_format(env),
        keys_root=keys_root,
        documents_root=_folder(env, "CIRCUIT_DOCUMENTS_DIR"),
        reminder_hour=_hour(env.get("CIRCUIT_REMINDER_HOUR") or "09:00"),
        escalation_working_days=_escalation_days(env.get("CIRCUIT_ESCALATION_DAYS") or "3"),
        job_max_attempts=max(1, int(env.get("CIRCUIT_JOB_MAX_ATTEMPTS", "5"))),
        job_backoff_seconds=max(0.0, float(env.get("CIRCUIT_JOB_BACKOFF_SECONDS", "30"))),
        signing=signing_from(env),
    )


def _hour(value: str) -> time:
    """Read CIRCUIT_REMINDER_HOUR, "HH:MM" (or "H"), refusing at start-up one outside 0-23."""
    try:
        at = time.fromisoformat(value if ":" in value else f"{int(value):02d}:00")
    except ValueError:
        raise ValueError(f"CIRCUIT_REMINDER_HOUR: not an hour like '09:00': {value!r}") from None
    return at.replace(second=0, microsecond=0, tzinfo=None)


def _escalation_days(value: str) -> int:
    """Read CIRCUIT_ESCALATION_DAYS, 1 to 30 working days."""
    if not value.isdigit() or not 1 <= int(value) <= 30:
        raise ValueError(f"CIRCUIT_ESCALATION_DAYS: a number of working days 1-30: {value!r}")
    return int(value)


def city_hall_from(env: Mapping[str, str]) -> CityHall:
    """Read the city hall's contact and payment details (CIRCUIT_CITY_HALL_*, CIRCUIT_DPO_EMAIL,
    CIRCUIT_PAYMENT_*), refusing at start-up an IBAN or a payment link that cannot be right."""
    iban = (env.get("CIRCUIT_PAYMENT_IBAN") or "").replace(" ", "").upper()
    if iban and not re.fullmatch(r"RO[0-9]{2}[A-Z]{4}[0-9A-Z]{16}", iban):
        raise ValueError(f"CIRCUIT_PAYMENT_IBAN: not a Romanian IBAN: {iban!r}")
    url = env.get("CIRCUIT_PAYMENT_URL") or ""
    if url and not url.startswith("https://"):
        raise ValueError(f"CIRCUIT_PAYMENT_URL: not an https:// link: {url!r}")
    return CityHall(
        address=env.get("CIRCUIT_CITY_HALL_ADDRESS", ""),
        phone=env.get("CIRCUIT_CITY_HALL_PHONE", ""),
        email=env.get("CIRCUIT_CITY_HALL_EMAIL", ""),
        hours=env.get("CIRCUIT_CITY_HALL_HOURS", ""),
        dpo_email=env.get("CIRCUIT_DPO_EMAIL", ""),
        cif=env.get("CIRCUIT_CITY_HALL_CIF", ""),
        iban=iban,
        bank=env.get("CIRCUIT_PAYMENT_BANK", ""),
        payment_url=url,
    )


def _limit(env: Mapping[str, str], name: str, default: str) -> str:
    """Return a rate limit such as "10 per hour", refusing at start-up one that cannot parse."""
    from limits import parse

    value = env.get(name) or default
    try:
        parse(value)
    except ValueError:
        raise ValueError(f"{name}: not a rate limit like '10 per hour': {value!r}") from None
    return value


def _log_format(env: Mapping[str, str]) -> str:
    """Return CIRCUIT_LOG_FORMAT ("text" by default), refusing at start-up another value."""
    value = (env.get("CIRCUIT_LOG_FORMAT") or "text").strip().lower()
    if value not in ("text", "json"):
        raise ValueError(f"CIRCUIT_LOG_FORMAT: 'text' or 'json', not {value!r}")
    return value


def _folder(env: Mapping[str, str], name: str) -> Path | None:
    """Return the private folder an environment variable names (made if missing), or None."""
    value = env.get(name)
    return private_dir(Path(value).resolve()) if value else None
