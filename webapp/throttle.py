"""Throttles counted atomically in Redis, so every web process shares them: logins, submissions.

A slot is taken before the work it guards (a password check, a registration) and given back
when the work turns out not to count (a right password, a refused form). A burst sent at
once therefore gets at most the limit through: counting after the check would let every
request of the burst pass the check before any of them is counted.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass, field
from typing import cast

from flask import Flask, Response, current_app, g, request
from limits import RateLimitItem, parse
from limits.storage import RedisStorage
from limits.strategies import FixedWindowRateLimiter

from webapp import db

log = logging.getLogger(__name__)
PREFIX = "circuit:throttle"

Counter = tuple[RateLimitItem, str, str]


@dataclass
class Slot:
    """The counters one attempt was counted in; `allowed` is False when one was full."""

    allowed: bool
    counters: list[Counter] = field(default_factory=list)
    retry_after: int = 0

    @property
    def minutes(self) -> int:
        """Return the wait, in whole minutes (at least one)."""
        return max(1, math.ceil(self.retry_after / 60))


def _limiter() -> FixedWindowRateLimiter:
    """Return the app's limiter on the Circuit's Redis (its counts live there, shared)."""
    limiter = current_app.extensions.get("circuit_limiter")
    if limiter is None:
        storage = RedisStorage(
            "redis://", connection_pool=db.circuit().redis().connection_pool, key_prefix=PREFIX
        )
        limiter = FixedWindowRateLimiter(storage)
        current_app.extensions["circuit_limiter"] = limiter
    return cast(FixedWindowRateLimiter, limiter)


def _digest(identity: str) -> str:
    return hashlib.sha256(identity.strip().lower().encode()).hexdigest()[:32]


def _take(counters: list[Counter]) -> Slot:
    """Count one attempt in every counter; if any is full, count it in none."""
    try:
        limiter = _limiter()
        taken: list[Counter] = []
        for counter in counters:
            taken.append(counter)
            if not limiter.hit(*counter):
                item, *ids = counter
                wait = limiter.get_window_stats(item, *ids).reset_time - time.time()
                _give_back(limiter, taken)
                return Slot(False, retry_after=max(1, math.ceil(wait)))
        return Slot(True, taken)
    except Exception:  # Redis down: let people in rather than lock everyone out
        log.warning("throttle unavailable", exc_info=True)
        return Slot(True)


def _give_back(limiter: FixedWindowRateLimiter, counters: list[Counter]) -> None:
    for item, *ids in counters:
        limiter.hit(item, *ids, cost=-1)


def release(slot: Slot) -> None:
    """Give back the counts of an attempt that must not count (a success, a refused form)."""
    if not slot.counters:
        return
    try:
        _give_back(_limiter(), slot.counters)
    except Exception:
        log.warning("throttle unavailable", exc_info=True)
    slot.counters = []


def login(email: str) -> Slot:
    """Take a slot for a password check: one counter per account, one per client address."""
    settings = db.circuit().settings
    return _take(
        [
            (parse(settings.login_limit), "login-account", _digest(email)),
            (parse(settings.login_ip_limit), "login-address", request.remote_addr or "-"),
        ]
    )


def signup() -> Slot:
    """Take a slot for making an account from this client address (sign-ups and their mail)."""
    item = parse(db.circuit().settings.login_ip_limit)
    return _take([(item, "signup-address", request.remote_addr or "-")])


def signup_refused_message(slot: Slot) -> str:
    return (
        "Prea multe conturi noi cerute de la această adresă. "
        f"Așteptați {_minutes(slot.minutes)} și încercați din nou."
    )


def submission(user_id: int) -> Slot:
    """Take a slot for registering a request on this account (given back if it is refused)."""
    item = parse(db.circuit().settings.submission_limit)
    slot = _take([(item, "submission", str(user_id))])
    g.submission_slot = slot
    return slot


def attempt_failed(exc: BaseException) -> None:
    """Keep this request's submission slot when the refusal came after the engine ran."""
    if getattr(exc, "counts_as_attempt", False):
        g.submission_counted = True


def init_app(app: Flask) -> None:
    @app.after_request
    def _give_back_refused(response: Response) -> Response:
        # A form refused before anything ran (a field to correct) registered nothing and
        # gives its slot back. A submission that failed once the engine ran (a 500, a loop
        # past its bound) keeps it: otherwise the costliest attempts would be free.
        slot = g.pop("submission_slot", None)
        counted = g.pop("submission_counted", False)
        if slot is not None and 400 <= response.status_code < 500 and not counted:
            release(slot)
        return response


def login_refused_message(slot: Slot) -> str:
    return (
        "Prea multe încercări de autentificare nereușite. "
        f"Așteptați {_minutes(slot.minutes)} și încercați din nou."
    )


def submission_refused_message(slot: Slot) -> str:
    item = parse(db.circuit().settings.submission_limit)
    return (
        f"Ați trimis deja numărul maxim de cereri permis ({item.amount} într-un interval de "
        f"{_window(item)}). Puteți trimite o nouă cerere peste {_minutes(slot.minutes)}."
    )


def _minutes(n: int) -> str:
    if n == 1:
        return "un minut"
    return f"{n} {'de ' if n % 100 >= 20 or n % 100 == 0 else ''}minute"


def _window(item: RateLimitItem) -> str:
    seconds = item.get_expiry()
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return "o oră" if hours == 1 else f"{hours} {'de ' if hours >= 20 else ''}ore"
    return _minutes(max(1, seconds // 60))


VERIFY_LIMIT = "60 per 5 minutes"  # public verification lookups and uploads per address


def verification() -> Slot:
    """Take a slot for checking an issued document (a code looked up, a file compared)."""
    return _take([(parse(VERIFY_LIMIT), "verify-address", request.remote_addr or "-")])


def verification_refused_message(slot: Slot) -> str:
    return (
        "Prea multe verificări de la această adresă. "
        f"Așteptați {_minutes(slot.minutes)} și încercați din nou."
    )
