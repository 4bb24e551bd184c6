"""Finding documents in the archive, and who may: full text and metadata, without case or
diacritics (PostgreSQL: a tsvector over unaccent; SQLite: FTS5), ranked, with the passage."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Subquery,
    column,
    exists,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
    true,
)
from sqlalchemy.orm import Session

from engine import audit
from engine.archive.fold import Snippet, snippet, words
from engine.cases.queries import SUPERVISORS
from engine.models import AccessLogEntry, ArchiveDocument, Request, TaskRecord, User
from engine.people import mydata
from engine.platform.errors import Forbidden, NotFound
from engine.platform.timeutil import utcnow

ARCHIVE_DEPARTMENT = "arhiva"
PER_PAGE = 20
COUNT_CAP = 10_000  # "more than 10,000": counting a million matches helps no one
RANK_CAP = 2_000  # on PostgreSQL, the most matches ranked (and counted) for one search
BROAD = 20_000  # matches the planner expects of a broad query (PostgreSQL)
PROBE_ROWS = 60_000  # the most of the newest documents read for a broad query's matches
MAX_PAGE = 500
FTS = table("archive_fts", column("rowid"))  # SQLite's FTS5 index (migration 0018)


@dataclass(frozen=True)
class Query:
    q: str = ""
    year: int | None = None
    doc_type: str | None = None
    file_code: str | None = None
    department: str | None = None
    page: int = 1


@dataclass(frozen=True)
class Hit:
    doc: ArchiveDocument
    score: float
    snippet: Snippet


@dataclass(frozen=True)
class Results:
    hits: list[Hit]
    total: int
    capped: bool  # there are more than `total` (counted up to RANK_CAP or COUNT_CAP)


def sees_all(user: User) -> bool:
    """Tell whether an official sees the whole archive: the archive, supervisors, admins."""
    return user.is_admin or bool(({ARCHIVE_DEPARTMENT} | SUPERVISORS) & set(user.departments))


def require_official(user: User | None) -> User:
    """Refuse citizens: the archive is for the city hall's officials."""
    if user is None or not (user.is_admin or user.is_official):
        raise Forbidden("Arhiva poate fi consultată numai de funcționarii primăriei.")
    return user


def _visible(user: User) -> ColumnElement[bool]:
    """Documents of the requests and entries the official's departments touched."""
    if sees_all(user):
        return true()
    deps = user.departments
    touched = exists().where(
        TaskRecord.request_id == ArchiveDocument.request_id, TaskRecord.department.in_(deps)
    )
    return or_(ArchiveDocument.department.in_(deps), touched)


def _filters(query: Query) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = [ArchiveDocument.disposed_at.is_(None)]
    if query.year:
        out.append(ArchiveDocument.year == query.year)
    if query.doc_type:
        out.append(func.lower(ArchiveDocument.doc_type) == query.doc_type.strip().lower())
    if query.file_code:
        out.append(ArchiveDocument.file_code == query.file_code.strip())
    if query.department:
        out.append(ArchiveDocument.department == query.department.strip())
    return out


def _page_rows(
    session: Session, wanted: list[str], where: list[ColumnElement[bool]], page: int
) -> tuple[list[Any], int]:
    """Return the page's (id, score) rows, best first, and the matches counted up to
    COUNT_CAP + 1, for this database."""
    offset = (page - 1) * PER_PAGE
    if not wanted:
        listing = select(ArchiveDocument.id).where(*where)
        rows: Any = session.execute(
            select(ArchiveDocument.id, literal_column("0.0"))
            .where(*where)
            .order_by(ArchiveDocument.doc_date.desc().nulls_last(), ArchiveDocument.id.desc())
            .limit(PER_PAGE)
            .offset(offset)
        ).all()
        return list(rows), _count(session, listing)
    if session.get_bind().dialect.name == "postgresql":
        return _postgresql_rows(session, wanted, where, offset)
    fts: ColumnElement[Any] = literal_column("archive_fts")
    score = -func.bm25(fts, 10.0, 5.0, 3.0, 3.0, 3.0, 1.0)
    matching = (
        select(ArchiveDocument.id)
        .select_from(ArchiveDocument)
        .join(FTS, FTS.c.rowid == ArchiveDocument.id)
        .where(fts.op("MATCH")(" ".join(f'"{w}"' for w in wanted)), *where)
    )
    rows = session.execute(
        matching.add_columns(score)
        .order_by(score.desc(), ArchiveDocument.id.desc())
        .limit(PER_PAGE)
        .offset(offset)
    ).all()
    return list(rows), _count(session, matching)


