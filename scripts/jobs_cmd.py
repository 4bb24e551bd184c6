"""`circuit jobs failed` and `circuit jobs retry ID`: background jobs that kept failing."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def cmd_jobs(args: argparse.Namespace) -> int:
    from engine import jobs
    from engine.cases import failed_jobs
    from engine.circuit import build
    from engine.platform.config import load_settings
    from engine.platform.errors import CircuitError
    from engine.platform.timeutil import iso

    circuit = build(load_settings())
    if args.jobs_command == "failed":
        with circuit.db.session() as session:
            rows = failed_jobs.listing(session, parked_only=not args.all)
        if not rows:
            print("Nicio lucrare oprită după încercări eșuate.")
            return 0
        for row in rows:
            state = "oprită" if row.parked else f"se reîncearcă la {iso(row.next_attempt_at)}"
            about = f", cererea {row.request_id}" if row.request_id else ""
            print(f"{row.id}\t{row.kind}{about}\t{row.attempts} încercări\t{state}")
            print(f"\tultima eroare ({iso(row.last_failed_at)}): {row.last_error_line}")
        return 0
    jobs.use_rq(circuit)  # the job goes to the queue after commit (else the sweep sends it)
    try:
        with circuit.db.transaction() as session:
            retried = failed_jobs.retry(session, args.id)
            kind = failed_jobs.KINDS.get(retried.name, retried.name)
    except CircuitError as exc:
        print(exc.message, file=sys.stderr)
        return 1
    print(f"Lucrarea nr. {args.id} ({kind}) a fost trimisă din nou la worker.")
    return 0


def add_parser(sub: Any) -> None:
    """Register `circuit jobs …` on the top-level subparsers."""
    jobs = sub.add_parser("jobs", help="lucrările din fundal care au eșuat")
    jsub = jobs.add_subparsers(dest="jobs_command", required=True)
    failed = jsub.add_parser("failed", help="lucrările oprite după încercări eșuate")
    failed.add_argument("--all", action="store_true", help="și cele care încă se reîncearcă")
    retry = jsub.add_parser("retry", help="reîncearcă acum o lucrare oprită")
    retry.add_argument("id", type=int)
    jobs.set_defaults(func=cmd_jobs)
