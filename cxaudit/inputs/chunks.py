"""Reading the campaign list in chunks of rows, so a list larger than memory
can be audited.

A chunk is an ordinary :class:`~cxaudit.inputs.table.Table` of a few rows whose
row numbers, errors and row bytes are those of the whole file. CSV (plain or
gzip) is cut at record boundaries found by quote parity: a line ending ends
a record when an even number of quotes precede it. The file's SHA-256 and row
count are known once the last chunk was read.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

import numpy as np

from cxaudit.errors import CxauditError
from cxaudit.inputs import files, records
from cxaudit.inputs.csvfile import (
    parquet_table,
    read_csv_bytes,
    read_file,
    table_from_bytes,
    unreadable,
)
from cxaudit.inputs.encodings import NON_ASCII_RUN, decide_encoding, encoding_problem
from cxaudit.inputs.locations import Url
from cxaudit.inputs.table import Position, Table

BLOCK = 8 << 20  # bytes read from disk at a time


@dataclass
class Totals:
    """What is known about the whole file once every chunk was read."""

    rows: int = 0
    sha256: str = ""

    @property
    def complete(self) -> bool:
        """Whether the last chunk has been read (set before it is yielded)."""
        return bool(self.sha256)

    def done(self, path: Path, rows: int, sha256: str) -> None:
        """The last chunk of a pass over ``path`` is read. A list longer than
        one chunk is read in several passes (keys, then decisions); one
        that differs from the pass before changed under the run, which
        would then mix two files' rows: exit 2, before anything is written."""
        if self.sha256 and (rows, sha256) != (self.rows, self.sha256):
            raise CxauditError(
                f"{path}: changed while cxaudit was reading it (read again, it has {rows:,} rows "
                f"and SHA-256 {sha256[:12]}, not {self.rows:,} and {self.sha256[:12]}), so the "
                "run may mix two versions of it; nothing was written; run again once the file "
                "is complete"
            )
        self.rows, self.sha256 = rows, sha256


class _Hashing:
    """A file object that hashes the bytes read through it (the compressed
    bytes of a .gz, which is what the report's sha256 describes)."""

    def __init__(self, raw: IO[bytes], also: Any = None) -> None:
        self.raw = raw
        self.hash = hashlib.sha256()
        self.also = also  # a partitioned input's hash, fed every part's bytes

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.hash.update(data)
        if self.also is not None:
            self.also.update(data)
        return data

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.raw.close()


def _streamable(encoding: str, footer: tuple[str, ...]) -> bool:
    """Chunks are cut at b"\\n" and parity of b'"', so the encoding must write
    both as those single bytes; a footer is judged against the whole file."""
    if footer:
        return False
    if encoding_problem(encoding) is not None:
        return False  # read_file names the problem
    codec = codecs.lookup(encoding)
    if codec.name.startswith(("utf-16", "utf-32")):
        return False
    return '\n"'.encode(codec.name) == b'\n"'


_DONE = object()


def prefetch(chunks: Iterator[Table]) -> Iterator[Table]:
    """``chunks``, with the next one read in a thread while the caller works
    on this one: reading (bytes, record ends, pyarrow parsing, SHA-256) and
    a source's rules (pyarrow and numpy kernels) both release Python's lock,
    so the two use both cores. One chunk is read ahead, no more; an error
    reading is raised where that chunk would have been handed out, and a
    caller that stops early stops the reader."""
    import queue
    import threading

    ready: queue.Queue[Any] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for table in chunks:
                if not put(table):
                    return
            put(_DONE)
        except BaseException as exc:  # handed to the caller, raised there
            put(exc)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()

    reader = threading.Thread(target=read, name="cxaudit-prefetch", daemon=True)
    reader.start()
    try:
        while True:
            item = ready.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        reader.join()


