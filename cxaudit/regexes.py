"""``matches:`` without backtracking: Python's regex syntax, RE2's engine.

Python's ``re`` backtracks, so ``(\\w+\\s?)+$`` doubles its time with every
character of a cell and a rule could hang a run. cxaudit instead runs RE2
(through pyarrow's ``match_substring_regex``, vectorised over the column),
which takes time linear in the cell whatever the pattern.

The pattern keeps Python's meaning exactly. It is parsed by Python's own
parser, and every single-character matcher in it (a letter, ``[a-z]``,
``\\w``, ``.``) becomes the exact set of characters Python's ``re`` accepts
there, found by asking ``re`` itself over every code point: case folding
(``i`` also matches the Turkish dotted and dotless I), Unicode ``\\d``/``\\s``/``\\w``,
``(?a)`` and ``(?i:...)`` are Python's, not RE2's. Only the structure
(sequence, ``|``, repetition, anchors) is left to RE2, where the two engines
agree on whether a cell matches. ``\\b`` is Unicode-aware in Python and
ASCII-only in RE2, so a ``\\b`` is rewritten from its neighbours in the
pattern (``\\bword\\b`` works; one between two parts that may each be a
letter or not is refused, with ``(?a)`` as the way out).

Constructs a linear-time engine cannot run (backreferences, lookaround,
atomic groups, possessive repeats, conditionals) are refused when the rules
load, with what to write instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

MAX_CODE = 0x10FFFF
EDGE = -1  # the start or end of the text, or a line break beside ^ or $: not a word character
MAX_COUNT = 1000  # RE2 counts repetitions up to 1000 ({n,m}, nested counts multiplied)
# A cell is an Arrow string: fewer than 2**31 bytes, so fewer characters than
# that. A repeat allowing that many times is one allowing any number.
UNBOUNDED = 2**31

Ranges = tuple[tuple[int, int], ...]


class Unsupported(ValueError):
    """A pattern the linear-time matcher cannot run; the message says what
    to write instead."""


# --------------------------------------------------------------------------
# Sets of characters as sorted, disjoint, inclusive ranges


def _normal(ranges: Any) -> Ranges:
    out: list[list[int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return tuple((lo, hi) for lo, hi in out)


def _union(a: Ranges, b: Ranges) -> Ranges:
    return _normal((*a, *b))


def _complement(a: Ranges, low: int = 0) -> Ranges:
    out = []
    start = low
    for lo, hi in a:
        if lo > start:
            out.append((start, lo - 1))
        start = max(start, hi + 1)
    if start <= MAX_CODE:
        out.append((start, MAX_CODE))
    return tuple(out)


def _intersection(a: Ranges, b: Ranges) -> Ranges:
    return _complement(_union(_complement(a), _complement(b)))


def _intersects(a: Ranges, b: Ranges) -> bool:
    i = j = 0
    while i < len(a) and j < len(b):
        if a[i][1] < b[j][0]:
            i += 1
        elif b[j][1] < a[i][0]:
            j += 1
        else:
            return True
    return False


@cache
def _every_character() -> str:
    """Every code point, in order: position i holds chr(i)."""
    codes = np.arange(MAX_CODE + 1, dtype="<u4").tobytes()
    return codes.decode("utf-32-le", "surrogatepass")


@cache
def _accepted(source: str, flags: int) -> Ranges:
    """The characters that the one-character pattern ``source`` matches under
    ``flags``, as Python's re decides."""
    runs = re.compile(f"(?:{source})+", flags).finditer(_every_character())
    return tuple((m.start(), m.end() - 1) for m in runs)


def _literals(codes: set[int], flags: int) -> dict[int, Ranges]:
    """What each literal character matches under ``flags`` (its case
    variants under IGNORECASE), with one pass over the code points for all."""
    if not flags & re.IGNORECASE:
        return {c: ((c, c),) for c in codes}
    union = _accepted("[" + "".join(_char(c) for c in sorted(codes)) + "]", flags)
    candidates = [chr(c) for lo, hi in union for c in range(lo, hi + 1)]
    return {
        c: _normal((ord(x), ord(x)) for x in candidates if re.fullmatch(_char(c), x, flags))
        for c in codes
    }


def _char(code: int) -> str:
    """Python regex source for one character."""
    return f"\\U{code:08x}"


_CATEGORIES = {
    sre.CATEGORY_DIGIT: r"\d",
    sre.CATEGORY_NOT_DIGIT: r"\D",
    sre.CATEGORY_SPACE: r"\s",
    sre.CATEGORY_NOT_SPACE: r"\S",
    sre.CATEGORY_WORD: r"\w",
    sre.CATEGORY_NOT_WORD: r"\W",
}


