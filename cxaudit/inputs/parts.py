"""Partitioned inputs: a list or a source given as a folder of parts or as a
glob (``exports/cases-*.csv``), the way Spark, Dask and warehouse exports
write large tables.

The parts are read one after the other, in name order (numbers in names
compared as numbers, so Dask's ``part.2.parquet`` comes before
``part.10.parquet``; zero-padded names sort as they read), and give exactly
what the single file that is their concatenation (one header) would give:
the same rows, the same row numbers (counted as in that file), the same row
bytes for the outputs. Every part must be a regular .csv, .csv.gz or
.parquet file (.tsv and .txt count as CSV) with the same header and
dialect as the first; all of one format. In a folder, names starting with
``_`` or ``.`` are metadata (``_SUCCESS``, ``.part-0.crc``) and skipped;
any other file is an error, never silently left out.

Errors found while reading a part name the part and the row or line within
it. A partitioned input's SHA-256 is that of its parts' bytes in order (as
``cat`` would join them: each part's own bytes, compressed for a .gz).
"""

from __future__ import annotations

import fnmatch
import glob
import hashlib
import os
import re
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxaudit.errors import CxauditError
from cxaudit.inputs import files
from cxaudit.inputs.csvfile import table_from_bytes
from cxaudit.inputs.locations import Url
from cxaudit.inputs.table import Origin, RawRows, Table

GLOB_CHARS = "*?["
_CSV = (".csv", ".tsv", ".txt")


def is_partitioned(path: Path) -> bool:
    """Whether ``path`` names parts: a folder, or a glob pattern that is not
    itself the name of a file (a file called ``list[1].csv`` is a file)."""
    if isinstance(path, Url):
        if path.is_dir():
            return True
        return any(c in path.pattern for c in GLOB_CHARS) and not path.exists()
    text = os.fspath(path)
    if os.path.isdir(text):
        return True
    return any(c in text for c in GLOB_CHARS) and not os.path.lexists(text)


def part_format(name: str) -> str | None:
    """``csv``, ``csv.gz`` or ``parquet`` for a part's file name, None for
    a file that is not a part."""
    lower = name.lower()
    if lower.endswith(".parquet"):
        return "parquet"
    if lower.endswith(tuple(s + ".gz" for s in _CSV)):
        return "csv.gz"
    if lower.endswith(_CSV):
        return "csv"
    return None


def is_metadata(name: str) -> bool:
    """``_SUCCESS``, ``_metadata``, ``.part-00000.crc``: written beside the
    parts by Spark, Hadoop and Dask; not data."""
    return name.startswith(("_", "."))


def _natural(path: Path) -> list[Any]:
    """Sort key: the path with its numbers compared as numbers (then as
    written, so ``01`` and ``1`` keep a fixed order)."""
    pieces = re.split(r"(\d+)", path.text if isinstance(path, Url) else str(path))
    return [(int(p), p) if p.isdigit() else (-1, p) for p in pieces]


def list_parts(path: Path) -> list[Path]:
    """The parts of a folder or a glob, in reading order; exit 2 when there
    are none, when something that is not a part is among them, or when they
    mix formats."""
    candidates, folder = _candidates(path)
    text = path.text if isinstance(path, Url) else os.fspath(path)
    found: list[Path] = []
    for candidate in sorted(candidates, key=_natural):
        if is_metadata(candidate.name):
            continue
        if candidate.is_dir():
            raise CxauditError(
                f"{candidate}: is a folder inside the partitioned input {path}; cxaudit reads "
                "the parts of one folder (not its sub-folders): pass the sub-folder, or a glob "
                "such as DIR/*/part-*.csv"
            )
        if part_format(candidate.name) is None:
            raise CxauditError(
                f"{candidate}: is not a part of {path} (parts are .csv, .csv.gz or .parquet "
                "files; names starting with _ or . are skipped as metadata); move it out of "
                "the folder or rename it"
            )
        found.append(candidate)
    if not found:
        if folder:
            raise CxauditError(
                f"{path}: the folder holds no part (a .csv, .csv.gz or .parquet file); "
                "check the path"
            )
        if not any(c in text for c in "*?"):  # list[1].csv: a file's name more likely
            raise CxauditError(f"{path}: file not found; check the path")
        raise CxauditError(
            f"{path}: matches no file; check the pattern (quote it so the shell does not "
            "expand it) and that the parts are .csv, .csv.gz or .parquet files"
        )
    kinds = {}
    for part in found:
        kinds.setdefault(part_format(part.name), part)
    if len(kinds) > 1:
        (a, first), (b, other) = list(kinds.items())[:2]
        raise CxauditError(
            f"{other}: is a {b} part but {first} is a {a} part; the parts of {path} must all "
            "be of one format (all .csv, all .csv.gz or all .parquet)"
        )
    return found


