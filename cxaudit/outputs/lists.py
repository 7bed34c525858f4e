"""Which rows go to which list: cleaned, suppressed and flagged as CSV pieces
(each input record's own bytes, with the columns cxaudit adds) and as Arrow
tables, for one chunk's result."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from cxaudit.audit.decide import AuditResult
from cxaudit.inputs import records
from cxaudit.inputs.csvfile import render_csv
from cxaudit.inputs.encodings import bom_bytes
from cxaudit.inputs.table import Dialect, RawRows

ADDED_COLUMNS = ("cxaudit_row", "cxaudit_rules", "cxaudit_reasons")


def csv_outputs(result: AuditResult) -> tuple[bytes, bytes, bytes]:
    """The bytes of cleaned.csv, suppressed.csv and flagged.csv, in the
    campaign's dialect."""
    heads, bodies = csv_pieces(result)
    return heads[0] + bodies[0], heads[1] + bodies[1], heads[2] + bodies[2]


def listed_rows(result: AuditResult) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], ...]:
    """Which rows suppressed.csv and flagged.csv list, and their
    ``cxaudit_rules`` and ``cxaudit_reasons`` cells (all rows')."""
    out = result.outcome
    return (
        (out.suppressed, out.rules_cell, out.reasons_cell),
        (out.flagged, out.flag_rules_cell, out.flag_reasons_cell),
    )


def csv_pieces(
    result: AuditResult,
) -> tuple[tuple[bytes, bytes, bytes], tuple[bytes, bytes, bytes]]:
    """The headers and the rows of cleaned.csv, suppressed.csv and
    flagged.csv for one chunk of the list (a whole-list run is one chunk), in
    the list's own encoding, byte order mark and line endings."""
    table = result.recipients.table
    out = result.outcome
    dialect = table.dialect
    lists = listed_rows(result)
    if table.raw is not None:
        heads, bodies = _copied_pieces(table.raw, dialect, out.kept, table.row_numbers, lists)
        if dialect.encoding != "utf-8":  # the rows were read as UTF-8: back to the file's own
            # The input's own bytes came from that encoding, so only cxaudit's
            # cells (a reason quoting a source) can hold what it cannot write.
            heads = tuple(h.decode("utf-8").encode(dialect.encoding) for h in heads)  # type: ignore[assignment]
            bodies = tuple(  # type: ignore[assignment]
                b.decode("utf-8").encode(dialect.encoding, errors="replace") for b in bodies
            )
        mark = bom_bytes(dialect)
        return (mark + heads[0], mark + heads[1], mark + heads[2]), bodies
    columns = [table.frame[i] for i in range(len(table.header))]
    wide = [*table.header, *ADDED_COLUMNS]
    heads = (
        render_csv(table.header, [], dialect),
        render_csv(wide, [], dialect),
        render_csv(wide, [], dialect),
    )
    cleaned = render_csv(table.header, [c[out.kept] for c in columns], dialect)
    listed = []
    for rows, rules_cell, reasons_cell in lists:
        added = [
            pd.Series(table.row_numbers[rows].astype(str), dtype=object),
            pd.Series(rules_cell[rows], dtype=object),
            pd.Series(reasons_cell[rows], dtype=object),
        ]
        listed.append(render_csv(wide, [*(c[rows] for c in columns), *added], dialect))
    return heads, (
        cleaned[len(heads[0]) :],
        listed[0][len(heads[1]) :],
        listed[1][len(heads[2]) :],
    )


