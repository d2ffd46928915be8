"""STAGE 4 (policy) — look-alike detection: is a domain label imitating a brand or the site?

Skimmer drop hosts imitate the victim or a service the page already uses: `baways.com` for
britishairways.com, `neweggstats.com` for newegg.com, `slripe.com` for stripe.com,
`googletagmanager.eu` for googletagmanager.com. This module compares one domain label (the label
left of the public suffix) with a list of `Brand`s and names the technique it recognised.

Invariants:
- pure string logic: no I/O, no public-suffix lookups, no global mutable state; the caller
  (`hosts.py`) decides which label to compare and which hosts are exempt (the brand's own
  domains, catalogue hosts, policy-approved hosts);
- false positives are worse than misses: every technique requires a minimum token length, short
  brand names only match through visual confusion (homoglyphs, confusable letters, swapped
  letters) and never through an inserted or dropped letter, because `strip`, `striped` and
  `stripes` are ordinary words, not attacks on `stripe`;
- deterministic: techniques are tried strongest first, brands in the order given, and the first
  match wins.

Techniques, strongest first:
1. `same-name`      — the brand's own label under another suffix (`googletagmanager.eu`), or
                      the same letters hyphenated differently (`pay-pal.com`);
2. `homoglyph`      — equal once look-alike characters are folded (`paypa1`, `jsdellvr`,
                      `googie-analytics`, Cyrillic `а` for Latin `a` in an IDN label);
3. `typo`           — one confusable letter or two swapped letters (`slripe`); for longer names
                      also one added or dropped letter (`jsdeliver`, `fontsawesome`), any one
                      replaced letter from ten letters, two edits from fourteen (`_near_miss`);
4. `brand-plus-word`— the brand with generic words around it (`neweggstats`, `stripe-cdn`,
                      `cdn-jsdelivr`, `jquery-min`), or a typo of the brand with them
                      (`slripe-cdn`);
5. `abbreviation`   — a multi-word brand with leading words cut to their initial (`g-analytics`,
                      `gtagmanager`), or the site's name cut to a few of its letters (not its
                      plain start) plus a generic word or its own ending (`baways` for
                      britishairways).

Besides, a full brand domain used as subdomain labels (`stripe.com.evil.net`) is `subdomain`.
"""

from __future__ import annotations

import codecs
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import product

#: Shortest token compared at all (site names such as `bbc` are too short to imitate safely).
MIN_TOKEN = 4
#: Shortest token for typo and brand-plus-word-typo matching.
MIN_TYPO_TOKEN = 5
#: From this length one added or dropped letter is a typo (see `_near_miss`).
ADD_DROP_TOKEN = 8
#: From this length any one replaced letter is a typo.
ANY_SUBSTITUTION_TOKEN = 10
#: From this length any two edits are a typo.
TWO_EDIT_TOKEN = 14
#: At most this many generic words are peeled off a label.
MAX_WORDS = 3

