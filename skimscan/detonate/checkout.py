"""The synthetic checkout: one aiohttp server on loopback that plays a shop, the third-party
host a file under test is served from, and a processor's hosted card fields.

The browser reaches it through a host map (`host_map_specs`), HTTPS with a throw-away
certificate; every other name is unresolvable and answered inside the browser (the detonator
sets that up), so nothing a detonated file sends leaves the machine.

- `SHOP_HOST` serves each template at its platform's URL; which file and which template make
  the page is named by an HttpOnly session cookie the detonator sets (`SESSION_COOKIE`), so
  pages of many files can be open at once under the same URLs (and two platforms can share
  one, as Magento 2 and WooCommerce share `/checkout/`), as a real shop's would be. The page
  gets the template's cookies (set by the detonator) and `localStorage` (seeded by a
  first-party inline script), jQuery from the shop's own `/static/`, and the file as an
  external script at the end of `<body>`. An HTML file with a card form is itself the page's
  document (jQuery added to its head); one without (a fragment, a compromised template part)
  is put into the template's body where the script would go, so its code meets a checkout.
  `SUCCESS_PATH` is the order confirmation the shopper goes to after paying, with the script
  on it too (a site-wide compromised library is). Other shop URLs answer `{}` (POST: the
  checkout's own API) or 204.
- `SAMPLE_HOST` serves the file at `/<token>/<name>`; other paths answer 204.
- `PROCESSOR_HOST` (a real processor's name, so classification treats it as one) serves the
  hosted card field documents of the `hosted-fields` template.
"""

from __future__ import annotations

import json
import secrets
import shutil
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web

from skimscan.detonate.templates import (
    ASSETS,
    HOSTED_FIELD_PAGE,
    JQUERY,
    JQUERY_LEGACY,
    SAMPLE_MARKER,
    Template,
    asset,
    load_templates,
    page_text,
)
from skimscan.extract.html import parse_html

SHOP_HOST = "www.harbor-goods.example"
SAMPLE_HOST = "cdn.widget-hub.example"
PROCESSOR_HOST = "js.stripe.com"
HOSTS = (SHOP_HOST, SAMPLE_HOST, PROCESSOR_HOST)
SESSION_COOKIE = "PHPSESSID"
#: where the shopper goes after paying: the order confirmation, which carries the file too
SUCCESS_PATH = "/checkout/onepage/success/"
_SUCCESS = ("<!doctype html><html><head><title>Order confirmation</title></head><body>"
            "<h1>Thank you for your order!</h1><p>Your order # is: 100004217.</p>"
            f"{SAMPLE_MARKER}</body></html>")
MAX_SAMPLE_BYTES = 20_000_000
_FIELDS = {"number": "cc-number", "expiry": "cc-exp", "cvc": "cc-csc"}
_JQUERY_TAG = (f'<script src="/static/{JQUERY}"></script>'
               f'<script src="/static/{JQUERY_LEGACY}"></script>')


@dataclass(frozen=True)
class Staged:
    """A file put on the checkout for one detonation."""

    token: str
    name: str  # file name, as served
    code: str
    html: bool  # the file is HTML, not a script
    whole_page: bool = False  # HTML with its own card form: served as the page itself

    @property
    def script_url(self) -> str:
        return f"https://{SAMPLE_HOST}/{self.token}/{quote(self.name)}"


def page_url(template: Template) -> str:
    return f"https://{SHOP_HOST}{template.path}"


SUCCESS_URL = f"https://{SHOP_HOST}{SUCCESS_PATH}"


