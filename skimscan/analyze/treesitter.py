"""STAGE 3 (analyze) — a fast JavaScript front end: tree-sitter's parse, esprima's tree.

Why: esprima2 (pure Python) parses at ~0.2 MB/s; tree-sitter (C) parses at several MB/s. The
rest of skimscan walks esprima's ESTree objects (`visitor.children` caches child fields per
class, the deobfuscator rewrites them in place, the printer reads `loc`), so `parse_program`
converts tree-sitter's concrete syntax tree into exactly what
`esprima.parseScript(code, {"tolerant": True, "loc": True, "range": True})` (or `parseModule`)
returns, node for node, and nothing downstream has to change.

Invariants:
- every node is an instance of the class `estree` makes for esprima's class of it (same name:
  `StaticMemberExpression`/`ComputedMemberExpression`, `Script`/`Module`, `Directive`,
  `AsyncArrowFunctionExpression`, `RegexLiteral`, ...) with the fields esprima's constructor
  sets, in its order, and `range` and `loc` (esprima's `SourceLocation`/`Position`); values are
  computed as esprima computes them (numbers through `float`, regex values by esprima's own
  `testRegExp`, template `cooked` with line breaks made LF). The Program also has `errors`,
  always empty: the errors recovered from are returned beside it;
- offsets are characters of the Python `str` (an astral character counts once, as in
  esprima-python): tree-sitter parses an ASCII image of the source with one byte per character
  (`_ascii_image`), so its byte offsets are character offsets and every LF in the image is one
  of esprima's line breaks (CR, LF, CRLF, U+2028, U+2029). Lines count from 1, columns from 0;
- esprima's position rules are reproduced: a statement closed by automatic semicolon insertion
  ends at the next token (`}` or the end of input, past comments) when that is on the same
  line, and so do the statements that end with it; comments tree-sitter folds into a node are
  not part of it; `let`/`const` in a `for` head include the `;`; a node whose first token is a
  template or string spanning lines gets esprima's odd start (see `mlt`); binary chains are
  associated by replaying esprima's shift-reduce with its table (`in`/`instanceof` rank with
  equality there); `export default function () {};` leaves an EmptyStatement; `await(x)` outside
  async code calls a function named `await`, and `yield` alone outside generators is a name;
- `Position` objects are shared by the nodes that start or end at the same offset (they are
  values; nothing may mutate them); every other object is made for its node;
- syntax errors never stop the conversion: tree-sitter recovers, every statement (the innermost
  one in a statement list) that holds an ERROR or MISSING node, or syntax esprima does not read
  at all (JSX, decorators), is dropped, and one message per error names its line; whole
  statements tree-sitter left inside an ERROR (the body of a truncated `(function () {...`)
  are kept, where they stand. Only when no statement is left does `parse_program` raise
  `SyntaxError`;
- the walk recurses a few Python frames per nesting level (esprima: about ten) and is
  iterative along member/call chains and binary chains, so long minified chains cost no depth.
  Callers run it inside `parse.run_deep`, like every walk of an esprima tree.

Speed (the point of the module: ~4.5-5x less CPU than esprima on the npm corpus, about a
quarter of it tree-sitter's own parse): the converters are closures made once per thread
(`_converter`) over per-source state that `run` rebinds, dispatched on `kind_id` through a list;
one `children` call per node, `child(i)` where the shape is known (`named_children` costs twice
as much); nodes made with `object.__new__` and attribute stores (esprima's `__init__` frames
cost more); the hottest converters (identifiers, member chains) inline all of it.

Memory: a node keeps its fields in slots (see `estree`), its range packed in one integer
(`_span`, start << 32 | end) and, in `_lines`, a reference to its source's `Lines`: `range`
and `loc` are made when read (a location is read for the handful of nodes findings and
printed lines point at). A pass changes a node's range by assigning one, never in place;
whoever changes a converted node's `range` must first give it its own `loc`
(`node.loc = node.loc`) if the old location is to stay.

Nor do the two trees live side by side. tree-sitter's tree weighs about as much as the
ESTree made from it; in a source longer than `DEFER_SOURCE`, a function body longer than
`DEFER_BODY` is left empty where it stands and converted afterwards, from a parse of that
body alone (`included_ranges`, so offsets stay the source's), once the whole tree is gone
(`drain`; checked child by child, with the whole source as the fallback). And the wrappers
py-tree-sitter makes for nodes are let go as soon as a statement is converted: each caches
its `children`, so every wrapper ever read would otherwise live as long as the root.
5 MB bundle: parse peak 753 -> 430 MB, the tree itself 400 -> 250 MB with esprima's classes
(identifier names are one str per distinct name, too), ~95 MB with `estree`'s.

The few inputs on which the output still differs from esprima's are listed, with the reason,
in tests/test_treesitter.py.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_right
from collections.abc import Callable, Iterable
from typing import Any

import tree_sitter
import tree_sitter_javascript
from esprima.error_handler import ErrorHandler
from esprima.objects import Object as EsprimaObject
from esprima.scanner import Position, RegExp, Scanner, SourceLocation
from tree_sitter import Node

from skimscan.analyze import estree as E
from skimscan.analyze.estree import Lines

__all__ = ["parse_program"]

_LANG = tree_sitter.Language(tree_sitter_javascript.language())
#: kind ids run below this, but for ERROR (65535): a statement holding one is never converted
_KIND_COUNT = _LANG.node_kind_count


def _kind_index() -> dict[tuple[str, bool], frozenset[int]]:
    index: dict[tuple[str, bool], set[int]] = {}
    for i in range(_LANG.node_kind_count):
        name = _LANG.node_kind_for_id(i)
        if name:
            index.setdefault((name, _LANG.node_kind_is_named(i)), set()).add(i)
    return {key: frozenset(ids) for key, ids in index.items()}


_KINDS = _kind_index()


def _ids(*names: str, named: bool = True) -> frozenset[int]:
    """Every kind id (aliases included) that tree-sitter-javascript spells `names`."""
    found: frozenset[int] = frozenset()
    for name in names:
        ids = _KINDS.get((name, named))
        if not ids:
            raise RuntimeError(f"tree-sitter-javascript has no node kind {name!r}")
        found |= ids
    return found


def _id(name: str, named: bool = False) -> int:
    ids = _ids(name, named=named)
    if len(ids) != 1:
        raise RuntimeError(f"ambiguous tree-sitter kind {name!r}: {sorted(ids)}")
    return next(iter(ids))


# Anonymous tokens looked at by kind.
_SEMI = _id(";")
_COMMA = _id(",")
_STAR = _id("*")
_ASYNC = _id("async")
_STATIC = _id("static")
_STATIC_GET = _id("static get")
_GET = _id("get")
_SET = _id("set")
_AWAIT_KW = _id("await")
_RPAREN = _id(")")
_EQ = _id("=")
_VAR = _id("var")
_LET = _id("let")
_CONST = _id("const")
_IN = _id("in")
_DEFAULT = _id("default")
_AS = _id("as")
_INC = _id("++")
_DEC = _id("--")
_TARGET = _id("target")

# Named kinds.
_COMMENTS = _ids("comment", "html_comment")
_ERROR = 65535
_OPT = _id("optional_chain", named=True)
_IDENTS = _ids("identifier")
_STRINGS = _ids("string")
_MEMBER = _ids("member_expression")
_SUBSCRIPT = _ids("subscript_expression")
_CALL = _ids("call_expression")
_SPINE = _MEMBER | _SUBSCRIPT | _CALL
_BINARY = _ids("binary_expression")
_ARGUMENTS = _ids("arguments")
_FORMALS = _ids("formal_parameters")
_BLOCK = _ids("statement_block")
_SUBST = _ids("template_substitution")
_DECLARATOR = _ids("variable_declarator")
_VAR_DECL = _ids("variable_declaration")
_LEX_DECL = _ids("lexical_declaration")
_EMPTY = _ids("empty_statement")
_EXPR_STMT = _id("expression_statement", named=True)
_PARENS = _ids("parenthesized_expression")
_COMPUTED = _ids("computed_property_name")
_PROPERTY_NAME = _ids("property_identifier")
_SHORTHAND_PATTERN = _ids("shorthand_property_identifier_pattern")
_HERITAGE = _ids("class_heritage")
_CLASS_BODY = _ids("class_body")
_CATCH = _ids("catch_clause")
_FINALLY = _ids("finally_clause")
_SWITCH_CASE = _ids("switch_case")
_IMPORT_CLAUSE = _ids("import_clause")
_NAMESPACE_IMPORT = _ids("namespace_import")
_NAMED_IMPORTS = _ids("named_imports")
_IMPORT_ATTRIBUTE = _ids("import_attribute")
_NAMESPACE_EXPORT = _ids("namespace_export")
_EXPORT_CLAUSE = _ids("export_clause")
_FUNCTION_VALUES = _ids("function_expression", "generator_function")
_CLASS_VALUES = _ids("class")
_HASH_BANG = _ids("hash_bang_line")
_NOT_STATEMENTS = _COMMENTS | _HASH_BANG
_DECORATOR = _ids("decorator")

#: Nodes whose children are a statement list (for dropping broken statements).
_CONTAINERS = _ids("program", "statement_block", "switch_case", "switch_default")
_STATEMENTS = _ids(
    "expression_statement", "variable_declaration", "lexical_declaration", "using_declaration",
    "statement_block", "if_statement", "switch_statement", "for_statement", "for_in_statement",
    "while_statement", "do_statement", "try_statement", "with_statement", "break_statement",
    "continue_statement", "debugger_statement", "return_statement", "throw_statement",
    "empty_statement", "labeled_statement", "function_declaration",
    "generator_function_declaration", "class_declaration", "import_statement",
    "export_statement",
)

#: esprima's binary precedences (parser.py `operatorPrecedence`; `in`/`instanceof` are 7 there).
_PRECEDENCE = {
    "??": 1, "||": 2, "&&": 3, "|": 4, "^": 5, "&": 6, "==": 7, "!=": 7, "===": 7, "!==": 7,
    "<": 8, ">": 8, "<=": 8, ">=": 8, "instanceof": 7, "in": 7, "<<": 9, ">>": 9, ">>>": 9,
    "+": 10, "-": 10, "*": 12, "/": 12, "%": 12, "**": 13,
}
_LOGICAL = frozenset({"||", "&&", "??"})
#: kind id of an operator token -> its text (every anonymous kind; operators are their text).
_TOKEN_TEXT: dict[int, str] = {
    i: str(_LANG.node_kind_for_id(i))
    for i in range(_LANG.node_kind_count)
    if not _LANG.node_kind_is_named(i) and _LANG.node_kind_for_id(i)
}
_POW = "**"

#: tree-sitter kind -> the name of its converter in `_make_converter` (expressions,
#: patterns and statements); kinds not listed are syntax esprima does not read (JSX, ...).
_DISPATCH = tuple((_ids(*names), name) for names, name in (
    (("identifier", "property_identifier", "statement_identifier"), "c_identifier"),
    (("shorthand_property_identifier", "shorthand_property_identifier_pattern"), "c_shorthand"),
    (("private_property_identifier",), "c_private"),
    (("this",), "c_this"),
    (("super",), "c_super"),
    (("true",), "c_true"),
    (("false",), "c_false"),
    (("null",), "c_null"),
    (("undefined",), "c_undefined"),
    (("number",), "c_number"),
    (("string",), "c_string"),
    (("regex",), "c_regex"),
    (("template_string",), "c_template"),
    (("member_expression", "subscript_expression", "call_expression"), "c_spine"),
    (("import",), "c_import"),
    (("new_expression",), "c_new"),
    (("meta_property",), "c_meta_property"),
    (("parenthesized_expression",), "c_parenthesized"),
    (("binary_expression",), "c_binary"),
    (("unary_expression",), "c_unary"),
    (("update_expression",), "c_update"),
    (("await_expression",), "c_await"),
    (("yield_expression",), "c_yield"),
    (("ternary_expression",), "c_ternary"),
    (("assignment_expression", "augmented_assignment_expression"), "c_assignment"),
    (("sequence_expression",), "c_sequence"),
    (("spread_element",), "c_spread"),
    (("array",), "c_array"),
    (("array_pattern",), "c_array_pattern"),
    (("object",), "c_object"),
    (("object_pattern",), "c_object_pattern"),
    (("pair", "pair_pattern"), "c_pair"),
    (("object_assignment_pattern",), "c_object_assignment_pattern"),
    (("assignment_pattern",), "c_assignment_pattern"),
    (("rest_pattern",), "c_rest"),
    (("method_definition",), "c_method_in_object"),
    (("function_expression", "generator_function"), "c_function_expression"),
    (("function_declaration", "generator_function_declaration"), "c_function_declaration"),
    (("arrow_function",), "c_arrow"),
    (("class",), "c_class"),
    (("class_declaration",), "c_class_declaration"),
    (("expression_statement",), "c_expression_statement"),
    (("empty_statement",), "c_empty"),
    (("debugger_statement",), "c_debugger"),
    (("variable_declaration",), "c_variable_declaration"),
    (("lexical_declaration",), "c_lexical_declaration"),
    (("using_declaration",), "c_using_declaration"),
    (("statement_block",), "block"),
    (("if_statement",), "c_if"),
    (("switch_statement",), "c_switch"),
    (("for_statement",), "c_for"),
    (("for_in_statement",), "c_for_in"),
    (("while_statement",), "c_while"),
    (("do_statement",), "c_do"),
    (("try_statement",), "c_try"),
    (("with_statement",), "c_with"),
    (("break_statement",), "c_break"),
    (("continue_statement",), "c_continue"),
    (("return_statement",), "c_return"),
    (("throw_statement",), "c_throw"),
    (("labeled_statement",), "c_labeled"),
    (("import_statement",), "c_import_statement"),
    (("export_statement",), "c_export_statement"),
    (("comment", "html_comment"), "skip"),
))
#: the same for the members of a class body
_MEMBERS = tuple((_ids(*names), name) for names, name in (
    (("method_definition",), "c_method_in_class"),
    (("field_definition",), "c_field"),
    (("class_static_block",), "c_static_block"),
))

# The ASCII image of the source that tree-sitter parses (see `_ascii_image`).
_IMAGE_SPACES = re.compile("[\xa0\u1680\u180e\u2000-\u200a\u202f\u205f\u3000\ufeff]")
_IMAGE_BREAKS = re.compile("[\u2028\u2029]|\r(?!\n)")
_IMAGE_OTHERS = re.compile("[^\x00-\x7f]")
_LONE_CR = re.compile("\r(?!\n)")
# Text between tokens, in the image (where every line break ends with LF).
_LT_BYTES = re.compile(rb"\n")
#: spaces and block comments up to the next token or line break
_SAME_LINE_GAP = re.compile(rb"(?:[ \t\x0b\x0c]|/\*(?:[^*\n]|\*(?!/))*\*/)*")
#: every space, line break and comment before the first token
_GAP = re.compile(rb"(?:[ \t\x0b\x0c\r\n]|/\*.*?\*/|//[^\n]*|<!--[^\n]*|-->[^\n]*)*", re.DOTALL)

# Escapes, as esprima's scanner reads them.
_STRING_ESCAPE = re.compile(
    r"\\(?:u\{([0-9a-fA-F]+)\}|u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2})|([0-3][0-7]{0,2}|[4-7][0-7]?)"
    r"|(\r\n|[\s\S]))"
)
_TEMPLATE_ESCAPE = re.compile(
    r"\\(?:u\{([0-9a-fA-F]+)\}|u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2})|(\r\n|[\s\S]))|(\r\n|[\r\u2028\u2029])"
)
_IDENT_ESCAPE = re.compile(r"\\u(?:\{([0-9a-fA-F]+)\}|([0-9a-fA-F]{4}))")
_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "v": "\x0b"}
_CONTINUATIONS = frozenset({"\n", "\r", "\r\n", "\u2028", "\u2029"})
_LINE_CHARS = re.compile("[\r\n\u2028\u2029]")


#: what the converter of a comment returns (comments are not nodes)
_SKIP: Any = object()


class _Broken(Exception):
    """A statement that cannot be converted (tree-sitter error, or syntax esprima rejects)."""


def _string_value(body: str) -> str:
    """The value of a string literal's body (between the quotes), as esprima scans it."""

    def one(m: re.Match[str]) -> str:
        braced, hex4, hex2, octal, other = m.groups()
        if braced is not None:
            return chr(int(braced, 16))
        if hex4 is not None:
            return chr(int(hex4, 16))
        if hex2 is not None:
            return chr(int(hex2, 16))
        if octal is not None:
            return chr(int(octal, 8))
        if other in _CONTINUATIONS:
            return ""
        return _SIMPLE_ESCAPES.get(other, other)

    return _STRING_ESCAPE.sub(one, body)


