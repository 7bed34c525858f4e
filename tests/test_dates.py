"""Dates as exports write them, all read as UTC moments."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxaudit.dates import DateParseError, iso, parse_instant, parse_moments


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2026-11-18", "2026-11-18T00:00:00Z"),
        ("2026-11-18 09:00:00", "2026-11-18T09:00:00Z"),  # Zendesk/Freshdesk: naive = UTC
        ("2026-11-18T09:00:00Z", "2026-11-18T09:00:00Z"),
        ("2026-11-18T09:00:00+00:00", "2026-11-18T09:00:00Z"),
        ("2026-11-18 10:00:00 -0500", "2026-11-18T15:00:00Z"),  # Shopify
        ("2026-11-18T09:00:00.250+01:00", "2026-11-18T08:00:00.250000Z"),
        ("2026-03-01 15:17", "2026-03-01T15:17:00Z"),  # HubSpot
        (" 2026-11-18 ", "2026-11-18T00:00:00Z"),
    ],
)
def test_iso_variants(text: str, utc: str) -> None:
    parsed = parse_moments(pd.Series([text], dtype="str"), None)
    assert iso(parsed.iloc[0]) == utc


def test_blank_is_no_moment_and_garbage_names_its_position() -> None:
    parsed = parse_moments(pd.Series(["", "  ", "2026-11-18"], dtype="str"), None)
    assert parsed.isna().tolist() == [True, True, False]
    with pytest.raises(DateParseError) as info:
        parse_moments(pd.Series(["2026-11-18", "18/11/2026"], dtype="str"), None)
    assert (info.value.position, info.value.value) == (1, "18/11/2026")


def test_explicit_format() -> None:
    parsed = parse_moments(pd.Series(["11/18/2026 9:05 PM"], dtype="str"), "%m/%d/%Y %I:%M %p")
    assert iso(parsed.iloc[0]) == "2026-11-18T21:05:00Z"


def test_parse_instant() -> None:
    assert iso(parse_instant("2026-11-20")) == "2026-11-20T00:00:00Z"
    assert iso(parse_instant("2026-11-20T09:00:00+01:00")) == "2026-11-20T08:00:00Z"
    for bad in ("", "tomorrow", "2026-02-30"):
        with pytest.raises(ValueError):
            parse_instant(bad)


ISO_SHAPES = st.from_regex(
    r"\A20[0-9]{2}-[01][0-9]-[0-3][0-9]([ T][0-2][0-9](:[0-5][0-9](:[0-6][0-9](\.[0-9]{1,9})?)?)?)?"
    r"(Z|[+-][01][0-9]:?[0-5][0-9]| ?-0500)?\Z"
)


@settings(max_examples=300, deadline=None)
@given(st.lists(ISO_SHAPES, min_size=1, max_size=6))
def test_fast_iso_reader_agrees_with_pandas(values: list[str]) -> None:
    """pyarrow reads the common shapes; where it does, the moments are the
    ones pandas' ISO 8601 reader gives (and it gives way on anything else)."""
    from cxaudit.dates import _arrow_iso

    text = pd.Series(values, dtype="str")
    fast = _arrow_iso(text)
    slow = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
    if fast is not None:
        assert fast.tolist() == slow.tolist()
