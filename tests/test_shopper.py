"""The shopper's plan (pure): which field asks for which part of the card, in several
languages, what is typed where, and which button is the pay button."""

from __future__ import annotations

import pytest

from skimscan.capture.shopper import (
    ButtonInfo,
    ChoiceInfo,
    FieldInfo,
    FrameForm,
    card_method,
    classify_field,
    make_plan,
)
from skimscan.models import Canary

CANARY = Canary.generate(seed=5, year=2026)


@pytest.mark.parametrize(
    ("field", "kind"),
    [
        (FieldInfo("a", autocomplete="cc-number"), "pan"),
        (FieldInfo("a", autocomplete="billing cc-exp"), "expiry"),
        (FieldInfo("a", autocomplete="cc-csc", name="x"), "cvv"),
        (FieldInfo("a", autocomplete="cc-exp-month"), "exp_month"),
        (FieldInfo("a", name="payment[cc_number]"), "pan"),
        (FieldInfo("a", name="cardnumber"), "pan"),
        (FieldInfo("a", id="x_card_num"), "pan"),
        (FieldInfo("a", name="payment[cc_cid]"), "cvv"),
        (FieldInfo("a", name="security_code"), "cvv"),
        (FieldInfo("a", name="payment[cc_exp]"), "expiry"),
        (FieldInfo("a", name="exp-date"), "expiry"),
        (FieldInfo("a", name="expMonth"), "exp_month"),
        (FieldInfo("a", name="cc_exp_year"), "exp_year"),
        (FieldInfo("a", name="payment[cc_name]"), "holder"),
        (FieldInfo("a", name="cardholder"), "holder"),
        (FieldInfo("a", name="fullName"), "name"),
        (FieldInfo("a", type="email", name="contact"), "email"),
        (FieldInfo("a", name="billing_zip"), "postcode"),
        # labels, placeholders and aria labels, in several languages
        (FieldInfo("a", label="Card number"), "pan"),
        (FieldInfo("a", label="Kartennummer"), "pan"),
        (FieldInfo("a", label="Numéro de carte"), "pan"),
        (FieldInfo("a", label="Número de tarjeta"), "pan"),
        (FieldInfo("a", label="Numero della carta"), "pan"),
        (FieldInfo("a", label="Número do cartão"), "pan"),
        (FieldInfo("a", label="Kaartnummer"), "pan"),
        (FieldInfo("a", label="Numer karty"), "pan"),
        (FieldInfo("a", placeholder="1234 1234 1234 1234"), "pan"),
        (FieldInfo("a", label="Ablaufdatum"), "expiry"),
        (FieldInfo("a", placeholder="MM / YY"), "expiry"),
        (FieldInfo("a", label="Date d'expiration"), "expiry"),
        (FieldInfo("a", label="Fecha de vencimiento"), "expiry"),
        (FieldInfo("a", label="Scadenza"), "expiry"),
        (FieldInfo("a", placeholder="Cryptogramme visuel"), "cvv"),
        (FieldInfo("a", label="Prüfnummer"), "cvv"),
        (FieldInfo("a", label="Código de seguridad"), "cvv"),
        (FieldInfo("a", aria="Security code"), "cvv"),
        (FieldInfo("a", label="Karteninhaber"), "holder"),
        (FieldInfo("a", label="Titulaire de la carte"), "holder"),
        (FieldInfo("a", label="Name on card"), "holder"),
        (FieldInfo("a", label="E-Mail"), "email"),
        (FieldInfo("a", label="Postleitzahl"), "postcode"),
        (FieldInfo("a", near="Card number"), "pan"),
        (FieldInfo("a", name="coupon"), None),
        (FieldInfo("a", label="Gift message"), None),
    ],
)
def test_classify_field(field: FieldInfo, kind: str | None) -> None:
    assert classify_field(field) == kind


def test_the_field_s_own_words_win_over_words_nearby() -> None:
    f = FieldInfo("a", placeholder="Cryptogramme visuel", near="2026 2027 2028 2029")
    assert classify_field(f) == "cvv"