def _candidates(path: Path | Url) -> tuple[list[Any], bool]:
    """A folder's entries or a glob's matches, and whether it was a folder."""
    try:
        if isinstance(path, Url):
            if path.is_dir():
                return path.children(), True
            return path.glob(), False
        text = os.fspath(path)
        if os.path.isdir(text):
            return [path / name for name in os.listdir(text)], True
    except OSError as exc:
        raise files.unreadable(path, exc) from None
    return [Path(p) for p in glob.glob(text, recursive=True)], False


def expand(path: Path) -> list[Path]:
    """The files ``path`` stands for (its parts, or itself), without errors:
    for checks that compare paths, after the input was read."""
    if not is_partitioned(path):
        return [path]
    try:
        return list_parts(path)
    except CxauditError:
        return []


def would_join(path: Path, target: Path) -> bool:
    """Whether a file written at ``target`` would be read as a part of the
    partitioned input ``path`` (written into its folder, or matched by its
    glob)."""
    if isinstance(path, Url):  # outputs are local: only a file:// URL's parts can be among them
        local = path.local()
        if local is None:
            return False
        path = local
    if is_metadata(target.name) or part_format(target.name) is None:
        return False
    text = os.fspath(path)
    if os.path.isdir(text):
        folder = Path(text)
    else:
        folder = Path(text).parent
        if any(c in os.fspath(folder) for c in GLOB_CHARS):
            return fnmatch.fnmatch(os.fspath(target), text)
        if not fnmatch.fnmatch(target.name, Path(text).name):
            return False
    try:
        return os.path.samefile(folder, target.parent)
    except OSError:
        return False


def choose_encoding(parts: list[Path], encoding: str, forced: bool) -> str:
    """One encoding for every part. Forced (``--encoding``, the rules file),
    it is ``encoding``; otherwise each part decides as one file would
    (:func:`~cxaudit.inputs.chunks.file_encoding`: a byte order mark, else its
    first non-ASCII character, wherever it lies), a part of plain ASCII
    having no say, and parts that disagree are an error."""
    if forced or part_format(parts[0].name) == "parquet":
        return encoding
    from cxaudit.inputs.chunks import file_encoding

    chosen: str | None = None
    by: Path | None = None
    for part in parts:
        found, decided = file_encoding(part, encoding)
        if not decided:
            continue
        if chosen is None:
            chosen, by = found, part
        elif found != chosen:
            raise CxauditError(
                f"{part}: reads as {found} but {by} reads as {chosen}; the parts of one input "
                "must share one encoding: export them again alike, or set the encoding"
            )
    return chosen if chosen is not None else file_encoding(parts[0], encoding)[0]


def _shown(header: list[str], i: int) -> str:
    if i >= len(header):
        return "nothing"
    name = header[i]
    return repr(name if len(name) <= 40 else name[:39] + "…")


