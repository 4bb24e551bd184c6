"""`circuit procedure try PROCEDURE --path SCENARIO.yaml`: a dry run of a procedure."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path


def cmd_procedure_try(args: argparse.Namespace) -> int:
    from engine.demo import tryout
    from engine.platform.config import load_settings

    try:
        scenario = tryout.load_scenario(Path(args.path))
        with tempfile.TemporaryDirectory(prefix="circuit-proba-") as tmp:
            # The folders come from the environment; nothing else of it is touched.
            settings = load_settings({**os.environ, "CIRCUIT_DATA_DIR": tmp, "SECRET_KEY": "-"})
            tryout.play(settings, scenario, args.procedure, base=Path(args.path).parent)
    except tryout.ScenarioError as exc:
        print(f"Eroare: {exc}", file=sys.stderr)
        return 1
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    proc = sub.add_parser("procedure", help="procedurile din dosarele proiectanților")
    psub = proc.add_subparsers(dest="procedure_command", required=True)
    tr = psub.add_parser("try", help="rulează un scenariu într-o bază de date de probă")
    tr.add_argument("procedure", help="id-ul procedurii din catalog")
    tr.add_argument("--path", required=True, help="fișierul scenariului (YAML)")
    tr.set_defaults(func=cmd_procedure_try)
