"""STAGE 3 (analyze) — how far static analysis could read a script.

Two later decisions turn on it: `--detonate auto` runs the files static analysis could not read
(detonate/triage.py), and card reads beside a send with no data path between them weigh less
in a script that was read completely (policy/cooccurrence.py): there, the taint analysis saw
every value, so the absence of a path is evidence; in obfuscated code, or code built at run
time, it is not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # analyzer.py uses these measures too
    from skimscan.analyze.analyzer import RawAnalysis

#: Recovered-string techniques that mean the code was encoded on purpose.
_DECODED = frozenset({"decoders", "string-array", "xor"})
#: Obfuscator-style `_0x1a2b` names at or above this count.
_MANY_HEX_NAMES = 8
#: Events a script watching a form listens for.
FORM_EVENTS = frozenset({"keyup", "keydown", "keypress", "input", "change", "blur", "submit",
                         "click", "mousedown", "mouseup", "touchend", "focusout"})


def has_kind(raw: RawAnalysis, *kinds: str) -> bool:
    """A fact of one of these kinds was found."""
    return any(f.kind in kinds for f in raw.facts)


def obfuscated(raw: RawAnalysis) -> bool:
    """Hidden on purpose, not merely minified: obfuscator names, a decoded string array or
    cipher, or a decoding loop static analysis could not undo. (Escapes, char codes, constant
    folding and a constant `Function('return this')` are what locale tables, minifiers and
    bundlers produce; stages static analysis decoded are analysed already.)"""
    if any(measure == "hex-identifiers" and score >= _MANY_HEX_NAMES
           for measure, score, _line, _col in raw.obfuscation):
        return True
    if any(f.kind == "obfuscation" for f in raw.facts):  # e.g. a cipher loop left undecoded
        return True
    return any(tech in _DECODED for _v, _l, tech in raw.recovered)


def unread_code(raw: RawAnalysis) -> bool:
    """Code built at run time that static analysis could not read."""
    return any(f.kind == "dynamic-code" and not f.get("decoded") for f in raw.facts)


def reads_card(raw: RawAnalysis) -> bool:
    """Reads card-like fields, sweeps inputs, serialises a form, or listens on them."""
    if has_kind(raw, "card-read", "input-sweep", "form-serialize"):
        return True
    return any(f.kind == "listener" and f.get("target") in ("card-field", "form", "input")
               for f in raw.facts)


def watches_forms(raw: RawAnalysis) -> bool:
    """Listens for typing, changes, clicks or submits."""
    return any(f.kind == "listener" and f.get("event") in FORM_EVENTS for f in raw.facts)


def read_completely(raw: RawAnalysis) -> bool:
    """Every statement parsed, and nothing left hidden from the data-flow analysis: the
    analysis reads the program deobfuscation rewrote, so code hidden on purpose counts as
    read when the rewrite undid it (every decoder call it found gave its value, it stopped
    at no budget) and nothing is left that it did not undo — no cipher loop left encoded,
    no code built at run time (nor any decoded stage: a stage's data paths cross back into
    the script). Obfuscated code nothing was rewritten in is not read: what hid it is
    unknown."""
    if raw.parse_error is not None or raw.dropped or raw.notes:
        return False
    if has_kind(raw, "dynamic-code", "obfuscation"):  # the latter: a cipher loop left as is
        return False
    measures = {measure for measure, _score, _line, _col in raw.obfuscation}
    if "left-encoded" in measures:
        return False
    return "deobfuscated" in measures or not obfuscated(raw)
