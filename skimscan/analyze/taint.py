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
    _labels: dict[str, dict[str, tuple[str | None, FlowStep | None]]] | None = None
    locate: Callable[[Any], Location] = _as_is

    def add_edge(self, dst: str, src: str, site: Any, note: str) -> None:
        if dst == src:
            return
        self.incoming.setdefault(dst, []).append(Edge(src, site, note))
        self._labels = None

    def add_seed(self, binding: str, label: str, step: FlowStep) -> None:
        self.seeds.setdefault(binding, {}).setdefault(label, step)
        self._labels = None

    def _propagate(self) -> dict[str, dict[str, tuple[str | None, FlowStep | None]]]:
        """For each binding, each label it carries and its predecessor (for paths)."""
        if self._labels is not None:
            return self._labels
        outgoing: dict[str, list[tuple[str, Edge]]] = {}
        for dst, edges in self.incoming.items():
            for edge in edges:
                outgoing.setdefault(edge.src, []).append((dst, edge))
        labels: dict[str, dict[str, tuple[str | None, FlowStep | None]]] = {}
        queue: deque[tuple[str, str]] = deque()
        for binding, seeded in self.seeds.items():
            for label, step in seeded.items():
                labels.setdefault(binding, {})[label] = (None, step)
                queue.append((binding, label))
        while queue:
            binding, label = queue.popleft()
            for dst, edge in outgoing.get(binding, ()):
                have = labels.setdefault(dst, {})
                if label in have:
                    continue
                site = edge.site
                where = site if isinstance(site, Location) else self.locate(site)
                have[label] = (binding, FlowStep(where, edge.note))
                queue.append((dst, label))
        self._labels = labels
        return labels

    def labels_of(self, bindings: Iterable[str]) -> set[str]:
        result: set[str] = set()
        table = self._propagate()
        for b in bindings:
            result.update(table.get(b, {}))
        return result

    def path(self, bindings: Iterable[str], label: str, limit: int = 12) -> list[FlowStep]:
        """Steps from a source to one of `bindings`, oldest first (for evidence)."""
        table = self._propagate()
        for b in sorted(bindings):
            if label not in table.get(b, {}):
                continue
            steps: list[FlowStep] = []
            current: str | None = b
            seen: set[str] = set()
            while current is not None and current not in seen and len(steps) < limit:
                seen.add(current)
                prev, step = table[current][label]
                if step is not None:
                    steps.append(step)
                current = prev
            steps.reverse()
            return steps
        return []
