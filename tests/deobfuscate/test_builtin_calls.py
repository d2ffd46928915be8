"""builtin_calls: pure built-ins on constants are evaluated in the isolate."""

from skimscan.analyze.deobfuscate import builtin_calls
from tests.deobfuscate.helpers import clean, flat


def test_decodes_base64_char_codes_and_reversal() -> None:
    code = ("a = atob('aHR0cHM6Ly9ldmlsLmV4YW1wbGU=');"
            "b = String.fromCharCode(99, 118, 118);"
            "c = 'elpmaxe.lived'.split('').reverse().join('');"
            "d = parseInt('1z', 36); e = 'a|b'.split('|');")
    out = flat(clean(code, builtin_calls))
    assert out == ('a = "https://evil.example"; b = "cvv"; c = "devil.example"; d = 71; '
                   'e = ["a", "b"];')


def test_shadowed_builtins_and_run_time_arguments_stay() -> None:
    code = "function atob(s) { return s; } a = atob('aGk='); b = String.fromCharCode(x);"
    out = flat(clean(code, builtin_calls))
    assert "atob(\"aGk=\")" in out and "fromCharCode(x)" in out
