"""`circuit bpmn render` and `circuit bpmn migrate`: drawing a diagram, moving running requests."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def cmd_bpmn_render(args: argparse.Namespace) -> int:
    from engine.workflow.render import RenderError, render_bpmn

    path = Path(args.file)
    try:
        source = path.read_bytes()
    except OSError as exc:
        print(f"{path}: Eroare: fișierul nu poate fi citit ({exc.strerror}).", file=sys.stderr)
        return 1
    try:
        drawn = render_bpmn(source)
    except RenderError as exc:
        print(f"{path}: Eroare: {exc.message}", file=sys.stderr)
        return 1
    if drawn.diagrams > 1:
        print(
            f"{path}: fișierul are {drawn.diagrams} diagrame; am desenat „{drawn.diagram}” "
            "(a procesului executabil, altfel prima).",
            file=sys.stderr,
        )
    for kind, element_id, name in drawn.without_di:
        print(
            f"{path}: {element_id} „{name}” ({kind}): nu are informații de desen (DI) și nu apare "
            "în desen.",
            file=sys.stderr,
        )
    if args.output:
        try:
            Path(args.output).write_text(drawn.svg, encoding="utf-8")
        except OSError as exc:
            print(
                f"{args.output}: Eroare: nu pot scrie fișierul ({exc.strerror}).", file=sys.stderr
            )
            return 1
    else:
        sys.stdout.write(drawn.svg + "\n")
    return 0


def cmd_bpmn_migrate(args: argparse.Namespace) -> int:
    from engine.cases.migration import migrate, parse_mapping
    from engine.circuit import build
    from engine.platform.config import load_settings
    from engine.platform.errors import BadRequest

    circuit = build(load_settings())
    session = circuit.db.session()
    try:
        mapping = parse_mapping(args.map or [])
        report = migrate(session, circuit, args.procedure, args.to, mapping)
        if args.dry_run:
            session.rollback()
        else:
            session.commit()
    except BadRequest as exc:
        session.rollback()
        print(f"Eroare: {exc.message}", file=sys.stderr)
        return 1
    finally:
        session.close()
    verb = "s-ar muta" if args.dry_run else "mutată"
    for moved in report.moved:
        head = f"Cererea {moved.registration} (versiunea {moved.from_version})"
        if moved.ok:
            print(f"{head}: {verb} pe versiunea {report.to_version}.")
        for why in moved.refused:
            print(f"{head}: refuzată: {why}.", file=sys.stderr)
    ok = sum(m.ok for m in report.moved)
    refused = len(report.moved) - ok
    done = "ar fi mutate" if args.dry_run else "mutate"
    print(
        f"{ok} din {len(report.moved)} cereri în lucru {done} pe versiunea {report.to_version}"
        + (f"; {refused} refuzate." if refused else ".")
        + (" Simulare: nu s-a schimbat nimic." if args.dry_run else "")
    )
    return 1 if refused else 0


def register(bpmnsub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `render` (and `migrate`) to `circuit bpmn`."""
    render = bpmnsub.add_parser("render", help="desenează diagrama (SVG) din informațiile ei DI")
    render.add_argument("file", metavar="FILE")
    render.add_argument("-o", "--output", metavar="OUT.svg", help="implicit: ieșirea standard")
    render.set_defaults(func=cmd_bpmn_render)
    move = bpmnsub.add_parser("migrate", help="mută cererile în lucru pe o versiune mai nouă")
    move.add_argument("procedure", metavar="PROCEDURE")
    move.add_argument("--to", type=int, required=True, metavar="VERSION")
    move.add_argument("--dry-run", action="store_true", help="spune ce s-ar muta, fără a schimba")
    move.add_argument(
        "--map",
        action="append",
        metavar="VECHI=NOU",
        help="pasul vechi care corespunde unui pas nou (se poate repeta)",
    )
    move.set_defaults(func=cmd_bpmn_migrate)
