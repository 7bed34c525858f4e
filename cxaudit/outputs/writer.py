"""Writing the run's files into ``--out``, atomically.

Each file is written to a temporary name in the same folder, flushed to disk,
and renamed over the final name only after all of them were written, so a
crash or Ctrl-C leaves either the previous run's files or the new ones,
never a half-written cleaned.csv that someone might upload.
"""

from __future__ import annotations

import gzip
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxaudit.audit.plan import AuditResult
from cxaudit.dates import iso
from cxaudit.errors import CxauditError, OutputBusy
from cxaudit.inputs import records
from cxaudit.inputs.csvfile import render_csv
from cxaudit.inputs.encodings import bom_bytes
from cxaudit.inputs.files import remove_quietly, unwritable
from cxaudit.inputs.table import Dialect, RawRows
from cxaudit.outputs.atomic import prepare, write_atomically
from cxaudit.outputs.spreadsheets import MAX_COLUMNS, Spreadsheet


def check_out_dir(out: Path) -> None:
    """Fail before any work if ``out`` cannot become the output folder."""
    if out.exists() and not out.is_dir():
        raise CxauditError(f"--out {out}: is a file, not a folder; choose a folder path")
    probe = out
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise CxauditError(f"--out {out}: {probe} is a file, so the folder cannot be created")
    if not os.access(probe, os.W_OK):
        raise CxauditError(f"--out {out}: {probe} is not writable; choose another --out")


ADDED_COLUMNS = ("cxaudit_row", "cxaudit_rules", "cxaudit_reasons")


def csv_outputs(result: AuditResult) -> tuple[bytes, bytes, bytes]:
    """The bytes of cleaned.csv, suppressed.csv and flagged.csv, in the
    campaign's dialect."""
    heads, bodies = csv_pieces(result)
    return heads[0] + bodies[0], heads[1] + bodies[1], heads[2] + bodies[2]


def _lists(result: AuditResult) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], ...]:
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
    lists = _lists(result)
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


REPORT_FILES = ("report.json", "report.md", "report.html")
SPREADSHEETS = ("suppressed.xlsx", "flagged.xlsx")  # the lists people open by hand
_SUFFIX = {"csv": ".csv", "csv.gz": ".csv.gz", "parquet": ".parquet"}
OUTPUT_FILES = (  # a CSV list's run
    "cleaned.csv",
    "suppressed.csv",
    "flagged.csv",
    *SPREADSHEETS,
    *REPORT_FILES,
)


def row_files(fmt: str) -> tuple[str, str, str]:
    """The names of cleaned, suppressed and flagged rows for a list in format
    ``fmt``."""
    return f"cleaned{_SUFFIX[fmt]}", f"suppressed{_SUFFIX[fmt]}", f"flagged{_SUFFIX[fmt]}"


