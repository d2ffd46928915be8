"""STAGE 3 (analyze): find the canary card in data a page sent, in whatever encoding hid it.

`find_canary(canary, data)` looks for the scan's test card number in one request URL, header,
body, WebSocket frame, message or stored value, and says how it was encoded:

- the data is peeled into *layers*, breadth first: URL-encoding (`%xx`), escapes (JSON `\\uXXXX`,
  JavaScript `\\xXX`, HTML `&#…;`), base64 runs (standard, URL-safe, with or without padding),
  base32 runs (upper or lower case, as in DNS labels), hex runs (plain or separated, or with
  each byte's nibbles swapped), lists of character codes (`52,49,49,…`, `0x34 0x31 …`), and the
  whole text reversed. Layers nest (`base64 > base64`, `url-encoded > base64 > xor(0x2a)`).
- in every layer the PAN is looked for plain, with separators between digits (`4111 11…`,
  `4111-11…`), reversed, as the digits of the text (`4a1b1c…`), XORed with any repeating key
  of up to `MAX_XOR_KEY` bytes (a key-free difference signature — byte i XOR byte i+period —
  finds every key of one period in one pass; the key is then read off the known number), or
  with such a key and the byte's position as well (`b ^ KEY[i % n] ^ i`, a counting stream), as
  character codes in base 8, 10, 16 or 36 moved by a constant (`(c + 17).toString(36)`), as
  base64 in a shuffled alphabet (the characters that encode the number alone have a fixed
  pattern of repeats whatever the alphabet: a window with the same pattern is the number under
  a substitution), and, when the whole number is absent, as a partial number (the first 6
  digits and the last 4 close together).

Each `Match` names the encoding (`"plain"`, `"url-encoded > base64"`, `"hex > xor(0x5a)"`), the
other canary parts seen in the same decoded text (`cvv`, `expiry`, `name`), and an excerpt of
the decoded text around the match with the number masked (first 6 + last 4) and the CVV hidden.

Invariants: pure functions (no I/O, nothing executed); bounded work (depth, number of layers,
characters decoded), so hostile data costs at most a few megabytes of decoding; never raises
on any input; excerpts never hold the full number or the CVV.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from urllib.parse import unquote_to_bytes

from skimscan.models import Canary

__all__ = ["Match", "find_canary", "mask_digits"]

MAX_DEPTH = 4  # layers of encoding peeled, counting from the raw data
MAX_LAYERS = 300  # decoded layers examined per call
MAX_CHARS = 6_000_000  # characters examined per call, all layers together
MAX_LAYER_CHARS = 2_000_000  # a single layer longer than this is cut
MAX_RUNS = 64  # candidate runs (char codes, hex; twice as many base64) decoded per layer
MAX_MATCHES = 12
MAX_XOR_KEY = 8  # bytes of a repeating XOR key recovered from the known card number
EXCERPT = 40  # characters either side of a match

_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_ESCAPE = re.compile(
    r"\\u\{[0-9A-Fa-f]{1,6}\}|\\u[0-9A-Fa-f]{4}|\\x[0-9A-Fa-f]{2}|&#[xX][0-9A-Fa-f]{1,6};"
    r"|&#[0-9]{1,7};|\\[/\"'\\]"
)
_B64_RUN = re.compile(r"[A-Za-z0-9+/_\-]{16,}={0,2}")
#: base32 (RFC 4648 letters and 2-7) in one case: kits lower-case it for DNS labels
_B32_RUN = re.compile(r"[a-z2-7]{16,}|[A-Z2-7]{16,}")
_HEX_RUN = re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{20,}(?![0-9A-Fa-f])")
_HEX_SEP_RUN = re.compile(
    r"(?<![0-9A-Fa-f])(?:[0-9A-Fa-f]{2}[\s:,\-]){9,}[0-9A-Fa-f]{2}(?![0-9A-Fa-f])"
)
_CODES_RUN = re.compile(
    r"(?<![\w.])(?:(?:0[xX][0-9A-Fa-f]{1,6}|\d{1,7})\s*[,;|\s]\s*){7,}"
    r"(?:0[xX][0-9A-Fa-f]{1,6}|\d{1,7})(?![\w.])"
)
_CODE = re.compile(r"0[xX][0-9A-Fa-f]{1,6}|\d{1,7}")
_DIGIT_RUN = re.compile(r"(?<!\d)\d{13,19}(?!\d)")
#: a run that may be base64 in a custom alphabet (kits shuffle the 64 symbols and add - _ .)
_ALPHABET_RUN = re.compile(r"[A-Za-z0-9+/_\-.~!*$]{24,}")
MAX_ALPHABET_RUN = 20_000
_DIGITS = re.compile(r"\d+")
_NOT_DIGIT = re.compile(r"\D")
_ONE_DIGIT = re.compile(r"\d")
_SEPARATOR = r"(?:[\s\-./_,:|+*]|%20){0,3}"
_NON_PRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffd]")

#: add(how, start, end, shown, source): a match found in `source` at [start, end)
_Add = Callable[[str | None, int, int, str, str], None]


@dataclass(frozen=True, slots=True)
class Match:
    """The canary found in one piece of data."""

    encoding: str  # how it was hidden, outermost first: "plain", "base64 > xor(0x2a)"
    excerpt_masked: str  # decoded text around it, number masked, CVV hidden
    field: str = "pan"  # "pan" (the whole number) or "partial-pan" (first 6 + last 4)
    fields: tuple[str, ...] = ()  # other canary parts in the same decoded text
    layers: tuple[str, ...] = ()  # the decoding steps alone (the encoding without the matcher)

    @property
    def is_full(self) -> bool:
        return self.field == "pan"


@dataclass(frozen=True, slots=True)
class _Layer:
    text: str
    path: tuple[str, ...] = ()


@dataclass
class _Budget:
    layers: int = MAX_LAYERS
    chars: int = MAX_CHARS
    seen: set[bytes] = field(default_factory=set)

    def admit(self, text: str) -> bool:
        """Count a layer against the budget; False when spent or already examined."""
        if self.layers <= 0 or self.chars <= 0 or not text:
            return False
        digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=12).digest()
        if digest in self.seen:
            return False
        self.seen.add(digest)
        self.layers -= 1
        self.chars -= len(text)
        return True


def mask_digits(text: str) -> str:
    """Keep the first 6 and last 4 digits of anything that looks like a card number."""
    return _DIGIT_RUN.sub(
        lambda m: f"{m[0][:6]}{'*' * (len(m[0]) - 10)}{m[0][-4:]}", text
    )


def _to_text(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _texty(text: str) -> bool:
    """Mostly printable: worth decoding further (binary is only searched, XOR included)."""
    sample = text[:4096]
    if not sample:
        return False
    return len(_NON_PRINTABLE.findall(sample)) <= len(sample) * 0.1


# --------------------------------------------------------------------------- decoders


def _decode_url(text: str) -> str | None:
    if not _PERCENT.search(text):
        return None
    try:
        return _to_text(unquote_to_bytes(text))
    except (ValueError, TypeError):
        return None


def _unescape_one(m: re.Match[str]) -> str:
    token = m[0]
    try:
        if token.startswith("\\u{"):
            return chr(int(token[3:-1], 16))
        if token.startswith(("\\u", "\\x")):
            return chr(int(token[2:], 16))
        if token.startswith(("&#x", "&#X")):
            return chr(int(token[3:-1], 16))
        if token.startswith("&#"):
            return chr(int(token[2:-1]))
    except (ValueError, OverflowError):
        return token
    return token[1:]  # \/ \" \' \\


def _decode_escapes(text: str) -> tuple[str, str] | None:
    if not _ESCAPE.search(text):
        return None
    if "\\x" in text and "\\u" not in text:
        label = "JS hex escapes"
    elif "&#" in text and "\\u" not in text:
        label = "HTML entities"
    else:
        label = "JSON-escaped"
    decoded = _ESCAPE.sub(_unescape_one, text)
    return (decoded, label) if decoded != text else None


def b64_candidates(run: str) -> Iterator[tuple[bytes, str]]:
    """Decodings of one base64-looking run: as it stands, and (for long runs whose decoding
    is binary) shifted by 1-3 characters, for base64 glued to a preceding word."""
    body = run.rstrip("=")
    if len(body) < 16 or body.isdigit():
        return
    urlsafe = "-" in body or "_" in body
    if urlsafe and ("+" in body or "/" in body):
        return
    label = "base64url" if urlsafe else "base64"
    if len(body) == len(run) and len(body) % 4 != 0:
        label += " (unpadded)"
    decode = base64.urlsafe_b64decode if urlsafe else base64.b64decode
    for offset in range(4) if len(body) >= 24 else range(1):
        part = body[offset:]
        part = part[:-1] if len(part) % 4 == 1 else part
        try:
            raw = decode(part + "=" * (-len(part) % 4))
        except (binascii.Error, ValueError):
            continue
        texty = _texty(_to_text(raw))
        if offset == 0 or texty:
            yield raw, label
        if texty:
            return


def b32_candidates(run: str) -> Iterator[bytes]:
    """Readable decodings of one base32-looking run: as it stands, or without a first
    character glued to it (`0mfrgg…`, a label's index); the end is cut to a whole length."""
    for offset in (0, 1):
        part = run[offset:].upper()
        while len(part) % 8 in (1, 3, 6):
            part = part[:-1]
        try:
            raw = base64.b32decode(part + "=" * (-len(part) % 8))
        except (binascii.Error, ValueError):
            continue
        if _texty(_to_text(raw)):
            yield raw
            return


def _hex(text: str) -> str | None:
    try:
        return _to_text(bytes.fromhex(text))
    except ValueError:
        return None


def _decode_runs(text: str) -> Iterator[tuple[str, str]]:
    """Layers from runs inside the text: char-code lists, hex, base64 (bounded)."""
    runs = 0
    for m in _CODES_RUN.finditer(text):
        values = [int(t, 16) if t[:2].lower() == "0x" else int(t) for t in _CODE.findall(m[0])]
        if all(0 <= v <= 0x10FFFF for v in values) and max(values) >= 32:
            runs += 1
            yield "".join(chr(v) for v in values if not 0xD800 <= v <= 0xDFFF), "char codes"
        if runs >= MAX_RUNS:
            return
    hex_runs = [re.sub(r"[\s:,\-]", "", m[0]) for m in _HEX_SEP_RUN.finditer(text)]
    hex_runs += [m[0][: len(m[0]) // 2 * 2] for m in _HEX_RUN.finditer(text)]
    for run in hex_runs:
        decoded = _hex(run)
        if decoded is None:
            continue
        runs += 1
        yield decoded, "hex"  # binary too: the XOR search reads it
        if not _texty(decoded):
            swapped = _hex("".join(run[i + 1] + run[i] for i in range(0, len(run) - 1, 2)))
            if swapped is not None and _texty(swapped):
                runs += 1
                yield swapped, "hex (nibbles swapped)"
        if runs >= MAX_RUNS:
            return
    for m in _B64_RUN.finditer(text):
        # "/" is base64, and a URL's path separator: a path segment is a run of its own too
        pieces = [m[0], *(p for p in m[0].split("/") if len(p) >= 16)] if "/" in m[0] \
            else [m[0]]
        for piece in pieces:
            for raw, label in b64_candidates(piece):
                runs += 1
                yield _to_text(raw), label
        if runs >= MAX_RUNS * 2:
            return
    for m in _B32_RUN.finditer(text):
        if m[0].isdigit():
            continue
        for raw in b32_candidates(m[0]):
            runs += 1
            yield _to_text(raw), "base32"
        if runs >= MAX_RUNS * 3:
            return


def _children(layer: _Layer) -> Iterator[_Layer]:
    text, path = layer.text, layer.path
    url = _decode_url(text)
    if url is not None:
        yield _Layer(url, (*path, "url-encoded"))
    escaped = _decode_escapes(text)
    if escaped is not None:
        yield _Layer(escaped[0], (*path, escaped[1]))
    if url is None:  # else the URL-decoded layer has the same runs, whole
        for decoded, label in _decode_runs(text):
            yield _Layer(decoded, (*path, label))
    if "reversed" not in path and len(path) <= 1 and len(text) <= 200_000:
        yield _Layer(text[::-1], (*path, "reversed"))


# --------------------------------------------------------------------------- matchers


def _xor_signature(data: bytes, period: int = 1) -> bytes:
    """b[i] ^ b[i+period] for every i: the same whatever key of that period the data was
    XORed with (the key cancels out)."""
    n = len(data)
    if n <= period:
        return b""
    value = int.from_bytes(data, "big")
    low = value & ((1 << (8 * (n - period))) - 1)
    return ((value >> (8 * period)) ^ low).to_bytes(n - period, "big")


#: numbers (up to 4 digits of base 36) with one separator, repeated: codes written out
_TOKEN_RUN = re.compile(
    r"[0-9A-Za-z]{1,4}([.,;:|_\-\s])(?:[0-9A-Za-z]{1,4}\1){10,}[0-9A-Za-z]{1,4}")
_RADIXES = (10, 16, 36, 8)


def _find_run(values: list[int], wanted: list[int]) -> int:
    """Where `wanted` occurs in `values` as a contiguous run, or -1."""
    n = len(wanted)
    first = wanted[0]
    for i in range(len(values) - n + 1):
        if values[i] == first and values[i:i + n] == wanted:
            return i
    return -1


_INDEX = bytes(range(256))


def _xor_index(data: bytes) -> bytes:
    """Each byte XORed with its position (mod 256): undoes a key stream that counts."""
    n = len(data)
    counter = (_INDEX * (n // 256 + 1))[:n]
    return (int.from_bytes(data, "big") ^ int.from_bytes(counter, "big")).to_bytes(n, "big")


def _b64_interiors(data: bytes) -> list[str]:
    """For each of the 3 alignments of `data` in a base64 stream, the base64 characters that
    encode bits of `data` alone (not of its neighbours)."""
    out = []
    for lead in range(3):
        encoded = base64.b64encode(b"\0" * lead + data + b"\0\0").decode()
        first = -(-8 * lead // 6)  # the first character starting inside `data`
        last = (8 * (lead + len(data))) // 6  # characters before this one end inside it
        out.append(encoded[first:last])
    return out


def _shape(text: str) -> tuple[int, ...]:
    """Each character as the index of its first occurrence: equal for two strings exactly
    when one is the other under a one-to-one substitution."""
    first: dict[str, int] = {}
    return tuple(first.setdefault(c, i) for i, c in enumerate(text))


def _shape_pattern(shape: tuple[int, ...]) -> re.Pattern[str]:
    """A regex for windows with `shape`: a new symbol is a group unlike every earlier one, a
    repeat is a back-reference (the regex engine scans in C, not a loop in Python)."""
    parts: list[str] = []
    groups: dict[int, int] = {}
    for i, first in enumerate(shape):
        if first == i:
            earlier = "|".join(f"\\{g}" for g in groups.values())
            parts.append((f"(?!{earlier})" if earlier else "") + r"([A-Za-z0-9+/_\-.~!*$])")
            groups[i] = len(groups) + 1
        else:
            parts.append(f"\\{groups[first]}")
    return re.compile("".join(parts))


def _differences(a: str, b: str) -> int:
    return sum(1 for x, y in zip(a, b, strict=False) if x != y)


def _caesar(window: str, plain: str) -> int | None:
    """n (1-25) when `window` is `plain` with every letter shifted by n within its case and
    everything else unchanged; else None."""
    shift: int | None = None
    for w, p in zip(window, plain, strict=True):
        if not p.isascii() or not p.isalpha():
            if w != p:
                return None
            continue
        if not (w.isascii() and w.isalpha()) or w.isupper() != p.isupper():
            return None
        n = (ord(w) - ord(p)) % 26
        if shift is None:
            shift = n
        elif n != shift:
            return None
    return shift or None


def _rotate(text: str, n: int) -> str:
    """Every ASCII letter shifted by n within its case."""
    n %= 26
    lower, upper = "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return text.translate(str.maketrans(lower + upper, lower[n:] + lower[:n]
                                        + upper[n:] + upper[:n]))


def _bounded(text: str, start: int, end: int) -> bool:
    """No digit right before or after [start, end): the number stands on its own."""
    return not (start > 0 and text[start - 1].isdigit()) and not (
        end < len(text) and text[end].isdigit()
    )


class _Finder:
    """The canary's patterns, compiled once per search."""

    def __init__(self, canary: Canary) -> None:
        self.canary = canary
        pan = canary.pan
        self.pan = pan
        self.plain = re.compile(r"(?<!\d)" + pan + r"(?!\d)")
        self.backwards = re.compile(r"(?<!\d)" + pan[::-1] + r"(?!\d)")
        self.separated = re.compile(
            r"(?<!\d)" + _SEPARATOR.join(re.escape(d) for d in pan) + r"(?!\d)"
        )
        self.bin = re.compile(r"(?<!\d)" + r"[\s\-]?".join(canary.bin) + r"(?!\d)")
        self.last4 = re.compile(r"(?<!\d)" + canary.last4 + r"(?!\d)")
        self.steps = [ord(b) - ord(a) for a, b in pairwise(pan)]
        self.signatures = [(period, _xor_signature(pan.encode("ascii"), period))
                           for period in range(1, min(MAX_XOR_KEY, len(pan) // 2) + 1)]
        self.shapes = [(_shape_pattern(_shape(p)), {p, p.replace("+", "-").replace("/", "_")})
                       for p in _b64_interiors(pan.encode("ascii"))]
        self.cvv = re.compile(r"(?<!\d)" + canary.cvv + r"(?!\d)")
        yy, yyyy, mm = canary.exp_year[-2:], canary.exp_year, canary.exp_month
        self.expiry = re.compile(
            rf"(?<!\d)(?:{mm}\s*[/\-.]?\s*(?:{yyyy}|{yy})|{yyyy}\s*[/\-.]\s*{mm})(?!\d)"
        )
        name = canary.name.lower()
        self.names = (name, name.replace(" ", "+"), name.replace(" ", "%20"))

    def fields(self, text: str) -> tuple[str, ...]:
        """Other canary parts in the same decoded text."""
        found = []
        if self.cvv.search(text):
            found.append("cvv")
        if self.expiry.search(text):
            found.append("expiry")
        lower = text.lower()
        if any(n in lower for n in self.names):
            found.append("name")
        return tuple(found)

    def _clean(self, text: str) -> str:
        text = _NON_PRINTABLE.sub(".", text).replace("\n", " ").replace("\t", " ")
        # Whole card numbers masked; pieces of the canary cut by the window edges too.
        text = _DIGITS.sub(
            lambda m: "*" * len(m[0]) if len(m[0]) >= 7 and m[0] in self.pan else m[0],
            mask_digits(text),
        )
        return self.cvv.sub("***", text)

    def excerpt(self, text: str, start: int, end: int, shown: str) -> str:
        lo, hi = max(0, start - EXCERPT), min(len(text), end + EXCERPT)
        return (("…" if lo > 0 else "") + self._clean(text[lo:start]) + shown
                + self._clean(text[end:hi]) + ("…" if hi < len(text) else ""))

    def search(self, layer: _Layer) -> list[Match]:
        """The canary in one layer: full number first; the partial number only without it."""
        text, path = layer.text, layer.path
        masked = self.canary.masked_pan
        out: list[Match] = []

        def add(how: str | None, start: int, end: int, shown: str, source: str) -> None:
            steps = (*path, how) if how else path
            out.append(Match(
                encoding=" > ".join(steps) if steps else "plain",
                excerpt_masked=self.excerpt(source, start, end, shown),
                fields=self.fields(source), layers=path,
            ))

        m = self.plain.search(text)
        if m:
            add(None, m.start(), m.end(), masked, text)
        else:
            m = self.separated.search(text)
            if m:
                add("with separators", m.start(), m.end(), masked, text)
        m = self.backwards.search(text) if "reversed" not in path else None
        if m:
            add("reversed", m.start(), m.end(), masked[::-1], text)
        if not out:
            self._digits_only(text, add)
        if not out:
            self._xor(text, add)
        if not out:
            self._shifted_codes(text, add)
        if not out and not path:
            self._substituted_base64(text, add)
        if not out:
            self._partial(layer, out)
        return out

    def _substitutions(self, text: str) -> Iterator[tuple[re.Match[str], str, str]]:
        """(alphabet run, window, the plain base64 it stands for) for every run holding the
        card's base64 under a one-to-one substitution other than none."""
        for m in _ALPHABET_RUN.finditer(text[:MAX_LAYER_CHARS]):
            run = m[0][:MAX_ALPHABET_RUN]
            if len(set(run)) < 16:
                continue
            for shape, plain in self.shapes:
                found = shape.search(run)
                if found and found[0] not in plain:  # else ordinary base64: found as such
                    yield m, found[0], min(plain, key=lambda p: _differences(p, found[0]))
                    break

    def rotations(self, layer: _Layer) -> Iterator[_Layer]:
        """The layer with its letters turned back, where the card's base64 sits in it under a
        Caesar shift of the letters (ROT13, ROT-n; digits and symbols unchanged): a layer of
        its own, so the base64 under it decodes whole (and the other card parts are seen)."""
        if any(step.startswith("ROT") for step in layer.path):
            return
        shifts = {n for _m, window, plain in self._substitutions(layer.text)
                  if (n := _caesar(window, plain))}
        for n in sorted(shifts):
            yield _Layer(_rotate(layer.text, 26 - n), (*layer.path, f"ROT{n}" if n == 13
                                                        else f"ROT-{n}"))

    def _substituted_base64(self, text: str, add: _Add) -> None:
        for m, window, plain in self._substitutions(text):
            if _caesar(window, plain):
                continue  # a rotation: decoded as a layer of its own (`rotations`)
            found = re.search(re.escape(window), m[0])
            if found:
                start = m.start() + found.start()
                add("base64 (substituted alphabet)", start, m.start() + found.end(),
                    self.canary.masked_pan, text)
                return

    def _digits_only(self, text: str, add: _Add) -> None:
        at = _NOT_DIGIT.sub("", text).find(self.pan)
        if at < 0:
            return
        positions = [m.start() for m in _ONE_DIGIT.finditer(text)]
        start, end = positions[at], positions[at + len(self.pan) - 1] + 1
        if _bounded(text, start, end):  # not inside a longer number
            add("digits only", start, end, self.canary.masked_pan, text)

    def _xor(self, text: str, add: _Add) -> None:
        if len(text) < len(self.pan):
            return
        raw = text.encode("latin-1", "replace")
        if not self._xor_bytes(raw, add, ""):
            # A key stream that also counts (`b ^ KEY[i % n] ^ i`): take the position out
            # first, and what is left is a repeating key, or none.
            self._xor_bytes(_xor_index(raw), add, "xor(index) > ")

    def _xor_bytes(self, raw: bytes, add: _Add, label: str) -> bool:
        """The number under a repeating-key XOR of `raw` (with `label`, under the counter as
        well, where a zero key means the counter alone); True when found."""
        pan = self.pan.encode("ascii")
        if label:
            plain = raw.decode("latin-1")
            if m := self.plain.search(plain):
                add(label.rstrip(" >"), m.start(), m.end(), self.canary.masked_pan, plain)
                return True
        for period, wanted in self.signatures:
            signature = _xor_signature(raw, period)
            at = signature.find(wanted)
            while at >= 0:
                key = bytes(raw[at + j] ^ pan[j] for j in range(period))
                if any(key) and (period == 1 or len(set(key)) > 1):
                    shift = at % period
                    stream = (key[-shift:] + key[:-shift]) if shift else key
                    plain = bytes(b ^ stream[i % period]
                                  for i, b in enumerate(raw)).decode("latin-1")
                    if _bounded(plain, at, at + len(self.pan)):
                        how = (f"xor(0x{key[0]:02x})" if period == 1
                               else f"xor({period}-byte key)")
                        add(label + how, at, at + len(self.pan), self.canary.masked_pan, plain)
                        return True
                at = signature.find(wanted, at + 1)
        return False

    def _shifted_codes(self, text: str, add: _Add) -> None:
        """Character codes written as numbers in base 8, 10, 16 or 36, one separator between
        them, each code moved by the same amount (`(c + 17).toString(36)` joined by dots): the
        differences of the card's own codes, found among the numbers', give the shift."""
        for m in _TOKEN_RUN.finditer(text[:MAX_LAYER_CHARS]):
            tokens = m[0].split(m[1])
            for radix in _RADIXES:
                try:
                    values = [int(t, radix) for t in tokens]
                except ValueError:
                    continue
                steps = [b - a for a, b in pairwise(values)]
                at = _find_run(steps, self.steps)
                if at < 0:
                    continue
                shift = values[at] - ord(self.pan[0])
                if shift == 0 and radix in (10, 16):
                    continue  # plain codes: a layer of their own (`char codes`)
                plain = "".join(chr(v - shift) if 0 <= v - shift < 0x110000 else "?"
                                for v in values)
                how = f"char codes (base {radix}" + (f", shifted by {shift})" if shift else ")")
                add(how, at, at + len(self.pan), self.canary.masked_pan, plain)
                return

    def _partial(self, layer: _Layer, out: list[Match]) -> None:
        text = layer.text
        bins = [(m.start(), m.end()) for m in self.bin.finditer(text)]
        if not bins:
            return
        for m in self.last4.finditer(text):
            for b_start, b_end in bins:
                if 0 <= m.start() - b_end <= 64 or 0 <= b_start - m.end() <= 64:
                    start, end = min(b_start, m.start()), max(b_end, m.end())
                    out.append(Match(
                        encoding=" > ".join(layer.path) if layer.path else "plain",
                        excerpt_masked=self.excerpt(text, start, end, text[start:end]),
                        field="partial-pan", fields=self.fields(text), layers=layer.path,
                    ))
                    return


def _rank(m: Match) -> tuple[int, int, str]:
    depth = 0 if m.encoding == "plain" else len(m.encoding.split(" > "))
    return (0 if m.is_full else 1), depth, m.encoding


def find_canary(canary: Canary, data: bytes | str | None) -> list[Match]:
    """Every way the canary's card number appears in `data` (best first, at most 12).

    A partial match (first 6 + last 4 only) is reported only where no full number was found.
    """
    if not data:
        return []
    finder = _Finder(canary)
    budget = _Budget()
    queue: deque[_Layer] = deque([_Layer(_to_text(data)[:MAX_LAYER_CHARS])])
    found: dict[tuple[str, str], Match] = {}
    while queue and len(found) < MAX_MATCHES:
        layer = queue.popleft()
        if not budget.admit(layer.text):
            continue
        for match in finder.search(layer):
            found.setdefault((match.field, match.encoding), match)
        if len(layer.path) < MAX_DEPTH and (not layer.path or _texty(layer.text)):
            queue.extend(_Layer(c.text[:MAX_LAYER_CHARS], c.path) for c in _children(layer))
            if len(layer.path) <= 1:
                queue.extend(finder.rotations(layer))
    full = [m for m in found.values() if m.is_full]
    chosen = full or list(found.values())
    return sorted(chosen, key=_rank)[:MAX_MATCHES]
