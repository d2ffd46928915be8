"""The policy file: validation with file:line errors, site matching, overrides, suppressions."""

from __future__ import annotations

from pathlib import Path

import pytest

from skimscan.errors import ConfigError
from skimscan.models import (
    Confidence,
    Finding,
    HostClass,
    ScriptKind,
    ScriptReport,
    Severity,
    Verdict,
)
from skimscan.policy.policy import load_policy, sri_hashes

GOOD = """version: 1
defaults:
  processors: [pay.local-psp.example]
sites:
  - name: Checkout
    pages: ["https://shop.example/checkout*"]
    approved_hosts: [cdn.shop-assets.example]
    scripts:
      - url: https://js.stripe.com/v3/
        owner: Payments team
        justification: Stripe Elements renders the card fields
        integrity: sha384-abc
    overrides:
      - {rule: card-data-to-unresolved-destination, severity: low, reason: reviewed SDK}
    suppressions:
      - rule: keystrokes-to-untrusted-host
        script: "https://cdn.replay.example/*"
        reason: Session replay with masking verified 2026-10-01
"""


def test_valid_policy(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(GOOD)
    policy = load_policy(path)
    site = policy.for_url("https://shop.example/checkout/step1")
    assert site.name == "Checkout"
    assert site.processors == ("pay.local-psp.example",)
    assert site.approved_script("https://js.stripe.com/v3/", "x") is not None
    assert policy.for_url("https://shop.example/blog").name == "default"


def _finding(rule: str, script: str = "s1") -> Finding:
    return Finding(rule, "t", Severity.HIGH, Confidence.LOW, "m", script=script)


def test_overrides_and_suppressions(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(GOOD)
    site = load_policy(path).for_url("https://shop.example/checkout")
    scripts = [ScriptReport("s1", "https://cdn.replay.example/r.js", ScriptKind.EXTERNAL, None,
                            "h", 1, HostClass.UNKNOWN, Verdict.CLEAN),
               ScriptReport("s2", "https://other.example/r.js", ScriptKind.EXTERNAL, None,
                            "h", 1, HostClass.UNKNOWN, Verdict.CLEAN)]
    out = site.apply([_finding("card-data-to-unresolved-destination"),
                      _finding("keystrokes-to-untrusted-host", "s1"),
                      _finding("keystrokes-to-untrusted-host", "s2")], scripts)
    assert out[0].severity is Severity.LOW
    assert out[1].suppressed == "Session replay with masking verified 2026-10-01"
    assert out[2].suppressed is None  # kept, and not suppressed: another script


@pytest.mark.parametrize(
    ("text", "needle", "line"),
    [
        ("version: 2\nsites: []\n", "'version: 1' is required", 1),
        ("version: 1\nsites:\n  - name: x\n", "needs 'pages'", 3),
        ("version: 1\nsites:\n  - pages: [a]\n    colour: red\n", "unknown key(s) colour", 3),
        ("version: 1\nsites:\n  - pages: [a]\n    scripts:\n      - url: u\n        owner: o\n",
         "needs a written 'justification'", 5),
        ("version: 1\nsites:\n  - pages: [a]\n    suppressions:\n      - rule: r\n",
         "needs a written 'reason'", 5),
        ("version: 1\nsites:\n  - pages: [a]\n    overrides:\n      - {rule: r, reason: x,"
         " severity: huge}\n", "unknown severity", 5),
        ("version: 1\nsites: [\n", "invalid YAML", 3),
    ],
)
def test_bad_policies(tmp_path: Path, text: str, needle: str, line: int) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_policy(path)
    assert str(info.value).startswith(f"{path}:{line}:"), str(info.value)
    assert needle in str(info.value)


def test_sri_hashes() -> None:
    hashes = sri_hashes(b"alert(1)")
    assert hashes["sha256"] == "bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI="


@pytest.mark.parametrize(("key", "value"), [
    ("approved_hosts", "'*'"), ("approved_hosts", "'*.com'"),
    ("approved_hosts", "'*.github.io'"), ("processors", "co.uk"),
])
def test_a_host_pattern_the_classifier_refuses_is_refused_when_the_policy_loads(
        key: str, value: str, tmp_path: Path) -> None:
    """docs/policy.md: approving `*` or a public suffix is refused — at load, with the line."""
    path = tmp_path / "policy.yaml"
    path.write_text(f"version: 1\nsites:\n  - name: s\n    pages: ['https://shop.example/*']\n"
                    f"    {key}: [{value}]\n")
    with pytest.raises(ConfigError, match=r"policy\.yaml:3: policy `"):
        load_policy(path)