# Multi-character homoglyphs first, then single characters; applied to both sides.
_MULTI_GLYPHS: tuple[tuple[str, str], ...] = (("rn", "m"), ("vv", "w"), ("cl", "d"))
_SINGLE_GLYPHS = str.maketrans(
    {
        "0": "o",
        "1": "i",
        "l": "i",
        "5": "s",
        "3": "e",
        "4": "a",
        "7": "t",
        "8": "b",
        "9": "g",
        "2": "z",
        "_": "-",
    }
)
#: Pairs of letters that read alike in common fonts, compared after the skeleton is taken (so
#: `l` and `1` are already `i`): `slripe` for `stripe` is ("t", "i").
_CONFUSABLE_PAIRS: frozenset[frozenset[str]] = frozenset(
    frozenset(p) for p in ("ti", "uv", "ce", "gq", "mn", "ij", "ft")
)
#: Non-Latin letters that render like Latin ones (Cyrillic, Greek), for IDN labels. Letters with
#: diacritics are handled by Unicode decomposition (`strípe` → `stripe`).
_UNICODE_CONFUSABLES = str.maketrans(
    {
        "а": "a", "в": "b", "с": "c", "ԁ": "d", "е": "e", "ё": "e", "һ": "h", "і": "i",
        "ї": "i", "ј": "j", "к": "k", "ӏ": "l", "м": "m", "н": "h", "о": "o", "р": "p",
        "ԛ": "q", "г": "r", "ѕ": "s", "т": "t", "у": "y", "ѵ": "v", "ԝ": "w", "х": "x",
        "ү": "y", "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v",
        "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ɡ": "g", "ı": "i", "ɩ": "i",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Brand:
    """A name worth imitating: a catalogue service's token, or the site's own name.

    `token` has no hyphens; `words` is its declared segmentation (`google-analytics` gives
    ("google", "analytics")), or just (token,). `own_labels` are the labels of the brand's real
    registrable domains (hyphens kept); `same_name` says whether the brand's own label under a
    different suffix counts as a look-alike (False for brands that own many suffixes, such as
    google.de, and for the site, whose owner often holds several country domains).
    """

    token: str
    words: tuple[str, ...]
    imitated: str  # what `HostInfo.lookalike_of` reports: "stripe.com", the site's domain
    service: str | None = None
    own_labels: frozenset[str] = frozenset()
    same_name: bool = True
    is_site: bool = False
    skeleton: str = field(init=False, repr=False, compare=False)
    abbreviations: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "skeleton", skeleton(self.token))
        abbreviations = _abbreviations(self.words) if len(self.words) > 1 else []
        object.__setattr__(self, "abbreviations", frozenset(abbreviations))

    @classmethod
    def from_token(
        cls,
        declared: str,
        imitated: str,
        *,
        service: str | None = None,
        own_labels: Iterable[str] = (),
        same_name: bool = True,
        is_site: bool = False,
    ) -> Brand:
        words = tuple(w for w in declared.lower().split("-") if w)
        return cls(
            token="".join(words),
            words=words,
            imitated=imitated,
            service=service,
            own_labels=frozenset(own_labels),
            same_name=same_name,
            is_site=is_site,
        )

    @property
    def describe(self) -> str:
        return f"{self.imitated} ({self.service})" if self.service else self.imitated


@dataclass(frozen=True, slots=True)
class Lookalike:
    """A recognised imitation: which brand, by which technique, explained in words."""

    brand: Brand
    technique: str
    detail: str

    @property
    def reason(self) -> str:
        return f"look-alike of {self.brand.describe}: {self.detail}"


def decode_label(label: str) -> str:
    """The Unicode form of a punycode (`xn--`) label; other labels unchanged, in lowercase."""
    label = label.lower()
    if label.startswith("xn--"):
        try:
            return str(codecs.decode(label[4:].encode("ascii"), "punycode"))
        except (UnicodeError, ValueError):
            return label
    return label


def fold_label(label: str) -> str:
    """A label in lowercase ASCII where possible: punycode decoded, diacritics and Cyrillic or
    Greek look-alike letters turned into the Latin letters they imitate."""
    label = decode_label(label)
    if label.isascii():
        return label
    decomposed = unicodedata.normalize("NFKD", label)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.translate(_UNICODE_CONFUSABLES)


def skeleton(text: str) -> str:
    """Fold look-alike characters so `paypa1`, `paypal` and `paypai` compare equal."""
    out = text.lower()
    for pattern, replacement in _MULTI_GLYPHS:
        out = out.replace(pattern, replacement)
    return out.translate(_SINGLE_GLYPHS)


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Damerau-Levenshtein distance (optimal string alignment), capped at `limit + 1`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return min(prev[len(b)], limit + 1)


def _near_miss(candidate: str, token: str) -> str | None:
    """How `candidate` is a typo of `token` (both skeletons), or None.

    The allowance grows with the token's length, because short names are one edit away from
    ordinary words (stripe: strip, strike, stripes) and long ones are not:
    - from 5 letters: one letter swapped for a look-alike (`slripe`), or two neighbours swapped;
    - from 8: also one letter added or dropped (`jsdeliver`), except at the front, where that
      makes another word rather than a typo (`hcaptcha` and `captcha`);
    - from 10: also any one letter replaced;
    - from 14: any two edits.
    """
    n = len(token)
    if n < MIN_TYPO_TOKEN or candidate == token:
        return None
    if len(candidate) == n:
        diff = [i for i in range(n) if candidate[i] != token[i]]
        if len(diff) == 1 and frozenset((candidate[diff[0]], token[diff[0]])) in _CONFUSABLE_PAIRS:
            return "one letter swapped for a look-alike"
        if (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and candidate[diff[0]] == token[diff[1]]
            and candidate[diff[1]] == token[diff[0]]
        ):
            return "two letters swapped"
    if n >= ADD_DROP_TOKEN and abs(len(candidate) - n) == 1:
        front = candidate == token[1:] or token == candidate[1:]
        if not front and edit_distance(candidate, token, 1) <= 1:
            return "one letter added" if len(candidate) > n else "one letter missing"
    if n >= TWO_EDIT_TOKEN and edit_distance(candidate, token, 2) <= 2:
        return "two letters different"
    if (
        n >= ANY_SUBSTITUTION_TOKEN
        and len(candidate) == n
        and edit_distance(candidate, token, 1) <= 1
    ):
        return "one letter replaced"
    return None


def _imitation(skel: str, raw: str, brand: Brand, shown: str = "") -> tuple[str, str] | None:
    """Homoglyph or typo of the whole brand token: (technique, detail), or None.

    `skel` is the candidate's skeleton, `raw` the candidate as a person reads it (no hyphens),
    `shown` how to quote it (default `raw`)."""
    token_skel = brand.skeleton
    if len(brand.token) < MIN_TOKEN or raw == brand.token or abs(len(skel) - len(token_skel)) > 2:
        return None
    if skel == token_skel:
        return "homoglyph", f"'{shown or raw}' reads as '{brand.token}'"
    how = _near_miss(skel, token_skel)
    if how is not None:
        return "typo", f"'{shown or raw}' is a typo of '{brand.token}' ({how})"
    return None


def _peel_words(label: str, words: frozenset[str]) -> list[tuple[str, tuple[str, ...]]]:
    """Every way of removing up to MAX_WORDS generic words from the start and end of `label`:
    (what remains, the words removed). The label itself is not included."""
    results: list[tuple[str, tuple[str, ...]]] = []
    frontier: list[tuple[str, tuple[str, ...]]] = [(label, ())]
    for _ in range(MAX_WORDS):
        nxt: list[tuple[str, tuple[str, ...]]] = []
        for rest, removed in frontier:
            for word in words:
                if len(rest) > len(word):
                    if rest.startswith(word):
                        nxt.append((rest[len(word) :], (word, *removed)))
                    if rest.endswith(word):
                        nxt.append((rest[: -len(word)], (*removed, word)))
        results.extend(nxt)
        frontier = nxt
    # Stable, de-duplicated: fewest words removed first.
    seen: set[str] = set()
    unique = []
    for rest, removed in sorted(results, key=lambda r: (len(r[1]), r[0], r[1])):
        if rest not in seen:
            seen.add(rest)
            unique.append((rest, removed))
    return unique


def _is_subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(c in it for c in short)


def _abbreviations(words: Sequence[str]) -> list[str]:
    """Multi-word names with leading words cut to their initial and the last word kept whole:
    google-analytics → ganalytics, google-tag-manager → gtagmanager, gtmanager."""
    out = []
    *leading, last = words
    for mask in product((True, False), repeat=len(leading)):
        if all(mask):
            continue
        head = "".join(w if keep else w[0] for w, keep in zip(leading, mask, strict=True))
        if len(head + last) >= MIN_TYPO_TOKEN:
            out.append(head + last)
    return out


def _site_abbreviation(label: str, brand: Brand, words: frozenset[str]) -> str | None:
    """`baways` for britishairways: a few letters of the name (not its plain start) plus a
    generic word or the name's own ending of four letters or more."""
    token = brand.token
    if len(token) < 6 or len(label) < 4 or label == token:
        return None
    for cut in range(2, min(5, len(label) - 2) + 1):
        head, tail = label[:cut], label[cut:]
        if head[0] != token[0] or token.startswith(head):
            continue
        own_ending = len(tail) >= 4 and token.endswith(tail) and len(tail) < len(token) - 1
        if own_ending and _is_subsequence(head, token[: len(token) - len(tail)]):
            return f"'{head}' abbreviates '{token[: len(token) - len(tail)]}', then '{tail}'"
        if (tail in words or _all_words(tail, words)) and _is_subsequence(head, token):
            return f"'{head}' abbreviates '{token}', plus the generic word '{tail}'"
    return None


def _words(removed: Sequence[str]) -> str:
    quoted = ", ".join(f"'{w}'" for w in removed)
    return f"the generic word{'s' if len(removed) > 1 else ''} {quoted}"


def _all_words(text: str, words: frozenset[str]) -> bool:
    return any(rest in words for rest, removed in _peel_words(text, words) if len(removed) < 2)


def find_lookalike(
    label: str,
    brands: Sequence[Brand],
    words: frozenset[str],
    *,
    subdomain: str = "",
    embedded: dict[str, Brand] | None = None,
) -> Lookalike | None:
    """Compare one domain label (left of the public suffix, punycode allowed) with `brands`.

    `words` are the generic words skimmer domains add to a brand (stats, cdn, api...).
    `subdomain` is what lies left of the registrable domain and `embedded` maps full brand
    domains to their brand, so `stripe.com.evil.net` is recognised too.
    """
    raw = label.lower()
    folded = fold_label(raw)
    flat_raw = decode_label(raw).replace("-", "")  # as a person reads it
    flat = folded.replace("-", "")
    idn = f" (internationalised name {raw})" if raw.startswith("xn--") else ""

    # 1. The brand's own name: another suffix, or different hyphenation.
    for brand in brands:
        if flat_raw != brand.token or len(brand.token) < MIN_TOKEN:
            continue
        if brand.token not in {own.replace("-", "") for own in brand.own_labels}:
            continue  # a token that is no real domain label ("braintree") has no "own name"
        if raw not in brand.own_labels:
            return Lookalike(brand, "same-name", f"'{raw}' is '{brand.token}' hyphenated")
        if brand.same_name:
            return Lookalike(brand, "same-name", f"the brand's name '{raw}' under another suffix")

    # 2-3. Homoglyph or typo of the whole name (a homoglyph of any brand beats a typo).
    skel = skeleton(flat)
    typo: Lookalike | None = None
    for brand in brands:
        hit = _imitation(skel, flat_raw, brand, decode_label(raw))
        if hit is not None:
            if hit[0] == "homoglyph":
                return Lookalike(brand, hit[0], hit[1] + idn)
            typo = typo or Lookalike(brand, hit[0], hit[1] + idn)
    if typo is not None:
        return typo

    # Full brand domains used as subdomain labels: stripe.com.evil.net.
    if subdomain and embedded:
        labels = subdomain.lower().split(".")
        for start in range(len(labels)):
            for end in range(len(labels), start + 1, -1):
                candidate = ".".join(labels[start:end])
                if candidate in embedded:
                    return Lookalike(
                        embedded[candidate],
                        "subdomain",
                        f"'{candidate}' is used as a subdomain of another domain",
                    )

    # 4. Brand plus generic words, or a typo of the brand plus generic words.
    peeled = _peel_words(flat, words)
    for brand in brands:
        if len(brand.token) < MIN_TOKEN:
            continue
        for rest, removed in peeled:
            if rest == brand.token:
                return Lookalike(brand, "brand-plus-word", f"'{rest}' plus {_words(removed)}")
    peeled_skeletons = [(skeleton(rest), rest, removed) for rest, removed in peeled]
    for brand in brands:
        for rest_skel, rest, removed in peeled_skeletons:
            hit = _imitation(rest_skel, rest, brand)
            if hit is not None:
                detail = f"{hit[1]}, plus {_words(removed)}{idn}"
                return Lookalike(brand, "brand-plus-word", detail)

    # 5. Abbreviations.
    for brand in brands:
        if flat in brand.abbreviations:
            return Lookalike(
                brand, "abbreviation", f"'{raw}' abbreviates '{'-'.join(brand.words)}'"
            )
    for brand in brands:
        if brand.is_site:
            how = _site_abbreviation(flat, brand, words)
            if how is not None:
                return Lookalike(brand, "abbreviation", how)
    return None
