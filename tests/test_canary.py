"""The canary card and the search for it in every encoding a skimmer uses (issue 4)."""

from __future__ import annotations

import base64
import json
import re
import time
import urllib.parse

import pytest

from skimscan.analyze.canary import Match, find_canary, mask_digits
from skimscan.models import CANARY_TEST_PREFIXES, Canary, luhn_check_digit, luhn_valid

CANARY = Canary.generate(seed=7, year=2026)
PAN = CANARY.pan
RECORD = json.dumps({"cc_number": PAN, "cvv": CANARY.cvv, "exp": CANARY.expiry,
                     "name": CANARY.name, "note": "a>b?c"})  # '>' and '?' make base64 use + and /
RECORD += " " * (1 - len(RECORD) % 3 if len(RECORD) % 3 != 1 else 0)  # base64 needs padding


def b64(data: str | bytes, *, urlsafe: bool = False, pad: bool = True) -> str:
    raw = data.encode("latin-1") if isinstance(data, str) else data
    out = (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(raw).decode()
    return out if pad else out.rstrip("=")


def base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if not n:
            return out


def xor(text: str, key: int) -> str:
    return "".join(chr(ord(c) ^ key) for c in text)


def xor_counting(text: str, key: str) -> str:
    """XOR with a repeating key and the byte's position (a counting key stream)."""
    return "".join(chr(ord(c) ^ (ord(key[i % len(key)]) if key else 0) ^ (i & 0xFF))
                   for i, c in enumerate(text))


def xor_key(text: str, key: str) -> str:
    """XOR with a repeating multi-byte key, as skimmers hide their payloads."""
    return "".join(chr(ord(c) ^ ord(key[i % len(key)])) for i, c in enumerate(text))


STD_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
SHUFFLED = "qWeRtYuIoPaSdFgHjKlZxCvBnM9876543210mNbVcXzLkJhGfDsApOiUyTrEwQ-_"


def b64_shuffled(text: str, lead: str = "") -> str:
    """base64 in a kit's own alphabet (a one-to-one substitution of the 64 symbols)."""
    return "".join(SHUFFLED[STD_B64.index(c)] if c in STD_B64 else "."
                   for c in b64(lead + text))


def encodings_of(data: str | bytes) -> list[str]:
    return [m.encoding for m in find_canary(CANARY, data)]


def best(data: str | bytes) -> Match:
    found = find_canary(CANARY, data)
    assert found, "canary not found"
    return found[0]


# ----------------------------------------------------------------------------- the canary


def test_generated_canary_is_a_luhn_valid_test_number() -> None:
    seen = set()
    for seed in range(200):
        canary = Canary.generate(seed=seed, year=2026)
        assert canary.pan.startswith(CANARY_TEST_PREFIXES) and len(canary.pan) == 16
        assert luhn_valid(canary.pan)
        assert 2028 <= int(canary.exp_year) <= 2031 and 1 <= int(canary.exp_month) <= 12
        assert len(canary.cvv) == 3 and canary.email.endswith("@example.com")
        seen.add(canary.pan)
    assert len(seen) == 200  # unique per scan
    assert Canary.generate().pan != Canary.generate().pan


def test_luhn() -> None:
    assert luhn_valid("4111111111111111") and luhn_valid("4242424242424242")
    assert not luhn_valid("4111111111111112")
    assert luhn_check_digit("411111111111111") == "1"
    assert luhn_check_digit("7992739871") == "3"


def test_only_test_numbers_can_be_canaries() -> None:
    with pytest.raises(ValueError):
        Canary(pan="5555555555554444", exp_month="01", exp_year="2030", cvv="123", name="x")
    with pytest.raises(ValueError):
        Canary(pan="4111111111111112", exp_month="01", exp_year="2030", cvv="123", name="x")
    assert CANARY.masked_pan == PAN[:6] + "******" + PAN[-4:]
    assert CANARY.expiry == f"{CANARY.exp_month}/{CANARY.exp_year[-2:]}"


# ----------------------------------------------------------------------------- encodings


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (RECORD, "plain"),
        (f"card={PAN[:4]} {PAN[4:8]} {PAN[8:12]} {PAN[12:]}", "with separators"),
        (f"card={PAN[:4]}-{PAN[4:8]}-{PAN[8:12]}-{PAN[12:]}", "with separators"),
        ("".join(f"{d}." for d in PAN), "with separators"),
        ("".join(f"{d}a" for d in PAN), "digits only"),
        ("k=" + urllib.parse.quote(RECORD.replace(PAN, "/".join(PAN)), safe=""),
         "url-encoded > with separators"),
        (b64(RECORD), "base64"),
        (b64(RECORD, urlsafe=True), "base64url"),
        (b64(RECORD, pad=False), "base64 (unpadded)"),
        (b64(RECORD, urlsafe=True, pad=False), "base64url (unpadded)"),
        (b64(b64(RECORD)), "base64 > base64"),
        (b64(b64(RECORD, urlsafe=True, pad=False)), "base64 > base64url (unpadded)"),
        ("d=" + urllib.parse.quote(b64(RECORD)), "url-encoded > base64"),
        (RECORD.encode().hex(), "hex"),
        (":".join(f"{b:02x}" for b in RECORD.encode()), "hex"),
        ("".join(f"\\u{ord(c):04x}" for c in RECORD), "JSON-escaped"),
        ("".join(f"\\x{ord(c):02x}" for c in RECORD), "JS hex escapes"),
        ("".join(f"&#{ord(c)};" for c in RECORD), "HTML entities"),
        ("[" + ",".join(str(ord(c)) for c in RECORD) + "]", "char codes"),
        (" ".join(hex(ord(c)) for c in RECORD), "char codes"),
        (RECORD[::-1], "reversed"),
        (b64(RECORD)[::-1], "reversed > base64"),
        (xor(RECORD, 0x2A), "xor(0x2a)"),
        (b64(xor(RECORD, 0xA7)), "base64 > xor(0xa7)"),
        (xor(RECORD, 0x5A).encode("latin-1").hex(), "hex > xor(0x5a)"),
        # binary whose swapped nibbles happen to read as text: the plain hex is kept too
        (xor(RECORD, 0xE6).encode("latin-1").hex(), "hex > xor(0xe6)"),
        ("p=" + urllib.parse.quote(xor(RECORD, 0x13)), "url-encoded > xor(0x13)"),
        (",".join(str(ord(c) ^ 7) for c in RECORD), "char codes > xor(0x07)"),
        ("x=" + urllib.parse.quote(b64(xor_key(RECORD, "m4g3"))),
         "url-encoded > base64 > xor(4-byte key)"),
        (b64(xor_key(RECORD, "k3yR0t8!")), "base64 > xor(8-byte key)"),
        (xor_key(RECORD, "ab").encode("latin-1").hex(), "hex > xor(2-byte key)"),
        (b64(xor_counting(RECORD, "\x5a\x13\xc7\x2e\x91\x44\x08\xbd")),
         "base64 > xor(index) > xor(8-byte key)"),
        (b64(xor_counting(RECORD, "")), "base64 > xor(index)"),
        (base64.b32encode(RECORD.encode()).decode(), "base32"),
        ("v=" + ".".join(base36(ord(c) + 17) for c in RECORD),
         "char codes (base 36, shifted by 17)"),
        ("-".join(str(ord(c) - 3) for c in RECORD), "char codes (base 10, shifted by -3)"),
        ("/w/" + "".join(f"{ord(c):02x}"[::-1] for c in RECORD) + ".woff2",
         "hex (nibbles swapped)"),
        ("stun:0" + base64.b32encode(RECORD.encode()).decode().rstrip("=").lower()
         + ".relay.example:3478", "base32"),
        ("ev=" + b64_shuffled(RECORD), "base64 (substituted alphabet)"),
        ("ev=" + b64_shuffled(RECORD, lead="x"), "base64 (substituted alphabet)"),
        ("ev=" + b64_shuffled(RECORD, lead="xy"), "base64 (substituted alphabet)"),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 40 else None,
)
def test_every_encoding_is_found_and_named(data: str, encoding: str) -> None:
    found = encodings_of(data)
    assert encoding in found, found
    assert all(m.is_full for m in find_canary(CANARY, data))


