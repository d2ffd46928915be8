"""STAGE 3 (analyze) — deobfuscation: rewrite the program before any fact is extracted.

The passes below run in order, round after round, until a round changes nothing or the budget
ends. Each pass is one module with one technique (see `techniques.Technique`) and its own test
module; to add one, write the module, add it to `PASSES` (or `LOCAL` for node-local rules), and
add its test file.

Invariants:
- the tree is only rewritten into an equivalent program; nothing of the script runs in Python,
  and what must run (decoders) runs only in the isolate (`isolate.py`);
- every created node carries the location of the node it replaced, so the printed program maps
  back to the original source line by line (`Deobfuscation.origin`);
- bounded: rounds, a CPU-time budget per script, and per-pass caps; on budget exhaustion the
  program rewritten so far is returned, with a note (a `deobfuscation-incomplete` finding);
- a program changed only cosmetically (see `techniques.COSMETIC`) is reported as unchanged
  (`changed` is False): its analysis adds no deobfuscation evidence.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from skimscan.analyze.deobfuscate import (
    builtin_calls,
    call_forms,
    constant_arrays,
    constant_folding,
    constants,
    control_flow,
    dead_code,
    decoders,
    member_keys,
    object_keys,
    packers,
    proxy_functions,
    proxy_objects,
    sequences,
    unused,
)
from skimscan.analyze.deobfuscate.context import Context, Rule, Stage
from skimscan.analyze.deobfuscate.isolate import Isolate
from skimscan.analyze.deobfuscate.techniques import COSMETIC, Technique
from skimscan.analyze.deobfuscate.tree import transform
from skimscan.analyze.parse import ParseLimits, parse, run_deep
from skimscan.analyze.printer import Printer

__all__ = ["LOCAL", "PASSES", "Deobfuscation", "Stage", "Technique", "deobfuscate",
           "deobfuscate_tree", "worth_rewriting"]

#: Node-local rewrites, run together in one bottom-up walk at the start of every round.
LOCAL: tuple[ModuleType, ...] = (constant_folding, member_keys, dead_code, call_forms)
#: Whole-program passes, in order.
PASSES: tuple[ModuleType, ...] = (sequences, object_keys, constants, builtin_calls, proxy_objects,
                                  proxy_functions, constant_arrays, decoders, control_flow,
                                  packers, unused)
MAX_ROUNDS = 16
BUDGET_S = 6.0
#: Scripts up to this size are always rewritten before analysis; bigger ones only when they
#: look like an obfuscator's output or a packer. Rewriting costs about as much as parsing
#: again per round, and a 400 KB analytics bundle is ordinary code the analysis reads as it is.
ALWAYS_BYTES = 32 * 1024
_OBFUSCATOR_NAMES = re.compile(r"\b_0x[0-9a-f]{4,6}\b")
_PACKER = re.compile(r"eval\s*\(\s*function\s*\(\s*p\s*,\s*a\s*,\s*c\s*,\s*k\s*,\s*e")


def worth_rewriting(code: str) -> bool:
    """Whether the analysis deobfuscates this script first (see ALWAYS_BYTES)."""
    if len(code) <= ALWAYS_BYTES:
        return True
    head = code[:2_000_000]
    return len(set(_OBFUSCATOR_NAMES.findall(head))) >= 8 or bool(_PACKER.search(head))


@dataclass(frozen=True)
class Deobfuscation:
    """The rewritten program, or the reason there is none."""

    code: str  # the clean program ("" unless printed)
    changed: bool  # rewritten beyond cosmetics
    techniques: tuple[tuple[str, int], ...]  # (technique, rewrites), in pass order
    origins: tuple[tuple[int, int] | None, ...]  # per printed line: original (line, column)
    stages: tuple[Stage, ...] = ()
    notes: tuple[str, ...] = ()
    error: str | None = None
    revealed: tuple[str, ...] = ()  # strings only a decoder showed (not in the source)
    #: decoders and proxies some use of which no pass could replace (`unused.in_use`): what
    #: the rewrite left encoded (0: every use of what it undid was undone)
    left_encoded: int = 0

    def origin(self, line: int) -> tuple[int, int]:
        """The original (line, column) of a 1-based line of the clean program."""
        for k in range(min(line, len(self.origins)) - 1, -1, -1):
            found = self.origins[k]
            if found is not None:
                return found
        return (1, 0)


def _local_rules(modules: Sequence[ModuleType] = LOCAL) -> dict[str, list[tuple[str, Rule]]]:
    table: dict[str, list[tuple[str, Rule]]] = {}
    for module in modules:
        for node_type, rule in module.RULES.items():
            table.setdefault(node_type, []).append((module.TECHNIQUE, rule))
    return table


def _local_round(ctx: Context, table: dict[str, list[tuple[str, Rule]]]) -> int:
    count = 0

    def rewrite(node: Any) -> Any | None:
        nonlocal count
        for technique, rule in table.get(node.type, ()):
            replaced = rule(node)
            if replaced is not None:
                ctx.done(technique)
                count += 1
                return replaced
        return None

    ctx.program = transform(ctx.program, rewrite)
    if count:
        ctx.changed()
    return count


def deobfuscate_tree(tree: Any, code: str, *, budget_s: float = BUDGET_S,
                     passes: Sequence[ModuleType] = PASSES, local: bool = True,
                     printed: bool = False,
                     local_modules: Sequence[ModuleType] | None = None) -> Deobfuscation:
    """Rewrite `tree` (esprima, parsed from `code`) in place; with `printed`, also print the
    clean program. Call in `run_deep`."""
    isolate = Isolate(budget_s=budget_s)
    # The budget is this thread's CPU time, not the wall clock: on a loaded machine (CI, a
    # worker pool) a script gets the same rewriting, and so the same verdict, as on an idle
    # one. The isolate's evaluations have their own wall-clock limits.
    ctx = Context(tree, code, isolate, time.thread_time() + budget_s)
    table = _local_rules(local_modules or LOCAL) if local else {}
    try:
        for _ in range(MAX_ROUNDS):
            changed = _local_round(ctx, table) if table else 0
            for module in passes:
                if ctx.out_of_time:
                    break
                changed += module.run(ctx)
            if not changed:
                break
            if ctx.out_of_time:
                ctx.notes.append(f"deobfuscation stopped at its budget of {budget_s:g} s")
                break
    except RecursionError:
        ctx.notes.append("deobfuscation stopped: nested too deeply")
    except Exception as exc:  # a pass met a tree it does not know: keep what was rewritten
        # Every rewrite replaces whole nodes, so the tree is a valid program at any point;
        # the analysis goes on with it and the note says where deobfuscation stopped.
        ctx.notes.append(f"deobfuscation stopped early ({type(exc).__name__}: "
                         f"{str(exc)[:120]})")
    finally:
        isolate.close()
    if isolate.timeouts:
        ctx.notes.append(f"{isolate.timeouts} decoder evaluation(s) ran out of time and were "
                         "left encoded")
    techniques = tuple((t.value, ctx.counts[t.value]) for t in Technique if ctx.counts[t.value])
    significant = any(t not in COSMETIC for t, _ in techniques)
    left = _in_use(ctx)
    if not printed:
        return Deobfuscation("", significant, techniques, (), tuple(ctx.stages),
                             tuple(ctx.notes), revealed=tuple(ctx.revealed), left_encoded=left)
    printer = Printer(ctx.program, rename=False)
    try:
        clean = printer.program()
    except RecursionError:
        return Deobfuscation("", False, techniques, (), (), tuple(ctx.notes),
                             "nested too deeply to print")
    return Deobfuscation(clean, significant, techniques, tuple(printer.origins),
                         tuple(ctx.stages), tuple(ctx.notes), revealed=tuple(ctx.revealed),
                         left_encoded=left)


def _in_use(ctx: Context) -> int:
    """`unused.in_use`, or 1 when the question cannot be answered (the rewrite stopped on a
    tree it did not know): then something may be left encoded."""
    try:
        return unused.in_use(ctx)
    except Exception:  # RecursionError included
        return 1


def deobfuscate(code: str, limits: ParseLimits | None = None, *,
                budget_s: float = BUDGET_S) -> Deobfuscation:
    """Parse and deobfuscate `code`; never raises for bad code (see `Deobfuscation.error`)."""

    def work() -> Deobfuscation:
        result = parse(code, limits)
        if result.tree is None:
            return Deobfuscation("", False, (), (), error=result.error)
        return deobfuscate_tree(result.tree, code, budget_s=budget_s, printed=True)

    return run_deep(work)
