"""Throttling of login attempts, counted in Redis so every web process shares it."""

from __future__ import annotations

import hashlib
import logging

from flask import request

from webapp import db

log = logging.getLogger(__name__)
WINDOW_SECONDS = 300
MAX_ATTEMPTS = 10


def allow(scope: str, identity: str) -> bool:
    """Count an attempt; refuse past MAX_ATTEMPTS per address and identity in the window."""
    ident = hashlib.sha256(identity.strip().lower().encode()).hexdigest()[:16]
    key = f"circuit:throttle:{scope}:{request.remote_addr}:{ident}"
    try:
        redis = db.circuit().redis()
        count = redis.incr(key)
        if count == 1:
            redis.expire(key, WINDOW_SECONDS)
        return int(count) <= MAX_ATTEMPTS  # type: ignore[arg-type]
    except Exception:  # Redis down: let people log in rather than lock everyone out
        log.warning("login throttle unavailable", exc_info=True)
        return True
