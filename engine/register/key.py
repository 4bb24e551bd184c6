"""The register's chain key: HMAC-SHA256 over each row, with a key kept outside the database.

Someone who can write to the database, but cannot read this key, can no longer rewrite a
row and recompute the chain after it: the hashes they would compute do not match.

The key file is JSON, created readable by its owner only the first time the register needs
it: `{"key": ..., "legacy_until": null or {"year", "number", "hash"}, "created_at": ...}`.
`legacy_until` is the newest row written before the key existed (an installation upgraded
from the unkeyed chain): rows up to it keep their SHA-256 hashes and are checked as such,
and that row's hash is pinned here, outside the database, so the old part cannot be
rewritten either. A file holding anything but JSON is taken whole as the key (a key an
operator made), with no unkeyed rows before it."""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from engine.circuit import current
from engine.models import RegistryEntry
from engine.platform.errors import CircuitError
from engine.platform.timeutil import utcnow

KEY_FILE = "register.key"
log = logging.getLogger(__name__)


class RegisterKeyMissing(CircuitError):
    """The register holds rows chained with a key that is not where the settings say."""

    code = "register_key_missing"
    status = 503


@dataclass(frozen=True)
class ChainKey:
    """The secret of the chain and the last row written before it existed, if any."""

    secret: bytes
    legacy_until: tuple[int, int, str] | None = None  # (year, number, entry_hash)

    def is_legacy(self, year: int, number: int) -> bool:
        """Say whether the row with this number was written before the key (unkeyed)."""
        return self.legacy_until is not None and (year, number) <= self.legacy_until[:2]


def _parse(raw: bytes) -> ChainKey:
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("key"), str):
        return ChainKey(raw.strip())
    legacy = body.get("legacy_until")
    until = (int(legacy["year"]), int(legacy["number"]), str(legacy["hash"])) if legacy else None
    return ChainKey(base64.urlsafe_b64decode(body["key"]), until)


@lru_cache(maxsize=32)
def _read(path: Path) -> ChainKey:
    return _parse(path.read_bytes())


def create(path: Path, last: RegistryEntry | None, last_unkeyed: bool) -> ChainKey:
    """Make the key, pinning `last`, the newest row written without one; refuse if that row was
    itself keyed (the key was lost, not an upgrade): a new key would hide that."""
    if last is not None and not last_unkeyed:
        raise RegisterKeyMissing(
            "Cheia lanțului de hash-uri al registrului lipsește, deși registrul are rânduri "
            f"semnate cu ea: puneți fișierul cheii la loc ({path}) înainte de a înregistra.",
        )
    body = {
        "key": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii"),
        "legacy_until": None
        if last is None
        else {"year": last.year, "number": last.number, "hash": last.entry_hash},
        "created_at": utcnow().isoformat(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(body, fh)
    made = True
    try:
        os.link(tmp, path)  # atomic, and never over a key another process made first
    except FileExistsError:
        made = False
    finally:
        tmp.unlink()
    _read.cache_clear()  # a key put back or made anew at a path read before
    if made and last is not None:
        log.warning(
            "Register chain key created at %s; rows up to %s keep their unkeyed SHA-256.",
            path,
            last.display,
        )
    return _read(path)


def existing(path: Path | None = None) -> ChainKey | None:
    """Return the register's key from the settings' file (or `path`), if it was made."""
    if path is None:
        path = current().settings.register_key_path
    return _read(path) if path.exists() else None
