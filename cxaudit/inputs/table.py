"""A file's rows in memory, and where each came from.

A :class:`Table` is the text of a CSV (or Parquet) file: its header, its
values, each row's row number and, for outputs that copy rows byte for
byte, where each record sits in the file (:class:`RawRows`). A
:class:`Dialect` remembers how the file was written so outputs can be
written the same way; :class:`Position` and :class:`Origin` number the rows
of a piece (a chunk, a part) as rows of the whole input.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxaudit.errors import CxauditError


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
    header_end: int  # first byte after the header's line ending
    starts: np.ndarray
    ends: np.ndarray  # each record's end, its line ending included
    header_start: int = 0  # after a UTF-8 byte order mark


@dataclass(frozen=True)
class Position:
    """Where a piece of a file starts, for a campaign list read in chunks:
    records, lines and bytes before it (the header excluded), so the piece's
    row numbers and error messages name the whole file's rows."""

    records: int = 0
    lines: int = 0
    bytes: int = 0


class Origin:
    """The part files a partitioned input's rows come from (see
    :mod:`cxaudit.inputs.parts`). Rows are numbered as if the parts were one file
    with one header; part ``i``'s own row number is that number minus
    ``offsets[i]``. Shared by every table read from the same pass over the
    input (parts are added as they are reached), so tables joined from
    several parts still find each row's file."""

    def __init__(self) -> None:
        self.paths: list[Path] = []
        self.offsets: list[int] = []
        self.firsts: list[int] = []

    def add(self, path: Path, offset: int, first: int) -> None:
        """Part ``path``, whose rows are numbered from ``first`` on (the
        input's numbering), ``offset`` more than in the part itself."""
        self.paths.append(path)
        self.offsets.append(offset)
        self.firsts.append(first)

    def locate(self, number: int) -> tuple[Path, int]:
        """The part holding the input's row ``number``, and its row there."""
        i = max(bisect_right(self.firsts, number) - 1, 0)
        return self.paths[i], number - self.offsets[i]


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
    origin: Origin | None = None  # the part files of a partitioned input (a folder, a glob)
    footer_lines: int = 0  # a report's trailing footer lines, dropped (Salesforce)

    @property
    def rows(self) -> int:
        return len(self.frame)

    def locate(self, position: int) -> tuple[Path, int]:
        """The file and the row in it a person opens to see the row at
        ``position``: ``path`` and its row number, or for a partitioned
        input the part file and the row within that part."""
        number = int(self.row_numbers[position])
        if self.origin is None or not self.origin.paths:
            return self.path, number
        return self.origin.locate(number)

    def where(self, position: int) -> str:
        """``PATH: row N`` for messages about the row at ``position`` (the
        part file and its own row number for a partitioned input)."""
        path, number = self.locate(position)
        return f"{path}: row {number}"

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