def iter_file(
    path: Path,
    chunk_rows: int | None,
    *,
    encoding: str = "utf-8",
    delimiter: str | None = None,
    encoding_setting: str = "`encoding:`",
    footer: tuple[str, ...] = (),
    select: Callable[[Table], list[int]] | None = None,
    totals: Totals | None = None,
    forced: bool = True,
    digest: Any = None,
) -> Iterator[Table]:
    """The file's rows, ``chunk_rows`` records at a time (all at once when
    ``chunk_rows`` is None, or when the file cannot be cut safely). Unless
    ``forced``, ``encoding`` is a default and the file's start decides
    (:func:`file_encoding`), once for every chunk.

    One file (:func:`cxaudit.inputs.read.iter_chunks` also reads a folder of
    parts or a glob); ``digest`` (a hashlib object) is also fed the file's
    bytes: a partitioned input's SHA-256."""
    totals = totals if totals is not None else Totals()
    name = path.name.lower()
    if not forced and chunk_rows is not None and not name.endswith(".parquet"):
        encoding = file_encoding(path, encoding)[0]
        forced = True
    whole = chunk_rows is None or not (name.endswith(".parquet") or _streamable(encoding, footer))
    if whole:
        options: dict[str, Any] = {
            "encoding": encoding,
            "delimiter": delimiter,
            "encoding_setting": encoding_setting,
            "footer": footer,
            "select": select,
            "forced": forced,
        }
        if digest is None:
            table = read_file(path, **options)
        else:
            raw = files.read_bytes(path)
            digest.update(raw)
            table = table_from_bytes(path, raw, hashlib.sha256(raw).hexdigest(), **options)
        totals.done(path, table.rows, table.sha256)
        yield table
        return
    assert chunk_rows is not None
    if name.endswith(".parquet"):
        yield from _parquet_chunks(path, chunk_rows, select, totals, digest)
        return
    yield from _csv_chunks(
        path, chunk_rows, encoding, delimiter, encoding_setting, select, totals, digest
    )


def head(path: Path, size: int = BLOCK) -> bytes:
    """The file's first ``size`` bytes (decompressed for a .gz), to choose
    its encoding."""
    hashing, stream = _open(path)
    try:
        return _read_block(path, stream, size)
    finally:
        stream.close()
        hashing.close()


def file_encoding(path: Path, default: str) -> tuple[str, bool]:
    """The encoding to read ``path`` in when ``default`` is only a default,
    and whether the file said so (:func:`~cxaudit.inputs.encodings.decide_encoding`):
    the file's first non-ASCII character decides, wherever it lies (a cp1252
    export whose first accent is 9 MiB in is cp1252, not "invalid UTF-8"); a
    later byte that does not fit is then an error naming its line, never a
    silent misreading. The file is read block by block only up to it."""
    return decide_encoding(head(path, 4), lambda: first_non_ascii(path), default)


def first_non_ascii(path: Path) -> bytes:
    """The file's first run of non-ASCII bytes (one character, or a few
    side by side), empty when there is none."""
    hashing, stream = _open(path)
    try:
        while True:
            block = _read_block(path, stream)
            if not block:
                return b""
            found = NON_ASCII_RUN.search(block)
            if found is None:
                continue
            run, ends = found.group(), found.end() == len(block)
            while ends:  # the run may go on in the next block
                more = _read_block(path, stream, 64)
                extra = re.match(rb"[\x80-\xff]*", more)
                assert extra is not None
                run += extra.group()
                ends = bool(more) and extra.end() == len(more)
            return run
    finally:
        stream.close()
        hashing.close()


def _open(path: Path, also: Any = None) -> tuple[_Hashing, IO[bytes] | Any]:
    try:
        raw = _Hashing(files.open_input(path), also)
    except OSError as exc:
        raise unreadable(path, exc) from None
    if path.name.lower().endswith(".gz"):
        return raw, gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[arg-type]
    return raw, raw


def _read_block(path: Path, stream: Any, size: int = BLOCK) -> bytes:
    try:
        return stream.read(size)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise CxauditError(f"{path}: is not a valid gzip file ({exc}); check the file") from None
    except OSError as exc:
        raise unreadable(path, exc) from None


