"""The compiled ``matches:`` pattern (:class:`Regex`) and
:func:`compile_regex`, which runs the steps: parse with Python, find each
character set, rewrite ``\\b``, write RE2, and try it once in Arrow."""

from __future__ import annotations

import re
from dataclasses import dataclass
from re import _parser as sre_parse  # type: ignore[attr-defined]

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cxaudit.regexes.boundaries import _NeedsAscii, _resolve, _Side
from cxaudit.regexes.charsets import _literals, _words
from cxaudit.regexes.re2 import _emit
from cxaudit.regexes.tree import MAX_COUNT, Unsupported, _Builder


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