def _template_cooked(raw: str) -> str:
    """A template chunk's cooked value, as esprima's `scanTemplate` builds it (line breaks,
    U+2028/U+2029 included, become LF; bad `\\u` escapes keep the `u`)."""
    if "\\" not in raw and "\r" not in raw and "\u2028" not in raw and "\u2029" not in raw:
        return raw

    def one(m: re.Match[str]) -> str:
        braced, hex4, hex2, other, newline = m.groups()
        if newline is not None:
            return "\n"
        if braced is not None:
            return chr(int(braced, 16))
        if hex4 is not None:
            return chr(int(hex4, 16))
        if hex2 is not None:
            return chr(int(hex2, 16))
        if other in _CONTINUATIONS:
            return ""
        if other == "0":
            return "\0"
        return _SIMPLE_ESCAPES.get(other, other)

    return _TEMPLATE_ESCAPE.sub(one, raw)


def _ident_name(text: str) -> str:
    return _IDENT_ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)


def _number_value(raw: str) -> int | float:
    """A numeric literal's value exactly as esprima's `scanNumericLiteral` computes it: decimal
    literals go through `float` (and back to `int` when whole), prefixed ones through `int`."""
    num = raw.replace("_", "")
    if num[-1] == "n":  # BigInt: esprima stores the integer
        num = num[:-1]
        if len(num) > 1 and num[0] == "0" and num[1] in "xXbBoO":
            return int(num[2:], {"x": 16, "b": 2, "o": 8}[num[1].lower()])
        return int(num)
    if len(num) > 1 and num[0] == "0":
        second = num[1]
        if second in "xX":
            return int(num[2:], 16)
        if second in "bB":
            return int(num[2:], 2)
        if second in "oO":
            return int(num[2:], 8)
        if num.isdigit() and "8" not in num and "9" not in num:  # legacy octal
            return int(num, 8)
    value = float(num)
    return int(value) if value.is_integer() else value


_local = threading.local()

#: (pattern, flags) -> the value esprima gives a regex literal (its `testRegExp`: a compiled
#: Python pattern, or None when Python cannot compile the translation). Bounded memo.
_REGEX_VALUES: dict[tuple[str, str], Any] = {}
_REGEX_MEMO_SIZE = 4096


def _regex_value(pattern: str, flags: str) -> Any:
    key = (pattern, flags)
    try:
        return _REGEX_VALUES[key]
    except KeyError:
        pass
    handler = ErrorHandler()
    handler.tolerant = True
    value = Scanner("", handler).testRegExp(pattern, flags)
    if len(_REGEX_VALUES) >= _REGEX_MEMO_SIZE:
        _REGEX_VALUES.clear()
    _REGEX_VALUES[key] = value
    return value


def _parser() -> tree_sitter.Parser:
    parser: tree_sitter.Parser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = tree_sitter.Parser(_LANG)
    return parser


#: a source longer than this (characters) has its big function bodies converted one at a
#: time (see `drain`); so has a deferred body longer than this
DEFER_SOURCE = 1 << 20
#: ... and a function body longer than this is one of them
DEFER_BODY = 1 << 16
_EVERYTHING = tree_sitter.Range((0, 0), (0xFFFFFFFF, 0xFFFFFFFF), 0, 0xFFFFFFFF)
_LBRACE = _id("{")
_RBRACE = _id("}")


def _shape(nodes: list[Node]) -> tuple[tuple[int, int, int], ...]:
    """Kind and offsets of each node: what a body parsed alone must reproduce."""
    return tuple((n.kind_id, n.start_byte, n.end_byte) for n in nodes)


def _same_shape(a: tuple[tuple[int, int, int], ...], b: tuple[tuple[int, int, int], ...]) -> bool:
    """Whether a body's own parse has the shape it had in the whole source (a seam a
    test can move)."""
    return a == b


def _block_at(root: Node, sb: int, eb: int) -> Node:
    """The statement block whose statements run from `sb` to `eb`, in a whole parse."""
    n = root.descendant_for_byte_range(sb - 1, eb + 1)
    while n is not None and not (n.kind_id in _BLOCK and n.start_byte == sb - 1):
        n = n.parent
    if n is None:
        raise RuntimeError(f"no statement block at {sb}-{eb}")
    return n


