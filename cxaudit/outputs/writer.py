"""Writing the run's files into ``--out``, atomically.

Each file is written to a temporary name in the same folder, flushed to disk,
and renamed over the final name only after all of them were written, so a
crash or Ctrl-C leaves either the previous run's files or the new ones,
never a half-written cleaned.csv that someone might upload.
"""

from __future__ import annotations

import gzip
import os
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxaudit.audit.decide import AuditResult
from cxaudit.dates import iso
from cxaudit.errors import CxauditError, OutputBusy
from cxaudit.inputs import parts
from cxaudit.inputs.files import remove_quietly, unwritable
from cxaudit.inputs.locations import Url
from cxaudit.outputs.atomic import prepare, write_atomically
from cxaudit.outputs.lists import (
    ADDED_COLUMNS,
    arrow_lists,
    csv_pieces,
    listed_rows,
    parquet_tables,
)
from cxaudit.outputs.names import LIST_SUFFIXES, REPORT_FILES, SPREADSHEETS, row_files
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
        lists = [self.out / n for f in LIST_SUFFIXES for n in row_files(f)]
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
            SPREADSHEETS, row_names, listed_rows(part), strict=True
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

        names = (
            {n for fmt in LIST_SUFFIXES for n in row_files(fmt)} | set(FOLDERS) | set(SPREADSHEETS)
        )
        stale = []
        for name in sorted(names - set(ready)):
            path = self.out / name
            if name in FOLDERS:
                if is_parts_folder(path):
                    stale.append(path)
            elif path.is_file():
                stale.append(path)
        return stale


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


def refuse_overwriting_inputs(inputs: Iterable[Path], outputs: Iterable[Path]) -> None:
    """Exit 2 when a path the run would replace is (by device and inode,
    so links count) one of its inputs, or any part of a partitioned one
    (a folder of parts, a glob), or would become a part of one (written
    into its folder, matched by its glob)."""
    inputs, outputs = list(inputs), list(outputs)
    seen: dict[tuple[int, int], Path] = {}
    for given in inputs:
        for path in parts.expand(given):
            if isinstance(path, Url):  # only a file:// URL can be one of the outputs
                path = path.local()
                if path is None:
                    continue
            try:
                info = os.stat(path)
            except OSError:
                continue
            seen.setdefault((info.st_dev, info.st_ino), path)
    local = [p.local() if isinstance(p, Url) else p for p in inputs]  # file:// is local
    partitioned = [p for p in local if p is not None and parts.is_partitioned(p)]
    for path in outputs:
        for given in partitioned:
            if parts.would_join(given, path):
                raise CxauditError(
                    f"{path}: would be written among the parts of the input {given}, and read "
                    "as one of them next time; choose an --out outside it"
                )
        try:
            info = os.stat(path)
        except OSError:
            continue  # not there yet: nothing of the user's is replaced
        source = seen.get((info.st_dev, info.st_ino))
        if source is not None:
            raise CxauditError(
                f"{path}: would be replaced by this run, but it is the input {source}; "
                "choose another --out (or copy the input elsewhere first)"
            )
