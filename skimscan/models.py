"""Data that crosses pipeline stages: frozen dataclasses and ordered enums.

Every stage (capture → extract → analyze → policy → report) takes and returns these types, so
no stage needs to know how another one works. Severity and Confidence are ordered enums: code
compares them, reporters turn them into the lowercase strings of the JSON contract.
Nothing here does I/O.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class Severity(enum.IntEnum):
    """How bad a finding is if true; ordered so that `>=` compares thresholds."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(m.label for m in cls)
            raise ValueError(f"unknown severity {text!r} (expected one of {names})") from None


class Confidence(enum.IntEnum):
    """How sure the rule is that the finding is true; a second axis beside severity."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Confidence:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(m.label for m in cls)
            raise ValueError(f"unknown confidence {text!r} (expected one of {names})") from None


class Verdict(enum.Enum):
    """The verdict of a script or a target (docs/reference/json.md)."""

    CLEAN = "clean"
    SUSPICIOUS = "suspicious"
    MALICIOUS = "malicious"
    ERROR = "error"


class HostClass(enum.Enum):
    """What a network destination is, relative to the page that talks to it."""

    FIRST_PARTY = "first-party"  # same registrable domain as the page, or a relative URL
    PROCESSOR = "processor"  # a known payment processor's own host
    APPROVED = "approved"  # approved by the merchant's policy
    WELL_KNOWN = "well-known"  # analytics, tag managers, CDNs, messaging APIs
    LOOKALIKE = "look-alike"  # typo-squat or brand-plus-word of the site or a known brand
    KNOWN_BAD = "known-bad"  # listed in an IOC rule
    UNKNOWN = "unknown"  # a real host that is none of the above
    UNRESOLVED = "unresolved"  # built at run time; static analysis could not recover it

    @property
    def is_trusted_for_card_data(self) -> bool:
        """Card data may go to the merchant, its processors and what the policy approved."""
        return self in (HostClass.FIRST_PARTY, HostClass.PROCESSOR, HostClass.APPROVED)


@dataclass(frozen=True, slots=True)
class HostInfo:
    """A classified host, with the reason a person can read ("look-alike of stripe.com")."""

    host: str
    host_class: HostClass
    registrable_domain: str | None = None
    reason: str = ""
    service: str | None = None  # e.g. "Stripe", "Google Analytics", "Telegram Bot API"
    #: "payment", "analytics", "tag-manager", "messaging", "cdn", "session-replay", "chat",
    #: "error-tracking", "fonts", "social"... Analytics and messaging are the trusted channels
    #: skimmers abuse: data sent there reaches whoever owns the account, not the merchant.
    category: str | None = None
    lookalike_of: str | None = None  # the brand or site imitated, for look-alikes


@dataclass(frozen=True, slots=True)
class Location:
    """1-based line, 0-based column, as ESTree reports them."""

    line: int
    column: int
    end_line: int | None = None
    end_column: int | None = None


@dataclass(frozen=True, slots=True)
class FlowStep:
    """One step of a taint path: where card data was, and what happened to it there."""

    location: Location
    description: str


@dataclass(frozen=True)
class Finding:
    """One rule match, with the evidence that explains it.

    `evidence` holds JSON-compatible values only (str, int, float, bool, None, lists, dicts), and
    never a raw request body or an unmasked card number.
    """

    rule: str
    title: str
    severity: Severity
    confidence: Confidence
    message: str
    script: str | None = None
    location: Location | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    flow: tuple[FlowStep, ...] = ()
    suppressed: str | None = None  # the written reason, when a policy or baseline accepted it

    @property
    def is_blocking(self) -> bool:
        """High or critical with at least medium confidence: makes a target malicious."""
        return self.severity >= Severity.HIGH and self.confidence >= Confidence.MEDIUM


class ScriptKind(enum.Enum):
    """Where a script came from (docs/reference/json.md)."""

    EXTERNAL = "external"
    INLINE = "inline"
    HANDLER = "handler"  # an event-handler attribute such as onclick="..."
    JAVASCRIPT_URL = "javascript-url"
    DYNAMIC = "dynamic"
    EVAL = "eval"
    WORKER = "worker"
    FILE = "file"


@dataclass(frozen=True)
class ScriptSource:
    """A script to analyse: its code plus where it came from. Produced by capture or extract."""

    id: str
    code: str
    url: str | None
    kind: ScriptKind
    frame: str | None = None
    initiator: tuple[str, ...] = ()  # script ids or URLs that loaded this one, nearest first
    line_offset: int = 0  # inline code: line in the document where it starts (0-based)
    sha256: str = ""
    size: int = 0


@dataclass(frozen=True)
class ScriptReport:
    """A script as it appears in a report: identity, origin and verdict, never its code."""

    id: str
    url: str | None
    kind: ScriptKind
    frame: str | None
    sha256: str
    size: int
    host_class: HostClass
    verdict: Verdict
    parsed: bool = True
    initiator: tuple[str, ...] = ()
    #: against the policy: "approved", "unapproved", or None when no policy applies
    authorization: str | None = None
    justification: str | None = None
    #: the published library build this script is byte for byte ("package@version/path"),
    #: which was therefore not analysed; None for everything else
    library: str | None = None


@dataclass(frozen=True)
class RequestRecord:
    """A request a page made. The body is kept for analysis and never written to reports."""

    url: str
    method: str
    host: str
    resource_type: str = "other"
    script: str | None = None
    frame: str | None = None
    status: int | None = None
    carries_canary: bool = False
    quarantined: bool = False
    host_class: HostClass = HostClass.UNKNOWN
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = field(default=None, repr=False, compare=False)
    #: scripts on the initiating stack (and its async parents), nearest first
    stack: tuple[str, ...] = ()
    #: wall-clock time (time.time()) the request was seen, when known
    at: float | None = None


class TargetKind(enum.Enum):
    PAGE = "page"
    FILE = "file"


@dataclass(frozen=True)
class TargetReport:
    """Everything learned about one page or file."""

    target: str
    kind: TargetKind
    verdict: Verdict
    error: str | None = None
    scripts: tuple[ScriptReport, ...] = ()
    requests: tuple[RequestRecord, ...] = ()
    findings: tuple[Finding, ...] = ()
    notes: tuple[str, ...] = ()  # what could not be seen or captured, in words
    headers: Mapping[str, str] = field(default_factory=dict)  # security headers of the document
    #: pages: forms, card fields, iframes and CSP meta of the rendered frames
    page: Mapping[str, Any] = field(default_factory=dict)
    #: files run in the browser on the synthetic checkout: why, on which pages, what it showed
    detonation: Mapping[str, Any] = field(default_factory=dict)
    #: pages: the full-page screenshot (PNG) for the HTML report; never in JSON
    screenshot_png: bytes | None = field(default=None, repr=False, compare=False)
    #: the analysed code by sha256, for code excerpts in the HTML report; never in JSON
    sources: Mapping[str, ScriptSource] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Report:
    """The result of one skimscan run over one or more targets."""

    targets: tuple[TargetReport, ...]
    tool_version: str
    started_at: str = ""  # ISO 8601, envelope only: the rest of the report is deterministic
    finished_at: str = ""

    def count(self, verdict: Verdict) -> int:
        return sum(1 for t in self.targets if t.verdict is verdict)


def verdict_for(findings: tuple[Finding, ...] | list[Finding]) -> Verdict:
    """The verdict rule (README): malicious on a blocking finding, suspicious on a medium one."""
    active = [f for f in findings if f.suppressed is None]
    if any(f.is_blocking for f in active):
        return Verdict.MALICIOUS
    if any(f.severity >= Severity.MEDIUM for f in active):
        return Verdict.SUSPICIOUS
    return Verdict.CLEAN


# --- capture output (STAGE 1 → 2). Fields may be added; none removed. -------------------------


@dataclass(frozen=True)
class WebSocketMessage:
    """A frame a page sent (or tried to send) over a WebSocket; kept in memory, never reported."""

    url: str
    payload: str = field(repr=False)
    script: str | None = None
    frame: str | None = None  # URL of the frame (or worker) that opened the socket
    #: swallowed in the page by the quarantine (it never left the browser)
    quarantined: bool = False


@dataclass(frozen=True)
class FrameSnapshot:
    """A frame's rendered HTML after the page settled, with its place in the frame tree."""

    url: str
    html: str = field(repr=False)
    parent_url: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class PageCapture:
    """Everything the browser saw on one page. Bodies and HTML stay in memory only."""

    url: str  # as requested
    final_url: str  # after redirects
    status: int | None
    scripts: tuple[ScriptSource, ...] = ()
    requests: tuple[RequestRecord, ...] = ()
    websocket_messages: tuple[WebSocketMessage, ...] = ()
    frames: tuple[FrameSnapshot, ...] = ()
    response_headers: Mapping[str, str] = field(default_factory=dict)
    screenshot_png: bytes | None = field(default=None, repr=False)
    notes: tuple[str, ...] = ()  # what could not be captured, and why
    console_errors: tuple[str, ...] = ()
    #: the test card typed on this page (None when the scan did not interact)
    canary: Canary | None = field(default=None, repr=False)
    #: what the in-page instrumentation saw, attributed to scripts
    instrumentation: tuple[InstrumentEvent, ...] = ()
    #: environment checks the capture saw at run time (words, for the report's notes)
    gates: tuple[str, ...] = ()
    #: what the simulated shopper did, in order, in words
    interaction: tuple[str, ...] = ()
    #: wall-clock time (time.time()) at which quarantine was armed, just before typing
    canary_typed_at: float | None = None
    #: card fields the shopper typed into, in the main frame's document coordinates:
    #: {"x", "y", "width", "height", "selector", "label"} (the HTML report marks them)
    card_field_boxes: tuple[Mapping[str, Any], ...] = ()
    #: selectors of the card fields (any frame) the shopper typed the canary into
    typed_fields: tuple[str, ...] = ()
    #: wall-clock time the shopper came back (the card was in storage after pay), or None
    revisited_at: float | None = None
    #: what the capture could not do (a main thread that never yields, a shopper out of time,
    #: a card that would not type): a page with any of these is never reported clean
    incomplete: tuple[str, ...] = ()


