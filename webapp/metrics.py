"""GET /metrics for Prometheus, and the counting of every HTTP request by route and status.

Who may read it: a client on loopback (a Prometheus or an agent on the same machine), or
one that sends `Authorization: Bearer <CIRCUIT_METRICS_TOKEN>`; anyone else gets 404, as if
there were nothing there. Behind a reverse proxy, set CIRCUIT_PROXIES so that the proxy's
clients are not taken for loopback ones (deploy/ also keeps /metrics off the proxy)."""

from __future__ import annotations

import hmac
import ipaddress
import logging
import time
from collections.abc import Iterator

from flask import Blueprint, Flask, Response, abort, g, request
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from engine.cases.signals import operating_state
from engine.circuit import Circuit
from engine.platform import metrics, rqueue
from webapp import db

log = logging.getLogger(__name__)
bp = Blueprint("metrics", __name__)


class OperatingCollector(Collector):
    """Read, at each scrape, what is state rather than events: queue depth, timers,
    today's registrations. A part that cannot be read is left out (and /readyz says why)."""

    def __init__(self, circuit: Circuit) -> None:
        self.circuit = circuit

    def collect(self) -> Iterator[Metric]:
        try:
            depths = rqueue.queue_depths(self.circuit.redis())
        except Exception as exc:  # Redis down: the other readings still go out
            log.warning("metrics: queue depth unreadable (%s)", type(exc).__name__)
        else:
            queue = GaugeMetricFamily(
                "circuit_queue_jobs", "Jobs in the RQ queue, by state", labels=["state"]
            )
            for state, count in depths.items():
                queue.add_metric([state], count)
            yield queue
        try:
            with self.circuit.db.session(for_write=False) as session:
                now = operating_state(session)
        except (SQLAlchemyError, OSError) as exc:
            log.warning("metrics: database unreadable (%s)", type(exc).__name__)
            return
        timers = GaugeMetricFamily(
            "circuit_timers", "Timers waiting in running requests, by state", labels=["state"]
        )
        timers.add_metric(["waiting"], now.timers_waiting)
        timers.add_metric(["due"], now.timers_due)
        timers.add_metric(["late"], now.timers_late)
        yield timers
        yield GaugeMetricFamily(
            "circuit_timers_late",
            "Timers still waiting more than a minute after their time (no worker firing them?)",
            value=now.timers_late,
        )
        yield GaugeMetricFamily(
            "circuit_registrations_today",
            "Lines in the register dated today (Europe/Bucharest)",
            value=now.registrations_today,
        )


def _allowed() -> bool:
    """Tell whether this client may read the metrics: loopback, or the configured token."""
    token = db.circuit().settings.metrics_token
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer "):
        return hmac.compare_digest(header[len("Bearer ") :].encode(), token.encode())
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


@bp.get("/metrics")
def scrape() -> Response:
    """The metrics in Prometheus's text format."""
    if not _allowed():
        abort(404)
    body = metrics.exposition([OperatingCollector(db.circuit())])
    response = Response(body, mimetype=None, content_type=metrics.CONTENT_TYPE)
    response.headers["Cache-Control"] = "no-store"
    return response


def _started() -> None:
    g.metrics_started = time.perf_counter()


def _counted(response: Response) -> Response:
    started = g.pop("metrics_started", None)
    if started is not None:
        # The URL rule keeps the label set small: /cereri/<int:id>, not each request's number.
        rule = request.url_rule
        route = rule.rule if rule is not None else "(none)"
        elapsed = time.perf_counter() - started
        metrics.HTTP_LATENCY.labels(request.method, route).observe(elapsed)
        metrics.HTTP_REQUESTS.labels(request.method, route, str(response.status_code)).inc()
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.before_request(_started)
    app.after_request(_counted)