class _Records:
    """Finds record ends in bytes appended piece by piece, carrying the
    quote parity across pieces."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.scanned = 0
        self.in_quotes = False
        self.ends: list[np.ndarray] = []
        self.count = 0

    def feed(self, data: bytes, final: bool = False) -> None:
        """Add ``data``; ``final`` when the file has no more (a CR at the
        very end is then a line ending, not the start of a CRLF)."""
        try:
            self.buffer += data
        except BufferError:  # a view of it still lives (see take): grow a copy instead
            self.buffer = self.buffer + data
        found = records.scan(self.buffer, self.scanned, len(self.buffer), self.in_quotes, final)
        self.in_quotes = found.in_quotes
        if len(found.ends):
            self.ends.append(found.ends + self.scanned)
            self.count += len(found.ends)
        self.scanned += found.scanned

    def open_tail(self) -> int:
        """Bytes after the last complete record (a record still being read)."""
        return len(self.buffer) - (int(self.ends[-1][-1]) if self.ends else 0)

    def _all_ends(self) -> np.ndarray:
        if not self.ends:
            return np.zeros(0, dtype=np.int64)
        return np.concatenate(self.ends) if len(self.ends) > 1 else self.ends[0]

    def take(self, records: int, prefix: bytes = b"") -> tuple[bytes, np.ndarray]:
        """``prefix`` and the first ``records`` complete records, which leave
        the buffer (one copy of the bytes: chunks are large), with each
        record's end in the returned bytes (so the parser need not find them
        again)."""
        ends = self._all_ends()
        cut = int(ends[records - 1])
        with memoryview(self.buffer) as view, view[:cut] as part:
            data = b"".join((prefix, part))
        # A new buffer rather than ``del buffer[:cut]``: resizing a bytearray
        # fails while any view of it lives (a profiler or debugger holding a
        # frame keeps scan()'s numpy view alive).
        self.buffer = self.buffer[cut:]
        rest = ends[records:] - cut
        self.ends = [rest] if len(rest) else []
        self.count = len(rest)
        self.scanned -= cut
        return data, ends[:records] + len(prefix)

    def take_all(self, prefix: bytes = b"") -> tuple[bytes, np.ndarray]:
        """Everything left, the last record perhaps without a line ending."""
        ends = self._all_ends() + len(prefix)
        data = b"".join((prefix, self.buffer))
        if len(self.buffer) and (not len(ends) or ends[-1] < len(data)):
            ends = np.append(ends, len(data))
        self.buffer = bytearray()
        self.ends, self.count, self.scanned = [], 0, 0
        return data, ends


def _line_count(data: bytes, start: int) -> int:
    """How many line breaks ``data[start:]`` holds; without a CR in it (the
    common file) ``bytes.count`` answers, far faster than a pass in numpy."""
    if data.find(b"\r", start) == -1:
        return data.count(b"\n", start)
    return len(_breaks(data, start))


def _breaks(data: bytes, start: int) -> np.ndarray:
    """The line breaks in ``data[start:]`` (a chunk's records), for line numbers."""
    return records.line_breaks(np.frombuffer(data, np.uint8, offset=start), True)[0]


def _refuse_runaway(
    path: Path,
    found: _Records,
    parse: Callable[..., Table],
    header: bytes,
    at: Position,
) -> None:
    """A record has grown past :data:`records.LONGEST_RECORD` (a quote left
    open, most likely): parse it alone, so the problem is named with its row
    and line before the rest of the file is read into memory."""
    if not header:
        return
    done = found._all_ends()
    cut = int(done[-1]) if len(done) else 0
    before = bytes(found.buffer[:cut])
    at = Position(at.records + len(done), at.lines + len(_breaks(before, 0)), at.bytes + cut)
    parse(header + bytes(found.buffer[cut:]), at)


def _csv_chunks(
    path: Path,
    chunk_rows: int,
    encoding: str,
    delimiter: str | None,
    encoding_setting: str,
    select: Callable[[Table], list[int]] | None,
    totals: Totals,
    digest: Any = None,
) -> Iterator[Table]:
    hashing, stream = _open(path, digest)
    gz = path.name.lower().endswith(".gz")

    def parse(data: bytes, at: Position = Position(), ends: np.ndarray | None = None) -> Table:
        if ends is not None:  # the parser takes every record's end, the header's first
            ends = np.concatenate([[len(header)], ends])
        table = read_csv_bytes(
            path, data, "", encoding, delimiter, encoding_setting, (), select, at, ends
        )
        return replace(table, dialect=replace(table.dialect, format="csv.gz")) if gz else table

    pending = _Records()
    done = False
    header = b""
    at = Position()

    def read_more() -> None:
        nonlocal done
        block = _read_block(path, stream)
        done = not block
        pending.feed(block, final=done)
        if pending.open_tail() > records.LONGEST_RECORD and not done:
            _refuse_runaway(path, pending, parse, header, at)

    try:
        while not pending.count and not done:
            read_more()
        if not pending.count:
            # Not one complete line: the whole-file reader explains an empty
            # file, a header without rows or a CR-only file.
            table = parse(pending.take_all()[0])
            totals.done(path, table.rows, hashing.hash.hexdigest())
            yield table
            return
        header = pending.take(1)[0]
        rows = 0
        first = True
        while True:
            while pending.count < chunk_rows and not done:
                read_more()
            full = pending.count >= chunk_rows
            data, ends = pending.take(chunk_rows, header) if full else pending.take_all(header)
            body_bytes = len(data) - len(header)
            if full and not done and not pending.buffer.strip(b"\r\n"):
                read_more()  # peek: a list of exactly chunk_rows rows is one chunk
            last = not full or (done and not pending.buffer.strip(b"\r\n"))
            table = parse(data, at, ends) if body_bytes or first else None
            first = False
            rows += table.rows if table is not None else 0
            if last:  # known before the last chunk is handed out
                totals.done(path, rows, hashing.hash.hexdigest())
            if table is not None:
                yield table
            if last:
                return
            lines = _line_count(data, len(header))
            at = Position(at.records + chunk_rows, at.lines + lines, at.bytes + body_bytes)
    finally:
        stream.close()
        hashing.close()


def _parquet_chunks(
    path: Path,
    chunk_rows: int,
    select: Callable[[Table], list[int]] | None,
    totals: Totals,
    digest: Any = None,
) -> Iterator[Table]:
    """Row batches of a Parquet list, each read as :func:`read_file` reads a
    whole file (text columns for the rules, the typed batch for outputs)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    own = hashlib.sha256()
    try:
        with files.open_input(path) as fh:
            while block := fh.read(BLOCK):
                own.update(block)
                if digest is not None:
                    digest.update(block)
    except OSError as exc:
        raise unreadable(path, exc) from None
    try:  # a URL's file is opened through fsspec and read by pyarrow as a Python file
        reader = pq.ParquetFile(files.open_input(path) if isinstance(path, Url) else path)
    except (pa.ArrowException, OSError) as exc:
        raise CxauditError(f"{path}: is not a readable Parquet file ({exc})") from None
    sha = own.hexdigest()
    offset = 0
    batches = reader.iter_batches(batch_size=chunk_rows)
    first = True
    while True:
        try:
            batch = next(batches, None)
        except (pa.ArrowException, OSError) as exc:
            raise CxauditError(f"{path}: is not a readable Parquet file ({exc})") from None
        if batch is None and not first:
            break
        arrow = (
            pa.Table.from_batches([batch])
            if batch is not None
            else reader.schema_arrow.empty_table()
        )
        table = parquet_table(path, arrow, sha, select)
        table = replace(table, row_numbers=table.row_numbers + offset)
        offset += table.rows
        first = False
        if batch is None or offset >= reader.metadata.num_rows:
            totals.done(path, offset, sha)
        yield table
        if batch is None:
            break
