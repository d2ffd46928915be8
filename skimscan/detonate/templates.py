"""The synthetic checkout's pages: the manifest (`templates/templates.json`) as data, and the
order in which to try them for one script.

Each template is one page of a platform skimmers target (Magento, WooCommerce, Shopify-like,
OpenCart, PrestaShop, a plain `autocomplete="cc-*"` checkout, processor hosted fields), served
at the URL that platform uses, with the cookies and storage a visitor of such a shop has. A kit
aimed at one platform names its fields, URLs and globals; `rank` tries first the templates
whose tokens the script mentions (in its text or in the strings deobfuscation revealed), then
the rest in manifest order, whose first entry satisfies the most common URL checks.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

from skimscan.errors import ConfigError

SAMPLE_MARKER = "<!--SKIMSCAN:SAMPLE-->"
HOSTED_FIELD_PAGE = "hosted-field.html"
JQUERY = "jquery-3.7.1.min.js"
#: jQuery 1.x's API on top of JQUERY (`.size()`, `.live()`, `$.browser` …), loaded after it
JQUERY_LEGACY = "jquery-legacy.js"
PROTOTYPE = "prototype-1.7.3.js"  # Magento 1's framework, on its templates
#: the libraries the templates load from /static/: the checkout's own code, never the file's
ASSETS = (JQUERY, JQUERY_LEGACY, PROTOTYPE)


@dataclass(frozen=True)
class Template:
    name: str
    platform: str
    page: str  # the HTML file in templates/
    path: str  # the URL path (and query, and fragment) it is served at
    tokens: tuple[str, ...] = ()
    cookies: Mapping[str, str] | None = None
    local_storage: Mapping[str, str] | None = None
    #: "page": card fields in the document; "iframe": in a processor's hosted-field frames
    card_fields: str = "page"
    #: the page the shopper comes from (the cart, on that platform): the checkout's referrer
    came_from: str = "/cart"
    #: how the page's own order is sent: the browser API and the body ("xhr form",
    #: "fetch json"); a file that replaced that API copies what goes through it
    submits: str = "fetch form"

    @property
    def send_api(self) -> str:
        return self.submits.split()[0]

    def score(self, text: str) -> int:
        """How many of this platform's tokens `text` (lower case) mentions."""
        return sum(1 for t in self.tokens if t in text)


def folder() -> Traversable:
    return resources.files("skimscan.detonate").joinpath("templates")


@cache
def load_templates() -> tuple[Template, ...]:
    """The manifest, checked: every page exists and (except hosted fields) has the marker."""
    base = folder()
    try:
        data = json.loads(base.joinpath("templates.json").read_text("utf-8"))
        entries = data["templates"]
        templates = tuple(
            Template(name=str(e["name"]), platform=str(e["platform"]), page=str(e["page"]),
                     path=str(e["path"]),
                     tokens=tuple(str(t).lower() for t in e.get("tokens", ())),
                     cookies={str(k): str(v) for k, v in (e.get("cookies") or {}).items()},
                     local_storage={str(k): str(v)
                                    for k, v in (e.get("local_storage") or {}).items()},
                     card_fields=str(e.get("card_fields", "page")),
                     submits=str(e.get("submits", "fetch form")),
                     came_from=str(e.get("from", "/cart")))
            for e in entries)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(f"the synthetic checkout's templates.json is broken: {exc}") from None
    for t in templates:
        page = base.joinpath(t.page)
        if not page.is_file() or SAMPLE_MARKER not in page.read_text("utf-8"):
            raise ConfigError(f"template {t.name}: {t.page} is missing or has no sample marker")
    if len({t.name for t in templates}) != len(templates) or not templates:
        raise ConfigError("the synthetic checkout's templates must have unique names")
    return templates


def page_text(name: str) -> str:
    return folder().joinpath(name).read_text("utf-8")


def asset(name: str) -> bytes:
    return folder().joinpath("assets", name).read_bytes()


#: string literals in code (what a script asks the page for)
_LITERAL = re.compile(r"""(['"`])((?:(?!\1)[^\\\n]){2,160})\1""")
#: a literal that reads as a CSS selector or an element's id/name
_SELECTORISH = re.compile(r"^[#.\[]|^(input|select|form|button|textarea)\b|^[\w\-\[\]:]+$")
MAX_SELECTORS = 300


def selectors_in(text: str) -> list[str]:
    """Selector-like strings a script contains (in its code or its deobfuscated strings)."""
    found: list[str] = []
    seen: set[str] = set()
    for m in _LITERAL.finditer(text[:2_000_000]):
        value = m[2].strip()
        if value in seen or not _SELECTORISH.match(value) or value.isdigit():
            continue
        seen.add(value)
        found.append(value)
        if len(found) >= MAX_SELECTORS:
            break
    for line in text.splitlines()[-400:]:  # revealed strings come one per line
        value = line.strip()
        if 2 <= len(value) <= 160 and value not in seen and _SELECTORISH.match(value):
            seen.add(value)
            found.append(value)
    return found


