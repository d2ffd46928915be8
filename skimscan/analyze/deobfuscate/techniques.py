"""STAGE 3 (analyze/deobfuscate) — the techniques the deobfuscator undoes, by name.

A technique's value is the `TECHNIQUE` of the module that undoes it, the key of its count in
`skimscan deobfuscate --format json`, and — for techniques that reveal hidden strings — the
`via` of the `recovered-string` facts rules match on. Each has a test module beside the others
in `tests/deobfuscate/`.
"""

from __future__ import annotations

from enum import StrEnum


class Technique(StrEnum):
    SEQUENCES = "sequences"
    OBJECT_KEYS = "object-keys"
    CONSTANTS = "constants"
    CONSTANT_FOLDING = "constant-folding"
    MEMBER_KEYS = "member-keys"
    CALL_FORMS = "call-forms"
    DEAD_CODE = "dead-code"
    BUILTIN_CALLS = "builtin-calls"
    PROXY_OBJECTS = "proxy-objects"
    PROXY_FUNCTIONS = "proxy-functions"
    CONSTANT_ARRAYS = "constant-arrays"
    DECODERS = "decoders"
    CONTROL_FLOW = "control-flow"
    PACKERS = "packers"
    UNUSED = "unused"

    @property
    def test_module(self) -> str:
        return f"tests/deobfuscate/test_{self.value.replace('-', '_')}.py"


#: Rewrites that only tidy (the analysis already understands the original form): a program
#: changed by these alone is analysed as written.
COSMETIC = frozenset({Technique.SEQUENCES, Technique.CONSTANT_FOLDING, Technique.MEMBER_KEYS,
                      Technique.UNUSED})
