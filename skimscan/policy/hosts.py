"""STAGE 4 (policy) — classify network destinations relative to the page that talks to them.

`HostClassifier(site, approved=..., processors=..., known_bad=...)` turns a URL or host into a
`HostInfo`: first-party, approved, processor, well-known, look-alike, known-bad, unknown or
unresolved. The analyzer uses it to decide whether card data going somewhere is expected (the
merchant, its processors, what its policy approves) or the skimmer signature (anything else,
including trusted channels such as an analytics property or a messaging bot API, which reach
whoever owns the account).

Precedence, first match wins:
    known-bad > first-party > approved > processor > look-alike > well-known > unknown
- known-bad first: an IOC is an IOC even on the merchant's own domain or a CDN;
- first-party is the page's registrable domain (public suffix list, private section included,
  so `shop-a.myshopify.com` and `shop-b.myshopify.com` are different parties);
- approved and processors come from the merchant's policy (and processors also from the
  built-in catalogue, `data/services.yaml`);
- look-alike before well-known: `googletagmanager.eu` resembles a well-known service but is not
  it. A host inside a catalogue domain is the service itself and never a look-alike; tenants of
  multi-tenant platforms (`stripe-cdn.herokuapp.com`) are checked, and are UNKNOWN otherwise,
  with the platform named, because anyone can publish there.

Invariants:
- no I/O at import time; the catalogue and the public suffix list are read on first use and
  cached for the process (both are immutable);
- classification is pure and memoised per classifier instance, never globally;
- parsing never raises on page input: a URL that cannot be understood is UNRESOLVED; only bad
  policy input (an invalid pattern) raises `ConfigError`;
- hosts are reported normalised: lowercase, IDN as punycode, no port, no trailing dot, IP
  addresses in canonical form (browser rules: `0x7f.1` is 127.0.0.1).

URL forms: absolute (`https:`, `wss:`, any `scheme://host`), protocol-relative (`//host/p`),
bare hosts (`cdn.example.com`, `example.com:8443/p`: a first segment whose last label is a known
suffix), relative URLs (`/api`, `api/x`, `?a=1`, `./x`: FIRST_PARTY, "relative URL"), local
schemes (`data:`, `blob:`, `javascript:`, `about:`, `file:`: FIRST_PARTY, "local scheme" — no
request leaves the browser), other hostless schemes (`mailto:`, `tel:`: UNKNOWN, no host).
"""

from __future__ import annotations

import datetime
import functools
import ipaddress
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from types import MappingProxyType
from typing import Literal
from urllib.parse import unquote

import yaml
from publicsuffixlist import PublicSuffixList

from skimscan.errors import ConfigError
from skimscan.models import HostClass, HostInfo
from skimscan.policy.lookalike import MIN_TOKEN, Brand, Lookalike, find_lookalike

__all__ = [
    "HostClassifier",
    "Service",
    "ServiceCatalog",
    "load_catalog",
    "normalise_host",
    "registrable_domain",
]

PAYMENT = "payment"
CATALOG_RESOURCE = "data/services.yaml"

_LOCAL_SCHEMES = frozenset({"data", "blob", "javascript", "about", "file", "filesystem"})
_SPECIAL_SCHEMES = frozenset({"http", "https", "ws", "wss", "ftp"})
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.\-]*):")
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_\-]{0,61}[a-z0-9_])?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: RFC 6761 and friends: bare `shop.test/x` is a host although no public suffix lists `test`.
_SPECIAL_USE_TLDS = frozenset(
    {"test", "example", "invalid", "localhost", "local", "internal", "onion", "arpa"}
)
#: URLs longer than this are only looked at up to here: a host never lies beyond it, and
#: data: URLs can be megabytes long.
_MAX_SCAN = 4096
_C0_AND_SPACE = "".join(chr(code) for code in range(0x21))

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


# --------------------------------------------------------------------------- hosts and the PSL


@functools.lru_cache(maxsize=1)
def _psl() -> PublicSuffixList:
    """The public suffix list shipped with `publicsuffixlist` (offline), parsed once."""
    return PublicSuffixList()


