"""STAGE 3 (analyze/deobfuscate) — the one place outside the browser where captured code runs.

Decoders that folding cannot open (RC4 string tables, char shifts, XOR with a key in the file, a
decoder keyed on its own source text) are run here, in an embedded V8 isolate (`mini-racer`):

- **no host bindings**: the context has ECMAScript built-ins only; the few extras mini-racer adds
  (`console`, `setTimeout`, `clearTimeout` and its timer manager) are removed (or overwritten
  read-only where V8 will not delete them) before any captured code runs, so there are no
  timers, no output, no I/O and no network. `atob`/`btoa` are supplied as plain JavaScript
  because decoders lean on them;
- **limits**: every evaluation has a wall-clock timeout and the isolate a heap limit; a script's
  decoders share one time budget, after which nothing more is evaluated for it;
- **results are data**: only strings, finite numbers, booleans, null and short arrays of those
  come back (through `JSON.stringify` inside the isolate); anything else is discarded.

mini-racer was chosen over `quickjs` because it is the engine the browser runs (the same string
and number semantics as the page), ships as a wheel for this platform, and is maintained.
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass
from typing import Any

from skimscan.analyze.deobfuscate.tree import MAX_LITERAL

#: Removes what mini-racer adds to a bare ECMAScript global, and adds atob/btoa in JavaScript.
_PRELUDE = r"""
(function (g) {
  for (const k of ["console", "setTimeout", "clearTimeout", "setInterval", "clearInterval",
                   "__timer_manager"]) {
    try { delete g[k]; } catch (e) {}
    // non-configurable ones cannot be deleted: overwrite them and make them read-only
    try { Object.defineProperty(g, k, {value: undefined, writable: false}); } catch (e) {}
  }
  var T = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  g.atob = function (s) {
    s = String(s).replace(/[\t\n\f\r ]+/g, "").replace(/=+$/, "");
    var out = "", buf = 0, bits = 0;
    for (var i = 0; i < s.length; i++) {
      var v = T.indexOf(s.charAt(i));
      if (v < 0) throw new Error("InvalidCharacterError");
      buf = (buf << 6) | v; bits += 6;
      if (bits >= 8) { bits -= 8; out += String.fromCharCode((buf >> bits) & 255); }
    }
    return out;
  };
  g.btoa = function (s) {
    s = String(s); var out = "";
    for (var i = 0; i < s.length; i += 3) {
      var a = s.charCodeAt(i), b = s.charCodeAt(i + 1), c = s.charCodeAt(i + 2);
      if (a > 255 || b > 255 || c > 255) throw new Error("InvalidCharacterError");
      out += T.charAt(a >> 2) + T.charAt(((a & 3) << 4) | (b >> 4 || 0))
        + (i + 1 < s.length ? T.charAt(((b & 15) << 2) | (c >> 6 || 0)) : "=")
        + (i + 2 < s.length ? T.charAt(c & 63) : "=");
    }
    return out;
  };
  // `window`/`self`: the built-ins decoders reach through them (`window.atob(…)`), nothing of a
  // page; reading a page property gives undefined and touching one of its members throws.
  var win = {};
  ["atob", "btoa", "unescape", "escape", "decodeURIComponent", "encodeURIComponent",
   "decodeURI", "encodeURI", "parseInt", "parseFloat", "String", "Number", "Boolean", "Array",
   "Object", "Math", "JSON", "RegExp", "Date", "isNaN", "isFinite"].forEach(function (k) {
    win[k] = g[k];
  });
  win.window = win; win.self = win;
  g.window = win; g.self = win;
  g.__skimscan_out = function (v) {
    var t = typeof v;
    if (t === "string" || t === "boolean" || v === null) return v;
    if (t === "number") return isFinite(v) ? v : undefined;
    if (Array.isArray(v) && v.length <= 4096) {
      for (var i = 0; i < v.length; i++) {
        var e = typeof v[i];
        if (e !== "string" && !(e === "number" && isFinite(v[i]))) return undefined;
      }
      return {array: v};
    }
    return undefined;
  };
})(globalThis);
"""

#: Wall-clock limit of one evaluation (all evaluations of a script: `Isolate`'s budget).
EVAL_TIMEOUT_MS = 250
#: An evaluation that ran out of time runs once more with this limit: on a busy machine (CI,
#: a worker pool, eval runs beside a browser) a decoder that needs a millisecond of CPU can
#: wait 250 ms for it, and a string left encoded for that reason changes a verdict.
RETRY_TIMEOUT_MS = 1000
#: the health check after a failed evaluation (see `_broken`)
PROBE_TIMEOUT_MS = 1000
SCRIPT_BUDGET_S = 2.0
#: the wall-clock cap of a script's evaluations, as a multiple of its CPU budget
WALL_FACTOR = 4
HEAP_LIMIT_BYTES = 128 * 1024 * 1024


class IsolateUnavailable(RuntimeError):
    """mini-racer is not installed or cannot start here."""


@dataclass
class Result:
    ok: bool
    value: Any = None  # str | int | float | bool | None | list[str | int | float]


class Isolate:
    """One V8 context per script; created on first use, closed with the script's analysis."""

    def __init__(self, budget_s: float = SCRIPT_BUDGET_S) -> None:
        self._ctx: Any = None
        # The budget is CPU time of this process (V8 runs in its threads), so that a busy
        # machine leaves a script as decoded as an idle one; the wall clock only caps it.
        self.cpu_deadline = time.process_time() + budget_s
        self.deadline = time.monotonic() + WALL_FACTOR * budget_s
        self.evaluations = 0
        self.failures = 0
        #: evaluations stopped by their time limit (a decoder that loops forever, or one the
        #: machine was too busy to finish): their calls stay encoded
        self.timeouts = 0
        self._loops = False  # an evaluation ran out of time even when retried

    @property
    def exhausted(self) -> bool:
        return time.process_time() >= self.cpu_deadline or time.monotonic() >= self.deadline

    def _context(self) -> Any:
        if self._ctx is None:
            try:
                from py_mini_racer import MiniRacer
            except ImportError as exc:  # pragma: no cover - a packaging error
                raise IsolateUnavailable(str(exc)) from exc
            self._ctx = MiniRacer()
            self._ctx.set_hard_memory_limit(HEAP_LIMIT_BYTES)
            self._ctx.eval(_PRELUDE)
        return self._ctx

    def fresh(self) -> None:
        """Start over with an empty global (definitions of one decoder never meet another's)."""
        self.close()

    def define(self, source: str) -> bool:
        """Run source text at global scope (so `var`/function declarations become globals)."""
        return self._eval(source + "\n;true", raw=True).ok

    def values(self, expressions: list[str]) -> list[Result]:
        """Evaluate many expressions in one round trip; each fails on its own."""
        if not expressions:
            return []
        body = ",".join(
            f"(function(){{ try {{ var v = __skimscan_out(({e})); "
            f"return v === undefined ? null : [v]; }} catch (e) {{ return null; }} }})()"
            for e in expressions)
        out = self._eval(f"JSON.stringify([{body}])")
        if out.ok and isinstance(out.value, list) and len(out.value) == len(expressions):
            return [_decoded(item) for item in out.value]
        if len(expressions) == 1:
            return [Result(False)]
        # One of them never returned (a loop, the heap limit): each on its own, within budget.
        return [self.values([e])[0] for e in expressions]

    def _eval(self, source: str, raw: bool = False, limit_ms: int = EVAL_TIMEOUT_MS) -> Result:
        if self.exhausted:
            return Result(False)
        remaining_ms = int((self.deadline - time.monotonic()) * 1000)
        timeout = max(1, min(limit_ms, remaining_ms))
        self.evaluations += 1
        try:
            ctx = self._context()
            text = ctx.eval(source, timeout=timeout)
        except IsolateUnavailable:
            raise
        except Exception as exc:  # a JS exception, a timeout or the heap limit: no value
            self.failures += 1
            timed_out = "Timeout" in type(exc).__name__
            broken = self._ctx is not None and _broken(self._ctx)
            if broken:
                self.close()
            elif timed_out and limit_ms < RETRY_TIMEOUT_MS and not self._loops:
                return self._eval(source, raw, RETRY_TIMEOUT_MS)
            if timed_out:
                self.timeouts += 1
                # out of time even with the longer limit: code that loops, not a busy machine;
                # no more retries for this script (each would cost a second)
                self._loops = self._loops or limit_ms >= RETRY_TIMEOUT_MS
            return Result(False)
        if raw:
            return Result(True, text)
        if not isinstance(text, str) or text == "\u0000none" or len(text) > 4 * MAX_LITERAL:
            return Result(False)
        try:
            return Result(True, json.loads(text))
        except ValueError:
            return Result(False)

    def close(self) -> None:
        if self._ctx is not None:
            with contextlib.suppress(Exception):  # closing an isolate that already died
                self._ctx.close()
            self._ctx = None


def _decoded(item: Any) -> Result:
    if not isinstance(item, list) or len(item) != 1:
        return Result(False)
    value = item[0]
    if isinstance(value, dict):
        array = value.get("array")
        return Result(True, array) if isinstance(array, list) else Result(False)
    if isinstance(value, str) and len(value) > MAX_LITERAL:
        return Result(False)
    return Result(True, value)


def _broken(ctx: Any) -> bool:
    """After a timeout or out-of-memory the context may be unusable: probe it. The probe has
    a generous limit (it answers at once in a healthy context): on a busy machine a short one
    ran out too, and closing the context while V8 still had the probe's cancellation to
    deliver printed "Event loop is closed" tracebacks from mini-racer's callback thread."""
    try:
        return bool(ctx.eval("1", timeout=PROBE_TIMEOUT_MS) != 1)
    except Exception:
        return True
