"""Sign-ins that end on the server: browser sessions and API tokens, revoked and expiring.

Both are stamped with a digest of the password hash they were opened under, so a new
password ends every session and token opened before it, whatever path changed it; an
account made inactive is refused everywhere because every lookup joins on `User.active`.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, joinedload

from engine.models import ApiToken, User, WebSession
from engine.platform.timeutil import utcnow


def digest(secret: str) -> str:
    """Return the SHA-256 under which a session id or a token is stored."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def credential_stamp(user: User) -> str:
    """Return a digest of the user's password hash: it changes with the password."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:32]


def open_session(session: Session, user: User, ttl: timedelta) -> str:
    """Record a new browser session for the user and return its secret id."""
    sid = secrets.token_urlsafe(32)
    now = utcnow()
    session.execute(delete(WebSession).where(WebSession.expires_at <= now))
    session.add(
        WebSession(
            id=digest(sid),
            user_id=user.id,
            stamp=credential_stamp(user),
            created_at=now,
            expires_at=now + ttl,
        )
    )
    session.flush()
    return sid


def session_user(session: Session, user_id: int, sid: str) -> User | None:
    """Return the active user of a live session with this id, or None."""
    row = session.execute(
        select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .where(
            WebSession.id == digest(sid),
            WebSession.user_id == user_id,
            WebSession.expires_at > utcnow(),
            User.active.is_(True),
        )
        .options(joinedload(User.memberships))
    ).first()
    if row is None or row[0].stamp != credential_stamp(row[1]):
        return None
    return row[1]


def end_session(session: Session, sid: str) -> None:
    """Forget a browser session: its cookie is refused from now on."""
    session.execute(delete(WebSession).where(WebSession.id == digest(sid)))


def issue_token(session: Session, user: User, ttl: timedelta) -> tuple[str, datetime]:
    """Create a bearer token for the API; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    expires = utcnow() + ttl
    session.add(
        ApiToken(
            user_id=user.id,
            token_hash=digest(token),
            created_at=utcnow(),
            expires_at=expires,
            stamp=credential_stamp(user),
        )
    )
    return token, expires


def user_for_token(session: Session, token: str) -> User | None:
    """Return the user of a live bearer token issued under the current password (one query)."""
    row = (
        session.execute(
            select(User, ApiToken.stamp)
            .join(ApiToken, ApiToken.user_id == User.id)
            .where(
                ApiToken.token_hash == digest(token),
                ApiToken.expires_at > utcnow(),
                User.active.is_(True),
            )
            .options(joinedload(User.memberships))
        )
        .unique()
        .one_or_none()
    )
    if row is None or row[1] != credential_stamp(row[0]):
        return None
    return row[0]


def revoke_token(session: Session, token: str) -> bool:
    """Delete an API token; return whether it existed."""
    result = session.execute(delete(ApiToken).where(ApiToken.token_hash == digest(token)))
    return bool(getattr(result, "rowcount", 0))


def end_all(session: Session, user_id: int) -> tuple[int, int]:
    """End every browser session and API token of a user; return how many of each."""
    browsers = session.execute(delete(WebSession).where(WebSession.user_id == user_id))
    tokens = session.execute(delete(ApiToken).where(ApiToken.user_id == user_id))
    return int(getattr(browsers, "rowcount", 0)), int(getattr(tokens, "rowcount", 0))
