"""Read and write CSV files without changing a single value.

Real exports are messy (BOM, `;` or tab delimiters, CRLF, quoted newlines,
other encodings), and the people in them have zip codes like ``02134`` and
names like ``Null``. So every value is read as text exactly as it is in the
file, never guessed into numbers or NaN, and written back the same way. The
file's dialect (delimiter, encoding, BOM, line ending) is remembered so the
cleaned list looks like the list that came in.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import re
import zlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxaudit.errors import CxauditError
from cxaudit.inputs import files, records
from cxaudit.inputs.encodings import as_utf8, bom_bytes, data_encoding, not_valid, utf8_problem
from cxaudit.inputs.files import unreadable  # noqa: F401 - part of this module's interface
from cxaudit.inputs.table import Dialect, Position, RawRows, Table

csv.field_size_limit(100 * 1024 * 1024)

DELIMITERS = (",", ";", "\t")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


_NOT_SPACE = re.compile(rb"[^ \t\n\r\x0b\x0c]")  # what bytes.strip() leaves


def sniff_delimiter(header_line: str) -> str:
    """The delimiter among `,` `;` tab that splits the header most often
    (outside quotes); a header with none of them is a one-column file."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in header_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_file(
    path: Path,
    *,
    encoding: str = "utf-8",
    delimiter: str | None = None,
    encoding_setting: str = "`encoding:`",
    footer: tuple[str, ...] = (),
    select: Callable[[Table], list[int]] | None = None,
    forced: bool = True,
) -> Table:
    """Read ``path`` as a table of text (in ``encoding``, or, unless
    ``forced``, in what :func:`sniff_encoding` finds with it as the default).

    Blank lines are not rows. A row with more or fewer fields than the header
    is an error, because guessing which value belongs to which column would
    send to, or hold back, the wrong person.

    ``select`` is shown the header (as a table without rows) and returns the
    column positions to load; the others are not parsed into the frame.
    The fast path is pyarrow's CSV reader; anything it cannot take exactly
    (blank lines in the middle, a footer, a malformed row) is read by the
    csv module, which also writes the precise error messages.

    One file: :func:`cxaudit.inputs.read.read_table` also reads a folder
    of parts or a glob.
    """
    options: dict[str, Any] = {
        "encoding": encoding,
        "delimiter": delimiter,
        "encoding_setting": encoding_setting,
        "footer": footer,
        "select": select,
        "forced": forced,
    }
    raw = files.read_bytes(path)
    return table_from_bytes(path, raw, hashlib.sha256(raw).hexdigest(), **options)


def table_from_bytes(
    path: Path,
    raw: bytes,
    sha: str,
    *,
    encoding: str = "utf-8",
    delimiter: str | None = None,
    encoding_setting: str = "`encoding:`",
    footer: tuple[str, ...] = (),
    select: Callable[[Table], list[int]] | None = None,
    forced: bool = True,
) -> Table:
    """The table in file ``path``'s bytes ``raw`` (as :func:`read_file`)."""
    name = path.name.lower()
    if name.endswith(".parquet"):
        return _read_parquet(path, raw, sha, select)
    gz = name.endswith(".gz")
    if gz:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise CxauditError(
                f"{path}: is not a valid gzip file ({exc}); check the file"
            ) from None
    if not forced:
        encoding = data_encoding(raw, encoding)
    table = read_csv_bytes(path, raw, sha, encoding, delimiter, encoding_setting, footer, select)
    if gz:
        table = replace(table, dialect=replace(table.dialect, format="csv.gz"))
    return table


