"""The pattern tree written out in RE2's syntax, for pyarrow's
``match_substring_regex``."""

from __future__ import annotations

from typing import Any

from cxaudit.regexes.charsets import Ranges, _complement
from cxaudit.regexes.tree import _Alt, _Anchor, _Chars, _Repeat, _Seq


def _re2_char(code: int) -> str:
    if code < 128 and chr(code).isalnum():
        return chr(code)
    return f"\\x{{{code:X}}}"


def _re2_class(ranges: Ranges) -> str:
    if not ranges:
        return r"[^\x00-\x{10FFFF}]"  # matches nothing
    if len(ranges) == 1 and ranges[0][0] == ranges[0][1]:
        return _re2_char(ranges[0][0])
    negated = _complement(ranges)
    if not negated:
        return "(?s:.)"
    negate = len(negated) < len(ranges)
    body = "".join(
        _re2_char(lo) if lo == hi else f"{_re2_char(lo)}-{_re2_char(hi)}"
        for lo, hi in (negated if negate else ranges)
    )
    return f"[{'^' if negate else ''}{body}]"


_ANCHORS = {
    "start": r"\A",
    "line_start": "(?m:^)",
    "end": r"\z",
    "line_end": "(?m:$)",
    "ascii_word": r"\b",
}


def _emit(node: Any) -> str:
    if isinstance(node, _Chars):
        return _re2_class(node.ranges)
    if isinstance(node, _Seq):
        return "".join(_emit(item) for item in node.items)
    if isinstance(node, _Alt):
        return "(?:" + "|".join(_emit(option) for option in node.options) + ")"
    if isinstance(node, _Repeat):
        inner = node.node
        single = isinstance(inner, _Seq) and len(inner.items) == 1
        body = _emit(inner)
        if not (single and isinstance(inner.items[0], (_Chars, _Alt))):
            body = f"(?:{body})"
        low, high = node.min, node.max
        if (low, high) == (0, None):
            return body + "*"
        if (low, high) == (1, None):
            return body + "+"
        if (low, high) == (0, 1):
            return body + "?"
        if high is None:
            return f"{body}{{{low},}}"
        return f"{body}{{{low}}}" if low == high else f"{body}{{{low},{high}}}"
    if isinstance(node, _Anchor):
        if node.replacement is not None:
            return "(?:" + _emit(node.replacement) + ")"
        return _ANCHORS[node.kind]
    raise AssertionError(node)  # pragma: no cover
