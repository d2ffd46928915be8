"""The isolate: no host bindings, no timers, hard limits, plain data only."""

import time

from skimscan.analyze.deobfuscate.isolate import Isolate


def test_no_host_bindings_or_timers() -> None:
    iso = Isolate()
    try:
        names = ["setTimeout", "setInterval", "console", "fetch", "XMLHttpRequest", "require",
                 "process", "document", "__timer_manager", "window.document", "self.fetch",
                 "window.XMLHttpRequest", "window.location"]
        results = iso.values([f"typeof {n}" for n in names])
        assert [r.value for r in results] == ["undefined"] * len(names)
        assert iso.values(["atob('aGk=')", "btoa('hi')"])[0].value == "hi"
        assert iso.values(["window.atob('aGk=')"])[0].value == "hi"
    finally:
        iso.close()


def test_loops_and_memory_bombs_end_within_limits() -> None:
    iso = Isolate(budget_s=3.0)
    try:
        out = iso.values(["(function(){ while (true) {} })()", "1 + 1",
                          "(function(){ var a = []; while (true) a.push(new Array(1e6)); })()"])
        assert [r.ok for r in out] == [False, True, False]
        assert out[1].value == 2
    finally:
        iso.close()


def test_only_plain_data_comes_back() -> None:
    iso = Isolate()
    try:
        out = iso.values(["({a: 1})", "function () {}", "'s'", "[1, 'x']", "NaN"])
        assert [r.ok for r in out] == [False, False, True, True, False]
    finally:
        iso.close()


def test_budget_exhaustion_stops_evaluation() -> None:
    iso = Isolate(budget_s=0.0)
    try:
        assert not iso.values(["1"])[0].ok and iso.exhausted
    finally:
        iso.close()


def test_an_evaluation_slowed_past_its_limit_is_run_again_with_a_longer_one() -> None:
    """What a busy machine does to a quick decoder (here: one that takes 400 ms): it still
    gives its value. A loop that never ends runs out of the longer limit too, once: later ones
    are not retried."""
    iso = Isolate(budget_s=5.0)
    try:
        slow = "(function(){ var t = Date.now(); while (Date.now() - t < 400) {} return 'ok'; })()"
        assert iso.values([slow])[0].value == "ok"
        assert iso.timeouts == 0
        spin = "(function(){ while (true) {} })()"
        assert not iso.values([spin])[0].ok and iso.timeouts == 1
        started = time.monotonic()
        assert not iso.values([spin.replace("true", "1")])[0].ok
        assert time.monotonic() - started < 0.9  # no second retry: only its own limit
    finally:
        iso.close()