def rot(text: str, n: int) -> str:
    """Letters shifted by n within their case (ROT13 when n is 13), as kits hide base64."""
    return "".join(chr((ord(c) - base + n) % 26 + base) if c.isascii() and c.isalpha() else c
                   for c in text for base in (ord("A") if c.isupper() else ord("a"),))


@pytest.mark.parametrize(("data", "encoding"), [
    ("img?d=" + rot(b64(RECORD), 13) + "&enc=13", "ROT13 > base64"),
    ("d=" + rot(b64(RECORD, urlsafe=True, pad=False), 13), "ROT13 > base64url (unpadded)"),
    ("p=" + urllib.parse.quote(rot(b64(RECORD), 7)), "ROT-7 > base64"),
    (rot(b64("x" + RECORD), 3), "ROT-3 > base64"),
    (b64(rot(b64(RECORD), 13)), "base64 > ROT13 > base64"),
])
def test_rotated_letters_are_turned_back_as_a_layer(data: str, encoding: str) -> None:
    found = find_canary(CANARY, data)
    assert any(encoding in m.encoding for m in found), [m.encoding for m in found]
    match = next(m for m in found if encoding in m.encoding)
    assert {"cvv", "expiry"} <= set(match.fields)  # the whole record decoded, not a window


def test_a_rotation_is_not_called_a_substituted_alphabet_nor_found_in_noise() -> None:
    assert "base64 (substituted alphabet)" not in encodings_of(rot(b64(RECORD), 13))
    other = Canary.generate(seed=8, year=2026)
    assert find_canary(CANARY, rot(b64(json.dumps({"n": other.pan})), 13)) == []


