"""A procedure driven through the HTTP API as its citizen and officials would, in scenarios."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from engine.cases import operations
from engine.circuit import Circuit
from engine.deadlines.legal_calendar import LegalCalendar
from engine.messages import notify
from engine.models import Timer, TimerStatus, User
from engine.platform.timeutil import BUCHAREST, as_aware, local_today, utcnow
from engine.register import chain
from tests.support.seed import PEOPLE

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


class Scenario:
    """One procedure's requests, seen by the seeded people through /api/v1."""

    def __init__(self, client: Any, api_for: Any, circuit: Circuit, procedure: str) -> None:
        self.client, self.api_for, self.circuit, self.procedure = (
            client,
            api_for,
            circuit,
            procedure,
        )

    def submit(
        self, data: dict[str, Any], files: dict[str, bytes] | None = None, who: str = "citizen"
    ) -> dict[str, Any]:
        """Register a request as a citizen (multipart when there are files); return the 201 body."""
        r = self.submit_raw(data, files, who)
        assert r.status_code == 201, r.get_json()
        return r.get_json()  # type: ignore[no-any-return]

    def submit_raw(
        self, data: dict[str, Any], files: dict[str, bytes] | None = None, who: str = "citizen"
    ) -> Any:
        if not files:
            return self.client.post(
                "/api/v1/requests",
                json={"procedure": self.procedure, "data": data},
                headers=self.api_for(who),
            )
        form: dict[str, Any] = {"procedure": self.procedure, "data": json.dumps(data)}
        for name, content in files.items():
            form[name] = (io.BytesIO(content), f"{name}.pdf")
        return self.client.post(
            "/api/v1/requests",
            data=form,
            headers=self.api_for(who),
            content_type="multipart/form-data",
        )

    def inbox(self, who: str, request_id: int) -> list[dict[str, Any]]:
        """Return the tasks of this request in an official's inbox."""
        r = self.client.get("/api/v1/tasks", headers=self.api_for(who))
        assert r.status_code == 200, r.get_json()
        return [t for t in r.get_json()["tasks"] if t["request_id"] == request_id]

    def task(self, who: str, request_id: int, name: str) -> dict[str, Any]:
        """Return the one task of this request in an official's inbox, checking its name."""
        tasks = self.inbox(who, request_id)
        assert [t["name"] for t in tasks] == [name], tasks
        return tasks[0]

    def complete(
        self, who: str, task: dict[str, Any], data: dict[str, Any], status: int = 200
    ) -> dict[str, Any]:
        """Complete a task as an official and return the answer's body."""
        r = self.client.post(
            f"/api/v1/tasks/{task['id']}/complete", json={"data": data}, headers=self.api_for(who)
        )
        assert r.status_code == status, r.get_json()
        return r.get_json()  # type: ignore[no-any-return]

    def step(self, who: str, request_id: int, name: str, data: dict[str, Any]) -> str:
        """Complete the named task of this request as an official; return the new status."""
        body = self.complete(who, self.task(who, request_id, name), data)
        return body["request"]["status"]  # type: ignore[no-any-return]

    def detail(self, request_id: int, who: str = "citizen") -> dict[str, Any]:
        r = self.client.get(f"/api/v1/requests/{request_id}", headers=self.api_for(who))
        assert r.status_code == 200, r.get_json()
        return r.get_json()  # type: ignore[no-any-return]

    def reply(
        self,
        request_id: int,
        data: dict[str, Any],
        files: dict[str, bytes] | None = None,
        who: str = "citizen",
    ) -> Any:
        form: dict[str, Any] = {"data": json.dumps(data)}
        for name, content in (files or {}).items():
            form[name] = (io.BytesIO(content), f"{name}.pdf")
        return self.client.post(
            f"/api/v1/requests/{request_id}/reply",
            data=form,
            headers=self.api_for(who),
            content_type="multipart/form-data",
        )

    def withdraw(self, request_id: int, who: str = "citizen") -> Any:
        return self.client.post(
            f"/api/v1/requests/{request_id}/withdraw", headers=self.api_for(who)
        )

    def notifications(self, who: str, request_id: int) -> list[str]:
        """Return, oldest first, what a person's account shows about this request."""
        email = PEOPLE[who][0]
        with self.circuit.db.session() as s:
            user = s.scalar(select(User).where(User.email == email))
            assert user is not None
            notes = notify.with_departments(s, user, limit=200)
            return [n.message for n in reversed(notes) if n.request_id == request_id]

    def timers(self, request_id: int) -> list[tuple[str, TimerStatus, datetime]]:
        """Return (name, status, due instant in Romania) of the request's timers, by due time."""
        with self.circuit.db.session() as s:
            rows = s.scalars(select(Timer).where(Timer.request_id == request_id)).all()
            return sorted(
                ((t.name, t.status, as_aware(t.due_at).astimezone(BUCHAREST)) for t in rows),
                key=lambda t: (t[2], t[0]),
            )

    def due(self, start: date, days: int, working: bool = False) -> date:
        """Return a legal due date by the legal calendar."""
        from engine.deadlines.legal_calendar import DeadlineKind

        kind = DeadlineKind.WORKING if working else DeadlineKind.CALENDAR
        with self.circuit.db.session() as s:
            return self.circuit.calendar(s).deadline(start, days, kind)


@contextmanager
def registered_days_ago(monkeypatch: Any, days: int) -> Iterator[None]:
    """Register requests inside this block as if on a day `days` ago (terms already run)."""
    with monkeypatch.context() as m:
        earlier = lambda: utcnow() - timedelta(days=days)  # noqa: E731
        m.setattr(operations, "utcnow", earlier)
        m.setattr(chain, "utcnow", earlier)  # the register reads its clock under its lock
        yield


def days_for_term_to_pass(days: int, kind: str = "calendar", at_least: int = 1) -> int:
    """The fewest days ago (not fewer than `at_least`) a request must have been registered
    for a term of `days` to have ended before today, on whatever day the tests run: a
    weekend or holidays at its end move it, so a fixed number is right only on some days."""
    calendar, today = LegalCalendar(), local_today()
    back = at_least
    while calendar.deadline(today - timedelta(days=back), days, kind) >= today:
        back += 1
    return back


def at_nine(day: date) -> datetime:
    """The instant a term's timer fires: 09:00 in Romania on that day."""
    return datetime(day.year, day.month, day.day, 9, 0, tzinfo=BUCHAREST)