def _postgresql_rows(
    session: Session, wanted: list[str], where: list[ColumnElement[bool]], offset: int
) -> tuple[list[Any], int]:
    """Rank by ts_rank_cd in one pass over at most RANK_CAP + 1 matches (a word in half of a
    million documents would otherwise be ranked half a million times): beyond that the
    ranking is among RANK_CAP of them, and the answer says there are more.

    A broad query (the planner expects its words in many of the documents the filters
    leave) takes its matches from the newest documents, reading at most PROBE_ROWS of them:
    about 20 ms, where the GIN index would first list every match (200 ms for 400,000 of
    them at a million documents). When those hold too few matches after all, or the query
    is selective, the GIN index finds them."""
    # psycopg prepares a statement run five times, and PostgreSQL then plans it once for
    # any tsquery: for a common word that generic plan lists every match (measured: 25 ms
    # became 250 ms from the tenth search on). Each search is planned for its own words.
    session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    tsq = func.plainto_tsquery(literal_column("'simple'"), " ".join(wanted))
    vector: ColumnElement[Any] = literal_column("archive_documents.search_vector")
    budget = _probe_budget(session, vector.op("@@")(tsq), where)
    if budget:
        recent = (
            select(ArchiveDocument.id, vector.label("vector"))
            .where(*where)
            .order_by(ArchiveDocument.id.desc())
            .limit(budget)
            .subquery()
        )
        newest = (
            select(recent.c.id, func.ts_rank_cd(recent.c.vector, tsq).label("score"))
            .where(recent.c.vector.op("@@")(tsq))
            .limit(RANK_CAP + 1)
            .subquery()
        )
        rows, counted = _ranked_page(session, newest, offset)
        if counted > RANK_CAP:
            return rows, counted
    found = (
        select(ArchiveDocument.id, func.ts_rank_cd(vector, tsq).label("score"))
        .where(vector.op("@@")(tsq), *where)
        .limit(RANK_CAP + 1)
        .subquery()
    )
    return _ranked_page(session, found, offset)


def _ranked_page(session: Session, found: Subquery, offset: int) -> tuple[list[Any], int]:
    rows = session.execute(
        select(found.c.id, found.c.score, func.count().over())
        .order_by(found.c.score.desc(), found.c.id.desc())
        .limit(PER_PAGE)
        .offset(offset)
    ).all()
    if rows:
        counted = rows[0][2]
    else:
        counted = session.scalar(select(func.count()).select_from(found)) or 0
    return [(r[0], r[1]) for r in rows], counted


def _probe_budget(
    session: Session, matches: ColumnElement[bool], where: list[ColumnElement[bool]]
) -> int:
    """Return how many of the newest documents to read for RANK_CAP + 1 matches of a broad
    query, with a margin, by the planner's estimates; 0 when the query is not broad (too
    few matches expected, or too sparse among the documents the filters leave)."""
    expected = _estimated_rows(session, select(ArchiveDocument.id).where(matches, *where))
    if expected < BROAD:
        return 0
    candidates = _estimated_rows(session, select(ArchiveDocument.id).where(*where))
    budget = math.ceil(1.5 * (RANK_CAP + 1) * max(candidates, expected) / expected)
    return budget if budget <= PROBE_ROWS else 0


