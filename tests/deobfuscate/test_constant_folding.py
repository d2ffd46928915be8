"""constant_folding: operators on constants become constants; anything inexact stays."""

from skimscan.analyze.deobfuscate import constant_folding
from tests.deobfuscate.helpers import clean, flat


def test_folds_numbers_written_as_expressions() -> None:
    assert flat(clean("f(0x1*-0x7d3+0x1c4a+-0x1472);", constant_folding)) == "f(5);"


def test_folds_split_strings_and_hidden_booleans() -> None:
    out = flat(clean("x = 'ht' + 'tp' + 's:'; y = !![]; z = ![]; w = 'ab' === 'ac';",
                     constant_folding))
    assert out == 'x = "https:"; y = true; z = false; w = false;'


def test_folds_typeof_and_bitwise() -> None:
    assert flat(clean("a = typeof 'x'; b = 5 ^ 3; c = -1 >>> 28;", constant_folding)) == \
        'a = "string"; b = 6; c = 15;'


def test_leaves_inexact_and_runtime_values_alone() -> None:
    code = 'a = 0.1 + 0.2; b = 1 / 3; c = x + 1; d = "a" + y; e = -1 * 0;'
    assert flat(clean(code, constant_folding)) == flat(code.replace("-1 * 0", "(-1) * 0"))
