"""The deobfuscator's layout is its contract with contributors: every technique has one
module in the pass lists and one test module, and every module in the package is accounted
for."""

from pathlib import Path

from skimscan.analyze import deobfuscate
from skimscan.analyze.deobfuscate import LOCAL, PASSES, Technique

ROOT = Path(__file__).resolve().parents[2]
SUPPORT = {"__init__", "context", "environment", "global_object", "inline", "isolate", "scope",
           "techniques", "tree"}


def test_every_technique_has_one_pass_and_a_test_module() -> None:
    modules = {m.TECHNIQUE: m for m in (*LOCAL, *PASSES)}
    assert set(modules) == set(Technique)
    for technique in Technique:
        assert (ROOT / technique.test_module).is_file(), technique.test_module


def test_every_module_is_a_pass_or_named_support() -> None:
    package = Path(deobfuscate.__file__).parent
    names = {p.stem for p in package.glob("*.py")}
    passes = {m.__name__.rsplit(".", 1)[1] for m in (*LOCAL, *PASSES)}
    assert names == passes | SUPPORT


def test_big_ordinary_bundles_are_analysed_as_written() -> None:
    from skimscan.analyze.deobfuscate import ALWAYS_BYTES, worth_rewriting

    bundle = "function f(a) { return a + 1; }\n" * (ALWAYS_BYTES // 20)
    assert worth_rewriting("var a = atob('aGk=');")
    assert not worth_rewriting(bundle)
    names = "".join(f"var _0x{i:04x} = {i};" for i in range(0xa000, 0xa010))
    assert worth_rewriting(bundle + names)
    packed = "eval(function(p,a,c,k,e,d){return p}('x',62,1,''.split('|'),0,{}))"
    assert worth_rewriting(bundle + packed)


def test_a_failing_pass_stops_deobfuscation_not_the_analysis() -> None:
    from types import SimpleNamespace

    from skimscan.analyze.deobfuscate import deobfuscate_tree
    from skimscan.analyze.parse import parse, run_deep

    def broken(ctx: object) -> int:
        raise KeyError("unexpected node")

    code = "var u = atob('aHR0cHM6Ly94LmV4YW1wbGU='); fetch(u);"
    bad = SimpleNamespace(run=broken, TECHNIQUE="packers")

    def work() -> object:
        tree = parse(code).tree
        return deobfuscate_tree(tree, code, passes=[*PASSES[:4], bad], printed=True)

    result = run_deep(work)
    assert "deobfuscation stopped early (KeyError" in result.notes[0]  # type: ignore[attr-defined]
    assert 'var u = "https://x.example";' in result.code  # type: ignore[attr-defined]


def test_deobfuscation_cut_short_is_a_finding_and_never_clean(analyze, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Out of budget (here: a pass that fails at once), the script's report says so; an
    obfuscated script in that state is suspicious, a plain one gets a low note."""
    from skimscan.analyze.deobfuscate import decoders
    from skimscan.models import Severity, Verdict

    def broken(ctx: object) -> int:
        raise KeyError("unexpected node")

    monkeypatch.setattr(decoders, "run", broken)
    names = "".join(f"var _0x{i:04x} = {i};\n" for i in range(10))
    hidden = analyze(names + "document.title = 'shop';")
    cut = [f for f in hidden.findings if f.rule == "deobfuscation-incomplete"]
    assert cut and cut[0].severity is Severity.MEDIUM and "KeyError" in cut[0].message
    assert hidden.verdict is Verdict.SUSPICIOUS
    plain = analyze("document.title = 'shop';")
    assert [f.severity for f in plain.findings if f.rule == "deobfuscation-incomplete"] == [
        Severity.LOW]
    assert plain.verdict is Verdict.CLEAN
