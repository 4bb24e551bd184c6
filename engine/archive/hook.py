"""Every file Circuit stores goes to the archive: a flush that adds a document (or a register
entry with scans) asks for an indexing job, sent after the commit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from engine.models import Document, RegistryEntry
from engine.platform.dispatch import defer

INDEX_DOCUMENT_JOB = "archive_index_document"
INDEX_ENTRY_JOB = "archive_index_entry"


@event.listens_for(Session, "after_flush")
def _archive_new_files(session: Session, _context: Any) -> None:
    for obj in session.new:
        if isinstance(obj, Document):
            defer(session, INDEX_DOCUMENT_JOB, obj.id, job_id=f"archive-document-{obj.id}")
        elif isinstance(obj, RegistryEntry) and obj.documents:
            defer(session, INDEX_ENTRY_JOB, obj.id, job_id=f"archive-entry-{obj.id}")