class _Parts:
    """What one pass over the parts has learned: the first part's header
    and dialect (every other part is held to them), the rows numbered so
    far, where each part's rows start."""

    def __init__(self, path: Path, select: Callable[[Table], list[int]] | None) -> None:
        self.path = path
        self.origin = Origin()
        self.first: Table | None = None
        self.first_part: Path | None = None
        self.offset = 0  # rows (records after the header) of the parts before this one
        self.part: Path | None = None
        self.last = 0  # the current part's last row number, in the part
        self.inner_select = select

    def start(self, part: Path) -> None:
        if self.part is not None and self.last:
            # A CSV part's rows are numbered from 2 (its header is row 1),
            # a Parquet part's from 1: its records count from there.
            base = 0 if part_format(self.part.name) == "parquet" else 1
            self.offset += self.last - base
        self.part, self.last = part, 0
        base = 0 if part_format(part.name) == "parquet" else 1
        self.origin.add(part, self.offset, self.offset + base + 1)

    def select(self) -> Callable[[Table], list[int]] | None:
        """The caller's ``select``, after the part's header was compared
        with the first part's (so a differing header is named as such, not
        as a missing column)."""
        if self.inner_select is None:
            return None
        inner = self.inner_select

        def select(probe: Table) -> list[int]:
            self.check_header(probe)
            return inner(probe)

        return select

    def check_header(self, table: Table) -> None:
        first = self.first
        if first is None or table.header == first.header:
            return
        mine, theirs = table.header, first.header
        i = next(
            (i for i, (a, b) in enumerate(zip(mine, theirs, strict=False)) if a != b),
            min(len(mine), len(theirs)),
        )
        raise CxauditError(
            f"{self.part}: its header differs from {self.first_part}'s (column {i + 1} is "
            f"{_shown(mine, i)} here, {_shown(theirs, i)} there; {len(mine)} and "
            f"{len(theirs)} columns); every part of {self.path} must have the same columns "
            "in the same order"
        )

    def adopt(self, table: Table) -> Table:
        """A table read from the current part, checked against the first
        part and numbered as a row of the whole input."""
        if self.first is None:
            self.first, self.first_part = table, self.part
        else:
            self.check_like(table)
        if table.rows:
            self.last = int(table.row_numbers[-1])
        return replace(
            table,
            path=self.path,
            row_numbers=table.row_numbers + self.offset,
            dialect=replace(self.first.dialect, format=table.dialect.format),
            origin=self.origin,
        )

    def check_like(self, table: Table) -> None:
        first = self.first
        assert first is not None
        self.check_header(table)
        d, f = table.dialect, first.dialect
        for what, mine, theirs in (
            ("delimiter", d.delimiter, f.delimiter),
            ("encoding", d.encoding, f.encoding),
        ):
            if mine != theirs:
                raise CxauditError(
                    f"{self.part}: its {what} is {mine!r} but {self.first_part}'s is "
                    f"{theirs!r}; the parts of {self.path} must be written alike"
                )
        mine, theirs = table.arrow, first.arrow
        if mine is None or theirs is None:
            return
        if not mine.schema.equals(theirs.schema, check_metadata=False):
            raise CxauditError(
                f"{self.part}: its column types differ from {self.first_part}'s "
                f"({_schema(mine.schema)} here, {_schema(theirs.schema)} there); the parts "
                f"of {self.path} must share one schema"
            )


def _schema(schema: Any) -> str:
    text = ", ".join(f"{f.name}: {f.type}" for f in schema)
    return text if len(text) <= 120 else text[:119] + "…"


def read_parts(
    path: Path,
    *,
    encoding: str = "utf-8",
    delimiter: str | None = None,
    encoding_setting: str = "`encoding:`",
    footer: tuple[str, ...] = (),
    select: Callable[[Table], list[int]] | None = None,
    forced: bool = True,
) -> Table:
    """Every part of ``path`` read whole, as one table (see
    :func:`cxaudit.inputs.csvfile.read_file`)."""
    parts = list_parts(path)
    encoding = choose_encoding(parts, encoding, forced)
    state = _Parts(path, select)
    digest = hashlib.sha256()
    tables = []
    for part in parts:
        state.start(part)
        raw = files.read_bytes(part)
        digest.update(raw)
        table = table_from_bytes(
            part,
            raw,
            "",
            encoding=encoding,
            delimiter=delimiter,
            encoding_setting=encoding_setting,
            footer=footer,
            select=state.select(),
            forced=True,
        )
        del raw
        tables.append(state.adopt(table))
    return _joined(tables, digest.hexdigest())


