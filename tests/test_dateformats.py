"""Date formats read from a column's values when no date_format is set:
one reading is used and reported, two readings are refused with both."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxaudit.dateformats import CANDIDATES, AmbiguousDates, infer_format
from cxaudit.dates import parse_moments
from tests.conftest import Workspace

SHAPES = [
    # (values as exports write them, the format, the first value's UTC moment)
    (["02-13-2025 15:46:06", "02-14-2025 01:00:00"], "%m-%d-%Y %H:%M:%S", "2025-02-13 15:46:06"),
    (["14/01/2025 13:26", "15/02/2025 09:00"], "%d/%m/%Y %H:%M", "2025-01-14 13:26:00"),
    (["2023-03-24 10:23:10 UTC"], "%Y-%m-%d %H:%M:%S UTC", "2023-03-24 10:23:10"),
    (["15 Apr, 2021 23:01:19"], "%d %b, %Y %H:%M:%S", "2021-04-15 23:01:19"),
    (["12/Mar/24 9:41 AM", "05/ago/26 1:05 PM"], "%d/%b/%y %I:%M %p", "2024-03-12 09:41:00"),
    (["18.11.2026 09:00", "31.12.2026 23:59"], "%d.%m.%Y %H:%M", "2026-11-18 09:00:00"),
    (["11/18/2026 9:00 AM", "11/20/2026 4:30 PM"], "%m/%d/%Y %I:%M %p", "2026-11-18 09:00:00"),
    (["2026-11-18 10:00:00 -0500"], "%Y-%m-%d %H:%M:%S %z", "2026-11-18 15:00:00"),
]


@pytest.mark.parametrize(("values", "fmt", "first"), SHAPES)
def test_each_shape_is_read_as_written(values: list[str], fmt: str, first: str) -> None:
    assert infer_format(pd.Series(values)) == fmt
    moments = parse_moments(pd.Series(values), fmt)
    assert moments.iloc[0] == pd.Timestamp(first, tz="UTC")


def test_day_and_month_both_possible_is_refused_with_both_readings() -> None:
    with pytest.raises(AmbiguousDates) as caught:
        infer_format(pd.Series(["03/02/2025", "04/05/2025"]))
    assert caught.value.formats == ["%d/%m/%Y", "%m/%d/%Y"]
    assert caught.value.example == "03/02/2025"


def test_one_value_past_12_decides_for_the_column() -> None:
    values = pd.Series(["03/02/2025"] * 1000 + ["13/02/2025"])
    assert infer_format(values) == "%d/%m/%Y"


def test_no_format_reads_words() -> None:
    assert infer_format(pd.Series(["next tuesday"])) is None


def test_a_source_reports_the_format_it_read_and_refuses_two_readings(ws: Workspace) -> None:
    ws.write("campaign.csv", "email\nann@example.com\nbob@example.com\n")
    ws.write(
        "sn.csv",
        "number,opened_at,short_description,caller_id.email,priority,state\n"
        "INC1,02-13-2025 15:46:06,x,ann@example.com,1 - Critical,New\n"
        "INC2,01-14-2025 01:00:00,y,bob@example.com,1 - Critical,New\n",
    )
    ws.write(
        "rules.yaml",
        "version: 1\nsources:\n  cases: {path: sn.csv, preset: servicenow}\nrules:\n"
        "  - {id: s, source: cases, where: {opened_at: {within_days: 30}}, action: suppress}\n",
    )
    run = ws.audit("-q", "--as-of", "2025-03-01")
    assert run.code == 0, run.stderr
    assert run.suppressed() == {"ann@example.com": "s"}  # Feb 13 is inside 30 days, Jan 14 not
    (cases,) = [i for i in run.report()["inputs"] if i["name"] == "cases"]
    assert cases["date_formats"] == {"opened_at": "%m-%d-%Y %H:%M:%S"}
    logged = ws.audit("--as-of", "2025-03-01", out="logged").stderr  # the log says it too
    assert (
        "cxaudit: source cases: column 'opened_at': dates read as '%m-%d-%Y %H:%M:%S' "
        "(month-day-year), from its values\n" in logged
    )
    ws.write(
        "sn.csv",
        "number,opened_at,short_description,caller_id.email,priority,state\n"
        "INC1,03/02/2025,x,ann@example.com,1 - Critical,New\n",
    )
    refused = ws.audit("-q", "--as-of", "2025-03-01", out="two")
    assert refused.code == 2
    assert refused.stderr == (
        "cxaudit: error: sn.csv, column 'opened_at': every date in row 2 reads two ways, e.g. "
        "'03/02/2025' as day/month/year (2025-02-03) or month/day/year (2025-03-02); set "
        "sources.cases.date_format: '%d/%m/%Y' or '%m/%d/%Y'\n"
    )


def test_a_date_format_in_the_rules_file_is_not_second_guessed(ws: Workspace) -> None:
    ws.write("campaign.csv", "email\nann@example.com\n")
    ws.write("cases.csv", "email,opened\nann@example.com,13/02/2025\n")
    ws.write(
        "rules.yaml",
        "version: 1\nsources:\n  cases: {path: cases.csv, keys: {email: email}, "
        "columns: {opened: opened}, dates: [opened], date_format: '%m/%d/%Y'}\nrules:\n"
        "  - {id: s, source: cases, where: {opened: {within_days: 30}}, action: suppress}\n",
    )
    run = ws.audit("-q")
    assert run.code == 2
    assert "not a date in the format %m/%d/%Y" in run.stderr


# Formats whose written values read back to one instant (a 2-digit year or a
# 12-hour clock loses nothing for these moments; %z keeps the offset).
READABLE = [f for f in CANDIDATES if "%B" not in f]


@settings(max_examples=60, deadline=None)
@given(
    fmt=st.sampled_from(READABLE),
    moments=st.lists(
        st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2060, 12, 31)),
        min_size=1,
        max_size=20,
    ),
)
def test_random_dates_in_any_supported_format_read_back(fmt: str, moments: list) -> None:
    """Written in a format, a column is read back to the same instants: by
    that format, or by another that reads every value the same way."""
    stamps = [m.replace(microsecond=0, tzinfo=UTC) for m in moments]
    if "%S" not in fmt:
        stamps = [s.replace(second=0) for s in stamps]
    if "%H" not in fmt and "%I" not in fmt:
        stamps = [s.replace(hour=0, minute=0, second=0) for s in stamps]
    zone = timedelta(hours=-5) if "%z" in fmt else timedelta(0)
    text = pd.Series(
        [(s + zone).replace(tzinfo=None).strftime(fmt).replace("%z", "") for s in stamps]
    )
    if "%z" in fmt:
        text = pd.Series(
            [(s.astimezone(__import__("datetime").timezone(zone))).strftime(fmt) for s in stamps]
        )
    try:
        found = infer_format(text)
    except AmbiguousDates as exc:
        assert fmt in exc.formats  # two readings, the true one among them
        return
    assert found is not None, (fmt, list(text))
    read = parse_moments(text, found)
    assert list(read) == [pd.Timestamp(s) for s in stamps], (fmt, found, list(text))


# A list whose date column changes format part-way is refused however it is
# cut: read whole, no format fits every value; in chunks, a later value does
# not fit the format the first chunk holding a date was read in. The first
# rows may be blank or ISO; a column never guesses again part-way.
MIXED = {
    "blank, then day-first, then month-first": ["", "", "13/02/2025", "05/04/2025", "02/13/2025"],
    "ISO, then day-first": ["2025-01-01", "2025-01-02", "13/02/2025", "05/04/2025"],
}


@pytest.mark.parametrize("case", sorted(MIXED))
@pytest.mark.parametrize("chunk", ["1", "2", "3", "1000"])
def test_a_column_that_changes_format_is_refused_in_any_chunk_size(
    ws: Workspace, case: str, chunk: str
) -> None:
    rows = "".join(f"p{i}@example.com,{v}\n" for i, v in enumerate(MIXED[case]))
    ws.write("campaign.csv", "email,joined\n" + rows)
    ws.write(
        "rules.yaml",
        "version: 1\nrecipients: {keys: {email: email}, columns: {joined: joined}, "
        "dates: [joined]}\nrules:\n"
        "  - {id: late, source: recipients, where: {joined: {after: '2025-03-01'}}, "
        "action: suppress}\n",
    )
    run = ws.audit("-q", "--chunk-size", chunk)
    assert run.code == 2, run.stdout
    assert "column 'joined': not a date in the format" in run.stderr
    assert not run.out.exists()


def test_month_names_abbreviated_or_full_read_alike_in_any_chunk_size(ws: Workspace) -> None:
    """ "13 May 2026" fits %b and %B; "12 November 2026" and "1 Nov 2026"
    later in the column are read too, whole or one row at a time, and the
    first chunk that reads two ways names its rows."""
    ws.write(
        "campaign.csv",
        "email,joined\na@x.example,13 May 2026\nb@x.example,12 November 2026\n"
        "c@x.example,1 Nov 2026\n",
    )
    ws.write(
        "rules.yaml",
        "version: 1\nrecipients: {keys: {email: email}, columns: {joined: joined}, "
        "dates: [joined]}\nrules:\n"
        "  - {id: late, source: recipients, where: {joined: {after: '2026-10-31'}}, "
        "action: suppress}\n",
    )
    for chunk in ("1", "1000"):
        run = ws.audit("-q", "--chunk-size", chunk, out=f"out{chunk}")
        assert run.code == 0, run.stderr
        assert run.column("suppressed.csv", "email") == ["b@x.example", "c@x.example"]
    ws.write("campaign.csv", "email,joined\na@x.example,03/04/2026\nb@x.example,13/11/2026\n")
    assert ws.audit("-q", out="whole").code == 0  # 13/11 decides: day first
    one = ws.audit("-q", "--chunk-size", "1", out="one")
    assert one.code == 2
    assert one.stderr.startswith(
        "cxaudit: error: campaign.csv, column 'joined': every date in row 2 reads two ways"
    )


def test_a_value_that_fits_no_format_is_told_the_format_its_own_shape_needs() -> None:
    from cxaudit.dateformats import format_hint

    assert format_hint("12 November 2026") == '"%d %B %Y"'
    assert format_hint("15 Apr, 2021 23:01:19") == '"%d %b, %Y %H:%M:%S"'


def test_a_value_no_format_reads_is_named_not_the_good_row_before_it(ws: Workspace) -> None:
    ws.write(
        "campaign.csv",
        "email,joined\na@x.example,2023-03-24 10:23:10 UTC\nb@x.example,<script>x</script>\n",
    )
    ws.write(
        "rules.yaml",
        "version: 1\nrecipients: {keys: {email: email}, columns: {joined: joined}, "
        "dates: [joined]}\nrules: []\n",
    )
    run = ws.audit("-q")
    assert run.code == 2
    assert run.stderr.startswith(
        "cxaudit: error: campaign.csv: row 3, column 'joined': not a date in the format "
        "%Y-%m-%d %H:%M:%S UTC, which the column's first date is written in"
    )
