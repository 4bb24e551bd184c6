"""Throttling of failed logins, counted in Redis so every web process shares it."""

from __future__ import annotations

import hashlib
import logging

from flask import request

from webapp import db

log = logging.getLogger(__name__)
WINDOW_SECONDS = 300
MAX_FAILURES = 10


def _key(scope: str, identity: str) -> str:
    ident = hashlib.sha256(identity.strip().lower().encode()).hexdigest()[:16]
    return f"circuit:throttle:{scope}:{request.remote_addr}:{ident}"


def allow(scope: str, identity: str) -> bool:
    """Tell whether this address may try this identity again (under MAX_FAILURES)."""
    try:
        count = db.circuit().redis().get(_key(scope, identity))
    except Exception:  # Redis down: let people log in rather than lock everyone out
        log.warning("login throttle unavailable", exc_info=True)
        return True
    return count is None or int(count) < MAX_FAILURES  # type: ignore[arg-type]


def failed(scope: str, identity: str) -> None:
    """Count a failed attempt for the window."""
    try:
        redis = db.circuit().redis()
        key = _key(scope, identity)
        if redis.incr(key) == 1:
            redis.expire(key, WINDOW_SECONDS)
    except Exception:
        log.warning("login throttle unavailable", exc_info=True)