def parse_program(code: str, module: bool) -> tuple[Any, tuple[str, ...]]:
    """Parse `code` (a script, or a module when `module`) into esprima's ESTree.

    Returns the Program and the messages of the syntax errors recovered from (each names its
    line; the statements that held them are left out). Raises `SyntaxError` when errors leave
    no statement at all. Deep nesting needs `parse.run_deep`.
    """
    return _converter()(code, _ascii_image(code), module, _parser())


def _ascii_image(code: str) -> bytes:
    """The source with one byte per character, so that tree-sitter's byte offsets are the
    character offsets esprima reports, and its rows are esprima's lines.

    Every non-ASCII character becomes a stand-in that plays the same part for the grammar:
    JavaScript's other white space becomes a space, U+2028/U+2029 (and a CR not followed by
    LF) become LF, and anything else becomes `a` (all other non-ASCII characters are letters
    of identifiers or sit inside strings, templates, regexes and comments). Names and values
    are always read from the original text.
    """
    if code.isascii():
        if "\r" in code:
            code = _LONE_CR.sub("\n", code)
        return code.encode("ascii")
    text = _IMAGE_SPACES.sub(" ", code)
    text = _IMAGE_BREAKS.sub("\n", text)
    return _IMAGE_OTHERS.sub("a", text).encode("ascii")


_Run = Callable[[str, bytes, bool, tree_sitter.Parser], tuple[Any, tuple[str, ...]]]


def _converter() -> _Run:
    """This thread's converter (made once: making its closures and tables costs more than
    converting a small script)."""
    run: _Run | None = getattr(_local, "converter", None)
    if run is None:
        run = _local.converter = _make_converter()
    return run


