"""The deadline rules as data in the catalog: the shipped procedures say what the law says,
and a designer's typo or an absurd term is refused in Romanian by `circuit bpmn check`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from engine.platform.config import PROJECT_ROOT
from engine.workflow.catalog import Procedure, entry_problems, read_entry
from engine.workflow.lint import check_folders
from tests.support.seed import DEPARTMENTS

PROCESSES = PROJECT_ROOT / "processes"


def shipped(name: str) -> Procedure:
    return Procedure.from_dict(read_entry(PROCESSES / f"{name}.json"))


def test_a_petition_has_30_days_and_one_extension_of_15_with_the_petitioner_told():
    proc = shipped("petitie")
    assert (proc.deadline_days, proc.deadline_kind.value) == (30, "calendar")
    rules = proc.rules
    assert (rules.extension_max_times, rules.extension_max_days) == (1, 15)
    assert rules.extension_notify and "art. 9" in rules.legal_basis
    assert rules.suspend_while_waiting and not rules.tacit_approval


def test_public_information_extends_from_10_to_30_days_decided_within_10():
    rules = shipped("informatii_publice").rules
    assert shipped("informatii_publice").deadline_days + rules.extension_max_days == 30
    assert rules.extension_max_times == 1 and rules.extension_within_days == 10
    assert "544/2001" in rules.legal_basis and "art. 7" in rules.legal_basis


def test_the_urbanism_certificate_is_under_tacit_approval_and_waits_for_the_citizen():
    rules = shipped("certificat_urbanism").rules
    assert rules.tacit_approval and rules.suspend_while_waiting and not rules.extendable


def test_a_procedure_without_rules_is_not_extendable_and_its_clock_never_stops():
    rules = shipped("atestare_fiscala").rules
    assert not rules.extendable and not rules.suspend_while_waiting and not rules.tacit_approval


def petition(**deadline: Any) -> dict[str, Any]:
    raw = json.loads((PROCESSES / "petitie.json").read_text(encoding="utf-8"))
    raw["deadline"] = {"days": 30, "kind": "calendar", **deadline}
    return raw


@pytest.mark.parametrize(
    ("deadline", "key", "words"),
    [
        ({"days": -5}, "deadline.days", "între 1 și 365"),
        ({"days": 5000}, "deadline.days", "între 1 și 365"),
        ({"extension": {"max_days": -15}}, "deadline.extension.max_days", "între 1 și 365"),
        ({"extension": {"max_days": 15, "max_times": 0}}, "deadline.extension.max_times", "1 și 5"),
        (
            {"extension": {"max_days": 15, "notify": True}},
            "deadline.extension.notify",
            "Cheile lui",
        ),
        ({"extension": 15}, "deadline.extension", "trebuie să fie un obiect"),
        ({"tacit_approval": "da"}, "deadline.tacit_approval", "true sau false"),
        ({"suspend_while_waitng": True}, "deadline.suspend_while_waitng", "poate"),
        ({"legal_basis": ""}, "deadline.legal_basis", "actul normativ"),
    ],
)
def test_absurd_terms_and_typos_are_refused_in_romanian(deadline, key, words):
    found = entry_problems(petition(**deadline))
    assert [k for k, _, _ in found] == [key], found
    assert words in found[0][1] + " " + found[0][2]


def test_the_linter_refuses_a_misspelt_rule_and_accepts_the_shipped_ones(tmp_path):
    base = tmp_path / "primarie"
    for name in ("bpmn", "forms", "processes"):
        shutil.copytree(PROJECT_ROOT / name, base / name)
    departments = frozenset(DEPARTMENTS)
    good = check_folders(base / "bpmn", base / "forms", base / "processes", departments=departments)
    assert [p.line() for p in good if p.is_error] == []

    entry: Path = base / "processes" / "petitie.json"
    raw = json.loads(entry.read_text(encoding="utf-8"))
    raw["deadline"]["extension"]["max_dayz"] = 15
    entry.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    bad = check_folders(base / "bpmn", base / "forms", base / "processes", departments=departments)
    lines = [p.line() for p in bad if p.is_error]
    assert len(lines) == 1
    assert "„deadline.extension.max_dayz” nu este cunoscută (poate „max_days”?)" in lines[0]
