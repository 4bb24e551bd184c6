"""Who may read the register and who may register in it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from engine.circuit import registry_department
from engine.models import User
from engine.platform.errors import Forbidden
from engine.register import chain

AUDITORS = {"secretar"}  # read the register besides the registry and administrators


def may_register(user: User) -> bool:
    """Tell whether a user registers documents: the registry department (the setting), admins."""
    return user.is_admin or registry_department() in user.departments


def may_read_register(user: User) -> bool:
    """Tell whether a user may read the register: those who register, and the auditors."""
    return may_register(user) or bool(AUDITORS & set(user.departments))


def require_reader(user: User) -> None:
    """Refuse whoever may not read the register (it names people and their petitions)."""
    if not may_read_register(user):
        raise Forbidden("Registrul poate fi consultat numai de registratură și de auditori.")


def verify(session: Session, user: User) -> chain.ChainCheck:
    """Walk the register's hash chain for a reader of the register."""
    require_reader(user)
    return chain.verify_chain(session)
