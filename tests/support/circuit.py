"""A test Circuit's plumbing: its settings, and the log of the jobs its code asks for."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from engine import jobs
from engine.circuit import Circuit
from engine.platform.config import PROJECT_ROOT, Settings
from engine.platform.dispatch import PendingJob
from engine.platform.timeutil import as_aware, utcnow
from engine.workflow.catalog import Catalog


@dataclass
class JobLog:
    """Jobs the code asked for, in order; immediate ones are run in-process after commit."""

    sent: list[PendingJob] = field(default_factory=list)
    run_immediately: bool = True

    def __call__(self, pending: list[PendingJob]) -> None:
        self.sent.extend(pending)
        if not self.run_immediately:
            return
        for job in pending:
            if job.at is None or as_aware(job.at) <= utcnow():
                if job.name == "fire_timer":
                    jobs.fire_timer(*job.args)
                elif job.name == "send_notification":
                    jobs.send_notification(*job.args)
                elif job.name == "send_account_mail":
                    jobs.send_account_mail(*job.args)

    def named(self, name: str) -> list[PendingJob]:
        return [j for j in self.sent if j.name == name]


def make_settings(data_dir: Path, url: str, redis: str | None, **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(
        data_dir=data_dir,
        database_url=url,
        redis_url=redis,
        secret_key="test-secret-key",
    )
    values.update(overrides)
    return Settings(**values)


def with_test_procedures(circuit: Circuit, data: Path, tmp_path: Path) -> Circuit:
    """Deploy the repository's procedures plus a test data folder's (its bpmn/, forms/ and
    processes/) into the test Circuit, as a designer's folders would hold them."""
    for kind in ("bpmn", "forms", "processes"):
        shutil.copytree(PROJECT_ROOT / kind, tmp_path / kind)
        shutil.copytree(data / kind, tmp_path / kind, dirs_exist_ok=True)
    circuit.settings = replace(
        circuit.settings,
        bpmn_dir=tmp_path / "bpmn",
        forms_dir=tmp_path / "forms",
        processes_dir=tmp_path / "processes",
    )
    circuit.catalog = Catalog.load(circuit.settings.processes_dir)
    circuit.deploy_all()
    return circuit
