"""Run one deobfuscation pass (or all) on a snippet and return the printed program."""

from __future__ import annotations

from types import ModuleType

from skimscan.analyze.deobfuscate import LOCAL, PASSES, Deobfuscation, deobfuscate_tree
from skimscan.analyze.parse import parse, run_deep


def rewrite(code: str, *only: ModuleType) -> Deobfuscation:
    """Deobfuscate `code` with the given passes (node-local modules and whole-program modules
    alike), or with everything when none are given."""

    def work() -> Deobfuscation:
        tree = parse(code).tree
        assert tree is not None
        passes = [m for m in only if m not in LOCAL] if only else list(PASSES)
        local = not only or any(m in LOCAL for m in only)
        return deobfuscate_tree(tree, code, passes=passes, local=local, printed=True,
                                local_modules=[m for m in only if m in LOCAL] or None)

    return run_deep(work)


def clean(code: str, *only: ModuleType) -> str:
    return rewrite(code, *only).code


def flat(code: str) -> str:
    """Whitespace-insensitive form for comparisons."""
    return " ".join(code.split())
