"""A load test of a realistic mix against a running Circuit, with Locust.

Citizens submit petitions and read their requests; registry officials list their inbox and
triage petitions. Install Locust with `pip install -e .[load]`, start `circuit run` (on
PostgreSQL, with `CIRCUIT_SUBMISSION_LIMIT="1000000 per hour"` so that the throttle is not
what is measured), and run, for example:

    CIRCUIT_LOAD_CITIZENS=ion@example.ro:parola,... \\
    CIRCUIT_LOAD_OFFICIALS=registratura@example.ro:parola \\
    locust -f scripts/locustfile.py --host http://127.0.0.1:5000 \\
        --headless --users 40 --spawn-rate 10 --run-time 2m --csv load

Each variable holds `email:password` pairs separated by commas: each simulated user logs in
once (POST /api/v1/auth/token) as one of them, in turn. Locust prints the throughput and the
percentiles per route; raise --users until p95 passes 100 ms to find the knee. Log-ins hash
passwords (argon2, about 0.2 s of CPU each): spawn users slowly (--spawn-rate 2) and measure
after they have all started. On a database filled by scripts/bench.py, whose backlog holds
placeholder instances, leave out the officials' completions: --exclude-tags complete.
"""

from __future__ import annotations

import itertools
import os
import random
from typing import Any

from locust import HttpUser, between, tag, task

TRIAGE = {"decizie_triere": "repartizare", "departament": "urbanism"}


def _accounts(variable: str) -> itertools.cycle[tuple[str, str]]:
    pairs = [p.split(":", 1) for p in os.environ.get(variable, "").split(",") if ":" in p]
    if not pairs:
        raise SystemExit(f"{variable}: give email:password pairs, separated by commas")
    return itertools.cycle([(email, password) for email, password in pairs])


_citizens: itertools.cycle[tuple[str, str]] | None = None
_officials: itertools.cycle[tuple[str, str]] | None = None


def petition(n: int) -> dict[str, str]:
    return {
        "subiect": f"Groapă în carosabil pe strada Lungă nr. {n}",
        "continut": "Vă aduc la cunoștință că pe strada Lungă, în dreptul numărului indicat, "
        "există o groapă adâncă în carosabil care pune în pericol mașinile și bicicliștii. "
        "Vă rog să dispuneți repararea ei și să-mi comunicați termenul.",
        "adresa_corespondenta": f"Str. Lungă nr. {n}, Cluj-Napoca",
    }


class _ApiUser(HttpUser):
    abstract = True
    accounts_variable = ""

    def on_start(self) -> None:
        email, password = next(self._accounts())
        r = self.client.post(
            "/api/v1/auth/token",
            json={"email": email, "password": password},
            name="/api/v1/auth/token",
        )
        r.raise_for_status()
        self.client.headers["Authorization"] = f"Bearer {r.json()['token']}"

    def _accounts(self) -> itertools.cycle[tuple[str, str]]:
        raise NotImplementedError


class Citizen(_ApiUser):
    """Submits now and then; mostly looks at the list of their requests and opens one."""

    weight = 3
    wait_time = between(0.5, 2.0)

    def _accounts(self) -> itertools.cycle[tuple[str, str]]:
        global _citizens
        _citizens = _citizens or _accounts("CIRCUIT_LOAD_CITIZENS")
        return _citizens

    def on_start(self) -> None:
        super().on_start()
        self.mine: list[int] = []

    @task(1)
    def submit(self) -> None:
        body = {"procedure": "petitie", "data": petition(random.randint(1, 999))}
        with self.client.post(
            "/api/v1/requests", json=body, name="POST /api/v1/requests", catch_response=True
        ) as r:
            if r.status_code == 201:
                self.mine.append(r.json()["id"])
                r.success()
            else:
                r.failure(f"{r.status_code}: {r.text[:200]}")

    @task(4)
    def my_requests(self) -> None:
        r = self.client.get("/api/v1/requests", name="GET /api/v1/requests")
        if r.ok and not self.mine:
            self.mine = [item["id"] for item in r.json().get("requests", [])][:20]

    @task(3)
    def one_request(self) -> None:
        if self.mine:
            rid = random.choice(self.mine)
            self.client.get(f"/api/v1/requests/{rid}", name="GET /api/v1/requests/[id]")


class RegistryOfficial(_ApiUser):
    """Lists the inbox and triages a petition from it, as the registry does all day."""

    weight = 1
    wait_time = between(0.5, 2.0)

    def _accounts(self) -> itertools.cycle[tuple[str, str]]:
        global _officials
        _officials = _officials or _accounts("CIRCUIT_LOAD_OFFICIALS")
        return _officials

    def on_start(self) -> None:
        super().on_start()
        self.inbox: list[dict[str, Any]] = []

    @task(3)
    def list_inbox(self) -> None:
        r = self.client.get("/api/v1/tasks", name="GET /api/v1/tasks")
        if r.ok:
            self.inbox = [t for t in r.json()["tasks"] if t.get("name") == "Repartizare petiție"]

    @tag("complete")  # --exclude-tags complete on a bench database (its backlog is not real)
    @task(2)
    def triage(self) -> None:
        if not self.inbox:
            return
        chosen = self.inbox.pop(random.randrange(len(self.inbox)))
        with self.client.post(
            f"/api/v1/tasks/{chosen['id']}/complete",
            json={"data": TRIAGE, "reason": "test de încărcare"},
            name="POST /api/v1/tasks/[id]/complete",
            catch_response=True,
        ) as r:
            # A colleague took it first: what an office sees under load, not a failure.
            if r.status_code in (200, 409):
                r.success()
            else:
                r.failure(f"{r.status_code}: {r.text[:200]}")
