"""STAGE 3 (analyze): string and template literals scanned in linear time.

esprima2's scanner builds a literal's value one character at a time (`value += ch`), which
CPython cannot always do in place for long strings: a 2 MB string literal took 50 s, a 1 MB one
18 s — a page can stall the analysis with one long string, and skimmer payloads are long strings.
`install()` replaces the two scanner methods with versions that take every run of plain
characters in one regex match and join the pieces once. Escapes, octal escapes, line
continuations and errors are handled as the original does (same helpers, same messages), so the
tokens — value, `octal`, line bookkeeping, ranges — are identical; tests compare both on every
kind of literal.

Installed once, when `parse.py` is imported (esprima's Scanner is a class of a library we
pin; the patch is idempotent and `original` keeps the replaced methods for the tests).
"""

from __future__ import annotations

import re
from typing import Any

from esprima.character import Character
from esprima.messages import Messages
from esprima.scanner import RawToken, Scanner
from esprima.token import Token

_TERMINATORS = "\n\r\u2028\u2029"
#: a run of characters that stand for themselves in a quoted string
_PLAIN = {q: re.compile(f"[^{q}\\\\{_TERMINATORS}]+") for q in ("'", '"')}
#: the same in a template (which ends at ` or ${, and keeps line terminators)
_PLAIN_TEMPLATE = re.compile(f"[^`$\\\\{_TERMINATORS}]+")
_SIMPLE = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "v": "\x0b"}

original: dict[str, Any] = {}


def _line_continuation(self: Any, ch: str) -> None:
    self.lineNumber += 1
    if ch == "\r" and self.source[self.index] == "\n":
        self.index += 1
    self.lineStart = self.index


def _take_plain(self: Any, plain: re.Pattern[str], parts: list[str]) -> bool:
    """Take the run of plain characters at the scanner's position in one match; False when
    the source ends with it (the literal is unterminated)."""
    run = plain.match(self.source, self.index, self.length)
    if run:
        parts.append(run.group())
        self.index = run.end()
    return not self.eof()


def scan_string_literal(self: Any) -> RawToken:
    start = self.index
    quote = self.source[start]
    assert quote in ("'", '"'), "String literal must starts with a quote"
    self.index += 1
    octal = False
    parts: list[str] = []
    plain, source = _PLAIN[quote], self.source
    while not self.eof():
        if not _take_plain(self, plain, parts):
            break
        ch = source[self.index]
        self.index += 1
        if ch == quote:
            quote = ""
            break
        if ch == "\\":
            ch = source[self.index]
            self.index += 1
            if ch and Character.isLineTerminator(ch):
                _line_continuation(self, ch)
            elif ch == "u":
                if source[self.index] == "{":
                    self.index += 1
                    parts.append(self.scanUnicodeCodePointEscape())
                else:
                    unescaped = self.scanHexEscape(ch)
                    if not unescaped:
                        self.throwUnexpectedToken()
                    parts.append(unescaped)
            elif ch == "x":
                unescaped = self.scanHexEscape(ch)
                if not unescaped:
                    self.throwUnexpectedToken(Messages.InvalidHexEscapeSequence)
                parts.append(unescaped)
            elif ch in _SIMPLE:
                parts.append(_SIMPLE[ch])
            elif ch in ("8", "9"):
                parts.append(ch)
                self.tolerateUnexpectedToken()
            elif ch and Character.isOctalDigit(ch):
                decoded = self.octalToDecimal(ch)
                octal = decoded.octal or octal
                parts.append(chr(decoded.code))
            else:
                parts.append(ch)
        elif Character.isLineTerminator(ch):
            break
        else:
            parts.append(ch)
    if quote != "":
        self.index = start
        self.throwUnexpectedToken()
    return RawToken(type=Token.StringLiteral, value="".join(parts), octal=octal,
                    lineNumber=self.lineNumber, lineStart=self.lineStart, start=start,
                    end=self.index)


def scan_template(self: Any) -> RawToken:
    parts: list[str] = []
    terminated = False
    start = self.index
    head = self.source[start] == "`"
    tail = False
    raw_offset = 2
    self.index += 1
    source = self.source
    while not self.eof():
        if not _take_plain(self, _PLAIN_TEMPLATE, parts):
            break
        ch = source[self.index]
        self.index += 1
        if ch == "`":
            raw_offset = 1
            tail = terminated = True
            break
        if ch == "$":
            if source[self.index] == "{":
                self.curlyStack.append("${")
                self.index += 1
                terminated = True
                break
            parts.append(ch)
        elif ch == "\\":
            ch = source[self.index]
            self.index += 1
            if Character.isLineTerminator(ch):
                _line_continuation(self, ch)
            elif ch in ("n", "r", "t", "b", "f", "v"):
                parts.append(_SIMPLE[ch])
            elif ch == "u":
                if source[self.index] == "{":
                    self.index += 1
                    parts.append(self.scanUnicodeCodePointEscape())
                else:
                    restore = self.index
                    unescaped = self.scanHexEscape(ch)
                    if unescaped:
                        parts.append(unescaped)
                    else:
                        self.index = restore
                        parts.append(ch)
            elif ch == "x":
                unescaped = self.scanHexEscape(ch)
                if not unescaped:
                    self.throwUnexpectedToken(Messages.InvalidHexEscapeSequence)
                parts.append(unescaped)
            elif ch == "0":
                if Character.isDecimalDigit(source[self.index]):
                    self.throwUnexpectedToken(Messages.TemplateOctalLiteral)
                parts.append("\0")
            elif Character.isOctalDigit(ch):
                self.throwUnexpectedToken(Messages.TemplateOctalLiteral)
            else:
                parts.append(ch)
        elif Character.isLineTerminator(ch):
            _line_continuation(self, ch)
            parts.append("\n")
        else:
            parts.append(ch)
    if not terminated:
        self.throwUnexpectedToken()
    if not head and self.curlyStack:
        self.curlyStack.pop()
    return RawToken(type=Token.Template, value=source[start + 1:self.index - raw_offset],
                    cooked="".join(parts), head=head, tail=tail, lineNumber=self.lineNumber,
                    lineStart=self.lineStart, start=start, end=self.index)


def install() -> None:
    """Replace esprima's literal scanners (once)."""
    if original:
        return
    original["scanStringLiteral"] = Scanner.scanStringLiteral
    original["scanTemplate"] = Scanner.scanTemplate
    Scanner.scanStringLiteral = scan_string_literal
    Scanner.scanTemplate = scan_template
