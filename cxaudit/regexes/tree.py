"""A pattern as a small tree (characters, sequences, alternatives, repeats,
anchors), built from Python's own parse of it; the constructs a linear-time
engine cannot run are refused here with what to write instead."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

from cxaudit.regexes.charsets import MAX_CODE, Ranges, _accepted, _char, _class_source

MAX_COUNT = 1000  # RE2 counts repetitions up to 1000 ({n,m}, nested counts multiplied)
# A cell is an Arrow string: fewer than 2**31 bytes, so fewer characters than
# that. A repeat allowing that many times is one allowing any number.
UNBOUNDED = 2**31


class Unsupported(ValueError):
    """A pattern the linear-time matcher cannot run; the message says what
    to write instead."""


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
