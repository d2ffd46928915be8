"""STAGE 3 (analyze) — one walk over a script's ESTree that records facts and the taint graph.

The walk resolves identifiers to the function scope that declares them (so minified code that
reuses `e` and `t` in every function does not mix data between functions), records behaviours
as `Fact`s, and records data movement as taint edges. Sinks are resolved after the walk, when
the taint graph is complete. Folding of hidden strings is delegated to a `Folder` (fold.py);
nothing here evaluates code.

Invariants: the walk never raises on odd trees (unknown node shapes are skipped), and costs one
pass for declarations plus one pass for behaviour.
"""

from __future__ import annotations

import contextlib
import html
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol

from skimscan.analyze import patterns
from skimscan.analyze.estree import Node
from skimscan.analyze.facts import Fact
from skimscan.analyze.taint import TaintGraph
from skimscan.analyze.units import GLOBAL, Units, closure_spans, meet
from skimscan.models import FlowStep, HostInfo, Location

_FUNCTIONS = frozenset({"FunctionDeclaration", "FunctionExpression", "ArrowFunctionExpression"})
_ENCODERS = frozenset(
    {"btoa", "atob", "encodeURIComponent", "encodeURI", "escape", "stringify", "encode",
     "toString", "fromCharCode", "charCodeAt", "join", "reverse", "split"}
)
#: Functions whose aliases are followed (`var f = fetch; f(url)`).
#: Operators whose result is a boolean about their operands, not the operands.
_COMPARISONS = frozenset({"===", "!==", "==", "!=", "<", ">", "<=", ">=", "instanceof", "in"})
#: Calls that decode hidden strings (folded when their value matters to a flow).
_DECODERS = frozenset({"atob", "decodeURIComponent", "decodeURI", "unescape", "fromCharCode",
                       "fromCodePoint", "join", "reverse"})
#: Methods that call a function they are given with the receiver's data.
_ITERATORS = frozenset({"forEach", "map", "filter", "reduce", "reduceRight", "some", "every",
                        "find", "findIndex", "flatMap", "then", "catch", "finally", "each"})
#: Pseudo-binding of the functions compiled from strings (`Function('u', 'd', body)`).
_COMPILED = "compiled:*"
#: Functions whose calls through `Reflect.apply`/`.call`/`.apply` are followed as calls.
_INDIRECT_SINKS = frozenset({"send", "open", "fetch", "sendBeacon", "postMessage"})
#: Constructors of WebRTC peer connections (prefixed in older browsers).
_PEER_CONNECTIONS = frozenset({"RTCPeerConnection", "webkitRTCPeerConnection",
                               "mozRTCPeerConnection"})
_STORAGES = frozenset({"localStorage", "sessionStorage"})
_ALIASABLE = frozenset(
    {*_PEER_CONNECTIONS, *_STORAGES, "fetch", "sendBeacon", "eval", "setTimeout",
     "setInterval", "open", "postMessage",
     "querySelector", "querySelectorAll", "getElementById", "getElementsByName", "write",
     "atob", "btoa", "Function", "ajax", "post", "createElement", "addEventListener", "send",
     "call", "apply", "Reflect"}
)
_SELECT_ONE = frozenset({"querySelector", "getElementById", "closest"})
#: (`$$` is Prototype's and MooTools' `querySelectorAll`, which Magento 1 shops carry.)
_SELECT_MANY = frozenset(
    {"querySelectorAll", "getElementsByName", "getElementsByClassName", "getElementsByTagName",
     "find", "$$"}
)
#: jQuery-style selector functions (and `$F(id)`, Prototype's value of the field with that id:
#: a read of the field it names)
_JQ = frozenset({"$", "jQuery", "jq", "Zepto", "$F"})
_JQ_EVENTS = frozenset(
    {"click", "mouseup", "mousedown", "submit", "keyup", "keydown", "keypress", "change",
     "blur", "focusout", "input", "paste", "touchend"}
)
_AJAX = frozenset({"ajax", "post", "get", "getJSON", "getScript", "load"})
#: Prototype's request classes (Magento 1 ships it): the URL argument's place
_PROTOTYPE_AJAX = {"Request": 0, "Updater": 1, "PeriodicalUpdater": 1}
_AXIOS = frozenset({"post", "put", "get", "request", "patch"})
_GLOBAL_OBJECTS = frozenset({"window", "self", "globalThis", "top", "parent", "frames"})
#: Elements a script makes (`createElement(tag)`, Prototype's `new Element(tag, …)`) whose
#: later use matters, by the kind `_objects` records for them.
_ELEMENT_KINDS = {"img": "image", "script": "script", "iframe": "iframe", "form": "form",
                  "link": "link", "input": "input"}
#: Properties that hold a window (whose `name` is a channel, not a field's name).
_WINDOW_PROPERTIES = _GLOBAL_OBJECTS | {"contentWindow", "opener", "defaultView"}
#: Host objects and built-ins: writing `document.body.dataset.x = card` must not make every
#: later `document.getElementById(...)` carry card data, so they are not bindings.
#: The language's constructors count as such: `Error.stackTraceLimit = n` in one library
#: of a bundle must not reach every `new Error(…)` of the others.
_HOST_GLOBALS = frozenset(
    {"document", "navigator", "location", "console", "Math", "JSON", "Object", "Array",
     "String", "Number", "Date", "Promise", "performance", "screen", "history", "$", "jQuery",
     "Reflect", "Symbol", "Intl", "crypto", "URL", "URLSearchParams", "Error", "TypeError",
     "RangeError", "SyntaxError", "Map", "Set", "WeakMap", "WeakSet", "RegExp", "Boolean",
     "BigInt", "Proxy", "ArrayBuffer", "Uint8Array", "Int32Array", "Float64Array", "Node",
     "Element", "HTMLElement", "Event", "CustomEvent", *_GLOBAL_OBJECTS}
)
#: Namespaces of the language's own static functions (`Object.assign`, `JSON.parse`,
#: `Array.from`): a call of one of their members does what the built-in does, not what some
#: function the script stores under the same property name does. Resolving it by name (as
#: `o.assign(x)` is resolved to the script's `assign` methods) wires unrelated libraries of a
#: bundle together: a card-formatting library's `assign(options)` returned by every
#: `Object.assign(...)` of a session-replay library.
_BUILTIN_NAMESPACES = frozenset(
    {"Object", "Array", "JSON", "Math", "Reflect", "Promise", "Number", "String", "Date",
     "Symbol", "Intl", "Atomics", "BigInt", "Boolean", "console"})
#: Form serialisers of jQuery and Prototype (see `ScriptVisitor._form_serializer`).
_FORM_SERIALIZERS = frozenset({"serialize", "serializeArray", "serializeObject",
                               "serializeElements"})
#: Element classes whose prototype's `value` accessor every form field uses.
_FIELD_CLASSES = frozenset({"HTMLInputElement", "HTMLSelectElement", "HTMLTextAreaElement"})
#: `Object.keys(o)` and friends: lists of an object's keys.
_KEY_LISTS = frozenset({"keys", "getOwnPropertyNames", "entries"})
#: Methods whose result is what the function they are given returns.
_MAPPERS = frozenset({"map", "flatMap", "then", "reduce", "reduceRight"})
#: Calls that return a part of their receiver (elements inside it, or a copy of it).
_PARTS_OF = frozenset({"querySelector", "querySelectorAll", "getElementsByTagName",
                       "getElementsByClassName", "getElementsByName", "cloneNode"})
#: Unary operators whose result says something about a value without carrying it.
_NO_DATA_UNARY = frozenset({"!", "typeof", "void", "delete"})
#: Properties that say something about a value without carrying it: a length, and what
#: describes a form field rather than holds what was typed into it (a field's id, type or
#: autocomplete token, what analytics and fraud scripts report, is not the card). Read from
#: anything, they carry nothing of the object they are read from. (`name` is one too, except
#: read from a window: `window.name` is a channel that outlives the page, and kits write the
#: card into it — see `_windowish`.)
_NO_DATA_PROPERTIES = frozenset({
    "length", "id", "type", "tagName", "nodeName", "localName", "nodeType", "className",
    "classList", "autocomplete", "placeholder", "maxLength", "minLength", "required",
    "disabled", "readOnly", "hidden", "tabIndex", "inputMode", "isConnected",
    "childElementCount",
    # what an element displays (a button's label): a field's typed value is never in it
    "textContent", "innerText"})
#: Attributes that say what a field is: `getAttribute` of one carries nothing typed into it.
_DESCRIPTIVE_ATTRIBUTES = frozenset({
    "id", "name", "class", "type", "autocomplete", "placeholder", "role", "inputmode",
    "aria-label", "maxlength", "minlength", "required", "disabled", "tabindex", "for"})
_HTML_CODE = re.compile(
    r"""\son[a-z]+\s*=\s*(?:"([^"]*)"|'([^']*)')|<script\b[^>]*>(.*?)</script>""",
    re.IGNORECASE | re.DOTALL,
)
#: Pseudo-binding for data exchanged by postMessage within one analysis (page ↔ worker).
_MESSAGES = "g:%message"
#: Words that put a card-field regex in a privacy list (fields to mask or block).
_MASK_LIST = re.compile(r"pass|ssn|iban|secret|sensitive|private|redact|\bpin\b|social")
#: Characters that masking replaces values with.
_MASK_CHARS = re.compile(r"^[*•xX#·\-_ ]{0,3}$")
_PAYMENT_FORM = re.compile(r"pay|card|checkout|billing|credit", re.IGNORECASE)
_REGEX_NOISE = re.compile(r"\\[sb]\*?\+?\??|\[[-_ \\s]*\]\??|[?*+^$()]")
_ANTI_CHECKS = {
    "headlesschrome": "headless-ua", "phantomjs": "headless-ua", "headless": "headless-ua",
    "swiftshader": "webgl-renderer", "llvmpipe": "webgl-renderer", "selenium": "automation",
    "webdriver": "webdriver", "__nightmare": "automation", "callphantom": "automation",
    "puppeteer": "automation",
}
_ANTI_RE = re.compile("|".join(k for k in _ANTI_CHECKS if k != "headless"), re.IGNORECASE)
#: In a regex (`/headless/i.test(navigator.userAgent)`) plain "headless" is a UA test.
_ANTI_REGEX_RE = re.compile("|".join(_ANTI_CHECKS), re.IGNORECASE)


class FolderLike(Protocol):
    def string(self, node: Any) -> str | None: ...

    def value(self, node: Any) -> object: ...


Classify = Callable[[str | None], HostInfo]


def node_location(node: Any) -> Location:
    try:
        start, end = node.loc.start, node.loc.end
        return Location(start.line, start.column, end.line, end.column)
    except AttributeError:
        return Location(1, 0)


def child_keys(node: Node) -> tuple[str, ...]:
    """The fields of `node` that can hold child nodes (its class's `CHILDREN`)."""
    return node.CHILDREN


def children(node: Node) -> list[Node]:
    """The child nodes of `node`, in field order."""
    out: list[Node] = []
    for key in node.CHILDREN:
        value = getattr(node, key)
        if value is None:
            continue
        if type(value) is list:
            out.extend(item for item in value if isinstance(item, Node))
        elif isinstance(value, Node):
            out.append(value)
    return out


def _only_exits(node: Any) -> bool:
    """`return;`, `return false;`, `{ skipped++; continue; }`, `throw e`: a branch that ends by
    leaving (`return 'n';` classifies the field: it is no exit)."""
    if node.type == "BlockStatement":
        return bool(node.body) and _only_exits(node.body[-1])
    if node.type == "ReturnStatement":
        value = node.argument
        return value is None or (value.type == "Literal" and not value.value) or (
            value.type == "Identifier" and value.name == "undefined")
    return node.type in ("ContinueStatement", "BreakStatement", "ThrowStatement")


def _interesting(text: str) -> bool:
    """Constants worth following through variables: URLs, host names, card/sweep selectors."""
    return (patterns.looks_like_url(text) or patterns.is_card_selector(text)
            or patterns.ICE_SERVER.match(text) is not None
            or patterns.is_sweep_selector(text) or patterns.is_host(text))


def pattern_names(pattern: Any) -> Iterator[str]:
    """Names bound by a declaration or parameter pattern."""
    if pattern is None:
        return
    kind = pattern.type
    if kind == "Identifier":
        yield pattern.name
    elif kind == "ObjectPattern":
        for prop in pattern.properties:
            yield from pattern_names(prop.argument if prop.type == "RestElement" else prop.value)
    elif kind == "ArrayPattern":
        for el in pattern.elements:
            yield from pattern_names(el)
    elif kind == "AssignmentPattern":
        yield from pattern_names(pattern.left)
    elif kind == "RestElement":
        yield from pattern_names(pattern.argument)


@dataclass(slots=True)
class Deps:
    """What an expression's value may carry: bindings it reads and labels from direct sources."""

    bindings: set[str] = field(default_factory=set)
    labels: dict[str, FlowStep] = field(default_factory=dict)
    encoders: set[str] = field(default_factory=set)
    strings: set[str] = field(default_factory=set)  # URL- or selector-like constants

    def merge(self, other: Deps) -> None:
        # `update`, not `|=`: a cached Deps (see `_settled`) keeps tuples
        self.bindings.update(other.bindings)
        self.strings.update(other.strings)
        for k, v in other.labels.items():
            self.labels.setdefault(k, v)
        self.encoders.update(other.encoders)


_NO_DEPS = Deps()
_NO_LABELS: Mapping[str, FlowStep] = MappingProxyType({})


def _settled(deps: Deps) -> Deps:
    """`deps` as the node cache keeps it: its sets as tuples (the empty one shared), its
    empty labels a shared frozen mapping. A set is 216 bytes even with one name in it, a
    Deps has three, and a bundle caches ~200k Deps that mostly read one binding. Cached
    Deps are never mutated (`deps` hands out copies, `merge` reads them with `update`), so
    nothing writes to the frozen parts."""
    if deps is _NO_DEPS:
        return deps
    deps.bindings = tuple(deps.bindings)  # type: ignore[assignment]
    if not deps.labels:
        deps.labels = _NO_LABELS  # type: ignore[assignment]
    deps.encoders = tuple(deps.encoders)  # type: ignore[assignment]
    deps.strings = tuple(deps.strings)  # type: ignore[assignment]
    return deps


_URLISH = re.compile(r"[/.#\[:=]|^(?:cc|card)", re.IGNORECASE)


def _urlish(node: Any) -> bool:
    """A string literal that could be part of a URL, host or selector (`'https://'`, `'#cc_'`,
    `'number'`), unlike `' '`, `'px'` or a sentence: only such concatenations are folded."""
    if node.type != "Literal" or type(node.value) is not str:
        return False
    value: str = node.value
    return (len(value) >= 3 and " " not in value) or bool(_URLISH.search(value))


def _union(parts: list[Deps]) -> Deps:
    """Deps of several parts; shares a part when it is the only non-empty one."""
    full = [p for p in parts if p.bindings or p.labels or p.encoders or p.strings]
    if not full:
        return _NO_DEPS
    if len(full) == 1:
        return full[0]
    out = Deps()
    for p in full:
        out.merge(p)
    return out


