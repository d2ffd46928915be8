"""STAGE 3 (analyze) — parse JavaScript into ESTree, within a budget.

The parser interface is `parse(code, limits) -> ParseResult`, backed by one of `PARSERS`:
tree-sitter (the default: tree-sitter-javascript's C parser, its tree converted to the ESTree
esprima2 would build, see `treesitter.py`; ~10x faster) or esprima2 (ES2025, pure Python, the
reference the tree-sitter front end is tested against node by node). Both give the same node
objects, so nothing after this module knows which one ran. Invariants:
- parsing never raises: a script that cannot be parsed yields `ParseResult.error` with a reason
  a person can read, and the caller still runs text-level rules on it;
- the budget is explicit: scripts over `max_bytes` are not parsed (reported, not skipped), and
  nesting deeper than the recursion budget ends in an error instead of a crash;
- esprima is recursive (about ten Python frames per nesting level), so parsing and every later
  walk of the tree run in a worker thread with a large stack and a raised recursion limit (see
  `run_deep`).
"""

from __future__ import annotations

import contextlib
import gc
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import esprima

from skimscan.analyze import estree, linear_scan, treesitter

linear_scan.install()  # long string literals in linear time (see linear_scan.py)

T = TypeVar("T")

#: Stack for deep-recursion threads. Only touched pages are committed, so this costs little.
DEEP_STACK_BYTES = 512 * 1024 * 1024
#: Recursion limit while a deep thread runs; ~1,500 levels of nesting with esprima.
DEEP_RECURSION_LIMIT = 60_000

_limit_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class ParseLimits:
    """Per-script budget and parser. `max_bytes` bounds time too: esprima2 runs at ~0.2 MB/s
    here, the tree-sitter front end at ~2 MB/s."""

    max_bytes: int = 8 * 1024 * 1024
    parser: str = "tree-sitter"  # a key of PARSERS


@dataclass(frozen=True, slots=True)
class ParseResult:
    """An ESTree `Program` (esprima node objects), or the reason there is none."""

    tree: Any | None
    error: str | None = None
    recovered_errors: tuple[str, ...] = ()  # tolerated syntax errors, when the tree exists
    module: bool = False
    #: statements left out of the tree because they did not parse (with the reason and line)
    dropped: tuple[str, ...] = ()


_gc_lock = threading.Lock()
_gc_users = [0]


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while a tree is built and walked.

    An AST is hundreds of thousands of acyclic objects; every full collection would scan all of
    them again (measured: parsing alone ~40% slower with the collector running). Reference
    counting still frees everything; collection resumes when the last user leaves.
    """
    with _gc_lock:
        _gc_users[0] += 1
        if _gc_users[0] == 1:
            gc.disable()
    try:
        yield
    finally:
        with _gc_lock:
            _gc_users[0] -= 1
            if _gc_users[0] == 0:
                gc.enable()


def run_deep(fn: Callable[[], T]) -> T:
    """Run `fn` in a thread with a big stack and a high recursion limit, re-raising its error.

    The recursion limit is process-wide in CPython; it is raised (never lowered below what it
    was) while any deep thread runs. Other threads are unaffected in practice because only
    deep threads recurse that far.
    """
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            with _no_gc():
                box["value"] = fn()
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    with _limit_lock:
        old_stack = threading.stack_size()
        threading.stack_size(DEEP_STACK_BYTES)
        try:
            thread = threading.Thread(target=target, name="skimscan-deep", daemon=True)
            if sys.getrecursionlimit() < DEEP_RECURSION_LIMIT:
                sys.setrecursionlimit(DEEP_RECURSION_LIMIT)
            thread.start()
        finally:
            threading.stack_size(old_stack)
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]


def _esprima_parse(code: str, module: bool) -> tuple[Any, tuple[str, ...]]:
    options = {"tolerant": True, "loc": True, "range": True}
    tree = esprima.parseModule(code, options) if module else esprima.parseScript(code, options)
    errors = tuple(_describe(e) for e in getattr(tree, "errors", ()) or ())
    return estree.from_esprima(tree), errors


@dataclass(frozen=True, slots=True)
class Parser:
    """A parser behind the interface: `parse(code, module) -> (Program, error messages)`,
    raising on a syntax error it cannot recover from. `drops` says what its messages mean:
    statements left out of the tree (tree-sitter recovers by dropping the broken statement),
    or errors tolerated in a complete tree (esprima's tolerant mode)."""

    parse: Callable[[str, bool], tuple[Any, tuple[str, ...]]]
    drops: bool


PARSERS: dict[str, Parser] = {
    "tree-sitter": Parser(treesitter.parse_program, drops=True),
    "esprima": Parser(_esprima_parse, drops=False),
}


def parse(code: str, limits: ParseLimits | None = None) -> ParseResult:
    """Parse `code` as a classic script, then as a module; never raises.

    Must be called from a deep thread (`run_deep`) for deeply nested code to parse; from a
    normal thread, deep nesting ends in a clear "nested too deeply" error.
    """
    limits = limits or ParseLimits()
    parser = PARSERS[limits.parser]
    size = len(code.encode("utf-8", "surrogatepass"))
    if size > limits.max_bytes:
        return ParseResult(
            None,
            f"script is {size:,} bytes, over the parse budget of {limits.max_bytes:,} bytes; "
            "only text-level rules ran on it",
        )
    first_error = ""
    recovered: ParseResult | None = None
    for module in (False, True):
        try:
            tree, errors = parser.parse(code, module)
        except RecursionError:
            return ParseResult(None, "nested too deeply for the parser's recursion budget")
        except MemoryError:
            return ParseResult(None, "ran out of memory while parsing")
        except Exception as exc:  # esprima raises its own Error type, and sometimes others
            if not first_error:
                first_error = _describe(exc)
            continue
        if not module and _module_syntax(tree):
            # esprima refuses import/export in a script; a tree-sitter tree holds them either
            # way. Either way the code is a module, and is parsed as one.
            continue
        if not errors:
            return ParseResult(tree, None, (), module)
        if parser.drops:
            return ParseResult(tree, None, errors, module, dropped=errors)
        # Tolerated errors as a script (e.g. `import` statements): a module may parse cleanly.
        recovered = recovered or ParseResult(tree, None, errors, module)
    if recovered is not None:
        return recovered
    if first_error.startswith("syntax error"):
        return ParseResult(None, first_error)
    return ParseResult(None, f"syntax error: {first_error}")


_MODULE_ITEMS = frozenset({"ImportDeclaration", "ExportAllDeclaration",
                           "ExportDefaultDeclaration", "ExportNamedDeclaration"})


def _module_syntax(tree: Any) -> bool:
    return any(getattr(item, "type", None) in _MODULE_ITEMS for item in tree.body or ())


def _describe(exc: BaseException) -> str:
    text = str(getattr(exc, "message", None) or exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]
