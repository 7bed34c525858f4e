"""``matches:`` runs on a linear-time engine (RE2) with Python's meaning.

Three things hold: a pattern that makes Python's backtracking ``re`` run for
ever finishes (checked in a child process, so a hang fails at the guard
instead of hanging the suite); every accepted pattern decides each cell as
``re.search(pattern, cell.strip(), re.IGNORECASE)`` does (a differential
test against Python's own ``re`` on short cells, where it is quick); and
constructs the engine cannot run are refused when the rules load (their
messages are in the catalogue of tests/end_to_end/test_errors.py).
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from functools import cache

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxaudit.regexes import Regex, Unsupported, compile_regex
from tests.conftest import CAMPAIGN, CASES_HEADER, Workspace

# Patterns as users write them, the shapes that hang Python's re, and the
# corners where RE2 and Python differ unless translated: case folding beyond
# ASCII, Unicode \w \d \s \b, (?a), local flags, anchors, multiline, dotall.
PATTERNS = [
    r"^re:",
    r"^(phone|outage)",
    r"refund|chargeback",
    r"(a|a)*$",
    r"(\w+\s?)+$",
    r"(a|b)*c",
    r"(a+)+$",
    r"(\w*)*x",
    r"(a*b*)+c",
    r"\bcafé\b",
    r"\b(refund|chargeback)\b",
    r"\bre:\s*\brefund",
    r"order\s+#?\d+\b",
    r"^\bab",
    r"(?m)^\bab",
    r"ab\b$",
    r"b\b.",
    r".\bb",
    r"\Bb",
    r"b\B",
    r"(?a)\bé",
    r"(?a)\w+$",
    r"(?a)b\Bc",
    r"istanbul",
    r"i",
    r"k",
    r"s",
    r"ß",
    r"µ",
    r"Ω",
    r"ǅ",
    r"\d+",
    r"^\w+$",
    r"\s",
    r"[^\s]$",
    r"[\W\d]",
    r"[^a]",
    r"a.b",
    r"(?s)a.b",
    r"(?m)^b",
    r"(?m)a$",
    r"a$",
    r"\Aa",
    r"a\Z",
    r"(?-i:A)",
    r"(?i:x)(?-i:B)",
    r"(?x) a  b  # spaced out",
    r"a{2,3}",
    r"(ab){2}",
    r"h{1,4294967294}",
    r"^$",
    r"x*",
    r"a|",
    r"[a-c]+\.",
    r"\u00e9|\N{OHM SIGN}",
]
ALPHABET = "aAbBcCkKsSiIé É-_:#.!\n\t 1٣İıſßẞµμΩωǅǆ\u212a\u2126\x1c\u00a0"


@cache
def _compiled(pattern: str) -> Regex:
    return compile_regex(pattern)


@pytest.mark.parametrize("pattern", PATTERNS)
@settings(max_examples=60, deadline=None)
@given(cells=st.lists(st.text(ALPHABET, max_size=12), min_size=1, max_size=20))
def test_every_cell_is_decided_as_python_re_decides_it(pattern: str, cells: list[str]) -> None:
    trimmed = [cell.strip() for cell in cells]
    found = _compiled(pattern).search(pa.array(trimmed, pa.string()))
    expected = [re.search(pattern, cell, re.IGNORECASE) is not None for cell in trimmed]
    assert found.tolist() == expected, _compiled(pattern).engine


@pytest.mark.parametrize(
    ("pattern", "cell", "found"),
    [
        (r"\bcafé\b", "un café noir", True),
        (r"\bcafé\b", "cafés", False),
        (r"\bcafé\b", "décafé", False),
        (r"istanbul", "İSTANBUL", True),  # Python folds the dotted capital I to i
        (r"^re: refund$", "RE: Refund", True),
        (r"^\w+$", "Łukasz", True),
        (r"^\d+$", "٣٤", True),  # Arabic-Indic digits are \d in Python
        (r"(a|b)*c", "ab" * 50_000, False),
        (r"(a|b)*c", "ab" * 50_000 + "c", True),
        (r"(\w+\s?)+$", "a" * 40 + "!", False),
        (r"(\w+\s?)+$", "hello world", True),
    ],
)
def test_cells(pattern: str, cell: str, found: bool) -> None:
    assert compile_regex(pattern).search(pa.array([cell])).tolist() == [found]


def test_empty_and_missing_cells() -> None:
    regex = compile_regex(r"^$")
    assert regex.search(pa.array(["", None, "x"], pa.string())).tolist() == [True, False, False]
    ascii_not_boundary = compile_regex(r"(?a)b\Bc")
    assert ascii_not_boundary.search(pa.array(["", "bc", "b c"])).tolist() == [False, True, False]


@pytest.mark.parametrize(
    "pattern",
    [
        r"(a)\1",
        r"(?P<x>a)(?P=x)",
        "(?=a)",
        "(?!a)",
        "(?<=a)b",
        "(?<!a)b",
        "(?>a)",
        "a*+",
        "a++",
        "a?+",
        "(a)?(?(1)b|c)",
        r"foo.*\bbar",
        r"\b",
        r"\B",
        "a{1001}",
        "a{2000,}",
        "(a{10}){101}",
    ],
)
def test_constructs_a_linear_time_engine_cannot_run_are_refused(pattern: str) -> None:
    with pytest.raises(Unsupported):
        compile_regex(pattern)


def test_the_pattern_is_kept_as_written_for_reasons() -> None:
    regex = compile_regex(r"^re: (refund|chargeback) #\d+")
    assert regex.pattern == r"^re: (refund|chargeback) #\d+"


# --------------------------------------------------------------------------
# The whole run, in a child process with a guard

HANGS = {  # rule id: pattern that backtracks for ever in Python's re
    "alternation": r"(a|a)*$",
    "words": r"(\w+\s?)+$",
    "long-cell": r"(a|b)*c",
    "nested": r"(a+)+$",
    "anchored": r"^(a|a)*$",
}


def test_patterns_that_hang_pythons_re_finish(ws: Workspace) -> None:
    forty_one = "a" * 40 + "!"
    long_cell = "ab" * 50_000
    ws.write("campaign.csv", CAMPAIGN)
    ws.write(
        "cases.csv",
        CASES_HEADER
        + f"\n1,C1,,open,,,{forty_one},,2026-11-18,"
        + f"\n2,C2,,open,,,{long_cell},,2026-11-18,"
        + f"\n3,C3,,open,,,{long_cell}c,,2026-11-18,"
        + "\n4,C4,,open,,, Hello World ,,2026-11-18,\n",
    )
    ws.rules(
        "\n".join(
            f"- {{id: {rule}, source: cases, where: {{subject: {{matches: '{pattern}'}}}}, "
            "action: suppress}"
            for rule, pattern in HANGS.items()
        )
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cxaudit",
            "audit",
            "campaign.csv",
            "--as-of",
            "2026-11-20",
            "--out",
            "out",
        ],
        cwd=ws.root,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    with open(ws.root / "out" / "suppressed.csv", encoding="utf-8", newline="") as fh:
        suppressed = {
            row["name"]: set(row["cxaudit_rules"].split(";")) for row in csv.DictReader(fh)
        }
    assert suppressed == {
        # (a|a)*$ matches the empty text at the end of every cell; nothing ends
        # in "a", so (a+)+$ and ^(a|a)*$ match no cell
        "Ann": {"alternation"},
        "Bob": {"alternation", "words"},
        "Cara": {"alternation", "words", "long-cell"},
        "Dev": {"alternation", "words"},  # trimmed: "Hello World" ends in a word
    }
