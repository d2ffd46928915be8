"""STAGE 3 (analyze): scripts that are, byte for byte, a published build of a known library.

Why this exists: checkout pages load the same pristine builds of jQuery, lodash, React, Vue,
Bootstrap ... from CDNs over and over, and statically analysing a 300 KB library costs far more
than the skimmer sitting next to it. A script whose sha256 equals that of a file published on
npm *is* that file, so it need not be analysed again: `KnownBuilds.name(sha256)` says which file
it is (`"jquery@3.7.1/dist/jquery.min.js"`), or None.

Why it is safe:

- Identity is the sha256 of the whole file, never its name, URL, banner or size. A skimmer named
  `jquery.min.js`, served from a CDN-looking path or opening with jQuery's banner has other bytes
  and is analysed. A modified copy is never matched: one byte appended, one character changed,
  a skimmer glued onto a real library (the usual way of hiding one) all give another hash.
- A miss only costs time: a file that is not in the table, or whose text skimscan hashes
  differently from its bytes on npm (a byte-order mark, another charset), is analysed as usual.
- The table lists files as published on npm: it proves that the bytes are what npm serves for
  that version, not that the version is benign. A malicious version published to npm (a
  hijacked maintainer account) would be listed too if it were pinned. So the selection in
  `tools/known_builds.py`, which generates `known_builds.json`, pins every version by hand, never
  "latest", and a regenerated table shows up in review as a diff; callers that skip analysis for
  known builds offer a switch (`--no-known-builds`) to analyse everything (`KnownBuilds.empty()`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from types import MappingProxyType

from skimscan.errors import ConfigError

RESOURCE = "known_builds.json"

_SHA256_RE = re.compile(r"[0-9a-f]{64}")
#: `package@version/path`: an npm name (maybe scoped), an exact x.y.z release, a path in the tarball
NAME_RE = re.compile(
    r"(?:@[a-z0-9~][a-z0-9._~-]*/)?[a-z0-9~][a-z0-9._~-]*@\d+\.\d+\.\d+/[^\s\\]+"
)


@dataclass(frozen=True, slots=True, eq=False)
class KnownBuilds:
    """Published library builds by the sha256 (hex) of their bytes: sha256 -> package@version/path.

    `KnownBuilds.load()` is the table shipped with skimscan (read once per process);
    `KnownBuilds.empty()` knows nothing, for callers told to analyse every script.
    """

    builds: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), repr=False)

    @classmethod
    def load(cls) -> KnownBuilds:
        """The built-in table (`skimscan/analyze/known_builds.json`), read once per process."""
        return _packaged()

    @classmethod
    def empty(cls) -> KnownBuilds:
        return cls()

    @classmethod
    def from_mapping(cls, data: object, source: str) -> KnownBuilds:
        """A table from parsed JSON, every key a lowercase sha256 and every value a name."""
        if not isinstance(data, dict):
            raise ConfigError(f"{source}: must be an object of sha256 -> package@version/path")
        for key, value in data.items():
            if not (isinstance(key, str) and _SHA256_RE.fullmatch(key)):
                raise ConfigError(f"{source}: {key!r} is not a lowercase hex sha256")
            if not (isinstance(value, str) and NAME_RE.fullmatch(value)):
                raise ConfigError(f"{source}: {value!r} is not package@version/path")
        return cls(MappingProxyType(dict(data)))

    def name(self, sha256: str) -> str | None:
        """`package@version/path` of the published file with this sha256 (hex, either case),
        or None: for an unknown hash and for anything that is not 64 hex digits."""
        key = sha256.lower() if isinstance(sha256, str) else ""
        return self.builds.get(key) if _SHA256_RE.fullmatch(key) else None

    def identify(self, data: bytes) -> str | None:
        """`name()` of these exact bytes."""
        return self.name(hashlib.sha256(data).hexdigest())

    def __len__(self) -> int:
        return len(self.builds)


@functools.lru_cache(maxsize=1)
def _packaged() -> KnownBuilds:
    resource = resources.files("skimscan.analyze").joinpath(RESOURCE)
    source = f"built-in table of known library builds ({RESOURCE})"
    try:
        data = json.loads(resource.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ConfigError(f"{source}: cannot be read: {exc}") from exc
    return KnownBuilds.from_mapping(data, source)
