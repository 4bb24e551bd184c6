"""The Flask application: portal for citizens, office for officials, JSON API."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from flask import Flask

from engine import jobs
from engine.circuit import Circuit, build, install
from webapp import db
from webapp.extensions import csrf, login_manager


def create_app(config: Mapping[str, Any] | None = None, circuit: Circuit | None = None) -> Flask:
    """Build the web application around a Circuit (built from the environment if not given)."""
    if circuit is None:
        from engine.platform.config import load_settings

        circuit = build(load_settings())
    else:
        install(circuit)
    if not circuit.has_dispatcher:
        jobs.use_rq(circuit)  # jobs asked for in a request go to RQ once it commits
    app = Flask(__name__)
    settings = circuit.settings
    app.config.update(
        SECRET_KEY=settings.secret_key,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_ttl_hours),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.base_url.startswith("https://"),
        MAX_CONTENT_LENGTH=settings.max_upload_bytes,
        WTF_CSRF_TIME_LIMIT=settings.session_ttl_hours * 3600,
        JSON_SORT_KEYS=False,
        CITY_HALL_NAME=settings.city_hall_name,
    )
    if config:
        app.config.update(config)
    app.extensions["circuit"] = circuit
    from webapp import requestlog, security, throttle

    requestlog.init_app(app)  # first: the request id is in every line logged after it
    security.init_app(app)  # before the blueprints: their URL rules use its converters
    throttle.init_app(app)
    db.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)

    from webapp import (  # noqa: F401
        account,
        admin,
        api,
        archive,
        auth,
        dashboards,
        designer,
        office,
        overview,
        portal,
        registry,
        verification,
    )

    auth.init_app(app)
    account.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(portal.bp)
    app.register_blueprint(office.bp)
    app.register_blueprint(registry.bp)
    app.register_blueprint(overview.bp)
    app.register_blueprint(dashboards.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(archive.bp)
    app.register_blueprint(verification.bp)  # public: checking an issued document
    app.register_blueprint(designer.bp)
    api.init_app(app, csrf)  # the API takes bearer tokens, never cookies: no CSRF
    from webapp import health

    health.init_app(app)  # the probes: no login, no cookie
    csrf.exempt(health.bp)
    from webapp import metrics

    metrics.init_app(app)  # /metrics (loopback or token) and each request counted
    from webapp import errors, filters

    errors.init_app(app)
    filters.init_app(app)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    return app
