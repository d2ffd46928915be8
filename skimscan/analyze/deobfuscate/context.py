"""STAGE 3 (analyze/deobfuscate) — what every pass is handed: the tree, the original text, the
scope index (rebuilt after a change), the isolate, and what has been done so far.

A pass is a module with `TECHNIQUE` and either `RULES` (node-local rewrites: a mapping from node
type to a function returning a replacement or None, all run together in one bottom-up walk per
round) or `run(ctx) -> int` (whole-program rewrites that need scopes; returns the number of
rewrites). `ctx.done(technique, n)` records work; `ctx.changed()` drops the scope index.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from skimscan.analyze.deobfuscate.isolate import Isolate
from skimscan.analyze.deobfuscate.scope import ScopeIndex
from skimscan.analyze.deobfuscate.tree import N, walk
from skimscan.analyze.printer import Printer

Rule = Callable[[Any], Any | None]
MAX_REVEALED = 20_000
RuleTable = Mapping[str, Rule]


@dataclass(frozen=True)
class Stage:
    """Code a script runs through eval/Function that the packers pass put in place."""

    line: int
    column: int
    via: str
    size: int
    decoded: bool  # the code did not appear as written in the source


@dataclass
class Context:
    program: Any
    code: str
    isolate: Isolate
    deadline: float
    counts: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    stages: list[Stage] = field(default_factory=list)
    #: (start, end) of a function's original text -> the names it uses from outside
    original_names: dict[tuple[int, int], set[str] | None] = field(default_factory=dict)
    #: decoder calls (decoder key, arguments) that gave no value, and decoders that cannot
    #: be set up: not tried again in later rounds
    failed: set[tuple[str, str]] = field(default_factory=set)
    failed_decoders: set[str] = field(default_factory=set)
    #: bindings whose value a pass took at every use it could (decoders and what they need,
    #: inlined proxies): candidates for `unused`
    spent: set[str] = field(default_factory=set)
    #: strings only a decoder showed: text-level searches (injected card fields, base64
    #: payloads) look at them as at the source
    revealed: list[str] = field(default_factory=list)
    _scopes: ScopeIndex | None = None

    def scopes(self) -> ScopeIndex:
        if self._scopes is None:
            self._scopes = ScopeIndex(self.program)
        return self._scopes

    def changed(self) -> None:
        self._scopes = None

    def done(self, technique: str, n: int = 1) -> None:
        if n:
            self.counts[technique] += n

    @property
    def out_of_time(self) -> bool:
        return time.thread_time() >= self.deadline

    # source text -------------------------------------------------------------------------
    def source_of(self, node: Any) -> str:
        """JavaScript for `node` as it is now, for the isolate: the original text when the
        subtree is untouched, else the node re-printed on one line. Obfuscators' self-defending
        code tests its own text for line breaks and hangs in a catastrophic regex when it finds
        them (it was "beautified"); printed code must not look beautified."""
        span = getattr(node, "range", None)
        if span is not None and not any(getattr(n, "rewritten", False) for n in walk(node)):
            return self.code[span[0]:span[1]]
        text = print_node(node)
        if "`" in text:  # a template literal may hold line breaks of its own
            return text
        return " ".join(line.strip() for line in text.splitlines())

    @staticmethod
    def spent_key(binding: Any) -> str:
        """A binding's identity across rounds (bindings are rebuilt; declarations stay)."""
        span = getattr(binding.node, "range", None)
        return f"{binding.name}@{span[0] if span else id(binding.node)}"

    def spend(self, binding: Any) -> None:
        self.spent.add(self.spent_key(binding))

    def hide(self, node: Any, via: str) -> Any:
        """Mark the strings of a computed constant that the source does not spell out (see
        `tree.hide`); strings written in the source as they are were never hidden."""
        for n in walk(node):
            if n.type != "Literal" or not isinstance(n.value, str) or len(n.value) < 2:
                continue
            if len(self.revealed) < MAX_REVEALED:  # its text may be escaped in the source
                self.revealed.append(n.value)
            if n.value not in self.code:
                n.hidden = via
        return node

    def record_stage(self, stmt: Any, via: str, code: str) -> None:
        loc = getattr(stmt, "loc", None)
        line, column = (loc.start.line, loc.start.column) if loc is not None else (1, 0)
        self.stages.append(Stage(line, column, via, len(code), code not in self.code))


def print_node(node: Any) -> str:
    """Re-print one statement or expression (names kept)."""
    t = node.type
    stmt = node if t.endswith(("Statement", "Declaration")) else N(
        "ExpressionStatement", expression=node)
    text = Printer(N("Program", body=[stmt], sourceType="script"), rename=False).program()
    if stmt is not node:
        text = text.rstrip().removesuffix(";")
        return f"({text})"
    return text