@functools.lru_cache(maxsize=1)
def _icann_psl() -> PublicSuffixList:
    """The same list without guessing: unknown TLDs are not suffixes (bare-host detection)."""
    return PublicSuffixList(accept_unknown=False)


def _whatwg_ipv4(host: str) -> IPAddress | Literal[False] | None:
    """A host that ends in a number is an IPv4 address to browsers (`0x7f.1`, `3232235777`).

    Returns the address, None when the host is a name, False when it is a broken number.
    """
    parts = host.split(".")
    if parts and parts[-1] == "" and len(parts) > 1:
        parts.pop()
    last = parts[-1] if parts else ""
    if not (last.isdigit() or re.fullmatch(r"0[xX][0-9a-fA-F]*", last)):
        return None
    if len(parts) > 4:
        return False
    numbers: list[int] = []
    for part in parts:
        if re.fullmatch(r"0[xX][0-9a-fA-F]*", part):
            numbers.append(int(part[2:] or "0", 16))
        elif re.fullmatch(r"0[0-7]+", part):
            numbers.append(int(part, 8))
        elif part.isdigit() and part.isascii():
            numbers.append(int(part))
        else:
            return False
    if any(n > 255 for n in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
        return False
    value = numbers[-1]
    for index, number in enumerate(numbers[:-1]):
        value += number * 256 ** (3 - index)
    return ipaddress.IPv4Address(value)


def _punycode_label(label: str) -> str:
    if label.isascii():
        return label
    label = unicodedata.normalize("NFKC", label).lower()
    return "xn--" + label.encode("punycode").decode("ascii")


def normalise_host(host: str) -> str | None:
    """A host as skimscan reports it, or None when it is not a valid host name or address.

    Lowercase, punycode for IDN labels, no trailing dot, no port, canonical IP addresses.
    Accepts `[::1]`, `example.com:443`, `EXAMPLE.com.`, `bücher.de`, `%65xample.com`.
    """
    text = host.strip()
    if "%" in text:
        text = unquote(text)
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            return None
        try:
            return ipaddress.IPv6Address(text[1:end]).compressed
        except ValueError:
            return None
    if text.count(":") > 1:
        try:
            return ipaddress.IPv6Address(text).compressed
        except ValueError:
            return None
    text, _, port = text.partition(":")
    if port and not port.isdigit():
        return None
    text = text.lower()
    if text.endswith("."):
        text = text[:-1]
    if not text or len(text) > 253:
        return None
    ip = _whatwg_ipv4(text)
    if ip is False:
        return None
    if ip is not None:
        return str(ip)
    try:
        labels = [_punycode_label(label) for label in text.split(".")]
    except UnicodeError:
        return None
    if not all(_LABEL.fullmatch(label) for label in labels):
        return None
    return ".".join(labels)


def _ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _is_loopback(host: str) -> bool:
    ip = _ip(host)
    if ip is not None:
        return ip.is_loopback
    return host == "localhost" or host.endswith(".localhost")


def registrable_domain(host: str) -> str | None:
    """The registrable domain ("eTLD+1") of a host, by the public suffix list.

    `www.foo.co.uk` → `foo.co.uk`; `x.github.io` → `x.github.io` (a private suffix);
    None for IP addresses, single labels (`localhost`) and public suffixes themselves (`co.uk`).
    Unknown TLDs count as suffixes, so fixture hosts such as `shop.test` work.
    """
    normal = normalise_host(host)
    if normal is None or _ip(normal) is not None:
        return None
    result = _psl().privatesuffix(normal)
    return result if isinstance(result, str) else None


def _public_suffix(host: str, *, strict: bool = False) -> str | None:
    psl = _icann_psl() if strict else _psl()
    result = psl.publicsuffix(host)
    return result if isinstance(result, str) else None


def _main_label(domain: str) -> str:
    """`newegg` for `newegg.com`, `x` for `x.github.io`: the label left of the public suffix."""
    return domain.split(".", 1)[0]


# --------------------------------------------------------------------------- URL parsing


@dataclass(frozen=True, slots=True)
class _Target:
    kind: Literal["host", "relative", "local", "hostless", "unresolved"]
    host: str = ""
    detail: str = ""


def _authority_host(rest: str) -> _Target:
    """`rest` starts right after the slashes of `scheme://`."""
    authority = re.split(r"[/?#\\]", rest, maxsplit=1)[0]
    authority = authority.rpartition("@")[2]
    if not authority:
        return _Target("unresolved", detail="URL without a host")
    host = normalise_host(authority)
    if host is None:
        return _Target("unresolved", detail=f"unparseable host {authority[:80]!r}")
    return _Target("host", host)


def _looks_like_bare_host(segment: str) -> bool:
    """`cdn.example.com` or `example.com:8443` is a host; `app.min.js` and `api` are paths."""
    host = normalise_host(segment)
    if host is None:
        return False
    if _ip(host) is not None:
        return "." in segment or ":" in segment
    if host == "localhost":
        return True
    if "." not in host:
        return False
    tld = host.rsplit(".", 1)[1]
    return tld in _SPECIAL_USE_TLDS or _public_suffix(host, strict=True) is not None


def _parse_target(url: str) -> _Target:
    # Browsers drop tabs and newlines anywhere, and C0 controls and spaces at both ends.
    text = re.sub(r"[\t\n\r]", "", url[:_MAX_SCAN]).strip(_C0_AND_SPACE)
    if not text:
        return _Target("unresolved", detail="empty URL")
    match = _SCHEME.match(text)
    if match:
        scheme = match.group(1).lower()
        rest = text[match.end() :]
        if scheme in _LOCAL_SCHEMES:
            return _Target("local", detail=scheme)
        if scheme in _SPECIAL_SCHEMES:
            # Browsers ignore any slashes and backslashes here: https:\\evil.com is evil.com.
            return _authority_host(rest.replace("\\", "/").lstrip("/"))
        if rest.startswith("//"):
            return _authority_host(rest[2:])
        port = re.match(r"\d*(?:[/?#]|$)", rest)
        if not (port and ("." in scheme or scheme == "localhost")):
            return _Target("hostless", detail=scheme)
        # `example.com:8443/x`: a bare host with a port, not a scheme.
    if text[:2] in ("//", "\\\\", "/\\", "\\/"):
        return _authority_host(text.replace("\\", "/").lstrip("/"))
    if text[0] in "/.?#\\":
        return _Target("relative")
    first = re.split(r"[/?#\\]", text, maxsplit=1)[0]
    if _looks_like_bare_host(first):
        return _authority_host(first)
    return _Target("relative")


# --------------------------------------------------------------------------- the catalogue


@dataclass(frozen=True, slots=True)
class Service:
    """One catalogue entry: a service, its category and the domains it owns."""

    name: str
    category: str
    domains: tuple[str, ...]
    brand_tokens: tuple[str, ...] = ()
    same_name: bool = True
    multi_tenant: bool = False
    note: str = ""

    @property
    def is_processor(self) -> bool:
        return self.category == PAYMENT and not self.multi_tenant


_SERVICE_KEYS = frozenset(
    {"service", "category", "domains", "brand_tokens", "same_name", "multi_tenant", "note"}
)
_TOP_KEYS = frozenset({"version", "categories", "lookalike_words", "services"})


@dataclass(frozen=True)
class ServiceCatalog:
    """The built-in catalogue of processors and well-known services, with look-alike brands.

    Build it with `load_catalog()` (the shipped YAML) or `ServiceCatalog.from_mapping()`.
    """

    version: str
    services: tuple[Service, ...]
    categories: Mapping[str, str]
    lookalike_words: frozenset[str]
    _index: Mapping[str, Service] = field(init=False, repr=False, compare=False)
    _brands: tuple[Brand, ...] = field(init=False, repr=False, compare=False)
    _owned: frozenset[str] = field(init=False, repr=False, compare=False)
    _embedded: Mapping[str, Brand] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, Service] = {}
        brands: list[Brand] = []
        embedded: dict[str, Brand] = {}
        owned: set[str] = set()
        for service in self.services:
            if service.category not in self.categories:
                raise ConfigError(
                    f"service catalogue: {service.name}: unknown category {service.category!r}"
                )
            registrables: list[str] = []
            for domain in service.domains:
                if domain in index:
                    raise ConfigError(
                        f"service catalogue: {domain} is listed by both "
                        f"{index[domain].name} and {service.name}"
                    )
                index[domain] = service
                reg = registrable_domain(domain)
                if reg is not None:
                    owned.add(reg)
                    if reg not in registrables:
                        registrables.append(reg)
            own_labels = frozenset(_main_label(reg) for reg in registrables)
            for declared in service.brand_tokens:
                token = declared.replace("-", "")
                imitated = next(
                    (r for r in registrables if _main_label(r).replace("-", "") == token),
                    registrables[0] if registrables else service.domains[0],
                )
                brand = Brand.from_token(
                    declared,
                    imitated,
                    service=service.name,
                    own_labels=own_labels,
                    same_name=service.same_name,
                )
                brands.append(brand)
                for reg in registrables:
                    embedded.setdefault(reg, brand)
        # Longer tokens first: `googleanalytics` is a better explanation than `google`.
        brands.sort(key=lambda b: -len(b.token))
        object.__setattr__(self, "_index", MappingProxyType(index))
        object.__setattr__(self, "_brands", tuple(brands))
        object.__setattr__(self, "_owned", frozenset(owned))
        object.__setattr__(self, "_embedded", MappingProxyType(embedded))

    @property
    def brands(self) -> tuple[Brand, ...]:
        """Look-alike targets, longest token first."""
        return self._brands

    @property
    def embedded_domains(self) -> Mapping[str, Brand]:
        """Brand domains worth spotting as subdomain labels (`stripe.com.evil.net`)."""
        return self._embedded

    def owns(self, registrable: str) -> bool:
        """Whether a catalogue service owns this registrable domain (`apple.com`)."""
        return registrable in self._owned

    def match(self, host: str) -> tuple[str, Service] | None:
        """The most specific catalogue domain covering `host` (itself or a parent domain)."""
        labels = host.split(".")
        for start in range(len(labels)):
            candidate = ".".join(labels[start:])
            service = self._index.get(candidate)
            if service is not None:
                return candidate, service
        return None

    @classmethod
    def from_mapping(cls, data: object, source: str = "service catalogue") -> ServiceCatalog:
        """Validate a parsed YAML document; raise `ConfigError` naming what is wrong."""

        def fail(message: str) -> ConfigError:
            return ConfigError(f"{source}: {message}")

        if not isinstance(data, dict):
            raise fail("expected a mapping at the top level")
        unknown = set(data) - _TOP_KEYS
        if unknown:
            raise fail(f"unknown keys {sorted(unknown)}")
        version = data.get("version")
        if isinstance(version, datetime.date):  # an unquoted date in YAML
            version = version.isoformat()
        if not isinstance(version, str) or not _DATE.fullmatch(version):
            raise fail('`version` must be a date string such as "2026-01-31"')
        categories = data.get("categories")
        if not isinstance(categories, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in categories.items()
        ):
            raise fail("`categories` must map category names to descriptions")
        words = data.get("lookalike_words", [])
        if not isinstance(words, list) or not all(
            isinstance(w, str) and w.isascii() and w.isalnum() for w in words
        ):
            raise fail("`lookalike_words` must be a list of lowercase words")
        entries = data.get("services")
        if not isinstance(entries, list):
            raise fail("`services` must be a list")
        services = tuple(_parse_service(entry, n, fail) for n, entry in enumerate(entries, 1))
        return cls(
            version=version,
            services=services,
            categories=MappingProxyType(dict(categories)),
            lookalike_words=frozenset(w.lower() for w in words),
        )


