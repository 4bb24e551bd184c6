"""Serve the web app with gunicorn (several processes), as in production."""

from __future__ import annotations

import sys
from typing import Any

from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from webapp import create_app

        return create_app()


def serve(host: str, port: int, workers: int = 3) -> None:
    """Run gunicorn in the foreground until interrupted."""
    _Gunicorn(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": "gthread",  # threads keep connections alive between requests
            "threads": 4,
            "keepalive": 5,
            "accesslog": "-",  # one line per HTTP request
            "access_log_format": '%(h)s "%(r)s" %(s)s %(b)s %(M)sms',
            "errorlog": "-",
            "loglevel": "warning",
            "timeout": 60,
            "graceful_timeout": 2,
        }
    ).run()


if __name__ == "__main__":  # python -m scripts.webserver HOST PORT WORKERS
    serve(sys.argv[1], int(sys.argv[2]), workers=int(sys.argv[3]))
