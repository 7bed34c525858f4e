"""Safe YAML loading that remembers line numbers.

A rules file is plain data: mappings, lists, strings, numbers, true/false and
null. Object tags (``!!python/object``) are refused, duplicate keys are an
error instead of "last one wins", and YAML 1.1's surprising scalars are off:
``no``, ``off`` and ``2026-11-01`` stay strings, so ``in: [no, yes]`` means
what it says. Every key and list item keeps its line so rules-file errors can
point at it. Hostile shapes are refused with their line instead of exhausting
the stack or memory: a file over :data:`MAX_BYTES` (before it is read),
nesting deeper than :data:`MAX_DEPTH` (aliases expanded too), an alias inside
the node it names, aliases that expand past :data:`MAX_VALUES` values. The
expansion is measured on the parsed nodes, each once, before anything is
built: a 1 KB "billion laughs" fails in milliseconds.
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
MAX_DEPTH = 100  # a rules file needs about ten levels (rules, where, any, ...)
MAX_VALUES = 1_000_000  # keys, items and scalars once aliases are expanded
# A rules file is a few KB. PyYAML's parser reads about 0.4 MiB a second, so
# 10 MiB would take half a minute before a single check ran.
MAX_BYTES = 1024 * 1024


def check_size(path: Path) -> None:
    """Refuse a YAML file over :data:`MAX_BYTES` before reading it."""
    try:
        size = path.stat().st_size  # a local path, or a URL (a list's sidecar)
    except OSError:
        return  # reading it names the problem
    if size > MAX_BYTES:
        raise CxauditError(
            f"{path}: {size:,} bytes, over the {MAX_BYTES // 1024 // 1024} MiB that cxaudit "
            "reads from a YAML file (a rules file is a few KB); check that this is the right file"
        )


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2-style booleans and no implicit timestamps,
    that stops composing past :data:`MAX_DEPTH` levels (PyYAML's composer
    recurses once per level)."""

    filename: Any = ""
    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.depth >= MAX_DEPTH:
            line = self.peek_event().start_mark.line + 1
            raise CxauditError(
                f"{self.filename}: line {line}: nested more than {MAX_DEPTH} levels deep; "
                "write the mappings and lists out flatter"
            )
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


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
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:  # a control character YAML forbids
        line = text.count("\n", 0, exc.position) + 1
        raise CxauditError(
            f"{filename}:{line}: not valid YAML (character U+{exc.character:04X} is not allowed "
            "in a YAML file); remove it"
        ) from None
    loader.filename = filename
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
    _Expansion(filename).check(node)
    return _Builder(lines, loader, filename).build(node, ()), lines


def _children(node: yaml.Node) -> list[tuple[int, yaml.Node]]:
    """The values of a mapping, the items of a list, each with the line of its
    key or item: what :class:`_Builder` builds and counts."""
    if isinstance(node, yaml.MappingNode):
        return [(key.start_mark.line + 1, value) for key, value in node.value]
    if isinstance(node, yaml.SequenceNode):
        return [(item.start_mark.line + 1, item) for item in node.value]
    return []


class _Expansion:
    """The size and depth of every node once aliases are expanded, each node
    measured once (an alias is the same node object again), so "billion
    laughs" costs as much as its few lines. When the whole does not fit, a
    walk in the builder's order, stepping over every part that fits whole,
    finds the line where :class:`_Builder` would have stopped, and raises
    its error."""

    def __init__(self, filename: Any) -> None:
        self.filename = filename
        self.size: dict[int, int] = {}  # capped at MAX_VALUES + 1
        self.height: dict[int, int] = {}  # capped at MAX_DEPTH + 1
        self.endless: set[int] = set()  # nodes that contain themselves
        self.first: dict[int, tuple[int | None, int]] = {}  # where each node is first met
        self.values = 0
        self.alias_line: int | None = None
        self.open: set[int] = set()

    def check(self, root: yaml.Node) -> None:
        self.measure(root, None, 0, [])
        key = id(root)
        if (
            key not in self.endless
            and self.size[key] <= MAX_VALUES
            and self.height[key] <= MAX_DEPTH
        ):
            return
        self.walk(root, root.start_mark.line + 1, root.start_mark.line + 1, None, 0, 1)

    def measure(self, node: yaml.Node, parent: int | None, index: int, stack: list[int]) -> None:
        key = id(node)
        if key in self.size:  # an alias of a node measured already
            return
        if key in stack:  # an alias inside the node it names: all between contain themselves
            self.endless.update(stack[stack.index(key) :])
            return
        self.first[key] = (parent, index)
        stack.append(key)
        size, height = 1, 1
        for i, (_line, child) in enumerate(_children(node)):
            self.measure(child, key, i, stack)
            if id(child) in self.endless:
                self.endless.add(key)
            size += self.size.get(id(child), 1)
            height = max(height, 1 + self.height.get(id(child), 1))
        stack.pop()
        self.size[key] = min(size, MAX_VALUES + 1)
        self.height[key] = min(height, MAX_DEPTH + 1)

    def walk(
        self,
        node: yaml.Node,
        line: int,
        parent_line: int,
        parent: int | None,
        index: int,
        depth: int,
    ) -> None:
        key = id(node)
        if (
            key not in self.endless
            and self.values + self.size[key] <= MAX_VALUES
            and depth - 1 + self.height[key] <= MAX_DEPTH
        ):
            self.values += self.size[key]
            return
        self.values += 1
        where = f"{self.filename}: line {self.alias_line or line}"
        if self.values > MAX_VALUES:
            raise CxauditError(
                f"{where}: aliases expand to more than {MAX_VALUES:,} values; write the "
                "repeated parts out instead"
            )
        if depth > MAX_DEPTH:
            raise CxauditError(
                f"{where}: nested more than {MAX_DEPTH} levels deep once aliases are expanded; "
                "write the mappings and lists out flatter"
            )
        if key in self.open:
            raise CxauditError(
                f"{self.filename}: line {line}: an alias (*name) refers to a mapping or list "
                "that contains it, which would never end; remove the alias"
            )
        outermost = self.alias_line is None and self.first[key] != (parent, index)
        if outermost:
            self.alias_line = parent_line
        self.open.add(key)
        for i, (child_line, child) in enumerate(_children(node)):
            self.walk(child, child_line, line, key, i, depth + 1)
        self.open.discard(key)
        if outermost:
            self.alias_line = None


