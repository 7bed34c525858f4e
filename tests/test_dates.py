"""Dates as exports write them, all read as UTC moments."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxaudit.dates import (
    MAX_DAYS,
    DateParseError,
    OutOfRange,
    days_before,
    format_moments,
    iso,
    parse_instant,
    parse_moments,
)
from tests.conftest import CASES_HEADER, Workspace


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
    r"\A[0-9]{4}-[01][0-9]-[0-3][0-9]([ T][0-2][0-9](:[0-5][0-9](:[0-6][0-9](\.[0-9]{1,9})?)?)?)?"
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


@pytest.mark.parametrize("date_format", [None, "%Y-%m-%d"])
def test_the_whole_calendar_is_read(date_format: str | None) -> None:
    values = ["9999-12-31", "0001-01-01", "2300-01-01", "1677-09-21", "2262-04-12", ""]
    parsed = parse_moments(pd.Series(values, dtype="str"), date_format)
    assert str(parsed.dtype) == "datetime64[us, UTC]"
    assert [iso(m) for m in parsed.iloc[:5]] == [
        "9999-12-31T00:00:00Z",
        "0001-01-01T00:00:00Z",
        "2300-01-01T00:00:00Z",
        "1677-09-21T00:00:00Z",
        "2262-04-12T00:00:00Z",
    ]
    assert parsed.isna().tolist() == [False] * 5 + [True]


def test_nanoseconds_are_cut_to_microseconds_without_losing_far_dates() -> None:
    values = [
        "2026-11-18T09:00:00.123456789Z",
        "9999-12-31T00:00:00Z",
        "0001-01-01 00:00:00.9999999",
    ]
    parsed = parse_moments(pd.Series(values, dtype="str"), None)
    assert [iso(m) for m in parsed] == [
        "2026-11-18T09:00:00.123456Z",
        "9999-12-31T00:00:00Z",
        "0001-01-01T00:00:00.999999Z",
    ]
    assert iso(parse_instant("9999-12-31T23:59:59.999999999Z")) == "9999-12-31T23:59:59.999999Z"


def test_instants_at_the_ends_of_the_calendar() -> None:
    assert iso(parse_instant("0001-01-01")) == "0001-01-01T00:00:00Z"
    assert iso(parse_instant("9999-12-31")) == "9999-12-31T00:00:00Z"
    with pytest.raises(OutOfRange) as info:
        parse_instant("9999-12-31T23:00:00-05:00")
    assert info.value.moment == "10000-01-01T04:00:00Z"
    with pytest.raises(OutOfRange):
        parse_instant("0001-01-01T00:00:00+01:00")
    with pytest.raises(OutOfRange):  # pandas and pyarrow read a year 0 (1 BC)
        parse_instant("0000-06-01")


def test_day_windows_reach_across_the_calendar() -> None:
    assert MAX_DAYS == 3652058
    last = parse_instant("9999-12-31")
    assert days_before(last, MAX_DAYS) == parse_instant("0001-01-01")
    assert iso(days_before(parse_instant("0001-01-01"), 0.5)) == "0000-12-31T12:00:00Z"
    assert days_before(parse_instant("2026-11-24"), MAX_DAYS).year == -7973


def test_formatting_keeps_four_digit_years() -> None:
    values = ["0001-01-01", "0999-12-31T10:00:00Z", "2026-11-18", "", "9999-12-31T23:00:00-05:00"]
    moments = parse_moments(pd.Series(values, dtype="str"), None)
    assert format_moments(moments, "%Y-%m-%d").tolist() == [
        "0001-01-01",
        "0999-12-31",
        "2026-11-18",
        "",
        "10000-01-01T04:00:00Z",
    ]
    assert format_moments(moments, "%d %b %Y, %%Y %H:%M").tolist()[:3] == [
        "01 Jan 0001, %Y 00:00",
        "31 Dec 0999, %Y 10:00",
        "18 Nov 2026, %Y 00:00",
    ]


CALENDAR = st.datetimes(
    min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59, 999999)
)


@settings(max_examples=200, deadline=None)
@given(st.lists(CALENDAR, min_size=1, max_size=5), st.sampled_from(["T", " "]), st.booleans())
def test_any_moment_of_the_calendar_round_trips(
    moments: list[datetime], sep: str, zoned: bool
) -> None:
    text = [m.isoformat(sep) + ("Z" if zoned else "") for m in moments]
    parsed = parse_moments(pd.Series(text, dtype="str"), None)
    assert [m.to_pydatetime() for m in parsed] == [m.replace(tzinfo=UTC) for m in moments]


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("21/11/2026", '"%d/%m/%Y"'),
        ("11/21/2026 9:00 AM", '"%m/%d/%Y %I:%M %p"'),
        (
            "05/06/2026 14:30:00",
            '"%d/%m/%Y %H:%M:%S" (day first) or "%m/%d/%Y %H:%M:%S" (month first)',
        ),
        ("12/Mar/24 9:41 AM", '"%d/%b/%y %I:%M %p"'),
        ("18.11.2026", '"%d.%m.%Y"'),
        ("yesterday", '"%m/%d/%Y %I:%M %p" for 11/18/2026 9:00 AM'),
    ],
)
def test_the_date_format_hint_follows_the_values_shape(value: str, hint: str) -> None:
    from cxaudit.dates import format_hint

    assert format_hint(value) == hint


def test_a_column_of_two_shapes_names_the_row_that_breaks_the_first_dates_format(
    ws: Workspace,
) -> None:
    ws.write("campaign.csv", "customer_id,email\nC1,a@x.com\n")
    # two shapes in one column: no one format reads them all, so nothing is
    # guessed; the row named is the first that breaks the first date's format
    ws.write(
        "cases.csv",
        CASES_HEADER + "\n1,C1,,open,urgent,X,S,,21/11/2026,\n2,C2,,open,low,X,S,,2026-11-20,\n",
    )
    ws.rules("- {id: severe, source: cases, where: {priority: {equals: urgent}}, action: suppress}")
    run = ws.audit("-q")
    assert run.code == 2
    assert run.stderr.startswith(
        "cxaudit: error: cases.csv: row 3, column 'Created at': not a date in the format "
        "%d/%m/%Y, which the column's first date is written in (the value reads like "
        "'9999-99-99')"
    )


@pytest.mark.parametrize("word", ["today", "Now", "TODAY", "yesterday", "tomorrow"])
def test_words_for_a_day_are_refused_with_the_row_and_column(ws, word: str) -> None:
    ws.write("campaign.csv", f"customer_id,email,when\nC1,a@x.example,{word}\n")
    ws.write(
        "rules.yaml",
        "version: 1\nrecipients: {keys: {customer_id: customer_id, email: email}, "
        "columns: {when: when}, dates: [when]}\nsources: {}\nrules:\n"
        "  - {id: x, where: {when: {within_days: 3}}, action: suppress}\n",
    )
    run = ws.audit()
    assert run.code == 2
    assert run.stderr.splitlines()[-1] == (
        f"cxaudit: error: campaign.csv: row 2, column 'when': {word!r} is a word for a day, not a "
        "date: read on another day it would mean another moment; export the column with real dates"
    )
    assert not run.out.exists()
    assert ws.cli("audit", "campaign.csv", "--as-of", word).exit_code == 2