# --- the canary card (capture types it, analyze looks for it). Added for issue 4. -------------

#: Test BIN prefixes the canary PAN keeps: the Visa test card 4111 1111 1111 1111 and the
#: processor test card 4242 4242 4242 4242 live here. Only the middle digits vary per scan.
CANARY_TEST_PREFIXES = ("411111", "424242")
_FIRST_NAMES = ("Avery", "Jordan", "Morgan", "Riley", "Casey", "Quinn", "Harper", "Rowan")
_SYLLABLES = ("ka", "lo", "ven", "dri", "mar", "tes", "qui", "bel", "sor", "nu", "fen", "zar")


def luhn_check_digit(partial: str) -> str:
    """The digit that makes `partial + digit` pass the Luhn check."""
    total = 0
    for index, char in enumerate(reversed(partial)):
        digit = int(char)
        if index % 2 == 0:  # doubled: these sit at odd positions once the check digit is added
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    return number.isdigit() and len(number) >= 2 and luhn_check_digit(number[:-1]) == number[-1]


@dataclass(frozen=True)
class Canary:
    """A recognisable test card and shopper, unique to one scan (typed, then looked for).

    The PAN is always a Luhn-valid number with a documented test prefix (`CANARY_TEST_PREFIXES`):
    never a real card. Everything else is plausible but fictitious: names made of syllables,
    `example.com` mail, a 555-01xx phone number.
    """

    pan: str  # digits only
    exp_month: str  # "MM"
    exp_year: str  # "YYYY"
    cvv: str
    name: str
    email: str = "shopper@example.com"
    phone: str = "+1 202 555 0142"
    address: str = "12 Test Street"
    city: str = "Springfield"
    postcode: str = "62704"
    country: str = "US"

    def __post_init__(self) -> None:
        if not (self.pan.startswith(CANARY_TEST_PREFIXES) and luhn_valid(self.pan)):
            raise ValueError("a canary PAN must be a Luhn-valid number with a test prefix")

    @property
    def expiry(self) -> str:
        """`MM/YY`, as most card forms want it."""
        return f"{self.exp_month}/{self.exp_year[-2:]}"

    @property
    def bin(self) -> str:
        return self.pan[:6]

    @property
    def last4(self) -> str:
        return self.pan[-4:]

    @property
    def masked_pan(self) -> str:
        return f"{self.pan[:6]}{'*' * (len(self.pan) - 10)}{self.pan[-4:]}"

    @classmethod
    def generate(cls, seed: int | None = None, *, year: int | None = None) -> Canary:
        """A fresh canary: a test prefix, 9 random middle digits, the Luhn digit.

        `seed` makes it reproducible (tests); `year` is the current year (default: today's).
        """
        import datetime
        import random

        rng = random.Random(seed) if seed is not None else random.SystemRandom()
        prefix = rng.choice(CANARY_TEST_PREFIXES)
        body = prefix + "".join(rng.choice("0123456789") for _ in range(9))
        this_year = year if year is not None else datetime.date.today().year
        first = rng.choice(_FIRST_NAMES)
        last = "".join(rng.choice(_SYLLABLES) for _ in range(3)).capitalize()
        return cls(
            pan=body + luhn_check_digit(body),
            exp_month=f"{rng.randint(1, 12):02d}",
            exp_year=str(this_year + rng.randint(2, 5)),
            cvv=f"{rng.randint(100, 999)}",
            name=f"{first} {last}",
            email=f"{first.lower()}.{last.lower()}@example.com",
            phone=f"+1 202 555 01{rng.randint(0, 99):02d}",
            address=f"{rng.randint(2, 98)} Test Street",
        )


@dataclass(frozen=True)
class InstrumentEvent:
    """One behaviour the in-page instrumentation saw, attributed to a script by its stack.

    `kind`: `read` (a card field's value, FormData, form.elements), `listen` (a listener on a
    card field, form, button, document or window), `handler` (an on… property set), `form-action`
    (a form's action changed), `inject` (script/iframe/form created or given a src), `sink` (a
    network or messaging call: fetch, xhr, beacon, websocket, ws-send, image, script, iframe,
    postMessage, message-received, open, form-submit), `storage` (localStorage, sessionStorage,
    cookie written; `via: snapshot` for what the capture found stored at the end), `gate` (an
    environment check: webdriver, geolocation), `armed` (the frame heard the quarantine go on).
    `data` holds a payload (WebSocket frame, message, stored value), in memory only, never
    reported; `count` is how many identical events were folded into this one.
    """

    kind: str
    detail: Mapping[str, str] = field(default_factory=dict)
    script: str | None = None
    frame: str | None = None
    stack: tuple[str, ...] = ()  # script ids on the stack, nearest first
    data: str | None = field(default=None, repr=False, compare=False)
    count: int = 1
