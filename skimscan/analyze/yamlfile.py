"""YAML with line numbers, for files people write by hand (rules, policies).

Every mapping gets a `__line__` key (1-based line where it starts), so validation errors can
say `file:line:` and point at the mistake. `strip_lines` removes the keys once validated.
Only the safe loader is used: these files are data, never code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from skimscan.errors import SkimscanError


class LineLoader(yaml.SafeLoader):
    """Safe loader that records the line of every mapping."""


def _construct_mapping(loader: LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    result: dict[str, Any] = {str(k): v for k, v in mapping.items()}
    result["__line__"] = node.start_mark.line + 1
    return result


LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(path: Path, error: type[SkimscanError]) -> Any:
    """Parse a YAML file; unreadable files and syntax errors raise `error("file:line: …")`."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}:0: cannot read: {exc}") from None
    try:
        return yaml.load(text, Loader=LineLoader)  # a SafeLoader subclass: data only
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        problem = getattr(exc, "problem", None) or str(exc)
        raise error(f"{path}:{line}: invalid YAML: {problem}") from None


def line_of(value: Any, default: int = 1) -> int:
    return int(value.get("__line__", default)) if isinstance(value, dict) else default


def strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: strip_lines(v) for k, v in value.items() if k != "__line__"}
    if isinstance(value, list):
        return [strip_lines(v) for v in value]
    return value