@cache
def _document(page: str) -> tuple[Any, frozenset[str]]:
    """A page parsed once, with the ids and names of its elements."""
    from bs4 import BeautifulSoup

    doc: Any = BeautifulSoup(page_text(page), "html.parser")
    names = {el.get("id") for el in doc.find_all(id=True)} | {
        el.get("name") for el in doc.find_all(attrs={"name": True})}
    return doc, frozenset(str(n) for n in names)


def dom_score(template: Template, selectors: Sequence[str]) -> int:
    """How many of a script's selectors find an element on this page: a CSS selector that
    matches, or a bare word that is some element's id or name."""
    doc, ids = _document(template.page)
    score = 0
    for sel in selectors:
        if sel in ids:
            score += 1
            continue
        if sel[0] not in "#.[" and sel.split("[")[0].split(".")[0].split("#")[0] not in (
                "input", "select", "form", "button", "textarea"):
            continue
        try:
            if doc.select_one(sel) is not None:
                score += 1
        except Exception:  # not a selector soupsieve understands: no evidence either way
            continue
    return score


#: a regex literal where an expression starts (`/cvc|cvv/i.test(…)`, `x.match(/…/)`)
_REGEX_LITERAL = re.compile(
    r"(?:^|[(,=:\[!&|?{};]|\breturn)[ \t]*"
    r"/((?:\\.|\[(?:\\.|[^\]\\\n]){0,64}\]|[^/\\\n\[*])"
    r"(?:\\.|\[(?:\\.|[^\]\\\n]){0,64}\]|[^/\\\n\[]){0,200})"
    r"/([dgimsuvy]*)", re.MULTILINE)
_WORD = re.compile(r"[a-z]{3}", re.IGNORECASE)
MAX_REGEXES = 100


def regexes_in(text: str) -> list[re.Pattern[str]]:
    """The regex literals of a script that name something (three letters in a row): what kits
    test field names, ids and URLs with (`/cvc|cvv/i`, `/onestepcheckout|firecheckout/`).
    One Python cannot read, or one that matches an empty string (matches anything), is left
    out: it tells no page from another."""
    found: list[re.Pattern[str]] = []
    seen: set[str] = set()
    for m in _REGEX_LITERAL.finditer(text[:2_000_000]):
        source, flags = m[1], m[2]
        if source in seen or not _WORD.search(source):
            continue
        seen.add(source)
        try:
            with warnings.catch_warnings():  # JavaScript's `[[` reads as a nested set to Python
                warnings.simplefilter("ignore")
                compiled = re.compile(source, re.IGNORECASE if "i" in flags else 0)
        except (re.error, RecursionError, OverflowError):
            continue
        if compiled.search("") is None:
            found.append(compiled)
        if len(found) >= MAX_REGEXES:
            break
    return found


def regex_score(template: Template, regexes: Sequence[re.Pattern[str]]) -> int:
    r"""How many of a script's regexes match this page's URL or one of its elements' ids or
    names: a kit that fires only where `/^(cc|card)[\W_]*num/` finds a field, or where the
    URL says `onestepcheckout`, does nothing on a page where it does not."""
    if not regexes:
        return 0
    _, ids = _document(template.page)
    names = (template.path, *ids)
    return sum(1 for rx in regexes if any(rx.search(n) for n in names))


def always_tried(templates: Sequence[Template], ranked: Sequence[Template]) -> list[Template]:
    """The pages `rank` puts among any number of pages from three: the default (first) page,
    whose URL satisfies the commonest checks, and the best-ranked checkout whose card fields
    are in a processor's frames (from two pages, only the default)."""
    if not templates:
        return []
    hosted = next((t for t in ranked if t.card_fields != "page"), None)
    return [templates[0]] + ([hosted] if hosted is not None else [])


def rank(templates: Sequence[Template], text: str, pages: int | None = None) -> list[Template]:
    """Templates by how well they fit the script (most first): how many of their platform's
    tokens it mentions, how many of its selectors find an element on the page (kits ask for
    the exact ids and names of the checkout they were written for), and how many of its
    regexes match the page's URL or a field's name. One page of each platform comes before a
    second URL of the same page (the Magento 1 extension checkouts) that fits no better, in
    manifest order. With `pages`, the first `pages` include a checkout whose card fields are
    in a processor's frames — where kits that overlay their own card form act, and do nothing
    elsewhere — and the default (first) page, whose URL satisfies the commonest URL checks."""
    lowered = text.lower()
    selectors = selectors_in(text)
    regexes = regexes_in(text)
    uses: dict[str, int] = {}
    keys = []
    for i, t in enumerate(templates):
        variant = uses.get(t.page, 0)
        uses[t.page] = variant + 1
        score = t.score(lowered) + dom_score(t, selectors) + regex_score(t, regexes)
        keys.append((-score, variant, i))
    ranked = [templates[k[2]] for k in sorted(keys)]
    if pages is None:
        return ranked
    head = ranked[:max(pages, 1)]
    if pages < 2:
        return head
    wanted = always_tried(templates, ranked)[:1 if pages < 3 else 2]
    for must in wanted:
        if must in head:
            continue
        # replace the lowest-ranked page that is not itself one of the must-haves
        slot = max(i for i, t in enumerate(head) if t not in wanted or i == 0)
        head[slot] = must
    return sorted(head, key=ranked.index)
