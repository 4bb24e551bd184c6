"""Sustained load: Locust's realistic mix against `circuit run` on a populated database.

    python -m scripts.bench_load [--database-url URL] [--inbox-rows 100000]
                                 [--users 25,50,100,150,200] [--run-time 60] [--wait 0.5,2.0]

The database is prepared as scripts/bench.py prepares it (a fresh database with a backlog of
open petitions), with 20 citizens and 4 registry officials. `circuit run` serves it on
PostgreSQL and Redis; Locust (scripts/locustfile.py) runs headless once per number of users,
each run `--run-time` seconds after every user has started, and the figures of each step are
printed: operations per second, p50, p95 and p99 over all requests, failures, and by route.
Locust runs on the same machine as the server and takes some of its CPU: the figures are a
floor of what the server alone would do.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from engine.circuit import Circuit
from engine.people import accounts
from scripts import bench

CITIZENS, OFFICIALS = 20, 4
LOCUSTFILE = Path(__file__).with_name("locustfile.py")


def seed(circuit: Circuit, tag: str) -> tuple[list[str], list[str]]:
    """Create the citizens and registry officials the simulated users log in as."""
    with circuit.db.transaction() as s:
        citizens = [
            accounts.create_user(
                s, f"load.cetatean{k}.{tag}@example.ro", f"Cetățean {k}", bench.PASSWORD
            ).email
            for k in range(CITIZENS)
        ]
        officials = [
            accounts.create_user(
                s,
                f"load.registratura{k}.{tag}@example.ro",
                f"Registratură {k}",
                bench.PASSWORD,
                departments=[bench.REGISTRY],
            ).email
            for k in range(OFFICIALS)
        ]
    return citizens, officials


def run_locust(
    port: int, users: int, run_time: int, wait: str, citizens: list[str], officials: list[str]
) -> dict[str, dict[str, str]]:
    """Run Locust headless; return its statistics by route (and "Aggregated")."""
    out = Path(tempfile.mkdtemp(prefix="circuit-load-"))
    spawn = max(2, users // 10)  # log-ins hash passwords: spread them out
    ramp = users // spawn + 5
    env = {
        **os.environ,
        "CIRCUIT_LOAD_CITIZENS": ",".join(f"{e}:{bench.PASSWORD}" for e in citizens),
        "CIRCUIT_LOAD_OFFICIALS": ",".join(f"{e}:{bench.PASSWORD}" for e in officials),
        "CIRCUIT_LOAD_WAIT": wait,
    }
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless"]
    command += ["--host", f"http://127.0.0.1:{port}", "--users", str(users)]
    command += ["--spawn-rate", str(spawn), "--run-time", f"{ramp + run_time}s"]
    command += ["--csv", str(out / "load"), "--only-summary", "--reset-stats"]
    subprocess.run(command, env=env, check=False, capture_output=True)
    with open(out / "load_stats.csv", newline="") as f:
        return {row["Name"]: row for row in csv.DictReader(f)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m scripts.bench_load", description=__doc__)
    p.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    p.add_argument("--bench-db", default="circuit_bench_load")
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    p.add_argument("--inbox-rows", type=int, default=100_000)
    p.add_argument("--users", default="25,50,100,150,200")
    p.add_argument("--run-time", type=int, default=60)
    p.add_argument("--wait", default="0.5,2.0", help="think time, seconds: min,max")
    p.add_argument("--port", type=int, default=5078)
    args = p.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="circuit-load-"))
    url = bench.prepare_database(args.database_url, args.bench_db, tmp)
    circuit = bench.build_circuit(url, tmp / "data")
    tag = str(int(time.time()))
    people = bench.seed_people(circuit, tag)
    citizens, officials = seed(circuit, tag)
    applicants = [uid for who, (uid, _) in people.items() if who.startswith("applicant")]
    bench.log(f"inserting a backlog of {args.inbox_rows} open petitions")
    bench.insert_backlog(circuit, args.inbox_rows, applicants)
    env = bench.environment(circuit)
    server = bench.start_server(url, args.port, args.redis_url, circuit.settings.register_key_path)
    rows = []
    try:
        for users in (int(u) for u in args.users.split(",")):
            bench.log(f"Locust: {users} users, {args.run_time} s after the ramp")
            found = run_locust(args.port, users, args.run_time, args.wait, citizens, officials)
            rows.append((users, found))
    finally:
        bench.stop_server(server)
        circuit.db.dispose()

    print(f"\nCircuit load test, {env['date']}")
    for key in ("versions", "database", "machine"):
        print(f"  {key}: {env[key]}")
    print(f"  backlog: {args.inbox_rows} open petitions; think time {args.wait} s")
    print(f"\n  {'users':>5} {'ops/s':>7} {'p50':>6} {'p95':>6} {'p99':>6} {'fail':>5}  (ms)")
    for users, found in rows:
        a = found["Aggregated"]
        print(
            f"  {users:>5} {float(a['Requests/s']):>7.1f} {a['50%']:>6} {a['95%']:>6} "
            f"{a['99%']:>6} {a['Failure Count']:>5}"
        )
    print("\n  by route, at each number of users: ops/s, p50, p95 (ms)")
    for users, found in rows:
        print(f"  {users} users")
        for name, r in found.items():
            if name != "Aggregated":
                print(f"    {name:<40} {float(r['Requests/s']):>6.1f} {r['50%']:>6} {r['95%']:>6}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
