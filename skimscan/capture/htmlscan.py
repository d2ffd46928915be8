"""STAGE 1 (capture): scripts written into HTML, found with BeautifulSoup.

Used by static mode (the only view it has) and by browser mode (event-handler attributes and
`javascript:` URLs that never ran, so the JavaScript engine never compiled them).

Invariants: pure functions of the HTML text; never fetches, never executes anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urljoin

from bs4 import BeautifulSoup, Tag

_JS_TYPES = frozenset(
    {
        "",
        "text/javascript",
        "application/javascript",
        "application/x-javascript",
        "text/ecmascript",
        "application/ecmascript",
        "module",
        "text/jscript",
    }
)
_URL_ATTRS = ("href", "src", "action", "formaction", "data")
_JS_URL = re.compile(r"^\s*javascript:", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class HtmlScript:
    """A script found in HTML: external (`src`), inline, handler attribute or javascript: URL."""

    kind: str  # "external" | "inline" | "handler" | "javascript-url"
    code: str  # empty for external scripts
    url: str | None  # absolute src for external scripts
    line: int  # 0-based line of the tag in the document
    detail: str = ""  # the attribute name for handlers (onclick), the tag for js URLs


def is_javascript_type(type_attr: str | None) -> bool:
    kind = (type_attr or "").split(";")[0].strip().lower()
    return kind in _JS_TYPES


def scan_html(html: str, base_url: str) -> list[HtmlScript]:
    """Every script the HTML carries, in document order."""
    soup = BeautifulSoup(html, "html.parser")
    base = base_url
    base_tag = soup.find("base", href=True)
    if isinstance(base_tag, Tag):
        href = base_tag.get("href")
        if isinstance(href, str):
            base = urljoin(base_url, href)
    found: list[HtmlScript] = []
    for tag in soup.find_all(True):
        if not isinstance(tag, Tag):
            continue
        line = max((tag.sourceline or 1) - 1, 0)
        if tag.name == "script":
            type_attr = tag.get("type")
            if not is_javascript_type(type_attr if isinstance(type_attr, str) else None):
                continue
            src = tag.get("src")
            if isinstance(src, str) and src.strip():
                found.append(HtmlScript("external", "", urljoin(base, src.strip()), line))
            else:
                code = tag.string if tag.string is not None else tag.get_text()
                if code.strip():
                    found.append(HtmlScript("inline", code, None, line))
        for name, value in tag.attrs.items():
            if not isinstance(value, str):
                continue
            lname = name.lower()
            if lname.startswith("on") and len(lname) > 2 and value.strip():
                found.append(HtmlScript("handler", value, None, line, detail=lname))
            elif lname in _URL_ATTRS and _JS_URL.match(value):
                code = unquote(_JS_URL.sub("", value, count=1))
                if code.strip():
                    found.append(HtmlScript("javascript-url", code, None, line, detail=tag.name))
    return found
