"""``--out-format parquet-parts``: the lists as folders of Parquet parts.

A list too large for one file (hundreds of millions of rows, decided on a
cluster) is written as ``cleaned/``, ``suppressed/`` and ``flagged/``, one
``part-NNNNN.parquet`` per chunk or partition, in list order, as Spark and
Dask write tables. The folders are built under temporary names and swapped
in with the reports, all or nothing (:func:`cxaudit.atomic.write_atomically`).

A Parquet list keeps its typed columns; a CSV list's columns are text, as
read. suppressed and flagged parts add ``cxaudit_row`` (a 64-bit integer),
``cxaudit_rules`` and ``cxaudit_reasons``, as the single-file lists do.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from cxaudit.audit import AuditResult
from cxaudit.files import unwritable

FOLDERS = ("cleaned", "suppressed", "flagged")
OUT_FORMATS = ("same", "parquet-parts")


def arrow_lists(result: AuditResult) -> tuple[Any, Any, Any]:
    """The kept, suppressed and flagged rows of one chunk as Arrow tables."""
    import pyarrow as pa

    from cxaudit.outputs import parquet_tables

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


class PartsWriter:
    """Writes each chunk's lists as the next part of three temporary folders."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.temps: dict[str, Path] = {}
        self.count = 0

    def add(self, result: AuditResult) -> None:
        import pyarrow.parquet as pq

        for name, table in zip(FOLDERS, arrow_lists(result), strict=True):
            folder = self.temps.get(name)
            if folder is None:
                folder = self.out / f".{name}.{os.getpid()}.tmp"
                discard([folder])
                try:
                    folder.mkdir(parents=True)
                except OSError as exc:
                    raise unwritable(self.out / name, exc) from None
                self.temps[name] = folder
            target = folder / f"part-{self.count:05d}.parquet"
            try:
                pq.write_table(table, target)
            except OSError as exc:
                raise unwritable(self.out / name / target.name, exc) from None
        self.count += 1

    def replaced(self) -> list[Path]:
        """The folders this run replaces and every file in them now (none of
        them may be an input), and where its first part goes."""
        paths = []
        for name in FOLDERS:
            folder = self.out / name
            paths.append(folder)
            paths.append(folder / "part-00000.parquet")
            if folder.is_dir():
                paths += sorted(folder.iterdir())
        return paths


def is_parts_folder(path: Path) -> bool:
    """Whether ``path`` is a folder holding only part-NNNNN.parquet files
    (a run's list), which a later run may replace or take away; files a
    desktop or a tool drops beside them (.DS_Store, _SUCCESS, desktop.ini,
    Thumbs.db) do not make it anything else."""
    import re

    if not path.is_dir() or path.is_symlink():
        return False

    def ours(entry: Path) -> bool:
        if re.fullmatch(r"part-\d{5}\.parquet", entry.name):
            return True
        litter = entry.name.startswith((".", "_")) or entry.name in ("desktop.ini", "Thumbs.db")
        return litter and entry.is_file() and not entry.is_symlink()

    return all(ours(p) for p in path.iterdir())


def discard(paths: Any) -> None:
    """Remove temporary folders (or files) quietly: cleaning up after an
    error must not hide that error."""
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                path.unlink()