@dataclass
class SinkSite:
    sink: str
    location: Location
    url_node: Any | None
    url_text: str | None
    data: Deps
    method: str | None = None
    mode: str | None = None
    owner: str | None = None  # binding of the XHR/WebSocket object, resolved after the walk
    url_deps: Deps | None = None  # what flows into the URL, for resolving it through variables
    folder: Any = None  # the folder of the (stage) tree the URL node belongs to


@dataclass(slots=True)  # not frozen: one per deferred edge, and a frozen init costs 3x more
class _Context:
    scope: Any
    stage_location: Location | None
    folder: Any


@dataclass
class _Scope:
    id: int
    names: set[str]
    parent: _Scope | None
    fn: Any | None


def _handler_table(cls: type) -> dict[str, Callable[[Any, Any], None]]:
    """Node type -> `v_<type>` function of a visitor class. Plain functions, called with the
    visitor: a visitor holding its own bound methods would be a reference cycle, and every
    tree it walked would then wait for the cyclic garbage collector."""
    table = {name[2:]: getattr(cls, name) for name in dir(cls) if name.startswith("v_")}
    if "Identifier" in table:  # `visit` skips identifiers without looking for a handler
        raise TypeError("a visitor cannot handle Identifier nodes")
    return table


class ScriptVisitor:
    """Walks one Program; results in `facts`, `graph` and `sinks` (resolved by `finish`)."""

    def __init__(self, tree: Any, folder: FolderLike, classify: Classify,
                 injected_card_fields: frozenset[str] = frozenset()) -> None:
        self.tree = tree
        #: ids/names of card inputs in markup the script itself writes (a fake card form)
        self.injected_card_fields = injected_card_fields
        names = sorted(n for n in injected_card_fields if len(n) >= 3)
        self._injected_re = re.compile(
            r"(?<![\w-])(?:" + "|".join(re.escape(n) for n in names) + r")(?![\w-])"
        ) if names else None
        self.folder = folder
        self._last_context: _Context | None = None
        self.classify = classify
        self.facts: list[Fact] = []
        self.graph = TaintGraph(locate=node_location)
        self.sinks: list[SinkSite] = []
        self._declared: dict[int, set[str]] = {}  # id(function or Program) -> names
        self._fn_params: dict[int, list[str]] = {}
        self._fn_by_binding: dict[str, list[Any]] = {}
        #: (property name, closure) of calls by name made inside a closure (see `finish`)
        self._asked_by_name: set[tuple[str, int]] = set()
        self._finishing = False
        self._fn_scope_id: dict[int, int] = {}
        # object slot -> ("xhr"|"ws"|"image"|..., url node, what flows into the URL)
        self._objects: dict[str, tuple[str, Any, Deps | None]] = {}
        self._xhr_open: dict[str, tuple[str | None, Any, Deps]] = {}
        self.storage_writes: list[tuple[Fact, Deps]] = []
        self._scope: _Scope | None = None
        self._next_scope = 0
        self._stage_location: Location | None = None
        self._xor_seen = False
        self._deps_cache: dict[Any, Deps] = {}  # by node: an `id()` key is a 32-byte int
        self._binding_deps: dict[str, Deps] = {}
        self._uses_arguments: dict[int, bool] = {}  # id(function) -> it reads `arguments`
        #: binding -> the binding of the object it is a part of (`var b = fields.a`)
        self._parts: dict[str, str] = {}
        #: binding -> the keys of the object literal it was given
        self._literal_keys: dict[str, set[str]] = {}
        #: binding -> the object literal it was declared or assigned with (a descriptor or
        #: options object handed to a call under a name)
        self._literals: dict[str, Any] = {}
        #: a frame the script made (its binding) -> the `src` it was given: (the URL node, what
        #: flows into it, the folder of its tree)
        self._frame_src: dict[str, tuple[Any, Deps, Any]] = {}
        #: binding -> the frame whose window it holds (`var w = frame.contentWindow`)
        self._frame_windows: dict[str, str] = {}
        #: postMessage sites addressed to any origin, with the frame whose window receives them
        self._frame_posts: list[tuple[SinkSite, str]] = []
        self._handlers = _HANDLERS
        self._stage_trees: list[Any] = []
        self._fn_stack: list[Any] = []
        #: the closures the script is made of (see units.py), and the unit of each call and
        #: function (by id) where there are several
        self.units = Units(closure_spans(tree))
        self._unit_at: dict[Any, int] = {}  # by node, like _deps_cache
        self._pending_fn_edges: list[tuple[Any, Deps, Location, str]] = []
        #: callbacks and the values that may reach their parameters: (functions, value
        #: nodes, where, context)
        self._pending_callbacks: list[tuple[list[Any], list[Any], Any, _Context]] = []
        # (callbacks: function nodes, or bindings of named functions resolved in `finish`)
        #: calls to functions that may be declared in this script: (callee key, argument
        #: nodes, where, context). Argument data is computed in `finish`, only for callees
        #: that turn out to be this script's functions.
        self._pending_calls: list[tuple[str, list[Any], Any, _Context]] = []
        self._pending_this: list[tuple[Any, Deps, Location]] = []
        self._pending_direct: list[tuple[Any, list[Deps], Location]] = []
        self._pending_selectors: list[tuple[str, Any, Deps, str]] = []
        self._this_override: dict[int, str] = {}
        self._selectors: dict[str, str] = {}  # binding -> selector it was selected with
        self._pending_targets: list[tuple[int, Fact, Deps]] = []
        self._gates: set[str] = set()  # bindings holding a URL-gate test
        self._aliases: dict[str, list[str]] = {}  # binding -> chain of the function it holds
        self._regexes: dict[str, Any] = {}  # binding -> the regex literal it holds
        self._xhr_protos: set[str] = set()  # bindings holding XMLHttpRequest.prototype
        #: bindings holding HTMLInputElement.prototype (or a select's, a textarea's)
        self._field_protos: set[str] = set()
        #: accessors of every field's `value` the script installs: (function, getter?, where)
        self._value_hooks: list[tuple[Any, bool, Location]] = []
        self._card_props: dict[str, bool] = {}  # see `_card_prop`
        self._counted: set[int] = set()  # ids of `x.elements` / `document.forms` in `….length`
        #: ids of checks (`navigator.webdriver`) that are a value in an object or array: a
        #: fingerprint signal collected and reported, not a test that hides the script
        self._collected: set[int] = set()
        self._collected_keys: set[str] = set()  # keys a collected check was stored under
        self._classes: set[str] = set()  # bindings of the script's named classes
        #: ids of functions handed a promise's answer (`.then(fn)`): where a response is read
        self._answers: set[int] = set()
        #: ids of `re.test(x)` calls whose match makes the code skip the field (`if
        #: (re.test(x)) return;`, `a.test(k) && !re.test(k)`): a list of fields to leave out
        self._excluding: set[int] = set()
        self._uses_idb = False  # the script touches indexedDB: `.put()`/`.getAll()` are storage
        #: `new Promise(function (resolve) {…})`: id(executor) -> the promise's binding, then
        #: the binding of `resolve` -> the promise's binding (what `await`/`.then` receive)
        self._executors: dict[int, str] = {}
        self._resolvers: dict[str, str] = {}
        #: `['a', 'b'].forEach(function (x) {…})`: id(function) -> the strings, and then the
        #: binding of `x` -> the strings (event names picked from a list)
        self._iterated: dict[int, list[str]] = {}
        self._param_strings: dict[str, list[str]] = {}
        #: id(`Function(...)` call) -> bindings its compiled function is stored in
        self._compiled: dict[int, list[str]] = {}
        #: functions installed in place of XMLHttpRequest.prototype.send, and where: their
        #: first parameter receives every request body the page sends
        self._request_hooks: list[tuple[Any, Location]] = []
        #: id(function installed as window.fetch) -> where; and the bindings of their `init`
        #: parameters, whose `.body` is the request body (the rest of `init` is not)
        self._fetch_hooks: dict[int, Location] = {}
        self._fetch_init: dict[str, Location] = {}
        #: binding -> values it may receive, computed only on demand (see `_lazy_edge`):
        #: (node, the node it happens at, note, context, whether the node is a call argument);
        #: locations are computed only for edges that are built
        self._lazy: dict[str, list[tuple[Any, Any, str, _Context, bool]]] = {}
        self.html_code: list[tuple[str, Location, str]] = []  # code found in injected HTML
        self.string_seeds: dict[str, set[str]] = {}

    # --- scopes -----------------------------------------------------------------------------

    def _declare_pass(self, tree: Any) -> None:
        """Collect the names each function declares (var/let/const/function/params/catch).

        The folder has already indexed every scope of this tree; reuse that (one walk fewer).
        Block scopes are merged into their function: a may-analysis can afford it."""
        index = getattr(self.folder, "declared_names", None)
        known = index() if index is not None else None
        if known is not None:
            self._declared.update(known)
            self._declared.setdefault(id(tree), set())
            return
        stack: list[tuple[Node, Any]] = [(tree, tree)]
        declared = self._declared
        declared[id(tree)] = set()
        while stack:
            node, fn = stack.pop()
            kind = node.type
            if kind in _FUNCTIONS and node is not fn:
                names = declared.setdefault(id(node), set())
                params = [n for p in node.params for n in pattern_names(p)]
                names.update(params)
                if node.id is not None:
                    if kind == "FunctionDeclaration":
                        declared[id(fn)].add(node.id.name)
                    else:
                        names.add(node.id.name)
                stack.extend((c, node) for c in children(node) if c is not node.id)
                continue
            if kind == "VariableDeclarator":
                declared[id(fn)].update(pattern_names(node.id))
            elif kind == "CatchClause" and node.param is not None:
                declared[id(fn)].update(pattern_names(node.param))
            elif kind == "ClassDeclaration" and node.id is not None:
                declared[id(fn)].add(node.id.name)
            stack.extend((c, fn) for c in children(node))

    def _push_scope(self, fn: Any) -> _Scope:
        self._next_scope += 1
        scope = _Scope(self._next_scope, self._declared.get(id(fn), set()), self._scope, fn)
        self._fn_scope_id[id(fn)] = scope.id
        self._scope = scope
        return scope

    def resolve(self, name: str) -> str:
        """The binding a name refers to. Top-level names are globals (`g:`), as in a
        browser, so code run later by eval or a string timer shares them."""
        scope = self._scope
        while scope is not None:
            if name in scope.names:
                return self.graph.one(f"g:{name}" if scope.parent is None or
                                      scope.fn is self.tree else f"{scope.id}:{name}")
            scope = scope.parent
        return self.graph.one(f"g:{name}")

    def _context(self) -> _Context:
        """Where the walk is, for work deferred to `finish`. Consecutive deferrals from the
        same scope share one (a bundle defers ~150k edges and calls; contexts are never
        changed once made)."""
        last = self._last_context
        if (last is not None and last.scope is self._scope
                and last.stage_location is self._stage_location and last.folder is self.folder):
            return last
        self._last_context = last = _Context(self._scope, self._stage_location, self.folder)
        return last

    @contextlib.contextmanager
    def _restored(self, context: _Context) -> Iterator[None]:
        """Resolve names as at a place visited earlier (for work deferred to `finish`)."""
        saved = self._context()
        self._scope, self._stage_location, self.folder = (
            context.scope, context.stage_location, context.folder)
        try:
            yield
        finally:
            self._scope, self._stage_location, self.folder = (
                saved.scope, saved.stage_location, saved.folder)

    def loc(self, node: Any) -> Location:
        """Where a node is; inside a decoded stage, the place that ran the stage."""
        return self._stage_location or node_location(node)

    def _this(self) -> str:
        scope = self._scope
        # Arrow functions have no `this` of their own: use the enclosing function's.
        while scope is not None and scope.fn is not None and \
                getattr(scope.fn, "type", "") == "ArrowFunctionExpression":
            scope = scope.parent
        if scope is None:
            return "0:this"
        override = self._this_override.get(id(scope.fn))
        return override if override is not None else f"{scope.id}:this"

    def _this_of(self, fn: Any, scope_id: int) -> str:
        return self._this_override.get(id(fn)) or f"{scope_id}:this"

    def _ret(self, fn: Any) -> str:
        return f"ret:{id(fn)}"

    # --- entry ------------------------------------------------------------------------------

    def run(self) -> None:
        """Walk the script; call `visit_stage` for decoded code, then `finish`."""
        self._declare_pass(self.tree)
        self._push_scope(self.tree)
        self.visit(self.tree)
        self._claim_sinks(self.folder)

    def visit_stage(self, tree: Any, folder: FolderLike, where: Location,
                    compiled_at: Any = None) -> None:
        """Analyse code recovered from eval/new Function/a string timer/injected HTML as part of
        this script: global code sharing this script's globals, reported at `where`.

        `compiled_at` is the `Function(...)` call that compiled the stage (then wrapped as a
        function expression): the bindings that call's result was stored in now hold it."""
        self._stage_trees.append(tree)  # keeps node ids (cache keys) unique while we live
        outer_folder, outer_scope, outer_where = self.folder, self._scope, self._stage_location
        self.folder, self._stage_location = folder, where
        try:
            self._declare_pass(tree)
            scope = _Scope(0, self._declared.get(id(tree), set()), None, tree)
            self._scope = scope
            self.visit(tree)
            self._claim_sinks(folder)
            body = tree.body
            if compiled_at is not None and body and body[0].type == "ExpressionStatement" \
                    and body[0].expression.type == "FunctionExpression":
                fn = body[0].expression
                for binding in self._compiled.get(id(compiled_at), ()):
                    self._fn_by_binding.setdefault(binding, []).append(fn)
                # Called where the function value cannot be named (`compile()(url, data)`):
                # such calls reach every compiled function (see `_call_edges`).
                self._fn_by_binding.setdefault(_COMPILED, []).append(fn)
        finally:
            self.folder, self._scope, self._stage_location = outer_folder, outer_scope, outer_where

    def _claim_sinks(self, folder: FolderLike) -> None:
        for site in self.sinks:
            if site.folder is None:
                site.folder = folder

    # --- facts ------------------------------------------------------------------------------

    def fact(self, kind: str, node: Any, **attrs: Any) -> Fact:
        f = Fact(kind, self.loc(node), attrs)
        self.facts.append(f)
        return f

    # --- the walk ---------------------------------------------------------------------------

    def visit(self, node: Node) -> None:
        handler = self._handlers.get(node.type)
        if handler is not None:
            handler(self, node)
            return
        # No handler: walk the children. Identifiers (a third of all nodes) have neither
        # handler nor children, so they are skipped without a call.
        self._visit_children(node)

    def _visit_children(self, node: Node) -> None:
        """`visit` every child (the generic half of `visit`, for handlers that recurse)."""
        visit = self.visit
        for key in node.CHILDREN:
            value = getattr(node, key)
            if value is None:
                continue
            if type(value) is list:
                for item in value:
                    if isinstance(item, Node) and item.type != "Identifier":
                        visit(item)
            elif isinstance(value, Node) and value.type != "Identifier":
                visit(value)

    def _visit_function(self, node: Any) -> None:
        outer = self._scope
        if node.type == "FunctionDeclaration" and node.id is not None:
            self._fn_by_binding.setdefault(self.resolve(node.id.name), []).append(node)
        scope = self._push_scope(node)
        if node.type == "FunctionExpression" and node.id is not None:
            self._fn_by_binding.setdefault(f"{scope.id}:{node.id.name}", []).append(node)
        self._fn_params[id(node)] = [
            f"{scope.id}:{name}" for p in node.params for name in pattern_names(p)
        ]
        promise = self._executors.get(id(node))
        if promise is not None and node.params and node.params[0].type == "Identifier":
            self._resolvers[f"{scope.id}:{node.params[0].name}"] = promise
        values = self._iterated.get(id(node))
        if values is not None and node.params and node.params[0].type == "Identifier":
            self._param_strings[f"{scope.id}:{node.params[0].name}"] = values
        hooked = self._fetch_hooks.get(id(node))
        if hooked is not None and len(node.params) > 1 and node.params[1].type == "Identifier":
            self._fetch_init[f"{scope.id}:{node.params[1].name}"] = hooked
        if self.units:
            self._unit_at[node] = self._here(node)
        self._fn_stack.append(node)
        try:
            for p in node.params:
                if p.type == "AssignmentPattern":
                    self.visit(p.right)
            body = node.body
            if body.type == "BlockStatement":
                for stmt in body.body:
                    self.visit(stmt)
            else:  # arrow function with an expression body returns it
                self._flow_into(self._ret(node), body, "returned")
                self.visit(body)
        finally:
            self._fn_stack.pop()
            self._scope = outer

    v_FunctionDeclaration = _visit_function
    v_FunctionExpression = _visit_function
    v_ArrowFunctionExpression = _visit_function

    def v_DebuggerStatement(self, node: Any) -> None:
        self.fact("anti-analysis", node, check="debugger-statement")

    def v_YieldExpression(self, node: Any) -> None:
        """A generator's yields are what iterating it (`for (await) … of gen()`) gets: they
        flow like a return value."""
        self._to_caller(node, "yielded")

    def v_ReturnStatement(self, node: Any) -> None:
        if node.argument is not None and node.argument.type in ("UnaryExpression",
                                                                 "LogicalExpression"):
            # `return ADDRESS.test(k) && !CARD.test(k);`: a predicate true for fields that
            # are not card fields
            self._polarity(node.argument, exits=False)
        self._to_caller(node, "returned")

    def _to_caller(self, node: Any, note: str) -> None:
        if node.argument is not None:
            if self._fn_stack:
                self._flow_into(self._ret(self._fn_stack[-1]), node.argument, note)
            self.visit(node.argument)

    def v_VariableDeclarator(self, node: Any) -> None:
        if node.init is not None:
            if node.id.type == "Identifier":
                self._bind_methods(self.resolve(node.id.name), node.init)
            self._assign_pattern(node.id, node.init, node)
            self.visit(node.init)

    def _bind_methods(self, owner: str, value: Any) -> None:
        """Methods of an object literal or class see the object as `this`."""
        if value.type == "ObjectExpression":
            for prop in value.properties:
                if prop.type == "Property" and prop.value.type in _FUNCTIONS:
                    self._this_override[id(prop.value)] = owner
        elif value.type in ("ClassExpression", "ClassDeclaration"):
            for member in value.body.body:
                if member.type == "MethodDefinition":
                    self._this_override[id(member.value)] = owner

    def v_ObjectExpression(self, node: Any) -> None:
        for prop in node.properties:
            if prop.type == "Property":
                self._mark_collected(prop.value, self._key(prop))
            if prop.type == "Property" and prop.value.type in ("CallExpression",
                                                               "NewExpression"):
                key = self._key(prop)  # `{send: new Function('u', 'd', …)}`
                if key:
                    self._compiled.setdefault(id(prop.value), []).append(f"prop:{key}")
            if prop.type == "Property" and prop.value.type in _FUNCTIONS:
                key = self._key(prop)
                if key:
                    self._fn_by_binding.setdefault(f"prop:{key}", []).append(prop.value)
                if id(prop.value) not in self._this_override:
                    self._this_override[id(prop.value)] = f"obj:{id(node)}"
        self._visit_children(node)

    def v_ArrayExpression(self, node: Any) -> None:
        for element in node.elements:
            if element is not None:
                self._mark_collected(element)
        self._visit_children(node)

    def _mark_collected(self, value: Any, key: str | None = None) -> None:
        """`{webdriver: !!navigator.webdriver}`: a check whose answer is data (a fraud or
        bot-detection signal that is sent), not a test the script branches on to hide — unless
        the script then tests what it stored (`if (env.wd) return;`: see `_stored_gate`)."""
        while value.type == "UnaryExpression" and value.operator in ("!", "typeof"):
            value = value.argument
        if value.type == "MemberExpression":
            self._collected.add(id(value))
            if key and self.prop_name(value) == "webdriver":
                self._collected_keys.add(key)

    def _stored_gate(self, test: Any) -> None:
        """A test that reads back a stored webdriver answer (`env.wd`, `fp['webdriver']`)
        branches on it: an anti-analysis check like `if (navigator.webdriver)`."""
        if not self._collected_keys:
            return
        stack = [test]
        while stack:
            n = stack.pop()
            if n.type == "MemberExpression" and self.prop_name(n) in self._collected_keys:
                self.fact("anti-analysis", n, check="webdriver")
                return
            if n.type not in _FUNCTIONS:
                stack.extend(children(n))

    def _polarity(self, test: Any, exits: bool) -> None:
        """Record the `re.test(x)` calls in a condition whose match makes the code leave the
        field alone: negated (`!NOT_CARD.test(k)`) where a match lets the code go on, or plain
        where a match exits (`if (SKIP.test(k)) return;`). A negated test guarding an exit
        (`if (!CARD.test(k)) return;`) goes on with card fields only: it targets them. Only
        the tests of `if` statements and the predicates functions return are read: elsewhere
        (`!CARD.test(k) || grab(el)`, `c ? …`) a test counts as targeting, as it always did."""
        stack = [(test, exits)]
        while stack:
            n, flip = stack.pop()
            if n.type == "UnaryExpression" and n.operator == "!":
                stack.append((n.argument, not flip))
            elif n.type == "LogicalExpression":
                stack.extend(((n.left, flip), (n.right, flip)))
            elif n.type == "CallExpression" and flip:
                self._excluding.add(id(n))

    def _visit_class(self, node: Any) -> None:
        owner = f"cls:{id(node)}"
        if node.id is not None:
            binding = self.resolve(node.id.name)
            self._classes.add(binding)
            self.graph.add_edge(binding, owner, self.loc(node), "instance of the class")
            self.graph.add_edge(owner, binding, self.loc(node), "class instance")
        for member in node.body.body:
            if member.type == "MethodDefinition":
                self._this_override.setdefault(id(member.value), owner)
                key = self._key_of(member.key, member.computed)
                if key == "constructor" and node.id is not None:
                    self._fn_by_binding.setdefault(self.resolve(node.id.name), []).append(
                        member.value)
                elif key:
                    self._fn_by_binding.setdefault(f"prop:{key}", []).append(member.value)
            elif member.type in ("PropertyDefinition", "FieldDefinition") and getattr(
                member, "value", None
            ) is not None:
                self._edges(owner, self.deps(member.value), member, "class field")
        self._visit_children(node)

    v_ClassDeclaration = _visit_class
    v_ClassExpression = _visit_class

    def v_ForOfStatement(self, node: Any) -> None:
        self._loop_binding(node)

    v_ForAwaitStatement = v_ForOfStatement  # esprima's name for `for await (… of …)`

    def v_ForInStatement(self, node: Any) -> None:
        self._loop_binding(node)

    def _literal_keys_of(self, literal: Any) -> set[str]:
        return {k for prop in literal.properties if (k := self._key(prop)) is not None}

    def _frame_of_window(self, node: Any) -> str | None:
        """The frame (its binding) whose window `node` is: `frame.contentWindow`, or a name
        that was given it."""
        if node.type == "MemberExpression" and self.prop_name(node) == "contentWindow":
            return self.path_key(node.object)
        if node.type == "Identifier":
            return self._frame_windows.get(self.resolve(node.name))
        return None

    def _object_literal(self, node: Any) -> Any | None:
        """The object literal `node` is, or that the name `node` was given."""
        if node.type == "ObjectExpression":
            return node
        return self._literals.get(self.resolve(node.name)) if node.type == "Identifier" else None

    def _keys_of(self, obj: Any) -> set[str]:
        """The selector- or URL-like keys of an object literal, given inline or through the
        binding that holds it: `Object.keys(fields)` names the fields a kit reads."""
        keys: set[str] = set()
        if obj.type == "ObjectExpression":
            keys = self._literal_keys_of(obj)
        elif obj.type == "Identifier":
            keys = self._literal_keys.get(self.resolve(obj.name), set())
        return {k for k in keys if 2 < len(k) < 400 and self._interesting(k)}

    def _loop_binding(self, node: Any) -> None:
        left = node.left
        target = left.declarations[0].id if left.type == "VariableDeclaration" else left
        deps = self.deps(node.right)
        if node.type == "ForInStatement":  # `for (k in fields)`: k is one of its keys
            deps.strings.update(self._keys_of(node.right))
        for name in pattern_names(target):
            self._edges(self.resolve(name), deps, node, "loop over collection")
        self.visit(node.right)
        self.visit(node.body)

    def v_IfStatement(self, node: Any) -> None:
        self._check_gate(node.test)
        self._stored_gate(node.test)
        self._polarity(node.test, exits=node.alternate is None and _only_exits(node.consequent))
        self._visit_children(node)

    def v_ConditionalExpression(self, node: Any) -> None:
        self._check_gate(node.test)
        self._stored_gate(node.test)
        self._visit_children(node)

    def v_Literal(self, node: Any) -> None:
        value = node.value
        if type(value) is str and 5 <= len(value) <= 200:
            match = _ANTI_RE.search(value)
            if match is not None:
                self.fact("anti-analysis", node, check=_ANTI_CHECKS[match.group(0).lower()])
        regex = getattr(node, "regex", None)
        if regex is not None:
            match = _ANTI_REGEX_RE.search(getattr(regex, "pattern", "") or "")
            if match is not None:
                self.fact("anti-analysis", node, check=_ANTI_CHECKS[match.group(0).lower()])


    def v_BinaryExpression(self, node: Any) -> None:
        if node.operator == "^" and not self._xor_seen and any(
            n.type == "CallExpression" and n.callee.type == "MemberExpression"
            and self.prop_name(n.callee) == "charCodeAt" for n in (node.left, node.right)
        ):
            self._xor_seen = True  # `s.charCodeAt(i) ^ k`: a home-made cipher
            self.fact("obfuscation", node, measure="xor-cipher", score=1)
        if node.operator == "-":
            left, right = self.chain(node.left), self.chain(node.right)
            if left and right and {left[-1], right[-1]} in (
                {"outerWidth", "innerWidth"},
                {"outerHeight", "innerHeight"},
            ):
                self.fact("anti-analysis", node, check="devtools-size")
        self._visit_children(node)

    def v_NewExpression(self, node: Any) -> None:
        callee = self.chain(node.callee)
        name = callee[-1] if callee else None
        if callee == ["Promise"] and node.arguments and node.arguments[0].type in _FUNCTIONS:
            self._executors[id(node.arguments[0])] = f"promise:{id(node)}"
        if node.callee.type == "Identifier" and node.arguments:
            self._pending_calls.append((self.resolve(node.callee.name), node.arguments,
                                        node, self._context()))
        if name == "MutationObserver":
            self.fact("mutation-observer", node)
        elif name == "WebSocket" and node.arguments:
            self._add_sink("websocket", node, node.arguments[0], Deps())
        elif name in ("Worker", "SharedWorker", "EventSource") and node.arguments:
            self._add_sink(name.lower(), node, node.arguments[0], Deps())
        elif callee and callee[-2:-1] == ["Ajax"] and name in _PROTOTYPE_AJAX and len(
                node.arguments) > _PROTOTYPE_AJAX[name]:
            # Prototype (Magento 1): `new Ajax.Request(url, {parameters, postBody})`,
            # `new Ajax.Updater(container, url, options)`
            at = _PROTOTYPE_AJAX[name]
            options = node.arguments[at + 1:]
            method = None
            if options and options[0].type == "ObjectExpression":
                for prop in options[0].properties:
                    if prop.type == "Property" and self._key(prop) == "method":
                        method = (self.folder.string(prop.value) or "").upper() or None
            self._add_sink("prototype-ajax", node, node.arguments[at], self.deps_list(options),
                           method=method or "POST")
        elif name == "FormData":
            self.fact("form-serialize", node, via="FormData")
        elif name == "Blob" and node.arguments:
            # `new Blob([code], {type: 'application/javascript'})`: code for a worker or a
            # script URL, analysed as a stage of this script.
            parts = self.folder.value(node.arguments[0])
            code = "".join(parts) if isinstance(parts, list) and all(
                isinstance(p, str) for p in parts) else None
            options = self.folder.value(node.arguments[1]) if len(node.arguments) > 1 else None
            kind = str(options.get("type", "")) if isinstance(options, dict) else ""
            if code and ("javascript" in kind or "ecmascript" in kind):
                self.html_code.append((code, self.loc(node), "blob"))
        elif name in ("Function", "AsyncFunction"):
            self.fact("dynamic-code", node, via="Function", decoded=False, size=0)
        elif name == "RTCPeerConnection":
            deps = self.deps_list(node.arguments)
            self._add_sink("webrtc", node, None, deps)
            self.sinks[-1].url_deps = deps  # STUN/TURN hosts come from the configuration
        self._visit_children(node)

    def v_MemberExpression(self, node: Any) -> None:
        prop = self.prop_name(node)
        if prop == "indexedDB":
            self._uses_idb = True
        if prop == "length" and node.object.type == "MemberExpression":
            self._counted.add(id(node.object))  # `form.elements.length` counts, reads nothing
        if prop == "webdriver":
            if id(node) in self._collected:
                self.fact("anti-analysis", node, check="webdriver", collected=True)
            else:
                self.fact("anti-analysis", node, check="webdriver")
        elif prop in ("WEBGL_debug_renderer_info", "UNMASKED_RENDERER_WEBGL"):
            self.fact("anti-analysis", node, check="webgl-renderer")
        elif prop == "currentScript":
            pass
        elif (prop == "elements" or (prop == "forms" and self._is_document(node.object))) \
                and id(node) not in self._counted:
            self.fact("form-serialize", node, via=prop)
        elif prop and "." not in prop and self._card_prop(prop):
            self.fact("card-read", node, field=prop, via="property")
        self._visit_children(node)

    def v_AssignmentExpression(self, node: Any) -> None:
        left, right = node.left, node.right
        if left.type == "MemberExpression":
            self._assign_member(node, left, right)
        else:
            self._assign_pattern(left, right, node, compound=node.operator != "=")
        if left.type == "MemberExpression":
            self.visit(left)
        self.visit(right)

    def v_CallExpression(self, node: Any) -> None:
        if self.units:
            self._unit_at[node] = self._here(node)
        try:
            self._call(node)
        finally:
            self._visit_children(node)

    # --- assignments ------------------------------------------------------------------------

    def _assign_pattern(self, target: Any, value: Any, site: Any, compound: bool = False) -> None:
        if target.type == "Identifier" and self._is_test_call(value):
            before = len(self.facts)
            self._check_gate(value)
            if any(f.kind == "url-gate" for f in self.facts[before:]):
                self._gates.add(self.resolve(target.name))
        for name in pattern_names(target):
            binding = self.resolve(name)
            self._lazy_edge(binding, value, site, f"assigned to {name}")
            if value.type in _FUNCTIONS:
                self._fn_by_binding.setdefault(binding, []).append(value)
            elif target.type == "Identifier":
                self._note_object(binding, value)
                if value.type in ("CallExpression", "NewExpression"):  # maybe `Function(…)`
                    self._compiled.setdefault(id(value), []).append(binding)
                if value.type == "CallExpression":
                    self._wrapper_result(binding, value)

    def _wrapper_result(self, binding: str, call: Any) -> None:
        """`var report = debounce(function (d) {…}, 300)`: what a call hands back when it is
        handed functions may be one of them, wrapped (debounce, throttle, once, memoize, a
        library's `bind`), so calling `report(data)` passes `data` to them. Kits route the
        send through such a helper, often imported and so never seen."""
        fns = [fn for arg in call.arguments if arg.type != "SpreadElement"
               for fn in self._functions_of(arg)]
        if fns:
            self._fn_by_binding.setdefault(binding, []).extend(fns)

    def _note_object(self, binding: str, value: Any) -> None:
        """Remember bindings that hold an XHR, a WebSocket or an element we can name, and
        aliases of functions (`var net = window['fe' + 'tch'].bind(window)`)."""
        if value.type == "Literal" and getattr(value, "regex", None) is not None:
            self._regexes[binding] = value
        part_of = self._container(value)
        if part_of is not None and part_of != binding:
            self._parts[binding] = part_of
        if value.type == "ObjectExpression":  # its keys, for `Object.keys(o)` and `for (k in o)`
            self._literals[binding] = value
            keys = self._literal_keys_of(value)
            if keys:
                self._literal_keys[binding] = keys
        target = value
        while target.type == "LogicalExpression":  # `w.XMLHttpRequest && w.XMLHttpRequest.x`
            target = target.right if target.operator == "&&" else target.left
        if target.type == "CallExpression" and target.callee.type == "MemberExpression" and \
                self.prop_name(target.callee) == "bind":
            target = target.callee.object
        frame = self._frame_of_window(target)
        if frame is not None:
            self._frame_windows[binding] = frame
        if target.type in ("MemberExpression", "Identifier"):
            alias = self.chain(target)
            if alias and alias[-1] in _ALIASABLE:
                self._aliases[binding] = alias
            elif alias and alias[-2:] == ["XMLHttpRequest", "prototype"]:
                self._xhr_protos.add(binding)
            elif alias and len(alias) >= 2 and alias[-1] == "prototype" and \
                    alias[-2] in _FIELD_CLASSES:
                self._field_protos.add(binding)
        elif value.type == "ObjectExpression":  # `saved = {o: proto.open, s: proto.send}`
            for prop in value.properties:
                if prop.type == "Property" and prop.value.type in ("MemberExpression",
                                                                   "Identifier"):
                    key = self._key(prop)
                    alias = self.chain(prop.value)
                    if key and alias and alias[-1] in _ALIASABLE:
                        self._aliases[f"{binding}.{key}"] = alias
        if value.type == "NewExpression":
            callee = self.chain(value.callee)
            if value.callee.type == "Identifier":  # `var PC = window.RTCPeerConnection || …`
                callee = self._aliases.get(self.resolve(value.callee.name)) or callee
            name = callee[-1] if callee else ""
            if name in _PEER_CONNECTIONS:  # its data channels send to its STUN/TURN servers
                self._objects[binding] = ("rtc", None, self.deps_list(value.arguments))
            elif name in ("XMLHttpRequest", "ActiveXObject"):
                self._objects[binding] = ("xhr", None, None)
            elif name == "WebSocket":
                url = value.arguments[0] if value.arguments else None
                self._objects[binding] = ("ws", url, self.deps(url) if url is not None else None)
            elif name == "Image":
                self._objects[binding] = ("image", None, None)
            elif callee == ["Element"] and len(value.arguments) > 1:
                self._prototype_element(binding, value)
        elif value.type == "MemberExpression" and (
            self.chain(value) or [""]
        )[-1] == "currentScript":
            self._objects[binding] = ("current-script", None, None)
        elif value.type == "CallExpression":
            callee = self.chain(value.callee)
            if callee and callee[-1] == "createDataChannel" and \
                    value.callee.type == "MemberExpression":
                peer = self._objects.get(self.path_key(value.callee.object) or "")
                if peer is not None and peer[0] == "rtc":
                    self._objects[binding] = ("datachannel", None, peer[2])
            if callee and (callee[-1] in _SELECT_ONE or callee[0] in _JQ) and value.arguments:
                text = self.folder.string(value.arguments[0])
                if text:
                    self._selectors[binding] = text
            if callee and callee[-1] == "createElement" and value.arguments:
                tag = (self.folder.string(value.arguments[0]) or "").lower()
                kind = _ELEMENT_KINDS.get(tag)
                if kind:
                    self._objects[binding] = (kind, None, None)

    def _assign_member(self, node: Any, left: Any, right: Any) -> None:
        prop = self.prop_name(left)
        base = self.base_binding(left)
        deps = self.deps(right)
        key = self.path_key(left)
        if key is not None:
            self._note_object(key, right)
            self._bind_methods(key, right)
        obj_chain = self.chain(left.object)
        if base is not None:
            self._edges(base, deps, node, f"stored in {self._describe(left)}")
        if right.type in _FUNCTIONS and prop:
            self._fn_by_binding.setdefault(f"prop:{prop}", []).append(right)
            self._request_hook(left, prop, right, node)
            if prop.startswith("on") and len(prop) > 2:
                self._listener(node, left.object, prop[2:], right, via="on-property")
                self.fact("handler-rewrite", node, event=prop[2:],
                          target=self._target_kind(left.object))
        elif right.type in ("CallExpression", "NewExpression") and prop:  # maybe `Function(…)`
            self._compiled.setdefault(id(right), []).append(f"prop:{prop}")
        if prop == "value" and self._fn_stack and id(self._fn_stack[-1]) in self._answers and \
                self._element_kind(left.object) == "input" and \
                self._reads_any(right, self._fn_params.get(id(self._fn_stack[-1]), ())):
            # `hidden.value = res.id` in `.then(res => …)`: the answer put into a field the
            # script made (a processor's token swapped in for the card)
            self.fact("token-field", node, via="then")
        if prop == "src":
            kind = self._element_kind(left.object)
            self._add_sink(kind or "element-src", node, right, deps)
            frame = self.path_key(left.object) if kind == "iframe" else None
            if frame is not None:
                self._frame_src[frame] = (right, self.deps(right), self.folder)
        elif prop == "href" and self._element_kind(left.object) == "link":
            self._add_sink("link-href", node, right, deps)
        elif prop == "action":
            form = self.base_binding(left.object)
            if form is not None:  # the form submits its fields: what was put into it goes too
                deps = self.deps(right)
                deps.bindings.add(form)
            self._add_sink("form-action", node, right, deps)
        elif prop == "ping":
            self._add_sink("anchor-ping", node, right, deps)
        elif self._is_location_target(left, prop):
            self._add_sink("navigation", node, right, deps)
        elif prop in ("innerHTML", "outerHTML"):
            self._html_injection(node, right, deps)
        elif prop in ("text", "textContent", "innerText") and self._element_kind(
            left.object
        ) == "script":
            self.fact("dom-inject", node, element="script", via=prop)
        elif prop in ("textContent", "innerText", "text") and "url(" in self._const_text(right):
            self._add_sink("css-url", node, right, deps)  # `style.textContent = '…url(…)'`
        elif prop == "cookie" and obj_chain and obj_chain[-1] == "document":
            self._edges("g:%cookie", deps, node, "written to document.cookie")
            self._storage_write("cookie", None, node, deps)
        elif obj_chain and obj_chain[-1] in ("localStorage", "sessionStorage"):
            store = obj_chain[-1]
            self._edges(f"g:%{store}", deps, node, f"written to {store}")
            self._storage_write(store, prop, node, deps)
        elif prop in ("backgroundImage", "background", "cssText", "listStyleImage",
                      "content") and "url(" in self._const_text(right):
            self._add_sink("css-url", node, right, deps)

    # --- calls ------------------------------------------------------------------------------

    def _request_hook(self, left: Any, prop: str, fn: Any, node: Any) -> None:
        """`XMLHttpRequest.prototype.send = function (body) {…}` (also through a variable
        holding the prototype) and `window.fetch = function (url, init) {…}`: the function
        receives every request the page's own code sends, checkout requests included."""
        obj = left.object
        if prop == "send":
            chain = self.chain(obj) or []
            if chain[-2:] == ["XMLHttpRequest", "prototype"] or (
                    obj.type == "Identifier" and self.resolve(obj.name) in self._xhr_protos):
                self._request_hooks.append((fn, self.loc(node)))
        elif prop == "fetch" and (self.chain(obj) or ["?"])[-1] in (
                "window", "self", "globalThis"):
            self._fetch_hooks[id(fn)] = self.loc(node)  # `init.body`: see `_member_deps`

    def _indirect(self, node: Any) -> tuple[list[str], Any, list[Any]] | None:
        """A network function called through `Reflect.apply(f, obj, [args])`, `f.call(obj, …)`,
        `f.apply(obj, [args])` or `Function.prototype.call.call(f, obj, …)`, where `f` is (an
        alias of) `send`, `open`, `fetch`…: (its chain, the receiver, the arguments)."""
        callee = node.callee
        args = node.arguments
        spread = False  # the last argument is an array of arguments
        if callee.type != "MemberExpression":
            return None
        prop = self.prop_name(callee)
        if prop == "apply" and self._names(callee.object) == "Reflect":
            fn, rest, spread = (args[0] if args else None), args[1:], True
        elif prop in ("call", "apply"):
            inner = callee.object
            held = self._aliases.get(self.resolve(inner.name)) if inner.type == "Identifier" \
                else None
            if (inner.type == "MemberExpression" and self.prop_name(inner) in ("call", "apply")) \
                    or (held and held[-1] in ("call", "apply")):
                # `Function.prototype.call.call(f, obj, …)`, or `c.call(f, obj, …)` with
                # `c = Function.prototype.call`
                fn, rest = (args[0] if args else None), args[1:]
            else:
                fn, rest = inner, list(args)
            spread = prop == "apply"
        else:
            return None
        if fn is None or not rest:
            return None
        if fn.type == "Identifier":
            chain = self._aliases.get(self.resolve(fn.name)) or [fn.name]
        else:
            slot = self.path_key(fn)
            chain = (self._aliases.get(slot) if slot else None) or self.chain(fn) or []
        if not chain or chain[-1] not in _INDIRECT_SINKS:
            return None
        receiver, passed = rest[0], list(rest[1:])
        if spread:
            passed = self._spread_arguments(passed[-1]) if passed else []
        return chain, receiver, passed

    def _names(self, node: Any) -> str | None:
        """The last name of what `node` holds: `w.Reflect` and `R` (with `R = w.Reflect`) are
        both "Reflect"."""
        if node.type == "Identifier":
            held = self._aliases.get(self.resolve(node.name))
            return held[-1] if held else str(node.name)
        chain = self.chain(node)
        return chain[-1] if chain else None

    def _spread_arguments(self, node: Any) -> list[Any]:
        """The argument nodes an `apply` passes: an array literal's elements, or the enclosing
        function's parameters for `arguments`."""
        if node.type == "ArrayExpression":
            return [e for e in node.elements if e is not None and e.type != "SpreadElement"]
        if node.type == "Identifier" and node.name == "arguments" and self._fn_stack:
            return [p for p in self._fn_stack[-1].params if p.type == "Identifier"]
        return []

    def _call(self, node: Any) -> None:
        callee = node.callee
        indirect = self._indirect(node)
        if indirect is not None:
            via, target, passed = indirect
            self._dispatch(node, via, via[-1], target, passed)
            return
        chain = self.chain(callee)
        if callee.type == "Identifier":
            binding = self.resolve(callee.name)
            promise = self._resolvers.get(binding) if self._resolvers else None
            if promise is not None and node.arguments:  # `resolve(x)`: x is the promise's value
                self._lazy_edge(promise, node.arguments[0], node, "resolves the promise")
            chain = self._aliases.get(binding, chain)
        elif chain and chain[0] == "indexedDB":
            self._uses_idb = True
        name = chain[-1] if chain else None
        args = node.arguments
        receiver = callee.object if callee.type == "MemberExpression" else None
        if name is None and callee.type == "MemberExpression":
            name = self.prop_name(callee)
        self._callback_edges(node, receiver, args, name)
        self._call_edges(node, callee, args)
        self._label_patterns(node, name, receiver, args)
        if callee.type == "Import":
            self._add_sink("import", node, args[0] if args else None, Deps())
            return
        if name is None:
            return
        self._dispatch(node, chain, name, receiver, args)

    def _dispatch(self, node: Any, chain: list[str] | None, name: str, receiver: Any,
                  args: list[Any]) -> None:
        """What a call of `name` (on `receiver`, with `args`) does: sinks, listeners,
        selectors, timers, dynamic code."""
        first = args[0] if args else None
        if name in ("eval", "execScript") and len(chain or ()) <= 2:
            self.fact("dynamic-code", node, via="eval", decoded=False, size=0)
        elif name == "Function" and chain == ["Function"]:
            self.fact("dynamic-code", node, via="Function", decoded=False, size=0)
        elif name in ("setTimeout", "setInterval") and len(chain or ()) <= 2:
            delay = self._number(args[1]) if len(args) > 1 else None
            string_code = first is not None and first.type not in _FUNCTIONS and (
                self.folder.string(first) is not None
                or first.type == "TemplateLiteral"
                or (first.type == "BinaryExpression" and bool(self._const_text(first)))
            )
            self.fact("timer", node, fn=name, delay=delay, string_code=bool(string_code))
            if string_code:
                self.fact("dynamic-code", node, via=f"{name}-string", decoded=False, size=0)
        elif name in _SELECT_ONE or name in _SELECT_MANY:
            self._selector_call(node, name, first)
        elif name in _JQ and chain == [name] and first is not None:
            self._selector_call(node, "jquery", first)
        elif name == "addEventListener" and receiver is not None and len(args) >= 2:
            event = self.folder.string(args[0])
            events = [event] if event is not None else self._param_strings.get(
                self.resolve(args[0].name), ["?"]) if args[0].type == "Identifier" else ["?"]
            for each in events:  # `['keyup', 'paste'].forEach(t => el.addEventListener(t, f))`
                self._listener(node, receiver, each, args[1], via="addEventListener")
        elif name in ("on", "bind", "one", "live", "delegate") and receiver is not None and args:
            self._jquery_on(node, receiver, args)
        elif name in _JQ_EVENTS and receiver is not None and args and self._is_jquery(receiver):
            self._listener(node, self._unwrap_jquery(receiver), name, args[-1], via="jquery")
        elif name in _FORM_SERIALIZERS and self._form_serializer(node):
            self.fact("form-serialize", node, via=name)
        elif self._form_elements_call(node, chain):
            self.fact("form-serialize", node, via="getElements")
        elif name == "fetch" and len(chain or ()) <= 2 and first is not None:
            self._fetch(node, args)
        elif name in ("put", "add") and receiver is not None and first is not None and \
                self._uses_idb:
            deps = self.deps_list(args)  # an object store write: staged like localStorage
            self._edges("g:%indexedDB", deps, node, "stored in IndexedDB")
            self._storage_write("indexedDB", None, node, deps)
        elif name == "importScripts" and first is not None and len(chain or ()) <= 2:
            # a worker loading a script: the URL is a request like a <script src>, data and all
            self._add_sink("script", node, first, self.deps_list(args))
        elif name == "sendBeacon" and first is not None:
            self._add_sink("beacon", node, first, self.deps_list(args[1:]), method="POST")
        elif name == "open" and receiver is not None and len(args) >= 2 and self._is_xhr(
            receiver, first
        ):
            owner = self.path_key(receiver)
            if owner is not None:
                self._xhr_open[owner] = (self.folder.string(args[0]), args[1], self.deps(args[1]))
        elif name == "open" and chain and chain[0] in _GLOBAL_OBJECTS | {"open"} and first:
            self._add_sink("window-open", node, first, Deps())
        elif name == "send" and receiver is not None:
            owner = self.path_key(receiver)
            kind = self._objects.get(owner or "", ("", None, None))[0]
            sink = {"ws": "websocket", "datachannel": "webrtc"}.get(kind, "xhr")
            site = SinkSite(sink, self.loc(node), None, None, self.deps_list(args), owner=owner)
            self.sinks.append(site)
        elif name in _AJAX and chain and chain[0] in _JQ:
            self._jquery_ajax(node, name, args)
        elif name in _AXIOS and chain and chain[0] == "axios" and first is not None:
            self._add_sink("axios", node, first, self.deps_list(args[1:]), method=name.upper())
        elif name == "postMessage" and args:
            # Whoever listens for `message` in this script (or a stage of it) receives it.
            self._edges(_MESSAGES, self.deps(first), node, "posted as a message")
            target = self.folder.string(args[1]) if len(args) > 1 else None
            if target is not None and target.strip() in ("*", "/"):
                target = None  # any origin: the destination is whoever is listening
            site = SinkSite("postmessage", self.loc(node), None, target, self.deps(first))
            self.sinks.append(site)
            frame = self._frame_of_window(node.callee.object) if target is None and \
                node.callee.type == "MemberExpression" else None
            if frame is not None:  # to any origin, but the window is a frame this script made
                self._frame_posts.append((site, frame))
        elif name in ("assign", "replace") and chain and "location" in chain and first:
            self._add_sink("navigation", node, first, Deps())
        elif name == "setAttribute" and len(args) >= 2 and receiver is not None:
            attr = (self.folder.string(first) or "").lower()
            if attr == "src":
                kind = self._element_kind(receiver) or "element-src"
                self._add_sink(kind, node, args[1], self.deps(args[1]))
            elif attr == "ping":
                self._add_sink("anchor-ping", node, args[1], self.deps(args[1]))
            elif attr == "action":
                self._add_sink("form-action", node, args[1], self.deps(args[1]))
        elif name in ("write", "writeln") and chain and chain[0] == "document" and first:
            self._html_injection(node, first, self.deps_list(args))
        elif name in ("insertAdjacentHTML",) and len(args) >= 2:
            self._html_injection(node, args[1], self.deps(args[1]))
        elif name in ("append", "prepend", "html", "after", "before", "appendTo") and first:
            text = self.folder.string(first) or self._const_text(first)
            if text and "<" in text:
                self._html_injection(node, first, self.deps(first))
        elif name == "attr" and len(args) >= 2 and receiver is not None and self._is_jquery(
            receiver
        ):
            attr = (self.folder.string(first) or "").lower()
            if attr in ("action", "src"):
                sink = "form-action" if attr == "action" else "element-src"
                self._add_sink(sink, node, args[1], self.deps(args[1]))
        elif name in ("gtag", "ga", "__gaTracker") and chain == [name] and args and \
                self._undeclared(name):
            # The site's analytics calls send their parameters to Google Analytics: with card
            # data in them, the attacker's own property receives it (a trusted channel).
            site = SinkSite("analytics-call", self.loc(node), None,
                            "https://www.google-analytics.com/g/collect",
                            self.deps_list(args[1:]))
            self.sinks.append(site)
        elif name == "defineProperty" and chain == ["Object", name] and len(args) > 2 and \
                self.folder.string(args[1]) == "value" and self._is_field_proto(first) and \
                (descriptor := self._object_literal(args[2])) is not None:
            # `Object.defineProperty(HTMLInputElement.prototype, 'value', {get, set})`, the
            # descriptor given in place or under a name
            for prop in descriptor.properties:
                key = self._key(prop)
                if key in ("get", "set") and prop.type == "Property":
                    for fn in self._functions_of(prop.value):  # literal or named
                        self._value_hooks.append((fn, key == "get", self.loc(node)))
        elif name == "createElement" and first is not None:
            tag = (self.folder.string(first) or "").lower()
            if tag in ("script", "iframe", "form", "input"):
                self.fact("dom-inject", node, element=tag, via="createElement")
        elif name == "setItem" and (store := self._storage(node.callee)) is not None:
            deps = self.deps_list(args[1:])
            self._edges(f"g:%{store}", deps, node, f"written to {store}")
            self._storage_write(store, self.folder.string(first) if first else None, node, deps)
        elif name == "getItem" and (store := self._storage(node.callee)) is not None:
            self.fact("storage-read", node, store=store,
                      key=self.folder.string(first) if first else None)
        elif name == "remove" and receiver is not None and self._is_current_script(receiver):
            self.fact("self-remove", node, via="currentScript.remove")
        elif name == "removeChild" and first is not None and self._is_current_script(first):
            self.fact("self-remove", node, via="removeChild")
        elif name == "getExtension" and first is not None and (
            self.folder.string(first) or ""
        ) == "WEBGL_debug_renderer_info":
            self.fact("anti-analysis", node, check="webgl-renderer")

    def _label_patterns(self, node: Any, name: str | None, receiver: Any,
                        args: list[Any]) -> None:
        r"""`/card\s*number/i.test(label.textContent)`, `byLabel(/cvv|cvc/)`: card fields found
        by the text around them. A regex handed to `.replace()` (scrubbing) does not count."""
        if name in ("replace", "replaceAll", "split"):
            return
        candidates = [a for a in args if a.type == "Literal" and getattr(a, "regex", None)]
        if name in ("test", "exec") and receiver is not None:
            if receiver.type == "Literal":
                candidates.append(receiver)
            elif receiver.type == "Identifier":
                held = self._regexes.get(self.resolve(receiver.name))
                if held is not None:
                    candidates.append(held)
        if name in ("indexOf", "includes") and receiver is not None and args:
            # `['ccnum', 'cvv'].indexOf(input.id)`: a list of card field names
            key = self.path_key(receiver)
            names = set(self.string_seeds.get(key or "", set())) if key else set()
            for value, _, _, _, _ in self._lazy.get(key or "", ()):  # `var ids = ['ccnum', …]`
                if value.type == "ArrayExpression":
                    names.update(e.value for e in value.elements
                                 if e is not None and e.type == "Literal"
                                 and isinstance(e.value, str))
            if receiver.type == "ArrayExpression":
                names = {e.value for e in receiver.elements
                         if e is not None and e.type == "Literal" and isinstance(e.value, str)}
            card = sorted(n for n in names if self._is_card(n))
            if card:
                self.fact("card-read", node, field=", ".join(card)[:120], via="name-list")
        if name in ("test", "exec") and id(node) in self._excluding:
            return  # `!NOT_CARD.test(k)`: card fields are the ones it leaves alone
        for lit in candidates:
            if self._card_regex(lit):
                pattern = getattr(lit.regex, "pattern", "") or ""
                self.fact("card-read", lit, field=f"/{pattern[:80]}/", via="text-pattern")

    def _card_regex(self, lit: Any) -> bool:
        """A regex literal that finds card fields by their text (`/card\\s*number/i`), not a
        list of fields to mask."""
        pattern = getattr(getattr(lit, "regex", None), "pattern", "") or ""
        words = _REGEX_NOISE.sub("", pattern.lower())
        if not words or _MASK_LIST.search(words):
            return False  # `/cc-|card|cvv|pass|ssn/`: a list of fields to mask, not to steal
        return len(words) < 200 and self._is_card(words)

    def _callback_edges(self, node: Any, receiver: Any, args: list[Any],
                        name: str | None) -> None:
        """Data of the receiver and of other arguments may reach a callback's parameters
        (forEach/map/each/then/reduce and friends)."""
        fns: list[Any] = [a for a in args if a.type in _FUNCTIONS]
        if name == "then" and fns:
            self._answers.add(id(fns[0]))  # what a promise (a request) answered
        if receiver is not None and receiver.type == "ArrayExpression" and fns and name in (
                "forEach", "map", "some", "every", "filter"):
            words = [e.value for e in receiver.elements
                     if e is not None and e.type == "Literal" and isinstance(e.value, str)]
            if words and len(words) == len(receiver.elements):
                self._iterated[id(fns[0])] = words  # its first parameter is one of these
        if receiver is not None and name in _ITERATORS:
            # `els.forEach(bind)`, `p.then(handle)`: a named function, found in `finish`
            fns.extend(self.resolve(a.name) for a in args if a.type == "Identifier")
        if not fns:
            return
        values = [a for a in args if a.type not in _FUNCTIONS]
        if receiver is not None:
            values.append(receiver)
        if values:  # their deps are computed in `finish`, if the callback's data matters
            self._pending_callbacks.append((fns, values, node, self._context()))

    def _call_edges(self, node: Any, callee: Any, args: list[Any]) -> None:
        """Arguments flow into the parameters of functions declared in this script."""
        if callee.type == "MemberExpression" and self.prop_name(callee) in ("call", "apply"):
            # `fn.call(thisArg, a, b)`: thisArg is the function's `this`, then its arguments.
            fns = self._functions_of(callee.object)
            if fns and args:
                this_deps = self.deps(args[0])
                rest = [self._arg_deps(a) for a in args[1:]]
                for fn in fns:
                    self._pending_this.append((fn, this_deps, self.loc(node)))
                    self._pending_direct.append((fn, rest, self.loc(node)))
            return
        if not args:
            return
        if callee.type in ("CallExpression", "NewExpression", "ConditionalExpression",
                           "LogicalExpression"):
            key = _COMPILED  # `make()(a, b)`, `new Function(…)(a, b)`: a value we cannot name
        elif callee.type == "Identifier":
            key = self.resolve(callee.name)
        elif callee.type == "MemberExpression":
            prop = self.prop_name(callee)
            if prop is None:
                return
            key = f"prop:{prop}"
            if prop in ("push", "unshift", "append", "set", "add", "concat", "assign",
                        "appendChild", "insertBefore", "prepend", "insert",
                        "splice", "write"):
                base = self.base_binding(callee.object)
                if prop == "assign" and args:
                    base = self.base_binding(args[0])
                if base is not None:
                    self._edges(base, self.deps_list(args), node, f"added with .{prop}()")
            if self._builtin_static(callee):
                return
        else:
            return
        self._pending_calls.append((key, args, node, self._context()))

    def _arg_deps(self, arg: Any) -> Deps:
        """An argument's deps, plus its folded value when that is a URL or selector (so that
        `val(C.num)` passes the hidden selector on to `val`'s parameter)."""
        deps = self.deps(arg)
        if arg.type in ("MemberExpression", "Identifier") and not deps.strings:
            text = self.folder.string(arg)
            if text is not None and 2 < len(text) < 400 and self._interesting(text):
                deps.strings.add(text)
        return deps

    def _selector_call(self, node: Any, via: str, first: Any) -> None:
        if first is None:
            return
        text = self.folder.string(first)
        if text is None:
            if first.type not in _FUNCTIONS:
                # A selector from a variable or parameter: resolved in `finish` from the
                # selector-like constants that reach it (`sel:` binding, seeded there).
                self._pending_selectors.append((f"sel:{id(node)}", node, self.deps(first), via))
            return
        if via == "getElementsByTagName":
            if text.lower() in ("input", "select", "textarea", "*"):
                self.fact("input-sweep", node, selector=text, via=via)
            return
        if self._is_card(text):
            self.fact("card-read", node, field=text[:120], via=via)
        elif patterns.is_sweep_selector(text):
            self.fact("input-sweep", node, selector=text[:120], via=via)

    def _listener(self, node: Any, target: Any, event: str, handler: Any, via: str,
                  selector: str | None = None) -> None:
        event = event.lower()
        target_kind = self._target_kind(target)
        if selector:  # delegated: `$(document).on('keyup', 'input', fn)`
            target_kind = self._selector_kind(selector) or target_kind
        fact = self.fact("listener", node, event=event, target=target_kind, via=via,
                         selector=selector)
        deps = self.deps(target)
        if target_kind == "element":
            self._pending_targets.append((len(self.facts) - 1, fact, deps))
        fns = self._functions_of(handler)
        if not fns:
            return
        step = FlowStep(self.loc(node), f"{event} listener on {target_kind}")
        if event == "message":
            deps.bindings.add(_MESSAGES)
        if selector and self._is_card(selector):
            step_card = FlowStep(self.loc(node), f"card field {selector[:60]!r}")
            deps.labels.setdefault("card", step_card)
        if event in patterns.KEY_EVENTS:
            deps.labels.setdefault("keys", step)
        if event in patterns.FIELD_EVENTS:
            deps.labels.setdefault("input", step)
        for fn in fns:
            self._pending_fn_edges.append((fn, deps, self.loc(node), f"{event} event"))

    def _jquery_on(self, node: Any, receiver: Any, args: list[Any]) -> None:
        events = self.folder.string(args[0])
        if events is None:
            return
        handler = args[-1]
        target = self._unwrap_jquery(receiver)
        delegated = self.folder.string(args[1]) if len(args) > 2 else None
        for event in events.split():
            self._listener(node, target, event.split(".")[0], handler, via="jquery",
                           selector=delegated)

    def _functions_of(self, node: Any) -> list[Any]:
        while node.type == "SequenceExpression" and node.expressions:
            node = node.expressions[-1]
        if node.type in _FUNCTIONS:
            return [node]
        if node.type == "Identifier":
            return list(self._fn_by_binding.get(self.resolve(node.name), ()))
        return []

    def _fetch(self, node: Any, args: list[Any]) -> None:
        init = args[1] if len(args) > 1 else None
        method, mode = "GET", None
        data = Deps()
        if init is not None and init.type == "ObjectExpression":
            for prop in init.properties:
                key = self._key(prop)
                if key == "method":
                    method = (self.folder.string(prop.value) or method).upper()
                elif key == "mode":
                    mode = self.folder.string(prop.value)
                elif prop.type == "Property":
                    data.merge(self.deps(prop.value))
        elif init is not None:
            data.merge(self.deps(init))
        url_deps = self.deps(args[0])
        site = SinkSite("fetch", self.loc(node), args[0], None, data, method=method, mode=mode,
                        url_deps=url_deps)
        site.data.merge(url_deps)
        self.sinks.append(site)

    def _jquery_ajax(self, node: Any, name: str, args: list[Any]) -> None:
        url_node = None
        method = "POST" if name == "post" else "GET"
        data = Deps()
        opts = args[0] if args and args[0].type == "ObjectExpression" else None
        if opts is None and args:
            url_node = args[0]
            if len(args) > 1 and args[1].type == "ObjectExpression" and name == "ajax":
                opts = args[1]
            else:
                data.merge(self.deps_list(args[1:]))
        if opts is not None:
            for prop in opts.properties:
                key = self._key(prop)
                if key == "url":
                    url_node = prop.value
                elif key in ("type", "method"):
                    method = (self.folder.string(prop.value) or method).upper()
                elif prop.type == "Property" and prop.value.type not in _FUNCTIONS:
                    data.merge(self.deps(prop.value))
        site = SinkSite("jquery-ajax", self.loc(node), url_node, None, data, method=method)
        if url_node is not None:
            site.url_deps = self.deps(url_node)
            site.data.merge(site.url_deps)
        self.sinks.append(site)

    def _add_sink(
        self, sink: str, node: Any, url_node: Any, data: Deps, method: str | None = None
    ) -> None:
        site = SinkSite(sink, self.loc(node), url_node, None, data, method=method)
        if url_node is not None:
            site.url_deps = self.deps(url_node)
            site.data.merge(site.url_deps)
        self.sinks.append(site)

    def _html_injection(self, node: Any, html_node: Any, deps: Deps) -> None:
        text = self.folder.string(html_node) or self._const_text(html_node)
        low = text.lower()
        # Code inside injected markup runs too: `<svg onload="...">`, `<script>...</script>`.
        for match in _HTML_CODE.finditer(text):
            code = html.unescape(match.group(1) or match.group(2) or match.group(3) or "")
            if code.strip():
                self.html_code.append((code, self.loc(node), "injected-html"))
        for tag in ("form", "iframe", "script", "input"):
            if f"<{tag}" in low:
                self.fact("dom-inject", node, element=tag, via="html")
        if "<img" in low or "<script" in low or "<iframe" in low:
            site = SinkSite("html-src", self.loc(node), html_node, None, deps)
            self.sinks.append(site)
        elif "url(" in low:
            self.sinks.append(SinkSite("css-url", self.loc(node), html_node, None, deps))

    def _storage_write(self, store: str, key: str | None, node: Any, deps: Deps) -> None:
        f = Fact("storage-write", self.loc(node), {"store": store, "key": key})
        self.storage_writes.append((f, deps))

    def _check_gate(self, test: Any) -> None:
        """URL gates (`/checkout/.test(location.href)`) and once-per-visitor checks."""
        text_parts: list[str] = []
        touches_location = False
        touches_store: str | None = None
        stack = [test]
        while stack:
            n = stack.pop()
            if n.type == "Identifier" and self._gates and self.resolve(n.name) in self._gates:
                self.fact("url-gate", test, pattern=n.name, via="variable")
            if n.type == "MemberExpression":
                chain = self.chain(n) or []
                if "location" in chain or chain[-1:] in (["pathname"], ["href"], ["URL"],
                                                         ["documentURI"]):
                    touches_location = True
                if chain[-2:] == ["document", "cookie"]:
                    touches_store = "cookie"
                elif chain and chain[0] in ("localStorage", "sessionStorage"):
                    touches_store = chain[0]
            elif n.type == "Literal":
                if isinstance(n.value, str):
                    text_parts.append(n.value)
                regex = getattr(n, "regex", None)
                if regex is not None:
                    text_parts.append(getattr(regex, "pattern", "") or "")
            if n.type not in _FUNCTIONS:
                stack.extend(children(n))
        if touches_location:
            words = [t for t in text_parts if patterns.URL_GATE_WORDS.search(t)]
            if words:
                self.fact("url-gate", test, pattern=words[0][:80], via="location")
        if touches_store:
            self.fact("visitor-gate", test, store=touches_store, key=None)

    # --- expression data --------------------------------------------------------------------

    def deps_list(self, nodes: list[Any]) -> Deps:
        deps = Deps()
        for n in nodes:
            deps.merge(self.deps(n))
        return deps

    def deps(self, node: Any) -> Deps:
        """Bindings and direct source labels an expression's value may carry.

        Computed bottom-up once per node (a node's deps depend only on where it is in the
        tree), so nested calls and repeated questions about the same subexpression cost
        nothing more. Callers get a copy they may change."""
        if node is None:
            return Deps()
        d = self._deps_node(node)
        return Deps(set(d.bindings), dict(d.labels), set(d.encoders), set(d.strings))

    def _deps_node(self, n: Any) -> Deps:
        """Cached, shared, never mutated: see `deps` for a copy."""
        cache = self._deps_cache
        cached = cache.get(n)
        if cached is not None:
            return cached
        kind = n.type
        result = _NO_DEPS
        if kind == "Identifier":
            binding = self.resolve(n.name)
            if not (binding.startswith("g:") and n.name in _HOST_GLOBALS):
                # one shared (never mutated) Deps per binding: identifiers are a third of a
                # bundle's nodes, and four empty containers each cost ~700 bytes
                result = self._binding_deps.get(binding) or self._binding_deps.setdefault(
                    binding, Deps({binding}))
        elif kind == "ThisExpression":
            result = Deps({self._this()})
        elif kind == "Literal":
            value = n.value
            if type(value) is str and 2 < len(value) < 400 and self._interesting(value):
                result = Deps(strings={value})
        elif kind in _FUNCTIONS:
            pass
        elif kind == "Property" and n.value.type in _FUNCTIONS and (
                n.kind == "get" or self._key(n) == "get"):
            # `get number() {…}`, `{get: function () {…}}` (defineProperty): reading the
            # property returns what the getter returns
            result = Deps({self._ret(n.value)})
        elif kind == "MemberExpression" and not n.computed and (
                (prop := getattr(n.property, "name", None)) in _NO_DATA_PROPERTIES or (
                    prop == "name" and not self._windowish(n.object))):
            pass  # a length is a number about the data, a field's id, type or name not the data
        elif kind == "CallExpression" and self._is_masking(n):
            pass  # `v.replace(/\S/g, '*')`: masked, nothing left to steal
        elif kind == "CallExpression" and self._describes(n):
            pass  # `el.getAttribute('autocomplete')`: what the field is, not what it holds
        elif kind == "CallExpression" and self._decodes(n) and (
                (decoded := self.folder.string(n)) is not None
                and 2 < len(decoded) < 400 and self._interesting(decoded)):
            result = Deps(strings={decoded})  # `atob('d3NzOi8v…')`: a hidden URL or selector
        elif kind == "BinaryExpression" and n.operator in _COMPARISONS:
            pass  # `v !== ''`, `a.length > 12`: a boolean about the data, not the data
        elif kind == "UnaryExpression" and n.operator in _NO_DATA_UNARY:
            pass  # `!!o.creditCard`, `typeof v`: a boolean or a type name, not the data
        elif kind == "CallExpression" and self._maps_through_callback(n):
            # `xs.map(fn)`, `Array.prototype.map.call(xs, fn)`: the result is what fn returns
            # (xs reaches fn's parameters through the callback edges)
            result = _union([Deps({self._ret(a)}) for a in n.arguments if a.type in _FUNCTIONS])
        elif kind == "ConditionalExpression":  # `c ? a : b` is a or b, never c
            result = _union([self._deps_node(n.consequent), self._deps_node(n.alternate)])
        elif kind == "MemberExpression":
            via_window = self._window_global(n)
            if via_window is not None:
                result = Deps({via_window})
            else:
                own = Deps()
                self._member_deps(n, own)
                # `a.b.c`: the data is the object's; computed keys add their own.
                parts = [own, self._deps_node(n.object)]
                if n.computed:
                    parts.append(self._deps_node(n.property))
                result = _union(parts)
        else:
            folded = None
            if kind == "BinaryExpression" and n.operator == "+" and (
                _urlish(n.left) or _urlish(n.right)
            ):  # `'#cc_' + 'number'`, `base + '/collect'`: worth folding
                folded = self.folder.string(n)
            if folded is not None:
                # The folded text is the constant part (a URL, a selector); whatever run-time
                # data the expression also holds (`base + data.join('_')`, where the folder
                # sees an empty join) still flows.
                parts = [self._deps_node(c) for c in children(n)]
                if 2 < len(folded) < 400 and self._interesting(folded):
                    parts.append(Deps(strings={folded}))
                result = _union(parts)
            else:
                node_deps = self._deps_node
                if kind == "CallExpression" and self._own_function(n.callee):
                    # `luhnOk(digits)`, `brandOf(digits)`: a function of the script gives what
                    # its body returns (its arguments reach it through its parameters), not
                    # whatever it was handed: a check or a brand computed from the card is
                    # not the card.
                    parts = []
                else:
                    parts = [node_deps(c) for c in children(n)]
                if kind == "CallExpression":
                    own = Deps()
                    self._call_deps(n, own)
                    parts.append(own)
                elif kind == "NewExpression":
                    callee = self.chain(n.callee)
                    if callee and callee[-1] == "FormData":
                        parts.append(Deps(labels={"form": FlowStep(self.loc(n),
                                                                   "new FormData(form)")}))
                    elif callee == ["Promise"]:
                        parts.append(Deps({f"promise:{id(n)}"}))  # what `resolve(x)` gives
                result = _union(parts)
        cache[n] = result = _settled(result)
        return result

    def _own_function(self, callee: Any) -> bool:
        """`f` names functions the script declares or assigns (whose returns are followed),
        none of which reads `arguments` (whose values would escape the parameters); so does
        `Cls.m` for a method of a class the script declares (`Widget.describe(el)`)."""
        if callee.type == "MemberExpression" and not callee.computed and \
                callee.object.type == "Identifier" and \
                self.resolve(callee.object.name) in self._classes:
            methods = self._fn_by_binding.get(f"prop:{self.prop_name(callee)}") or []
            return bool(methods) and not any(self._reads_arguments(fn) for fn in methods)
        if callee.type != "Identifier":
            return False
        fns = self._fn_by_binding.get(self.resolve(callee.name))
        if not fns:
            return False
        return not any(self._reads_arguments(fn) for fn in fns)

    def _reads_arguments(self, fn: Any) -> bool:
        known = self._uses_arguments.get(id(fn))
        if known is None:
            stack = [fn.body] if getattr(fn, "body", None) is not None else []
            known = False
            while stack and not known:
                node = stack.pop()
                known = node.type == "Identifier" and node.name == "arguments"
                stack.extend(children(node))
            self._uses_arguments[id(fn)] = known
        return known

    def _maps_through_callback(self, call: Any) -> bool:
        """`xs.map(fn)` / `xs.flatMap(fn)` / `Array.prototype.map.call(xs, fn)` with a function
        literal: a new array of fn's results."""
        callee = call.callee
        if callee.type != "MemberExpression" or not any(
                a.type in _FUNCTIONS for a in call.arguments):
            return False
        name = self.prop_name(callee)
        if name in ("call", "apply") and callee.object.type == "MemberExpression":
            name = self.prop_name(callee.object)
        return name in ("map", "flatMap")

    def _decodes(self, call: Any) -> bool:
        """A call of a decoder on constants (`atob('…')`, `String.fromCharCode(…)`,
        `decodeURIComponent('…')`, `[…].join('')`): worth folding for the value it hides."""
        callee = call.callee
        name = callee.name if callee.type == "Identifier" else (
            self.prop_name(callee) if callee.type == "MemberExpression" else None)
        return name in _DECODERS and bool(call.arguments or name in ("join", "reverse"))

    def _call_deps(self, n: Any, deps: Deps) -> None:
        named = n.callee.type == "MemberExpression" and self.prop_name(n.callee) in _MAPPERS
        for arg in n.arguments:  # `xs.map(fn)`, `p.then(fn)`: the result is what fn returns
            if arg.type in _FUNCTIONS:
                deps.bindings.add(self._ret(arg))
            elif named and arg.type == "Identifier":  # `sels.map(q)`: what q returns
                deps.bindings.add(f"call:{self.resolve(arg.name)}")
        chain = self.chain(n.callee)
        name = chain[-1] if chain else (
            self.prop_name(n.callee) if n.callee.type == "MemberExpression" else None
        )
        if name is None:
            return
        first = n.arguments[0] if n.arguments else None
        if name in _KEY_LISTS and chain == ["Object", name] and first is not None:
            deps.strings.update(self._keys_of(first))  # `Object.keys({cc_number: ''})`
        if name in _ENCODERS:
            deps.encoders.add(name)
        if name in _SELECT_ONE or name in _SELECT_MANY or (
            name in _JQ and chain == [name]
        ):
            text = self.folder.string(first) if first is not None else None
            if text is None and first is not None and first.type not in _FUNCTIONS:
                # Selector from a variable or parameter (registered by `_selector_call`).
                deps.bindings.add(f"sel:{id(n)}")
            if text:
                if name == "getElementsByTagName":
                    if text.lower() in ("input", "select", "textarea", "*"):
                        where = self.loc(n)
                        deps.labels.setdefault("form", FlowStep(where, f"all <{text}> fields"))
                elif self._is_card(text):
                    where = self.loc(n)
                    deps.labels.setdefault("card", FlowStep(where, f"card field {text[:60]!r}"))
                elif patterns.is_sweep_selector(text):
                    where = self.loc(n)
                    deps.labels.setdefault("form", FlowStep(where, f"every field {text[:60]!r}"))
        elif self._form_elements_call(n, chain):
            # Prototype (Magento 1): `Form.getElements(form)`, `form.getElements()`
            deps.labels.setdefault("form", FlowStep(self.loc(n), "every field, getElements()"))
        elif name in _FORM_SERIALIZERS and self._form_serializer(n):
            receiver = n.callee.object if n.callee.type == "MemberExpression" else None
            if chain and chain[0] == "Form" and n.arguments:  # `Form.serialize($('f'))`
                receiver = n.arguments[0]
            selector = ""
            if receiver is not None and receiver.type == "CallExpression" and receiver.arguments:
                selector = self.folder.string(receiver.arguments[0]) or ""
            # Serialising the payment form is reading the card fields.
            label = "card" if _PAYMENT_FORM.search(selector) else "form"
            deps.labels.setdefault(label, FlowStep(self.loc(n), f"form .{name}() {selector}"))
        elif name == "getItem" and (store := self._storage(n.callee)) is not None:
            deps.bindings.add(f"g:%{store}")
        elif name in ("getAll", "get", "openCursor", "getAllKeys") and self._uses_idb and \
                n.callee.type == "MemberExpression":
            deps.bindings.add("g:%indexedDB")  # a read of an object store (or, over-approx., a Map)
        elif n.callee.type == "Identifier":
            deps.bindings.add(f"call:{self.resolve(n.callee.name)}")
            card = next((a for a in n.arguments if a.type == "Literal" and self._card_regex(a)),
                        None)
            if card is not None:  # `byLabel(/card\s*number/i)`: the field that text labels
                deps.labels.setdefault("card", FlowStep(
                    self.loc(n), f"card field labelled /{card.regex.pattern[:60]}/"))
        elif name and not self._builtin_static(n.callee):
            # by name: functions of this call's unit and of global code (see units.py); the
            # unit from the node's place, whether or not the walk has reached it yet
            unit = self._unit_at.get(n)
            if unit is None:
                unit = self._here(n) if self.units else GLOBAL
            if unit == GLOBAL:
                deps.bindings.add(f"call:prop:{name}")
            else:
                deps.bindings.update((f"call:prop:{name}@{unit}", f"call:prop:{name}@global"))
                if (name, unit) not in self._asked_by_name:
                    self._asked_by_name.add((name, unit))
                    if self._finishing:  # every function is known: the edges now
                        self._by_name_edges(name, unit)

    def _member_deps(self, n: Any, deps: Deps) -> None:
        prop = self.prop_name(n)
        if prop is None:
            return
        if prop == "elements":
            deps.labels.setdefault("form", FlowStep(self.loc(n), "form.elements"))
        elif prop == "forms" and self._is_document(n.object):
            deps.labels.setdefault("form", FlowStep(self.loc(n), "document.forms"))
        elif prop == "cookie" and self._is_document(n.object):
            deps.bindings.add("g:%cookie")
        elif prop and "." not in prop and self._card_prop(prop):
            deps.labels.setdefault("card", FlowStep(self.loc(n), f"field {prop!r}"))
        elif prop == "body" and self._fetch_init and n.object.type == "Identifier":
            hooked = self._fetch_init.get(self.resolve(n.object.name))
            if hooked is not None:
                deps.labels.setdefault("request", FlowStep(
                    hooked, "the body of every fetch the page makes (hooked)"))
        obj = self.chain(n.object)
        if obj and obj[-1] in ("localStorage", "sessionStorage"):
            deps.bindings.add(f"g:%{obj[-1]}")

    def _container(self, value: Any) -> str | None:
        """`fields.a`, `form[k]`, `copy.querySelectorAll('input')`, `tpl.cloneNode(true)`: a
        part of an object the script holds, whose binding is returned (what is stored into
        the part is stored into the object)."""
        source = None
        if value.type == "MemberExpression":
            source = value.object
        elif value.type == "CallExpression" and value.callee.type == "MemberExpression" and \
                self.prop_name(value.callee) in _PARTS_OF:
            source = value.callee.object
        return self.base_binding(source) if source is not None else None

    def _edges(self, dst: str, deps: Deps, site: Any, note: str) -> None:
        # A node's location is worked out only if the edge ends up on a path (see TaintGraph);
        # inside a decoded stage every edge is at the place that ran the stage.
        if self._parts and note.startswith(("stored in", "added with")):
            # `bucket = fields.a; bucket.push(el)`: `fields` holds it too
            seen = {dst}
            part = dst
            while (part := self._parts.get(part, "")) and part not in seen:
                seen.add(part)
                self._edges_to(part, deps, site, f"{note} (a part of it)")
        self._edges_to(dst, deps, site, note)

    def _edges_to(self, dst: str, deps: Deps, site: Any, note: str) -> None:
        where = self._stage_location or site
        if deps.strings:
            self.string_seeds.setdefault(dst, set()).update(deps.strings)
        for b in deps.bindings:
            self.graph.add_edge(dst, b, where, note)
        for label, step in deps.labels.items():
            self.graph.add_seed(dst, label, step)

    def _flow_into(self, dst: str, node: Any, note: str) -> None:
        self._lazy_edge(dst, node, node, note)

    def _lazy_edge(self, dst: str, node: Any, site: Any, note: str) -> None:
        """`dst` may receive the value of `node`; its deps are computed in `finish` only if
        `dst` can reach something that matters (a sink, storage, a listener target). Most
        assignments in a big bundle never do, and this is where the walk spent its time."""
        if node.type in _FUNCTIONS or (node.type == "Literal" and not isinstance(
                node.value, str)):
            return
        self._lazy.setdefault(dst, []).append((node, site, self.graph.one(note),
                                               self._context(), False))

    def _roots(self) -> set[str]:
        """Bindings whose data matters: what sinks send and where they send it, storage
        writes, listener targets, selector arguments."""
        roots: set[str] = set()
        for site in self.sinks:
            roots |= site.data.bindings
            if site.url_deps is not None:
                roots |= site.url_deps.bindings
        for _, deps in self.storage_writes:
            roots |= deps.bindings
        for _, _, deps in self._pending_targets:
            roots |= deps.bindings
        for _, _, deps, _ in self._pending_selectors:
            roots |= deps.bindings
        for _, _, url_deps in self._objects.values():
            if url_deps is not None:
                roots |= url_deps.bindings
        for _, _, url_deps in self._xhr_open.values():
            roots |= url_deps.bindings
        roots |= {site.owner for site in self.sinks if site.owner is not None}
        return roots

    def _owner_kind(self, owner: str, limit: int = 200) -> str | None:
        """`var s = open(); s.send(x)` where `open()` returns a WebSocket it created: follow the
        owner back through assignments, returns and calls to an object whose kind we know."""
        seen = {owner}
        frontier = [owner]
        while frontier and len(seen) < limit:
            b = frontier.pop(0)
            kind = self._objects.get(b, ("",))[0]
            if kind in ("ws", "xhr"):
                self._objects.setdefault(owner, self._objects[b])
                return str(kind)
            for edge in self.graph.incoming.get(b, ()):
                if edge.src not in seen:
                    seen.add(edge.src)
                    frontier.append(edge.src)
        return None

    def _demand(self, roots: Iterator[str]) -> None:
        """Compute the lazy edges backwards from `roots`, as far as they reach."""
        needed: set[str] = set()
        frontier = [r for r in roots if r not in needed]
        needed.update(frontier)
        selectors_seen = len(self._pending_selectors)
        while frontier:
            b = frontier.pop()
            pending = self._lazy.pop(b, None)
            if pending:
                saved = self._scope, self._stage_location, self.folder
                try:  # `_restored`, inlined: this loop runs once per deferred edge
                    for node, where, note, context, argument in pending:
                        self._scope = context.scope
                        self._stage_location = context.stage_location
                        self.folder = context.folder
                        deps = self._arg_deps(node) if argument else self.deps(node)
                        self._edges(b, deps, where, note)
                finally:
                    self._scope, self._stage_location, self.folder = saved
            for edge in self.graph.incoming.get(b, ()):
                if edge.src not in needed:
                    needed.add(edge.src)
                    frontier.append(edge.src)
            # selectors met on the way: what reaches their argument matters too
            for _, _, sel_deps, _ in self._pending_selectors[selectors_seen:]:
                for src in sel_deps.bindings - needed:
                    needed.add(src)
                    frontier.append(src)
            selectors_seen = len(self._pending_selectors)

    # --- names ------------------------------------------------------------------------------

    def _by_name_edges(self, name: str, unit: int) -> None:
        """Return edges for a call by name made in closure `unit` (it asks `@unit`), from
        the rest of what `_nearest` gives it: functions of closures it meets, or any where
        none does (a kit's closure calling `lib.qs(sel)` on a library another closure
        exported), as its arguments reach their parameters."""
        unit_at = self._unit_at
        for fn in self._nearest(self._fn_by_binding.get(f"prop:{name}", []), unit):
            if unit_at.get(fn, GLOBAL) not in (unit, GLOBAL):
                self.graph.add_edge(f"call:prop:{name}@{unit}", self._ret(fn), fn,
                                    "return value")

    def _nearest(self, fns: list[Any], unit: int) -> list[Any]:
        """The functions a call by property name from `unit` can mean: those of its own
        closure and of global code when there are any (a card library's `Fmt.format(el)` is
        its own `format`, not an analytics library's); else any (a kit in a closure of its
        own calling `lib.transport.send(…)` reaches the library's exported sender)."""
        if unit == GLOBAL:
            return fns
        unit_at = self._unit_at
        own = [fn for fn in fns if meet(unit, unit_at.get(fn, GLOBAL))]
        return own or fns

    def _form_serializer(self, call: Any) -> bool:
        """`$(form).serialize()` (jQuery: no arguments), `$(form).serialize(true)` and
        `Form.serialize(form[, true])` (Prototype, Magento 1). A function of the script called
        `serialize(node, depth)` (a DOM snapshot) is none of them."""
        callee = call.callee
        if callee.type != "MemberExpression":
            return False
        chain = self.chain(callee) or []
        if chain[:1] == ["Form"] and len(chain) == 2:
            return bool(call.arguments)
        args = call.arguments
        return not args or (len(args) == 1 and args[0].type == "Literal"
                            and isinstance(args[0].value, bool))

    def _is_field_proto(self, node: Any) -> bool:
        """`HTMLInputElement.prototype`, or a binding that holds it."""
        if node.type == "Identifier" and self.resolve(node.name) in self._field_protos:
            return True
        chain = self.chain(node) or []
        return len(chain) >= 2 and chain[-1] == "prototype" and chain[-2] in _FIELD_CLASSES

    def _storage(self, callee: Any) -> str | None:
        """`localStorage.setItem`, `window.sessionStorage.getItem`, or through a variable that
        holds one (`var store = window.localStorage; store.setItem(…)`): which Web Storage."""
        if callee.type != "MemberExpression":
            return None
        chain = self.chain(callee.object) or []
        if callee.object.type == "Identifier":
            chain = self._aliases.get(self.resolve(callee.object.name)) or chain
        return chain[-1] if len(chain) == 1 and chain[0] in _STORAGES else None

    def _here(self, node: Any) -> int:
        """The unit `node` is in; code decoded at run time counts as global code."""
        return GLOBAL if self._stage_location is not None else self.units.of(node)

    def _builtin_static(self, callee: Any) -> bool:
        """`Object.assign`, `window.JSON.parse`: a static function of the language (see
        `_BUILTIN_NAMESPACES`), unless the script has its own binding of that name."""
        if callee.type != "MemberExpression":
            return False
        names = self.chain(callee)
        if not names:
            return False
        while len(names) > 2 and names[0] in _GLOBAL_OBJECTS:
            names = names[1:]
        return len(names) == 2 and names[0] in _BUILTIN_NAMESPACES and \
            self.resolve(names[0]) == f"g:{names[0]}"

    def chain(self, node: Any) -> list[str] | None:
        """`window.document.querySelector` -> ["window", "document", "querySelector"]."""
        names: list[str] = []
        while node is not None:
            kind = node.type
            if kind == "Identifier":
                names.append(node.name)
                break
            if kind == "ThisExpression":
                names.append("this")
                break
            if kind == "MemberExpression":
                prop = self.prop_name(node)
                if prop is None:
                    return None
                names.append(prop)
                node = node.object
                continue
            if kind == "ChainExpression":
                node = node.expression
                continue
            if kind == "CallExpression" and names:
                # `$(x).on(...)`: keep the callee so jQuery receivers are recognisable
                inner = self.chain(node.callee)
                if inner is None:
                    return None
                names.append("()")
                names.extend(reversed(inner))
                break
            return None
        names.reverse()
        if names and names[0] in _GLOBAL_OBJECTS and len(names) > 1:
            names = names[1:]
        return names

    def prop_name(self, member: Any) -> str | None:
        prop = member.property
        if not member.computed:
            return getattr(prop, "name", None)
        if prop.type == "Literal" and isinstance(prop.value, str):
            return str(prop.value)
        return self.folder.string(prop)

    def _key(self, prop: Any) -> str | None:
        if prop.type != "Property":
            return None
        return self._key_of(prop.key, prop.computed)

    def _key_of(self, key: Any, computed: bool) -> str | None:
        if not computed and key.type in ("Identifier", "PrivateIdentifier"):
            return str(key.name)
        if key.type == "Literal":
            return str(key.value)
        return self.folder.string(key)

    def path_key(self, node: Any) -> str | None:
        """`this.sock` -> "<this binding>.sock": names an object slot for type tracking."""
        if node.type == "Identifier":
            return self.resolve(node.name)
        if node.type == "ThisExpression":
            return self._this()
        if node.type == "MemberExpression" and not node.computed:
            inner = self.path_key(node.object)
            name = getattr(node.property, "name", None)
            if inner is not None and name:
                return f"{inner}.{name}"
        return None

    def _window_global(self, node: Any) -> str | None:
        """`window.x` / `self['x']` (x a global) -> the binding of global `x`."""
        obj = node.object
        if obj.type == "Identifier" and obj.name in _GLOBAL_OBJECTS and \
                self.resolve(obj.name).startswith("g:"):
            prop = self.prop_name(node)
            if prop:
                return f"g:{prop}"
        return None

    def _windowish(self, node: Any) -> bool:
        """`window`, `top`, `frame.contentWindow`, `window.open(…)`: something whose `name` is
        the window's name, a channel that outlives the page (kits stage the card in it)."""
        if node.type == "Identifier":
            return bool(node.name in _GLOBAL_OBJECTS or node.name == "opener")
        if node.type == "MemberExpression":  # `frame.contentWindow`, `frames[0]`, `top.opener`
            return self.prop_name(node) in _WINDOW_PROPERTIES or self._windowish(node.object)
        return bool(node.type == "CallExpression")

    def base_binding(self, node: Any) -> str | None:
        while node.type in ("MemberExpression", "ChainExpression", "TSNonNullExpression"):
            if node.type == "MemberExpression":
                via_window = self._window_global(node)
                if via_window is not None:
                    return via_window
            node = node.expression if node.type == "ChainExpression" else node.object
        if node.type == "Identifier":
            binding = self.resolve(node.name)
            if binding.startswith("g:") and node.name in _HOST_GLOBALS:
                return None
            return binding
        if node.type == "ThisExpression":
            return self._this()
        return None

    def _describe(self, node: Any) -> str:
        chain = self.chain(node)
        return ".".join(chain) if chain else "an object"

    def _number(self, node: Any) -> int | None:
        if node.type == "Literal" and isinstance(node.value, int | float):
            return int(node.value)
        return None

    def _const_text(self, node: Any) -> str:
        """Constant fragments of a concatenation, joined: enough to see `<img src=`."""
        parts: list[str] = []
        stack = [node]
        while stack:
            n = stack.pop()
            s = self.folder.string(n)
            if s is not None:
                parts.append(s)
                continue
            if n.type == "BinaryExpression" and n.operator == "+":
                stack.append(n.right)
                stack.append(n.left)
            elif n.type == "TemplateLiteral":
                parts.extend(q.value.cooked or "" for q in n.quasis)
        return "".join(parts)

    def _is_document(self, node: Any) -> bool:
        chain = self.chain(node)
        return bool(chain) and chain == ["document"]

    def _is_location(self, node: Any) -> bool:
        chain = self.chain(node) or []
        return bool(chain) and chain[-1] == "location"

    def _is_location_target(self, left: Any, prop: str | None) -> bool:
        if prop == "location":
            obj = self.chain(left.object) or []
            return obj in ([], ["document"], ["window"]) or obj[-1:] in (
                ["top"], ["parent"], ["opener"], ["contentWindow"]) or bool(
                self._objects.get(self.path_key(left.object) or "", ("",))[0] == "window")
        return prop in ("href",) and self._is_location(left.object)

    def _is_xhr(self, receiver: Any, method: Any) -> bool:
        """`x.open(method, url)`: a known XHR, or an unknown object opened with an HTTP verb
        (not `window.open(url, name)`)."""
        owner = self.path_key(receiver)
        if owner is None:
            return False
        if owner in self._objects:
            return self._objects[owner][0] == "xhr"
        if (self.chain(receiver) or ["?"])[0] in _GLOBAL_OBJECTS | {"g:window"}:
            return False
        verb = (self.folder.string(method) or "").upper()
        return verb in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")

    def _is_test_call(self, node: Any) -> bool:
        """`/x/.test(..)`, `s.indexOf(..) > -1`, `!s.includes(..)`: a condition worth keeping."""
        while node.type in ("BinaryExpression", "UnaryExpression", "LogicalExpression"):
            node = node.left if node.type != "UnaryExpression" else node.argument
        if node.type != "CallExpression" or node.callee.type != "MemberExpression":
            return False
        return self.prop_name(node.callee) in ("test", "indexOf", "includes", "match", "search",
                                               "startsWith", "endsWith", "exec")

    def _undeclared(self, name: str) -> bool:
        """A global the script does not define itself (the page's `gtag`, not a minified `ga`)."""
        return self.resolve(name).startswith("g:") and name not in self._declared.get(
            id(self.tree), ())

    def _card_prop(self, prop: str) -> bool:
        """`_is_card` for property names, memoised per script (asked for every `a.b`)."""
        known = self._card_props.get(prop)
        if known is None:
            known = self._card_props[prop] = self._is_card(prop)
        return known

    def _is_card(self, text: str) -> bool:
        """A card-field selector or name — including fields this script injects itself
        (`<input id="f_num" autocomplete="cc-number">` makes `#f_num` a card field)."""
        if patterns.is_card_selector(text):
            return True
        return self._injected_re is not None and bool(self._injected_re.search(text))

    def _interesting(self, text: str) -> bool:
        return _interesting(text) or (
            self._injected_re is not None and bool(self._injected_re.search(text)))

    def _is_masking(self, call: Any) -> bool:
        r"""`value.replace(/./g, '*')`, `.replace(/\d/g, 'x')`: every character replaced by a
        mask character, so the result carries no card data (session replay masking)."""
        callee = call.callee
        if callee.type != "MemberExpression" or self.prop_name(callee) not in (
            "replace", "replaceAll"
        ) or len(call.arguments) < 2:
            return False
        pattern, replacement = call.arguments[0], call.arguments[1]
        regex = getattr(pattern, "regex", None)
        if regex is None or replacement.type != "Literal" or type(replacement.value) is not str:
            return False
        source = getattr(regex, "pattern", "") or ""
        # (`/\D/g` is not here: stripping every non-digit leaves the card number)
        broad = source in (".", "\\S", "\\d", "\\w", "[^\\s]", "[\\s\\S]", "[0-9]")
        return broad and "g" in (getattr(regex, "flags", "") or "") and bool(
            _MASK_CHARS.match(replacement.value))

    def _reads_any(self, node: Any, bindings: Iterable[str]) -> bool:
        """Whether the expression reads one of these bindings (`res.id`, `json.token`: a
        field's id or a token's are no data to the taint analysis, yet are read here)."""
        wanted = set(bindings)
        stack = [node]
        while stack and wanted:
            n = stack.pop()
            if n.type == "Identifier" and self.resolve(n.name) in wanted:
                return True
            if n.type not in _FUNCTIONS:
                stack.extend(children(n))
        return False

    def _prototype_element(self, binding: str, value: Any) -> None:
        """Prototype's `new Element('form', {action: url, method: 'post'})`: a form whose
        action is set by its attributes; what is inserted into it (`form.insert(input)`) is
        what it submits there."""
        tag = (self.folder.string(value.arguments[0]) or "").lower()
        attrs = value.arguments[1]
        kind = _ELEMENT_KINDS.get(tag)
        if kind is None:
            return
        self._objects[binding] = (kind, None, None)
        if kind != "form" or attrs.type != "ObjectExpression":
            return
        for prop in attrs.properties:
            if prop.type == "Property" and self._key(prop) == "action":
                self._add_sink("form-action", value, prop.value, Deps({binding}))

    def _form_elements_call(self, call: Any, chain: list[str] | None) -> bool:
        """Prototype's list of a form's fields: `Form.getElements(form)`, `form.getElements()`
        (MooTools' `getElements(selector)` takes a selector: not this)."""
        if not chain or chain[-1] != "getElements":
            return False
        return (chain[:-1] == ["Form"] and bool(call.arguments)) or (
            len(chain) >= 2 and chain[0] != "Form" and not call.arguments)

    def _describes(self, call: Any) -> bool:
        """`el.getAttribute('name')`, `el.hasAttribute('required')`: an attribute that says
        what a field is (the `_NO_DATA_PROPERTIES` of markup), not what was typed in it."""
        callee = call.callee
        if callee.type != "MemberExpression" or not call.arguments:
            return False
        method = self.prop_name(callee)
        if method == "hasAttribute":
            return True
        first = call.arguments[0]
        return method == "getAttribute" and first.type == "Literal" and \
            str(first.value).lower() in _DESCRIPTIVE_ATTRIBUTES

    def _is_current_script(self, node: Any) -> bool:
        chain = self.chain(node) or []
        if "currentScript" in chain:
            return True
        key = self.path_key(node)
        return key is not None and self._objects.get(key, ("",))[0] == "current-script"

    def _is_jquery(self, node: Any) -> bool:
        if node.type == "CallExpression":
            callee = self.chain(node.callee) or []
            return bool(callee) and callee[0] in _JQ
        chain = self.chain(node) or []
        return "()" in chain and chain[0] in _JQ

    def _unwrap_jquery(self, node: Any) -> Any:
        """`$(document)` -> `document`; `$('#pay')` stays (its selector names the target)."""
        if node.type == "CallExpression" and self._is_jquery(node) and len(node.arguments) == 1:
            inner = node.arguments[0]
            if inner.type in ("Identifier", "MemberExpression", "ThisExpression"):
                return inner
        return node

    def _element_kind(self, node: Any) -> str | None:
        if node.type == "NewExpression":
            callee = self.chain(node.callee)
            return "image" if callee and callee[-1] == "Image" else None
        if node.type == "CallExpression":
            callee = self.chain(node.callee)
            if callee and callee[-1] == "createElement" and node.arguments:
                tag = (self.folder.string(node.arguments[0]) or "").lower()
                return {"img": "image", "script": "script", "iframe": "iframe"}.get(tag)
            return None
        owner = self.path_key(node)
        if owner is not None and owner in self._objects:
            return self._objects[owner][0]
        return None

    def _selector_kind(self, text: str) -> str | None:
        low = text.lower()
        if self._is_card(text):
            return "card-field"
        if patterns.is_sweep_selector(text):
            return "fields"
        if "form" in low:
            return "form"
        if patterns.PAY_BUTTON.search(low):
            return "button"
        return None

    def _target_kind(self, node: Any) -> str:
        chain = self.chain(node) or []
        if chain in (["document"], ["window"], ["body"], ["document", "body"]):
            return chain[-1]
        if "forms" in chain:
            return "form"
        deps = self.deps(node)
        if "card" in deps.labels:
            return "card-field"
        if "form" in deps.labels:
            return "fields"
        text = ""
        if node.type == "CallExpression" and node.arguments:
            text = self.folder.string(node.arguments[0]) or ""
        else:
            key = self.path_key(node)
            text = self._selectors.get(key or "", "")
        return (self._selector_kind(text) if text else None) or "element"

    # --- after the walk ---------------------------------------------------------------------

    def strings_reaching(self, deps: Deps, limit: int = 300) -> list[list[str]]:
        """Constants (URLs, host names, selectors) that may flow into an expression, grouped by
        distance (nearest first): a bounded breadth-first search backwards over the graph.
        Bounded because in a big bundle everything eventually reaches everything."""
        levels: list[list[str]] = [sorted(deps.strings)]
        seen: set[str] = set(deps.bindings)
        frontier = sorted(deps.bindings)
        while frontier and len(seen) < limit:
            level: list[str] = []
            following: list[str] = []
            for b in frontier:
                level.extend(sorted(self.string_seeds.get(b, ())))
                for edge in self.graph.incoming.get(b, ()):
                    if edge.src not in seen and len(seen) < limit:
                        seen.add(edge.src)
                        following.append(edge.src)
            levels.append(level)
            frontier = following
        return [lv for lv in levels if lv]

    def finish(self) -> None:
        """Add interprocedural edges (now that every function is known) and resolve sinks."""
        for site, frame in self._frame_posts:
            # `frame.contentWindow.postMessage(data, '*')`: the message goes to the page the
            # frame shows, i.e. to the host of its `src`
            src = self._frame_src.get(frame)
            if src is not None:
                site.url_node, site.url_deps, site.folder = src
        for fn, deps, where, note in self._pending_fn_edges:
            scope = self._fn_scope_id.get(id(fn))
            targets = list(self._fn_params.get(id(fn), ()))
            if scope is not None:
                targets.append(self._this_of(fn, scope))
            for t in targets:
                self._edges(t, deps, where, note)
        # each pending list is let go once turned into edges or lazy edges: `finish` runs
        # once, and a bundle's lists hold ~100k entries while `_demand` grows the graph
        self._pending_fn_edges = []
        lazy = self._lazy
        for callbacks, values, where, context in self._pending_callbacks:
            fns = [f for c in callbacks for f in (
                self._fn_by_binding.get(c, ()) if isinstance(c, str) else (c,))]
            for fn in fns:
                scope = self._fn_scope_id.get(id(fn))
                targets = list(self._fn_params.get(id(fn), ()))
                if scope is not None:
                    targets.append(self._this_of(fn, scope))
                for t in targets:
                    lazy.setdefault(t, []).extend(
                        (value, where, "passed to a callback", context, False)
                        for value in values)
        self._pending_callbacks = []
        unit_at = self._unit_at
        for key, args, where, context in self._pending_calls:
            # Argument -> parameter edges, computed on demand like assignments: most calls in
            # a bundle pass nothing that ever reaches a sink.
            callees: list[Any] = self._fn_by_binding.get(key, [])
            if unit_at and key.startswith("prop:"):
                callees = self._nearest(callees, unit_at.get(where, GLOBAL))
            for fn in callees:
                params = self._fn_params.get(id(fn), ())
                for i, arg in enumerate(args[: len(params)]):
                    if arg.type in _FUNCTIONS or (arg.type == "Literal" and not isinstance(
                            arg.value, str)):
                        continue
                    lazy.setdefault(params[i], []).append(
                        (arg, where, self.graph.one(f"argument {i + 1} of a call"), context,
                         True))
        self._pending_calls = []
        for fn, deps, where in self._pending_this:
            scope = self._fn_scope_id.get(id(fn))
            if scope is not None:
                self._edges(self._this_of(fn, scope), deps, where, "`this` of a call")
        self._pending_this = []
        for fn, arg_deps, where in self._pending_direct:
            params = self._fn_params.get(id(fn), ())
            for i, deps in enumerate(arg_deps[: len(params)]):
                self._edges(params[i], deps, where, f"argument {i + 1} of a call")
        self._pending_direct = []
        for binding, fns in self._fn_by_binding.items():
            by_name = unit_at and binding.startswith("prop:")
            for fn in fns:
                ret = self._ret(fn)
                self.graph.add_edge(f"call:{binding}", ret, fn, "return value")
                if by_name:  # a call inside closure u asks `@u` (its own) and `@global`
                    unit = unit_at.get(fn, GLOBAL)
                    suffix = "global" if unit == GLOBAL else str(unit)
                    self.graph.add_edge(f"call:{binding}@{suffix}", ret, fn, "return value")
        self._finishing = True
        for name, unit in list(self._asked_by_name):
            self._by_name_edges(name, unit)
        for fn, getter, where in self._value_hooks:
            # the getter's `this`, the setter's argument: every field the page reads or fills
            scope = self._fn_scope_id.get(id(fn))
            step = FlowStep(where, "every field value the page reads or writes (hooked)")
            targets = [self._this_of(fn, scope)] if getter and scope is not None else \
                list(self._fn_params.get(id(fn), ())[:1])
            for target in targets:
                self.graph.add_seed(target, "form", step)
        for fn, where in self._request_hooks:
            step = FlowStep(where, "every request body the page sends (hooked)")
            for param in self._fn_params.get(id(fn), ())[:1]:
                self.graph.add_seed(param, "request", step)
        self._demand(iter(self._roots()))
        # what only the walk and the demand read: gone before the sinks are resolved (in a
        # bundle, most deferred edges are never demanded, and every expression has a cached
        # Deps); a later question rebuilds the cache
        self._lazy = {}
        self._deps_cache = {}
        self._binding_deps = {}
        for key, call, selector_deps, via in self._pending_selectors:
            for text in (t for level in self.strings_reaching(selector_deps) for t in level):
                if via == "getElementsByTagName":
                    continue
                if self._is_card(text):
                    step = FlowStep(self.loc(call), f"card field {text[:60]!r}")
                    self.graph.add_seed(key, "card", step)
                    self.facts.append(Fact("card-read", self.loc(call), {"field": text[:120],
                                                                     "via": via}))
                    break
                if patterns.is_sweep_selector(text):
                    step = FlowStep(self.loc(call), f"every field {text!r}")
                    self.graph.add_seed(key, "form", step)
                    self.facts.append(Fact("input-sweep", self.loc(call), {"selector": text[:120],
                                                                       "via": via}))
                    break
        for index, fact, deps in self._pending_targets:
            labels = self.graph.labels_of(deps.bindings)
            kind = "card-field" if "card" in labels else "fields" if "form" in labels else None
            if kind is not None:
                self.facts[index] = Fact(fact.kind, fact.location,
                                         {**fact.attrs, "target": kind}, fact.flow)
        for site in self.sinks:
            if site.owner is not None and site.owner not in self._objects and \
                    self._owner_kind(site.owner) == "ws":
                site.sink = "websocket"
            if site.owner is not None:
                kind, url, url_deps = self._objects.get(site.owner, ("", None, None))
                if site.sink == "xhr" and site.owner in self._xhr_open:
                    site.method, site.url_node, site.url_deps = self._xhr_open[site.owner]
                    site.data.merge(site.url_deps)
                elif kind == "ws":
                    site.url_node, site.url_deps = url, url_deps
                elif kind == "datachannel":  # to the peer connection's ICE servers
                    site.url_deps = url_deps


#: Node type -> handler, for `ScriptVisitor.visit` (built once: the class never changes).
_HANDLERS: dict[str, Callable[[Any, Any], None]] = _handler_table(ScriptVisitor)
