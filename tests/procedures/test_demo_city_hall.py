"""The demo city hall, on a database of its own: every procedure of the catalog runs from
submission to its end with only the people `circuit demo` creates."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from engine.circuit import Circuit, install
from engine.demo.cityhall import DemoAccount, load_demo
from engine.people import organisation
from engine.platform.db import Database
from engine.platform.migrate import upgrade
from engine.workflow.catalog import Catalog
from tests.support.circuit import JobLog, make_settings
from tests.support.citizens import represent
from tests.support.drive import (
    FINAL,
    checked,
    detail,
    fire_waiting_timers,
    move_timers_clock,
    reply,
    sample_files,
    sample_form,
    submit,
    tasks_of,
    waiting_timers,
)

MAX_STEPS = 40


@pytest.fixture
def demo(tmp_path: Path, redis_url: str) -> Any:
    """A city hall with nothing but what `circuit demo` loads, served by its own app."""
    from webapp import create_app

    settings = make_settings(tmp_path / "data", f"sqlite:///{tmp_path / 'demo.db'}", redis_url)
    settings.data_dir.mkdir(parents=True)
    db = Database(settings.database_url)
    upgrade(db)
    circuit = Circuit(settings=settings, db=db, catalog=Catalog.load(settings.processes_dir))
    circuit.set_dispatcher(JobLog())
    install(circuit)
    for key in circuit.redis().scan_iter("circuit:throttle:*"):
        circuit.redis().delete(key)
    accounts = load_demo(circuit)
    client = create_app({"TESTING": True}, circuit=circuit).test_client()
    yield circuit, client, accounts
    circuit.set_dispatcher(None)
    db.dispose()


def _tokens(client: Any, accounts: list[DemoAccount]) -> dict[str, dict[str, str]]:
    headers = {}
    for acc in accounts:
        r = client.post("/api/v1/auth/token", json={"email": acc.email, "password": acc.password})
        assert r.status_code == 200, (acc.email, r.get_json())
        headers[acc.email] = {"Authorization": f"Bearer {r.get_json()['token']}"}
    return headers


def _drive(
    client: Any,
    circuit: Circuit,
    citizen: dict[str, str],
    officials: dict[str, dict[str, str]],
    proc: dict[str, Any],
    direction: int,
    monkeypatch: Any,
) -> str:
    """Submit with data made from the start form; work every step with whichever demo
    official's inbox holds it; fire timers when only a timer is left; return the end."""
    data = sample_form(proc["start_form"], 0 if direction > 0 else -1)
    registry = officials["registratura@primaria-demo.ro"]
    heads = {"citizen": citizen, "registry": registry}
    for kind, field in circuit.catalog.get(proc["id"]).represented.items():
        if data.get(field):  # another taxpayer: the citizen holds an accepted împuternicire
            party = {kind.removesuffix("_field"): data[field]}
            represent(client, heads.__getitem__, "citizen", "Contribuabil reprezentat", **party)
    r = submit(client, citizen, proc["id"], data, sample_files(proc["attachments"]))
    assert r.status_code == 201, (proc["id"], r.get_json())
    rid = r.get_json()["id"]
    visits: Counter[str] = Counter()
    later = 0
    for _ in range(MAX_STEPS):
        page = detail(client, citizen, rid)
        if page["status"] in FINAL:
            return str(page["status"])
        waiting = page["waiting_for"]
        if waiting is not None:
            form = waiting.get("form") or {"type": "object"}
            key = "reply:" + json.dumps(form.get("properties", {}), sort_keys=True)
            choice = visits[key] * direction + (0 if direction > 0 else -1)
            visits[key] += 1
            files = sample_files(waiting.get("attachments") or [])
            r = reply(client, citizen, rid, sample_form(form, choice), files)
            assert r.status_code == 200, (proc["id"], r.get_json())
            continue
        holders = [(who, t) for who, h in officials.items() for t in tasks_of(client, h, rid)]
        if not holders:
            assert waiting_timers(circuit, rid), (proc["id"], "nothing to do", page["steps"])
            later += 40
            move_timers_clock(monkeypatch, later)
            assert fire_waiting_timers(circuit, rid), (proc["id"], "no timer fired")
            continue
        task = holders[0][1]
        key = f"task:{task['name']}"
        choice = visits[key] * direction + (0 if direction > 0 else -1)
        visits[key] += 1
        form = task["form"] or {"type": "object"}
        # The demo's petitions in flight are older: say why this one goes first.
        body = {"data": sample_form(form, choice), "reason": "Verificarea demonstrației."}
        done = [
            checked(
                client.post(
                    f"/api/v1/tasks/{task['id']}/complete", json=body, headers=officials[who]
                )
            )
            for who, t in holders
            if t["id"] == task["id"]
        ]
        assert any(r.status_code == 200 for r in done), (
            proc["id"],
            task["name"],
            [(r.status_code, r.get_json()) for r in done],
        )
    raise AssertionError(f"{proc['id']} did not end within {MAX_STEPS} steps: {visits}")


def test_the_demo_staffs_every_department_its_procedures_name(demo):
    circuit, client, accounts = demo
    with circuit.db.session() as s:
        assert organisation.unstaffed_lanes(s, circuit) == []
        staffed = {code for code, _ in organisation.staffed_departments(s)}
    assert {"primar", "arhiva", "secretar", "registratura"} <= staffed
    printed = {a.email for a in accounts}
    assert {"primar@primaria-demo.ro", "arhiva@primaria-demo.ro"} <= printed
    assert "secretar@primaria-demo.ro" in printed
    assert all(a.password for a in accounts)  # each one printed with its password
    # A second run creates nobody and prints the same accounts, without passwords.
    again = load_demo(circuit)
    assert [a.email for a in again] == [a.email for a in accounts]
    assert not any(a.password for a in again)


def test_every_procedure_runs_to_its_end_with_only_the_demo_people(demo, monkeypatch):
    circuit, client, accounts = demo
    headers = _tokens(client, accounts)
    citizens = [a.email for a in accounts if a.role == "cetățean"]
    officials = {
        a.email: headers[a.email] for a in accounts if a.role.startswith(("funcționar", "șef"))
    }
    procedures = checked(client.get("/api/v1/procedures")).get_json()["procedures"]
    assert {p["id"] for p in procedures} == {p.id for p in circuit.catalog.all()}
    ends = {}
    for citizen, direction in zip(citizens, (1, -1), strict=False):
        for proc in procedures:
            end = _drive(client, circuit, headers[citizen], officials, proc, direction, monkeypatch)
            ends[(proc["id"], direction)] = end
    assert set(ends.values()) <= FINAL, ends
    # The first options lead to an issued answer for every procedure.
    assert {p for (p, d), end in ends.items() if d == 1 and end != "completed"} == set(), ends
