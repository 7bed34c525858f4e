"""``\\b`` and ``\\B`` rewritten without them.

Python's ``\\b`` is Unicode-aware, RE2's is ASCII-only, so each one is
replaced by what it means at its point of the pattern, found from the
characters that may stand just before and just after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cxaudit.regexes.charsets import Ranges, _complement, _intersection, _intersects, _union
from cxaudit.regexes.tree import _Alt, _Anchor, _Chars, _Repeat, _Seq

EDGE = -1  # the start or end of the text, or a line break beside ^ or $: not a word character


@dataclass(frozen=True)
class _Side:
    """The characters that may stand on one side of a point: ``chars``
    (:data:`EDGE` for the text's start or end), and ``outside`` when on some
    path nothing of the match is on that side (the character is one the
    pattern does not see); ``crossed`` when another zero-width assertion
    lies between."""

    chars: Ranges = ()
    outside: bool = False
    crossed: bool = False

    def join(self, other: _Side) -> _Side:
        return _Side(
            _union(self.chars, other.chars),
            self.outside or other.outside,
            self.crossed or other.crossed,
        )


_NOTHING = _Side()


def _edge(node: Any, last: bool) -> tuple[_Side, bool]:
    """The characters ``node`` may begin with (or end with, when ``last``),
    and whether it may match nothing."""
    if isinstance(node, _Chars):
        return _Side(node.ranges), False
    if isinstance(node, _Anchor):
        at_text_edge = ("start", "line_start") if last else ("end", "line_end")
        if node.kind in at_text_edge:  # the character beyond is the edge or a line break
            return _Side(((EDGE, EDGE),)), False
        return _Side(crossed=True), True
    if isinstance(node, _Seq):
        side, empty = _NOTHING, True
        for item in reversed(node.items) if last else node.items:
            part, part_empty = _edge(item, last)
            side = side.join(part)
            if not part_empty:
                return side, False
        return side, empty
    if isinstance(node, _Alt):
        side, empty = _NOTHING, False
        for option in node.options:
            part, part_empty = _edge(option, last)
            side, empty = side.join(part), empty or part_empty
        return side, empty
    if isinstance(node, _Repeat):
        if node.max == 0:
            return _NOTHING, True
        part, part_empty = _edge(node.node, last)
        return part, part_empty or node.min == 0
    raise AssertionError(node)  # pragma: no cover


def _resolve(node: Any, before: _Side, after: _Side, words: Any) -> None:
    """Rewrite every Unicode \\b and \\B under ``node``, given what may stand
    just before and just after it."""
    if isinstance(node, _Seq):
        for i, item in enumerate(node.items):
            if not isinstance(item, (_Seq, _Alt, _Repeat, _Anchor)):
                continue
            prev, prev_empty = _edge(_Seq(node.items[:i]), last=True)
            nxt, next_empty = _edge(_Seq(node.items[i + 1 :]), last=False)
            prev = prev.join(before) if prev_empty else prev
            nxt = nxt.join(after) if next_empty else nxt
            try:
                _resolve(item, prev, nxt, words)
            except _NeedsAscii:
                if not _narrow(node.items, i, prev, nxt, words):
                    raise
    elif isinstance(node, _Alt):
        for option in node.options:
            _resolve(option, before, after, words)
    elif isinstance(node, _Repeat):
        if node.max is not None and node.max <= 1:
            _resolve(node.node, before, after, words)
        else:  # a later round follows an earlier one
            last, _ = _edge(node.node, last=True)
            first, _ = _edge(node.node, last=False)
            _resolve(node.node, before.join(last), after.join(first), words)
    elif isinstance(node, _Anchor) and node.kind in _REWRITTEN:
        node.replacement = _boundary(node, before, after, words(node.flags))


def _kind(chars: Ranges, word: Ranges) -> str | None:
    """``word`` or ``other`` when every character is of one kind, else None."""
    inside = _intersects(chars, word)
    outside = _intersects(chars, _complement(word, low=EDGE))
    if inside and outside:
        return None
    return "word" if inside else "other"


class _NeedsAscii(Exception):
    pass


# RE2's \b agrees with Python's under (?a); its \B also holds inside a
# character of several UTF-8 bytes, so that one is rewritten too.
_REWRITTEN = ("word", "not_word", "ascii_not_word")


def _narrow(items: list[Any], i: int, before: _Side, after: _Side, words: Any) -> bool:
    """Rewrite the \\b at ``items[i]`` by narrowing the one character next to
    it (``foo\\b.`` is ``foo`` and a character that is not a letter), when
    the kind on its other side is known."""
    anchor = items[i]
    if not isinstance(anchor, _Anchor) or anchor.kind not in _REWRITTEN:
        return False
    word = words(anchor.flags)
    change = anchor.kind == "word"
    for known, j in ((before, i + 1), (after, i - 1)):
        kind = None if known.outside else _kind(known.chars, word)
        if kind is None or not 0 <= j < len(items) or not isinstance(items[j], _Chars):
            continue
        need_word = (kind == "other") == change
        keep = word if need_word else _complement(word)
        items[j].ranges = _intersection(items[j].ranges, keep)
        anchor.replacement = _Seq([])
        return True
    return False


def _boundary(anchor: _Anchor, before: _Side, after: _Side, word: Ranges) -> Any:
    """What \\b (or \\B) means at this point, written without it: nothing (it
    always holds), no character (it never does), or the character beside the
    match that it requires, when the point is the match's first or last."""
    wanted_change = anchor.kind == "word"  # \b: the kind changes here
    other = _Chars(_complement(word))
    if not before.outside and not after.outside:
        left, right = _kind(before.chars, word), _kind(after.chars, word)
        if left is None or right is None:
            raise _NeedsAscii(anchor.kind)
        return _Seq([]) if (left != right) == wanted_change else _Chars(())
    if before.outside and not before.chars and not before.crossed and not after.outside:
        right = _kind(after.chars, word)
        if right is None:
            raise _NeedsAscii(anchor.kind)
        # the character before the match must be of the other kind (or the start)
        need_word = (right == "other") == wanted_change
        return _Chars(word) if need_word else _Alt([_Seq([_Anchor("start")]), _Seq([other])])
    if after.outside and not after.chars and not after.crossed and not before.outside:
        left = _kind(before.chars, word)
        if left is None:
            raise _NeedsAscii(anchor.kind)
        need_word = (left == "other") == wanted_change
        return _Chars(word) if need_word else _Alt([_Seq([_Anchor("end")]), _Seq([other])])
    raise _NeedsAscii(anchor.kind)
