"""A test Circuit's plumbing: its settings, and the log of the jobs its code asks for."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine import jobs
from engine.platform.config import Settings
from engine.platform.dispatch import PendingJob
from engine.platform.timeutil import as_aware, utcnow


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