def _make_converter() -> _Run:
    """The converters, as closures over one source's state (cell reads are the fastest state
    access CPython has); `run` rebinds that state for each source and releases it after."""
    new = object.__new__
    Identifier = E.Identifier
    StaticMember = E.StaticMemberExpression
    ComputedMember = E.ComputedMemberExpression
    Call = E.CallExpression
    Literal = E.Literal

    # ---- the state of one source (bound by `run`) ----------------------------------------
    code = ""  # the source
    data = b""  # its ASCII image (offsets in it are character offsets)
    module = False
    root: Any = None
    line_starts = [0]  # offset where each line starts
    #: the source's line table, which every node holds as `_lines`: its `loc` is computed
    #: from it and `range` when read (see `Lines`)
    LN = Lines(line_starts)
    #: tree-sitter end offset -> where esprima ends the node. tree-sitter lets a statement
    #: (or a block, through its optional automatic semicolon) swallow the comments after
    #: it, and esprima ends a statement closed by automatic semicolon insertion at the next
    #: token (`}` or the end of input) when that is on the same line. Filled bottom-up, so
    #: the ancestors that end with a node (same tree-sitter end) end where it does.
    fix: dict[int, int] = {}
    fget = fix.get
    #: start of a token that spans lines -> (its last line, the offset where that starts).
    #: esprima's `startNode(token)` computes such a token's column from the line it ends
    #: on, goes negative and steps one line back; nodes started that way inherit it.
    mlt: dict[int, tuple[int, int]] = {}
    size = 0
    any_error = False
    messages: list[tuple[int, str]] = []  # (offset, message) of each error
    broken: set[int] = set()  # ids of the statements that hold an error
    ctx = [False, False]  # [await is a keyword, yield is a keyword]
    #: [size above which a function body is deferred (0: none is)]: see `drain`
    defer = [0]
    #: deferred bodies: (its BlockStatement, first and last offset of its statements, ctx
    #: there, the shape of its children)
    pending: list[tuple[Any, int, int, bool, bool, tuple[tuple[int, int, int], ...]]] = []
    #: one str per distinct identifier name (a bundle names the same few thousand things
    #: hundreds of thousands of times; a slice of the source is a new 50-80 byte str each)
    names: dict[str, str] = {}
    one_name = names.setdefault

    def fin(o: Any, sb: int, eb: int) -> Any:
        if fix:
            eb = fget(eb, eb)
        o._span = sb << 32 | eb
        o._lines = LN
        return o

    def txt(sb: int, eb: int) -> str:
        return code[sb:eb]

    def line_at(b: int) -> tuple[int, int]:
        """(line, offset where it starts) of offset `b`."""
        line = bisect_right(line_starts, b)
        return line, line_starts[line - 1]

    def quirk_start(o: Any, sb: int, last_line_start: int = 0) -> None:
        line, start = mlt[sb]
        p = new(Position)
        p.line = line - 1
        p.column = sb - start + last_line_start
        p.offset = None
        loc = o.loc  # made from the line table, then kept on the node with esprima's start
        loc.start = p
        o.loc = loc

    def asi_end(eb: int) -> int:
        """Where esprima ends a statement closed by ASI whose last token ends at `eb`."""
        t = _SAME_LINE_GAP.match(data, eb).end()  # type: ignore[union-attr]
        if t < size:
            ch = data[t]
            if (ch == 0x2F and data.startswith(b"//", t)) or (
                not module and ch == 0x3C and data.startswith(b"<!--", t)
            ):
                if _LT_BYTES.search(data, t):
                    return eb
                t = size
            elif ch in (0x0A, 0x0D) or data.startswith(b"/*", t):
                return eb  # a line break (or a comment holding one) comes first
        return t

    def trailing(n: Node, ch: list[Node]) -> None:
        """Record the real end of a node whose last children are comments."""
        if not ch or ch[-1].kind_id not in _COMMENTS:
            return
        i = len(ch) - 1
        while i >= 0 and ch[i].kind_id in _COMMENTS:
            i -= 1
        if i >= 0:
            real = ch[i].end_byte
            fix[n.end_byte] = fget(real, real)

    # ---- error bookkeeping ---------------------------------------------------------------
    def report(b: int, what: str) -> None:
        messages.append((b, f"syntax error at line {line_at(b)[0]}: {what}"))

    def mark_errors() -> None:
        stack = [root]
        while stack:
            n = stack.pop()
            for c in n.children:
                if c.is_missing:
                    report(c.start_byte, f"missing {c.type!r}")
                    mark(c)
                elif c.kind_id == _ERROR or c.is_error:
                    snippet = txt(c.start_byte, c.end_byte).strip().split("\n")[0][:40]
                    report(c.start_byte, f"unexpected {snippet!r}")
                    mark(c)
                elif c.has_error:
                    stack.append(c)

    def mark(c: Node) -> None:
        p = c.parent
        if p is None or p.kind_id in _CONTAINERS:
            # an ERROR among the statements is skipped where the list is read; a MISSING
            # token there is the list's own brace (an unclosed block keeps its statements)
            return
        s = c
        while p is not None:
            if p.kind_id in _CONTAINERS and s.kind_id in _STATEMENTS:
                broken.add(s.id)
                return
            s, p = p, p.parent

    def broken_at(n: Node, what: str) -> _Broken:
        return _Broken(f"syntax error at line {line_at(n.start_byte)[0]}: {what}")

    def clean(children: Iterable[Node]) -> list[Node]:
        out = []
        for c in children:
            k = c.kind_id
            if k in _COMMENTS:
                continue
            if k == _ERROR or c.is_missing:
                raise broken_at(c, "unexpected " + c.type)
            out.append(c)
        return out

    def inner(n: Node) -> Node:
        """The one meaningful named child of a wrapper node."""
        nc = n.named_children
        if len(nc) != 1:
            nc = clean(nc)
            if len(nc) != 1:
                raise broken_at(n, "unexpected " + n.type)
        return nc[0]

    # ---- context (await/yield as identifiers) ----------------------------------------
    T: list[Callable[[Node], Any]] = []

    def X(n: Node) -> Any:
        return T[n.kind_id](n)

    def skip(n: Node) -> Any:
        return _SKIP

    def unsupported(n: Node) -> Any:
        raise broken_at(n, f"{n.type} is not JavaScript esprima reads")

    # ---- identifiers and literals --------------------------------------------------------
    def c_identifier(n: Node) -> Any:
        sb = n.start_byte
        eb = n.end_byte
        name = code[sb:eb]
        if "\\" in name:
            name = _ident_name(name)
        name = one_name(name, name)
        o = new(Identifier)
        o.type = "Identifier"
        o.name = name
        o._span = sb << 32 | eb
        o._lines = LN
        return o

    def ident(sb: int, eb: int, name: str) -> Any:
        o = new(E.Identifier)
        o.type = "Identifier"
        o.name = name
        return fin(o, sb, eb)

    def c_private(n: Node) -> Any:
        sb = n.start_byte
        eb = n.end_byte
        o = new(E.PrivateIdentifier)
        o.type = "PrivateIdentifier"
        o.name = txt(sb, eb)
        return fin(o, sb, eb)

    def c_this(n: Node) -> Any:
        o = new(E.ThisExpression)
        o.type = "ThisExpression"
        return fin(o, n.start_byte, n.end_byte)

    def c_super(n: Node) -> Any:
        o = new(E.Super)
        o.type = "Super"
        return fin(o, n.start_byte, n.end_byte)

    def literal(sb: int, eb: int, value: Any, raw: str) -> Any:
        o = new(Literal)
        o.type = "Literal"
        o.value = value
        o.raw = raw
        o._span = sb << 32 | eb
        o._lines = LN
        return o

    def c_true(n: Node) -> Any:
        return literal(n.start_byte, n.end_byte, True, "true")

    def c_false(n: Node) -> Any:
        return literal(n.start_byte, n.end_byte, False, "false")

    def c_null(n: Node) -> Any:
        return literal(n.start_byte, n.end_byte, None, "null")

    def c_undefined(n: Node) -> Any:
        return ident(n.start_byte, n.end_byte, "undefined")

    def c_number(n: Node) -> Any:
        sb = n.start_byte
        eb = n.end_byte
        raw = code[sb:eb]
        if raw.isdigit() and len(raw) < 16 and (raw[0] != "0" or len(raw) == 1):
            value: int | float = int(raw)
        else:
            value = _number_value(raw)
        return literal(sb, eb, value, raw)

    def c_string(n: Node) -> Any:
        sb = n.start_byte
        eb = n.end_byte
        raw = code[sb:eb]
        body = raw[1:-1]
        if "\\" in body:
            if _LINE_CHARS.search(body):  # a line continuation: the token spans lines
                mlt[sb] = line_at(eb)
            body = _string_value(body)
        return literal(sb, eb, body, raw)

    def c_regex(n: Node) -> Any:
        sb = n.start_byte
        eb = n.end_byte
        raw = txt(sb, eb)
        cut = raw.rindex("/")
        pattern, flags = raw[1:cut], raw[cut + 1 :]
        o = new(E.RegexLiteral)
        o.type = "Literal"
        o.value = _regex_value(pattern, flags)
        o.raw = raw
        r = new(RegExp)
        r.pattern = pattern
        r.flags = flags
        o.regex = r
        return fin(o, sb, eb)

    def template_element(s: int, e: int, tail: bool) -> Any:
        raw = txt(s + 1, e - 1 if tail else e - 2)
        value = new(E.TemplateElement.Value)
        value.raw = raw
        value.cooked = _template_cooked(raw)
        o = new(E.TemplateElement)
        o.type = "TemplateElement"
        o.value = value
        o.tail = tail
        return fin(o, s, e)

    def c_template(n: Node) -> Any:
        sb = n.start_byte
        eb = n.end_byte
        quasis = []
        expressions = []
        qs = sb
        for c in n.named_children:
            if c.kind_id in _SUBST:
                ss = c.start_byte
                quasis.append(template_element(qs, ss + 2, False))
                expressions.append(X(inner(c)))
                qs = c.end_byte - 1
        quasis.append(template_element(qs, eb, True))
        head = quasis[0]
        if _LINE_CHARS.search(head.value.raw):  # the head token spans lines
            mlt[sb] = line_at(eb if head.tail else head_end(n))
        o = new(E.TemplateLiteral)
        o.type = "TemplateLiteral"
        o.quasis = quasis
        o.expressions = expressions
        return fin(o, sb, eb)

    def head_end(n: Node) -> int:
        for c in n.named_children:
            if c.kind_id in _SUBST:
                return c.start_byte + 2
        return n.end_byte

    # ---- member / call chains ------------------------------------------------------------
    def spine(n: Node) -> tuple[list[Node], list[int], list[list[Node]], Node, int]:
        """The links of a member/call chain (outermost first) with their kinds and
        children, and the node under them with its kind."""
        links = []
        kinds = []
        chs = []
        cur = n
        k = n.kind_id
        while k in _SPINE:
            links.append(cur)
            kinds.append(k)
            ch = cur.children
            chs.append(ch)
            cur = ch[0]
            k = cur.kind_id
        if k in _COMMENTS or k == _ERROR:
            raise broken_at(cur, "unexpected " + cur.type)
        return links, kinds, chs, cur, k

    def grouped(args: Node) -> Any:
        """`(a)` or `(a, b)` read as a parenthesized expression (esprima's view of the
        arguments of `await(...)`)."""
        items = arguments(args)
        if not items or any(x.type == "SpreadElement" for x in items):
            raise broken_at(args, "unexpected " + args.type)
        if len(items) == 1:
            return items[0]
        o = new(E.SequenceExpression)
        o.type = "SequenceExpression"
        o.expressions = items
        nc = clean(args.named_children)
        return fin(o, nc[0].start_byte, nc[-1].end_byte)

    def c_spine(n: Node) -> Any:
        links = []
        kinds = []
        chs = []
        cur = n
        k = n.kind_id
        while k in _SPINE:
            links.append(cur)
            kinds.append(k)
            ch = cur.children
            chs.append(ch)
            cur = ch[0]
            k = cur.kind_id
        if k in _COMMENTS or k == _ERROR:
            raise broken_at(cur, "unexpected " + cur.type)
        if ctx[0] and k in _IDENTS and kinds[-1] in _CALL:
            fch = chs[-1]
            if len(fch) == 2 and fch[1].kind_id in _ARGUMENTS and \
                    txt(cur.start_byte, cur.end_byte) == "await":
                # tree-sitter calls a function named await; esprima awaits `(x)...`
                args = fch[1]
                o = new(E.AwaitExpression)
                o.type = "AwaitExpression"
                o.argument = chain_of(links[:-1], kinds[:-1], chs[:-1], grouped(args),
                                      args.start_byte, n.end_byte)
                return fin(o, cur.start_byte, n.end_byte)
        return chain_of(links, kinds, chs, T[k](cur), cur.start_byte, n.end_byte)

    def chain_of(links: list[Node], kinds: list[int], chs: list[list[Node]], expr: Any,
                 sb: int, end: int) -> Any:
        """Apply the links (outermost first) to `expr`; wrap in a ChainExpression when
        one of them is optional, as esprima does for the whole chain. Every link ends
        with a token (`)`, `]`, a name, a backtick), so no `fix` applies."""
        quirk = bool(mlt) and sb in mlt
        chain = False
        i = len(links)
        while i:
            i -= 1
            link = links[i]
            k = kinds[i]
            ch = chs[i]
            size_ = len(ch)
            if k in _MEMBER:
                if size_ != 3:
                    ch = clean(ch)
                opt = ch[1].kind_id == _OPT
                o = new(StaticMember)
                o.type = "MemberExpression"
                o.computed = False
                o.object = expr
                p = ch[2]
                eb = p.end_byte
                if p.kind_id in _PROPERTY_NAME:
                    psb = p.start_byte
                    name = code[psb:eb]
                    if "\\" in name:
                        name = _ident_name(name)
                    name = one_name(name, name)
                    q = new(Identifier)
                    q.type = "Identifier"
                    q.name = name
                    q._span = psb << 32 | eb
                    q._lines = LN
                    o.property = q
                else:
                    o.property = T[p.kind_id](p)
                o.optional = opt
            elif k in _SUBSCRIPT:
                if size_ == 4:
                    opt = False
                    p = ch[2]
                elif size_ == 5 and ch[1].kind_id == _OPT:
                    opt = True
                    p = ch[3]
                else:
                    ch = clean(ch)
                    opt = ch[1].kind_id == _OPT
                    p = ch[3] if opt else ch[2]
                o = new(ComputedMember)
                o.type = "MemberExpression"
                o.computed = True
                o.object = expr
                o.property = T[p.kind_id](p)
                o.optional = opt
                eb = link.end_byte
            else:
                if size_ == 2:
                    opt = False
                    a = ch[1]
                elif size_ == 3 and ch[1].kind_id == _OPT:
                    opt = True
                    a = ch[2]
                else:
                    ch = clean(ch)
                    opt = ch[1].kind_id == _OPT
                    a = ch[-1]
                if a.kind_id in _ARGUMENTS:
                    o = new(Call)
                    o.type = "CallExpression"
                    o.callee = expr
                    o.arguments = arguments(a)
                    o.optional = opt
                else:
                    o = new(E.TaggedTemplateExpression)
                    o.type = "TaggedTemplateExpression"
                    o.tag = expr
                    o.quasi = c_template(a)
                eb = link.end_byte
            o._span = sb << 32 | eb
            o._lines = LN
            if opt:
                chain = True
            if quirk:
                quirk_start(o, sb)
            expr = o
        if chain:
            o = new(E.ChainExpression)
            o.type = "ChainExpression"
            o.expression = expr
            expr = fin(o, sb, end)
            if quirk:
                quirk_start(o, sb)
        return expr

    def named(n: Node) -> list[Any]:
        """The converted named children (comments dropped)."""
        out = [T[c.kind_id](c) for c in n.named_children]
        if _SKIP in out:
            out = [x for x in out if x is not _SKIP]
        return out

    def arguments(n: Node) -> list[Any]:
        """The converted named children of a bracketed list (comments dropped).
        `named_children` costs twice `child(i)`: `()` and `(x)` are read directly."""
        count = n.child_count
        if count == 2:
            return []
        if count == 3:
            c = n.child(1)
            x = T[c.kind_id](c)
            return [] if x is _SKIP else [x]
        out = [T[c.kind_id](c) for c in n.named_children]
        if _SKIP in out:
            out = [x for x in out if x is not _SKIP]
        return out

    def c_import(n: Node) -> Any:
        o = new(E.Import)
        o.type = "Import"
        return fin(o, n.start_byte, n.end_byte)

    def c_new(n: Node) -> Any:
        ch = n.children
        if len(ch) > 3 or ch[1].kind_id in _COMMENTS:
            ch = clean(ch)
        callee = ch[1]
        o = new(E.NewExpression)
        o.type = "NewExpression"
        o.callee = T[callee.kind_id](callee)
        o.arguments = arguments(ch[2]) if len(ch) == 3 else []
        return fin(o, n.start_byte, n.end_byte)

    def c_meta_property(n: Node) -> Any:
        ch = clean(n.children)
        sb = n.start_byte
        meta, prop = ch[0], ch[2]
        o = new(E.MetaProperty)
        o.type = "MetaProperty"
        if prop.kind_id == _TARGET:
            o.meta = ident(meta.start_byte, meta.end_byte, "new")
            o.property = ident(prop.start_byte, prop.end_byte, "target")
        else:
            m = new(E.Identifier)  # esprima leaves `import` of import.meta unpositioned
            m.type = "Identifier"
            m.name = "import"
            o.meta = m
            o.property = ident(prop.start_byte, prop.end_byte, "meta")
        return fin(o, sb, n.end_byte)

    # ---- operators -----------------------------------------------------------------------
    def c_parenthesized(n: Node) -> Any:
        ch = n.children
        c = ch[1] if len(ch) == 3 else inner(n)
        return T[c.kind_id](c)

    def c_binary(n: Node) -> Any:
        ch = n.children
        if len(ch) != 3:
            ch = clean(ch)
        op = _TOKEN_TEXT[ch[1].kind_id]
        left = ch[0]
        right = ch[2]
        lk = left.kind_id
        rk = right.kind_id
        if op == _POW or (lk not in _BINARY and rk not in _BINARY):
            o = new(E.BinaryExpression)
            o.type = "LogicalExpression" if op in _LOGICAL else "BinaryExpression"
            o.operator = op
            o.left = T[lk](left)
            o.right = T[rk](right)
            sb = n.start_byte
            fin(o, sb, n.end_byte)
            if mlt and sb in mlt:
                quirk_start(o, sb, 0 if op == _POW else line_start_of_token(right.start_byte))
            return o
        # The operands and operators in source order, not crossing parentheses or `**`.
        seq: list[Any] = []
        stack: list[Any] = [right, op, left]
        while stack:
            x = stack.pop()
            if type(x) is str:
                seq.append(x)
                continue
            if x.kind_id in _BINARY:
                xc = x.children
                if len(xc) != 3:
                    xc = clean(xc)
                xop = _TOKEN_TEXT[xc[1].kind_id]
                if xop != _POW:
                    stack.append(xc[2])
                    stack.append(xop)
                    stack.append(xc[0])
                    continue
            seq.append(x)
        return binary_chain(seq, n.end_byte)

    def binary_node(op: str, left: Any, right: Any, sb: int, eb: int, lls: int) -> Any:
        o = new(E.BinaryExpression)
        o.type = "LogicalExpression" if op in _LOGICAL else "BinaryExpression"
        o.operator = op
        o.left = left
        o.right = right
        fin(o, sb, eb)
        if mlt and sb in mlt:
            quirk_start(o, sb, lls)
        return o

    def line_start_of_token(b: int) -> int:
        found = mlt.get(b)
        return found[1] if found else line_at(b)[1]

    def binary_chain(seq: list[Any], end: int) -> Any:
        """esprima's `parseBinaryExpression` shift-reduce over the flattened chain."""
        first = seq[0]
        second = seq[2]
        stack: list[Any] = [(X(first), first.end_byte), seq[1], (X(second), second.end_byte)]
        precedences = [_PRECEDENCE[seq[1]]]
        markers = [first.start_byte, second.start_byte]
        i = 3
        count = len(seq)
        while i < count:
            op = seq[i]
            prec = _PRECEDENCE[op]
            while len(stack) > 2 and prec <= precedences[-1]:
                right = stack.pop()
                operator = stack.pop()
                precedences.pop()
                left = stack.pop()
                markers.pop()
                node = binary_node(operator, left[0], right[0], markers[-1], right[1], 0)
                stack.append((node, right[1]))
            stack.append(op)
            precedences.append(prec)
            x = seq[i + 1]
            markers.append(x.start_byte)
            stack.append((X(x), x.end_byte))
            i += 2
        j = len(stack) - 1
        expr = stack[j][0]
        last_marker = markers.pop()
        while j > 1:
            marker = markers.pop()
            lls = line_start_of_token(last_marker) if mlt and marker in mlt else 0
            expr = binary_node(stack[j - 1], stack[j - 2][0], expr, marker, end, lls)
            j -= 2
            last_marker = marker
        return expr

    def c_unary(n: Node) -> Any:
        ch = n.children
        if len(ch) != 2:
            ch = clean(ch)
        a = ch[1]
        o = new(E.UnaryExpression)
        o.type = "UnaryExpression"
        o.prefix = True
        o.operator = _TOKEN_TEXT[ch[0].kind_id]
        o.argument = T[a.kind_id](a)
        return fin(o, n.start_byte, n.end_byte)

    def c_update(n: Node) -> Any:
        ch = n.children
        if len(ch) != 2:
            ch = clean(ch)
        first = ch[0].kind_id
        prefix = first in (_INC, _DEC)
        a = ch[1] if prefix else ch[0]
        o = new(E.UpdateExpression)
        o.type = "UpdateExpression"
        o.operator = _TOKEN_TEXT[ch[0 if prefix else 1].kind_id]
        o.argument = T[a.kind_id](a)
        o.prefix = prefix
        sb = n.start_byte
        fin(o, sb, n.end_byte)
        if not prefix and mlt and sb in mlt:
            quirk_start(o, sb)
        return o

    def c_await(n: Node) -> Any:
        ch = n.children
        if len(ch) != 2:
            ch = clean(ch)
        a = ch[1]
        sb = n.start_byte
        if not ctx[0]:
            # `await(x)...` outside async code: esprima calls a function named await
            links, kinds, chs, base, bk = spine(a)
            if bk in _PARENS:
                arg = X(base)
                o = new(E.CallExpression)
                o.type = "CallExpression"
                o.callee = ident(sb, ch[0].end_byte, "await")
                o.arguments = arg.expressions if arg.type == "SequenceExpression" else [arg]
                o.optional = False
                fin(o, sb, base.end_byte)
                return chain_of(links, kinds, chs, o, sb, n.end_byte)
        o = new(E.AwaitExpression)
        o.type = "AwaitExpression"
        o.argument = T[a.kind_id](a)
        return fin(o, sb, n.end_byte)

    def c_yield(n: Node) -> Any:
        ch = clean(n.children)
        sb = n.start_byte
        if len(ch) == 1 and not ctx[1]:
            return ident(sb, n.end_byte, "yield")
        delegate = len(ch) > 1 and ch[1].kind_id == _STAR
        o = new(E.YieldExpression)
        o.type = "YieldExpression"
        o.argument = X(ch[-1]) if len(ch) > 1 and not (delegate and len(ch) == 2) else None
        o.delegate = delegate
        return fin(o, sb, n.end_byte)

    def c_ternary(n: Node) -> Any:
        ch = n.children
        if len(ch) != 5:
            ch = clean(ch)
        o = new(E.ConditionalExpression)
        o.type = "ConditionalExpression"
        t, c, a = ch[0], ch[2], ch[4]
        o.test = T[t.kind_id](t)
        o.consequent = T[c.kind_id](c)
        o.alternate = T[a.kind_id](a)
        sb = n.start_byte
        fin(o, sb, n.end_byte)
        if mlt and sb in mlt:
            quirk_start(o, sb)
        return o

    def c_assignment(n: Node) -> Any:
        ch = n.children
        if len(ch) != 3:
            ch = clean(ch)
        left, right = ch[0], ch[2]
        o = new(E.AssignmentExpression)
        o.type = "AssignmentExpression"
        o.operator = _TOKEN_TEXT[ch[1].kind_id]
        o.left = T[left.kind_id](left)
        o.right = T[right.kind_id](right)
        sb = n.start_byte
        fin(o, sb, n.end_byte)
        if mlt and sb in mlt:
            quirk_start(o, sb)
        return o

    def c_sequence(n: Node) -> Any:
        o = new(E.SequenceExpression)
        o.type = "SequenceExpression"
        o.expressions = named(n)
        sb = n.start_byte
        fin(o, sb, n.end_byte)
        if mlt and sb in mlt:
            quirk_start(o, sb)
        return o

    def c_spread(n: Node) -> Any:
        a = inner(n)
        o = new(E.SpreadElement)
        o.type = "SpreadElement"
        o.argument = T[a.kind_id](a)
        return fin(o, n.start_byte, n.end_byte)

    # ---- arrays, objects, patterns -------------------------------------------------------
    def elements(n: Node) -> list[Any]:
        out: list[Any] = []
        pending = False
        ch = n.children
        for c in ch[1:-1]:
            k = c.kind_id
            if k == _COMMA:
                if not pending:
                    out.append(None)
                pending = False
            elif k in _COMMENTS:
                continue
            else:
                out.append(T[k](c))
                pending = True
        return out

    def c_array(n: Node) -> Any:
        o = new(E.ArrayExpression)
        o.type = "ArrayExpression"
        o.elements = elements(n)
        return fin(o, n.start_byte, n.end_byte)

    def c_array_pattern(n: Node) -> Any:
        o = new(E.ArrayPattern)
        o.type = "ArrayPattern"
        o.elements = elements(n)
        return fin(o, n.start_byte, n.end_byte)

    def key_of(c: Node) -> tuple[Any, bool]:
        k = c.kind_id
        if k in _COMPUTED:
            x = inner(c)
            return T[x.kind_id](x), True
        return T[k](c), False

    def prop(kind: str, key: Any, computed: bool, value: Any, method: bool,
             shorthand: bool, sb: int, eb: int) -> Any:
        o = new(E.Property)
        o.type = "Property"
        o.key = key
        o.computed = computed
        o.value = value
        o.kind = kind
        o.method = method
        o.shorthand = shorthand
        return fin(o, sb, eb)

    def c_pair(n: Node) -> Any:
        ch = n.children
        if len(ch) != 3:
            ch = clean(ch)
        key, computed = key_of(ch[0])
        v = ch[2]
        return prop("init", key, computed, T[v.kind_id](v), False, False,
                    n.start_byte, n.end_byte)

    def c_shorthand(n: Node) -> Any:
        sb = n.start_byte
        eb = n.end_byte
        return prop("init", c_identifier(n), False, c_identifier(n), False, True, sb, eb)

    def c_object_assignment_pattern(n: Node) -> Any:
        ch = clean(n.children)
        left, right = ch[0], ch[2]
        if left.kind_id not in _SHORTHAND_PATTERN:
            raise broken_at(n, "unexpected pattern")
        sb = n.start_byte
        eb = n.end_byte
        value = new(E.AssignmentPattern)
        value.type = "AssignmentPattern"
        value.left = c_identifier(left)
        value.right = X(right)
        fin(value, sb, eb)
        return prop("init", c_identifier(left), False, value, False, True, sb, eb)

    def c_object(n: Node) -> Any:
        o = new(E.ObjectExpression)
        o.type = "ObjectExpression"
        o.properties = arguments(n)
        return fin(o, n.start_byte, n.end_byte)

    def c_object_pattern(n: Node) -> Any:
        o = new(E.ObjectPattern)
        o.type = "ObjectPattern"
        o.properties = arguments(n)
        return fin(o, n.start_byte, n.end_byte)

    def c_assignment_pattern(n: Node) -> Any:
        ch = n.children
        if len(ch) != 3:
            ch = clean(ch)
        left, right = ch[0], ch[2]
        o = new(E.AssignmentPattern)
        o.type = "AssignmentPattern"
        o.left = T[left.kind_id](left)
        o.right = T[right.kind_id](right)
        return fin(o, n.start_byte, n.end_byte)

    def c_rest(n: Node) -> Any:
        a = inner(n)
        o = new(E.RestElement)
        o.type = "RestElement"
        o.argument = T[a.kind_id](a)
        return fin(o, n.start_byte, n.end_byte)

    # ---- functions and classes -----------------------------------------------------------
    def params_of(n: Node) -> list[Any]:
        return arguments(n)

    def function_body(n: Node) -> Any:
        if defer[0] and n.end_byte - n.start_byte > defer[0] and not n.has_error:
            ch = n.children
            if len(ch) >= 2 and ch[0].kind_id == _LBRACE and ch[-1].kind_id == _RBRACE:
                o = new(E.BlockStatement)
                o.type = "BlockStatement"
                o.body = []  # filled by `drain`, from a parse of the body alone
                pending.append((o, ch[0].end_byte, ch[-1].start_byte, ctx[0], ctx[1],
                                _shape(ch[1:-1])))
                return fin(o, n.start_byte, n.end_byte)
        nc = n.named_children
        o = new(E.BlockStatement)
        o.type = "BlockStatement"
        o.body = statements(nc, True)
        if nc and nc[-1].kind_id in _COMMENTS:
            trailing(n, n.children)
        return fin(o, n.start_byte, n.end_byte)

    def function_parts(n: Node) -> tuple[bool, bool, Node | None, Node, Node]:
        is_async = generator = False
        name = None
        params = body = None
        for c in n.children:
            k = c.kind_id
            if k == _ASYNC:
                is_async = True
            elif k == _STAR:
                generator = True
            elif k in _FORMALS:
                params = c
            elif k in _BLOCK:
                body = c
            elif k in _IDENTS:
                name = c
            elif k == _ERROR or k in _DECORATOR:
                unsupported(c)
        trailing(n, n.children)
        if params is None or body is None:
            raise broken_at(n, "unexpected " + n.type)
        return is_async, generator, name, params, body

    def function_node(n: Node, declaration: bool, with_name: bool = True) -> Any:
        is_async, generator, name, params, body = function_parts(n)
        saved = ctx[0], ctx[1]
        ctx[0], ctx[1] = is_async, generator
        try:
            ps = params_of(params)
            b = function_body(body)
        finally:
            ctx[0], ctx[1] = saved
        if is_async:
            o = new(E.AsyncFunctionDeclaration if declaration else E.AsyncFunctionExpression)
            o.type = "FunctionDeclaration" if declaration else "FunctionExpression"
            o.generator = generator
            o.expression = False
            o.isAsync = True
            o.id = c_identifier(name) if name is not None and with_name else None
            o.params = ps
            o.body = b
        else:
            o = new(E.FunctionDeclaration if declaration else E.FunctionExpression)
            o.type = "FunctionDeclaration" if declaration else "FunctionExpression"
            o.expression = False
            o.isAsync = False
            o.id = c_identifier(name) if name is not None and with_name else None
            o.params = ps
            o.body = b
            o.generator = generator
        return fin(o, n.start_byte, n.end_byte)

    def c_function_expression(n: Node) -> Any:
        return function_node(n, False)

    def c_function_declaration(n: Node) -> Any:
        return function_node(n, True)

    def method_function(params: Node, body: Node, is_async: bool, generator: bool) -> Any:
        """The FunctionExpression of a method: from its `(` to its `}`."""
        saved = ctx[0], ctx[1]
        ctx[0], ctx[1] = is_async, generator
        try:
            ps = params_of(params)
            b = function_body(body)
        finally:
            ctx[0], ctx[1] = saved
        if is_async:
            o = new(E.AsyncFunctionExpression)
            o.type = "FunctionExpression"
            o.generator = generator
            o.expression = False
            o.isAsync = True
            o.id = None
            o.params = ps
            o.body = b
        else:
            o = new(E.FunctionExpression)
            o.type = "FunctionExpression"
            o.expression = False
            o.isAsync = False
            o.id = None
            o.params = ps
            o.body = b
            o.generator = generator
        return fin(o, params.start_byte, body.end_byte)

    def c_arrow(n: Node) -> Any:
        ch = n.children
        is_async = ch[0].kind_id == _ASYNC
        p = ch[1] if is_async else ch[0]
        if p.kind_id in _COMMENTS:
            ch = clean(ch)
            p = ch[1] if is_async else ch[0]
        body = ch[-1]
        saved = ctx[0], ctx[1]
        ctx[0], ctx[1] = is_async, False
        try:
            params = params_of(p) if p.kind_id in _FORMALS else [c_identifier(p)]
            if body.kind_id in _BLOCK:
                b = function_body(body)
                expression = False
            else:
                b = T[body.kind_id](body)
                expression = True
        finally:
            ctx[0], ctx[1] = saved
        o = new(E.AsyncArrowFunctionExpression if is_async else E.ArrowFunctionExpression)
        o.type = "ArrowFunctionExpression"
        o.generator = False
        o.isAsync = is_async
        o.params = params
        o.body = b
        o.expression = expression
        return fin(o, n.start_byte, n.end_byte)

    def method_parts(n: Node) -> tuple[bool, bool, str, bool, Node, Node, Node]:
        static = is_async = generator = False
        kind = ""
        name = params = body = None
        for c in n.children:
            k = c.kind_id
            if k == _STATIC:
                static = True
            elif k == _STATIC_GET:
                static = True
                kind = "get"
            elif k == _ASYNC:
                is_async = True
            elif k == _GET:
                kind = "get"
            elif k == _SET:
                kind = "set"
            elif k == _STAR:
                generator = True
            elif k in _FORMALS:
                params = c
            elif k in _BLOCK:
                body = c
            elif k in _COMMENTS:
                continue
            elif k == _ERROR or k in _DECORATOR or c.is_missing:
                unsupported(c)
            elif c.is_named:
                name = c
        if name is None or params is None or body is None:
            raise broken_at(n, "unexpected " + n.type)
        return static, is_async, kind, generator, name, params, body

    def c_method_in_object(n: Node) -> Any:
        _, is_async, kind, generator, name, params, body = method_parts(n)
        key, computed = key_of(name)
        value = method_function(params, body, is_async, generator)
        return prop(kind or "init", key, computed, value, not kind, False,
                    n.start_byte, n.end_byte)

    def is_constructor(key: Any) -> bool:
        t = key.type
        return bool((t == "Identifier" and key.name == "constructor") or (
            t == "Literal" and key.value == "constructor"
        ))

    def c_method_in_class(n: Node) -> Any:
        static, is_async, kind, generator, name, params, body = method_parts(n)
        key, computed = key_of(name)
        value = method_function(params, body, is_async, generator)
        if not kind:
            kind = "constructor" if not computed and not static and is_constructor(key) \
                else "method"
        o = new(E.MethodDefinition)
        o.type = "MethodDefinition"
        o.key = key
        o.computed = computed
        o.value = value
        o.kind = kind
        o.static = static
        return fin(o, n.start_byte, n.end_byte)

    def c_field(n: Node) -> Any:
        static = False
        name = value = None
        seen_eq = False
        for c in n.children:
            k = c.kind_id
            if k == _STATIC:
                static = True
            elif k == _EQ:
                seen_eq = True
            elif k in _COMMENTS:
                continue
            elif k == _ERROR or k in _DECORATOR:
                unsupported(c)
            elif c.is_named:
                if seen_eq:
                    value = c
                else:
                    name = c
        if name is None:
            raise broken_at(n, "unexpected " + n.type)
        key, computed = key_of(name)
        o = new(E.FieldDefinition)
        o.type = "FieldDefinition"
        o.key = key
        o.computed = computed
        o.value = X(value) if value is not None else None
        o.kind = "init"
        o.static = static
        return fin(o, n.start_byte, n.end_byte)

    def c_static_block(n: Node) -> Any:
        body = None
        for c in n.named_children:
            if c.kind_id in _BLOCK:
                body = c
        if body is None:
            raise broken_at(n, "unexpected " + n.type)
        trailing(n, n.children)
        o = new(E.StaticBlock)
        o.type = "StaticBlock"
        o.body = block(body)
        return fin(o, n.start_byte, n.end_byte)

    def class_node(n: Node, declaration: bool, with_name: bool = True) -> Any:
        name = heritage = body = None
        for c in n.named_children:
            k = c.kind_id
            if k in _IDENTS:
                name = c
            elif k in _HERITAGE:
                heritage = c
            elif k in _CLASS_BODY:
                body = c
            elif k in _DECORATOR or k == _ERROR:
                unsupported(c)
        if body is None:
            raise broken_at(n, "unexpected " + n.type)
        members = []
        for c in body.named_children:
            k = c.kind_id
            if k in _COMMENTS:
                continue
            members.append(M[k](c))
        cb = new(E.ClassBody)
        cb.type = "ClassBody"
        cb.body = members
        fin(cb, body.start_byte, body.end_byte)
        trailing(n, n.children)
        o = new(E.ClassDeclaration if declaration else E.ClassExpression)
        o.type = "ClassDeclaration" if declaration else "ClassExpression"
        o.id = c_identifier(name) if name is not None and with_name else None
        o.superClass = X(inner(heritage)) if heritage is not None else None
        o.body = cb
        return fin(o, n.start_byte, n.end_byte)

    def c_class(n: Node) -> Any:
        return class_node(n, False)

    def c_class_declaration(n: Node) -> Any:
        return class_node(n, True)

    # ---- statements ----------------------------------------------------------------------
    def end_of(n: Node) -> int:
        return n.end_byte  # `fin` maps it through `fix`

    def semicolon_end(n: Node, ch: list[Node]) -> int:
        """The end of a statement that esprima closes with `consumeSemicolon`."""
        te = n.end_byte
        last = ch[-1].kind_id
        if last == _SEMI:
            return te
        if last in _COMMENTS:
            i = len(ch) - 2
            while i > 0 and ch[i].kind_id in _COMMENTS:
                i -= 1
            real = ch[i].end_byte
            if ch[i].kind_id == _SEMI:
                fix[te] = real
                return real
        else:
            real = te
        real = fget(real, real)
        end = asi_end(real)
        if end != te or te in fix:
            fix[te] = end
        return end

    def statements(nodes: Iterable[Node], prologue: bool,
                   kept: list[tuple[int, int]] | None = None) -> list[Any]:
        out: list[Any] = []
        for c in nodes:
            k = c.kind_id
            if k in _NOT_STATEMENTS:
                continue
            if any_error and c.has_error and (k == _ERROR or c.id in broken):
                prologue = False
                if k == _ERROR:
                    salvage(c, out, kept)
                continue
            if prologue:
                prologue = False
                if k == _EXPR_STMT:
                    ch = c.children
                    x = ch[0]
                    if x.kind_id in _STRINGS:
                        raw = txt(x.start_byte, x.end_byte)
                        if len(raw) > 2:
                            out.append(directive(c, ch, x, raw))
                            prologue = True
                            if kept is not None:
                                kept.append((c.start_byte, c.end_byte))
                            continue
            try:
                r = T[k](c)
            except _Broken as exc:
                messages.append((c.start_byte, str(exc)))
                continue
            except IndexError:  # a shape no converter expects: an error tree-sitter hid
                messages.append((c.start_byte, str(broken_at(c, "unexpected " + c.type))))
                continue
            if type(r) is list:  # `export default function () {};` is two statements
                out.extend(r)
            else:
                out.append(r)
            if kept is not None:
                kept.append((c.start_byte, c.end_byte))
            # py-tree-sitter caches a node's `children` list on its wrapper, so every
            # wrapper read stays alive as long as the root does (~64 bytes each, 2M for a
            # 5 MB bundle, freed at the end into holes the tree can no longer use); emptying
            # a converted statement's list lets its subtree's wrappers go now
            c.children.clear()
        return out

    def salvage(error: Node, out: list[Any], kept: list[tuple[int, int]] | None) -> None:
        """The whole statements inside an ERROR node (a truncated `(function () { ...`
        leaves its body there): converted where they stand, as statements of the list."""
        for x in error.children:
            k = x.kind_id
            if k == _ERROR:
                salvage(x, out, kept)
            elif k in _STATEMENTS and not x.has_error:
                try:
                    r = T[k](x)
                except _Broken as exc:
                    messages.append((x.start_byte, str(exc)))
                    continue
                except IndexError:
                    messages.append((x.start_byte, str(broken_at(x, "unexpected " + x.type))))
                    continue
                if type(r) is list:
                    out.extend(r)
                else:
                    out.append(r)
                if kept is not None:
                    kept.append((x.start_byte, x.end_byte))

    def directive(n: Node, ch: list[Node], x: Node, raw: str) -> Any:
        expr = c_string(x)
        o = new(E.Directive)
        o.type = "ExpressionStatement"
        o.expression = expr
        o.directive = raw[1:-1]
        return fin(o, n.start_byte, semicolon_end(n, ch))

    def block(n: Node) -> Any:
        nc = n.named_children
        o = new(E.BlockStatement)
        o.type = "BlockStatement"
        o.body = statements(nc, False)
        if nc and nc[-1].kind_id in _COMMENTS:
            trailing(n, n.children)
        return fin(o, n.start_byte, n.end_byte)

    def c_expression_statement(n: Node) -> Any:
        ch = n.children
        x = ch[0]
        o = new(E.ExpressionStatement)
        o.type = "ExpressionStatement"
        o.expression = T[x.kind_id](x)
        return fin(o, n.start_byte, semicolon_end(n, ch))

    def c_empty(n: Node) -> Any:
        o = new(E.EmptyStatement)
        o.type = "EmptyStatement"
        return fin(o, n.start_byte, n.end_byte)

    def c_debugger(n: Node) -> Any:
        o = new(E.DebuggerStatement)
        o.type = "DebuggerStatement"
        return fin(o, n.start_byte, semicolon_end(n, n.children))

    def c_declarator(n: Node) -> Any:
        ch = n.children
        if len(ch) != 1 and len(ch) != 3:
            ch = clean(ch)
        name = ch[0]
        o = new(E.VariableDeclarator)
        o.type = "VariableDeclarator"
        o.id = T[name.kind_id](name)
        if len(ch) == 3:
            v = ch[2]
            o.init = T[v.kind_id](v)
        else:
            o.init = None
        return fin(o, n.start_byte, n.end_byte)

    def declarators(n: Node) -> list[Any]:
        if n.child_count <= 3:  # `var a = 1;`, `let a` (no comments)
            c = n.child(1)
            if c.kind_id in _DECLARATOR:
                return [c_declarator(c)]
        out = []
        for c in n.named_children:
            if c.kind_id in _DECLARATOR:
                out.append(c_declarator(c))
            elif c.kind_id not in _COMMENTS:
                unsupported(c)
        return out

    def declaration(kind: str, decls: list[Any], sb: int, eb: int) -> Any:
        o = new(E.VariableDeclaration)
        o.type = "VariableDeclaration"
        o.declarations = decls
        o.kind = kind
        return fin(o, sb, eb)

    def c_variable_declaration(n: Node) -> Any:
        ch = n.children
        return declaration("var", declarators(n), n.start_byte, semicolon_end(n, ch))

    def c_lexical_declaration(n: Node) -> Any:
        ch = n.children
        kind = "let" if ch[0].kind_id == _LET else "const"
        return declaration(kind, declarators(n), n.start_byte, semicolon_end(n, ch))

    def c_using_declaration(n: Node) -> Any:
        ch = n.children
        if ch[0].kind_id == _AWAIT_KW:
            unsupported(n)
        return declaration("using", declarators(n), n.start_byte, semicolon_end(n, ch))

    def statement(n: Node) -> Any:
        return T[n.kind_id](n)

    def c_if(n: Node) -> Any:
        ch = clean(n.children)
        o = new(E.IfStatement)
        o.type = "IfStatement"
        o.test = X(ch[1])
        o.consequent = statement(ch[2])
        o.alternate = statement(inner(ch[3])) if len(ch) > 3 else None
        return fin(o, n.start_byte, end_of(n))

    def c_switch(n: Node) -> Any:
        ch = clean(n.children)
        cases = []
        for c in ch[2].named_children:
            k = c.kind_id
            if k in _COMMENTS:
                continue
            nc = [x for x in c.named_children if x.kind_id not in _COMMENTS]
            sc = new(E.SwitchCase)
            sc.type = "SwitchCase"
            if k in _SWITCH_CASE:
                sc.test = X(nc[0])
                nc = nc[1:]
            else:
                sc.test = None
            sc.consequent = statements(nc, False)
            cases.append(fin(sc, c.start_byte, end_of(c)))
        o = new(E.SwitchStatement)
        o.type = "SwitchStatement"
        o.discriminant = X(ch[1])
        o.cases = cases
        return fin(o, n.start_byte, n.end_byte)

    def c_for(n: Node) -> Any:
        ch = clean(n.children)
        i = 2
        c = ch[i]
        k = c.kind_id
        if k in _LEX_DECL:
            init = c_lexical_for(c)
            i += 1
        elif k in _VAR_DECL:
            decls = declarators(c)
            last = [x for x in c.named_children if x.kind_id in _DECLARATOR][-1]
            init = declaration("var", decls, c.start_byte, last.end_byte)
            i += 1
        elif k in _EMPTY:
            init = None
            i += 1
        else:
            init = X(c)
            i += 2
        c = ch[i]
        if c.kind_id in _EMPTY:
            test = None
            i += 1
        else:
            test = X(c)
            i += 2
        c = ch[i]
        if c.kind_id == _RPAREN:
            update = None
            i += 1
        else:
            update = X(c)
            i += 2
        o = new(E.ForStatement)
        o.type = "ForStatement"
        o.init = init
        o.test = test
        o.update = update
        o.body = statement(ch[i])
        return fin(o, n.start_byte, end_of(n))

    def c_lexical_for(n: Node) -> Any:
        ch = n.children
        kind = "let" if ch[0].kind_id == _LET else "const"
        return declaration(kind, declarators(n), n.start_byte, n.end_byte)

    def c_for_in(n: Node) -> Any:
        ch = clean(n.children)
        i = 1
        is_await = ch[1].kind_id == _AWAIT_KW
        if is_await:
            i += 1
        i += 1  # (
        c = ch[i]
        k = c.kind_id
        if k in (_VAR, _LET, _CONST):
            kind = _TOKEN_TEXT[k]
            target = ch[i + 1]
            i += 2
            init = None
            if ch[i].kind_id == _EQ:
                init = X(ch[i + 1])
                i += 2
            d = new(E.VariableDeclarator)
            d.type = "VariableDeclarator"
            d.id = X(target)
            d.init = init
            dend = ch[i - 1].end_byte
            fin(d, target.start_byte, dend)
            left = declaration(kind, [d], c.start_byte, dend)
        else:
            left = X(c)
            i += 1
        of = ch[i].kind_id != _IN
        right = X(ch[i + 1])
        body = statement(ch[i + 3])
        if not of:
            o = new(E.ForInStatement)
            o.type = "ForInStatement"
            o.each = False
        elif is_await:
            o = new(E.ForAwaitStatement)
            o.type = "ForAwaitStatement"
        else:
            o = new(E.ForOfStatement)
            o.type = "ForOfStatement"
        o.left = left
        o.right = right
        o.body = body
        return fin(o, n.start_byte, end_of(n))

    def c_while(n: Node) -> Any:
        ch = clean(n.children)
        o = new(E.WhileStatement)
        o.type = "WhileStatement"
        o.test = X(ch[1])
        o.body = statement(ch[2])
        return fin(o, n.start_byte, end_of(n))

    def c_do(n: Node) -> Any:
        trailing(n, n.children)
        ch = clean(n.children)
        o = new(E.DoWhileStatement)
        o.type = "DoWhileStatement"
        o.body = statement(ch[1])
        o.test = X(ch[3])
        return fin(o, n.start_byte, n.end_byte)

    def c_try(n: Node) -> Any:
        handler = finalizer = None
        body = None
        for c in n.named_children:
            k = c.kind_id
            if k in _BLOCK:
                body = block(c)
            elif k in _CATCH:
                param = None
                cbody = None
                for x in c.named_children:
                    xk = x.kind_id
                    if xk in _BLOCK:
                        cbody = block(x)
                    elif xk not in _COMMENTS:
                        param = X(x)
                h = new(E.CatchClause)
                h.type = "CatchClause"
                h.param = param
                h.body = cbody
                handler = fin(h, c.start_byte, c.end_byte)
            elif k in _FINALLY:
                finalizer = block(inner(c))
        o = new(E.TryStatement)
        o.type = "TryStatement"
        o.block = body
        o.handler = handler
        o.finalizer = finalizer
        return fin(o, n.start_byte, n.end_byte)

    def c_with(n: Node) -> Any:
        ch = clean(n.children)
        o = new(E.WithStatement)
        o.type = "WithStatement"
        o.object = X(ch[1])
        o.body = statement(ch[2])
        return fin(o, n.start_byte, end_of(n))

    def jump(n: Node, cls: type, type_: str) -> Any:
        ch = n.children
        o: Any = new(cls)
        o.type = type_
        label = None
        for c in ch[1:]:
            if c.is_named and c.kind_id not in _COMMENTS:
                label = c_identifier(c)
        o.label = label
        return fin(o, n.start_byte, semicolon_end(n, ch))

    def c_break(n: Node) -> Any:
        return jump(n, E.BreakStatement, "BreakStatement")

    def c_continue(n: Node) -> Any:
        return jump(n, E.ContinueStatement, "ContinueStatement")

    def c_return(n: Node) -> Any:
        ch = n.children
        argument = None
        if len(ch) > 1:
            a = ch[1]
            ak = a.kind_id
            if ak in _COMMENTS:
                nc = clean(ch)
                if len(nc) > 1 and nc[1].kind_id != _SEMI:
                    argument = X(nc[1])
            elif ak != _SEMI:
                argument = T[ak](a)
        o = new(E.ReturnStatement)
        o.type = "ReturnStatement"
        o.argument = argument
        return fin(o, n.start_byte, semicolon_end(n, ch))

    def c_throw(n: Node) -> Any:
        ch = n.children
        a = ch[1]
        if a.kind_id in _COMMENTS:
            a = clean(ch)[1]
        o = new(E.ThrowStatement)
        o.type = "ThrowStatement"
        o.argument = T[a.kind_id](a)
        return fin(o, n.start_byte, semicolon_end(n, ch))

    def c_labeled(n: Node) -> Any:
        ch = clean(n.children)
        o = new(E.LabeledStatement)
        o.type = "LabeledStatement"
        o.label = c_identifier(ch[0])
        o.body = statement(ch[2])
        return fin(o, n.start_byte, end_of(n))

    # ---- modules -------------------------------------------------------------------------
    def module_name(c: Node) -> Any:
        if c.kind_id == _DEFAULT:
            return ident(c.start_byte, c.end_byte, "default")
        return X(c)

    def attributes_of(c: Node) -> list[Any]:
        out = []
        for pair in inner(c).named_children:
            if pair.kind_id in _COMMENTS:
                continue
            pc = clean(pair.children)
            attr = EsprimaObject()
            key = pc[0]
            attr.key = c_identifier(key) if key.kind_id not in _STRINGS else c_string(key)
            attr.value = X(pc[2])
            out.append(attr)
        return out

    def c_import_statement(n: Node) -> Any:
        ch = clean(n.children)
        specifiers: list[Any] = []
        source = None
        attributes = None
        for c in ch[1:]:
            k = c.kind_id
            if k in _IMPORT_CLAUSE:
                for s in clean(c.named_children):
                    sk = s.kind_id
                    if sk in _IDENTS:
                        d = new(E.ImportDefaultSpecifier)
                        d.type = "ImportDefaultSpecifier"
                        d.local = c_identifier(s)
                        specifiers.append(fin(d, s.start_byte, s.end_byte))
                    elif sk in _NAMESPACE_IMPORT:
                        d = new(E.ImportNamespaceSpecifier)
                        d.type = "ImportNamespaceSpecifier"
                        d.local = c_identifier(inner(s))
                        specifiers.append(fin(d, s.start_byte, s.end_byte))
                    elif sk in _NAMED_IMPORTS:
                        for spec in clean(s.named_children):
                            parts = [x for x in clean(spec.children) if x.kind_id != _AS]
                            imported = module_name(parts[0])
                            local = c_identifier(parts[1]) if len(parts) > 1 else imported
                            d = new(E.ImportSpecifier)
                            d.type = "ImportSpecifier"
                            d.local = local
                            d.imported = imported
                            specifiers.append(fin(d, spec.start_byte, spec.end_byte))
                    else:
                        unsupported(s)
            elif k in _STRINGS:
                source = c_string(c)
            elif k in _IMPORT_ATTRIBUTE:
                attributes = attributes_of(c)
        o = new(E.ImportDeclaration)
        o.type = "ImportDeclaration"
        o.specifiers = specifiers
        o.source = source
        if attributes is not None:
            o.attributes = attributes
        return fin(o, n.start_byte, semicolon_end(n, ch))

    def export_specifiers(c: Node) -> list[Any]:
        out = []
        for spec in clean(c.named_children):
            parts = [x for x in clean(spec.children) if x.kind_id != _AS]
            local = module_name(parts[0])
            exported = module_name(parts[1]) if len(parts) > 1 else local
            d = new(E.ExportSpecifier)
            d.type = "ExportSpecifier"
            d.exported = exported
            d.local = local
            out.append(fin(d, spec.start_byte, spec.end_byte))
        return out

    def c_export_statement(n: Node) -> Any:
        ch = clean(n.children)
        sb = n.start_byte
        second = ch[1]
        k = second.kind_id
        if k == _DEFAULT:
            value = ch[2]
            vk = value.kind_id
            # esprima reads a function, a class or anything starting with `async` as a
            # declaration and leaves a `;` after it to an EmptyStatement of its own
            bare = vk in _FUNCTION_VALUES or vk in _CLASS_VALUES or \
                code.startswith("async", value.start_byte)
            if vk in _FUNCTION_VALUES:
                decl = function_node(value, True)
            elif vk in _CLASS_VALUES:
                decl = class_node(value, True)
            else:
                decl = X(value)
            eb = value.end_byte if bare or vk in _STATEMENTS else semicolon_end(n, ch)
            o = new(E.ExportDefaultDeclaration)
            o.type = "ExportDefaultDeclaration"
            o.declaration = decl
            fin(o, sb, eb)
            last = ch[-1]
            if bare and last.kind_id == _SEMI:
                empty = new(E.EmptyStatement)
                empty.type = "EmptyStatement"
                return [o, fin(empty, last.start_byte, last.end_byte)]
            return o
        source = None
        attributes = None
        for c in ch:
            ck = c.kind_id
            if ck in _STRINGS:
                source = c_string(c)
            elif ck in _IMPORT_ATTRIBUTE:
                attributes = attributes_of(c)
        if k == _STAR or k in _NAMESPACE_EXPORT:
            o = new(E.ExportAllDeclaration)
            o.type = "ExportAllDeclaration"
            o.source = source
            if k != _STAR:
                parts = [x for x in clean(second.children) if x.kind_id not in (_STAR, _AS)]
                o.exported = module_name(parts[0])
            if attributes is not None:
                o.attributes = attributes
            return fin(o, sb, semicolon_end(n, ch))
        o = new(E.ExportNamedDeclaration)
        o.type = "ExportNamedDeclaration"
        if k in _EXPORT_CLAUSE:
            o.declaration = None
            o.specifiers = export_specifiers(second)
            o.source = source
            if attributes is not None:
                o.attributes = attributes
            return fin(o, sb, semicolon_end(n, ch))
        o.declaration = X(second)
        o.specifiers = []
        o.source = None
        return fin(o, sb, end_of(second))

    # ---- the dispatch tables (module data: kind -> converter name) ------------------------
    scope = locals()
    T.extend([unsupported] * _KIND_COUNT)
    M: list[Callable[[Node], Any]] = [unsupported] * _KIND_COUNT  # class members
    for table, entries in ((T, _DISPATCH), (M, _MEMBERS)):
        for ids, name in entries:
            fn = scope[name]
            for i in ids:
                table[i] = fn

    # ---- one source ----------------------------------------------------------------------
    def run(source: str, image: bytes, as_module: bool, parser: tree_sitter.Parser
            ) -> tuple[Any, tuple[str, ...]]:
        nonlocal code, data, module, root, line_starts, LN, fix
        nonlocal fget, mlt, size, any_error, messages, broken, names, one_name
        if not source:
            return _empty_program(as_module), ()
        code, data, module = source, image, as_module
        # no reference to the Tree itself: the root node's wrapper holds it, and when the
        # last wrapper goes, so does the tree (before `drain` parses the deferred bodies)
        root = parser.parse(data).root_node
        line_starts = [0]
        at = data.find(b"\n")
        while at >= 0:
            line_starts.append(at + 1)
            at = data.find(b"\n", at + 1)
        LN = Lines(line_starts)
        size = len(data)
        fix = {}
        fget = fix.get
        mlt = {}
        any_error = root.has_error
        messages = []
        broken = set()
        names = {}
        one_name = names.setdefault
        ctx[0], ctx[1] = module, False
        defer[0] = DEFER_BODY if len(data) > DEFER_SOURCE else 0
        try:
            result = convert()
            root = None
            drain(parser)
            return result
        finally:  # let the source, its image and its positions go
            code, data, root = "", b"", None
            pending.clear()
            line_starts, fix, mlt = [0], {}, {}
            LN = Lines(line_starts)
            fget = fix.get
            messages, broken = [], set()
            names = {}
            one_name = names.setdefault

    def drain(parser: tree_sitter.Parser) -> None:
        """Convert the function bodies `function_body` deferred, each from a parse of that
        body alone (tree-sitter's `included_ranges`: offsets stay the source's).

        Why: a tree-sitter tree weighs about as much as the ESTree made from it (~280 MB for
        a 5 MB bundle), and both used to be alive at once. The whole tree is gone before
        the first body is parsed; a body's tree lives while that body is converted, and the
        bodies big enough inside it are deferred again. A body whose own parse does not
        have the shape it had in the whole (checked child by child) is converted from a new
        parse of the whole source, without deferring."""
        saved = ctx[0], ctx[1]
        try:
            while pending:
                o, sb, eb, ctx[0], ctx[1], shape = pending.pop()
                parser.included_ranges = [tree_sitter.Range(
                    point(sb), point(eb), sb, eb)]
                try:
                    body = parser.parse(data).root_node
                finally:
                    parser.included_ranges = [_EVERYTHING]
                defer[0] = DEFER_BODY if eb - sb > DEFER_SOURCE else 0
                if body.has_error or not _same_shape(_shape(body.children), shape):
                    defer[0] = 0
                    body = _block_at(parser.parse(data).root_node, sb, eb)
                o.body = statements(body.named_children, True)
                del body  # its tree goes before the next body is parsed
        finally:
            ctx[0], ctx[1] = saved
            defer[0] = 0

    def point(b: int) -> tuple[int, int]:
        line, start = line_at(b)
        return line - 1, b - start

    def convert() -> tuple[Any, tuple[str, ...]]:
        if any_error:
            mark_errors()
        kept: list[tuple[int, int]] = []
        body = statements(root.named_children, True, kept)
        messages.sort()
        recovered = tuple(dict.fromkeys(m for _, m in messages))
        if not body and recovered:
            raise SyntaxError("; ".join(recovered[:3]))
        if body:
            sb = kept[0][0]
            eb = kept[-1][1]
        else:
            sb = eb = _GAP.match(data).end()  # type: ignore[union-attr]
        program = new(E.Module if module else E.Script)
        program.type = "Program"
        program.sourceType = "module" if module else "script"
        program.body = body
        fin(program, sb, eb)
        program.errors = []
        return program, recovered

    return run


def _empty_program(module: bool) -> Any:
    """What esprima returns for empty input: line 0 (its scanner starts there when empty)."""
    program = object.__new__(E.Module if module else E.Script)
    program.type = "Program"
    program.sourceType = "module" if module else "script"
    program.body = []
    program.range = [0, 0]
    loc = object.__new__(SourceLocation)
    for name in ("start", "end"):
        p = object.__new__(Position)
        p.line = 0
        p.column = 0
        p.offset = None
        setattr(loc, name, p)
    loc.source = None
    program.loc = loc
    program.errors = []
    return program
