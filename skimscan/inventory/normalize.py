"""SIDE-CAR (inventory) — script identity: a stable key, a normalised-code hash, a readable diff.

PCI DSS 11.6.1 alerts must follow what the browser runs, not what a deploy renames. So a script
is identified by:

- `script_key`: its URL with cache-busting query parameters (`v`, `ver`, `_`, `t`, `ts`, `cb`,
  `cache`, … and any hash- or timestamp-like value) removed and hash-looking path tokens
  (`app.3f2a9c1b.js`, `index-BdW2a9Xc.js`, `/build/5e8c0d1a9b/`) replaced by `*`. Scripts
  without a URL of their own (inline, handlers, eval) are keyed `kind@frame#code-hash`.
- `normalize_code`: the code re-printed from its ESTree, one statement per line, so that
  whitespace, comments, quote style and minifier renames vanish: every local binding is renamed
  to a positional name while globals, property names, strings, numbers and structure are kept.
  A few rewrites that minifiers make without changing behaviour are undone
  (`!0`→`true`, `void 0`→`undefined`, `a&&b()`→`if (a) b()`, `a(),b()`→two statements,
  `var a,b`→two declarations, `x["y"]`→`x.y`, `"s"==typeof x`→`typeof x=="s"`,
  single-statement blocks). `ast_hash` is the sha256 of it.

What is renamed: the bindings of functions, blocks and catch clauses — the names a minifier is
free to change. The top-level declarations of a classic script (`var`, `let`, `const`,
`function`, `class`) are kept as written: they are globals (a `var` or `function` is a property
of `window`), shared with every other script of the page, so their name is part of what the
code does (`var k = …` and `var q = …` are different code), and minifiers leave them alone
unless told to break the page. Only an ES module's top level (a module is its own scope) is
renamed like a function's.

Positional names are local to their scope, so that code added elsewhere renames nothing: a
binding is `v<f>_<i>` (or `v<f>b<k>_<i>` in a block scope), where `f` counts the functions
enclosing it (the script itself is 1), `k` the binding block scopes between it and its function,
and `i` its rank among its own scope's bindings in the order the printed code first uses them.
Neither depends on a sibling scope nor on whether an enclosing scope declares anything, and no
top-level name is a rank, so code appended to a script — top-level `var`s, functions, an IIFE —
leaves every existing name as it was. Within one scope, a binding inserted before others does
shift their ranks (no rename-insensitive numbering avoids that); `code_diff` undoes it for the
reader (`align_names`), so statements inserted into a function diff as exactly their lines.
Labels are named per function the same way. `NORMALIZER_VERSION` says which
scheme produced a stored form, so forms of two versions are never compared as they are (see
`diff.py`); `normalize_code(…, scheme=2)` still gives the previous scheme (top-level names
positional too), the one every older form can be brought to without the original text.

Invariants: pure functions, no I/O; captured code is only parsed and printed, never run; a
script that cannot be parsed falls back to a whitespace-insensitive text form (`parsed=False`)
and still gets a stable hash; parsing and the tree walk run inside `run_deep` (deep nesting).
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from skimscan.analyze.parse import ParseLimits, parse, run_deep
from skimscan.analyze.printer import Printer
from skimscan.report.json_report import mask

#: Query parameters that only defeat caches; dropped whatever their value.
CACHE_BUST_PARAMS = frozenset({
    "v", "ver", "version", "_", "t", "ts", "time", "timestamp", "cb", "cache", "cachebust",
    "cache_bust", "cachebuster", "bust", "nocache", "no_cache", "rev", "revision", "rnd", "rand",
    "random", "hash", "build", "_v", "_t", "_ts", "__v", "bv", "sv", "dt", "nc",
})
_HEXISH = re.compile(r"^(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{8,}$")
_DIGITS = re.compile(r"^\d{8,}$")
_VERSIONISH = re.compile(r"^v?\d+(\.\d+){1,3}([-.][0-9A-Za-z]+)?$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_TOKEN = re.compile(r"[A-Za-z0-9]+")
#: Kinds whose identity is their own URL; others are identified by frame and code.
URL_KINDS = frozenset({"external", "dynamic", "worker"})


# --- keys ------------------------------------------------------------------------------------


def _hash_like(value: str, *, mixed: bool = True) -> bool:
    """A value that changes per build or per request: hex digests, timestamps, UUIDs (and,
    for query values, long tokens mixing letters and digits)."""
    return bool(_HEXISH.match(value) or _DIGITS.match(value) or _UUID.match(value)
                or (mixed and len(value) >= 16 and _is_mixed_token(value)))


def _is_mixed_token(token: str) -> bool:
    """A content hash in base32/base64url form: letters and digits mixed, long enough."""
    return (len(token) >= 8 and any(c.isdigit() for c in token)
            and any(c.isalpha() for c in token) and not _VERSIONISH.match(token))


def _normalize_path(path: str) -> str:
    out: list[str] = []
    for segment in path.split("/"):
        if _hash_like(segment, mixed=False):
            out.append("*")
            continue
        out.append(_TOKEN.sub(lambda m: "*" if _is_mixed_token(m.group(0))
                              or _HEXISH.match(m.group(0)) else m.group(0), segment))
    return "/".join(out)


def normalize_url(url: str) -> str:
    """The URL as a script identity: cache busters and build hashes removed (see module doc)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip()
    if not parts.scheme or not parts.netloc:
        return url.strip()
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if port is not None and (scheme, port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{port}"
    kept = sorted(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in CACHE_BUST_PARAMS and not _hash_like(v)
        and not (v == "" and _hash_like(k))
    )
    return urlunsplit((scheme, host, _normalize_path(parts.path or "/"), urlencode(kept), ""))


def script_key(url: str | None, kind: str, frame: str | None, ast_hash: str) -> str:
    """A script's identity within one target (page). See the module docstring."""
    if url and "://" in url and kind in URL_KINDS:
        key = normalize_url(url)
        return key if kind != "worker" else f"worker:{key}"
    where = normalize_url(frame or url or "") or "-"
    return f"{kind}@{where}#{ast_hash[:12]}"


_CODE_KEY = re.compile(r"^[a-z-]+@")


def is_url_key(key: str) -> bool:
    """Whether a key names a URL (as opposed to `kind@frame#code-hash`)."""
    return not _CODE_KEY.match(key)


# --- normalised code -------------------------------------------------------------------------


#: The naming scheme of `normalize_code`. 1: names numbered by the depth of scopes that declare
#: something (an appended top-level `var` renumbered every local); 2: scope-local names, top-level
#: declarations included (appending `var $` or `function track` to a script that used `$` or
#: `track` as a global renamed every use of it); 3: scope-local names, a classic script's
#: top-level declarations kept as written (module docstring).
NORMALIZER_VERSION = 3
#: The schemes `normalize_code` can still produce (1 was the shared printer's own renaming).
SCHEMES = (2, 3)


class _ScopeLocalNames(Printer):
    """The shared printer, with names that depend only on a binding's own scope (module doc).

    The printer's own renaming numbers scopes by how many enclosing scopes declare something, so
    one `var` added at the top level shifted every name below it; here a scope is identified by
    its own position in the nesting of functions and binding blocks.
    """

    def __init__(self, tree: Any, *, keep_globals: bool) -> None:
        super().__init__(tree, rename=True)
        self._names: dict[tuple[int, str], str] = {}
        self._counts: dict[tuple[int, str], int] = {}
        self._tags: dict[int, str] = {}
        #: the scope whose bindings are globals (kept as written), if any
        self._globals: Any = self.scopes.root if keep_globals else None

    def name(self, name: str) -> str:
        scope: Any = self.scope
        while scope is not None and name not in scope.bindings:
            scope = scope.parent
        if scope is None or scope is self._globals:
            return name  # a global, declared here or not: kept as written
        return self._numbered(scope, name, "v")

    def label(self, name: str) -> str:
        return self._numbered(self.scope.var_scope(), "label:" + name, "L")

    def _numbered(self, scope: Any, name: str, prefix: str) -> str:
        key = (id(scope), name)
        found = self._names.get(key)
        if found is None:
            rank = self._counts.get((id(scope), prefix), 0)
            self._counts[(id(scope), prefix)] = rank + 1
            found = self._names[key] = f"{prefix}{self._place(scope)}_{rank}"
        return found

    def _place(self, scope: Any) -> str:
        """`<f>` or `<f>b<k>` (module doc): unique along every chain of visible scopes,
        because `f` grows at each function and `k` at each block that declares something."""
        tag = self._tags.get(id(scope))
        if tag is None:
            blocks, node = 0, scope
            while node is not None and not node.function:
                blocks += 1 if node.bindings else 0
                node = node.parent
            functions = 0
            while node is not None:
                functions += 1 if node.function else 0
                node = node.parent
            tag = self._tags[id(scope)] = f"{functions}" + (f"b{blocks}" if blocks else "")
        return tag


@dataclass(frozen=True, slots=True)
class NormalizedScript:
    """The normalised form of one script's code."""

    code: str  # one statement per line; the input to `ast_hash` and to diffs (re-parsable)
    ast_hash: str  # sha256 hex of `code` (of the text fallback when not parsed)
    parsed: bool  # False: the code could not be parsed and `code` is a text fallback
    error: str | None = None


def normalize_code(code: str, limits: ParseLimits | None = None, *,
                   scheme: int = NORMALIZER_VERSION) -> NormalizedScript:
    """Parse and re-print `code` (see the module docstring); never raises for bad code.
    `scheme` (one of `SCHEMES`): the naming scheme, the current one unless an older form has to
    be matched (diff.comparable)."""
    if scheme not in SCHEMES:
        raise ValueError(f"normalize_code: no naming scheme {scheme}")

    def work() -> NormalizedScript:
        result = parse(code, limits)
        if result.tree is None:
            return _fallback(code, result.error)
        try:
            printer = _ScopeLocalNames(result.tree, keep_globals=scheme >= 3 and not result.module)
            printed = printer.program()
        except RecursionError:
            return _fallback(code, "nested too deeply to normalise")
        return NormalizedScript(printed, _sha256(printed), True)

    return run_deep(work)


def _fallback(code: str, error: str | None) -> NormalizedScript:
    lines = [" ".join(line.split()) for line in code.splitlines()]
    text = "\n".join(line for line in lines if line)
    return NormalizedScript(text, _sha256("unparsed\n" + text), False, error)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def code_diff(before: str, after: str, *, context: int = 2, limit: int = 200,
              labels: tuple[str, str] = ("baseline", "current")) -> str:
    """A unified diff of two normalised codes, at most `limit` lines (then a count of the rest).

    The current form is shown with its local names aligned to the baseline's first
    (`align_names`): statements inserted into a function shift the positional names of the
    locals declared after them, and without the alignment every later line using one would
    show as changed. The alignment only renames (consistently, scope by scope), so the current
    side is still exactly the current code."""
    shown = align_names(before, after)
    lines = [mask(line) for line in difflib.unified_diff(
        before.splitlines(), shown.splitlines(), labels[0], labels[1], n=context,
        lineterm="")]  # what a person, a store row or a webhook reads: never a card number
    if len(lines) > limit:
        rest = len(lines) - limit
        lines = [*lines[:limit], f"… {rest} more diff line(s)"]
    return "\n".join(lines)


#: Forms larger than this together are diffed as they are (aligning re-parses both).
ALIGN_LIMIT = 2_000_000
_POSITIONAL = re.compile(r"^v(\d+(?:b\d+)?)_\d+$")
_MARK = re.compile("\ue000(\\d+)\ue001")


class _MarkedNames(Printer):
    """Re-prints a normalised form as it is, with each positional name replaced by a marker
    naming the binding it refers to (one per binding, i.e. per scope and name)."""

    def __init__(self, tree: Any) -> None:
        super().__init__(tree, rename=True)
        self.names: list[str] = []  # per marker: the binding's name
        self.scopes_of: list[int] = []  # per marker: its scope (an id)
        self.free: set[str] = set()  # positional-looking names that are globals
        self._index: dict[tuple[int, str], int] = {}

    def name(self, name: str) -> str:
        if not _POSITIONAL.match(name):
            return name
        scope: Any = self.scope
        while scope is not None and name not in scope.bindings:
            scope = scope.parent
        if scope is None:
            self.free.add(name)
            return name
        key = (id(scope), name)
        index = self._index.get(key)
        if index is None:
            index = self._index[key] = len(self.names)
            self.names.append(name)
            self.scopes_of.append(id(scope))
        return f"\ue000{index}\ue001"

    def label(self, name: str) -> str:
        return name


@dataclass(frozen=True, slots=True)
class _Marked:
    lines: list[str]  # with markers
    names: list[str]
    scopes: list[int]
    free: set[str]  # globals named like positional names: never given to a binding

    def skeleton(self) -> list[str]:
        return [_MARK.sub("\ue000", line) for line in self.lines]

    def ids(self, line: int) -> list[int]:
        return [int(m.group(1)) for m in _MARK.finditer(self.lines[line])]


def _marked(code: str) -> _Marked | None:
    """`code` (a normalised form) with its bindings marked, or None when it is not one that
    prints back to itself (a text fallback, another printer's output)."""
    result = parse(code)
    if result.tree is None or result.recovered_errors:
        return None
    printer = _MarkedNames(result.tree)
    lines = printer.program().split("\n")
    names = printer.names

    def plain(m: re.Match[str]) -> str:
        return names[int(m.group(1))]

    if "\n".join(_MARK.sub(plain, line) for line in lines) != code:
        return None
    return _Marked(lines, names, printer.scopes_of, printer.free)


def align_names(before: str, after: str) -> str:
    """`after` (a normalised form) with its local bindings renamed, where it can, to the names
    of the bindings of `before` they correspond to; `after` as it is when it cannot be done.

    Bindings correspond when they stand in the same places of lines that are equal but for
    local names (lines matched as a line diff matches them): each binding of `after` takes the
    name of the `before` binding it stands in for most often. The renaming is consistent
    (every use of a binding, nothing else), keeps each name's scope place (`v3_…` stays
    `v3_…`, so nothing can be shadowed) and never gives two bindings of one scope one name; a
    binding with no counterpart keeps its name unless that is now taken, then gets a free one.
    So the aligned form is the same code as `after`, and equal lines mean equal code."""
    if before == after or len(before) + len(after) > ALIGN_LIMIT:
        return after

    def work() -> str:
        b, a = _marked(before), _marked(after)
        if b is None or a is None or not a.names:
            return after
        return _rename(a, _correspondence(b, a))

    try:
        return run_deep(work)
    except RecursionError:
        return after


def _correspondence(b: _Marked, a: _Marked) -> dict[int, str]:
    """Binding of `a` → the name of its counterpart in `b` (see `align_names`)."""
    votes: dict[tuple[int, int], int] = {}
    matcher = difflib.SequenceMatcher(None, b.skeleton(), a.skeleton())
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            for ib, ia in zip(b.ids(block.a + k), a.ids(block.b + k), strict=True):
                votes[(ia, ib)] = votes.get((ia, ib), 0) + 1
    out: dict[int, str] = {}
    taken: set[int] = set()
    in_scope: dict[int, set[str]] = {}
    for ia, ib in sorted(votes, key=lambda pair: -votes[pair]):  # stable: first seen first
        name = b.names[ib]
        names = in_scope.setdefault(a.scopes[ia], set())
        if ia in out or ib in taken or name in names or name in a.free \
                or _place(name) != _place(a.names[ia]):
            continue
        out[ia] = name
        taken.add(ib)
        names.add(name)
    return out


def _rename(a: _Marked, found: dict[int, str]) -> str:
    names = dict(found)
    in_scope: dict[int, set[str]] = {}  # per scope of `a`: the names given so far
    own_names: dict[int, set[str]] = {}  # per scope of `a`: the names its bindings had
    for ia, name in found.items():
        in_scope.setdefault(a.scopes[ia], set()).add(name)
    for ia, own in enumerate(a.names):
        own_names.setdefault(a.scopes[ia], set()).add(own)
    for ia, own in enumerate(a.names):
        if ia in names:
            continue
        scope = in_scope.setdefault(a.scopes[ia], set())
        if own in scope:  # its name went to a binding that has a counterpart: a free one
            place, n = _place(own), 0
            taken = scope | own_names[a.scopes[ia]] | a.free
            while f"v{place}_{n}" in taken:
                n += 1
            own = f"v{place}_{n}"
        names[ia] = own
        scope.add(own)

    def named(m: re.Match[str]) -> str:
        return names[int(m.group(1))]

    return "\n".join(_MARK.sub(named, line) for line in a.lines)


def _place(name: str) -> str:
    m = _POSITIONAL.match(name)
    return m.group(1) if m else ""


def similarity(before: str, after: str) -> float:
    """How alike two normalised codes are (0..1), line by line."""
    return difflib.SequenceMatcher(None, before.splitlines(), after.splitlines(),
                                   autojunk=False).ratio()