def _read_parquet(
    path: Path, raw: bytes, sha: str, select: Callable[[Table], list[int]] | None
) -> Table:
    """A Parquet file: the rules see every column as text (a null is an empty
    cell); the original typed table is kept so outputs are written as it was."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        arrow = pq.read_table(pa.BufferReader(raw))
    except (pa.ArrowException, OSError) as exc:
        raise CxauditError(f"{path}: is not a readable Parquet file ({exc})") from None
    return parquet_table(path, arrow, sha, select)


def parquet_table(
    path: Path, arrow: Any, sha: str, select: Callable[[Table], list[int]] | None
) -> Table:
    """A pyarrow table (a whole Parquet file, or one batch of it) as text."""
    import pyarrow as pa
    import pyarrow.compute as pc

    header = [str(n) for n in arrow.column_names]
    dialect = Dialect(format="parquet")
    empty = np.zeros(0, dtype=np.int64)
    positions = list(range(len(header)))
    if select is not None:
        positions = sorted(set(select(Table(path, header, pd.DataFrame(), empty, dialect, sha))))
    columns = {}
    for i in positions:
        column = arrow.column(i)
        try:
            text = column if pa.types.is_string(column.type) else pc.cast(column, pa.string())
        except pa.ArrowException:
            raise CxauditError(
                f"{path}: column {header[i]!r} of type {column.type} cannot be read as text"
            ) from None
        columns[i] = pd.Series(pc.fill_null(text, ""), dtype="str")
    frame = pd.DataFrame(columns, columns=positions)
    rows = np.arange(arrow.num_rows, dtype=np.int64) + 1
    return Table(path, header, frame, rows, dialect, sha, None, arrow if select is None else None)


def read_csv_bytes(
    path: Path,
    raw: bytes,
    sha: str,
    encoding: str,
    delimiter: str | None,
    encoding_setting: str,
    footer: tuple[str, ...],
    select: Callable[[Table], list[int]] | None,
    at: Position = Position(),
    record_ends: np.ndarray | None = None,
) -> Table:
    """CSV bytes (a whole file, or a header plus one chunk of records that
    starts at ``at``) as a table.

    Records are found once (:func:`cxaudit.inputs.records.scan`, or the caller's
    ``record_ends``, every record's end including the header's, from the
    same scanner) and the quoting checked; the fast path (pyarrow) parses
    them when nothing is unusual, the careful one (the csv module, one record
    at a time) otherwise. Either way the row bytes kept for the outputs are
    the records that were parsed."""
    data, dialect, start = as_utf8(path, raw, encoding, encoding_setting, at)
    if _NOT_SPACE.search(data, start) is None:  # no copy of the chunk, as data[start:] makes
        raise CxauditError(f"{path}: is empty; expected a header row and data rows")
    if record_ends is None or data is not raw:
        record_ends = records.scan(data, start).ends + start
    ends = record_ends.astype(np.int64)
    if not len(ends) or ends[-1] < len(data):
        ends = np.append(ends, len(data))
    starts = np.concatenate([[start], ends[:-1]])
    header_end = int(ends[0])
    try:
        header_text = data[start:header_end].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise not_valid(path, data, start + exc.start, encoding, encoding_setting, at) from None
    header_line = header_text.rstrip("\r\n")
    delim = delimiter or sniff_delimiter(header_line)
    _check_quotes(path, data, start, ends, delim, at)
    _check_lengths(path, data, start, ends, at)
    ending = header_text[len(header_line) :] or "\n"
    dialect = replace(dialect, delimiter=delim, newline=ending)
    header = next(csv.reader([header_line], delimiter=delim), [])
    positions = None
    if select is not None:
        probe = Table(path, header, pd.DataFrame(), np.zeros(0, dtype=np.int64), dialect, sha)
        positions = sorted(set(select(probe)))
    starts, ends = starts[1:], ends[1:]
    blanks = records.blank(data, starts, ends)
    filled = np.flatnonzero(~blanks)
    rows = int(filled[-1]) + 1 if len(filled) else 0  # trailing blank lines are no rows
    parsed = None
    if not footer and not blanks[:rows].any():
        stop = int(ends[rows - 1]) if rows else header_end
        parsed = _arrow_frame(data, header_end, stop, delim, len(header), positions)
        if parsed is not None and len(parsed) != rows:
            parsed = None  # pyarrow saw other records: the csv module decides
    if parsed is None:
        utf8_problem(path, data, encoding, encoding_setting, at)
        parsed, keep, footer_lines = _careful_frame(
            path, data, starts, ends, blanks, delim, header, footer, at
        )
        parsed = parsed if positions is None else parsed[positions]
    else:
        keep, footer_lines = np.arange(len(ends)) < rows, 0
    row_numbers = np.flatnonzero(keep).astype(np.int64) + 2 + at.records
    spans = None
    if positions is None:
        spans = RawRows(data, header_end, starts[keep], ends[keep], start)
    return Table(path, header, parsed, row_numbers, dialect, sha, spans, footer_lines=footer_lines)


def _check_quotes(
    path: Path, data: bytes, start: int, ends: np.ndarray, delim: str, at: Position
) -> None:
    """Refuse quoting that readers could read differently (see
    :mod:`cxaudit.inputs.records`), naming the row and line."""
    if data.find(b'"', start) == -1:
        return
    found = records.bad_quote(data, start, len(data), delim)
    if found is None:
        return
    offset, problem = found
    record = int(np.searchsorted(ends, start + offset, side="right"))
    lines, _ = records.line_breaks(np.frombuffer(data, np.uint8, offset, start), True)
    line = 1 + len(lines) + (at.lines if record else 0)
    where = f"row {record + 1 + at.records}, line {line}" if record else f"line {line} (the header)"
    raise CxauditError(
        f"{path}: {where}: malformed CSV ({problem}); quote the whole value and double "
        'every quote inside it ("5"" tv"), or export the file again'
    )


def _check_lengths(path: Path, data: bytes, start: int, ends: np.ndarray, at: Position) -> None:
    """Refuse a record longer than any real one (a quote left open), the
    same at every chunk size: the chunk reader stops at the same length."""
    sizes = np.diff(ends, prepend=start)
    if not len(sizes) or sizes.max() <= records.LONGEST_RECORD:
        return
    record = int(np.argmax(sizes > records.LONGEST_RECORD))
    where = f"row {record + 1 + at.records}" if record else "the header"
    raise CxauditError(
        f"{path}: {where} is longer than {records.LONGEST_RECORD >> 20} MiB, so a quote was "
        'probably left open; close it, or double a quote inside a value ("")'
    )


def _careful_frame(
    path: Path,
    data: bytes,
    starts: np.ndarray,
    ends: np.ndarray,
    blanks: np.ndarray,
    delim: str,
    header: list[str],
    footer: tuple[str, ...],
    at: Position,
) -> tuple[pd.DataFrame, np.ndarray, int]:
    """The records read by the csv module, each from exactly its own bytes:
    blank lines are not rows, a footer is dropped, a ragged row is an error.
    Returns the frame, which records are rows and how many footer lines
    were dropped."""
    texts = [data[a:b].decode("utf-8") for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]
    try:
        body = list(csv.reader(texts, delimiter=delim, strict=True))
    except csv.Error as exc:  # not expected once the quotes were checked
        raise CxauditError(f"{path}: malformed CSV ({exc}); check the file's quotes") from None
    if len(body) != len(texts):
        raise CxauditError(f"{path}: malformed CSV (records could not be told apart); check quotes")
    footer_lines = 0
    if footer:
        body, footer_lines = _drop_footer(path, body, footer)
    width = len(header)
    lengths = np.fromiter(map(len, body), dtype=np.int64, count=len(body))
    keep = np.zeros(len(ends), dtype=bool)
    keep[: len(body)] = (lengths > 0) & ~blanks[: len(body)]
    ragged = np.flatnonzero(keep[: len(body)] & (lengths != width))
    if ragged.size:
        i = int(ragged[0])
        more = f" ({ragged.size} such rows in all)" if ragged.size > 1 else ""
        raise CxauditError(
            f"{path}: row {i + 2 + at.records} has {lengths[i]} fields but the header has {width} "
            f"({_DELIMITER_NAMES.get(delim, repr(delim))}-separated){more}; "
            "fix the row, or quote values that contain the delimiter"
        )
    kept = [r for r, k in zip(body, keep.tolist(), strict=False) if k]
    columns = list(zip(*kept, strict=True)) if kept else [() for _ in range(width)]
    frame = pd.DataFrame(
        {i: pd.Series(columns[i], dtype="str") for i in range(width)}, columns=list(range(width))
    )
    return frame, keep, footer_lines


def _arrow_frame(
    data: bytes, start: int, end: int, delimiter: str, width: int, positions: list[int] | None
) -> pd.DataFrame | None:
    """Parse ``data[start:end]`` (UTF-8 CSV records without the header, their
    quoting already checked) with pyarrow; None when it will not (a ragged
    row, bytes that are not UTF-8), which the careful path then names."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    wanted = list(range(width)) if positions is None else positions
    if end <= start:
        return pd.DataFrame({i: pd.Series([], dtype="str") for i in wanted}, columns=wanted)
    names = [f"c{i}" for i in range(width)]
    try:
        table = pacsv.read_csv(
            pa.py_buffer(data).slice(start, end - start),
            read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                include_columns=[names[i] for i in wanted],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                null_values=[],
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    return pd.DataFrame(
        {i: table.column(names[i]).to_pandas().astype("str") for i in wanted}, columns=wanted
    )


def _drop_footer(
    path: Path, body: list[list[str]], patterns: tuple[str, ...]
) -> tuple[list[list[str]], int]:
    """Drop a report's trailing footer, and say how many lines it had.

    Salesforce ends a report with single-cell lines after a blank one:
    "Grand Totals (N records)", the copyright and confidentiality notices,
    "Generated By: NAME DATE" and the company's name, which no pattern can
    know. So, walking up from the end, single-cell lines are footer once a
    known footer line is found above them, and the walk stops at the first
    unknown line above the topmost known one (a one-column report's rows
    stay rows). The stated record count is checked, so a truncated export
    is caught."""
    compiled = [re.compile(p) for p in patterns]
    end = len(body)
    cut = end  # the footer starts here once a known line confirms it
    stated: int | None = None
    i = end
    while i > 0:
        record = body[i - 1]
        if not record or record == [""]:
            i -= 1
            continue
        if len(record) != 1:
            break
        match = next((m for m in (rx.match(record[0].strip()) for rx in compiled) if m), None)
        if match is None:
            if cut != end:  # an unknown line above the footer: data
                break
            i -= 1
            continue
        if match.groups():
            stated = int(match.group(1))
        i -= 1
        cut = i
    while cut > 0 and (not body[cut - 1] or body[cut - 1] == [""]):
        cut -= 1  # the blank lines before the footer
    if cut == end:
        return body, 0
    rows = [r for r in body[:cut] if r and r != [""]]
    if stated is not None and stated != len(rows):
        raise CxauditError(
            f"{path}: the footer says {stated} records but the file has {len(rows)} rows; "
            "the export looks truncated or edited: export it again"
        )
    dropped = sum(1 for r in body[cut:] if r and r != [""])
    return body[:cut], dropped


def _has_cr_or_lf(values: pd.Series) -> bool:
    if not len(values):
        return False
    return bool(values.str.contains("\r", regex=False).any()) or bool(
        values.str.contains("\n", regex=False).any()
    )


def render_csv(header: list[str], columns: list[pd.Series], dialect: Dialect) -> bytes:
    """The bytes of a CSV file in ``dialect``; values are written as they are,
    quoted only where the CSV format requires it."""
    buf = io.StringIO(newline="")
    # Python's writer quotes a value only for the characters of its line
    # terminator, so with "\n" a value holding a lone "\r" would go out
    # unquoted and split the row for every reader. Write with "\r\n" (which
    # quotes both) and, for LF files, swap each row's ending afterwards.
    writer = csv.writer(buf, delimiter=dialect.delimiter, lineterminator="\r\n")
    rows = zip(*(c.tolist() for c in columns), strict=True)
    if dialect.newline == "\r\n":
        writer.writerow(header)
        writer.writerows(rows)
        text = buf.getvalue()
    elif not any(_has_cr_or_lf(c) for c in [pd.Series(header, dtype="str"), *columns]):
        writer = csv.writer(buf, delimiter=dialect.delimiter, lineterminator=dialect.newline)
        writer.writerow(header)
        writer.writerows(rows)
        text = buf.getvalue()
    else:
        parts = []
        for row in (header, *rows):
            buf.seek(0)
            buf.truncate()
            writer.writerow(row)
            parts.append(buf.getvalue()[:-2] + dialect.newline)
        text = "".join(parts)
    return bom_bytes(dialect) + text.encode(dialect.encoding, errors="replace")
