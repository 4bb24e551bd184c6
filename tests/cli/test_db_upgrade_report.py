"""`circuit db upgrade` says what it deployed, and which procedure it refused and why."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from engine.platform.config import PROJECT_ROOT
from tests.support.cli import circuit as run_circuit


@pytest.mark.slow  # runs the `circuit` command in processes of its own
def test_db_upgrade_reports_each_procedure_and_refuses_only_the_broken_one(tmp_path):
    for name in ("bpmn", "forms", "processes"):
        shutil.copytree(PROJECT_ROOT / name, tmp_path / name)
    env = {f"CIRCUIT_{n.upper()}_DIR": str(tmp_path / n) for n in ("bpmn", "forms", "processes")}
    data = tmp_path / "data"
    r = run_circuit(["db", "upgrade"], data, **env)
    assert r.returncode == 0, r.stderr
    assert "Procedura „petitie” (petitie.json): versiune nouă, versiunea 1 — schimbat: " \
           "procedură nouă." in r.stdout  # fmt: skip
    assert "culoarele și proprietățile department nu au fost verificate" in r.stdout
    assert r.stdout.rstrip().endswith("Baza de date este la zi.")

    petition = tmp_path / "bpmn" / "petitie.bpmn"
    petition.write_text(
        petition.read_text("utf-8").replace('name="role" value="head"', 'name="role" value="sef"'),
        "utf-8",
    )
    entry = tmp_path / "processes" / "sesizare.json"
    raw = json.loads(entry.read_text("utf-8"))
    raw["title"] = "Sesizare (revizuită)"
    entry.write_text(json.dumps(raw, ensure_ascii=False), "utf-8")
    r = run_circuit(["db", "upgrade"], data, **env)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "Procedura „sesizare” (sesizare.json): versiune nouă, versiunea 2 — schimbat: " \
           "catalogul: title." in r.stdout  # fmt: skip
    assert "Procedura „audienta_primar” (audienta_primar.json): neschimbată, versiunea 1." in (
        r.stdout
    )
    assert (
        "Procedura „petitie” (petitie.json) NU a fost instalată; rămâne în vigoare versiunea 1."
        in r.stderr
    )
    assert re.search(r"petitie\.bpmn: aprobare „Aprobare răspuns”: Eroare: role „sef”", r.stderr)
    assert "1 procedură nu s-a instalat („petitie”); celelalte sunt la zi." in r.stderr
    assert "Baza de date este la zi." not in r.stdout
