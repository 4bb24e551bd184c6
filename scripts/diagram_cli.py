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


def register(bpmnsub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `render` (and `migrate`) to `circuit bpmn`."""
    render = bpmnsub.add_parser("render", help="desenează diagrama (SVG) din informațiile ei DI")
    render.add_argument("file", metavar="FILE")
    render.add_argument("-o", "--output", metavar="OUT.svg", help="implicit: ieșirea standard")
    render.set_defaults(func=cmd_bpmn_render)
