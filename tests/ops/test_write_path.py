"""What the write path keeps between transactions stays true to the database: the roster of
staffed departments, and the workflows kept per process by (instance, revision)."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from engine.cases import operations
from engine.models import Instance, Membership, Request, RequestStatus, User
from engine.people import accounts
from engine.platform.errors import CircuitError
from engine.workflow import runtime
from tests.support.engine import TRIAGE_TO_URBANISM, complete, ready_task_id, submit_petition

UNSTAFFED = "stare_civila"  # no seeded person works there
TO_UNSTAFFED = {"decizie_triere": "repartizare", "departament": UNSTAFFED}


def test_routing_follows_people_joining_and_leaving_at_once(circuit, people):
    first = submit_petition(circuit, people["citizen"]).id
    with pytest.raises(CircuitError):  # nobody works there: refused, in Romanian
        complete(circuit, people["registry"], ready_task_id(circuit, first), TO_UNSTAFFED)

    with circuit.db.transaction() as s:  # someone joins: routing there works right away
        accounts.create_user(
            s, "nou@primarie.ro", "Dan Nou", "Parola-Lunga-1", departments=[UNSTAFFED]
        )
    complete(circuit, people["registry"], ready_task_id(circuit, first), TO_UNSTAFFED)

    with circuit.db.transaction() as s:  # they leave (a bulk delete): refused again at once
        s.execute(delete(Membership).where(Membership.department_code == UNSTAFFED))
    second = submit_petition(circuit, people["citizen"]).id
    with pytest.raises(CircuitError):
        complete(circuit, people["registry"], ready_task_id(circuit, second), TO_UNSTAFFED)


def test_a_step_written_elsewhere_is_never_undone_by_a_kept_workflow(circuit, people):
    rid = submit_petition(circuit, people["citizen"]).id
    with circuit.db.session() as s:
        instance_id = s.scalar(select(Instance.id).where(Instance.request_id == rid))
    stale = dict(runtime._saved)  # this process's workflow as it was at submission
    complete(circuit, people["registry"], ready_task_id(circuit, rid), TRIAGE_TO_URBANISM)
    # Another node triaged it, as far as this process knows: its kept copy is the old one.
    runtime._saved.update(stale)
    task = ready_task_id(circuit, rid)
    answer = {"actiune": "propune_raspuns", "raspuns": "Remediem în 5 zile."}
    request = complete(circuit, people["urbanism"], task, answer)
    with circuit.db.session() as s:
        assert s.get(Request, rid).status == RequestStatus.IN_PROGRESS
        row = s.get(Instance, instance_id)
        assert row.revision == 3  # submit, triage, draft: each written once, none lost
    assert request.status == RequestStatus.IN_PROGRESS


def test_a_rolled_back_step_leaves_no_kept_workflow(circuit, people):
    rid = submit_petition(circuit, people["citizen"]).id
    task = ready_task_id(circuit, rid)
    with pytest.raises(CircuitError), circuit.db.transaction() as s:
        registry = s.get(User, people["registry"])
        operations.complete_task(s, circuit, registry, task, TRIAGE_TO_URBANISM)
        raise _Refused("Oprit.")  # the step went through, then the unit of work failed
    with circuit.db.session() as s:
        assert s.get(Request, rid).status == RequestStatus.REGISTERED
    # The step is done again from the database's state, and once.
    complete(circuit, people["registry"], task, TRIAGE_TO_URBANISM)
    with circuit.db.session() as s:
        assert s.scalar(select(Instance.revision).where(Instance.request_id == rid)) == 2


class _Refused(CircuitError):
    pass
