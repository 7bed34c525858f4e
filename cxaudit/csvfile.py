"""Read and write CSV files without changing a single value.

Real exports are messy (BOM, `;` or tab delimiters, CRLF, quoted newlines,
other encodings), and the people in them have zip codes like ``02134`` and
names like ``Null``. So every value is read as text exactly as it is in the
file, never guessed into numbers or NaN, and written back the same way. The
file's dialect (delimiter, encoding, BOM, line ending) is remembered so the
cleaned list looks like the list that came in.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import re
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxaudit.errors import CxauditError

csv.field_size_limit(100 * 1024 * 1024)

DELIMITERS = (",", ";", "\t")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


@dataclass(frozen=True)
class Dialect:
    """How a file was written, so outputs can be written the same way."""

    delimiter: str = ","
    encoding: str = "utf-8"
    bom: bool = False
    newline: str = "\n"
    format: str = "csv"  # csv | csv.gz | parquet: outputs are written the same way


@dataclass(frozen=True)
class RawRows:
    """Where each record sits in the file's bytes, so outputs can copy rows
    exactly as they came (quoting and all) instead of re-writing them."""

    data: bytes
    header_end: int  # first byte after the header's line ending (BOM included before)
    starts: np.ndarray
    ends: np.ndarray  # each record's end, its line ending included


@dataclass(frozen=True)
class Position:
    """Where a piece of a file starts, for a campaign list read in chunks:
    records, lines and bytes before it (the header excluded), so the piece's
    row numbers and error messages name the whole file's rows."""

    records: int = 0
    lines: int = 0
    bytes: int = 0


@dataclass(frozen=True)
class Table:
    """A CSV file as text: its header, its rows and where each row came from.

    ``frame`` has positional column labels (0..n-1) because real headers can
    repeat a name (Jira's ``Comment,Comment``). ``row_numbers`` gives each data
    row's row number in the file, counting the header as row 1, so errors can
    point at the row a person sees in a spreadsheet.
    """

    path: Path
    header: list[str]
    frame: pd.DataFrame
    row_numbers: np.ndarray
    dialect: Dialect
    sha256: str
    raw: RawRows | None = None
    arrow: Any = None  # the typed pyarrow table of a Parquet campaign list

    @property
    def rows(self) -> int:
        return len(self.frame)

    def line_numbers(self) -> np.ndarray:
        """Each row's first physical line in the file (differs from the row
        number once a quoted value spans lines); for editor annotations."""
        if not self.rows:
            return self.row_numbers.copy()
        embedded = np.zeros(self.rows, dtype=np.int64)
        for col in self.frame.columns:
            embedded += self.frame[col].str.count("\n").to_numpy(dtype=np.int64)
        header_extra = sum(h.count("\n") for h in self.header)
        before = np.concatenate([[0], np.cumsum(embedded)[:-1]])
        return self.row_numbers + before + header_extra

    def find_column(self, name: str) -> int | None:
        """Position of the column called ``name``; case and outer spaces are
        forgiven when that leaves exactly one candidate (exports differ)."""
        exact = [i for i, h in enumerate(self.header) if h == name]
        if len(exact) == 1:
            return exact[0]
        if len(exact) > 1:
            raise CxauditError(
                f"{self.path}: column {name!r} appears {len(exact)} times in the header; "
                "map a column whose name is unique (rename one copy in the file)"
            )
        folded = name.strip().casefold()
        loose = [i for i, h in enumerate(self.header) if h.strip().casefold() == folded]
        return loose[0] if len(loose) == 1 else None


def unreadable(path: Path, exc: OSError) -> CxauditError:
    """The user-facing error for a file that cannot be opened or read."""
    if isinstance(exc, FileNotFoundError):
        return CxauditError(f"{path}: file not found; check the path")
    if isinstance(exc, IsADirectoryError):
        return CxauditError(f"{path}: is a folder, expected a CSV file")
    if isinstance(exc, PermissionError):
        return CxauditError(f"{path}: permission denied; check the file's permissions")
    return CxauditError(f"{path}: cannot be read ({exc.strerror})")


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise unreadable(path, exc) from None


