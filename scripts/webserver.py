"""Serve the web app with gunicorn (several processes), as in production."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import MutableMapping
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

PROBES = ("/healthz", "/readyz")  # webapp/health.py: asked every few seconds by a machine


class _AccessLog(Logger):
    """gunicorn's log, without a line for each of the probes' requests; its error log in
    JSON too when CIRCUIT_LOG_FORMAT=json."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        from engine.platform import logs

        if logs.wants_json(os.environ):
            for handler in self.error_log.handlers:
                handler.setFormatter(logs.json_formatter())
                handler.addFilter(logs.ContextFilter())

    def access(
        self, resp: Any, req: Any, environ: MutableMapping[str, Any], request_time: Any
    ) -> None:
        if environ.get("PATH_INFO") in PROBES:
            return
        super().access(resp, req, environ, request_time)


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from engine.platform import heap, logs
        from webapp import create_app

        logs.configure(os.environ, level=logging.WARNING)  # the app's lines, with request ids
        app = create_app()
        heap.freeze_startup_objects()
        return app


def _child_exit(server: Any, worker: Any) -> None:
    """A gunicorn worker ended: its live metrics files stop counting (multiprocess mode)."""
    from engine.platform.metrics import process_gone

    process_gone(worker.pid)


def serve(host: str, port: int, workers: int = 3) -> None:
    """Run gunicorn in the foreground until interrupted."""
    from engine.platform import logs

    as_json = logs.wants_json(os.environ)
    _Gunicorn(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": "gthread",  # threads keep connections alive between requests
            "threads": 4,
            "keepalive": 5,
            # one line per HTTP request (but the probes'); in JSON the app writes it
            # (webapp/requestlog.py), with the request id and the route instead of the path
            "accesslog": None if as_json else "-",
            "logger_class": _AccessLog,
            "access_log_format": '%(h)s "%(r)s" %(s)s %(b)s %(M)sms',
            "errorlog": "-",
            "loglevel": "warning",
            "timeout": 60,
            "graceful_timeout": 10,  # SIGTERM: requests under way may end
            "child_exit": _child_exit,
        }
    ).run()


if __name__ == "__main__":  # python -m scripts.webserver HOST PORT WORKERS
    serve(sys.argv[1], int(sys.argv[2]), workers=int(sys.argv[3]))
