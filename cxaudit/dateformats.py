"""Which format a date column is written in, read from its values.

Exports write dates in the instance's own format (ServiceNow ``02-13-2025
15:46:06``, Excel's ``14/01/2025 13:26``, beehiiv's ``2023-03-24 10:23:10
UTC``, Zoho's ``15 Apr, 2021 23:01:19``); the values say which one (13
cannot be a month). :func:`infer_format` finds the formats under which every
value parses: one is used; several that read the same values as different
days are refused with both readings; none leaves the caller's message.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from itertools import product

import pandas as pd

SAMPLE = 500  # distinct values every candidate format must read

_ORDERS = [
    ("%Y", "%m", "%d"),
    ("%d", "%m", "%Y"),
    ("%m", "%d", "%Y"),
    ("%d", "%m", "%y"),
    ("%m", "%d", "%y"),
]
_NUMERIC = [sep.join(order) for order, sep in product(_ORDERS, ("-", "/", ".", " "))]
_NAMED = [
    "%d %b %Y",
    "%d-%b-%Y",
    "%d/%b/%Y",
    "%d/%b/%y",
    "%d-%b-%y",
    "%b %d, %Y",
    "%d %b, %Y",
    "%d %B %Y",
    "%B %d, %Y",
    "%d. %B %Y",
]
_TIMES = [
    "",
    " %H:%M",
    " %H:%M:%S",
    " %H:%M:%S.%f",
    " %I:%M %p",
    " %I:%M:%S %p",
    "T%H:%M",
    "T%H:%M:%S",
    ", %H:%M",
    ", %H:%M:%S",
]
_ZONES = ["", " UTC", "Z", " %z", "%z", " GMT"]
CANDIDATES = [d + t + z for d, t, z in product(_NUMERIC + _NAMED, _TIMES, _ZONES) if t or not z]

_DIGITS = re.compile(r"\d+")
_LETTERS = re.compile(r"[^\W\d_]+")
_OFFSET = re.compile(r"[+-]9(:9)?$")


def _shape(text: str) -> str:
    """Digits and letters as runs: ``02-13-2025 15:46:06`` -> ``9-9-9 9:9:9``,
    an offset as ``+9``; a value can only be in a format of its shape."""
    shape = _LETTERS.sub("a", _DIGITS.sub("9", text.strip()))
    return _OFFSET.sub("+9", shape)


def _by_shape() -> dict[str, list[str]]:
    """The candidates grouped by the shape a moment written in each takes."""
    moment = datetime(2026, 11, 18, 9, 5, 7, 120000, tzinfo=UTC)
    out: dict[str, list[str]] = {}
    for fmt in CANDIDATES:
        out.setdefault(_shape(moment.strftime(fmt)), []).append(fmt)
    return out


_SHAPES = _by_shape()

# How each directive reads, for a message that names the readings.
_WORDS = {"%d": "day", "%m": "month", "%Y": "year", "%y": "year"}


class AmbiguousDates(ValueError):
    """Every value reads under several formats that give different days."""

    def __init__(self, formats: list[str], example: str, readings: list[pd.Timestamp]) -> None:
        super().__init__(example)
        self.formats = formats
        self.example = example
        self.readings = readings


def describe(fmt: str) -> str:
    """``%d/%m/%Y %H:%M`` -> ``day/month/year``, ``%d %B %Y`` -> ``day month
    name year``: which part of the date is which (the time left out)."""
    head = re.split(r"[ T]?%[HI]", fmt)[0].rstrip(" ,T")
    for directive, word in _WORDS.items():
        head = head.replace(directive, word)
    return head.replace("%b", "month name").replace("%B", "month name")


def _reads(fmt: str, values: pd.Series) -> pd.Series:
    from cxaudit.dates import to_moments

    return to_moments(values, fmt)


def infer_format(values: pd.Series) -> str | None:
    """The one format every non-blank value of ``values`` is written in
    (month names of the presets' languages read as English ones), or None
    when no candidate reads them all; :class:`AmbiguousDates` when several
    do and they disagree on some value's day."""
    from cxaudit.dates import english_months

    text = english_months(values.str.strip())
    text = text[text != ""]
    if not len(text):
        return None
    sample = pd.Series(pd.unique(text.iloc[:100_000])[:SAMPLE], dtype="str")
    first = sample.iloc[0]
    survivors = []
    for fmt in _SHAPES.get(_shape(first), []):
        try:
            datetime.strptime(first, fmt)
        except ValueError:
            continue
        if _reads(fmt, sample).notna().all():
            survivors.append(fmt)
    if not survivors:
        return None
    # formats that read the sample the same way are one reading (%H:%M:%S vs %H:%M:%S.%f)
    readings: dict[tuple, str] = {}
    for fmt in survivors:
        key = tuple(_reads(fmt, sample).tolist())
        readings.setdefault(key, fmt)
    if len(readings) == 1:
        return survivors[0]
    distinct = list(readings.values())
    whole = [fmt for fmt in distinct if _reads(fmt, text).notna().all()]
    if len(whole) == 1:
        return whole[0]
    if not whole:
        return None
    parsed = [_reads(fmt, sample) for fmt in whole]
    differ = (parsed[0] != parsed[1]).to_numpy().nonzero()[0]
    at = int(differ[0]) if len(differ) else 0
    raise AmbiguousDates(whole, str(sample.iloc[at]), [p.iloc[at] for p in parsed])


def format_hint(value: str) -> str:
    """The ``date_format`` to suggest for a value that did not parse: the
    one its own shape is read in when it has one ("12 November 2026" ->
    ``%d %B %Y``), else :func:`cxaudit.dates.format_hint`'s guess."""
    from cxaudit.dates import format_hint as guess

    try:
        fitting = infer_format(pd.Series([value.strip()]))
    except AmbiguousDates:
        fitting = None
    return guess(value) if fitting is None else repr(fitting).replace("'", '"')