class SyntheticCheckout:
    """`async with SyntheticCheckout() as checkout:` … `checkout.stage(name, code)`."""

    def __init__(self) -> None:
        self.templates = load_templates()
        self._by_name = {t.name: t for t in self.templates}
        self._staged: dict[str, Staged] = {}
        self._runner: web.AppRunner | None = None
        self._tls_dir: Path | None = None
        self.port = 0

    async def __aenter__(self) -> SyntheticCheckout:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        from skimscan.capture.tls import make_ssl_context

        ssl_ctx, self._tls_dir = make_ssl_context(HOSTS)
        app = web.Application(client_max_size=2_000_000)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=ssl_ctx)
        await site.start()
        server: Any = site._server
        self.port = int(server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._tls_dir is not None:
            shutil.rmtree(self._tls_dir, ignore_errors=True)
            self._tls_dir = None

    def host_map_specs(self) -> list[str]:
        return [f"{host}=127.0.0.1:{self.port}" for host in HOSTS]

    # --------------------------------------------------------------------- staging
    def stage(self, name: str, code: str, *, html: bool = False) -> Staged:
        whole = html and bool(parse_html(code).card_fields)
        staged = Staged(secrets.token_hex(8), name or "script.js", code, html, whole)
        self._staged[staged.token] = staged
        return staged

    def release(self, staged: Staged) -> None:
        self._staged.pop(staged.token, None)

    def cookies(self, template: Template, staged: Staged) -> list[dict[str, Any]]:
        """The visitor's cookies for one page (Playwright's `add_cookies` form)."""
        jar: list[dict[str, Any]] = [{
            "name": SESSION_COOKIE, "value": f"{staged.token}.{template.name}",
            "domain": SHOP_HOST, "path": "/",
            "httpOnly": True, "secure": True, "sameSite": "Lax"}]
        for name, value in (template.cookies or {}).items():
            jar.append({"name": name, "value": value, "domain": SHOP_HOST, "path": "/",
                        "secure": True, "sameSite": "Lax"})
        return jar

    def page_html(self, template: Template, staged: Staged) -> str:
        """The document served for `template` with `staged` in it."""
        seed = _seed_script(template.local_storage or {})
        if staged.whole_page:
            return _into_head(staged.code, seed + _JQUERY_TAG)
        html = page_text(template.page)
        tag = (_body_of(staged.code) if staged.html
               else f'<script src="{escape(staged.script_url)}"></script>')
        return _into_head(html.replace(SAMPLE_MARKER, tag, 1), seed)

    def own_html(self, template: Template, staged: Staged) -> str:
        """The markup and code of the page that are the checkout's own, not the file's."""
        seed = _seed_script(template.local_storage or {})
        return seed if staged.whole_page else seed + page_text(template.page)

    # --------------------------------------------------------------------- serving
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        host = (request.host or "").split(":")[0].lower()
        if host == SHOP_HOST:
            return self._shop(request)
        if host == SAMPLE_HOST:
            parts = request.path.strip("/").split("/", 1)
            staged = self._staged.get(parts[0]) if parts else None
            if staged is not None and not staged.html and request.method == "GET":
                return web.Response(text=staged.code, content_type="application/javascript",
                                    headers={"Access-Control-Allow-Origin": "*"})
            return web.Response(status=204)
        if host == PROCESSOR_HOST and request.path.endswith(".html"):
            field = request.query.get("field", "number")
            field = field if field in _FIELDS else "number"
            body = (page_text(HOSTED_FIELD_PAGE).replace("{{FIELD}}", field)
                    .replace("{{AUTOCOMPLETE}}", _FIELDS[field]))
            return web.Response(text=body, content_type="text/html")
        return web.Response(status=204)

    def _shop(self, request: web.Request) -> web.StreamResponse:
        name = request.path.removeprefix("/static/")
        if request.path.startswith("/static/") and name in ASSETS:
            return web.Response(body=asset(name), content_type="application/javascript",
                                headers={"Cache-Control": "max-age=86400"})
        if request.method == "POST":
            return web.json_response({})
        token, _, name = request.cookies.get(SESSION_COOKIE, "").partition(".")
        template = self._by_name.get(name)
        staged = self._staged.get(token)
        if request.path == SUCCESS_PATH and staged is not None and request.method == "GET":
            # the next page of the visit: a site-wide compromised script is on it too
            tag = ("" if staged.html else
                   f'<script src="{escape(staged.script_url)}"></script>')
            return web.Response(text=_SUCCESS.replace(SAMPLE_MARKER, tag),
                                content_type="text/html", headers={"Cache-Control": "no-store"})
        if (request.method != "GET" or template is None or staged is None
                or request.path_qs != template.path.split("#")[0]):
            return web.Response(status=204)
        return web.Response(text=self.page_html(template, staged), content_type="text/html",
                            headers={"Cache-Control": "no-store"})


def _seed_script(storage: dict[str, str] | Any) -> str:
    if not storage:
        return ""
    pairs = json.dumps(sorted(storage.items())).replace("</", "<\\/")
    return ("<script>try{" + pairs + ".forEach(function(p){localStorage.setItem(p[0],p[1])})}"
            "catch(e){}</script>")


def _body_of(html: str) -> str:
    """What is inside an HTML document's `<body>` (all of it for a fragment)."""
    lowered = html.lower()
    start = lowered.find("<body")
    if start < 0:
        return html
    start = lowered.find(">", start) + 1
    end = lowered.rfind("</body>")
    return html[start:end if end > start else len(html)]


def _into_head(html: str, extra: str) -> str:
    """`extra` at the start of the document's head (or of the document when it has none)."""
    if not extra:
        return html
    lowered = html[:20_000].lower()
    at = lowered.find("<head")
    if at >= 0:
        close = lowered.find(">", at)
        if close >= 0:
            return html[:close + 1] + extra + html[close + 1:]
    return extra + html