_MAGIC = (
    (b"PK\x03\x04", "an Excel workbook or a zip archive"),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) workbook"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip-compressed file; name it .csv.gz to read it as such"),
    (b"PAR1", "a Parquet file; name it .parquet to read it as such"),
)


def _not_csv(raw: bytes) -> str | None:
    """What a file is, when it is clearly not CSV text (so we can say so)."""
    for magic, kind in _MAGIC:
        if raw.startswith(magic):
            return kind
    head = raw[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html", b"<?xml")):
        return "an HTML or XML page (a login page saved instead of the export?)"
    if head.startswith((b"{", b"[{")):
        return "JSON"
    return None


def _decode(
    path: Path, raw: bytes, encoding: str, setting: str, at: Position = Position()
) -> tuple[str, bool]:
    try:
        codec = codecs.lookup(encoding)
    except LookupError:
        raise CxauditError(
            f"{path}: unknown encoding {encoding!r}; use a Python codec name such as "
            "utf-8, cp1252 or latin-1"
        ) from None
    kind = _not_csv(raw)
    if kind:
        raise CxauditError(f"{path}: is not a CSV file (it looks like {kind}); export it as CSV")
    bom = False
    if codec.name == "utf-8" and raw.startswith(codecs.BOM_UTF8):
        raw, bom = raw[len(codecs.BOM_UTF8) :], True
    elif codec.name == "utf-8" and raw[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        raise CxauditError(
            f"{path}: is UTF-16 encoded, not UTF-8; set {setting} utf-16 or save the file as UTF-8"
        )
    try:
        text = raw.decode(codec.name)
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1 + at.lines
        bad = raw[exc.start : exc.start + 1].hex()
        raise CxauditError(
            f"{path}: line {line} (byte offset {exc.start + at.bytes}) is not valid {encoding} "
            f"(byte 0x{bad}); set {setting} to the file's real encoding, "
            "e.g. cp1252 for Windows or ServiceNow exports"
        ) from None
    if "\x00" in text[:65536]:
        raise CxauditError(
            f"{path}: contains NUL bytes, so it is not a CSV text file "
            f"(or not {encoding}); export it as CSV or set {setting}"
        )
    return text, bom


def _first_line(text: str) -> str:
    end = len(text)
    for sep in ("\r", "\n"):
        pos = text.find(sep)
        if pos != -1:
            end = min(end, pos)
    return text[:end]


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


def read_table(
    path: Path,
    *,
    encoding: str = "utf-8",
    delimiter: str | None = None,
    encoding_setting: str = "`encoding:`",
    footer: tuple[str, ...] = (),
    select: Callable[[Table], list[int]] | None = None,
) -> Table:
    """Read ``path`` as a table of text.

    Blank lines are not rows. A row with more or fewer fields than the header
    is an error, because guessing which value belongs to which column would
    send to, or hold back, the wrong person.

    ``select`` is shown the header (as a table without rows) and returns the
    column positions to load; the others are not parsed into the frame.
    The fast path is pyarrow's CSV reader; anything it cannot take exactly
    (blank lines in the middle, a footer, a malformed row) is read by the
    csv module, which also writes the precise error messages.
    """
    raw = _read_bytes(path)
    sha = hashlib.sha256(raw).hexdigest()
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
    starts at ``at``) as a table: the fast path, else the careful one.
    ``record_ends``, when the caller already found them, saves finding where
    each data record ends again."""
    if not footer:
        fast = _read_fast(path, raw, sha, encoding, delimiter, select, at, record_ends)
        if fast is not None:
            return fast
    text, bom = _decode(path, raw, encoding, encoding_setting, at)
    if not text.strip():
        raise CxauditError(f"{path}: is empty; expected a header row and data rows")
    header_line = _first_line(text)
    newline = "\r\n" if text[len(header_line) : len(header_line) + 2] == "\r\n" else "\n"
    delim = delimiter or sniff_delimiter(header_line)
    dialect = Dialect(delimiter=delim, encoding=encoding, bom=bom, newline=newline)
    positions = None
    if select is not None:
        header = next(csv.reader(io.StringIO(text, newline=""), delimiter=delim), [])
        probe = Table(path, header, pd.DataFrame(), np.zeros(0, dtype=np.int64), dialect, sha)
        positions = sorted(set(select(probe)))

    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=True)
    try:
        records = list(reader)
    except csv.Error as exc:
        raise CxauditError(
            f"{path}: line {reader.line_num + at.lines}: malformed CSV ({exc}); check the quotes "
            'on that line (a quote inside a value must be doubled: "")'
        ) from None

    header = records[0]
    width = len(header)
    body = _drop_footer(path, records[1:], footer) if footer else records[1:]
    lengths = np.fromiter(map(len, body), dtype=np.int64, count=len(body))
    keep = lengths > 0
    ragged = np.flatnonzero(keep & (lengths != width))
    if ragged.size:
        i = int(ragged[0])
        more = f" ({ragged.size} such rows in all)" if ragged.size > 1 else ""
        raise CxauditError(
            f"{path}: row {i + 2 + at.records} has {lengths[i]} fields but the header has {width} "
            f"({_DELIMITER_NAMES.get(delim, repr(delim))}-separated){more}; "
            "fix the row, or quote values that contain the delimiter"
        )
    row_numbers = np.flatnonzero(keep) + 2 + at.records
    kept = [r for r in body if r] if ragged.size == 0 and not keep.all() else body
    wanted = range(width) if positions is None else positions
    columns = list(zip(*kept, strict=True)) if kept else [() for _ in range(width)]
    frame = pd.DataFrame(
        {i: pd.Series(columns[i], dtype="str") for i in wanted},
        columns=list(wanted),
    )
    spans = None
    if positions is None and not footer and codecs.lookup(encoding).name == "utf-8":
        spans = _data_spans(raw, bom, len(kept))
    return Table(path, header, frame, row_numbers, dialect, sha, spans)


def _read_fast(
    path: Path,
    raw: bytes,
    sha: str,
    encoding: str,
    delimiter: str | None,
    select: Callable[[Table], list[int]] | None,
    at: Position = Position(),
    record_ends: np.ndarray | None = None,
) -> Table | None:
    """The common case, read without decoding the file into Python text:
    the bytes (UTF-8 as they are, other encodings transcoded) go straight to
    pyarrow. Returns None for anything unusual, which the careful path then
    reads or explains (bad bytes, blank lines inside, a header spanning
    lines, malformed quoting, a ragged row)."""
    try:
        codec = codecs.lookup(encoding)
    except LookupError:
        return None
    if _not_csv(raw) or b"\x00" in raw[:65536]:
        return None
    bom = codec.name == "utf-8" and raw.startswith(codecs.BOM_UTF8)
    if codec.name != "utf-8":
        if codec.name.startswith("utf-16") or codec.name.startswith("utf-32"):
            return None
        try:
            raw = raw.decode(codec.name).encode("utf-8")
        except UnicodeError:
            return None
    start = len(codecs.BOM_UTF8) if bom else 0
    first_nl = raw.find(b"\n", start)
    end_of_header = len(raw) if first_nl < 0 else first_nl + 1
    try:
        header_text = raw[start:end_of_header].decode("utf-8")
    except UnicodeDecodeError:
        return None
    header_line = header_text.rstrip("\r\n")
    if not header_line.strip() or header_line.count('"') % 2:
        return None
    newline = "\r\n" if header_text.endswith("\r\n") else "\n"
    delim = delimiter or sniff_delimiter(header_line)
    header = next(csv.reader(io.StringIO(header_line, newline=""), delimiter=delim), [])
    dialect = Dialect(delimiter=delim, encoding=encoding, bom=bom, newline=newline)
    positions = None
    if select is not None:
        probe = Table(path, header, pd.DataFrame(), np.zeros(0, dtype=np.int64), dialect, sha)
        positions = sorted(set(select(probe)))
    end = len(raw)
    while end > end_of_header and raw[end - 1] in (10, 13):
        end -= 1
    has_cr = raw.find(b"\r", end_of_header, end) != -1  # memchr: fast; most files have none
    for blank in (b"\n\n", b"\r\n\r\n", b"\r\r") if has_cr else (b"\n\n",):
        if raw.find(blank, max(start, end_of_header - 2), end) != -1:
            return None  # blank lines inside: row numbers need the careful path
    if has_cr and newline == "\n":
        return None  # a lone CR in an LF file: let the csv module judge it
    fast = _arrow_frame(raw, end_of_header, end, delim, len(header), positions)
    if fast is None:
        return None
    frame, rows = fast
    # Row bytes are kept only for whole-file reads (the campaign list, whose
    # rows are copied to the outputs); a source read for a few columns drops them.
    keep_rows = codec.name == "utf-8" and positions is None
    if keep_rows and record_ends is not None and len(record_ends) == rows and rows:
        # Each record's own line ending is already included in its end.
        starts = np.concatenate([[end_of_header], record_ends[:-1]]).astype(np.int64)
        spans = RawRows(raw, end_of_header, starts, record_ends.astype(np.int64))
        numbers = np.arange(rows, dtype=np.int64) + 2 + at.records
        return Table(path, header, frame, numbers, dialect, sha, spans)
    spans = _record_spans(raw, end_of_header, end, rows) if keep_rows else None
    if spans is not None and len(spans.ends):
        # The last row keeps its own line ending (trailing blank lines go),
        # as it would in the middle of the file or of a chunk.
        ending = 2 if raw[end : end + 2] == b"\r\n" else int(raw[end : end + 1] == b"\n")
        spans.ends[-1] += ending
    numbers = np.arange(rows, dtype=np.int64) + 2 + at.records
    return Table(path, header, frame, numbers, dialect, sha, spans)


def _quoted_records(raw: bytes, start: int, end: int) -> bytes:
    """Only the records that contain a quote: a record without one cannot be
    malformed in its quoting, so strict validation can skip it."""
    body = np.frombuffer(raw, dtype=np.uint8, count=end - start, offset=start)
    breaks = np.flatnonzero(body == 10)
    quotes = np.flatnonzero(body == 34)
    breaks = breaks[np.searchsorted(quotes, breaks) % 2 == 0]
    ends = np.append(breaks + 1, end - start)
    starts = np.concatenate([[0], ends[:-1]])
    has_quote = np.zeros(len(ends), dtype=bool)
    has_quote[np.searchsorted(ends, quotes, side="right")] = True
    return body[np.repeat(has_quote, ends - starts)].tobytes()


def _record_spans(raw: bytes, start: int, end: int, rows: int) -> RawRows | None:
    """Byte span of every record: a line ending ends a record when an even
    number of quotes precede it (a quoted value may hold line breaks)."""
    body = np.frombuffer(raw, dtype=np.uint8, count=end - start, offset=start)
    breaks = np.flatnonzero(body == 10)
    quotes = np.flatnonzero(body == 34)
    if len(quotes):
        breaks = breaks[np.searchsorted(quotes, breaks) % 2 == 0]
    ends = breaks.astype(np.int64) + 1 + start
    if not len(ends) or ends[-1] < end:
        ends = np.append(ends, end)
    if rows >= 0 and len(ends) != rows:
        return None
    starts = np.concatenate([[start], ends[:-1]])
    return RawRows(raw, start, starts, ends)


def _data_spans(raw: bytes, bom: bool, rows: int) -> RawRows | None:
    """Record spans for a file the careful path read (blank lines between
    rows, say): the header's end and every non-blank record, so outputs copy
    row bytes exactly as the fast path does."""
    start = len(codecs.BOM_UTF8) if bom else 0
    spans = _record_spans(raw, start, len(raw), -1)
    if spans is None or not len(spans.ends):
        return None
    header_end = int(spans.ends[0])
    starts, ends = spans.starts[1:], spans.ends[1:]
    length = ends - starts
    body = np.frombuffer(raw, dtype=np.uint8)
    first = body[np.minimum(starts, len(raw) - 1)]
    blank = (length == 0) | ((length == 1) & (first == 10))
    blank |= (length == 2) & (first == 13) & (body[np.minimum(starts + 1, len(raw) - 1)] == 10)
    starts, ends = starts[~blank], ends[~blank]
    if len(starts) != rows:
        return None
    return RawRows(raw, header_end, starts, ends)


def _quotes_well_formed(raw: bytes, start: int, end: int, delimiter: str) -> bool:
    """Whether every quoted value is closed where the csv module, in strict
    mode, accepts it, checked on all quotes at once: quotes pair up in file
    order; an opening quote starts a field (or doubles the quote just
    closed); a closing quote ends the field (or is doubled). Anything else
    (``"x"y``, a quote inside an unquoted value, a quote left open) goes to
    the careful path, which reads it as the csv module does or names the
    line."""
    sep = delimiter.encode()
    if len(sep) != 1:
        try:
            text = _quoted_records(raw, start, end).decode("utf-8")
            deque(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True), 0)
        except (csv.Error, UnicodeDecodeError):
            return False
        return True
    body = np.frombuffer(raw, dtype=np.uint8, count=end - start, offset=start)
    quotes = np.flatnonzero(body == 34)
    if len(quotes) % 2:
        return False
    opening, closing = quotes[0::2], quotes[1::2]
    size = len(body)
    if not size:
        return True
    before = body[np.maximum(opening - 1, 0)]  # the byte before each opening quote
    starts_field = (opening == 0) | (before == sep[0]) | (before == 10) | (before == 13)
    doubled_open = np.zeros(len(opening), dtype=bool)
    doubled_open[1:] = opening[1:] == closing[:-1] + 1
    after = body[np.minimum(closing + 1, size - 1)]  # the byte after each closing quote
    after_next = body[np.minimum(closing + 2, size - 1)]
    crlf = (after == 13) & (after_next == 10) & (closing + 2 < size)
    ends_field = (closing + 1 >= size) | (after == sep[0]) | (after == 10) | crlf
    doubled_close = np.zeros(len(closing), dtype=bool)
    doubled_close[:-1] = closing[:-1] + 1 == opening[1:]
    return bool((starts_field | doubled_open).all() and (ends_field | doubled_close).all())


def _arrow_frame(
    raw: bytes, start: int, end: int, delimiter: str, width: int, positions: list[int] | None
) -> tuple[pd.DataFrame, int] | None:
    """Parse ``raw[start:end]`` (UTF-8 CSV rows without the header) with pyarrow."""
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return None
    wanted = list(range(width)) if positions is None else positions
    if end <= start:
        return pd.DataFrame({i: pd.Series([], dtype="str") for i in wanted}, columns=wanted), 0
    # pyarrow is lenient with malformed quoting ("x"y becomes xy); the csv
    # module in strict mode is not. Validate, and on trouble let the careful
    # path read the file and name the line.
    if raw.find(b'"', start, end) != -1 and not _quotes_well_formed(raw, start, end, delimiter):
        return None
    names = [f"c{i}" for i in range(width)]
    try:
        table = pacsv.read_csv(
            pa.py_buffer(raw).slice(start, end - start),
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
        return None  # the csv module will name the row and what is wrong
    frame = pd.DataFrame(
        {i: table.column(names[i]).to_pandas().astype("str") for i in wanted}, columns=wanted
    )
    return frame, table.num_rows


def _drop_footer(path: Path, body: list[list[str]], patterns: tuple[str, ...]) -> list[list[str]]:
    """Drop a report's trailing footer (Salesforce: a blank line, "Grand Totals
    (N records)", a confidentiality line, a copyright line), checking the
    stated record count so a truncated export is caught."""
    compiled = [re.compile(p) for p in patterns]
    end = len(body)
    stated: int | None = None
    while end > 0:
        record = body[end - 1]
        if not record or record == [""]:
            end -= 1
            continue
        if len(record) != 1:
            break
        match = next((m for m in (rx.match(record[0].strip()) for rx in compiled) if m), None)
        if match is None:
            break
        if match.groups():
            stated = int(match.group(1))
        end -= 1
    rows = [r for r in body[:end] if r]
    if stated is not None and stated != len(rows):
        raise CxauditError(
            f"{path}: the footer says {stated} records but the file has {len(rows)} rows; "
            "the export looks truncated or edited: export it again"
        )
    return body[:end]


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
    data = text.encode(dialect.encoding, errors="replace")
    return (codecs.BOM_UTF8 + data) if dialect.bom else data
