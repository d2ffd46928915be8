"""From a page of the synthetic checkout back to the file: which scripts and findings are the
file's doing.

The templates are the project's own clean pages, so everything on a detonation page that is not
template code is the file's: the file itself, the stages it evaluated or injected, and the
requests it made. What is kept of it:
- for the file's own script, its runtime findings (the canary, requests, frames, storage): its
  static findings are the file target's already;
- for code the file produced at run time (eval/Function stages, injected scripts), every
  finding — static analysis of that code is new evidence, seen only because it ran;
- findings without a script (a request no stack explains) — only the file ran on the page.

Each finding is tagged `detonation` and names the template page. A finding of a script for
which the sandbox created missing elements (`synth` events) is capped at high/medium and says
so: the file may have been aimed at a page that has those elements, but the proof rests on
elements the sandbox made.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from skimscan.detonate.checkout import PROCESSOR_HOST, SHOP_HOST
from skimscan.detonate.templates import ASSETS
from skimscan.models import (
    Confidence,
    Finding,
    InstrumentEvent,
    PageCapture,
    ScriptKind,
    ScriptReport,
    ScriptSource,
    Severity,
    TargetReport,
)

DETONATION_TAG = "detonation"
_RUNTIME_TAGS = frozenset({"runtime", "canary"})
#: instrumentation events that show a file doing something to or from a checkout
_ACTIVE = frozenset({"read", "listen", "handler", "sink", "inject", "form-action", "synth",
                     "gate", "storage", "hook"})
_TEMPLATE_ASSETS = frozenset(f"https://{SHOP_HOST}/static/{name}" for name in ASSETS)
_PROCESSOR = f"https://{PROCESSOR_HOST}/"


@dataclass(frozen=True)
class Attributed:
    """What one detonation page says about the file."""

    findings: tuple[Finding, ...]
    scripts: tuple[ScriptReport, ...]  # scripts the file produced at run time
    synthesised: tuple[str, ...]  # "#field (kind)" the sandbox created for the file
    #: the file touched the checkout: read or watched its fields, sent, injected, stored, or
    #: checked its environment (an inert file needs no second page)
    active: bool = False
    #: (rule, host, sends) of the file's own static findings that this page's observed sends
    #: contradicted (policy/observed.py lowered them on the page): the file sent to that host
    #: after the canary was typed, never with the card
    lowered: tuple[tuple[str, str, int], ...] = ()
    #: the browser send APIs ("fetch", "xhr", "beacon") the file replaced with its own
    hooked: tuple[str, ...] = ()


def _is_template(script: ScriptSource, own_html: str) -> bool:
    if script.url in _TEMPLATE_ASSETS:
        return True  # the shop's own jQuery, its 1.x API, Prototype
    if any(u and u.startswith(_PROCESSOR) for u in (script.url, script.frame)):
        return True  # the processor's hosted fields
    return script.kind is ScriptKind.INLINE and script.code.strip() in own_html


def template_ids(scripts: Iterable[ScriptSource], own_html: str) -> frozenset[str]:
    """The ids of the page's own scripts: `own_html` is the checkout's own markup and code on
    the page (`SyntheticCheckout.own_html`)."""
    return frozenset(s.id for s in scripts if _is_template(s, own_html))


def reattribute(capture: PageCapture, template: frozenset[str]) -> PageCapture:
    """Requests and behaviour whose nearest script is the page's own (jQuery's `$.ajax`
    sending for the file) are the doing of the nearest non-template script on their stack."""
    def blame(script: str | None, stack: Sequence[str]) -> str | None:
        if script is None or script not in template:
            return script
        return next((sid for sid in stack if sid not in template), script)

    requests = tuple(replace(r, script=blame(r.script, r.stack)) for r in capture.requests)
    events = tuple(replace(e, script=blame(e.script, e.stack)) for e in capture.instrumentation)
    return replace(capture, requests=requests, instrumentation=events)


def attribute(page: TargetReport, events: Sequence[InstrumentEvent], *, sample_url: str | None,
              file_script_id: str, template: str, page_url: str, template_scripts: frozenset[str],
              file_is_html: bool) -> Attributed:
    """`template_scripts`: the page's own script ids (`template_ids`); with `file_is_html`,
    every inline script that is not the checkout's is the file's."""
    own: set[str] = set()  # the file's own script ids on the page
    produced: dict[str, ScriptReport] = {}
    for s in page.scripts:
        if s.id in template_scripts:
            continue
        if (sample_url and s.url == sample_url) or (
                file_is_html and s.kind is ScriptKind.INLINE):
            own.add(s.id)
        else:
            produced[s.id] = s
    renamed = {sid: file_script_id for sid in own}
    renamed.update({sid: f"{template}:{sid}" for sid in produced})
    synth = sorted({f"{e.detail.get('field', '?')} ({e.detail.get('kind', '?')})"
                    for e in events if e.kind == "synth"
                    and (e.script is None or e.script in own or e.script in produced)})
    where = {"template": template, "url": page_url}
    findings: list[Finding] = []
    lowered: set[tuple[str, str, int]] = set()
    for f in page.findings:
        if f.script in own:
            if not _RUNTIME_TAGS & set(f.tags):
                if "lowered_from" in f.evidence:
                    lowered.add((f.rule, str(f.evidence.get("host", "")),
                                 int(f.evidence.get("observed_sends", 0))))
                continue  # the file's static findings are already on its target
        elif f.script is not None and f.script not in produced:
            continue  # template code
        findings.append(_mark(f, renamed, where, synth))
    scripts = tuple(replace(s, id=renamed[s.id]) for s in produced.values())
    active = any(e.kind in _ACTIVE and e.script is not None
                 and (e.script in own or e.script in produced) for e in events)
    hooked = sorted({e.detail.get("sink", "") for e in events if e.kind == "hook"
                     and e.script is not None and (e.script in own or e.script in produced)})
    return Attributed(tuple(findings), scripts, tuple(synth), active or bool(findings),
                      tuple(sorted(lowered)), tuple(hooked))


def _mark(f: Finding, renamed: dict[str, str], where: dict[str, str],
          synth: list[str]) -> Finding:
    evidence = {**f.evidence, "detonation": where}
    message = f.message
    severity, confidence = f.severity, f.confidence
    if synth and f.severity >= Severity.HIGH:
        evidence["synthesised"] = synth
        severity = min(severity, Severity.HIGH)
        confidence = min(confidence, Confidence.MEDIUM)
        message += ("; on the synthetic checkout, after the sandbox created elements the file "
                    f"asked for and the page lacked ({', '.join(synth[:4])})")
    for old in {f.script, *f.evidence.get("stack", ())} & renamed.keys():
        message = re.sub(rf"\b{re.escape(str(old))}\b(?=[\s(,;.]|$)", renamed[str(old)],
                         message)
    script = renamed.get(f.script, f.script) if f.script else None
    return replace(f, script=script, evidence=evidence, message=message,
                   severity=severity, confidence=confidence,
                   tags=tuple(sorted({*f.tags, DETONATION_TAG})))
