"""Runs the documentation: the fenced blocks of README.md and docs/*.md, as a new user would.

A block's fate is said by an HTML comment on the line right above its fence (invisible on
GitHub), so a reader sees plain documentation and the test sees what to do with each block:

    <!-- doc: run -->                          every command of the shell block runs; exit 0
    <!-- doc: run exit=1 contains="MALICIOUS" -->   expected exit code(s) and text in the output
    <!-- doc: run setup="cp a b" -->           a hidden shell line run before the block
    <!-- doc: output -->                       a JSON/YAML block is what the last command printed
    <!-- doc: output of="policy.yaml" -->      ... or the file it wrote (in the document's folder)
    <!-- doc: policy -->  <!-- doc: steps -->  <!-- doc: rule -->   a YAML block the loader accepts
    <!-- doc: skip REASON -->                  not run, with the reason

Python blocks run by default, in order, in one namespace per document (and are type-checked);
shell, JSON and YAML blocks must be marked, so an example can never silently stop being checked.
In an `output` block, the string "…" stands for any value (inside a string, for any text),
`"…": "…"` in an object for keys not shown, and a trailing "…" in a list for more items;
everything else must be equal.

    <!-- doc: example NAME -->                 checked by the test that names it in EXAMPLES
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SHELL_LANGS = frozenset({"", "sh", "bash", "shell", "console"})
ELLIPSIS = "…"
_MARK = re.compile(r"^<!--\s*doc:\s*(\w+)\s*(.*?)\s*-->\s*$")
_FENCE = re.compile(r"^(```+|~~~+)\s*([\w-]*)")
_OPTION = re.compile(r'(\w+)=(?:"((?:[^"\\]|\\.)*)"|(\S+))')
ACTIONS = frozenset({"run", "output", "policy", "steps", "rule", "skip", "example"})


@dataclass(frozen=True)
class Block:
    """One fenced block of a document, with what its marker asks."""

    doc: Path
    line: int  # of the opening fence, 1-based
    lang: str
    text: str
    action: str | None  # None: no marker
    options: Mapping[str, str] = field(default_factory=dict)
    contains: tuple[str, ...] = ()  # every `contains=` of the marker
    reason: str = ""

    @property
    def where(self) -> str:
        return f"{self.doc.name}:{self.line}"


class DocError(AssertionError):
    """A documented block that does not do what the document says."""


def blocks(doc: Path) -> list[Block]:
    """The fenced blocks of a Markdown file with their markers."""
    lines = doc.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        fence = _FENCE.match(lines[i])
        if not fence:
            i += 1
            continue
        start, ticks, lang = i, fence.group(1), fence.group(2).lower()
        i += 1
        body: list[str] = []
        while i < len(lines) and not lines[i].startswith(ticks):
            body.append(lines[i])
            i += 1
        i += 1
        mark = _MARK.match(lines[start - 1]) if start else None
        action, options, reason = None, {}, ""
        contains: list[str] = []
        if mark:
            action = mark.group(1)
            if action not in ACTIONS:
                raise DocError(f"{doc.name}:{start}: unknown doc marker {action!r}")
            if action in ("skip", "example"):
                reason = mark.group(2)
            else:
                for m in _OPTION.finditer(mark.group(2)):
                    value = m.group(2) if m.group(2) is not None else m.group(3)
                    value = value.replace('\\"', '"')
                    if m.group(1) == "contains":
                        contains.append(value)
                    else:
                        options[m.group(1)] = value
        found.append(Block(doc, start + 1, lang, "\n".join(body) + "\n", action, options,
                           tuple(contains), reason))
    return found


def unmarked(block: Block) -> str | None:
    """Why a block lacks the marker it needs, or None."""
    if block.action in ("skip", "example") and not block.reason:
        return f"{block.where}: `doc: {block.action}` needs a " + (
            "reason" if block.action == "skip" else "name")
    if block.action is not None or block.lang in ("python", "py"):
        return None
    if block.lang in SHELL_LANGS | {"json", "yaml", "yml"}:
        return (f"{block.where}: unmarked ```{block.lang or 'shell'} block: say "
                "<!-- doc: run|output|policy|steps|rule --> or <!-- doc: skip REASON -->")
    return None


def commands(text: str) -> Iterator[str]:
    """The commands of a shell block: `\\` continuations joined, comment lines dropped."""
    pending = ""
    for raw in text.splitlines():
        line = raw.rstrip()
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        yield pending + line
        pending = ""
    if pending:
        yield pending


@dataclass
class Session:
    """One document's run: its folder, environment and the last command's output."""

    workdir: Path
    env: dict[str, str]
    timeout: float = 300.0
    last_stdout: str = ""
    namespace: dict[str, Any] = field(default_factory=dict)

    def sh(self, command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["bash", "-c", command], cwd=self.workdir, env=self.env,
                              capture_output=True, text=True, timeout=self.timeout,
                              check=False)

    def run(self, block: Block) -> None:
        if "setup" in block.options:
            done = self.sh(block.options["setup"])
            if done.returncode:
                raise DocError(f"{block.where}: setup failed: {done.stderr.strip()}")
        cmds = list(commands(block.text))
        codes = [int(c) for c in block.options.get("exit", "0").split(",")]
        if len(codes) == 1:
            codes *= len(cmds)
        if len(codes) != len(cmds):
            raise DocError(f"{block.where}: exit= names {len(codes)} codes for {len(cmds)} "
                           "commands")
        output = ""
        for command, code in zip(cmds, codes, strict=True):
            done = self.sh(command)
            output += done.stdout + done.stderr
            self.last_stdout = done.stdout
            if done.returncode != code:
                raise DocError(f"{block.where}: `{command}` exited {done.returncode}, the "
                               f"document expects {code}\n--- stdout\n{done.stdout[-3000:]}"
                               f"\n--- stderr\n{done.stderr[-3000:]}")
        for want in block.contains:
            if want not in output:
                raise DocError(f"{block.where}: the output does not contain {want!r}:\n"
                               f"{output[-3000:]}")

    def output(self, block: Block) -> None:
        source = block.options.get("of")
        actual_text = ((self.workdir / source).read_text(encoding="utf-8") if source
                       else self.last_stdout)
        if block.lang == "json":
            documented, actual = json.loads(block.text), json.loads(actual_text)
        else:
            documented, actual = yaml.safe_load(block.text), yaml.safe_load(actual_text)
        problem = compare(documented, actual, "$")
        if problem:
            raise DocError(f"{block.where}: the documented output drifted from the "
                           f"program's: {problem}")

    def python(self, block: Block) -> None:
        cwd = Path.cwd()
        os.chdir(self.workdir)
        try:
            code = compile(block.text, f"{block.doc.name}:{block.line}", "exec")
            exec(code, self.namespace)
        except Exception as exc:
            raise DocError(f"{block.where}: the Python example raised "
                           f"{type(exc).__name__}: {exc}") from exc
        finally:
            os.chdir(cwd)


def compare(documented: Any, actual: Any, path: str) -> str | None:
    """Where `documented` (with "…" wildcards) and `actual` differ, or None."""
    if documented == ELLIPSIS:
        return None
    if isinstance(documented, dict):
        if not isinstance(actual, dict):
            return f"{path}: documented an object, the program gives {type(actual).__name__}"
        open_ended = documented.get(ELLIPSIS) == ELLIPSIS
        keys = [k for k in documented if k != ELLIPSIS]
        missing = [k for k in keys if k not in actual]
        if missing:
            return f"{path}: documented keys {missing} are not in the output"
        extra = sorted(set(actual) - set(keys))
        if extra and not open_ended:
            return f"{path}: the output has keys the document does not show: {extra}"
        for key in keys:
            problem = compare(documented[key], actual[key], f"{path}.{key}")
            if problem:
                return problem
        return None
    if isinstance(documented, list):
        if not isinstance(actual, list):
            return f"{path}: documented a list, the program gives {type(actual).__name__}"
        more = bool(documented) and documented[-1] == ELLIPSIS
        shown = documented[:-1] if more else documented
        if len(actual) < len(shown) or (not more and len(actual) != len(shown)):
            return f"{path}: documented {len(shown)} items, the output has {len(actual)}"
        for i, item in enumerate(shown):
            problem = compare(item, actual[i], f"{path}[{i}]")
            if problem:
                return problem
        return None
    if isinstance(documented, str) and ELLIPSIS in documented and isinstance(actual, str):
        pattern = ".*".join(re.escape(part) for part in documented.split(ELLIPSIS))
        return None if re.fullmatch(pattern, actual, re.DOTALL) else (
            f"{path}: documented {documented!r}, the output has {actual!r}")
    if documented != actual:
        return f"{path}: documented {documented!r}, the output has {actual!r}"
    return None