class OutputWriter:
    """cleaned, suppressed and flagged rows (and the workbooks of the last
    two), written chunk by chunk to temporary files in ``--out``;
    :meth:`commit` adds the reports and renames everything into place, and
    leaving the ``with`` block without a commit removes them."""

    def __init__(self, out: Path, parts: bool = False) -> None:
        from cxaudit.outputs.parquet_parts import PartsWriter

        self.out = out
        self.parts = PartsWriter(out) if parts else None  # --out-format parquet-parts
        self.temps: dict[str, Path] = {}
        self.files: dict[str, Any] = {}
        self.raw: list[Any] = []
        self.sheets: dict[str, Spreadsheet] = {}

    def __enter__(self) -> OutputWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._close()
        except OSError:
            pass  # the error that got us here is the one to report
        finally:
            remove_quietly(self.temps.values())
            if self.parts is not None:
                remove_quietly(self.parts.temps.values())

    def replaced(self, fmt: str) -> list[Path]:
        """Every path a run on a list in format ``fmt`` replaces."""
        from cxaudit.outputs.parquet_parts import PartsWriter

        # the lists of every format: those this run does not write are taken
        # away as stale (see _stale), so none of them may be an input either
        lists = [self.out / n for f in _SUFFIX for n in row_files(f)]
        folders = (self.parts or PartsWriter(self.out)).replaced()
        return [*lists, *folders, *(self.out / n for n in (*SPREADSHEETS, *REPORT_FILES))]

    def _open(self, name: str) -> Any:
        prepare(self.out, [name])
        temp = self.out / f".{name}.{os.getpid()}.tmp"
        self.temps[name] = temp
        try:
            fh = open(temp, "wb")  # noqa: SIM115 - closed in _close
        except OSError as exc:
            raise unwritable(self.out / name, exc) from None
        self.raw.append(fh)
        return fh

    def add(self, part: AuditResult) -> None:
        """Append one chunk's rows to the temporary row files."""
        fmt = part.recipients.table.dialect.format
        names = row_files(fmt)
        if self.parts is not None:
            self.parts.add(arrow_lists(part))
            self._add_to_spreadsheets(part, ("suppressed/", "flagged/"))
            return
        if fmt == "parquet":
            import pyarrow.parquet as pq

            pieces: tuple[Any, ...] = parquet_tables(part)
        else:
            heads, pieces = csv_pieces(part)
        for i, (name, piece) in enumerate(zip(names, pieces, strict=True)):
            try:
                if name not in self.files:
                    if fmt == "parquet":
                        self.files[name] = pq.ParquetWriter(self._open(name), piece.schema)
                    else:
                        fh = self._open(name)
                        if fmt == "csv.gz":
                            fh = gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=0)
                        fh.write(heads[i])
                        self.files[name] = fh
                if fmt == "parquet":
                    self.files[name].write_table(piece)
                else:
                    self.files[name].write(piece)
            except OSError as exc:
                raise unwritable(self.out / name, exc) from None
        self._add_to_spreadsheets(part, names[1:])

    def _add_to_spreadsheets(self, part: AuditResult, row_names: tuple[str, ...]) -> None:
        """The chunk's suppressed and flagged rows into their workbooks."""
        table = part.recipients.table
        keep = min(len(table.header), MAX_COLUMNS - len(ADDED_COLUMNS))  # cxaudit's always fit
        header = [*table.header[:keep], *ADDED_COLUMNS]
        created = part.as_of.to_pydatetime().replace(tzinfo=None)
        for name, csv_name, (rows, rules_cell, reasons_cell) in zip(
            SPREADSHEETS, row_names, _lists(part), strict=True
        ):
            try:
                if name not in self.sheets:
                    title = name.removesuffix(".xlsx")
                    self.sheets[name] = Spreadsheet(
                        self._open(name), title, header, csv_name, created
                    )
                    self.sheets[name].columns_cut = len(table.header) - keep
                sheet = self.sheets[name]
                listed = np.flatnonzero(rows)
                shown = listed[: sheet.room]  # the rest is only counted
                sheet.skip(len(listed) - len(shown))
                if len(shown):
                    cells = [
                        *(table.frame[i].take(shown).tolist() for i in range(keep)),
                        rules_cell[shown],
                        reasons_cell[shown],
                    ]
                    sheet.add(cells, table.row_numbers[shown])
            except OSError as exc:
                raise unwritable(self.out / name, exc) from None

    def warnings(self) -> list[str]:
        """What the workbooks could not hold (cells, columns, rows), known
        once every chunk is added."""
        return [w for sheet in self.sheets.values() for w in sheet.warnings()]

    def _close(self, sync: bool = False) -> None:
        """Close the writers (gzip, Parquet; the workbooks, which are
        assembled only when ``sync``: a run that stops drops them), then the
        files under them, flushed to disk first when ``sync``; every file is
        closed even when one fails (a full disk shows at the last flush)."""
        files, raw, sheets = self.files, self.raw, self.sheets
        self.files, self.raw, self.sheets = {}, [], {}
        failure: OSError | None = None
        if sync:
            for name, sheet in sheets.items():
                try:
                    sheet.close()
                except OSError as exc:
                    failure = failure or OSError(exc.errno, f"{name}: {exc.strerror}")
        for fh in [f for f in files.values() if not any(f is r for r in raw)] + raw:
            try:
                if sync and any(fh is r for r in raw):
                    fh.flush()
                    os.fsync(fh.fileno())
                fh.close()
            except OSError as exc:
                failure = failure or exc
                with suppress(OSError):
                    fh.close()
        if failure is not None:
            raise failure

    def commit(self, report_text: str, markdown: str, html: str, rows: bool = True) -> list[Path]:
        """Finish the row files and workbooks, write the reports
        (report.json, report.md, report.html), rename all into place;
        without ``rows`` only the reports (the row files are dropped)."""
        try:
            self._close(sync=rows)
        except OSError as exc:
            raise unwritable(self.out, exc) from None
        payload = {
            "report.json": report_text.encode(),
            "report.md": markdown.encode(),
            "report.html": html.encode(),
        }
        ready = {**self.temps, **(self.parts.temps if self.parts is not None else {})}
        if not rows:  # withheld: a previous run's lists must not sit beside this report
            return write_atomically(self.out, payload, stale=self._stale({}))
        return write_atomically(self.out, payload, ready, self._stale(ready))

    def _stale(self, ready: dict[str, Path]) -> list[Path]:
        """A previous run's lists and workbooks this run does not write (its
        cleaned.csv beside this run's cleaned/ folder, or beside a report
        that withheld the lists, would be read as current): taken away with
        the swap. Folders only when they hold
        nothing but a run's Parquet parts."""
        from cxaudit.outputs.parquet_parts import FOLDERS, is_parts_folder

        names = {n for fmt in _SUFFIX for n in row_files(fmt)} | set(FOLDERS) | set(SPREADSHEETS)
        stale = []
        for name in sorted(names - set(ready)):
            path = self.out / name
            if name in FOLDERS:
                if is_parts_folder(path):
                    stale.append(path)
            elif path.is_file():
                stale.append(path)
        return stale


