"""Signed, expiring, single-use links for e-mail confirmation and password reset."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from engine.models import UsedLink, User
from engine.platform.errors import BadRequest
from engine.platform.timeutil import utcnow

VERIFY = "verify"
RESET = "reset"
LIFETIME = {VERIFY: timedelta(days=3), RESET: timedelta(hours=1)}
INVALID = (
    "Linkul nu mai este valabil: a expirat, a fost deja folosit sau nu este complet. "
    "Cereți unul nou."
)


@dataclass(frozen=True)
class Claim:
    """What a valid link says: whose it is, for which address, and its one-time nonce."""

    user_id: int
    email: str
    nonce: str


def _serializer(secret: str, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=f"circuit-link-{purpose}")


def make(secret: str, purpose: str, user_id: int, email: str) -> str:
    """Sign a link's token for one account and one address."""
    payload = {"u": user_id, "e": email, "n": secrets.token_hex(16)}
    return _serializer(secret, purpose).dumps(payload)


def read(secret: str, purpose: str, token: str) -> Claim:
    """Check a token's signature and age; raise invalid_token otherwise."""
    try:
        data = _serializer(secret, purpose).loads(
            token, max_age=int(LIFETIME[purpose].total_seconds())
        )
        return Claim(int(data["u"]), str(data["e"]), str(data["n"]))
    except (SignatureExpired, BadSignature, KeyError, TypeError, ValueError):
        raise BadRequest(INVALID, code="invalid_token") from None


def peek(session: Session, secret: str, purpose: str, token: str) -> Claim:
    """Check a link without spending it (to show its page); raise invalid_token if spent."""
    claim = read(secret, purpose, token)
    if session.get(UsedLink, claim.nonce) is not None:
        raise BadRequest(INVALID, code="invalid_token")
    return claim


def use(session: Session, secret: str, purpose: str, token: str) -> tuple[User, Claim]:
    """Spend a link once: check it, record its nonce as used, return its account."""
    claim = read(secret, purpose, token)
    user = session.get(User, claim.user_id)
    if user is None or not user.active or session.get(UsedLink, claim.nonce) is not None:
        raise BadRequest(INVALID, code="invalid_token")
    # A concurrent second use fails on this primary key at commit.
    session.add(UsedLink(nonce=claim.nonce, purpose=purpose, user_id=user.id, used_at=utcnow()))
    session.flush()
    return user, claim