def test_bytes_and_binary_bodies() -> None:
    assert encodings_of(RECORD.encode("utf-8"))[0] == "plain"
    assert "xor(0xf0)" in encodings_of(xor(RECORD, 0xF0).encode("latin-1"))
    assert encodings_of(b"\x00\x01" + b64(RECORD).encode() + b"\xff")[0] == "base64"


def test_base64_glued_to_a_word_or_buried_in_a_query() -> None:
    blob = b64(f"cardnumber={PAN}&cvc={CANARY.cvv}")
    assert "base64" in encodings_of("info" + blob)  # aligned on 4 characters
    assert "base64" in encodings_of("x" + blob)  # not aligned
    query = "v=1&tid=UA-48151623-1&t=event&el=" + urllib.parse.quote(b64(RECORD))
    assert encodings_of(query)[0] == "url-encoded > base64"


def test_other_canary_parts_are_reported_with_the_number() -> None:
    match = best(b64(RECORD))
    assert set(match.fields) == {"cvv", "expiry", "name"}
    assert best(f"n={PAN}").fields == ()
    plus = f"cc={PAN}&holder={CANARY.name.replace(' ', '+')}"
    assert "name" in best(plus).fields


def test_partial_number_only_when_the_whole_number_is_absent() -> None:
    for data in (f"{PAN[:6]}******{PAN[-4:]}", json.dumps({"bin": PAN[:6], "last4": PAN[-4:]}),
                 f"{PAN[:4]} {PAN[4:6]}** **** {PAN[-4:]}", b64(f"bin={PAN[:6]}&l4={PAN[-4:]}")):
        found = find_canary(CANARY, data)
        assert found and all(m.field == "partial-pan" for m in found), data
    assert [m.field for m in find_canary(CANARY, f"{PAN} {PAN[:6]}xx{PAN[-4:]}")] == ["pan"]


