"""/metrics: what an operator's Prometheus reads after real traffic, and who may read it."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from engine.models import Timer, TimerStatus
from engine.platform.timeutil import utcnow
from tests.support.api import complete, ready_task, submit

OUTSIDE = {"REMOTE_ADDR": "203.0.113.7"}


def scrape(client, **kwargs) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    r = client.get("/metrics", **kwargs)
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    assert r.headers["Content-Type"].startswith("text/plain")
    values = {}
    for family in text_string_to_metric_families(r.get_data(as_text=True)):
        for sample in family.samples:
            values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return values


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_move_with_traffic(client, api_for, circuit):
    citizen, registry = api_for("citizen"), api_for("registry")
    before = scrape(client)

    r = submit(client, citizen)
    assert r.status_code == 201, r.get_json()
    rid = r.get_json()["id"]
    task = ready_task(client, registry, rid)
    r = complete(
        client, registry, task["id"], {"decizie_triere": "repartizare", "departament": "urbanism"}
    )
    assert r.status_code == 200, r.get_json()
    assert client.get("/api/v1/requests/999999", headers=citizen).status_code == 404

    after = scrape(client)
    # Requests are labelled by their URL rule, never by the request's number.
    assert not any("999999" in dict(labels).get("route", "") for _, labels in after)
    routes = {dict(labels).get("route") for name, labels in after if "http" in name}
    assert any(route and route.startswith("/api/v1/requests/<") for route in routes), routes
    requests = "circuit_http_requests_total"
    created = {"method": "POST", "route": "/api/v1/requests"}
    assert value(after, requests, status="201", **created) == (
        value(before, requests, status="201", **created) + 1
    )
    missing = [
        v
        for (name, labels), v in after.items()
        if name == requests and dict(labels).get("status") == "404"
    ]
    assert sum(missing) >= 1
    latency = "circuit_http_request_duration_seconds_count"
    assert value(after, latency, **created) == value(before, latency, **created) + 1
    # The submission ran the engine to the first task, the completion ran it again.
    ok_steps = value(after, "circuit_engine_steps_total", outcome="ok")
    assert ok_steps >= value(before, "circuit_engine_steps_total", outcome="ok") + 2
    assert value(after, "circuit_engine_step_duration_seconds_count") >= (
        value(before, "circuit_engine_step_duration_seconds_count") + 2
    )
    assert value(after, "circuit_engine_tasks_total") > value(before, "circuit_engine_tasks_total")
    # One line in the register: the counter and today's count both moved by one.
    assert value(after, "circuit_registrations_total", direction="in") == (
        value(before, "circuit_registrations_total", direction="in") + 1
    )
    assert value(after, "circuit_registrations_today") == 1
    # The petition's legal deadline waits as a timer; none is late; the queue is readable.
    assert value(after, "circuit_timers", state="waiting") >= 1
    assert value(after, "circuit_timers_late") == 0
    assert ("circuit_queue_jobs", (("state", "queued"),)) in after


def test_a_timer_past_its_time_shows_as_late(client, api_for, circuit):
    r = submit(client, api_for("citizen"))
    assert r.status_code == 201, r.get_json()
    registry = api_for("registry")
    task = ready_task(client, registry, r.get_json()["id"])
    triage = {"decizie_triere": "repartizare", "departament": "urbanism"}
    assert complete(client, registry, task["id"], triage).status_code == 200
    with circuit.db.transaction() as s:
        s.execute(
            update(Timer)
            .where(Timer.status == TimerStatus.WAITING)
            .values(due_at=utcnow() - timedelta(minutes=5))
        )
    samples = scrape(client)
    assert value(samples, "circuit_timers_late") >= 1
    assert value(samples, "circuit_timers", state="due") >= 1


def test_metrics_are_not_public(client, circuit, monkeypatch):
    r = client.get("/metrics", environ_base=OUTSIDE)
    assert r.status_code == 404
    assert "circuit_" not in r.get_data(as_text=True)
    # With a token configured, a remote Prometheus that sends it reads them; a wrong one not.
    import dataclasses

    monkeypatch.setattr(
        circuit, "settings", dataclasses.replace(circuit.settings, metrics_token="s3cret-metrics")
    )
    wrong = {"Authorization": "Bearer nope"}
    assert client.get("/metrics", environ_base=OUTSIDE, headers=wrong).status_code == 404
    good = {"Authorization": "Bearer s3cret-metrics"}
    assert value(scrape(client, environ_base=OUTSIDE, headers=good), "circuit_timers_late") == 0
