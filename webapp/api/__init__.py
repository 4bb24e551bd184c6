"""The JSON API under /api/v1, authenticated with bearer tokens: one blueprint per actor
(public, accounts, citizens, officials, registry) nested in the `api` blueprint, which
answers errors as JSON. Its OpenAPI document is openapi.yaml beside this file."""

from __future__ import annotations

from flask import Blueprint, Flask
from flask_wtf.csrf import CSRFProtect

from webapp.api import (
    accounts,
    archive,
    citizens,
    common,
    issued,
    officials,
    public,
    registry,
    stats,
)

PREFIX = "/api/v1"
PARTS = (
    public.bp,
    accounts.bp,
    citizens.bp,
    officials.bp,
    registry.bp,
    stats.bp,
    archive.bp,
    issued.bp,
)


def init_app(app: Flask, csrf: CSRFProtect) -> None:
    """Register the API's blueprints under /api/v1, exempt from CSRF (no cookies here)."""
    api = Blueprint("api", __name__)
    common.install_error_handlers(api)
    for part in PARTS:
        api.register_blueprint(part)
        csrf.exempt(part)
    csrf.exempt(api)
    app.register_blueprint(api, url_prefix=PREFIX)
