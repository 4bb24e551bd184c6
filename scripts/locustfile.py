"""A load test of a realistic mix against a running Circuit, with Locust.

Citizens submit petitions and read their requests; registry officials list their inbox and
triage petitions. Install Locust with `pip install -e .[load]`, start `circuit run` (on
PostgreSQL, with `CIRCUIT_SUBMISSION_LIMIT="1000000 per hour"` so that the throttle is not
what is measured), and run, for example:

    CIRCUIT_LOAD_CITIZENS=ion@example.ro:parola,... \\
    CIRCUIT_LOAD_OFFICIALS=registratura@example.ro:parola \\
    locust -f scripts/locustfile.py --host http://127.0.0.1:5000 \\
        --headless --users 40 --spawn-rate 10 --run-time 2m --csv load

Each variable holds `email:password` pairs separated by commas: the simulated users take them
in turn, and each account logs in once (POST /api/v1/auth/token); its users share the token.
Locust prints the throughput and the percentiles per route; raise --users until p95 passes
100 ms to find the knee (scripts/bench_load.py does it in steps). CIRCUIT_LOAD_WAIT="min,max"
sets the think time (0.5 to 2 s). On a database filled by scripts/bench.py, whose backlog holds
placeholder instances, the officials triage the petitions the citizens submit during the run.
"""

from __future__ import annotations

import collections
import itertools
import os
import random

from locust import FastHttpUser, between, task

TRIAGE = {"decizie_triere": "repartizare", "departament": "urbanism"}
TRIAGE_STEP = "Repartizare petiție"
# Think time between a user's actions, in seconds (CIRCUIT_LOAD_WAIT="min,max"): people
# pause for a second or so; a shorter pause finds the server's limit with fewer users, whose
# log-ins (argon2) and Locust's own CPU would otherwise share the machine.
WAIT = tuple(float(x) for x in os.environ.get("CIRCUIT_LOAD_WAIT", "0.5,2.0").split(","))
# The petitions the citizens submitted in this run, waiting for an official's triage.
_submitted: collections.deque[int] = collections.deque(maxlen=10_000)


# The accounts of each variable, taken in turn by the simulated users.
_accounts: dict[str, itertools.cycle[tuple[str, str]]] = {}


def _next_account(variable: str) -> tuple[str, str]:
    if variable not in _accounts:
        pairs = [p.split(":", 1) for p in os.environ.get(variable, "").split(",") if ":" in p]
        if not pairs:
            raise SystemExit(f"{variable}: give email:password pairs, separated by commas")
        _accounts[variable] = itertools.cycle([(email, password) for email, password in pairs])
    return next(_accounts[variable])


# The token of each account, once it has logged in: the simulated users of one account share
# it, so a run measures the mix rather than a storm of log-ins (argon2, 0.2 s of CPU each).
_tokens: dict[str, str] = {}


def petition(n: int) -> dict[str, str]:
    return {
        "subiect": f"Groapă în carosabil pe strada Lungă nr. {n}",
        "continut": "Vă aduc la cunoștință că pe strada Lungă, în dreptul numărului indicat, "
        "există o groapă adâncă în carosabil care pune în pericol mașinile și bicicliștii. "
        "Vă rog să dispuneți repararea ei și să-mi comunicați termenul.",
        "adresa_corespondenta": f"Str. Lungă nr. {n}, Cluj-Napoca",
    }


class _ApiUser(FastHttpUser):
    abstract = True
    accounts_variable = ""

    def on_start(self) -> None:
        email, password = _next_account(self.accounts_variable)
        token = _tokens.get(email)
        if token is None:  # one log-in per account: people stay logged in for hours
            r = self.client.post(
                "/api/v1/auth/token",
                json={"email": email, "password": password},
                name="/api/v1/auth/token",
            )
            r.raise_for_status()
            token = _tokens[email] = r.json()["token"]
        self.auth = {"Authorization": f"Bearer {token}"}


class Citizen(_ApiUser):
    """Submits now and then; mostly looks at the list of their requests and opens one."""

    weight = 3
    accounts_variable = "CIRCUIT_LOAD_CITIZENS"
    wait_time = between(WAIT[0], WAIT[-1])

    def on_start(self) -> None:
        super().on_start()
        self.mine: list[int] = []

    @task(1)
    def submit(self) -> None:
        body = {"procedure": "petitie", "data": petition(random.randint(1, 999))}
        with self.client.post(
            "/api/v1/requests",
            json=body,
            name="POST /api/v1/requests",
            headers=self.auth,
            catch_response=True,
        ) as r:
            if r.status_code == 201:
                self.mine.append(r.json()["id"])
                _submitted.append(r.json()["id"])
                r.success()
            else:
                r.failure(f"{r.status_code}: {r.text[:200]}")

    @task(4)
    def my_requests(self) -> None:
        r = self.client.get("/api/v1/requests", name="GET /api/v1/requests", headers=self.auth)
        if r.ok and not self.mine:
            self.mine = [item["id"] for item in r.json().get("requests", [])][:20]

    @task(3)
    def one_request(self) -> None:
        if self.mine:
            rid = random.choice(self.mine)
            self.client.get(
                f"/api/v1/requests/{rid}", name="GET /api/v1/requests/[id]", headers=self.auth
            )


class RegistryOfficial(_ApiUser):
    """Lists the inbox and triages petitions, as the registry does all day.

    The petitions it triages are those the citizens submitted during this run (their ids go
    from the citizens to the officials in this process): it opens the request's history, as
    an official does, and completes its triage step, skipping the older ones in the inbox
    with a reason. A bench database's backlog holds placeholder instances that cannot be
    completed; fresh petitions are real."""

    weight = 1
    accounts_variable = "CIRCUIT_LOAD_OFFICIALS"
    wait_time = between(WAIT[0], WAIT[-1])

    @task(3)
    def list_inbox(self) -> None:
        self.client.get("/api/v1/tasks", name="GET /api/v1/tasks", headers=self.auth)

    @task(2)
    def triage(self) -> None:
        if not _submitted:
            return
        request_id = _submitted.popleft()
        r = self.client.get(
            f"/api/v1/requests/{request_id}/history",
            name="GET /api/v1/requests/[id]/history",
            headers=self.auth,
        )
        if not r.ok:
            return
        steps = [s for s in r.json()["steps"] if s["state"] == "ready" and s["name"] == TRIAGE_STEP]
        if not steps:
            return
        with self.client.post(
            f"/api/v1/tasks/{steps[0]['id']}/complete",
            json={"data": TRIAGE, "reason": "test de încărcare"},
            name="POST /api/v1/tasks/[id]/complete",
            headers=self.auth,
            catch_response=True,
        ) as r:
            # A colleague took it first: what an office sees under load, not a failure.
            if r.status_code in (200, 409):
                r.success()
            else:
                r.failure(f"{r.status_code}: {r.text[:200]}")
