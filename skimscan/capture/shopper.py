"""STAGE 1 (capture): the simulated shopper — find the card form in every frame, type the
canary card with real key events, move the mouse, press pay.

Three parts:
- `discover()` describes each frame's fields and buttons with one evaluation per frame in an
  isolated world of our own (DevTools `Page.createIsolatedWorld`): page code never sees it, and
  page prototypes it may have patched are not the ones used.
- `make_plan()` is pure: it classifies fields (autocomplete `cc-*` tokens, then names and ids,
  then labels, placeholders and aria labels in English, German, French, Spanish, Italian,
  Portuguese, Dutch and Polish, and the policy's `card_fields` selectors) and picks the pay
  button; it decides what to type where.
- `Shopper.run()` carries the plan out through Playwright: a real mouse click on each card field
  (focus), key events for every character, Tab to blur, mouse moves, and on the pay button a
  touchstart/touchend, then mousedown/mouseup/click.

Invariants: only the canary's values are ever typed (a test card number); the quarantine is
armed (`arm()`) before the first keystroke of card data (billing details are typed first, as a
shopper does, so lazy address widgets load normally) and the pay submission is held (`before_pay()`)
before the button is pressed; every browser action has a short timeout, and one failing field
never stops the others (it becomes a line in the interaction log).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Frame, Page

from skimscan.capture.cdp import CdpSession, CdpTree
from skimscan.models import Canary

CARD_KINDS = ("pan", "expiry", "exp_month", "exp_year", "cvv", "holder")
BILLING_KINDS = ("first_name", "last_name", "name", "email", "phone", "address", "city",
                 "postcode", "country")
ACTION_TIMEOUT = 1500  # ms, per Playwright action
MAX_PASSES = 3  # type-and-pay rounds: the form, then forms shown after pay was pressed
MAX_FRAMES = 40  # frames described per look for the card form (main frame first)

_AUTOCOMPLETE = {
    "cc-number": "pan", "cc-exp": "expiry", "cc-exp-month": "exp_month",
    "cc-exp-year": "exp_year", "cc-csc": "cvv", "cc-name": "holder", "cc-given-name": "holder",
    "given-name": "first_name", "family-name": "last_name", "name": "name", "email": "email",
    "tel": "phone", "street-address": "address", "address-line1": "address",
    "address-level2": "city", "postal-code": "postcode", "country": "country",
    "country-name": "country",
}
#: name/id/class: checked in this order, first match wins
_ATTRIBUTE_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.I)) for kind, pattern in (
        ("pan", r"card.?num|cardnumber|cc.?num|ccnum|card.?no(?![a-z])|(?<![a-z])pan(?![a-z])"
                r"|x_card_num|kartennummer|creditcard(?!.?(name|holder))|numero.?(tarjeta|carte)"),
        ("cvv", r"cvv|cvc|(?<![a-z])csc(?![a-z])|cvn|cc.?cid|card.?cid|(?<![a-z])cid(?![a-z])"
                r"|security.?code|securitycode|card.?code|pr[uü]fnummer|cryptogram"),
        ("exp_month", r"exp\w{0,10}?mon|exp.?mm|(?<![a-z])mm(?![a-z])|month|monat|mois"
                      r"|(?<![a-z])mes(?![a-z])"),
        ("exp_year", r"exp\w{0,10}?y(ea)?r|exp.?yy|year|(?<![a-z])yy(yy)?(?![a-z])|jahr"
                     r"|ann[ée]e|(?<![a-z])a[ñn]o(?![a-z])"),
        ("expiry", r"expir|exp.?date|expdate|cc.?exp|card.?exp|(?<![a-z])exp(?![a-z])|ablauf"
                   r"|vencim|scaden|validade|valid.?(thru|until)"),
        ("holder", r"holder|name.?on.?card|nameoncard|cc.?name|card.?name|karteninhaber"
                   r"|titulaire|titular|intestatario"),
        ("first_name", r"first.?name|given.?name|(?<![a-z])f.?name|vorname|pr[ée]nom"
                       r"|nombre(?!.?completo)"),
        ("last_name", r"last.?name|family.?name|surname|(?<![a-z])l.?name|nachname|apellido"),
        ("name", r"full.?name|(?<![a-z])name(?![a-z])|customer.?name|billing.?name"),
        ("email", r"e.?mail"),
        ("phone", r"phone|(?<![a-z])tel(?![a-z])|mobile|telefon"),
        ("address", r"address|street|(?<![a-z])addr|stra(ss|ß)e|adresse|direcci"),
        ("city", r"city|town|stadt|ville|ciudad|citt[aà]"),
        ("postcode", r"zip|post.?code|postal|(?<![a-z])plz(?![a-z])"),
        ("country", r"country|(?<![a-z])land(?![a-z])|pays|pa[ií]s"),
    )
)
#: label, placeholder and aria-label text, several languages
_LABEL_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.I)) for kind, pattern in (
        ("pan", r"card\s*(number|no\b|#)|kartennummer|num[ée]ro\s+de\s+(la\s+)?carte"
                r"|n[úu]mero\s+de\s+(la\s+)?tarjeta|numero\s+(della\s+)?carta"
                r"|n[úu]mero\s+do\s+cart[ãa]o|kaartnummer|numer\s+karty"
                r"|^\s*(credit|debit)?\s*card\s*$|\d{4}\s\d{4}\s\d{4}\s\d{4}|•{4}\s?•{4}"),
        ("cvv", r"\b(cvv2?|cvc2?|csc|cvn|cid)\b|security\s*code|card\s*code"
                r"|verification\s*(code|value)|pr[üu]fnummer|sicherheitscode|cryptogramme|c[óo]digo\s+de\s+seguridad"
                r"|codice\s+di\s+sicurezza|c[óo]digo\s+de\s+seguran[çc]a|beveiligingscode"
                r"|kod\s+cvv"),
        ("exp_month", r"\b(exp(iry|iration)?\s*)?month\b|\bmonat\b|\bmois\b|\bmes\b|^\s*MM\s*$"),
        ("exp_year", r"\b(exp(iry|iration)?\s*)?year\b|\bjahr\b|\bann[ée]e\b|\ba[ñn]o\b"
                     r"|^\s*(YY|YYYY|AA|JJ)\s*$"),
        ("expiry", r"expir|exp\.?\s*date|valid\s*(thru|until)|ablauf|g[üu]ltig\s*bis"
                   r"|date\s+d.expiration|vencimiento|caducidad|scadenza|validade|vervaldatum"
                   r"|data\s+wa[żz]no|\bMM\s*/\s*(YY|AA|JJ|YYYY)\b"),
        ("holder", r"name\s+on\s+(the\s+)?card|card\s*holder|cardholder|karteninhaber"
                   r"|titulaire|titular|intestatario|naam\s+op\s+(de\s+)?kaart"
                   r"|imi[ęe]\s+i\s+nazwisko\s+na\s+karcie"),
        ("first_name", r"first\s*name|given\s*name|vorname|pr[ée]nom"),
        ("last_name", r"last\s*name|surname|family\s*name|nachname|apellido"),
        ("name", r"full\s*name|^\s*name\s*$|your\s+name|\bnom\b|\bnombre\b|\bnome\b"),
        ("email", r"e-?mail|courriel|correo"),
        ("phone", r"phone|telephone|telefon|t[ée]l[ée]phone|tel[ée]fono|telefone"),
        ("address", r"address|street|stra(ss|ß)e|adresse|direcci[óo]n|indirizzo|endere[çc]o"),
        ("city", r"city|town|stadt|\bort\b|ville|ciudad|citt[aà]|cidade"),
        ("postcode", r"zip|post\s*code|postal|postleitzahl|\bplz\b|code\s+postal|\bcap\b"),
        ("country", r"country|\bland\b|pays|pa[ií]s|paese"),
    )
)
_PAY = re.compile(
    r"\bpay\b|pay\s*now|place\s+(my\s+)?order|\bbuy\b|purchase|complete\s+(order|purchase|payment)"
    r"|confirm|checkout|check\s*out|submit\s*(order|payment)?|order\s+now|continue\s+to\s+payment"
    r"|bezahlen|jetzt\s+kaufen|zahlungspflichtig|kaufen|bestellen|payer|commander|valider"
    r"|pagar|comprar|finalizar|paga\b|acquista|conferma|betalen|zap[łl]a[ćc]|kup",
    re.I,
)
#: a payment-method choice that reveals a card form (its label, value, id or name)
_CARD_METHOD = re.compile(
    r"credit|debit|\bcards?\b|creditcard|card.?payment|\bcc(save|_|-|\b)|kreditkarte|karte\b"
    r"|carte\s+(bancaire|de\s+cr[ée]dit)|\bcb\b|tarjeta|cart[ãa]o|carta\s+di\s+credito|\bvisa\b"
    r"|mastercard|\bamex\b|authorize|braintree|stripe|payflow|cybersource|\bsagepay\b", re.I)
_NOT_CARD_METHOD = re.compile(r"paypal|bank|transfer|invoice|cash|cheque|check\b|klarna|crypto"
                              r"|gift|store\s*credit|apple\s*pay|google\s*pay|shipping|delivery",
                              re.I)
#: a step button's words (a multi-step checkout's `Continue` after the payment details)
_STEP = re.compile(r"\bcontinue\b|\bnext\b|\bsave\b|\bproceed\b|\bweiter\b|\bsuivant\b"
                   r"|\bcontinuar\b|\bsiguiente\b|\bavanti\b|\bvolgende\b", re.I)
_NOT_PAY = re.compile(r"chat|help|cookie|accept|close|menu|search|sign\s*in|log\s*in|login"
                      r"|coupon|promo|newsletter|subscribe|cancel|back", re.I)
_TOUCH = """(function (el) {
  if (!el) return false;
  var r = el.getBoundingClientRect(), x = r.left + r.width / 2, y = r.top + r.height / 2;
  ['touchstart', 'touchend'].forEach(function (type) {
    var t = typeof Touch === 'function'
      ? new Touch({identifier: 1, target: el, clientX: x, clientY: y}) : null;
    el.dispatchEvent(new TouchEvent(type, {bubbles: true, cancelable: true, composed: true,
      touches: t && type === 'touchstart' ? [t] : [], changedTouches: t ? [t] : []}));
  });
  return [x, y];
})(document.querySelector(PATH))"""
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


@dataclass(frozen=True, slots=True)
class FieldInfo:
    """A form field as `discover.js` described it."""

    path: str
    tag: str = "input"
    type: str = ""
    name: str = ""
    id: str = ""
    autocomplete: str = ""
    placeholder: str = ""
    aria: str = ""
    label: str = ""
    near: str = ""  # words just before a field that has no label of its own
    visible: bool = True
    editable: bool = True
    filled: bool = False  # it holds a value (after a pass: typed, or prefilled by the page)
    form: str = ""
    policy: int = -1
    options: tuple[tuple[str, str], ...] = ()
    classes: str = ""
    maxlength: int = -1
    rect: tuple[float, float, float, float] | None = None  # x, y, width, height in its document

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FieldInfo:
        opts = tuple((str(o[0]), str(o[1])) for o in data.get("options") or () if len(o) == 2)
        return cls(
            path=str(data.get("path", "")), tag=str(data.get("tag", "input")),
            type=str(data.get("type", "")), name=str(data.get("name", "")),
            id=str(data.get("id", "")), autocomplete=str(data.get("autocomplete", "")),
            placeholder=str(data.get("placeholder", "")), aria=str(data.get("aria", "")),
            label=str(data.get("label", "")), near=str(data.get("near", "")),
            visible=bool(data.get("visible", True)),
            editable=bool(data.get("editable", True)), filled=bool(data.get("filled", False)),
            form=str(data.get("form", "")),
            policy=int(data.get("policy", -1)), options=opts,
            classes=str(data.get("classes", "")), maxlength=int(data.get("maxlength", -1)),
            rect=_rect(data.get("rect")),
        )

    @property
    def selector(self) -> str:
        if self.id:
            return f"#{self.id}"
        if self.name:
            return f'[name="{self.name}"]'
        return self.path


def _rect(value: Any) -> tuple[float, float, float, float] | None:
    try:
        x, y, w, h = (float(v) for v in value)
    except (TypeError, ValueError):
        return None
    return (x, y, w, h) if w > 0 and h > 0 else None


@dataclass(frozen=True, slots=True)
class ButtonInfo:
    path: str
    text: str = ""
    type: str = ""
    id: str = ""
    name: str = ""
    classes: str = ""
    visible: bool = True
    form: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ButtonInfo:
        def text(key: str) -> str:
            return str(data.get(key) or "")

        return cls(path=text("path"), text=text("text"), type=text("type"), id=text("id"),
                   name=text("name"), classes=text("classes"),
                   visible=bool(data.get("visible", True)), form=text("form"))


@dataclass(frozen=True, slots=True)
class ChoiceInfo:
    """A radio button or radio-like tab (a payment-method picker) as `discover.js` saw it."""

    path: str
    text: str = ""
    name: str = ""
    value: str = ""
    id: str = ""
    checked: bool = False
    visible: bool = True
    label: str = ""  # path of its visible label (for radios hidden by custom styling)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChoiceInfo:
        return cls(path=str(data.get("path", "")), text=str(data.get("text") or ""),
                   name=str(data.get("name") or ""), value=str(data.get("value") or ""),
                   id=str(data.get("id") or ""), checked=bool(data.get("checked", False)),
                   visible=bool(data.get("visible", True)), label=str(data.get("label") or ""))


@dataclass(frozen=True)
class FrameForm:
    """What one frame holds: its URL (with fragment), name, fields and buttons."""

    url: str
    name: str = ""
    main: bool = False
    fields: tuple[FieldInfo, ...] = ()
    buttons: tuple[ButtonInfo, ...] = ()
    choices: tuple[ChoiceInfo, ...] = ()
    #: the DevTools session and frame id it was described through (for isolated evaluation)
    target: tuple[CdpSession, str] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Fill:
    frame: int  # index into the plan's frames
    field: FieldInfo
    kind: str
    value: str
    option: str | None = None  # for a <select>: the option value to choose


@dataclass(frozen=True)
class Plan:
    frames: tuple[FrameForm, ...]
    fills: tuple[Fill, ...] = ()
    pay: tuple[int, ButtonInfo] | None = None
    missing: tuple[str, ...] = ()  # card parts no field was found for
    #: a multi-step checkout's buttons in the card form ("Continue" of Magento 1's payment
    #: step), pressed before the pay button as a shopper goes through the steps
    steps: tuple[tuple[int, ButtonInfo], ...] = ()

    @property
    def has_card(self) -> bool:
        return any(f.kind == "pan" for f in self.fills)

    def card_boxes(self) -> list[dict[str, Any]]:
        """Where the card fields of the main frame are (for marking them on the screenshot)."""
        return [{"x": f.field.rect[0], "y": f.field.rect[1], "width": f.field.rect[2],
                 "height": f.field.rect[3], "selector": f.field.selector, "label": f.kind}
                for f in self.fills
                if f.kind in CARD_KINDS and f.field.rect and self.frames[f.frame].main]


#: names of the things around a field (its error message, label, brand icon), never a field
_NOT_A_FIELD = re.compile(r"error|label|brand|icon|logo|msg|message|hint|help|wrap|container"
                          r"|feedback|tooltip|status|valid|warning|notice|img|image|preview",
                          re.I)
#: a missing element by this name is the payment form (`#paymentForm`, `#co-payment-form`)
_FORM_NAME = re.compile(r"form(?![a-z]*(button|btn|submit))", re.I)
#: how many missing elements one frame may have made for it (a probe of many names stays cheap)
MAX_SYNTHESISED = 24


def synthesis_config(canary: Canary) -> dict[str, Any]:
    """What the instrumentation needs to make missing fields (`instrument.build(synthesise=)`):
    the same name rules the shopper classifies fields by (JavaScript reads these patterns
    as written), the pay-button words, and the value each kind of field is created with."""
    values = {**_canary_values(canary), "expiry": canary.expiry,
              "exp_year": canary.exp_year, "country": canary.country}
    return {"rules": [[kind, pattern.pattern] for kind, pattern in _ATTRIBUTE_RULES],
            "pay": _PAY.pattern, "skip": _NOT_A_FIELD.pattern, "form": _FORM_NAME.pattern,
            "values": values, "max": MAX_SYNTHESISED}


# --------------------------------------------------------------------------- the plan (pure)


_POLICY_ORDER = ("pan", "expiry", "cvv", "holder")


def classify_field(f: FieldInfo, policy_kinds: Sequence[str] = ()) -> str | None:
    """What a field asks for: one of CARD_KINDS or BILLING_KINDS, or None.

    A field the policy names (`card_fields`) that nothing else classifies takes its kind from
    `policy_kinds` at the selector's index, or else pan, expiry, cvv, holder in that order.
    """
    kind = _classify(f)
    if kind is None and f.policy >= 0:
        order = tuple(policy_kinds) or _POLICY_ORDER
        kind = order[f.policy] if f.policy < len(order) else None
    return kind


def _select_kind(f: FieldInfo) -> str | None:
    """A <select> whose options are the months or the coming years is an expiry part."""
    numbers = [int(v) for v, _t in f.options if v.strip().isdigit()]
    numbers += [int(t) for v, t in f.options if not v.strip().isdigit() and t.strip().isdigit()]
    if sum(1 for n in numbers if 2000 <= n <= 2100) >= 5 and max(numbers, default=0) >= 2025:
        return "exp_year"
    if len(numbers) >= 5 and all(20 <= n <= 60 for n in numbers):
        return "exp_year"  # two-digit years
    months = {n for n in numbers if 1 <= n <= 12}
    names = {t.strip().lower()[:3] for _v, t in f.options} & set(_MONTHS)
    if (len(months) == 12 and max(numbers) <= 12) or len(names) == 12:
        return "exp_month"
    return None


def _classify(f: FieldInfo) -> str | None:
    for token in f.autocomplete.lower().split():
        if token in _AUTOCOMPLETE:
            return _AUTOCOMPLETE[token]
    if f.tag == "select" and (kind := _select_kind(f)) is not None:
        return kind
    if f.type == "email":
        return "email"
    if f.type == "tel":
        return "phone"
    attributes = f"{f.name} {f.id} {f.classes}"
    for kind, pattern in _ATTRIBUTE_RULES:
        if pattern.search(attributes):
            return kind
    for text in (f.label, f.aria, f.placeholder, f.near):  # the field's own words first
        if not text:
            continue
        for kind, pattern in _LABEL_RULES:
            if pattern.search(text):
                return kind
    return None


def _month_option(options: Sequence[tuple[str, str]], month: str) -> str | None:
    number = int(month)
    names = (month, str(number), _MONTHS[number - 1])
    for value, text in options:
        v, t = value.strip().lower(), text.strip().lower()
        if v in names[:2] or t in names[:2] or t.startswith(names[2]) or re.match(
            rf"0?{number}\b", t
        ):
            return value
    return None


def _year_option(options: Sequence[tuple[str, str]], year: str) -> str | None:
    for value, text in options:
        if value.strip() in (year, year[-2:]) or text.strip() in (year, year[-2:]):
            return value
    return None


def _country_option(options: Sequence[tuple[str, str]], country: str) -> str | None:
    for value, text in options:
        if value.strip().upper() in (country, "USA") or "united states" in text.lower():
            return value
    return None


def _canary_values(canary: Canary) -> dict[str, str]:
    """What the shopper puts in each kind of field (expiry and year depend on the field)."""
    first, _, last = canary.name.partition(" ")
    return {"pan": canary.pan, "exp_month": canary.exp_month, "cvv": canary.cvv,
            "holder": canary.name, "first_name": first, "last_name": last,
            "name": canary.name, "email": canary.email, "phone": canary.phone,
            "address": canary.address, "city": canary.city, "postcode": canary.postcode}


def _value(kind: str, f: FieldInfo, canary: Canary) -> tuple[str, str | None] | None:
    """(text to type, option to select) for a field, or None when a select has no match."""
    month, year = canary.exp_month, canary.exp_year
    if f.tag == "select":
        choose = {"exp_month": _month_option(f.options, month),
                  "exp_year": _year_option(f.options, year),
                  "country": _country_option(f.options, canary.country)}.get(kind)
        return ("", choose) if choose is not None else None
    hint = f"{f.placeholder} {f.label}".upper()
    if kind == "expiry":
        if f.maxlength == 4 or "MMYY" in hint.replace(" ", ""):
            text = month + year[-2:]
        elif "YYYY" in hint or "AAAA" in hint or f.maxlength == 7:
            text = f"{month}/{year}"
        else:
            text = canary.expiry
    elif kind == "exp_year":
        text = year[-2:] if f.maxlength == 2 or re.search(r"\bYY\b|\bAA\b", hint) else year
    else:
        text = {**_canary_values(canary), "country": "United States"}[kind]
    return text, None


def _pay_button(frames: Sequence[FrameForm], card_frames: set[int],
                pan_forms: set[tuple[int, str]],
                pressed: set[tuple[str, str]] | frozenset[tuple[str, str]] = frozenset(),
                ) -> tuple[int, ButtonInfo] | None:
    best: tuple[int, int, ButtonInfo] | None = None
    for index, frame in enumerate(frames):
        url = frame.url.split("#")[0]
        if not (frame.main or index in card_frames):
            continue
        for b in frame.buttons:
            if not b.visible:
                continue
            words = f"{b.text} {b.id} {b.name} {b.classes}"
            if _NOT_PAY.search(b.text) and not _PAY.search(b.text):
                continue
            score = 0
            score += 4 if _PAY.search(words) else 0
            score += 2 if b.type == "submit" else 0
            score += 3 if b.form and (index, b.form) in pan_forms else 0
            score += 1 if index in card_frames else 0
            if score >= 3 and (url, b.path) in pressed:
                score = 3  # pressed before: a new pay button (a form shown after) comes first
            if score >= 3 and (best is None or score > best[0]):
                best = (score, index, b)
    return (best[1], best[2]) if best else None


def _step_buttons(frames: Sequence[FrameForm], pan_forms: set[tuple[int, str]],
                  pay: tuple[int, ButtonInfo] | None) -> tuple[tuple[int, ButtonInfo], ...]:
    """The visible buttons of a card form, other than the pay button, that take a
    multi-step checkout on (`Continue`, `Next`, `Save`): code hooked on a step's button or
    its container runs when the shopper goes through that step."""
    if pay is None:
        return ()
    out: list[tuple[int, ButtonInfo]] = []
    for index, frame in enumerate(frames):
        for b in frame.buttons:
            # a submit button would send the form before the pay button is pressed
            if not (b.visible and b.form and (index, b.form) in pan_forms) or b.type == "submit":
                continue
            if (index, b.path) == (pay[0], pay[1].path) or _NOT_PAY.search(b.text):
                continue
            if _STEP.search(b.text) and not _PAY.search(b.text):
                out.append((index, b))
    return tuple(out[:3])


def card_method(frames: Sequence[FrameForm]) -> tuple[int, ChoiceInfo] | None:
    """The payment-method choice (radio or tab) that most likely reveals a card form: one
    whose words say card and not another method, not chosen yet."""
    for index, frame in enumerate(frames):
        for c in frame.choices:
            words = f"{c.text} {c.value} {c.id} {c.name}"
            if c.checked or not (c.visible or c.label):
                continue
            if _CARD_METHOD.search(words) and not _NOT_CARD_METHOD.search(c.text or words):
                return index, c
    return None


def _button_key(plan: Plan) -> tuple[str, str]:
    """The pay button of a plan as (frame URL, path): known again in a later discovery."""
    assert plan.pay is not None
    index, button = plan.pay
    return plan.frames[index].url.split("#")[0], button.path


def make_plan(frames: Sequence[FrameForm], canary: Canary,
              policy_kinds: Sequence[str] = (), *, empty_only: bool = False,
              pressed: set[tuple[str, str]] | frozenset[tuple[str, str]] = frozenset()) -> Plan:
    """Decide which fields get which canary value, and which button is the pay button.
    `empty_only`: leave out fields that already hold a value (a later pass types only into
    the fields that appeared, or were emptied, since the last); `pressed`: buttons pressed in
    earlier passes, chosen again only when nothing else looks like a pay button."""
    frames = tuple(frames)
    fills: list[Fill] = []
    card_frames: set[int] = set()
    pan_forms: set[tuple[int, str]] = set()
    chosen: list[tuple[int, FieldInfo, str]] = []
    for index, frame in enumerate(frames):
        seen: set[str] = set()
        for f in sorted(frame.fields, key=lambda f: f.policy < 0):  # policy's fields first
            if not (f.visible and f.editable) or (empty_only and f.filled):
                continue
            kind = classify_field(f, policy_kinds)
            if kind is None or kind in seen:
                continue
            seen.add(kind)
            chosen.append((index, f, kind))
            if kind in ("pan", "cvv"):
                card_frames.add(index)
            if kind == "pan" and f.form:
                pan_forms.add((index, f.form))
    for index, f, kind in chosen:
        billing = kind in BILLING_KINDS
        if billing and not (frames[index].main or index in card_frames):
            continue
        if kind in ("exp_month", "exp_year") and index not in card_frames:
            continue
        value = _value(kind, f, canary)
        if value is not None:
            fills.append(Fill(index, f, kind, value[0], value[1]))
    kinds = {f.kind for f in fills}
    missing = tuple(k for k in ("pan", "cvv") if k not in kinds)
    if "expiry" not in kinds and not {"exp_month", "exp_year"} <= kinds:
        missing += ("expiry",)
    pay = _pay_button(frames, card_frames, pan_forms, pressed)
    return Plan(frames, tuple(fills), pay, missing, _step_buttons(frames, pan_forms, pay))


# --------------------------------------------------------------------------- discovery (CDP)


def _discover_source() -> str:
    return resources.files("skimscan.capture").joinpath("discover.js").read_text("utf-8")


def _walk(tree: dict[str, Any], out: list[dict[str, Any]]) -> None:
    frame = tree.get("frame") or {}
    out.append(frame)
    for child in tree.get("childFrames") or []:
        _walk(child, out)


async def isolated_eval(session: CdpSession, frame_id: str, world: str,
                        expression: str) -> Any:
    """Evaluate `expression` in an isolated world of the frame (page code cannot see it);
    its JSON-able value, or None when the frame is gone or the evaluation failed."""
    created = await session.try_send(
        "Page.createIsolatedWorld", {"frameId": frame_id, "worldName": world}, timeout=3.0
    )
    if not created or "executionContextId" not in created:
        return None
    result = await session.try_send(
        "Runtime.evaluate",
        {"expression": expression, "contextId": created["executionContextId"],
         "returnByValue": True, "silent": True},
        timeout=5.0,
    )
    return ((result or {}).get("result") or {}).get("value")


async def frame_targets(tree: CdpTree) -> list[tuple[CdpSession, dict[str, Any]]]:
    """Every frame of the page with the session that owns it (main frame first)."""
    owners: dict[str, tuple[CdpSession, dict[str, Any]]] = {}
    for session in tree.live_sessions():
        if session.is_worker or session.target_type not in ("page", "iframe"):
            continue
        got = await session.try_send("Page.getFrameTree", timeout=3.0)
        frames: list[dict[str, Any]] = []
        if got and isinstance(got.get("frameTree"), dict):
            _walk(got["frameTree"], frames)
        for frame in frames:
            fid = str(frame.get("id", ""))
            if fid and (fid not in owners or session.target_id == fid):
                owners[fid] = (session, frame)
    return sorted(owners.values(), key=lambda sf: bool(sf[1].get("parentId")))


async def discover(tree: CdpTree, world: str, selectors: Sequence[str] = ()) -> list[FrameForm]:
    """Fields and buttons of the page's frames: the main frame first, then at most
    MAX_FRAMES - 1 others in document order (a page of a thousand frames must not keep the
    shopper from the card form of the first)."""
    targets = (await frame_targets(tree))[:MAX_FRAMES]
    expression = f"({_discover_source()})({json.dumps(list(selectors))})"
    described = await asyncio.gather(
        *(isolated_eval(s, str(f.get("id")), world, expression) for s, f in targets)
    )
    forms: list[FrameForm] = []
    for (session, frame), value in zip(targets, described, strict=True):
        try:
            data = json.loads(value) if isinstance(value, str) else None
        except ValueError:
            data = None
        if not isinstance(data, dict):
            continue
        forms.append(FrameForm(
            url=str(data.get("url", frame.get("url", ""))), name=str(frame.get("name", "")),
            main=not frame.get("parentId"),
            fields=tuple(FieldInfo.from_json(f) for f in data.get("fields") or ()
                         if isinstance(f, dict)),
            buttons=tuple(ButtonInfo.from_json(b) for b in data.get("buttons") or ()
                          if isinstance(b, dict)),
            choices=tuple(ChoiceInfo.from_json(c) for c in data.get("choices") or ()
                          if isinstance(c, dict)),
            target=(session, str(frame.get("id"))),
        ))
    return forms


async def _eval_in_frames(tree: CdpTree, world: str, expression: str) -> int:
    """Evaluate `expression` in every frame from an isolated world; how many returned true."""
    targets = await frame_targets(tree)
    done = await asyncio.gather(
        *(isolated_eval(s, str(f.get("id")), world, expression) for s, f in targets))
    return sum(1 for d in done if d is True)


async def dispatch_everywhere(tree: CdpTree, world: str, event_type: str) -> int:
    """Dispatch an event of `event_type` on every frame's window from an isolated world: page
    code sees neither the call nor (unless it listens for that exact type) the event.
    Returns how many frames got it."""
    return await _eval_in_frames(
        tree, world, f"window.dispatchEvent(new Event({json.dumps(event_type)})), true")


_LEAVING = """(function () {
  document.dispatchEvent(new Event('visibilitychange'));
  window.dispatchEvent(new PageTransitionEvent('pagehide', {persisted: false}));
  window.dispatchEvent(new Event('beforeunload'));
  return true;
})()"""


async def dispatch_leaving(tree: CdpTree, world: str) -> int:
    """The events of a shopper leaving (visibilitychange, pagehide, beforeunload) in every
    frame, from an isolated world, while the page can still send: code that waits for the
    visit to end runs before the real navigation (whose unload traffic may escape capture)."""
    return await _eval_in_frames(tree, world, _LEAVING)


def match_frames(page: Page, forms: Sequence[FrameForm]) -> list[Frame | None]:
    """The Playwright frame of each described frame (by URL and name, in order)."""
    used: set[int] = set()
    out: list[Frame | None] = []
    for form in forms:
        found: Frame | None = None
        for exact in (True, False):
            for frame in page.frames:
                if id(frame) in used:
                    continue
                same = frame.url == form.url if exact else (
                    frame.url.split("#")[0] == form.url.split("#")[0])
                if (same and (frame.name or "") == form.name) or (
                    form.main and frame is page.main_frame
                ):
                    found = frame
                    break
            if found is not None:
                break
        if found is not None:
            used.add(id(found))
        out.append(found)
    return out


# --------------------------------------------------------------------------- acting


_PLAIN_KINDS = {"pan": "the card number", "expiry": "the expiry date",
                "exp_month": "the expiry month", "exp_year": "the expiry year",
                "cvv": "the CVV", "holder": "the cardholder name"}


@dataclass
class Shopper:
    """Carries a plan out on a page. `arm` runs before the first keystroke, `before_pay`
    before the pay button is pressed; `log` gets one line per action."""

    page: Page
    canary: Canary
    arm: Callable[[], Awaitable[None]]
    before_pay: Callable[[], None]
    log: Callable[[str], None]
    world: str  # the name of our isolated worlds
    typing_delay: float = 2.0  # ms between keys
    #: between passes (after pay, after choosing a payment method): let the page act
    pause: Callable[[], Awaitable[None]] | None = None
    done: list[str] = field(default_factory=list)
    typed: list[str] = field(default_factory=list)  # selectors of the card fields typed into
    #: why the page could not be shopped as a shopper would (the main frame did not answer, a
    #: card field refused the card): the scan must not call such a page clean
    problems: list[str] = field(default_factory=list)
    _failed: list[str] = field(default_factory=list)  # card numbers that would not type

    async def run(self, tree: CdpTree, selectors: Sequence[str] = (),
                  policy_kinds: Sequence[str] = ()) -> Plan:
        """`_shop`, then: a card number that would not type anywhere is a problem (one that
        typed on a later pass, into the field swapped in for it, is not)."""
        plan = await self._shop(tree, selectors, policy_kinds)
        if self._failed and "pan" not in self.done:
            self.problems.append(self._failed[0])
        return plan

    async def _shop(self, tree: CdpTree, selectors: Sequence[str],
                    policy_kinds: Sequence[str]) -> Plan:
        """Shop the page: choose the card payment method if the card form waits behind it,
        type, press pay; then look again, up to MAX_PASSES times, for card fields that are
        empty now (a form injected, revealed or swapped in by then, or shown when pay was
        pressed) and shop those too. Returns the last plan that typed a card (or the first)."""

        async def plan_now(empty_only: bool = False,
                           pressed: set[tuple[str, str]] | None = None) -> Plan:
            forms = await discover(tree, self.world, selectors)
            return make_plan(forms, self.canary, policy_kinds, empty_only=empty_only,
                             pressed=pressed or set())

        plan = await plan_now()
        if not any(f.main for f in plan.frames):
            self.problems.append("the page's main frame did not answer when its card form was "
                                 "looked for (a script that never yields?)")
            self.log("the main frame could not be described; nothing was typed")
            return plan
        if not plan.has_card and await self._choose_card_method(plan):
            plan = await plan_now()
        if not plan.has_card and plan.pay is None:
            self.log("no card number field was found in any frame; nothing was typed")
            return plan
        typed: Plan | None = None
        pressed: set[tuple[str, str]] = set()
        for attempt in range(MAX_PASSES):
            await self._type(plan)  # without a card field: the billing details a shopper gives
            if plan.has_card:
                typed = plan
            elif attempt == 0:
                self.log("no card number field was found in any frame: pressing the pay button "
                         "to see whether a card form follows")
            if plan.pay is None:
                self.log("no pay button was found; the card form was filled but not submitted")
                break
            await self._pay(plan)
            pressed.add(_button_key(plan))
            if self.pause is not None:
                await self.pause()
            later = await plan_now(empty_only=True, pressed=pressed)
            if not later.has_card:
                break
            self.log("card fields were empty after the pay button was pressed (a form shown, "
                     "injected or swapped in): typing into them as well")
            plan = later
        return typed or plan

    async def _type(self, plan: Plan) -> None:
        """Billing details first, as a shopper does; the quarantine goes on before the first
        keystroke of card data."""
        frames = match_frames(self.page, plan.frames)
        order = sorted(plan.fills, key=lambda f: (f.kind in CARD_KINDS,
                                                  not plan.frames[f.frame].main, f.frame))
        for fill in order:
            if fill.kind in CARD_KINDS:
                await self.arm()
            frame = frames[fill.frame]
            if frame is None:
                self.log(f"the frame {plan.frames[fill.frame].url[:120]} could not be reached")
                continue
            await self._fill(frame, fill, plan.frames[fill.frame])
        for kind in plan.missing if plan.has_card else ():
            self.log(f"no field for {_PLAIN_KINDS.get(kind, kind)} was found")

    async def _pay(self, plan: Plan) -> None:
        assert plan.pay is not None
        index, button = plan.pay
        frames = match_frames(self.page, plan.frames)
        frame = frames[index]
        if frame is None:
            self.log("the pay button's frame could not be reached")
            return
        await self.arm()  # (already on when a card was typed)
        for at, step in plan.steps:
            step_frame = frames[at]
            if step_frame is not None:
                await self._press(step_frame, plan.frames[at], step, "step button")
        self.before_pay()
        await self._press(frame, plan.frames[index], button)

    async def _choose_card_method(self, plan: Plan) -> bool:
        """Click the card payment method when the card form waits behind a choice."""
        found = card_method(plan.frames)
        if found is None:
            return False
        index, choice = found
        frame = match_frames(self.page, plan.frames)[index]
        if frame is None:
            return False
        what = (choice.text or choice.value or choice.id or choice.path)[:60]
        for path, how in ((choice.path, "click"), (choice.label, "click"),
                          (choice.path, "dispatch")):
            if not path:
                continue
            loc = frame.locator(f"css={path}").first
            try:
                if how == "click":
                    await loc.click(timeout=ACTION_TIMEOUT)
                else:  # a radio hidden by custom styling and no visible label
                    await loc.dispatch_event("click", timeout=ACTION_TIMEOUT)
            except PlaywrightError:
                continue
            self.log(f"chose the card payment method {what!r}")
            if self.pause is not None:
                await self.pause()
            return True
        self.log(f"could not choose the card payment method {what!r}")
        return False

    async def _fill(self, frame: Frame, fill: Fill, form: FrameForm) -> None:
        loc = frame.locator(f"css={fill.field.path}").first
        where = fill.field.selector + ("" if form.main else f" in {form.url.split('#')[0]}")
        what = _PLAIN_KINDS.get(fill.kind, fill.kind.replace("_", " "))
        try:
            if fill.option is not None:
                await loc.select_option(value=fill.option, timeout=ACTION_TIMEOUT)
                self.log(f"chose {what} in {where}")
                return
            if fill.kind in CARD_KINDS and form.main:
                try:  # a real click: the mouse moves there, the field gets focus
                    await loc.click(timeout=ACTION_TIMEOUT // 2)
                except PlaywrightError:
                    await loc.focus(timeout=ACTION_TIMEOUT)
            if fill.kind in CARD_KINDS:  # the card: a key event for every character
                if await loc.input_value(timeout=ACTION_TIMEOUT):
                    # a field that already holds something (autofill, a prefilled field, a
                    # stand-in detonation made): a shopper replaces it, not appends to it;
                    # emptied and left once, so that typing the same value is a change too
                    await loc.fill("", timeout=ACTION_TIMEOUT)
                    await loc.blur(timeout=ACTION_TIMEOUT)
                    await loc.focus(timeout=ACTION_TIMEOUT)
                await loc.press_sequentially(fill.value, delay=self.typing_delay,
                                             timeout=ACTION_TIMEOUT * 4)
            else:  # billing details: typed in one go (input events, no key events)
                await loc.fill(fill.value, timeout=ACTION_TIMEOUT)
            await loc.press("Tab", timeout=ACTION_TIMEOUT)  # blur: change and blur fire
            self.done.append(fill.kind)
            if fill.kind in CARD_KINDS:
                self.typed.append(fill.field.selector)
            self.log(f"typed {what} into {where}")
        except PlaywrightError as exc:
            self.log(f"could not type {what} into {where}: {_first_line(exc)}")
            if fill.kind == "pan":
                self._failed.append(f"{what} could not be typed into {where}")

    async def _press(self, frame: Frame, form: FrameForm, button: ButtonInfo,
                     what: str = "pay button") -> None:
        loc = frame.locator(f"css={button.path}").first
        label = button.text[:40] or button.id or button.path
        try:
            if form.target is not None:  # synthetic touches, from our isolated world
                session, frame_id = form.target
                point = await isolated_eval(session, frame_id, self.world,
                                            _TOUCH.replace("PATH", json.dumps(button.path)))
                if form.main and isinstance(point, list) and len(point) == 2:
                    await self.page.mouse.move(float(point[0]), float(point[1]), steps=8)
            try:
                await loc.click(timeout=ACTION_TIMEOUT, no_wait_after=True)
            except PlaywrightError:  # covered, moving, or the page is busy: press it anyway
                await loc.click(timeout=ACTION_TIMEOUT, no_wait_after=True, force=True)
            self.log(f"pressed the {what} {(button.id and '#' + button.id) or button.path} "
                     f"({label!r}): touchend, mousedown, mouseup, click")
        except PlaywrightError as exc:
            self.log(f"could not press the {what} ({label!r}): {_first_line(exc)}")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:200]