def _estimated_rows(session: Session, query: Select[Any]) -> float:
    """Return the planner's estimate of a query's rows (EXPLAIN plans it, runs nothing)."""
    compiled = query.compile(
        dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True}
    )
    plan = (
        session.connection()
        .exec_driver_sql("EXPLAIN (FORMAT JSON) " + compiled.string, compiled.params)
        .scalar()
    )
    if isinstance(plan, str):
        plan = json.loads(plan)
    return float(plan[0]["Plan"]["Plan Rows"]) if plan else 0.0


def _count(session: Session, matching: Select[Any]) -> int:
    capped = matching.limit(COUNT_CAP + 1).subquery()
    return session.scalar(select(func.count()).select_from(capped)) or 0


def search(session: Session, user: User, query: Query) -> Results:
    """Return a page of the documents this official may see that match, best first."""
    require_official(user)
    wanted = words(query.q)
    page = min(max(query.page, 1), MAX_PAGE)
    rows, counted = _page_rows(session, wanted, [_visible(user), *_filters(query)], page)
    postgresql = session.get_bind().dialect.name == "postgresql"
    cap = RANK_CAP if wanted and postgresql else COUNT_CAP
    wanted_ids = [r[0] for r in rows]
    docs = (
        {
            d.id: d
            for d in session.scalars(
                select(ArchiveDocument).where(ArchiveDocument.id.in_(wanted_ids))
            )
        }
        if wanted_ids
        else {}
    )
    hits = [
        Hit(docs[i], float(s or 0.0), snippet(docs[i].text or docs[i].title, wanted))
        for i, s in rows
    ]
    return Results(hits, min(counted, cap), counted > cap)


def open_document(
    session: Session, user: User, archive_id: int, action: str = mydata.OPENED
) -> ArchiveDocument:
    """Return a document this official may see (else NotFound, as for a missing id); the
    opening of one that holds personal data is logged, for its person to see."""
    require_official(user)
    doc = session.scalar(
        select(ArchiveDocument).where(
            ArchiveDocument.id == archive_id,
            ArchiveDocument.disposed_at.is_(None),
            _visible(user),
        )
    )
    if doc is None:
        raise NotFound("Documentul nu există în arhivă.")
    if doc.personal_data:
        _log_opening(session, user, doc, action)
    return doc


def _log_opening(session: Session, user: User, doc: ArchiveDocument, action: str) -> None:
    what = f"documentul din arhivă „{doc.title}”"
    audit.record(
        session,
        f"archive_document_{action}",
        actor_id=user.id,
        request_id=doc.request_id,
        archive_document_id=doc.id,
    )
    request = session.get(Request, doc.request_id) if doc.request_id else None
    if request is not None and request.applicant_id is not None:
        mydata.record_access(session, user, request, action, what)
        return
    subject = (
        session.scalar(select(User.id).where(User.cnp_hash == doc.person_cnp_hash))
        if doc.person_cnp_hash
        else None
    )
    if subject is not None and subject != user.id:
        session.info[mydata.ACCESS_LOGGED] = True  # a page that only reads commits the log
        session.add(
            AccessLogEntry(
                at=utcnow(),
                subject_id=subject,
                official_id=user.id,
                department=user.departments[0] if user.departments else None,
                action=action,
                what=what[:300],
            )
        )


# The distinct years, newest first, one index probe each (a loose index scan on the year
# index): DISTINCT read all of a million index entries, 120 ms on every page of the archive.
_YEARS = text(
    "WITH RECURSIVE found(year) AS ("
    " SELECT max(year) FROM archive_documents"
    " UNION ALL"
    " SELECT (SELECT max(year) FROM archive_documents WHERE year < found.year)"
    " FROM found WHERE found.year IS NOT NULL"
    ") SELECT year FROM found WHERE year IS NOT NULL"
)


def years(session: Session) -> list[int]:
    """Return the years the archive holds documents of, newest first (the filter's choices)."""
    return [y for y in session.scalars(_YEARS) if y]


def doc_date_text(day: date | None) -> str:
    return f"{day:%d.%m.%Y}" if day else ""
