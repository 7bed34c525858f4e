"""Dates and times: exports write them a dozen ways; rules compare moments.

Everything is converted to UTC. A time without an offset is taken as UTC (a
desk that exports local times needs ``date_format`` or an offset in its
data); a bare date is its midnight UTC.

Moments are kept to the microsecond (``datetime64[us, UTC]``), so every date
a user can write, 0001-01-01 to 9999-12-31 (the usual "no end date"), is read
and compared as written; nanosecond timestamps would end in 2262. Digits
after the sixth decimal of a second are dropped.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pandas as pd

UNIT = "us"
MOMENTS = "datetime64[us, UTC]"
# The calendar a user can write: years 1 to 9999 (Python's datetime range).
FIRST = pd.Timestamp("0001-01-01", tz="UTC").as_unit(UNIT)
LAST = pd.Timestamp("9999-12-31T23:59:59.999999", tz="UTC").as_unit(UNIT)
# The widest day window a rule may ask for: all of that calendar.
MAX_DAYS = (LAST.normalize() - FIRST).days


class DateParseError(ValueError):
    """A value that is not a date; ``position`` is its index in the series."""

    def __init__(self, position: int, value: str) -> None:
        super().__init__(value)
        self.position = position
        self.value = value


class OutOfRange(ValueError):
    """A date that is only outside years 1 to 9999 once converted to UTC
    (``9999-12-31T23:00:00-05:00``); ``moment`` is its ISO form in UTC."""

    def __init__(self, text: str, moment: str) -> None:
        super().__init__(text)
        self.moment = moment


def month_sibling(fmt: str) -> str | None:
    """The same format with abbreviated and full month names swapped
    (``%d %b %Y`` and ``%d %B %Y``), or None. "13 May 2026" fits both and no
    value reads as two different days under them, so a column may hold both
    ("12 Nov 2026", "12 November 2026") however it is cut into chunks."""
    if ("%b" in fmt) == ("%B" in fmt):
        return None
    return fmt.replace("%b", "%B") if "%b" in fmt else fmt.replace("%B", "%b")


def to_moments(text: pd.Series, fmt: str) -> pd.Series:
    """``text`` read in ``fmt`` as UTC moments, NaT where a value does not fit;
    a month name fits in either form (:func:`month_sibling`)."""
    parsed = pd.to_datetime(text, format=fmt, utc=True, errors="coerce")
    other = month_sibling(fmt)
    if other is not None:
        missing = parsed.isna() & text.notna()
        if missing.any():
            rest = text.where(missing, None)
            again = pd.to_datetime(rest, format=other, utc=True, errors="coerce")
            parsed = parsed.where(~missing, again)
    return parsed


def parse_moments(values: pd.Series, date_format: str | None) -> pd.Series:
    """Parse a column of text into UTC timestamps; empty cells become NaT.

    Raises :class:`DateParseError` for the first non-empty value that does
    not parse, because a case whose date cannot be read must not quietly
    fall out of a cooling-off rule.
    """
    text = values.str.strip()
    present = text != ""
    fast = None if date_format else _arrow_iso(text.where(present, None))
    if fast is not None:
        return fast  # strict ISO 8601: no word ("today") gets this far
    if date_format:
        if "%b" in date_format or "%B" in date_format:
            text = english_months(text)
        parsed = to_moments(text.where(present, None), date_format)
    else:
        parsed = pd.to_datetime(
            _micro(text).where(present, None), format="ISO8601", utc=True, errors="coerce"
        )
    bad = present & (parsed.isna() | _relative(text))
    if bad.any():
        pos = int(bad.to_numpy().nonzero()[0][0])
        raise DateParseError(pos, str(values.iloc[pos]))
    return parsed.astype(MOMENTS)


# Month abbreviations of Spanish, Portuguese, German and French exports (Jira
# writes "05/ago/26"), where they differ from English: strptime's %b reads
# English names only (and the machine's locale must not decide a run).
_MONTHS = {
    "ene": "Jan", "abr": "Apr", "ago": "Aug", "dic": "Dec", "fev": "Feb", "set": "Sep",
    "out": "Oct", "dez": "Dec", "mär": "Mar", "mrz": "Mar", "mai": "May", "okt": "Oct",
    "janv.": "Jan", "févr.": "Feb", "fevr.": "Feb", "mars": "Mar", "avr.": "Apr",
    "juin": "Jun", "juil.": "Jul", "août": "Aug", "aout": "Aug", "sept.": "Sep",
    "oct.": "Oct", "nov.": "Nov", "déc.": "Dec", "dec.": "Dec", "sept": "Sep",
}  # fmt: skip
_MONTH_WORD = re.compile(
    r"(?<![^\W\d_])("
    + "|".join(re.escape(m) for m in sorted(_MONTHS, key=len, reverse=True))
    + r")(?![^\W\d_])",
    re.IGNORECASE,
)


def english_months(text: pd.Series) -> pd.Series:
    """Translated month abbreviations replaced by the English ones."""
    return text.str.replace(_MONTH_WORD, lambda m: _MONTHS[m.group(1).lower()], regex=True)


_FRACTION = re.compile(r"(\.\d{6})\d+")


def _micro(text: pd.Series) -> pd.Series:
    """ISO text with seconds cut to six decimals: one value with nanoseconds
    would have pandas read the whole column in nanoseconds, where years
    before 1677 and after 2262 do not exist."""
    extra = text.str.contains(r"\.\d{7}", regex=True, na=False)
    if not extra.any():
        return text
    return text.str.replace(_FRACTION, r"\1", regex=True)


_ZONE = re.compile(r"(Z|[+-]\d\d:?\d\d)$")


def _arrow_iso(text: pd.Series) -> pd.Series | None:
    """The common exports (every value naive, or every value with a zone),
    parsed by pyarrow's strict ISO 8601 reader, several times faster than
    pandas; None when any value needs pandas' broader reader (or is bad,
    which pandas then names)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from cxaudit.identity import arrow_text

    values = arrow_text(text)
    utc = pa.timestamp(UNIT, tz="UTC")
    naive = pa.timestamp(UNIT)
    # A failed cast costs a pass over the column, so try first the kind the
    # first value is: with a zone (Z, +01:00, -0500) or naive.
    first = text.first_valid_index()
    zoned = first is not None and _ZONE.search(str(text.loc[first])) is not None
    for target in (utc, naive) if zoned else (naive, utc):
        try:
            parsed = pc.cast(values, target).cast(utc)  # naive values are UTC
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        moments = parsed.to_pandas()
        moments.index = text.index
        return moments.astype(MOMENTS)
    return None


