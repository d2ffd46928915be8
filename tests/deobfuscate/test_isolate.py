"""The isolate: no host bindings, no timers, hard limits, plain data only."""

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