def parquet_tables(result: AuditResult) -> tuple[Any, Any, Any]:
    """A Parquet list comes back as Parquet: the original typed columns, rows
    filtered, plus the three cxaudit columns on the suppressed and the
    flagged rows (``cxaudit_row`` a 64-bit integer)."""
    import pyarrow as pa

    table = result.recipients.table.arrow
    numbers = result.recipients.table.row_numbers
    listed = []
    for rows, rules_cell, reasons_cell in _lists(result):
        part = table.filter(pa.array(rows))
        part = part.append_column("cxaudit_row", pa.array(numbers[rows], pa.int64()))
        part = part.append_column("cxaudit_rules", pa.array(rules_cell[rows].tolist(), pa.string()))
        part = part.append_column(
            "cxaudit_reasons", pa.array(reasons_cell[rows].tolist(), pa.string())
        )
        listed.append(part)
    return table.filter(pa.array(result.outcome.kept)), listed[0], listed[1]


def expand_out(out: Path, as_of: pd.Timestamp) -> Path:
    """Fill ``{date}`` and ``{datetime}`` in ``--out`` from the run's as-of
    moment, for dated run folders (``runs/{date}``).

    Only those two placeholders, as written: attributes, indexes,
    conversions and format specs (``{date.year}``, ``{0}``, ``{date!r}``,
    ``{date:>99999999999}``) are refused, not handed to ``str.format``.
    ``{{`` and ``}}`` are literal braces."""
    import string

    text = str(out)
    if "{" not in text:
        return out
    stamp = iso(as_of)
    values = {"date": stamp[:10], "datetime": stamp[:19].replace(":", "") + "Z"}
    hint = "use {date} or {datetime}"
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise CxauditError(
            f"--out {text}: {exc}; {hint}, and {{{{ or }}}} for a literal brace"
        ) from None
    filled = []
    for literal, name, spec, conv in parts:
        filled.append(literal)
        if name is None:
            continue
        if name not in values or spec or conv:
            shown = name + (f"!{conv}" if conv else "") + (f":{spec}" if spec else "")
            label = repr(shown) if shown else "{}"
            raise CxauditError(f"--out {text}: unknown placeholder {label}; {hint}")
        filled.append(values[name])
    return Path("".join(filled))


@contextmanager
def output_lock(out: Path, wait: float = 0.0) -> Iterator[None]:
    """Hold an exclusive lock on the output folder for the whole run, so two
    runs (a slow nightly job and a manual one) never interleave their files.

    The lock is on the folder itself (no lock file is left behind). A folder
    created here is removed again if the run fails before writing into it.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: run unlocked
        yield
        return
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd = os.open(out, os.O_RDONLY)
    except OSError as exc:
        raise CxauditError(f"--out {out}: cannot create the folder ({exc.strerror})") from None
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise OutputBusy(
                        f"--out {out}: another cxaudit run is writing there; wait for it to "
                        "finish or pass --wait SECONDS"
                    ) from None
                time.sleep(0.05)
        try:
            yield
        except BaseException:
            if created and not any(out.iterdir()):
                out.rmdir()
            raise
    finally:
        os.close(fd)


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
