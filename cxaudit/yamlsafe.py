"""Safe YAML loading that remembers line numbers.

A rules file is plain data: mappings, lists, strings, numbers, true/false and
null. Object tags (``!!python/object``) are refused, duplicate keys are an
error instead of "last one wins", and YAML 1.1's surprising scalars are off:
``no``, ``off`` and ``2026-11-01`` stay strings, so ``in: [no, yes]`` means
what it says. Every key and list item keeps its line so rules-file errors can
point at it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from cxaudit.errors import CxauditError

Path_ = tuple[str | int, ...]

_BOOL = "tag:yaml.org,2002:bool"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2-style booleans and no implicit timestamps."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL, _TIMESTAMP)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class LineMap(dict[Path_, int]):
    """Line number (1-based) of each key or list item, by its path."""

    def line(self, path: Path_) -> int | None:
        """Line of ``path`` or, failing that, of its nearest ancestor."""
        while path:
            if path in self:
                return self[path]
            path = path[:-1]
        return self.get((), None)


def load_yaml(text: str, filename: str | Path) -> tuple[Any, LineMap]:
    """Parse ``text`` into plain Python data plus a :class:`LineMap`."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" line {mark.line + 1}" if mark else ""
        problem = exc.problem or exc.context or "invalid YAML"
        raise CxauditError(
            f"{filename}:{where}: not valid YAML ({problem}); check indentation and quoting"
        ) from None
    except yaml.YAMLError as exc:
        raise CxauditError(f"{filename}: not valid YAML ({exc})") from None
    finally:
        loader.dispose()
    lines = LineMap()
    if node is None:
        return None, lines
    lines[()] = node.start_mark.line + 1
    return _build(node, (), lines, loader, filename), lines


def _build(node: yaml.Node, path: Path_, lines: LineMap, loader: _Loader, filename: Any) -> Any:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        if node.tag != _MAP:
            _bad_tag(node, filename)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise CxauditError(f"{filename}: line {line}: a key must be plain text")
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise CxauditError(
                    f"{filename}: line {key_node.start_mark.line + 1}: YAML merge keys (<<) "
                    "are not supported in rules files; write the keys out"
                )
            key = _scalar(key_node, loader, filename)
            if key in out:
                raise CxauditError(
                    f"{filename}: line {key_node.start_mark.line + 1}: key {key!r} appears twice "
                    f"in the same mapping (first at line {lines[(*path, key)]}); keep one"
                )
            lines[(*path, key)] = key_node.start_mark.line + 1
            out[key] = _build(value_node, (*path, key), lines, loader, filename)
        return out
    if isinstance(node, yaml.SequenceNode):
        if node.tag != _SEQ:
            _bad_tag(node, filename)
        items = []
        for i, item in enumerate(node.value):
            lines[(*path, i)] = item.start_mark.line + 1
            items.append(_build(item, (*path, i), lines, loader, filename))
        return items
    return _scalar(node, loader, filename)


def _scalar(node: yaml.Node, loader: _Loader, filename: Any) -> Any:
    if node.tag not in _PLAIN_TAGS:
        _bad_tag(node, filename)
    return loader.construct_object(node, deep=True)


def _bad_tag(node: yaml.Node, filename: Any) -> None:
    raise CxauditError(
        f"{filename}: line {node.start_mark.line + 1}: YAML tag {node.tag!r} is not allowed; "
        "rules files hold plain text, numbers, lists and mappings only"
    )