def _class_source(items: Any) -> str:
    parts = []
    for op, av in items:
        if op is sre.NEGATE:
            parts.append("^")
        elif op is sre.LITERAL:
            parts.append(_char(av))
        elif op is sre.RANGE:
            parts.append(f"{_char(av[0])}-{_char(av[1])}")
        elif op is sre.CATEGORY:
            parts.append(_CATEGORIES[av])
        else:  # pragma: no cover - the parser puts nothing else in a class
            raise AssertionError(f"unexpected {op} in a character class")
    return "[" + "".join(parts) + "]"


# --------------------------------------------------------------------------
# The pattern as a small tree


@dataclass
class _Chars:
    """One character from ``ranges``."""

    ranges: Ranges


@dataclass
class _Seq:
    items: list[Any]


@dataclass
class _Alt:
    options: list[Any]


@dataclass
class _Repeat:
    node: Any
    min: int
    max: int | None  # None: any number of times


@dataclass
class _Anchor:
    """Zero-width: ``start`` ``line_start`` ``end`` ``line_end`` (text or
    line), ``word``/``not_word`` (\\b, \\B: Unicode), ``ascii_word``/
    ``ascii_not_word`` (under (?a), where RE2's own \\b agrees)."""

    kind: str
    flags: int = 0
    replacement: Any = None  # a \b rewritten from its neighbours


@dataclass
class _Builder:
    source: str
    literals: list[tuple[_Chars, int, int]] = field(default_factory=list)

    def node(self, items: Any, flags: int) -> _Seq:
        return _Seq([self.item(op, av, flags) for op, av in items])

    def item(self, op: Any, av: Any, flags: int) -> Any:
        if op is sre.LITERAL:
            chars = _Chars(())
            self.literals.append((chars, av, flags & (re.IGNORECASE | re.ASCII)))
            return chars
        if op is sre.NOT_LITERAL:
            return _Chars(_accepted(f"[^{_char(av)}]", flags & (re.IGNORECASE | re.ASCII)))
        if op is sre.ANY:
            return _Chars(((0, MAX_CODE),) if flags & re.DOTALL else ((0, 9), (11, MAX_CODE)))
        if op is sre.IN:
            return _Chars(_accepted(_class_source(av), flags & (re.IGNORECASE | re.ASCII)))
        if op is sre.BRANCH:
            return _Alt([self.node(option, flags) for option in av[1]])
        if op is sre.SUBPATTERN:
            _group, add, remove, items = av
            if add & sre_parse.TYPE_FLAGS:  # (?a:...) or (?u:...) replaces the other
                flags &= ~sre_parse.TYPE_FLAGS
            return self.node(items, (flags | add) & ~remove)
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            low, high, items = av
            return self.repeat(low, high, self.node(items, flags))
        if op is sre.AT:
            return self.anchor(av, flags)
        raise Unsupported(self.unsupported(op, av))

    def repeat(self, low: int, high: int, node: Any) -> _Repeat:
        top = None if high is sre.MAXREPEAT or high >= UNBOUNDED else high
        if low > MAX_COUNT or (top is not None and top > MAX_COUNT):
            count = f"{{{low}}}" if low == high else f"{{{low},{high}}}"
            raise Unsupported(
                f"repeats a part {count} times, more than the {MAX_COUNT:,} that cxaudit's "
                "linear-time matcher counts; use + or * for any number of times"
            )
        return _Repeat(node, low, top)

    def anchor(self, code: Any, flags: int) -> _Anchor:
        multiline = bool(flags & re.MULTILINE)
        if code is sre.AT_BEGINNING:
            return _Anchor("line_start" if multiline else "start")
        if code is sre.AT_BEGINNING_STRING:
            return _Anchor("start")
        if code is sre.AT_END:
            # Without MULTILINE, Python's $ also matches before a final line
            # break; a trimmed cell never ends with one.
            return _Anchor("line_end" if multiline else "end")
        if code is sre.AT_END_STRING:
            return _Anchor("end")
        ascii_ = "ascii_" if flags & re.ASCII else ""
        if code is sre.AT_BOUNDARY:
            return _Anchor(ascii_ + "word", flags)
        if code is sre.AT_NON_BOUNDARY:
            return _Anchor(ascii_ + "not_word", flags)
        raise Unsupported(self.unsupported(sre.AT, code))  # pragma: no cover

    def unsupported(self, op: Any, av: Any) -> str:
        def say(what: str, instead: str) -> str:
            return f"uses {what}, which cxaudit's linear-time matcher does not support; {instead}"

        if op is sre.GROUPREF:
            return say(
                "a backreference",
                "write the repeated text out instead, like (ab)ab rather than (ab)\\1",
            )
        if op is sre.GROUPREF_EXISTS:
            return say(
                "a conditional group (?(1)...)",
                "write the cases as alternatives instead, like (a|b)",
            )
        if op in (sre.ASSERT, sre.ASSERT_NOT):
            ahead = av[0] == 1
            positive = op is sre.ASSERT
            syntax = ("(?=" if positive else "(?!") if ahead else ("(?<=" if positive else "(?<!")
            what = f"a {'' if positive else 'negative '}{'lookahead' if ahead else 'lookbehind'}"
            if positive:
                example = (
                    "foobar rather than foo(?=bar)" if ahead else "foobar rather than (?<=foo)bar"
                )
                instead = (
                    f"match the text itself instead, like {example}: a rule only asks whether a "
                    "cell matches, so the extra text changes nothing"
                )
            else:
                example = (
                    "foo($|[^b]) rather than foo(?!b)"
                    if ahead
                    else "(^|[^f])oo rather than (?<!f)oo"
                )
                instead = f"name the characters that may stand there instead, like {example}"
            return say(f"{what} {syntax}...)", instead)
        if op is sre.ATOMIC_GROUP:
            return say(
                "an atomic group (?>...)",
                "write a plain group (...) instead: a linear-time matcher never backtracks, "
                "so it is not needed",
            )
        if op is sre.POSSESSIVE_REPEAT:
            return say(
                "a possessive repeat (like a*+ or a++)",
                "drop the last + (a* or a+): a linear-time matcher never backtracks, so it is "
                "not needed",
            )
        return say(f"{op}", "simplify it")  # pragma: no cover