def test_selects_by_their_options() -> None:
    months = tuple((str(m), f"{m:02d}") for m in range(1, 13))
    years = tuple((str(y), str(y)) for y in range(2026, 2038))
    short_years = tuple((str(y), str(y)) for y in range(26, 38))
    names = tuple((str(i), n) for i, n in enumerate(
        ["January", "February", "March", "April", "May", "June", "July", "August",
         "September", "October", "November", "December"], 1))
    assert classify_field(FieldInfo("a", tag="select", options=months)) == "exp_month"
    assert classify_field(FieldInfo("a", tag="select", options=names)) == "exp_month"
    assert classify_field(FieldInfo("a", tag="select", options=years)) == "exp_year"
    assert classify_field(FieldInfo("a", tag="select", options=short_years)) == "exp_year"
    days = tuple((str(d), str(d)) for d in range(1, 32))
    assert classify_field(FieldInfo("a", tag="select", options=days)) is None
    births = tuple((str(y), str(y)) for y in range(1930, 2010))
    assert classify_field(FieldInfo("a", tag="select", options=births)) is None


def test_policy_selectors_give_fields_a_kind() -> None:
    assert classify_field(FieldInfo("a", policy=0)) == "pan"
    assert classify_field(FieldInfo("a", policy=2)) == "cvv"
    assert classify_field(FieldInfo("a", policy=1), ("cvv", "pan")) == "pan"
    assert classify_field(FieldInfo("a", policy=0, autocomplete="cc-csc")) == "cvv"


def direct_form() -> FrameForm:
    return FrameForm(
        url="https://shop.example/checkout", main=True,
        fields=(
            FieldInfo("#name", name="fullName", form="#f"),
            FieldInfo("#email", type="email", form="#f"),
            FieldInfo("#cc", autocomplete="cc-number", form="#f"),
            FieldInfo("#exp", autocomplete="cc-exp", placeholder="MM/YY", form="#f"),
            FieldInfo("#m", tag="select", name="exp_month", form="#f",
                      options=tuple((f"{m:02d}", f"{m:02d}") for m in range(1, 13))),
            FieldInfo("#cvv", name="cvv", form="#f"),
            FieldInfo("#hidden", name="cc_number_copy", visible=False),
            FieldInfo("#ro", name="card_number_display", editable=False),
        ),
        buttons=(
            ButtonInfo("#chat", text="Chat with us", type="button"),
            ButtonInfo("#coupon", text="Apply coupon", type="submit", form="#f"),
            ButtonInfo("#pay", text="Place order", type="submit", form="#f"),
        ),
    )


def test_plan_for_a_first_party_form() -> None:
    plan = make_plan([direct_form()], CANARY)
    typed = {f.field.path: (f.kind, f.value, f.option) for f in plan.fills}
    assert typed["#cc"] == ("pan", CANARY.pan, None)
    assert typed["#exp"] == ("expiry", CANARY.expiry, None)
    assert typed["#m"] == ("exp_month", "", CANARY.exp_month)
    assert typed["#cvv"] == ("cvv", CANARY.cvv, None)
    assert typed["#name"] == ("name", CANARY.name, None)
    assert typed["#email"] == ("email", CANARY.email, None)
    assert "#hidden" not in typed and "#ro" not in typed
    assert plan.pay is not None and plan.pay[1].path == "#pay"
    assert plan.has_card and plan.missing == ()


def test_expiry_formats_follow_the_field() -> None:
    four = make_plan([FrameForm("u", main=True, fields=(
        FieldInfo("#e", autocomplete="cc-exp", maxlength=4),))], CANARY)
    assert four.fills[0].value == CANARY.exp_month + CANARY.exp_year[-2:]
    long = make_plan([FrameForm("u", main=True, fields=(
        FieldInfo("#e", autocomplete="cc-exp", placeholder="MM/YYYY"),))], CANARY)
    assert long.fills[0].value == f"{CANARY.exp_month}/{CANARY.exp_year}"
    year = make_plan([FrameForm("u", main=True, fields=(
        FieldInfo("#c", autocomplete="cc-number"),
        FieldInfo("#y", name="exp_year", maxlength=2),))], CANARY)
    assert [f.value for f in year.fills if f.kind == "exp_year"] == [CANARY.exp_year[-2:]]


def test_hosted_fields_in_a_processor_frame() -> None:
    main = FrameForm("https://shop.example/checkout", main=True,
                     fields=(FieldInfo("#name", autocomplete="name"),),
                     buttons=(ButtonInfo("#pay", text="Pay now", type="submit", form="#f"),))
    processor = FrameForm("https://js.stripe.com/v3/inner.html", name="__privateStripeFrame1",
                          fields=(FieldInfo("#cardnumber", name="cardnumber"),
                                  FieldInfo("#exp-date", name="exp-date"),
                                  FieldInfo("#cvc", name="cvc")))
    other = FrameForm("https://ads.example/frame", fields=(FieldInfo("#q", name="name"),))
    plan = make_plan([main, processor, other], CANARY)
    where = {(plan.frames[f.frame].url, f.kind) for f in plan.fills}
    assert ("https://js.stripe.com/v3/inner.html", "pan") in where
    assert ("https://js.stripe.com/v3/inner.html", "cvv") in where
    assert ("https://shop.example/checkout", "name") in where
    assert not any(url == "https://ads.example/frame" for url, _kind in where)
    assert plan.pay == (0, main.buttons[0])


