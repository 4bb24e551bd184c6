"""Dashboards and the predicted answer date, computed on requests whose dates we chose."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import update

from engine.cases import stats
from engine.models import Request, RequestStatus, User
from engine.people import accounts
from engine.platform.errors import BadRequest, Forbidden
from engine.platform.timeutil import local_today
from tests.support import engine as steps
from tests.support.seed import PASSWORD
from tests.support.statsdata import seed_request

TODAY = date(2026, 11, 20)  # a Friday
D = timedelta


def seed_city(circuit, people):
    """Seed figures known by hand (see each block)."""
    with circuit.db.transaction() as s:
        # urbanism, petitions answered in October after 2, 4, 6, 8 and 30 days, term 20 days:
        # 4 on time, 1 late; median 6, 90th percentile (nearest rank 5 of 5) 30.
        reg = date(2026, 10, 1)
        for days in (8, 2, 30, 6, 4):
            seed_request(
                s,
                procedure="petitie",
                department="urbanism",
                registered=reg,
                due=reg + D(20),
                answered=reg + D(days),
            )
        # taxe, public information answered in November after 1, 3, 5 and 9 days, term
        # 8 days: the 9-day one is late; median (3 + 5) / 2 = 4, 90th percentile 9.
        reg = date(2026, 11, 2)
        for days in (5, 1, 9, 3):
            seed_request(
                s,
                procedure="informatii_publice",
                department="taxe",
                registered=reg,
                due=reg + D(8),
                answered=reg + D(days),
            )
        # urbanism, open petitions: due 2 days ago (overdue), in 2 and 4 days (at risk),
        # in 5 days and in 25 days (neither).
        holders = [people["urbanism"], people["urbanism"], people["urbanism_head"], None, None]
        for left, held in zip((-2, 2, 4, 5, 25), holders, strict=True):
            seed_request(
                s,
                procedure="petitie",
                department="urbanism",
                registered=TODAY - D(20),
                due=TODAY + D(left),
                held_by=held,
            )
        # a petition still at the registry, not yet given to anyone: the registry's row
        seed_request(
            s,
            procedure="petitie",
            department="registratura",
            registered=TODAY,
            due=TODAY + D(30),
        )
        # outside the period (answered in 2025), withdrawn, joined: none counts as answered
        seed_request(
            s,
            procedure="petitie",
            department="urbanism",
            registered=date(2025, 3, 3),
            due=date(2025, 4, 3),
            answered=date(2025, 3, 10),
        )
        seed_request(
            s,
            procedure="petitie",
            department="urbanism",
            registered=date(2026, 10, 1),
            due=date(2026, 10, 31),
            status=RequestStatus.WITHDRAWN,
        )
        first = seed_request(
            s,
            procedure="petitie",
            department="taxe",
            registered=date(2026, 10, 1),
            due=date(2026, 10, 31),
            answered=date(2026, 10, 5),
        )
        joined = seed_request(
            s,
            procedure="petitie",
            department="taxe",
            registered=date(2026, 10, 2),
            due=date(2026, 11, 1),
            answered=date(2026, 10, 5),
        )
        s.execute(update(Request).where(Request.id == joined.id).values(joined_to_id=first.id))


def figures(circuit, user_id, department=None, start=date(2026, 6, 1), end=TODAY):
    with circuit.db.session() as s:
        user = s.get(User, user_id)
        query = stats.StatsQuery(start, end, department, TODAY)
        return stats.dashboard(s, user, query)


def by_key(result):
    return {(r.department, r.procedure): r for r in result.rows}


def test_the_secretary_sees_every_figure_computed_as_by_hand(circuit, people):
    seed_city(circuit, people)
    result = figures(circuit, people["secretar"])
    rows = by_key(result)
    assert set(rows) == {
        ("urbanism", "petitie"),
        ("taxe", "informatii_publice"),
        ("taxe", "petitie"),
        ("registratura", "petitie"),
    }
    u = rows["urbanism", "petitie"]
    assert (u.open, u.overdue, u.at_risk) == (5, 1, 2)
    assert (u.answered_on_time, u.answered_late) == (4, 1)
    assert (u.median_days, u.p90_days) == (6, 30)
    t = rows["taxe", "informatii_publice"]
    assert (t.open, t.overdue, t.at_risk) == (0, 0, 0)
    assert (t.answered_on_time, t.answered_late) == (3, 1)
    assert (t.median_days, t.p90_days) == (4, 9)
    # the joined petition shares its first's answer: one answer, counted once
    assert rows["taxe", "petitie"].answered == 1
    assert rows["registratura", "petitie"].open == 1
    months = {(m.month, m.department, m.procedure): (m.on_time, m.late) for m in result.months}
    assert months == {
        ("2026-10", "urbanism", "petitie"): (4, 1),
        ("2026-10", "taxe", "petitie"): (1, 0),
        ("2026-11", "taxe", "informatii_publice"): (3, 1),
    }
    totals = dict((m, (a, b)) for m, a, b in result.month_totals())
    assert list(totals)[0] == "2026-06" and list(totals)[-1] == "2026-11"
    assert totals["2026-10"] == (5, 1) and totals["2026-07"] == (0, 0)
    load = {(r.name, r.department): (r.open_tasks, r.overdue_tasks) for r in result.load}
    assert load == {("Andrei Stan", "urbanism"): (2, 1), ("Cristina Vlad", "urbanism"): (1, 0)}


def test_the_period_bounds_the_answers_not_what_is_open_now(circuit, people):
    seed_city(circuit, people)
    rows = by_key(figures(circuit, people["primar"], start=date(2026, 11, 1)))
    assert rows["urbanism", "petitie"].answered == 0
    assert rows["urbanism", "petitie"].open == 5
    assert rows["taxe", "informatii_publice"].answered == 4
    old = by_key(figures(circuit, people["primar"], start=date(2025, 1, 1), end=date(2025, 12, 31)))
    assert old["urbanism", "petitie"].answered == 1


def test_a_head_sees_only_the_departments_they_lead(circuit, people):
    seed_city(circuit, people)
    result = figures(circuit, people["urbanism_head"])
    assert {r.department for r in result.rows} == {"urbanism"}
    assert result.departments == ["urbanism"]
    assert {r.department for r in result.load} == {"urbanism"}
    with pytest.raises(Forbidden):
        figures(circuit, people["urbanism_head"], department="taxe")
    only = figures(circuit, people["secretar"], department="taxe")
    assert {r.department for r in only.rows} == {"taxe"}


@pytest.mark.parametrize("who", ["citizen", "urbanism", "registry"])
def test_citizens_and_plain_officials_are_refused(circuit, people, who):
    with pytest.raises(Forbidden) as refused:
        figures(circuit, people[who])
    assert "șefii de compartiment" in refused.value.message


def test_an_administrator_sees_all(circuit, people):
    seed_city(circuit, people)
    with circuit.db.transaction() as s:
        admin = accounts.create_user(s, "admin@primarie.ro", "Admin", PASSWORD, is_admin=True)
    assert len(figures(circuit, admin.id).rows) == 4


def test_bad_filters_get_a_romanian_sentence(circuit, people):
    with circuit.db.session() as s:
        sec = s.get(User, people["secretar"])
        head = s.get(User, people["urbanism_head"])
        with pytest.raises(BadRequest, match="AAAA-LL-ZZ"):
            stats.parse_query(s, sec, "31.12.2026", None, None)
        with pytest.raises(BadRequest, match="înainte să înceapă"):
            stats.parse_query(s, sec, "2026-12-01", "2026-11-01", None)
        with pytest.raises(BadRequest, match="nu există"):
            stats.parse_query(s, sec, None, None, "nicaieri")
        with pytest.raises(Forbidden):
            stats.parse_query(s, head, None, None, "taxe")
        q = stats.parse_query(s, head, None, "2026-11-20", "urbanism")
        assert (q.start, q.end, q.department) == (date(2025, 12, 1), TODAY, "urbanism")


def test_the_csv_opens_in_a_spreadsheet_with_diacritics_and_no_formulas(circuit, people):
    seed_city(circuit, people)
    result = figures(circuit, people["secretar"])
    body = stats.to_csv(result, {"urbanism": "=Urbanism"}, {"petitie": "Petiție"})
    assert body.startswith(b"\xef\xbb\xbf")
    lines = body.decode("utf-8-sig").splitlines()
    assert lines[0].startswith('"Compartiment";"Procedură";"Deschise"')
    urb = next(line for line in lines if "Urbanism" in line)
    assert urb == '"\'=Urbanism";"Petiție";5;1;2;4;1;6;30'
    assert any(line.endswith(";4;9") for line in lines)  # taxe's median 4, p90 9


# The predicted answer date

OCT5 = date(2026, 10, 5)  # a Monday; October 2026 has no public holiday


def answered_after(s, n, working_days, department="urbanism", procedure="petitie", reg=OCT5):
    """Add n answered requests that took this many working days (Mon + 4 = Fri, + 5 = Mon)."""
    answer = {4: reg + D(4), 5: reg + D(7), 10: reg + D(14)}[working_days]
    for _ in range(n):
        seed_request(
            s,
            procedure=procedure,
            department=department,
            registered=reg,
            due=reg + D(30),
            answered=answer,
        )


def predict(circuit, request_id, today=TODAY):
    with circuit.db.session() as s:
        req = s.get(Request, request_id)
        return stats.prediction(s, circuit.calendar(s), req, today)


def test_a_prediction_needs_ten_answers_of_the_same_department_and_procedure(circuit, people):
    with circuit.db.transaction() as s:
        mine = seed_request(
            s, procedure="petitie", department="urbanism", registered=TODAY, due=TODAY + D(30)
        ).id
        answered_after(s, 5, 4)
        answered_after(s, 4, 5)
        # these do not count: another department, another procedure, older than 90 days
        answered_after(s, 3, 10, department="taxe")
        answered_after(s, 3, 10, procedure="informatii_publice")
        answered_after(s, 3, 10, reg=date(2026, 8, 3))
    assert predict(circuit, mine) is None  # nine are not enough
    with circuit.db.transaction() as s:
        answered_after(s, 1, 10)
    p = predict(circuit, mine)
    # [4, 4, 4, 4, 4, 5, 5, 5, 5, 10]: median 4.5, 9th of 10 is 5
    assert p == stats.Prediction(4.5, 5, 10)
    assert p.typical_days == 5
    assert p.as_api() == {"median_working_days": 4.5, "p90_working_days": 5, "based_on": 10}
    # 90 days later those answers are too old to say anything
    assert predict(circuit, mine, today=TODAY + D(90)) is None


def test_working_days_skip_weekends_and_public_holidays(circuit):
    with circuit.db.session() as s:
        cal = circuit.calendar(s)
    # Fri 27 Nov 2026 -> Wed 2 Dec: Mon 30 Nov and Tue 1 Dec are public holidays
    pairs = [(date(2026, 11, 27), date(2026, 12, 2)), (OCT5, OCT5), (OCT5, OCT5 + D(7))]
    assert stats.working_days_between(cal, pairs) == [1, 0, 5]


def test_a_petition_answered_through_the_real_circuit_counts_for_its_department(circuit, people):
    """Registry, urbanism, its head and the mayor's signature: the answer is urbanism's, not
    the mayor's (who signed last); a petition not yet triaged is the registry's."""
    answered = steps.submit_petition(circuit, people["citizen"]).id
    waiting = steps.submit_petition(circuit, people["citizen2"]).id
    for who, data in (
        ("registry", steps.TRIAGE_TO_URBANISM),
        ("urbanism", {"actiune": "propune_raspuns", "raspuns": "Groapa va fi astupată."}),
        ("urbanism_head", {"decizie_sef": "aprobat"}),
        ("primar", steps.SIGNED),
    ):
        steps.complete(circuit, people[who], steps.ready_task_id(circuit, answered), data)
    today = local_today()
    with circuit.db.session() as s:
        assert s.get(Request, answered).status == RequestStatus.COMPLETED
        result = stats.dashboard(
            s, s.get(User, people["secretar"]), stats.StatsQuery(today, today, None, today)
        )
        assert stats.request_department(s, waiting) == "registratura"
    rows = by_key(result)
    assert set(rows) == {("urbanism", "petitie"), ("registratura", "petitie")}
    urb = rows["urbanism", "petitie"]
    assert (urb.open, urb.answered_on_time, urb.answered_late, urb.median_days) == (0, 1, 0, 0)
    assert rows["registratura", "petitie"].open == 1
