"""An inbox's pages, of one department or several, in either order, with each claim filter
and with or without heads' steps, are the slices of one sorted list of the READY tasks, and
its count is that list's length."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from sqlalchemy import select, update

from engine.cases import queries
from engine.cases.queries import InboxClaim, InboxOrder
from engine.models import TaskRecord, TaskState
from tests.support.statsdata import seed_request

TRIO = ["juridic", "taxe", "urbanism"]
START = date(2026, 10, 1)


def seed_inboxes(circuit, people):
    """36 open requests over three departments: few days and deadlines, so the order meets
    ties (broken by the task's id); some held by an official, some steps for heads."""
    holders = [None, None, people["urbanism"], people["taxe"]]
    with circuit.db.transaction() as s:
        for k in range(36):
            seed_request(
                s,
                procedure="petitie",
                department=TRIO[k % 3],
                registered=START + timedelta(days=k % 5),
                due=START + timedelta(days=20 + k % 4),
                held_by=holders[k % 4],
            )
        ready = select(TaskRecord.id).where(TaskRecord.state == TaskState.READY)
        for_heads = list(s.scalars(ready.order_by(TaskRecord.id)))[::5]
        s.execute(update(TaskRecord).where(TaskRecord.id.in_(for_heads)).values(role="head"))


def expected(s, departments, order, claim, user_id, head_of):
    tasks = s.scalars(
        select(TaskRecord).where(
            TaskRecord.state == TaskState.READY, TaskRecord.department.in_(departments)
        )
    ).all()
    kept = [
        t
        for t in tasks
        if (t.role != "head" or t.department in head_of)
        and (claim != InboxClaim.FREE or t.claimed_by_id is None)
        and (claim != InboxClaim.MINE or t.claimed_by_id == user_id)
    ]
    if order == InboxOrder.NEAREST_DEADLINE:
        kept.sort(key=lambda t: (t.due_date, t.request_created_at, t.id))
    else:
        kept.sort(key=lambda t: (t.request_created_at, t.id))
    return [t.id for t in kept]


def test_inbox_pages_are_slices_of_one_sorted_list(circuit, people):
    seed_inboxes(circuit, people)
    combinations = itertools.product(
        (["urbanism"], TRIO), InboxOrder, InboxClaim, ((), ("urbanism",))
    )
    with circuit.db.session() as s:
        for departments, order, claim, head_of in combinations:
            user_id = people["urbanism"]
            whole = expected(s, departments, order, claim, user_id, head_of)
            assert whole, (departments, order, claim, head_of)
            kwargs = {"order": order, "claim": claim, "user_id": user_id, "head_of": head_of}
            pages = []
            for offset in range(0, len(whole) + 7, 7):
                rows = queries.department_inbox(s, departments, limit=7, offset=offset, **kwargs)
                assert all(row.request.id == row.task.request_id for row in rows)
                pages.append([row.task.id for row in rows])
            assert [i for page in pages for i in page] == whole, (departments, order, claim)
            assert pages[-1] == []
            del kwargs["order"]
            assert queries.inbox_count(s, departments, **kwargs) == len(whole)


def test_an_inbox_counts_up_to_its_cap_and_says_more_than(circuit, people):
    seed_inboxes(circuit, people)
    with circuit.db.session() as s:
        whole = queries.inbox_count(s, TRIO)
        assert whole > 10
        assert queries.inbox_count(s, TRIO, cap=10) == 11  # counted no further than cap + 1
    from webapp.portal import count_label

    assert count_label(11, 10) == "peste 10"
    assert count_label(10, 10) == "10"
    assert count_label(12_345, 10_000) == "peste 10.000"
    assert count_label(1_234, 10_000) == "1.234"
