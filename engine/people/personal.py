"""Personal data at rest: the CNP encrypted (Fernet) with a keyed hash (HMAC) to find duplicates."""

from __future__ import annotations

import hashlib
import hmac
import os
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from engine.circuit import current
from engine.platform.datadir import private_dir

KEY_FILE = "personal_data.key"


class Vault:
    """Encrypts and decrypts personal data with the key kept in the data directory."""

    def __init__(self, master: bytes) -> None:
        self._fernet = Fernet(_derive(master, b"circuit fernet"))
        self._hmac_key = _derive(master, b"circuit cnp hmac")

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode("ascii")

    def decrypt(self, token: str | None) -> str | None:
        if not token:
            return None
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode()
        except InvalidToken:
            return None  # a key replaced by hand: the value is unreadable, not an error page

    def lookup_hash(self, value: str) -> str:
        """Return the keyed hash that finds a value without decrypting anything."""
        return hmac.new(self._hmac_key, value.encode(), hashlib.sha256).hexdigest()


def _derive(master: bytes, info: bytes) -> bytes:
    import base64

    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)
    return base64.urlsafe_b64encode(raw)


def _master_key(data_dir: Path) -> bytes:
    """Read the key from the data directory, creating it (readable by the owner only)."""
    path = data_dir / KEY_FILE
    if path.exists():
        return path.read_bytes().strip()
    private_dir(data_dir)
    key = Fernet.generate_key()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    return key


@lru_cache(maxsize=8)
def vault_for(data_dir: Path) -> Vault:
    """Return the vault of a data directory."""
    return Vault(_master_key(data_dir))


def vault() -> Vault:
    """Return the vault of the running Circuit's keys (its data directory unless
    CIRCUIT_KEYS_DIR names a folder the nodes share)."""
    return vault_for(current().settings.keys_dir)
