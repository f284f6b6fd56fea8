"""The cache of counts and facets: keyed by (what is counted, the reader's audience class, the filters, the data
generation), held in a bounded in-process cache (cachelib's SimpleCache) or, with a Redis URL, in Redis shared by
every worker and node (cachelib's RedisCache).

Correctness never depends on the cache: a key names the generation (generation.py), so a write makes every earlier
entry unreachable at once, on every node; and anything going wrong with the cache — Redis down, slow, or
answering garbage — means the count is computed as if there were no cache, never an error page.
"""
from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Hashable
from typing import TypeVar

import redis
from cachelib import BaseCache, NullCache, RedisCache, SimpleCache
from flask import Flask, current_app, has_app_context
from sqlalchemy.orm import Session

from webapp.counts import generation

log = logging.getLogger(__name__)
T = TypeVar("T")
_MISSING = object()
REDIS_RETRY_SECONDS = 5.0  # after a Redis failure, counts are computed without asking it for this long


class CountCache:
    """One backend plus the failure behaviour: a failing backend is left alone for a few seconds, then retried."""

    def __init__(self, backend: BaseCache, *, shared: bool) -> None:
        self.backend = backend
        self.shared = shared  # Redis: the workers and nodes share entries
        self._resting_until = 0.0

    def get(self, key: str):
        """The cached value, or _MISSING (also when the backend fails)."""
        if time.monotonic() < self._resting_until:
            return _MISSING
        try:
            value = self.backend.get(key)
        except Exception:  # noqa: BLE001 - any failure of the cache means "compute it"
            self._rest("read")
            return _MISSING
        return _MISSING if value is None else value

    def set(self, key: str, value, timeout: int) -> None:
        """Store a value; a failing backend is only logged."""
        if time.monotonic() < self._resting_until:
            return
        try:
            self.backend.set(key, value, timeout=timeout)
        except Exception:  # noqa: BLE001
            self._rest("write")

    def _rest(self, what: str) -> None:
        log.warning("count cache %s failed: computing counts without it for %.0f s", what, REDIS_RETRY_SECONDS,
                    exc_info=True)
        self._resting_until = time.monotonic() + REDIS_RETRY_SECONDS


def build(app: Flask) -> CountCache:
    """The cache the settings ask for: COUNT_CACHE = memory | redis | off (default: redis with REDIS_URL)."""
    kind = app.config.get("COUNT_CACHE") or ("redis" if app.config.get("REDIS_URL") else "memory")
    timeout = int(app.config.get("COUNT_CACHE_SECONDS", 300))
    if kind == "redis":
        url = app.config.get("COUNT_CACHE_REDIS_URL") or app.config.get("REDIS_URL")
        if not url:
            raise ValueError("COUNT_CACHE=redis needs REDIS_URL")
        client = redis.Redis.from_url(url, socket_connect_timeout=0.25, socket_timeout=0.25)
        return CountCache(RedisCache(client, default_timeout=timeout, key_prefix="reaim-counts:"), shared=True)
    if kind == "off":
        return CountCache(NullCache(), shared=False)
    if kind != "memory":
        raise ValueError(f"COUNT_CACHE must be memory, redis or off, not {kind!r}")
    return CountCache(SimpleCache(threshold=int(app.config.get("COUNT_CACHE_SIZE", 2000)), default_timeout=timeout),
                      shared=False)


def init_app(app: Flask) -> None:
    """Attach the count cache to the app."""
    app.extensions["count_cache"] = build(app)


def _key(namespace: str, token: str, audience: Hashable, params: Hashable) -> str:
    digest = hashlib.sha256(repr((audience, params)).encode()).hexdigest()[:40]
    return f"{namespace}:{token}:{digest}"


def cached(db: Session, namespace: str, audience: Hashable, params: Hashable, compute: Callable[[], T]) -> T:
    """compute(), or what it returned before for the same audience class, parameters and data generation.

    `audience` must be exactly what the read rule behind compute() depends on (policy.audience_key, or
    policy.viewer_key for figures that depend on the person), and `params` everything else compute() reads.
    The value must be plain data (it is pickled for Redis)."""
    cache: CountCache | None = current_app.extensions.get("count_cache") if has_app_context() else None
    if cache is None:
        return compute()
    token = generation.current(db)
    if token is None:  # no generation row yet: nothing may be cached
        return compute()
    key = _key(namespace, token, audience, params)
    value = cache.get(key)
    if value is not _MISSING:
        return value
    value = compute()
    cache.set(key, value, int(current_app.config.get("COUNT_CACHE_SECONDS", 300)))
    return value
