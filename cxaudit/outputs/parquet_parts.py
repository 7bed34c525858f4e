"""``--out-format parquet-parts``: the lists as folders of Parquet parts.

A list too large for one file (hundreds of millions of rows, decided on a
cluster) is written as ``cleaned/``, ``suppressed/`` and ``flagged/``, one
``part-NNNNN.parquet`` per chunk or partition, in list order, as Spark and
Dask write tables. The folders are built under temporary names and swapped
in with the reports, all or nothing (:func:`cxaudit.outputs.atomic.write_atomically`).

A Parquet list keeps its typed columns; a CSV list's columns are text, as
read. suppressed and flagged parts add ``cxaudit_row`` (a 64-bit integer),
``cxaudit_rules`` and ``cxaudit_reasons``, as the single-file lists do.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from cxaudit.inputs.files import remove_quietly, unwritable

FOLDERS = ("cleaned", "suppressed", "flagged")
OUT_FORMATS = ("same", "parquet-parts")


class PartsWriter:
    """Writes each chunk's lists as the next part of three temporary folders."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.temps: dict[str, Path] = {}
        self.count = 0

    def add(self, tables: tuple[Any, Any, Any]) -> None:
        """One chunk's kept, suppressed and flagged rows as Arrow tables."""
        import pyarrow.parquet as pq

        for name, table in zip(FOLDERS, tables, strict=True):
            folder = self.temps.get(name)
            if folder is None:
                folder = self.out / f".{name}.{os.getpid()}.tmp"
                remove_quietly([folder])
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
