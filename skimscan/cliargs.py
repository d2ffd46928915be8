"""Command-line options shared by every command that scans pages, and their environment.

Every option declared with `option()` also reads `SKIMSCAN_<OPTION>` (upper case, dashes as
underscores): a flag on the command line beats the variable, which beats the default. The
variable is checked exactly as the flag is — the same `type` and `choices`, yes/no for a
switch — and a bad one is a configuration error (exit 2) that names the variable, raised by
`check_env` only when a command that has the option runs: `SKIMSCAN_JOBS=abc` must not break
`--version`, and an empty variable (a CI template with nothing filled in) counts as unset.
List options (`--also`, `--rules`, `--map-host`) split their variable on a separator, and a
flag given on the command line replaces the variable's list rather than adding to it.

Used by `skimscan.cli` and by the monitoring commands (`skimscan.inventory.commands`), so the
two never drift apart. `global_option` puts a top-level option (`--debug`) after every
subcommand's name too; `subcommands` walks the parser, for that and for the generated reference
(tools/gendocs.py), which reads each option's `env_variables` and `declared_default`.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skimscan.errors import ConfigError

#: How a switch's variable may say yes or no; anything else is an error, not a silent "no".
SWITCH_WORDS = {**dict.fromkeys(("1", "true", "yes", "on"), True),
                **dict.fromkeys(("0", "false", "no", "off"), False)}


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"SKIMSCAN_{name.upper().replace('-', '_')}", default)


def env_flag(name: str) -> bool:
    return (env(name) or "").strip().lower() in ("1", "true", "yes", "on")


def variable(name: str) -> str:
    """`fail-on` -> `SKIMSCAN_FAIL_ON`."""
    return "SKIMSCAN_" + name.upper().replace("-", "_")


# --- value types shared by flags and variables -----------------------------------------------


def seconds(text: str) -> float:
    """A duration: a finite number, 0 or more."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds (0 or more)")
    return value


def count(text: str) -> int:
    """A number of things (jobs, pages): a whole number, 0 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number (0 or more)")
    return value


# --- options that read the environment -------------------------------------------------------


@dataclass(frozen=True)
class EnvProblem:
    """A variable that did not parse, kept as its option's default until `check_env` reports
    it (so that it breaks only the commands that have the option)."""

    message: str


class _ListAction(argparse.Action):
    """`append`, except that the first flag replaces a list taken from the environment."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        items = getattr(namespace, self.dest, None)
        items = [] if items is None or items is self.default else list(items)
        items.append(values)
        setattr(namespace, self.dest, items)


def option(p: argparse.ArgumentParser | Any, *flags: str, env_names: Sequence[str] = (),
           sep: str | None = None, **kwargs: Any) -> argparse.Action:
    """`p.add_argument(*flags, **kwargs)`, with its default taken from `SKIMSCAN_<OPTION>` when
    that is set (`env_names`: other names to read, in order, instead of the long flag's);
    `sep` makes it a repeatable list option whose variable is split on `sep`."""
    if sep is not None:
        kwargs["action"] = _ListAction
    action: argparse.Action = p.add_argument(*flags, **kwargs)
    long_flag = next((f for f in flags if f.startswith("--")), flags[0]).lstrip("-")
    names = tuple(env_names) or (long_flag,)
    # What the reference (tools/gendocs.py) shows: the default whatever the environment says.
    setattr(action, "declared_default", action.default)  # noqa: B010
    action.default = _env_default(action, names, sep)
    # What `--help` and the tests read: the variables this option takes its default from.
    setattr(action, "env_variables", tuple(variable(n) for n in names))  # noqa: B010
    return action


def global_option(parser: argparse.ArgumentParser, *flags: str, env_names: Sequence[str] = (),
                  **kwargs: Any) -> argparse.Action:
    """`option()` on the top-level parser, accepted after any subcommand's name too
    (`skimscan --debug scan-file` and `skimscan scan-file --debug`). Call it once every
    subcommand exists. The copies default to SUPPRESS, so the top-level value — its flag, else
    its variable, else its default — stands unless the flag is given after the subcommand; they
    read no variable themselves (a bad one is reported once, and a flag before the subcommand
    still beats it), and carry the top-level option's variables for the reference."""
    action = option(parser, *flags, env_names=env_names, **kwargs)
    for command in subcommands(parser):
        copy = command.parser.add_argument(*flags, **{**kwargs, "default": argparse.SUPPRESS})
        setattr(copy, "declared_default", getattr(action, "declared_default"))  # noqa: B009, B010
        setattr(copy, "env_variables", getattr(action, "env_variables"))  # noqa: B009, B010
    return action


