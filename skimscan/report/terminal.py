"""STAGE 5 (report): strings from scanned data, made safe to print on a terminal.

File names, URLs, `<script src>` values, redirect targets, messages built from them: all come
from whoever wrote the page or the file. Printed raw, an ESC sequence among them can clear the
screen, fake the summary line or write the clipboard (OSC 52), and a bidi override can make
text read backwards. Every such string goes through `printable` before it reaches a terminal
or a log: control and format characters become visible escapes (`\\x1b`, `\\u202e`).
"""

from __future__ import annotations

import re

_LINE_END = re.compile(r"(\r?\n)")


def printable(text: str) -> str:
    """`text` with every non-printable character (controls, format characters such as bidi
    overrides, separators other than the space) replaced by its visible escape."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii")
                   for ch in text)


def printable_lines(text: str) -> str:
    """`printable` line by line: a text report (Markdown, CSV, a diff) keeps its line breaks
    (`\n` or CSV's `\r\n`), and nothing else that could move the cursor."""
    parts = _LINE_END.split(text)  # text, end, text, end, …, text
    return "".join(part if i % 2 else printable(part) for i, part in enumerate(parts))