def _parse_service(entry: object, number: int, fail: Callable[[str], ConfigError]) -> Service:
    if not isinstance(entry, dict):
        raise fail(f"service #{number} is not a mapping")
    name = entry.get("service")
    where = f"service #{number} ({name})" if isinstance(name, str) else f"service #{number}"
    unknown = set(entry) - _SERVICE_KEYS
    if unknown:
        raise fail(f"{where}: unknown keys {sorted(unknown)}")
    category = entry.get("category")
    if not isinstance(name, str) or not name or not isinstance(category, str):
        raise fail(f"{where}: `service` and `category` are required strings")
    raw_domains = entry.get("domains")
    if not isinstance(raw_domains, list) or not raw_domains:
        raise fail(f"{where}: `domains` must be a non-empty list")
    domains: list[str] = []
    for raw in raw_domains:
        host = normalise_host(raw) if isinstance(raw, str) else None
        if host is None or host != raw or _ip(host) is not None or "." not in host:
            raise fail(f"{where}: {raw!r} is not a lowercase domain name")
        domains.append(host)
    tokens = entry.get("brand_tokens", [])
    if not isinstance(tokens, list) or not all(
        isinstance(t, str)
        and re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", t)
        and len(t.replace("-", "")) >= MIN_TOKEN
        for t in tokens
    ):
        raise fail(
            f"{where}: `brand_tokens` must be lowercase words joined by hyphens, "
            f"at least {MIN_TOKEN} letters"
        )
    flags = {key: entry.get(key, default) for key, default in
             (("same_name", True), ("multi_tenant", False))}  # fmt: skip
    if not all(isinstance(v, bool) for v in flags.values()):
        raise fail(f"{where}: `same_name` and `multi_tenant` must be true or false")
    note = entry.get("note", "")
    if not isinstance(note, str):
        raise fail(f"{where}: `note` must be a string")
    return Service(
        name=name,
        category=category,
        domains=tuple(domains),
        brand_tokens=tuple(tokens),
        same_name=flags["same_name"],
        multi_tenant=flags["multi_tenant"],
        note=note,
    )


