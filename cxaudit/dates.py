"""Dates and times: exports write them a dozen ways; rules compare moments.

Everything is converted to UTC. A time without an offset is taken as UTC (a
desk that exports local times needs ``date_format`` or an offset in its
data); a bare date is its midnight UTC.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pandas as pd


class DateParseError(ValueError):
    """A value that is not a date; ``position`` is its index in the series."""

    def __init__(self, position: int, value: str) -> None:
        super().__init__(value)
        self.position = position
        self.value = value


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
        return fast
    fmt = date_format or "ISO8601"
    parsed = pd.to_datetime(text.where(present, None), format=fmt, utc=True, errors="coerce")
    bad = present & parsed.isna()
    if bad.any():
        pos = int(bad.to_numpy().nonzero()[0][0])
        raise DateParseError(pos, str(values.iloc[pos]))
    return parsed.astype("datetime64[ns, UTC]")


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
    utc = pa.timestamp("ns", tz="UTC")
    # A failed cast costs a pass over the column, so try first the kind the
    # first value is: with a zone (Z, +01:00, -0500) or naive.
    first = text.first_valid_index()
    zoned = first is not None and _ZONE.search(str(text.loc[first])) is not None
    for target in (utc, pa.timestamp("ns")) if zoned else (pa.timestamp("ns"), utc):
        try:
            parsed = pc.cast(values, target).cast(utc)  # naive values are UTC
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        moments = parsed.to_pandas()
        moments.index = text.index
        return moments.astype("datetime64[ns, UTC]")
    return None


def parse_instant(text: str) -> pd.Timestamp:
    """Parse one ISO 8601 date or datetime (for ``--as-of``, ``before:``, ``after:``).

    Raises ``ValueError`` with the offending text when it is not a date.
    """
    value = text.strip()
    if not value:
        raise ValueError(text)
    parsed = pd.to_datetime(pd.Series([value]), format="ISO8601", utc=True, errors="coerce")
    if parsed.isna().iloc[0]:
        raise ValueError(text)
    return pd.Timestamp(parsed.iloc[0]).as_unit("ns")


def utc_now() -> pd.Timestamp:
    return pd.Timestamp(datetime.now(timezone.utc)).as_unit("ns")


def iso(ts: pd.Timestamp) -> str:
    """ISO 8601 with a `Z`, seconds precision unless finer is needed."""
    text = ts.tz_convert("UTC").isoformat()
    return text.replace("+00:00", "Z")