def test_no_card_form_means_nothing_to_type() -> None:
    plan = make_plan([FrameForm("u", main=True, fields=(FieldInfo("#q", name="search"),),
                                buttons=(ButtonInfo("#go", text="Search", type="submit"),))],
                     CANARY)
    assert not plan.has_card and plan.pay is None
    assert set(plan.missing) == {"pan", "cvv", "expiry"}


@pytest.mark.parametrize("text", ["Jetzt bezahlen", "Payer", "Pagar ahora", "Place my order",
                                  "Complete purchase", "Zapłać", "Acquista ora"])
def test_pay_buttons_in_several_languages(text: str) -> None:
    form = FrameForm("u", main=True, fields=(FieldInfo("#cc", autocomplete="cc-number"),),
                     buttons=(ButtonInfo("#b", text=text, type="button"),
                              ButtonInfo("#h", text="Help", type="button")))
    plan = make_plan([form], CANARY)
    assert plan.pay is not None and plan.pay[1].path == "#b"


def test_a_later_pass_types_only_empty_fields_and_prefers_a_new_pay_button() -> None:
    form = direct_form()
    filled = FrameForm(form.url, main=True, buttons=(
        *form.buttons, ButtonInfo("#modal-pay", text="Pay now", type="button")), fields=(
        *(FieldInfo(f.path, name=f.name, autocomplete=f.autocomplete, type=f.type,
                    filled=True) for f in form.fields[:4]),
        FieldInfo("#cc2", name="card_number_v2"),  # swapped in, empty
    ))
    first = make_plan([filled], CANARY)
    assert first.pay is not None and first.pay[1].path == "#pay"
    later = make_plan([filled], CANARY, empty_only=True,
                      pressed={("https://shop.example/checkout", "#pay")})
    assert [f.field.path for f in later.fills] == ["#cc2"]
    assert later.pay is not None and later.pay[1].path == "#modal-pay"


@pytest.mark.parametrize(("choices", "chosen"), [
    ((ChoiceInfo("#pp", text="PayPal", checked=True), ChoiceInfo("#cc", text="Credit card")),
     "#cc"),
    ((ChoiceInfo("#a", value="checkmo", text="Check / money order"),
      ChoiceInfo("#b", value="ccsave", text="", visible=False, label="label[for=b]")), "#b"),
    ((ChoiceInfo("#k", text="Karte (Visa, Mastercard)"),), "#k"),
    ((ChoiceInfo("#cc", text="Credit card", checked=True),), None),  # already chosen
    ((ChoiceInfo("#g", text="Gift card"), ChoiceInfo("#bt", text="Bank transfer")), None),
    ((ChoiceInfo("#h", text="Credit card", visible=False),), None),  # nothing to click
])
def test_the_card_payment_method(choices: tuple[ChoiceInfo, ...], chosen: str | None) -> None:
    found = card_method([FrameForm("u", main=True, choices=choices)])
    assert (found[1].path if found else None) == chosen


def test_a_multi_step_checkout_s_step_buttons_are_pressed_before_pay() -> None:
    """The card form's own `Continue`/`Next` buttons (not submit buttons, which would send the
    form first, nor `Back`, nor buttons of other forms) are the steps before the pay button."""
    form = FrameForm("u", main=True, fields=(
        FieldInfo("#cc", name="payment[cc_number]", form="#payment"),), buttons=(
        ButtonInfo("#continue", text="Continue", type="button", form="#payment"),
        ButtonInfo("#back", text="Back", type="button", form="#payment"),
        ButtonInfo("#next-submit", text="Next", type="submit", form="#payment"),
        ButtonInfo("#other", text="Continue", type="button", form="#newsletter"),
        ButtonInfo("#pay", text="Place Order", type="submit", form="#payment"),
    ))
    plan = make_plan([form], CANARY)
    assert plan.pay is not None and plan.pay[1].path == "#pay"
    assert [b.path for _, b in plan.steps] == ["#continue"]


def test_a_single_step_checkout_has_no_step_buttons() -> None:
    plan = make_plan([direct_form()], CANARY)
    assert plan.steps == ()
