"""Steps files for multi-step checkouts (`--steps FILE`): validation names file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from skimscan.capture.steps import (
    Step,
    load_steps,
    parse_steps,
    shop_enabled,
    steps_budget,
)
from skimscan.errors import ConfigError
from skimscan.models import Canary


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "steps.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_every_action_and_its_short_form(tmp_path: Path) -> None:
    path = write(tmp_path, """\
steps:
  - goto: /cart
  - click: "button#to-checkout"
  - click: {selector: "#next", frame: "iframe#checkout", timeout: 3}
  - fill: {selector: "#email", value: "{email}"}
  - fill: {selector: "#cc", value: "{pan}", frame: "iframe#card"}
  - wait-for: "#payment-form"
  - wait-for: {selector: "#late", timeout: 20}
  - wait: 1.5
  - shop: true
""")
    steps = load_steps(path)
    assert [s.action for s in steps] == ["goto", "click", "click", "fill", "fill", "wait-for",
                                         "wait-for", "wait", "shop"]
    assert steps[0] == Step("goto", target="/cart", where=f"{path}:2")
    assert steps[2].frame == "iframe#checkout" and steps[2].timeout == 3.0
    assert steps[6].timeout == 20.0 and steps[7].seconds == 1.5
    assert not steps[3].types_card and steps[4].types_card  # {pan} arms the quarantine first
    canary = Canary.generate(seed=3)
    assert steps[3].text(canary) == canary.email and steps[4].text(canary) == canary.pan
    assert shop_enabled(steps)
    assert steps_budget(steps) == pytest.approx(10 * 5 + 3 + 20 + 1.5)


def test_a_plain_list_and_shop_false(tmp_path: Path) -> None:
    steps = load_steps(write(tmp_path, "- fill: {selector: '#cc', value: '{pan} {cvv}'}\n"
                                       "- shop: false\n"))
    assert len(steps) == 2 and not shop_enabled(steps)
    assert load_steps(write(tmp_path, "steps: []\n")) == ()
    assert load_steps(write(tmp_path, "")) == ()


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("steps:\n  - clik: '#a'\n", 2, "unknown step 'clik'"),
        ("steps:\n  - click: '#a'\n    wait: 1\n", 2, "exactly one action"),
        ("steps:\n  - goto: {}\n", 2, "'url' is required"),
        ("steps:\n  - fill: {selector: '#a', value: '{card}'}\n", 2, "unknown placeholder {card}"),
        ("steps:\n  - wait: soon\n", 2, "'seconds' must be a number"),
        ("steps:\n  - wait: 600\n", 2, "between 0 and 60"),
        ("steps:\n  - click: {selector: '#a', timeout: 0}\n", 2, "'timeout' must be between"),
        ("steps:\n  - click: {selector: '#a', where: x}\n", 2, "unknown key(s) where"),
        ("steps:\n  - click: 42\n", 2, "'selector' must be a string"),
        ("steps:\n  - shop: maybe\n", 2, "shop: expected true or false"),
        ("steps:\n  - shop: true\n  - shop: true\n", 3, "only one 'shop' step"),
        ("steps: {goto: /x}\n", 1, "'steps' must be a list"),
        ("pages: []\n", 1, "unknown key(s) pages"),
        ("steps:\n  - 'click #a'\n", 0, "a step is a mapping"),
        ("steps:\n  - click: [\n", 3, "invalid YAML"),
    ],
)
def test_errors_name_the_file_and_line(tmp_path: Path, text: str, line: int,
                                       message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_steps(path)
    error = str(info.value)
    assert message in error, error
    if line:
        assert error.startswith(f"{path}:{line}:"), error
    else:
        assert error.startswith(f"{path}: step 1:"), error


def test_policy_steps_without_lines() -> None:
    steps = parse_steps([{"click": "#a"}, {"wait": 2}], "policy site 'Checkout'")
    assert steps[1].seconds == 2.0
    with pytest.raises(ConfigError, match=r"^policy site 'Checkout': step 2: unknown step"):
        parse_steps([{"click": "#a"}, {"hover": "#b"}], "policy site 'Checkout'")
    assert steps[0].describe() == "step policy site 'Checkout': step 1: click #a"


def test_the_scanner_checks_steps_before_scanning(tmp_path: Path) -> None:
    from skimscan.policy.policy import Policy, SitePolicy
    from skimscan.scanner import Scanner, ScanOptions

    with pytest.raises(ConfigError, match=r"steps.yaml:2: unknown step 'clik'"):
        Scanner(ScanOptions(steps=write(tmp_path, "steps:\n  - clik: '#a'\n")))
    site = SitePolicy(name="Checkout", pages=("https://x.example/*",), steps=({"hover": "#a"},))
    with pytest.raises(ConfigError, match=r"site 'Checkout': step 1: unknown step 'hover'"):
        Scanner(ScanOptions(policy=Policy(sites=(site,), path="policy.yaml")))
    good = SitePolicy(name="Checkout", pages=("https://x.example/*",), steps=({"wait": 1},))
    scanner = Scanner(ScanOptions(policy=Policy(sites=(good,))))
    assert scanner.options.shop and not scanner.options.live