# ----------------------------------------------------------------------------- negatives


@pytest.mark.parametrize(
    "data",
    [
        "",
        json.dumps({"cc": "4111111111111111", "cvv": CANARY.cvv}),  # another test card
        PAN[:-1],  # cut short
        PAN[1:] + "0",
        f"{PAN}1",  # longer digit run: a different number
        f"9{PAN}",
        PAN[::2],
        f"{PAN[:6]} and, much later, " + "x" * 200 + PAN[-4:],  # BIN and last 4 far apart
        b64(RECORD.replace(PAN, "4242424242424242")),
        xor(RECORD.replace(PAN, "4000056655665556"), 0x2A),
        b64(xor_key(RECORD.replace(PAN, "4000056655665556"), "m4g3")),
        b64_shuffled(RECORD.replace(PAN, "4000056655665556")),
        b64(b"\x00" * 4096),
        "A" * 100_000,
        "%" * 1000 + "&#" * 1000 + "\\u" * 1000,
    ],
)
def test_no_false_match(data: str) -> None:
    assert find_canary(CANARY, data) == []


def test_partial_needs_the_test_prefix_and_both_ends() -> None:
    assert find_canary(CANARY, f"{PAN[:6]}") == []
    assert find_canary(CANARY, f"last4={PAN[-4:]}") == []


# ----------------------------------------------------------------------------- masking


@pytest.mark.parametrize(
    "data",
    [RECORD, b64(RECORD), xor(RECORD, 0x2A), RECORD[::-1], f"{PAN} {PAN[::-1]} {PAN}",
     "".join(f"{d}a" for d in PAN), f"{PAN[:4]} {PAN[4:8]} {PAN[8:12]} {PAN[12:]}"],
)
def test_excerpts_never_hold_the_number_or_the_cvv(data: str) -> None:
    for match in find_canary(CANARY, data):
        text = match.excerpt_masked
        assert PAN not in re.sub(r"\D", "", text) and PAN[::-1] not in re.sub(r"\D", "", text)
        assert not re.search(rf"(?<!\d){CANARY.cvv}(?!\d)", text)
        assert not re.search(r"\d{7,}", text.replace(CANARY.masked_pan, ""))
        assert CANARY.masked_pan in text or CANARY.masked_pan[::-1] in text
    assert "***" in best(RECORD).excerpt_masked


def test_excerpt_is_short_and_printable() -> None:
    match = best("x" * 5000 + b64(xor(RECORD, 0x99)) + "y" * 5000)
    assert len(match.excerpt_masked) < 200
    assert match.excerpt_masked.isprintable()


def test_mask_digits() -> None:
    assert mask_digits("card 4111111111111111 ok") == "card 411111******1111 ok"
    assert mask_digits("id 123456789012") == "id 123456789012"  # 12 digits: not a card number


# ----------------------------------------------------------------------------- bounds


def test_hostile_data_is_bounded() -> None:
    nested = RECORD
    for _ in range(12):  # deeper than the search goes
        nested = b64(nested)
    start = time.monotonic()
    assert find_canary(CANARY, nested) == []
    soup = " ".join(b64(bytes([i % 256]) * 30) for i in range(20_000))
    assert find_canary(CANARY, soup) == []
    assert time.monotonic() - start < 10
    depth4 = b64(b64(b64(RECORD)))
    assert encodings_of(depth4)[0] == "base64 > base64 > base64"


def test_base64_in_a_url_path_segment() -> None:
    """'/' is base64 and a path separator: the segment is a run of its own."""
    canary = Canary.generate(seed=5)
    b64 = base64.b64encode(canary.pan.encode()).decode()
    for url in (f"https://cdn.evil.example/i/{b64}.gif", f"https://cdn.evil.example/x/{b64}"):
        assert [m.encoding for m in find_canary(canary, url)][:1] == ["base64"], url