@functools.lru_cache(maxsize=1)
def load_catalog() -> ServiceCatalog:
    """The built-in catalogue (`skimscan/policy/data/services.yaml`), read once per process."""
    resource = resources.files("skimscan.policy").joinpath(CATALOG_RESOURCE)
    source = f"built-in service catalogue ({CATALOG_RESOURCE})"
    try:
        data = yaml.safe_load(resource.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{source}: cannot be read: {exc}") from exc
    return ServiceCatalog.from_mapping(data, source)


# --------------------------------------------------------------------------- policy patterns


@dataclass(frozen=True, slots=True)
class _Pattern:
    """A policy entry: `host`, `*.domain`, or (for processors and IOCs) a domain with its
    subdomains. URLs are accepted and reduced to their host."""

    text: str
    host: str
    subdomains_only: bool
    covers_subdomains: bool

    def matches(self, host: str) -> bool:
        if host == self.host:
            return not self.subdomains_only
        return (self.subdomains_only or self.covers_subdomains) and host.endswith("." + self.host)

    @classmethod
    def parse(cls, text: str, setting: str, *, covers_subdomains: bool) -> _Pattern:
        raw = text.strip()
        wildcard = raw.startswith("*.")
        body = raw[2:] if wildcard else raw
        target = _parse_target(body) if "/" in body else _Target("host", normalise_host(body) or "")
        if raw == "*" or target.kind != "host" or not target.host:
            raise ConfigError(
                f"policy `{setting}`: {text!r} is not a host, `*.domain` pattern or URL"
            )
        host = target.host
        broad = (wildcard or covers_subdomains) and setting != "known_bad"
        if broad and _ip(host) is None and registrable_domain(host) is None:
            raise ConfigError(
                f"policy `{setting}`: {text!r} would match every site under the public "
                f"suffix {host!r}; list the hosts instead"
            )
        return cls(raw, host, wildcard, covers_subdomains)


#: how each policy setting's entries are read: (name in messages, covers subdomains)
POLICY_HOST_SETTINGS = {"approved_hosts": ("approved", False),
                        "processors": ("processors", True), "known_bad": ("known_bad", True)}


def check_host_patterns(key: str, patterns: Iterable[str]) -> None:
    """Raise the classifier's `ConfigError` for an entry of a policy's `key` setting that it
    would refuse (`*`, a whole public suffix), so a policy file is refused when it is loaded,
    with its line, and not only when a page is scanned."""
    setting, covers = POLICY_HOST_SETTINGS[key]
    for pattern in patterns:
        _Pattern.parse(pattern, setting, covers_subdomains=covers)


# --------------------------------------------------------------------------- the classifier


class HostClassifier:
    """Classifies destinations for one page (or none, when scanning files).

    `site`: the page's URL, host or registrable domain; None when there is no page.
    `approved`: hosts (`cdn.example.com`, exact) or patterns (`*.example-cdn.com`, subdomains
    only, as in CSP) that the merchant's policy allows. `processors`: extra payment processor
    domains (each covers its subdomains). `known_bad`: IOC hosts (each covers its subdomains).
    `catalog`: defaults to the built-in one.
    """

    def __init__(
        self,
        site: str | None = None,
        *,
        approved: Iterable[str] = (),
        processors: Iterable[str] = (),
        known_bad: Iterable[str] = (),
        catalog: ServiceCatalog | None = None,
    ) -> None:
        self._catalog = catalog if catalog is not None else load_catalog()
        self._site_host, self._site_domain = self._parse_site(site)
        self._approved = tuple(
            _Pattern.parse(p, "approved", covers_subdomains=False) for p in approved
        )
        self._processors = tuple(
            _Pattern.parse(p, "processors", covers_subdomains=True) for p in processors
        )
        self._known_bad = tuple(
            _Pattern.parse(p, "known_bad", covers_subdomains=True) for p in known_bad
        )
        brands: list[Brand] = []
        embedded = dict(self._catalog.embedded_domains)
        if self._site_domain is not None:
            label = _main_label(self._site_domain)
            site_brand = Brand.from_token(
                label,
                self._site_domain,
                own_labels=(label,),
                same_name=False,  # merchants often hold several country domains
                is_site=True,
            )
            brands.append(site_brand)
            embedded[self._site_domain] = site_brand
        brands.extend(self._catalog.brands)
        self._brands: Sequence[Brand] = tuple(brands)
        self._embedded: dict[str, Brand] = embedded
        self._memo: dict[str, HostInfo] = {}

    @staticmethod
    def _parse_site(site: str | None) -> tuple[str | None, str | None]:
        if site is None or not site.strip():
            return None, None
        text = site.strip()
        scheme = _SCHEME.match(text)
        if (
            "://" in text
            or text.startswith("//")
            or (scheme is not None and scheme.group(1).lower() in _LOCAL_SCHEMES)
        ):
            target = _parse_target(text)
        else:  # a host, `host:port` or `host/path`
            target = _authority_host(text)
        if target.kind in ("local", "hostless"):
            return None, None  # file:// pages and about:blank have no site
        if target.kind != "host":
            raise ConfigError(f"site {site!r} is not a URL or host name")
        return target.host, registrable_domain(target.host)

    @property
    def site(self) -> str | None:
        """The page's host, normalised, or None."""
        return self._site_host

    @property
    def catalog(self) -> ServiceCatalog:
        return self._catalog

    # -- public API --------------------------------------------------------------------------

    def classify(self, url: str | None) -> HostInfo:
        """Classify where a URL (absolute, protocol-relative, bare host or relative) goes."""
        if url is None:
            return HostInfo("", HostClass.UNRESOLVED, reason="URL not known statically")
        target = _parse_target(url)
        if target.kind == "host":
            return self.classify_host(target.host)
        if target.kind == "relative":
            return HostInfo(
                self._site_host or "",
                HostClass.FIRST_PARTY,
                registrable_domain=self._site_domain,
                reason="relative URL",
            )
        if target.kind == "local":
            return HostInfo("", HostClass.FIRST_PARTY, reason=f"local scheme ({target.detail}:)")
        if target.kind == "hostless":
            return HostInfo(
                "", HostClass.UNKNOWN, reason=f"{target.detail}: URL has no network host"
            )
        return HostInfo("", HostClass.UNRESOLVED, reason=target.detail)

    def classify_host(self, host: str) -> HostInfo:
        """Classify a host name or IP address (a port or brackets are tolerated)."""
        normal = normalise_host(host)
        if normal is None:
            return HostInfo(host, HostClass.UNRESOLVED, reason=f"unparseable host {host[:80]!r}")
        cached = self._memo.get(normal)
        if cached is None:
            cached = self._classify(normal)
            self._memo[normal] = cached
        return cached

    # -- the precedence ----------------------------------------------------------------------

    def _classify(self, host: str) -> HostInfo:
        ip = _ip(host)
        reg = None if ip is not None else registrable_domain(host)
        matched = self._catalog.match(host) if ip is None else None
        service = matched[1] if matched else None

        def info(host_class: HostClass, reason: str) -> HostInfo:
            return HostInfo(
                host,
                host_class,
                registrable_domain=reg,
                reason=reason,
                service=service.name if service else None,
                category=service.category if service else None,
            )

        bad = self._first(self._known_bad, host)
        if bad is not None:
            return info(HostClass.KNOWN_BAD, f"listed as an indicator of compromise ({bad.text})")
        first_party = self._first_party(host, reg)
        if first_party:
            return info(HostClass.FIRST_PARTY, first_party)
        approved = self._first(self._approved, host)
        if approved is not None:
            return info(HostClass.APPROVED, f"approved by the policy ({approved.text})")
        if ip is not None:
            scope = "loopback" if ip.is_loopback else "private network" if ip.is_private else ""
            return info(
                HostClass.UNKNOWN, f"bare IP address ({scope})" if scope else "bare IP address"
            )
        processor = self._first(self._processors, host)
        if processor is not None:
            return info(
                HostClass.PROCESSOR, f"payment processor listed in the policy ({processor.text})"
            )
        if matched is not None and matched[1].is_processor:
            domain, svc = matched
            return info(HostClass.PROCESSOR, f"payment processor {svc.name} ({domain})")
        lookalike = self._lookalike(host, reg, matched)
        if lookalike is not None:
            return HostInfo(
                host,
                HostClass.LOOKALIKE,
                registrable_domain=reg,
                reason=lookalike.reason,
                lookalike_of=lookalike.brand.imitated,
            )
        if matched is not None:
            domain, svc = matched
            note = self._catalog.categories.get(svc.category, "")
            extra = f"; {svc.note}" if svc.note else ""
            if svc.multi_tenant:
                return info(
                    HostClass.UNKNOWN,
                    f"a tenant of {svc.name} ({domain}): anyone can publish there, so the "
                    f"platform says nothing about who controls this host{extra}",
                )
            return info(
                HostClass.WELL_KNOWN,
                f"well-known {svc.category} service {svc.name} ({domain}): {note}{extra}",
            )
        return info(HostClass.UNKNOWN, self._unknown_reason(host, reg))

    @staticmethod
    def _first(patterns: Sequence[_Pattern], host: str) -> _Pattern | None:
        return next((p for p in patterns if p.matches(host)), None)

    def _first_party(self, host: str, reg: str | None) -> str:
        site = self._site_host
        if site is None:
            return ""
        if host == site:
            return "the page's own host"
        if reg is not None and reg == self._site_domain:
            return f"same registrable domain as the page ({reg})"
        if _is_loopback(host) and _is_loopback(site):
            return "loopback address, as is the page"
        return ""

    def _lookalike(
        self, host: str, reg: str | None, matched: tuple[str, Service] | None
    ) -> Lookalike | None:
        if reg is None or self._catalog.owns(reg):
            return None
        if matched is not None and not matched[1].multi_tenant:
            return None  # the service itself
        subdomain = host[: -len(reg) - 1] if host != reg else ""
        return find_lookalike(
            _main_label(reg),
            self._brands,
            self._catalog.lookalike_words,
            subdomain="" if matched is not None else subdomain,
            embedded=self._embedded,
        )

    def _unknown_reason(self, host: str, reg: str | None) -> str:
        reason = "not first-party, approved, a payment processor or a known service"
        if reg is None:
            return f"{reason}; {host!r} has no registrable domain"
        site = self._site_domain
        if site is not None and reg != site and _main_label(reg) == _main_label(site):
            return (
                f"{reason}; it has the site's name under another suffix ({site}): approve it "
                "in the policy if the merchant owns it"
            )
        return reason
