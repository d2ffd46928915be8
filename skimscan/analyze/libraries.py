"""STAGE 3 (analyze): blame the caller, not the library it called through.

Most skimmers send with the page's own jQuery (`$.ajax`, `$.post`), read fields with `.val()`,
or load stages with `$.getScript`; on the stack of such a request the nearest script is
jQuery. A report that names `jquery.min.js` sends the merchant to remove jQuery and keep the
skimmer. So the script blamed for a request, a field read or a listener is the first script on
its stack (nearest first, async parents included) that is not a known library; the libraries
it went through are kept as a secondary line.

A library is recognised by its own banner at the top of its code (`LIBRARIES`), never by its URL
(skimmers are routinely named `jquery.min.js`). A skimmer may copy a banner; then the whole
stack may be "libraries", and the blame goes to the outermost one — the code that started the
call — which is the impostor when a real library sits above it, and the library itself when a
skimmer was appended to it (the library *is* the culprit then).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from skimscan.models import ScriptSource

HEAD = 1500  # characters of code where a banner is looked for


@dataclass(frozen=True)
class Library:
    name: str
    banner: re.Pattern[str]


LIBRARIES: tuple[Library, ...] = (
    Library("jQuery",
            re.compile(r"jQuery (?:JavaScript Library )?v[1-4]\.\d+|jquery\.org/license")),
    Library("Prototype", re.compile(r"Prototype JavaScript framework, version \d")),
    Library("Zepto", re.compile(r"Zepto v?\d+\.\d+")),
    Library("MooTools", re.compile(r"MooTools\.More|mootools\.net|MooTools=\{version")),
    Library("lodash", re.compile(r"@license[\s*]+[Ll]odash|lodash\.com/license")),
    Library("Underscore", re.compile(r"Underscore\.js \d+\.\d+")),
    Library("axios", re.compile(r"axios v\d+\.\d+|/\*! Axios v\d")),
    Library("RequireJS", re.compile(r"RequireJS \d+\.\d+\.\d+")),
    Library("Knockout", re.compile(r"Knockout JavaScript library v\d")),
    Library("core-js", re.compile(r"core-js \d|\bcore-js/LICENSE")),
)


def identify(code: str) -> str | None:
    """The library whose banner opens this code, if any."""
    head = code[:HEAD]
    return next((lib.name for lib in LIBRARIES if lib.banner.search(head)), None)


def libraries_in(scripts: Iterable[ScriptSource]) -> dict[str, str]:
    """Script id -> library name, for the scripts that are known libraries."""
    out = {}
    for s in scripts:
        name = identify(s.code)
        if name:
            out[s.id] = name
    return out


def blame(stack: Sequence[str], libraries: Mapping[str, str]) -> tuple[str | None,
                                                                          tuple[str, ...]]:
    """(the script to blame, the library scripts the call went through), from a stack of
    script ids, nearest first."""
    through: list[str] = []
    for sid in stack:
        if sid not in libraries:
            return sid, tuple(dict.fromkeys(through))
        through.append(sid)
    if not stack:
        return None, ()
    outermost = stack[-1]
    return outermost, tuple(s for s in dict.fromkeys(through) if s != outermost)