# Words pandas reads as the wall clock: the same files must give the same
# answer on every day, so they are not dates ("yesterday" never was).
RELATIVE = ("today", "now", "yesterday", "tomorrow")


def _relative(text: pd.Series) -> pd.Series:
    return text.str.lower().isin(RELATIVE)


def parse_instant(text: str) -> pd.Timestamp:
    """Parse one ISO 8601 date or datetime (for ``--as-of``, ``before:``, ``after:``).

    Raises ``ValueError`` with the offending text when it is not a date, and
    :class:`OutOfRange` when it is one whose UTC moment lies outside years 1
    to 9999.
    """
    value = text.strip()
    if not value or value.lower() in RELATIVE:
        raise ValueError(text)
    parsed = pd.to_datetime(
        _micro(pd.Series([value], dtype="str")), format="ISO8601", utc=True, errors="coerce"
    )
    if parsed.isna().iloc[0]:
        raise ValueError(text)
    moment = pd.Timestamp(parsed.iloc[0]).as_unit(UNIT)
    if not FIRST <= moment <= LAST:
        raise OutOfRange(text, iso(moment))
    return moment


def utc_now() -> pd.Timestamp:
    return pd.Timestamp(datetime.now(UTC)).as_unit(UNIT)


def days_before(moment: pd.Timestamp, days: float) -> pd.Timestamp:
    """``moment`` minus ``days`` times 24 hours, to the microsecond. Any window
    up to :data:`MAX_DAYS` from a moment in years 1 to 9999 is representable
    (microsecond timestamps span ±290,000 years)."""
    return moment - pd.Timedelta(microseconds=round(days * 86_400_000_000))