def _joined(tables: list[Table], sha: str) -> Table:
    """Tables of consecutive parts as one (their rows, row bytes and typed
    Parquet rows one after the other)."""
    first = tables[0]
    if len(tables) == 1:
        return replace(first, sha256=sha)
    frame = pd.concat([t.frame for t in tables], ignore_index=True)
    numbers = np.concatenate([t.row_numbers for t in tables])
    raw = None
    if all(t.raw is not None for t in tables):
        raw = _joined_rows([t.raw for t in tables], first.dialect.newline.encode())  # type: ignore[misc]
    arrow = None
    if all(t.arrow is not None for t in tables):
        import pyarrow as pa

        arrow = pa.concat_tables([t.arrow for t in tables])
    return replace(first, frame=frame, row_numbers=numbers, sha256=sha, raw=raw, arrow=arrow)


def _joined_rows(pieces: list[RawRows], newline: bytes) -> RawRows:
    """The parts' record bytes as one file's: the first part whole, then
    each other part after its header. A part whose last line has no line
    ending gets the file's own, as the outputs would give it."""
    datas: list[bytes] = []
    starts, ends = [], []
    size = 0
    for i, raw in enumerate(pieces):
        skip = 0 if i == 0 else raw.header_end
        body = raw.data[skip:] if skip else raw.data
        shift = size - skip
        own_ends = raw.ends.astype(np.int64) + shift
        datas.append(body)
        size += len(body)
        if body and body[-1:] not in (b"\n", b"\r") and i < len(pieces) - 1:
            if len(own_ends) and own_ends[-1] == size:
                own_ends = own_ends.copy()
                own_ends[-1] += len(newline)
            datas.append(newline)
            size += len(newline)
        starts.append(raw.starts.astype(np.int64) + shift)
        ends.append(own_ends)
    first = pieces[0]
    return RawRows(
        b"".join(datas),
        first.header_end,
        np.concatenate(starts),
        np.concatenate(ends),
        first.header_start,
    )


def iter_parts(
    path: Path,
    chunk_rows: int | None,
    *,
    encoding: str = "utf-8",
    delimiter: str | None = None,
    encoding_setting: str = "`encoding:`",
    footer: tuple[str, ...] = (),
    select: Callable[[Table], list[int]] | None = None,
    totals: Any = None,
    forced: bool = True,
) -> Iterator[Table]:
    """The parts of ``path`` in chunks of ``chunk_rows`` records (a chunk
    never spans two parts), as :func:`cxaudit.inputs.chunks.iter_file` gives one
    file's; all parts as one table when ``chunk_rows`` is None. ``totals``
    is complete before the last chunk is handed out; chunks without rows
    are handed out only when they are the last."""
    from cxaudit.inputs.chunks import Totals, iter_file

    totals = totals if totals is not None else Totals()
    if chunk_rows is None:
        table = read_parts(
            path,
            encoding=encoding,
            delimiter=delimiter,
            encoding_setting=encoding_setting,
            footer=footer,
            select=select,
            forced=forced,
        )
        totals.done(path, table.rows, table.sha256)
        yield table
        return
    parts = list_parts(path)
    encoding = choose_encoding(parts, encoding, forced)
    state = _Parts(path, select)
    digest = hashlib.sha256()
    rows = 0
    for i, part in enumerate(parts):
        state.start(part)
        own = Totals()
        chunks = iter_file(
            part,
            chunk_rows,
            encoding=encoding,
            delimiter=delimiter,
            encoding_setting=encoding_setting,
            footer=footer,
            select=state.select(),
            totals=own,
            forced=True,
            digest=digest,
        )
        with closing(chunks):
            for table in chunks:
                rows += table.rows
                final = i == len(parts) - 1 and own.complete
                if final:
                    totals.done(path, rows, digest.hexdigest())
                chunk = state.adopt(table)
                if table.rows or final:
                    yield replace(chunk, sha256=totals.sha256 if final else "")