@dataclass(frozen=True)
class Subcommand:
    """A subcommand of a parser, nested ones included: `("rules", "list")`."""

    path: tuple[str, ...]
    parser: argparse.ArgumentParser
    help: str


def subcommands(parser: argparse.ArgumentParser,
                path: tuple[str, ...] = ()) -> list[Subcommand]:
    """Every subcommand under `parser`, depth first, in the order they were added."""
    out: list[Subcommand] = []
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        helps = {a.dest: a.help or "" for a in action._choices_actions}
        for name, sub in action.choices.items():
            out.append(Subcommand((*path, name), sub, helps.get(name, "")))
            out.extend(subcommands(sub, (*path, name)))
    return out


def _env_default(action: argparse.Action, names: Sequence[str], sep: str | None) -> Any:
    for name in names:
        var = variable(name)
        text = os.environ.get(var, "").strip()
        if not text:
            continue
        try:
            return _parse(action, text, sep)
        except ValueError as exc:
            flag = "/".join(action.option_strings)
            return EnvProblem(f"{var}={text!r}: {exc} (the variable of {flag})")
    return action.default


def _parse(action: argparse.Action, text: str, sep: str | None) -> Any:
    if isinstance(action, argparse._StoreTrueAction):
        word = SWITCH_WORDS.get(text.lower())
        if word is None:
            raise ValueError("expected one of " + ", ".join(SWITCH_WORDS))
        return True if word else action.default
    if sep is not None:
        return [_convert(action, item.strip()) for item in text.split(sep) if item.strip()]
    return _convert(action, text)


def _convert(action: argparse.Action, text: str) -> Any:
    """One value, as argparse would convert and check it from the command line."""
    convert = action.type if callable(action.type) else str
    try:
        value = convert(text)
    except argparse.ArgumentTypeError as exc:
        raise ValueError(str(exc)) from None
    except (TypeError, ValueError):
        name = getattr(convert, "__name__", "")
        raise ValueError(f"invalid {name} value {text!r}") from None
    if action.choices is not None and value not in action.choices:
        raise ValueError("invalid choice (choose from "
                         + ", ".join(str(c) for c in action.choices) + ")")
    return value


def check_env(args: argparse.Namespace) -> None:
    """Raise the first bad variable among the options of the command that runs (exit 2)."""
    for value in vars(args).values():
        if isinstance(value, EnvProblem):
            raise ConfigError(value.message)


# --- output and the page-scan options --------------------------------------------------------


def emit(text: str, output: str | None) -> None:
    """A report to `output` (`-o FILE`), or to stdout when there is none or it is `-`."""
    if output and output != "-":
        Path(output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def add_page_scan_options(p: argparse.ArgumentParser) -> None:
    """--policy, --map-host, --ignore-https-errors, --allow-private, --timeout, --wait,
    --no-browser,
    --no-interact, --live, --fast-forward, --steps."""
    option(p, "--policy", help="policy file (YAML)")
    option(p, "--map-host", metavar="PATTERN=ADDRESS[:PORT]", sep=",", default=[],
           help="send a host name (wildcards allowed) to another address; repeatable")
    option(p, "--ignore-https-errors", action="store_true", default=False,
           help="accept self-signed or invalid certificates (staging, local shops)")
    option(p, "--allow-private", action="store_true", default=False,
           help="let pages make skimscan connect to loopback, private and link-local "
                "addresses (refused by default, except the page's own and --map-host names)")
    option(p, "--timeout", type=seconds, default=30.0,
           help="seconds to load each page (default 30)")
    option(p, "--wait", type=seconds, default=2.0,
           help="extra seconds to watch each page after it loaded (default 2)")
    option(p, "--no-browser", action="store_true", default=False,
           help="fetch HTML and scripts without a browser (fast, sees less)")
    option(p, "--no-interact", "--no-shop", dest="no_interact", action="store_true",
           default=False, env_names=("no-interact", "no-shop"),
           help="only load each page: do not play a shopper (no canary card typed, "
                "no pay button pressed)")
    option(p, "--live", action="store_true", default=False,
           help="let requests to untrusted hosts out after the canary card is typed "
                "(quarantine off; the payment is still never submitted)")
    option(p, "--fast-forward", type=seconds, default=300.0, metavar="SECONDS",
           help="advance the page's clock by this much after pay (and up to 120 s before "
                "the shopper), so that delayed listeners and sends run now (default "
                "300; 0 turns it off)")
    option(p, "--steps", type=Path, metavar="FILE",
           help="YAML steps (goto, click, fill, wait-for, wait, shop) that reach the "
                "card form of a multi-step checkout")
