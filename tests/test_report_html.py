"""The HTML report, without a browser: escaping, masking, offline, excerpts, verdict, graph.

`tests/e2e/test_report_html.py` opens a real scan's report in Chromium.
"""

from __future__ import annotations

import base64
import hashlib
import re
import struct
import zlib
from dataclasses import replace
from html.parser import HTMLParser

import pytest

from skimscan.analyze.rules import RuleSet, load_rules
from skimscan.models import (
    Report,
    ScriptKind,
    ScriptSource,
    TargetKind,
    TargetReport,
    Verdict,
)
from skimscan.report.html import render_html
from skimscan.report.html_parts import Mark, code_excerpt

from .test_report_sarif import DROP, PAGE, PAN, SKIMMER_CODE, UNMASKED_PAN, sample_report

SKIMMER_SHA = hashlib.sha256(SKIMMER_CODE.encode()).hexdigest()


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text, as a browser's tokenizer sees them."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def named(self, tag: str) -> list[dict[str, str]]:
        return [a for t, a in self.tags if t == tag]


def tiny_png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    rows = b"".join(b"\x00" + b"\xff\xff\xff" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def with_source_sha(report: Report) -> Report:
    """The sample page whose app.js is SKIMMER_CODE (so a source can be matched to it)."""
    page = report.targets[0]
    scripts = tuple(replace(s, sha256=SKIMMER_SHA) if s.id == "s1" else s for s in page.scripts)
    return replace(report, targets=(replace(page, scripts=scripts), *report.targets[1:]))


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules()


def test_hostile_text_is_escaped_never_live(rules: RuleSet) -> None:
    report = sample_report(message='<script>alert(1)</script> sent to "paymemts"')
    page = report.targets[0]
    hostile = replace(page.findings[0], evidence={
        **page.findings[0].evidence, "field": '"><img src=x onerror=alert(2)>',
        "host": "</style><svg onload=alert(3)>"})
    scripts = tuple(replace(s, url="https://evil.example/x.js?a=<iframe src=//evil>")
                    if s.id == "s1" else s for s in page.scripts)
    page = replace(page, target=PAGE + "?q=<b onmouseover=alert(4)>", findings=(
        hostile, *page.findings[1:]), scripts=scripts, notes=("</title><script>x()</script>",))
    html = render_html(replace(report, targets=(page,)), rules)
    parsed = Tags(html)
    assert not parsed.named("script")
    assert not parsed.named("iframe")
    assert [t for t, a in parsed.tags if any(k.startswith("on") for k in a)] == []
    assert all(a.get("src", "").startswith("data:image/png") for a in parsed.named("img"))
    text = "".join(parsed.text)
    assert "<script>alert(1)</script>" in text  # shown as text, the way it was found
    assert "</style><svg onload=alert(3)>" in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_offline_with_a_strict_content_security_policy(rules: RuleSet) -> None:
    report = replace(sample_report(), targets=(replace(
        sample_report().targets[0], screenshot_png=tiny_png(40, 30)),))
    html = render_html(report, rules)
    parsed = Tags(html)
    for attrs in parsed.named("img"):
        assert attrs["src"].startswith("data:image/png;base64,")
    [icon] = parsed.named("link")
    assert icon == {"rel": "icon", "href": "data:,"}  # no favicon request
    for attrs in parsed.named("a"):  # links are for people to follow, never loaded
        assert attrs["href"].startswith(("#", "https://")), attrs
    [csp] = [a for a in parsed.named("meta") if a.get("http-equiv") == "Content-Security-Policy"]
    assert "default-src 'none'" in csp["content"] and "img-src data:" in csp["content"]
    style = re.search(r"<style>(.*?)</style>", html, re.S)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in csp["content"]  # the one stylesheet it may use
    assert "url(" not in style.group(1) and "@import" not in style.group(1)
    assert not [a for t, a in parsed.tags if "style" in a]  # inline styles would be blocked


def test_card_numbers_are_masked_in_text_urls_and_code(rules: RuleSet) -> None:
    code = SKIMMER_CODE.replace("var pad9 = 9;", f"// test card {PAN}")  # in the excerpt
    report = sample_report()
    page = report.targets[0]
    sha = hashlib.sha256(code.encode()).hexdigest()
    scripts = tuple(replace(s, sha256=sha) if s.id == "s1" else s for s in page.scripts)
    report = replace(report, targets=(replace(page, scripts=scripts),))
    html = render_html(report, rules, {"s1": code})
    assert "// test card 411111******1111" in html  # the excerpt shows the masked line
    assert PAN not in html and not UNMASKED_PAN.search(html)


def test_code_excerpt_highlights_the_finding_and_its_taint_path(rules: RuleSet) -> None:
    html = render_html(with_source_sha(sample_report()), rules, {"s1": SKIMMER_CODE})
    article = re.search(r'<article[^>]*data-rule="card-data-to-lookalike-host".*?</article>',
                        html, re.S)
    assert article is not None
    excerpt = re.search(r'<pre class="code">.*?</pre>', article.group(0), re.S)
    assert excerpt is not None
    hits = re.findall(r'<span class="line hit"><span class="ln">(\d+)</span>', excerpt.group(0))
    assert hits == ["10", "11", "12"]
    steps = re.findall(r'<mark data-step="(\d+)">([^<]*)</mark>', excerpt.group(0))
    assert steps == [("1", "document.querySelector"), ("2", "btoa"), ("3", "fetch")]
    assert '<span class="ln">8</span>' in excerpt.group(0)  # context before the path


def test_inline_code_is_shown_at_its_document_lines(rules: RuleSet) -> None:
    code = "var a = 1;\nvar f = document.forms[0].elements;\n"
    sha = hashlib.sha256(code.encode()).hexdigest()
    report = sample_report()
    page = report.targets[0]
    scripts = tuple(replace(s, sha256=sha) if s.id == "s2" else s for s in page.scripts)
    report = replace(report, targets=(replace(page, scripts=scripts),))
    inline = ScriptSource("s2", code, PAGE, ScriptKind.INLINE, line_offset=38, sha256=sha)
    html = render_html(report, rules, {sha: inline})  # keyed by sha256 works too
    assert '<span class="line hit"><span class="ln">40</span><mark>var</mark> f = ' in html
    assert '<span class="ln">39</span>var a = 1;' in html


def test_source_that_does_not_match_the_script_is_not_shown(rules: RuleSet) -> None:
    html = render_html(with_source_sha(sample_report()), rules, {"s1": "var other = 1;"})
    assert '<pre class="code">' not in html
    assert "Source code not included in this report." in html


def test_verdict_at_the_top_names_script_and_destination(rules: RuleSet) -> None:
    html = render_html(sample_report(), rules)
    header = re.search(r'<header class="verdict v-malicious" id="verdict">(.*?)</header>',
                       html, re.S)
    assert header is not None
    assert html.index('id="verdict"') < html.index("<main>")
    assert '<h1 data-verdict="malicious">Malicious</h1>' in header.group(1)
    assert "https://shop.example/static/js/app.js?v=1700000000" in header.group(1)
    assert f"<strong>{DROP}</strong>" in header.group(1)
    assert "1 error" in header.group(1)
    # the worst target comes first
    sections = re.findall(r'<section class="target" id="t\d+" data-verdict="(\w+)"', html)
    assert sections == ["malicious", "error", "suspicious"]


@pytest.mark.parametrize(("verdict", "word"), [
    (Verdict.CLEAN, "No skimmer found"), (Verdict.ERROR, "Incomplete"),
    (Verdict.SUSPICIOUS, "Suspicious")])
def test_verdict_words(verdict: Verdict, word: str, rules: RuleSet) -> None:
    target = TargetReport("app.js", TargetKind.FILE, verdict,
                          error="unreadable" if verdict is Verdict.ERROR else None)
    html = render_html(Report((target,), "0.1.0"), rules)
    assert f'<h1 data-verdict="{verdict.value}">{word}</h1>' in html


def test_canary_request_and_evidence_are_shown(rules: RuleSet) -> None:
    html = render_html(sample_report(), rules)
    assert "Request that carried the canary card" in html
    assert f"https://{DROP}/c?n=411111******1111" in html
    assert "quarantined (answered locally, never forwarded)" in html
    assert "card field &#x27;#cc_number&#x27;" in html  # taint path, escaped
    assert 'href="https://attack.mitre.org/techniques/T1583/001/"' in html  # rule help


def test_inventory_says_party_processor_and_approval(rules: RuleSet) -> None:
    html = render_html(sample_report(), rules)
    stripe = re.search(r'<tr data-script="s3">(.*?)</tr>', html, re.S)
    assert stripe is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", stripe.group(1), re.S)
    assert "third party" in cells and "yes" in cells
    assert any("approved</span> — Stripe Elements" in c for c in cells)
    app = re.search(r'<tr data-script="s1">(.*?)</tr>', html, re.S)
    assert app is not None and "first party" in app.group(1) and "malicious" in app.group(1)
    assert html.index('data-script="s1"') < html.index('data-script="s3"')  # worst first


def test_graph_links_the_skimmer_to_its_drop_host(rules: RuleSet) -> None:
    html = render_html(sample_report(), rules)
    svg = re.search(r'<svg class="graph".*?</svg>', html, re.S)
    assert svg is not None
    card_edges = re.findall(r'<path class="edge card"[^>]*><title>([^<]*)</title>', svg.group(0))
    assert card_edges == [f"https://shop.example/static/js/app.js?v=1700000000 → {DROP}: "
                          "1 request(s) seen, send found in the code, card data, carried the "
                          "canary"]
    assert f"{DROP} · look-alike" in svg.group(0)


def test_card_fields_are_marked_on_the_screenshot(rules: RuleSet) -> None:
    report = sample_report()
    page = replace(report.targets[0], screenshot_png=tiny_png(800, 600), page={
        **report.targets[0].page,
        "card_field_boxes": [{"selector": "#cc_number", "x": 144, "y": 327, "width": 177,
                              "height": 21}, {"selector": "broken"}]})
    html = render_html(replace(report, targets=(page,)), rules)
    overlay = re.search(r'<div class="frame"><img[^>]*><svg viewBox="0 0 800 600".*?</svg>',
                        html, re.S)
    assert overlay is not None
    assert re.findall(r"<rect ([^>]*)/>", overlay.group(0)) == [
        'x="144" y="327" width="177" height="21" rx="3"']
    assert "1 card field(s) marked in red." in html


def test_deterministic_apart_from_timestamps(rules: RuleSet) -> None:
    first = render_html(sample_report(), rules)
    assert render_html(sample_report(), rules) == first
    later = render_html(sample_report(started="2027-02-02T02:02:02Z"), rules)
    assert later.replace("2027-02-02T02:02:02Z", "2026-01-01T00:00:00Z") == first


def test_suppressed_and_informational_findings_are_kept_but_folded(rules: RuleSet) -> None:
    html = render_html(sample_report(), rules)
    folded = html.split("informational or accepted finding(s)", 1)
    assert len(folded) == 2
    assert 'data-rule="card-field-read"' in folded[1]
    assert "Accepted: the processor&#x27;s own field" in folded[1]
    assert 'data-rule="card-data-to-lookalike-host"' in folded[0]


def test_report_with_no_findings_still_renders(rules: RuleSet) -> None:
    clean = TargetReport(PAGE, TargetKind.PAGE, Verdict.CLEAN)
    html = render_html(Report((clean,), "0.1.0"), rules)
    assert "No finding above informational." in html
    assert "No screenshot was captured for this page." in html


def test_minified_lines_are_cut_to_windows_around_the_marks() -> None:
    line = "a=1;" * 1000  # 4000 characters on one line
    excerpt = code_excerpt(line, [Mark(1, 100, "1"), Mark(1, 300, "2"), Mark(1, 3000, "")])
    assert excerpt is not None
    body = excerpt.split('<span class="ln">1</span>', 1)[1]
    assert body.startswith('<span class="cut">…</span>')  # starts near the first mark
    assert body.count('<span class="cut">…</span>') == 3  # before, between the far ones, after
    assert re.findall(r"<mark[^>]*>", body) == ['<mark data-step="1">', '<mark data-step="2">',
                                                "<mark>"]
    assert len(re.sub(r"<[^>]+>", "", body)) < 600  # not the whole 4000-character line
    assert code_excerpt("x\ny", [Mark(9, 0)]) is None  # a mark outside the code: no excerpt


def test_digests_are_not_mistaken_for_card_numbers(rules: RuleSet) -> None:
    digest = "4111111111111111" + "ab" * 24  # a sha256 may hold a long digit run
    report = sample_report()
    page = report.targets[0]
    scripts = tuple(replace(s, sha256=digest) if s.id == "s3" else s for s in page.scripts)
    html = render_html(replace(report, targets=(replace(page, scripts=scripts),)), rules)
    assert f'title="{digest}">4111111111</td>' in html
    assert PAN not in html.replace(digest, "")  # and nowhere else