def iso(ts: pd.Timestamp) -> str:
    """ISO 8601 with a `Z`, seconds precision unless finer is needed."""
    text = ts.tz_convert("UTC").isoformat()
    return text.replace("+00:00", "Z")


_YEAR = re.compile(r"(%%|%Y)")


def format_moments(moments: pd.Series, spec: str) -> pd.Series:
    """``strftime(spec)`` of each moment, as object text; NaT gives "".

    Years before 1000 keep four digits for ``%Y`` (the C library writes
    year 1 as "1"). A moment outside years 1 to 9999 only in UTC
    (``9999-12-31T23:00:00-05:00``), which strftime cannot write, is given
    in ISO form, to the second.
    """
    import numpy as np

    out = pd.Series("", index=moments.index, dtype=object)
    inside = moments.notna() & (moments >= FIRST) & (moments <= LAST)
    outside = moments.notna() & ~inside
    if outside.any():
        naive = moments[outside].dt.tz_localize(None).to_numpy()
        out[outside] = np.char.add(np.datetime_as_string(naive, unit="s"), "Z").astype(object)
    values = moments[inside]
    if not len(values):
        return out
    if "%Y" not in spec or not (values.dt.year < 1000).any():
        out[inside] = values.dt.strftime(spec).astype(object)
        return out
    text = pd.Series("", index=values.index, dtype=object)
    chunk = ""
    for token in _YEAR.split(spec):
        if token != "%Y":
            chunk += token
            continue
        if chunk:
            text = text + values.dt.strftime(chunk).astype(object)
            chunk = ""
        text = text + values.dt.year.astype(str).str.zfill(4).astype(object)
    if chunk:
        text = text + values.dt.strftime(chunk).astype(object)
    out[inside] = text
    return out


_NUMERIC_DATE = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{2}|\d{4})(?P<time>\s.*)?$")
_MONTH_NAME_DATE = re.compile(r"^\d{1,2}([/\- ])[A-Za-z]{3}\1(\d{2}|\d{4})(?P<time>\s.*)?$")


def _time_format(time: str | None) -> str:
    if not time:
        return ""
    text = time.strip()
    clock = "%I" if re.search(r"[AaPp][Mm]$", text) else "%H"
    seconds = ":%S" if re.match(r"^\d{1,2}:\d{2}:\d{2}", text) else ""
    meridiem = " %p" if clock == "%I" else ""
    return f" {clock}:%M{seconds}{meridiem}"


def format_hint(value: str) -> str:
    """The ``date_format`` a value that is not ISO 8601 most likely needs,
    read from its shape: ``21/11/2026`` is day first, ``11/21/2026`` month
    first, ``12/Mar/24 9:41 AM`` Jira's; both orders when it cannot tell."""
    text = value.strip()
    numeric = _NUMERIC_DATE.match(text)
    if numeric:
        first, sep, second, year = numeric.group(1, 2, 3, 4)
        y = "%Y" if len(year) == 4 else "%y"
        time = _time_format(numeric.group("time"))
        day_first = f'"%d{sep}%m{sep}{y}{time}"'
        month_first = f'"%m{sep}%d{sep}{y}{time}"'
        if int(first) > 12:
            return day_first
        if int(second) > 12:
            return month_first
        return f"{day_first} (day first) or {month_first} (month first)"
    named = _MONTH_NAME_DATE.match(text)
    if named:
        sep, year = named.group(1, 2)
        y = "%Y" if len(year) == 4 else "%y"
        return f'"%d{sep}%b{sep}{y}{_time_format(named.group("time"))}"'
    return '"%m/%d/%Y %I:%M %p" for 11/18/2026 9:00 AM'
