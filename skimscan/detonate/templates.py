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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable

from skimscan.errors import ConfigError

SAMPLE_MARKER = "<!--SKIMSCAN:SAMPLE-->"
HOSTED_FIELD_PAGE = "hosted-field.html"
JQUERY = "jquery-3.7.1.min.js"


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
                     card_fields=str(e.get("card_fields", "page")))
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


def rank(templates: Sequence[Template], text: str, pages: int | None = None) -> list[Template]:
    """Templates by how many of their tokens `text` mentions (most first). Among those it does
    not mention, one page of each platform comes before a second URL of the same page (the
    Magento 1 extension checkouts), in manifest order. With `pages`, the first `pages` include
    a checkout whose card fields are in a processor's frames — where kits that overlay their
    own card form act, and do nothing elsewhere."""
    lowered = text.lower()
    uses: dict[str, int] = {}
    keys = []
    for i, t in enumerate(templates):
        variant = uses.get(t.page, 0)
        uses[t.page] = variant + 1
        score = t.score(lowered)
        keys.append((-score, variant if score == 0 else 0, i))
    ranked = [templates[k[2]] for k in sorted(keys)]
    if pages is None:
        return ranked
    head = ranked[:max(pages, 1)]
    if pages < 2:
        return head
    if all(t.card_fields == "page" for t in head):
        hosted = next((t for t in ranked if t.card_fields != "page"), None)
        if hosted is not None:
            head[-1] = hosted
    return head
