"""Dry runs in tests: the scenario files `circuit procedure try` plays, played the same way.

    outcome = play_scenario("petitie_raspuns")          # tests/data/scenarios/petitie_raspuns.yaml
    assert outcome.status == "completed"

A scenario beside a procedure's own folders is played with `folders=` (bpmn/, forms/,
processes/ under it); a step that cannot be followed raises tryout.ScenarioError."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.demo import tryout
from engine.platform.config import PROJECT_ROOT, Settings

SCENARIOS = PROJECT_ROOT / "tests" / "data" / "scenarios"


def settings_for(data_dir: Path, folders: Path | None = None) -> Settings:
    root = folders or PROJECT_ROOT
    return Settings(
        data_dir=data_dir,
        database_url="sqlite://",
        redis_url=None,
        secret_key="-",
        bpmn_dir=root / "bpmn",
        forms_dir=root / "forms",
        processes_dir=root / "processes",
    )


def play_scenario(
    scenario: str | Path | dict[str, Any],
    *,
    folders: Path | None = None,
    data_dir: Path | None = None,
    **changes: Any,
) -> tryout.Outcome:
    """Play a scenario (a name under tests/data/scenarios, a path, or a mapping) and return
    what it did; `changes` replace top-level keys (`start=...`, `steps=...`)."""
    base = folders
    if isinstance(scenario, dict):
        loaded = dict(scenario)
    else:
        path = Path(scenario)
        if not path.suffix:
            path = SCENARIOS / f"{scenario}.yaml"
        loaded, base = tryout.load_scenario(path), path.parent
    loaded.update(changes)
    settings = settings_for(data_dir or Path("/nonexistent"), folders)
    return tryout.play(settings, loaded, say=lambda _: None, base=base)


def ends_told(name: str, status: str) -> tryout.Outcome:
    """Play a shipped procedure's scenario; check it ends with `status` and that the last
    thing the run did told the citizen (a notification to the applicant)."""
    outcome = play_scenario(name)
    assert outcome.status == status, outcome.lines
    last_step = max(i for i, line in enumerate(outcome.lines) if not line.startswith(" "))
    told = [line for line in outcome.lines if line.startswith("    notificare către petent")]
    assert told, outcome.lines
    assert any(outcome.lines.index(t) > last_step - 10 for t in told)
    return outcome
