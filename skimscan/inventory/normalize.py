"""SIDE-CAR (inventory) — script identity: a stable key, a normalised-code hash, a readable diff.

PCI DSS 11.6.1 alerts must follow what the browser runs, not what a deploy renames. So a script
is identified by:

- `script_key`: its URL with cache-busting query parameters (`v`, `ver`, `_`, `t`, `ts`, `cb`,
  `cache`, … and any hash- or timestamp-like value) removed and hash-looking path tokens
  (`app.3f2a9c1b.js`, `index-BdW2a9Xc.js`, `/build/5e8c0d1a9b/`) replaced by `*`. Scripts
  without a URL of their own (inline, handlers, eval) are keyed `kind@frame#code-hash`.
- `normalize_code`: the code re-printed from its ESTree, one statement per line, so that
  whitespace, comments, quote style and minifier renames vanish: every declared binding is
  renamed to a positional name while globals, property names, strings, numbers and structure
  are kept. A few rewrites that minifiers make without changing behaviour are undone
  (`!0`→`true`, `void 0`→`undefined`, `a&&b()`→`if (a) b()`, `a(),b()`→two statements,
  `var a,b`→two declarations, `x["y"]`→`x.y`, `"s"==typeof x`→`typeof x=="s"`,
  single-statement blocks). `ast_hash` is the sha256 of it.

Positional names are local to their scope, so that code added elsewhere renames nothing: a
binding is `v<f>_<i>` (or `v<f>b<k>_<i>` in a block scope), where `f` counts the functions
enclosing it (the script itself is 1), `k` the binding block scopes between it and its function,
and `i` its rank among its own scope's bindings in the order the printed code first uses them.
Neither depends on a sibling scope nor on whether an enclosing scope declares anything — an
appended skimmer with one top-level `var` leaves every function's names as they were, so its
diff is the skimmer. (Top-level bindings are ranked in the order the whole script first uses
them: code inserted *before* other top-level code renumbers the top-level names used after it,
never a function's own locals.) Labels are named per function the same way. `NORMALIZER_VERSION`
says which scheme produced a stored form, so forms of two versions are never compared as
they are (see `diff.py`).

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
#: something (an appended top-level `var` renumbered every local); 2: scope-local names (above).
NORMALIZER_VERSION = 2


class _ScopeLocalNames(Printer):
    """The shared printer, with names that depend only on a binding's own scope (module doc).

    The printer's own renaming numbers scopes by how many enclosing scopes declare something, so
    one `var` added at the top level shifted every name below it; here a scope is identified by
    its own position in the nesting of functions and binding blocks.
    """

    def __init__(self, tree: Any) -> None:
        super().__init__(tree, rename=True)
        self._names: dict[tuple[int, str], str] = {}
        self._counts: dict[tuple[int, str], int] = {}
        self._tags: dict[int, str] = {}

    def name(self, name: str) -> str:
        scope: Any = self.scope
        while scope is not None and name not in scope.bindings:
            scope = scope.parent
        if scope is None:
            return name  # a global: kept as written
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


def normalize_code(code: str, limits: ParseLimits | None = None) -> NormalizedScript:
    """Parse and re-print `code` (see the module docstring); never raises for bad code."""

    def work() -> NormalizedScript:
        result = parse(code, limits)
        if result.tree is None:
            return _fallback(code, result.error)
        try:
            printed = _ScopeLocalNames(result.tree).program()
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
    """A unified diff of two normalised codes, at most `limit` lines (then a count of the rest)."""
    lines = [mask(line) for line in difflib.unified_diff(
        before.splitlines(), after.splitlines(), labels[0], labels[1], n=context,
        lineterm="")]  # what a person, a store row or a webhook reads: never a card number
    if len(lines) > limit:
        rest = len(lines) - limit
        lines = [*lines[:limit], f"… {rest} more diff line(s)"]
    return "\n".join(lines)


def similarity(before: str, after: str) -> float:
    """How alike two normalised codes are (0..1), line by line."""
    return difflib.SequenceMatcher(None, before.splitlines(), after.splitlines(),
                                   autojunk=False).ratio()
