"""The procedure catalog: one JSON file per procedure in processes/, edited by designers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.legal_calendar import DeadlineKind


@dataclass(frozen=True)
class AttachmentSpec:
    """An attachment a form accepts: its field name, the types and the size allowed."""

    name: str
    title: str
    required: bool
    types: tuple[str, ...]
    max_bytes: int
    multiple: bool = False

    def as_api(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "required": self.required,
            "types": list(self.types),
            "max_bytes": self.max_bytes,
            "multiple": self.multiple,
        }


def _attachments(raw: list[dict[str, Any]]) -> tuple[AttachmentSpec, ...]:
    return tuple(
        AttachmentSpec(
            name=a["name"],
            title=a.get("title", a["name"]),
            required=bool(a.get("required")),
            types=tuple(a["types"]),
            max_bytes=int(a["max_bytes"]),
            multiple=bool(a.get("multiple")),
        )
        for a in raw
    )


def form_attachments(schema: dict[str, Any]) -> tuple[AttachmentSpec, ...]:
    """Return the files a form accepts, listed under its `x-attachments`."""
    return _attachments(schema.get("x-attachments", []))


@dataclass(frozen=True)
class Procedure:
    """A procedure citizens can start: title, legal basis, deadline rule, diagram, forms."""

    id: str
    title: str
    description: str
    legal_basis: str
    deadline_days: int
    deadline_kind: DeadlineKind
    bpmn: str
    process_id: str
    start_form: str
    reminder_days: int | None = None
    reminder_after_seconds: int | None = None  # for drills and tests instead of reminder_days
    answer_field: str | None = None
    summary_field: str | None = None
    attachments: tuple[AttachmentSpec, ...] = ()
    reply_attachments: tuple[AttachmentSpec, ...] = ()
    archive: dict[str, Any] = field(default_factory=dict)
    max_files: int = 20  # files on one request, all steps together
    withdrawable: bool = False  # the applicant may withdraw it while it is open
    variables: dict[str, Any] = field(default_factory=dict)  # data every instance starts with

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Procedure:
        deadline = raw["deadline"]
        return cls(
            id=raw["id"],
            title=raw["title"],
            description=raw.get("description", ""),
            legal_basis=raw.get("legal_basis", ""),
            deadline_days=int(deadline["days"]),
            deadline_kind=DeadlineKind(deadline.get("kind", "calendar")),
            bpmn=raw["bpmn"],
            process_id=raw["process_id"],
            start_form=raw["start_form"],
            reminder_days=raw.get("reminder_days"),
            reminder_after_seconds=raw.get("reminder_after_seconds"),
            answer_field=raw.get("answer_field"),
            summary_field=raw.get("summary_field"),
            attachments=_attachments(raw.get("attachments", [])),
            reply_attachments=_attachments(raw.get("reply_attachments", [])),
            archive=raw.get("archive", {}),
            max_files=int(raw.get("max_files", 20)),
            withdrawable=bool(raw.get("withdrawable", False)),
            variables=dict(raw.get("variables", {})),
        )


class Catalog:
    """All procedures found in a directory, by id."""

    def __init__(self, procedures: dict[str, Procedure]) -> None:
        self._procedures = procedures

    @classmethod
    def load(cls, directory: Path) -> Catalog:
        procedures: dict[str, Procedure] = {}
        for path in sorted(directory.glob("*.json")):
            with open(path, encoding="utf-8") as fh:
                proc = Procedure.from_dict(json.load(fh))
            procedures[proc.id] = proc
        return cls(procedures)

    def get(self, procedure_id: str) -> Procedure | None:
        return self._procedures.get(procedure_id)

    def all(self) -> list[Procedure]:
        return sorted(self._procedures.values(), key=lambda p: p.title)