def _quoted(values: np.ndarray, delimiter: str) -> Any:
    """Cells as CSV writes them, vectorised: quoted (inner quotes doubled)
    only when they hold the delimiter, a quote or a line break."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pa.array(values.tolist(), pa.string())
    special = "[" + re.escape(delimiter) + '"\r\n]'
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(text, '"', '""'), '"', "")
    return pc.if_else(pc.match_substring_regex(text, special), quoted, text)


def _copied_pieces(
    raw: RawRows,
    dialect: Dialect,
    kept: np.ndarray,
    numbers: np.ndarray,
    lists: tuple[tuple[np.ndarray, np.ndarray, np.ndarray], ...],
) -> tuple[tuple[bytes, bytes, bytes], tuple[bytes, bytes, bytes]]:
    """cleaned.csv, suppressed.csv and flagged.csv made of the records that
    were parsed, as UTF-8 bytes without a byte order mark: every value, quote
    and line ending exactly as it came. A listed row gains its three cells
    (``cxaudit_row``, ``cxaudit_rules``, ``cxaudit_reasons``) before its own
    line ending (LF, CRLF or CR, whatever the file mixes)."""
    data = raw.data
    newline = dialect.newline.encode()
    header = data[raw.header_start : raw.header_end]
    header_ending = records.terminator_lengths(
        data, np.array([raw.header_end]), np.array([raw.header_start])
    )[0]
    d = dialect.delimiter
    extra_header = "".join(d + name for name in ADDED_COLUMNS).encode()
    cut = len(header) - int(header_ending)
    wide = header[:cut] + extra_header + (header[cut:] or newline)
    heads = header, wide, wide
    if not len(raw.ends):
        return heads, (b"", b"", b"")
    ending = records.terminator_lengths(data, raw.ends, raw.starts)
    # Kept rows that follow each other in the file are copied as one slice
    # (blank lines between rows are not rows, so a gap ends a slice).
    rows = np.flatnonzero(kept)
    starts, ends = raw.starts[rows], raw.ends[rows]
    joined = np.zeros(len(rows), dtype=bool)
    joined[1:] = (rows[1:] == rows[:-1] + 1) & (starts[1:] == ends[:-1])
    firsts = np.flatnonzero(~joined)
    lasts = np.append(firsts[1:] - 1, len(rows) - 1).astype(np.int64)[: len(firsts)]
    with memoryview(data) as view:
        cleaned = b"".join(
            view[a:b] for a, b in zip(starts[firsts].tolist(), ends[lasts].tolist(), strict=True)
        )
    if len(rows) and ending[rows[-1]] == 0:
        cleaned += newline  # the file's last row had no line ending
    listed = [
        _annotated(raw, ending, np.flatnonzero(mask), numbers, rules_cell, reasons_cell, dialect)
        for mask, rules_cell, reasons_cell in lists
    ]
    return heads, (cleaned, listed[0], listed[1])


def _annotated(
    raw: RawRows,
    ending: np.ndarray,
    rows: np.ndarray,
    numbers: np.ndarray,
    rules_cell: np.ndarray,
    reasons_cell: np.ndarray,
    dialect: Dialect,
) -> bytes:
    """The records at positions ``rows``, each with its row number, rules and
    reasons appended before its line ending."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not len(rows):
        return b""
    data = raw.data
    d = dialect.delimiter
    newline = dialect.newline.encode()
    starts, ends, own = raw.starts[rows], raw.ends[rows], ending[rows]
    content_ends = ends - own
    cells = pc.binary_join_element_wise(
        "",
        pa.array(numbers[rows]).cast(pa.string()),
        _quoted(rules_cell[rows], d),
        _quoted(reasons_cell[rows], d),
        d,
    )
    # Every record's content and own line ending, as Arrow views of the
    # file's bytes (no copy): offsets a0 b0 e0 a1 b1 e1 … never decrease, as
    # the rows are in file order; elements 3i and 3i+1 are row i's content
    # and ending (3i+2 is what lies between two rows).
    offsets = np.empty(3 * len(rows), dtype=np.int64)
    offsets[0::3], offsets[1::3], offsets[2::3] = starts, content_ends, ends
    pieces = pa.Array.from_buffers(
        pa.large_binary(),
        len(offsets) - 1,
        [None, pa.py_buffer(offsets), pa.py_buffer(data)],
    )
    at = np.arange(len(rows), dtype=np.int64) * 3
    content, own_ending = pieces.take(pa.array(at)), pieces.take(pa.array(at + 1))
    line_end = pa.scalar(newline, pa.large_binary())
    own_ending = pc.if_else(pc.equal(pc.binary_length(own_ending), 0), line_end, own_ending)
    empty = pa.scalar(b"", pa.large_binary())
    out = pc.binary_join_element_wise(content, cells.cast(pa.large_binary()), own_ending, empty)
    value_offsets = np.frombuffer(out.buffers()[1], dtype=np.int64)[out.offset :]
    return out.buffers()[2].to_pybytes()[int(value_offsets[0]) : int(value_offsets[-1])]


def parquet_tables(result: AuditResult) -> tuple[Any, Any, Any]:
    """A Parquet list comes back as Parquet: the original typed columns, rows
    filtered, plus the three cxaudit columns on the suppressed and the
    flagged rows (``cxaudit_row`` a 64-bit integer)."""
    import pyarrow as pa

    table = result.recipients.table.arrow
    numbers = result.recipients.table.row_numbers
    listed = []
    for rows, rules_cell, reasons_cell in listed_rows(result):
        part = table.filter(pa.array(rows))
        part = part.append_column("cxaudit_row", pa.array(numbers[rows], pa.int64()))
        part = part.append_column("cxaudit_rules", pa.array(rules_cell[rows].tolist(), pa.string()))
        part = part.append_column(
            "cxaudit_reasons", pa.array(reasons_cell[rows].tolist(), pa.string())
        )
        listed.append(part)
    return table.filter(pa.array(result.outcome.kept)), listed[0], listed[1]


def arrow_lists(result: AuditResult) -> tuple[Any, Any, Any]:
    """The kept, suppressed and flagged rows of one chunk as Arrow tables."""
    import pyarrow as pa

    table = result.recipients.table
    if table.arrow is not None:
        return parquet_tables(result)
    columns = [pa.array(table.frame[i], pa.string()) for i in range(len(table.header))]
    whole = pa.Table.from_arrays(columns, names=list(table.header))
    out = result.outcome
    listed = []
    for rows, rules_cell, reasons_cell in (
        (out.suppressed, out.rules_cell, out.reasons_cell),
        (out.flagged, out.flag_rules_cell, out.flag_reasons_cell),
    ):
        part = whole.filter(pa.array(rows))
        part = part.append_column(
            "cxaudit_row", pa.array(table.row_numbers[rows].astype(np.int64), pa.int64())
        )
        part = part.append_column("cxaudit_rules", pa.array(rules_cell[rows].tolist(), pa.string()))
        part = part.append_column(
            "cxaudit_reasons", pa.array(reasons_cell[rows].tolist(), pa.string())
        )
        listed.append(part)
    return whole.filter(pa.array(out.kept)), listed[0], listed[1]