class _Builder:
    """Plain Python data from composed nodes, with the line of every key
    and item. An alias is the node it names, built again where it is used;
    an alias inside that very node, or aliases expanding past
    :data:`MAX_VALUES` values ("billion laughs"), are errors."""

    def __init__(self, lines: LineMap, loader: _Loader, filename: Any) -> None:
        self.lines = lines
        self.loader = loader
        self.filename = filename
        self.open: set[int] = set()  # the mappings and lists being built
        self.built: set[int] = set()  # every mapping and list built so far
        self.alias_line: int | None = None  # where the alias being expanded is used
        self.values = 0

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.values += 1
        if self.values > MAX_VALUES:
            raise CxauditError(
                f"{self.filename}: line {self.alias_line or self.lines.line(path)}: aliases "
                "expand to more than "
                f"{MAX_VALUES:,} values; write the repeated parts out instead"
            )
        if not isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            return _scalar(node, self.loader, self.filename)
        if id(node) in self.open:
            raise CxauditError(
                f"{self.filename}: line {self.lines.line(path)}: an alias (*name) refers to a "
                "mapping or list that contains it, which would never end; remove the alias"
            )
        outermost = self.alias_line is None and id(node) in self.built
        if outermost:  # an alias: its node's marks are where the anchor is
            self.alias_line = self.lines.line(path[:-1])
        self.open.add(id(node))
        self.built.add(id(node))
        try:
            return _build(node, path, self.lines, self, self.filename)
        finally:
            self.open.discard(id(node))
            if outermost:
                self.alias_line = None


def _build(node: yaml.Node, path: Path_, lines: LineMap, builder: _Builder, filename: Any) -> Any:
    loader = builder.loader
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
            out[key] = builder.build(value_node, (*path, key))
        return out
    if isinstance(node, yaml.SequenceNode):
        if node.tag != _SEQ:
            _bad_tag(node, filename)
        items = []
        for i, item in enumerate(node.value):
            lines[(*path, i)] = item.start_mark.line + 1
            items.append(builder.build(item, (*path, i)))
        return items
    return _scalar(node, loader, filename)


def _scalar(node: yaml.Node, loader: _Loader, filename: Any) -> Any:
    if node.tag not in _PLAIN_TAGS:
        _bad_tag(node, filename)
    try:
        value = loader.construct_object(node, deep=True)
        if isinstance(value, int):
            str(value)  # 0x followed by 3600 digits is past the 4300 decimal digits str() allows
        return value
    except (ValueError, KeyError, TypeError, yaml.YAMLError):
        pass
    # An integer past Python's 4300-digit limit, or a value an explicit
    # !!int, !!float or !!bool tag does not fit.
    line = node.start_mark.line + 1
    text = str(node.value)
    kind = node.tag.rpartition(":")[2]
    if kind == "int" and len(text) > 1000:
        raise CxauditError(
            f"{filename}: line {line}: a number of {len(text):,} characters is too long to "
            "read; quote it if it is text"
        ) from None
    shown = repr(text) if len(text) <= 40 else repr(text[:40]) + "..."
    raise CxauditError(
        f"{filename}: line {line}: {shown} is not a valid {kind}; fix the value or drop "
        f"the !!{kind} tag"
    ) from None


def _bad_tag(node: yaml.Node, filename: Any) -> None:
    raise CxauditError(
        f"{filename}: line {node.start_mark.line + 1}: YAML tag {node.tag!r} is not allowed; "
        "rules files hold plain text, numbers, lists and mappings only"
    )
