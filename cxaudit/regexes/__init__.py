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

The steps live in one module each: :mod:`~cxaudit.regexes.tree` (Python's
parse as a small tree, refusing what RE2 cannot run),
:mod:`~cxaudit.regexes.charsets` (the characters each matcher accepts),
:mod:`~cxaudit.regexes.boundaries` (``\\b`` rewritten),
:mod:`~cxaudit.regexes.re2` (RE2 syntax) and :mod:`~cxaudit.regexes.matcher`
(:func:`compile_regex`, tying them together).
"""

from cxaudit.regexes.matcher import Regex, compile_regex, shown
from cxaudit.regexes.tree import Unsupported

__all__ = ["Regex", "Unsupported", "compile_regex", "shown"]
