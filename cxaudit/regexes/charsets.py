"""Sets of characters, and which characters Python's ``re`` accepts.

A set is a tuple of sorted, disjoint, inclusive code-point ranges. What a
letter, a class, ``\\w`` or ``.`` matches is never worked out by hand: it
is found by asking ``re`` itself over every code point, so case folding and
Unicode classes are exactly Python's.
"""

from __future__ import annotations

import re
from functools import cache
from re import _constants as sre  # type: ignore[attr-defined]
from typing import Any

import numpy as np

MAX_CODE = 0x10FFFF

Ranges = tuple[tuple[int, int], ...]


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


def _words(flags: int) -> Ranges:
    """The word characters of \\b under ``flags``."""
    return _accepted(r"\w", flags & (re.ASCII | re.IGNORECASE))
