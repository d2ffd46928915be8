"""The simulated shopper and the in-page instrumentation in a real Chromium (issue 4): card
forms found by labels in other languages, real key events, multi-step checkouts from a steps
file, attribution by stack across frames, and a browser a skimmer cannot tell from a shopper's."""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

import pytest

from fixtures.shop import Shop
from skimscan.capture.page import BrowserSession
from skimscan.capture.steps import load_steps
from skimscan.models import Canary, PageCapture

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]


async def shop_at(session: BrowserSession, fixture_shop: Shop, path: str, **kw: object
                  ) -> tuple[PageCapture, list[str]]:
    """Capture (with the shopper unless shop=False); and what the shop's own host received."""
    before = len(fixture_shop.log)
    kw.setdefault("shop", True)
    cap = await session.capture(fixture_shop.url(path), timeout=15, wait=0.5,
                                ignore_https_errors=True, **kw)  # type: ignore[arg-type]
    return cap, [r.path_qs for r in fixture_shop.log[before:]]


def echoed(paths: list[str]) -> list[dict[str, str]]:
    return [dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(p).query))
            for p in paths if p.startswith("/lab/echo?")]


async def test_labels_in_other_languages_selects_and_real_key_events(
    session: BrowserSession, shop: Shop
) -> None:
    canary = Canary.generate(seed=11)
    cap, paths = await shop_at(session, shop, "/lab/forms-i18n", canary=canary)
    values = {e["field"]: e for e in echoed(paths) if "field" in e}
    assert values["f1"]["value"] == canary.name  # "Karteninhaber"
    assert values["f2"]["value"] == canary.pan  # "Kartennummer"
    assert values["f3"]["value"] == str(int(canary.exp_month))  # month <select>
    assert values["f4"]["value"] == canary.exp_year  # year <select>, found by its options
    assert values["f5"]["value"] == canary.cvv  # placeholder "Cryptogramme visuel"
    # every character was a trusted key event, and the pay button got a real mouseup
    assert int(values["f5"]["keys"]) >= len(canary.pan) + len(canary.cvv)
    assert values["f5"]["keys"] == values["f5"]["trusted"]
    flags = {k for e in echoed(paths) for k in e}
    assert {"touchend", "mouseup", "submitted"} <= flags
    assert {"mouseup": "true"} in echoed(paths)
    assert any("Jetzt bezahlen" in s for s in cap.interaction)


async def test_steps_file_reaches_the_card_form_of_a_multi_step_checkout(
    session: BrowserSession, shop: Shop, tmp_path: Path
) -> None:
    steps_file = tmp_path / "checkout.yaml"
    steps_file.write_text(
        "steps:\n"
        "  - click: '#to-checkout'\n"
        "  - fill: {selector: '#email', value: '{email}'}\n"
        "  - click: '#continue'\n"
        "  - wait-for: '#pay-form'\n",
        encoding="utf-8",
    )
    canary = Canary.generate(seed=12)
    cap, paths = await shop_at(session, shop, "/lab/steps/cart", canary=canary,
                               steps=load_steps(steps_file))
    card = {e["field"]: e["value"] for e in echoed(paths) if e.get("step") == "card"}
    assert card == {"cc": canary.pan, "exp": canary.expiry, "cvc": canary.cvv}
    assert {"step": "continue", "email": canary.email} in echoed(paths)
    assert [s for s in cap.interaction if s.startswith("step ")] == [
        f"step {steps_file}:2: click #to-checkout", f"step {steps_file}:3: fill #email",
        f"step {steps_file}:4: click #continue", f"step {steps_file}:5: wait for #pay-form"]
    assert not [p for p in paths if p.startswith("/api/pay")]  # held, never sent


async def test_a_failing_step_is_a_note_and_the_scan_goes_on(
    session: BrowserSession, shop: Shop, tmp_path: Path
) -> None:
    steps_file = tmp_path / "broken.yaml"
    steps_file.write_text("- click: {selector: '#nope', timeout: 0.5}\n- goto: /never\n")
    cap, paths = await shop_at(session, shop, "/lab/steps/cart", steps=load_steps(steps_file))
    assert any(f"{steps_file}:1: click #nope" in n and "failed" in n for n in cap.notes)
    assert "/never" not in paths
    assert any("no card form was found" in n for n in cap.notes)  # the cart has no card form


