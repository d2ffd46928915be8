"""STAGE 2 (extract) — scripts, forms and card fields from an HTML document.

Used for `.html` files, for `--no-browser` page scans, and for the rendered DOM of captured
frames. Everything a browser would run is returned as a script: inline `<script>` blocks,
event-handler attributes (`onclick="..."`), `javascript:` URLs, and `<script src>` references
(returned separately: loading them is the caller's business — local files for `scan-file`,
the network for static page scans). Parsing is html.parser (pure Python, forgiving), so a
broken document still yields what can be read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from bs4 import BeautifulSoup, Tag

from skimscan.analyze.patterns import is_card_selector

_JS_TYPES = frozenset({"", "text/javascript", "application/javascript", "module",
                       "text/ecmascript", "application/ecmascript", "text/jscript"})
_URL_ATTRS = ("href", "src", "action", "formaction", "data")


@dataclass(frozen=True)
class HtmlScript:
    """A script found in a document: its code, where it starts, and what kind it is."""

    code: str
    kind: str  # "inline" | "handler" | "javascript-url"
    line: int  # 1-based line of the element in the document
    label: str  # e.g. "inline script #2", "onclick of <button id=pay>"
    element: str | None = None  # handlers: a selector for the element (`this` in the handler)


@dataclass(frozen=True)
class CardField:
    selector: str
    reason: str  # "autocomplete=cc-number", "name=cc_number", ...
    frame: str | None = None


@dataclass(frozen=True)
class HtmlDocument:
    scripts: tuple[HtmlScript, ...]
    external: tuple[tuple[str, str | None, int], ...]  # (src, integrity, line)
    forms: tuple[str, ...]  # form actions ("" for none)
    card_fields: tuple[CardField, ...]
    iframes: tuple[str, ...]
    csp_meta: tuple[str, ...]


def _describe(tag: Tag) -> str:
    ident = tag.get("id") or tag.get("name")
    return f"<{tag.name} {'id' if tag.get('id') else 'name'}={ident}>" if ident else f"<{tag.name}>"


def parse_html(text: str) -> HtmlDocument:
    soup = BeautifulSoup(text, "html.parser")
    scripts: list[HtmlScript] = []
    external: list[tuple[str, str | None, int]] = []
    inline_count = 0
    for tag in soup.find_all(True):
        line = tag.sourceline or 1
        if tag.name == "script":
            kind = str(tag.get("type") or "").strip().lower()
            if kind not in _JS_TYPES:
                continue
            src = tag.get("src")
            if src:
                integrity = tag.get("integrity")
                external.append((str(src), str(integrity) if integrity else None, line))
                continue
            inline_count += 1
            code = tag.string or tag.get_text() or ""
            if code.strip():
                scripts.append(HtmlScript(code, "inline", line, f"inline script #{inline_count}"))
        for attr, value in list(tag.attrs.items()):
            if not isinstance(value, str):
                continue
            low = attr.lower()
            if low.startswith("on") and len(low) > 2 and value.strip():
                scripts.append(HtmlScript(value, "handler", line, f"{low} of {_describe(tag)}",
                                          _element_selector(tag)))
            elif low in _URL_ATTRS and value.strip().lower().startswith("javascript:"):
                code = value.strip()[len("javascript:"):]
                if code.strip():
                    scripts.append(HtmlScript(code, "javascript-url", line,
                                              f"javascript: URL in {low} of {_describe(tag)}"))
    forms = tuple(str(f.get("action") or "") for f in soup.find_all("form"))
    fields: list[CardField] = []
    for field in soup.find_all(["input", "select"]):
        auto = str(field.get("autocomplete") or "")
        selector = _selector(field)
        if auto.startswith("cc-"):
            fields.append(CardField(selector, f"autocomplete={auto}"))
            continue
        for attr in ("name", "id", "placeholder", "aria-label", "data-encrypted-name"):
            value = str(field.get(attr) or "")
            if value and is_card_selector(value):
                fields.append(CardField(selector, f"{attr}={value}"))
                break
    iframes = tuple(str(f.get("src") or "") for f in soup.find_all("iframe"))
    csp = tuple(
        str(m.get("content") or "")
        for m in soup.find_all("meta")
        if str(m.get("http-equiv") or "").lower() == "content-security-policy"
    )
    return HtmlDocument(tuple(scripts), tuple(external), forms, tuple(fields), iframes, csp)


def _element_selector(tag: Tag) -> str:
    """A CSS selector that names this element by what identifies it (for `this`)."""
    for attr in ("id", "name", "autocomplete"):
        value = tag.get(attr)
        if isinstance(value, str) and value and '"' not in value:
            return f'{tag.name}[{attr}="{value}"]'
    return str(tag.name)


def document_program(scripts: tuple[HtmlScript, ...] | list[HtmlScript]) -> str:
    """Inline scripts and event handlers of one document as one program, as the browser runs
    them: all share the global scope (so data one handler stores in a global and another sends
    is followed), and a handler runs as a function whose `this` is its element. Each piece
    starts on its own line in the document, so findings point at document lines.
    """
    lines: list[str] = []
    for script in sorted(scripts, key=lambda s: s.line):
        if script.kind == "inline":
            piece = script.code
        else:
            this = json.dumps(script.element or "body")
            piece = (f"(function (event) {{ {script.code}\n}}).call("
                     f"document.querySelector({this}), window.event);")
        start = script.line - 1
        if len(lines) > start:  # overlaps what came before: continue after it
            start = len(lines)
        lines.extend([""] * (start - len(lines)))
        lines.extend(piece.split("\n"))
    return "\n".join(lines)


def _selector(tag: Tag) -> str:
    if tag.get("id"):
        return f"#{tag['id']}"
    if tag.get("name"):
        return f'{tag.name}[name="{tag["name"]}"]'
    return str(tag.name)