# --------------------------------------------------------------------------
# What can come just before and just after a point of the pattern


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


# --------------------------------------------------------------------------
# RE2 syntax


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


# --------------------------------------------------------------------------
# The compiled pattern


@dataclass(frozen=True)
class Regex:
    """A ``matches:`` pattern: ``pattern`` as written (trimmed), ``engine``
    the same pattern in RE2 syntax, ``on_empty`` whether it matches an empty
    cell (Python's \\B never does; RE2's does)."""

    pattern: str
    engine: str
    on_empty: bool

    def search(self, values: pa.Array) -> np.ndarray:
        """Which trimmed cells of ``values`` the pattern is found in."""
        found = pc.match_substring_regex(values, self.engine)
        empty = pc.equal(pc.binary_length(values), 0)
        found = pc.if_else(empty, pa.scalar(self.on_empty), found)
        return pc.fill_null(found, False).to_numpy(zero_copy_only=False)


def compile_regex(pattern: str) -> Regex:
    """``pattern`` (Python syntax, matched case-insensitively) for the
    linear-time matcher. Raises ``re.error`` for an invalid pattern and
    :class:`Unsupported` for one the matcher cannot run."""
    re.compile(pattern, re.IGNORECASE)  # Python's own errors first, as the user knows them
    parsed = sre_parse.parse(pattern, re.IGNORECASE)
    builder = _Builder(pattern)
    tree = builder.node(parsed, parsed.state.flags)
    by_flags: dict[int, set[int]] = {}
    for _chars, code, flags in builder.literals:
        by_flags.setdefault(flags, set()).add(code)
    matched = {flags: _literals(codes, flags) for flags, codes in by_flags.items()}
    for chars, code, flags in builder.literals:
        chars.ranges = matched[flags][code]
    try:
        _resolve(tree, _Side(outside=True), _Side(outside=True), _words)
    except _NeedsAscii as exc:
        unicode_b = exc.args[0] == "word"
        which = "\\b" if unicode_b else "\\B"
        raise Unsupported(
            f"uses {which} between parts that may each be a letter or "
            "not, which cxaudit's linear-time matcher cannot check; put it next to letters, "
            "digits or punctuation (like \\bword\\b)"
            + (", or start the pattern with (?a) for ASCII word boundaries" if unicode_b else "")
        ) from None
    engine = _emit(tree)
    regex = Regex(pattern, engine, re.search(pattern, "", re.IGNORECASE) is not None)
    try:
        regex.search(pa.array([""], pa.string()))
        pc.match_substring_regex(pa.array(["x"], pa.string()), engine)
    except (pa.ArrowInvalid, pa.ArrowException) as exc:
        reason = str(exc).removeprefix("Invalid regular expression: ")
        if "repetition" in reason:
            raise Unsupported(
                f"repeats a part more than {MAX_COUNT:,} times once nested counts are "
                "multiplied (like (a{100}){100}), which cxaudit's linear-time matcher does "
                "not support; use + or * for any number of times"
            ) from None
        raise Unsupported(
            f"is too large for cxaudit's linear-time matcher ({reason}); use fewer or smaller "
            "counted repeats, like \\w+ rather than \\w{500}"
        ) from None
    return regex


def shown(pattern: str) -> str:
    """``pattern`` quoted for a message, its backslashes as written."""
    if pattern.isprintable() and "'" not in pattern:
        return f"'{pattern}'"
    return repr(pattern)


def _words(flags: int) -> Ranges:
    """The word characters of \\b under ``flags``."""
    return _accepted(r"\w", flags & (re.ASCII | re.IGNORECASE))
