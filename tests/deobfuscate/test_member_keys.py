"""member_keys: computed members with identifier keys become static; others stay."""

from skimscan.analyze.deobfuscate import member_keys
from tests.deobfuscate.helpers import rewrite


def test_static_members_are_counted_as_rewrites() -> None:
    out = rewrite("$['ajax']({url: u}); o['send'](d);", member_keys)
    assert dict(out.techniques)["member-keys"] == 2
    assert "$.ajax(" in out.code and "o.send(d)" in out.code


def test_keys_that_are_not_names_stay_computed() -> None:
    out = rewrite("a['x-y'] = 1; b[0] = 2; c[k] = 3;", member_keys)
    assert "member-keys" not in dict(out.techniques)
    assert 'a["x-y"]' in out.code and "b[0]" in out.code and "c[k]" in out.code