async def test_instrumentation_attributes_reads_and_sinks_in_every_frame(
    session: BrowserSession, shop: Shop
) -> None:
    cap, _paths = await shop_at(session, shop, "/checkout/iframe-cross")
    urls = {s.id: s.url for s in cap.scripts}
    by = {(e.kind, urls.get(e.script or "")) for e in cap.instrumentation}
    bridge = "https://shop.test/static/js/payment-bridge.js"
    relay = "https://slripe.test/relay/relay.js"
    assert ("read", bridge) in by  # the first-party bridge reads the card form ...
    assert ("listen", bridge) in by  # ... on submit
    sinks = {(e.detail.get("sink"), urls.get(e.script or "")) for e in cap.instrumentation
             if e.kind == "sink"}
    assert ("message-received", relay) in sinks  # ... the cross-site frame receives it ...
    assert ("beacon", relay) in sinks  # ... and beacons it out
    received = next(e for e in cap.instrumentation if e.detail.get("sink") == "message-received")
    assert received.frame and received.frame.startswith("https://slripe.test/")
    assert received.data and cap.canary is not None and cap.canary.pan in received.data
    assert len(cap.instrumentation) < 300  # identical events are folded, not repeated
    # the instrumentation itself is never reported as a page script
    assert not [s for s in cap.scripts if "SKIMSCAN_CONFIG" in s.code or "skimscan" in (
        s.url or "")]


async def test_a_skimmer_cannot_tell_the_scanner_from_a_shopper(
    session: BrowserSession, shop: Shop
) -> None:
    results = {}
    for shop_mode in (False, True):
        _cap, paths = await shop_at(session, shop, "/lab/stealth", shop=shop_mode)
        [probe] = [e["stealth"] for e in echoed(paths) if "stealth" in e]
        results[shop_mode] = json.loads(probe)
    plain, shopping = results[False], results[True]
    assert shopping["webdriver"] is False
    # the shopper is on Windows, and everything says so; a plain load says Linux throughout
    assert "Windows NT" in shopping["userAgent"] and shopping["platform"] == "Win32"
    assert shopping["uaPlatform"] == "Windows"
    assert "Linux" in plain["userAgent"] and plain["platform"].startswith("Linux")
    for probe in (plain, shopping):  # neither the UA nor the client hints say "headless"
        assert "Headless" not in probe["userAgent"], probe["userAgent"]
        assert probe["brands"] and not any("Headless" in b for b in probe["brands"])
    for key in ("fetchNative", "valueGetterNative", "addEventListenerNative", "toStringNative",
                "webSocketNative", "appendChildNative", "innerHTMLSetterNative"):
        assert shopping[key] is True, key  # wrappers look native
    assert shopping["sendBeaconName"] == "sendBeacon"
    assert shopping["globals"] == [] and shopping["symbols"] == plain["symbols"]
    assert shopping["outer"] and shopping["avail"] and shopping["screenBigger"]
    assert "SwiftShader" not in shopping["renderer"] and "SwiftShader" in plain["renderer"]
    assert shopping["consoleSerialised"] is False and shopping["errorStackRead"] is False
    assert shopping["works"] == [True] * 7  # ordinary page code still works


async def test_the_card_payment_method_is_chosen_when_the_card_form_waits_behind_it(
    session: BrowserSession, shop: Shop
) -> None:
    canary = Canary.generate(seed=12)
    cap, paths = await shop_at(session, shop, "/lab/reveal", canary=canary)
    values = {e["field"]: e["value"] for e in echoed(paths) if "field" in e}
    assert values.get("ccsave_cc_number") == canary.pan, cap.interaction
    assert values.get("ccsave_cc_cid") == canary.cvv
    assert any("chose the card payment method 'Credit / debit card'" in s
               for s in cap.interaction)


async def test_a_card_form_shown_after_pay_is_typed_and_its_author_recorded(
    session: BrowserSession, shop: Shop
) -> None:
    canary = Canary.generate(seed=13)
    cap, paths = await shop_at(session, shop, "/lab/forms-later", canary=canary)
    values = {e["modal"]: e["value"] for e in echoed(paths) if "modal" in e}
    assert values.get("m_cc") == canary.pan and values.get("m_cvc") == canary.cvv
    assert "#m_cc" in cap.typed_fields
    urls = {s.id: s.url for s in cap.scripts}
    [drawn] = [e for e in cap.instrumentation if e.kind == "card-form"]
    assert urls[drawn.script or ""] == (
        "https://cdnjs-cloudflare.test/ajax/libs/checkout-modal/1.2.0/modal.min.js")
    assert drawn.detail["field"] == "#m_cc"
    presses = [s for s in cap.interaction if s.startswith("pressed the pay button")]
    assert "#place" in presses[0] and "#m_pay" in presses[1]  # the form's own button next


async def test_a_field_swapped_in_while_typing_is_typed_on_the_next_pass(
    session: BrowserSession, shop: Shop
) -> None:
    canary = Canary.generate(seed=14)
    cap, paths = await shop_at(session, shop, "/lab/swap", canary=canary)
    values = {e["field"]: e["value"] for e in echoed(paths) if "field" in e}
    assert values.get("cc_number_2") == canary.pan, cap.interaction
    # the page's own inline script swapped it: a card-form event, never a finding (judged
    # in tests/test_card_forms.py), and the field the parser made is never reported
    drawn = [e.detail["field"] for e in cap.instrumentation if e.kind == "card-form"]
    assert drawn == ["#cc_number_2"]
