"""The fleet's shared analysis cache: the broker's Redis holds every worker's analysis results,
so a script that sits on 10^4 merchants' pages is analysed once per fleet, not once per worker
(a cold analysis costs seconds of CPU; a Redis round trip, well under a millisecond).

Values are what the disk cache holds (the site-independent `RawAnalysis`, never a script's code
or a page's data), compressed, under keys salted with the extractor's version
(`AnalysisCache._key`), so workers of two skimscan versions never read each other's results.
Entries expire after `ttl_s` (unused results do not pile up). Redis away, full or slow only
costs speed: every error is a miss, and a write that fails is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import redis

PREFIX = "skimscan:analysis:"
#: The biggest result kept (a script with tens of thousands of facts is rare and cheap to redo).
MAX_VALUE = 8 * 1024 * 1024


@dataclass
class RedisSharedCache:
    """`analyze.cache.SharedCache` on Redis."""

    url: str
    ttl_s: int = 30 * 24 * 3600
    timeout_s: float = 2.0
    _client: Any = field(default=None, init=False, repr=False)

    def _redis(self) -> Any:
        if self._client is None:
            self._client = redis.Redis.from_url(self.url, socket_timeout=self.timeout_s,
                                                socket_connect_timeout=self.timeout_s)
        return self._client

    def get(self, key: str) -> bytes | None:
        try:
            value = self._redis().get(PREFIX + key)
        except redis.RedisError:
            return None
        return value if isinstance(value, bytes) else None

    def put(self, key: str, value: bytes) -> None:
        if len(value) > MAX_VALUE:
            return
        try:
            self._redis().set(PREFIX + key, value, ex=self.ttl_s)
        except redis.RedisError:
            return
