"""STAGE 3 (analyze) — taint propagation over bindings, within one script.

The visitor turns the script into a small graph: nodes are bindings (a variable in the scope
that declares it, an object whose properties were written, a function's parameters and return
value, pseudo-bindings for storage and cookies), edges say "data of B may reach A". Sources put
labels (`card`, `form`, `keys`, `input`) on bindings or directly on sink arguments. Propagation
is a breadth-first closure, linear in the graph size, and remembers for each (binding, label)
where it came from so that a finding can show the path.

Why bindings and not values: this is a may-analysis for a detector. Over-approximation (an
object is tainted when any property is) costs a little precision; under-approximation would let
skimmers that shuffle data through objects, arrays, closures and storage go unseen.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from skimscan.models import FlowStep, Location


@dataclass(slots=True)  # never changed after creation; not frozen, as a frozen init is slower
class Edge:
    dst: str  # kept on the edge so that propagation indexes edges, not (dst, edge) pairs
    src: str
    site: Any  # a Location, or an AST node whose location `TaintGraph.locate` gives on demand
    note: str


def _as_is(site: Any) -> Location:
    if not isinstance(site, Location):
        raise TypeError("an edge site that is not a Location needs TaintGraph.locate")
    return site


@dataclass
class TaintGraph:
    """Edges into each binding, and labels placed on bindings by sources.

    Edges may name their site as an AST node: most edges never end up on a path, so their
    locations are computed (by `locate`) only for those that do."""

    incoming: dict[str, list[Edge]] = field(default_factory=dict)
    seeds: dict[str, dict[str, FlowStep]] = field(default_factory=dict)
    #: label -> binding -> the edge the label came by (its predecessor is the edge's
    #: `src`), or the step of the seed that placed it. Edges, not FlowSteps: a bundle
    #: propagates ~100k labels and evidence reads a handful, so `path` makes the steps it
    #: returns; and one table per label, not one per binding (a dict each: ~35k of them)
    _labels: dict[str, dict[str, Edge | FlowStep]] | None = None
    locate: Callable[[Any], Location] = _as_is
    #: one str per distinct binding name and note (see `one`)
    _strings: dict[str, str] = field(default_factory=dict)

    def add_edge(self, dst: str, src: str, site: Any, note: str) -> None:
        if dst == src:
            return
        one = self._strings.setdefault
        self.incoming.setdefault(dst, []).append(Edge(one(dst, dst), one(src, src), site,
                                                      one(note, note)))
        self._labels = None

    def one(self, text: str) -> str:
        """One str per distinct binding name or note. Both are formatted where they are
        needed (`f"{scope}:{name}"` at every reference, "argument 1 of a call" at every
        call), and a bundle's ~250k edges and deferred edges each keep two or three."""
        return self._strings.setdefault(text, text)

    def add_seed(self, binding: str, label: str, step: FlowStep) -> None:
        self.seeds.setdefault(binding, {}).setdefault(label, step)
        self._labels = None

    def _propagate(self) -> dict[str, dict[str, Edge | FlowStep]]:
        """For each label, the bindings it reaches and how (for paths): breadth first from
        its seeds, in the order they were placed."""
        if self._labels is not None:
            return self._labels
        outgoing: dict[str, list[Edge]] = {}
        for edges in self.incoming.values():
            for edge in edges:
                outgoing.setdefault(edge.src, []).append(edge)
        table: dict[str, dict[str, Edge | FlowStep]] = {}
        for binding, seeded in self.seeds.items():
            for label, step in seeded.items():
                table.setdefault(label, {})[binding] = step
        for reached in table.values():
            frontier = deque(reached)
            while frontier:
                for edge in outgoing.get(frontier.popleft(), ()):
                    dst = edge.dst
                    if dst not in reached:
                        reached[dst] = edge
                        frontier.append(dst)
        self._labels = table
        return table

    def labels_of(self, bindings: Iterable[str]) -> set[str]:
        names = bindings if isinstance(bindings, (set, frozenset, tuple, list)) else \
            list(bindings)
        return {label for label, reached in self._propagate().items()
                if any(b in reached for b in names)}

    def path(self, bindings: Iterable[str], label: str, limit: int = 12) -> list[FlowStep]:
        """Steps from a source to one of `bindings`, oldest first (for evidence)."""
        reached = self._propagate().get(label, {})
        for b in sorted(bindings):
            if b not in reached:
                continue
            steps: list[FlowStep] = []
            current: str | None = b
            seen: set[str] = set()
            while current is not None and current not in seen and len(steps) < limit:
                seen.add(current)
                came = reached[current]
                if isinstance(came, Edge):
                    site = came.site
                    where = site if isinstance(site, Location) else self.locate(site)
                    steps.append(FlowStep(where, came.note))
                    current = came.src
                else:
                    steps.append(came)
                    current = None
            steps.reverse()
            return steps
        return []
