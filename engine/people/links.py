"""Signed, expiring, single-use links for e-mail confirmation and password reset.

Each link also signs the account's credential stamp (a digest of its password hash), so
every link asked for before the password changed, by whatever path, dies with the old
password: a second reset link once the first was used, a reset link after a change on
`/cont/parola` or `PATCH /me`, an e-mail-change link asked from a session since cut off.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from engine.models import UsedLink, User
from engine.people.sessions import credential_stamp
from engine.platform.errors import BadRequest
from engine.platform.timeutil import utcnow

VERIFY = "verify"
RESET = "reset"
WELCOME = "welcome"  # a new official's first password, chosen from the administrator's e-mail
LIFETIME = {VERIFY: timedelta(days=3), RESET: timedelta(hours=1), WELCOME: timedelta(days=7)}
INVALID = (
    "Linkul nu mai este valabil: a expirat, a fost deja folosit sau nu este complet. "
    "Cereți unul nou."
)


@dataclass(frozen=True)
class Claim:
    """What a valid link says: whose it is, for which address, its one-time nonce, and the
    credential stamp of the password it was asked under."""

    user_id: int
    email: str
    nonce: str
    stamp: str


def _serializer(secret: str, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=f"circuit-link-{purpose}")


def make(secret: str, purpose: str, user: User, email: str) -> str:
    """Sign a link's token for one account, one address and the account's current password."""
    payload = {"u": user.id, "e": email, "n": secrets.token_hex(16), "p": credential_stamp(user)}
    return _serializer(secret, purpose).dumps(payload)


def read(secret: str, purpose: str, token: str) -> Claim:
    """Check a token's signature and age; raise invalid_token otherwise."""
    try:
        data = _serializer(secret, purpose).loads(
            token, max_age=int(LIFETIME[purpose].total_seconds())
        )
        return Claim(int(data["u"]), str(data["e"]), str(data["n"]), str(data["p"]))
    except (SignatureExpired, BadSignature, KeyError, TypeError, ValueError):
        raise BadRequest(INVALID, code="invalid_token") from None


def peek(session: Session, secret: str, purpose: str, token: str) -> Claim:
    """Check a link without spending it (to show its page); raise invalid_token if spent."""
    claim = read(secret, purpose, token)
    user = session.get(User, claim.user_id)
    if not _live(session, claim, user):
        raise BadRequest(INVALID, code="invalid_token")
    return claim


def _live(session: Session, claim: Claim, user: User | None) -> bool:
    """Tell whether a well-signed link still holds: active account, same password, unused."""
    return (
        user is not None
        and user.active
        and claim.stamp == credential_stamp(user)
        and session.get(UsedLink, claim.nonce) is None
    )


def use(session: Session, secret: str, purpose: str, token: str) -> tuple[User, Claim]:
    """Spend a link once: check it, record its nonce as used, return its account."""
    claim = read(secret, purpose, token)
    user = session.get(User, claim.user_id)
    if not _live(session, claim, user):
        raise BadRequest(INVALID, code="invalid_token")
    assert user is not None
    # A concurrent second use fails on this primary key at commit.
    session.add(UsedLink(nonce=claim.nonce, purpose=purpose, user_id=user.id, used_at=utcnow()))
    session.flush()
    return user, claim
