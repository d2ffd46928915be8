"""Dead code and opaque predicates: a branch whose test is a constant keeps only the side that
runs (`if ('xk' === 'xq') {…} else {…}` after folding, `false ? a : b`, `while (false) …`).

Dead-code injection fills obfuscated programs with plausible junk behind predicates that are
always false; left in place, that junk reads card fields and calls sinks that never run.
"""

from __future__ import annotations

from typing import Any

from skimscan.analyze.deobfuscate.techniques import Technique
from skimscan.analyze.deobfuscate.tree import N, truthy

TECHNIQUE = Technique.DEAD_CODE


def _empty(like: Any) -> Any:
    return N("EmptyStatement", loc=like.loc)


def prune_if(node: Any) -> Any | None:
    known = truthy(node.test)
    if known is None:
        return None
    kept = node.consequent if known else node.alternate
    return kept if kept is not None else _empty(node)


def prune_conditional(node: Any) -> Any | None:
    known = truthy(node.test)
    if known is None:
        return None
    return node.consequent if known else node.alternate


def prune_while(node: Any) -> Any | None:
    return _empty(node) if truthy(node.test) is False else None


RULES = {"IfStatement": prune_if, "ConditionalExpression": prune_conditional,
         "WhileStatement": prune_while}
