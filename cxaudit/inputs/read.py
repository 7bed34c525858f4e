"""The one place that tells a single file from a folder or glob of parts:
:mod:`~cxaudit.inputs.csvfile` and :mod:`~cxaudit.inputs.chunks` read one
file, :mod:`~cxaudit.inputs.parts` joins parts with them, and everything
above the inputs reads through here."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cxaudit.inputs import parts
from cxaudit.inputs.chunks import Totals, iter_file
from cxaudit.inputs.csvfile import read_file
from cxaudit.inputs.table import Table


def read_table(path: Path, **options: Any) -> Table:
    """The whole input as one table: a file (see
    :func:`~cxaudit.inputs.csvfile.read_file` for ``options``), or a folder
    of parts or a glob read part after part."""
    if parts.is_partitioned(path):
        return parts.read_parts(path, **options)
    return read_file(path, **options)


def iter_chunks(
    path: Path, chunk_rows: int | None, *, totals: Totals | None = None, **options: Any
) -> Iterator[Table]:
    """The input ``chunk_rows`` records at a time (see
    :func:`~cxaudit.inputs.chunks.iter_file`); a folder of parts or a glob
    part after part, each part in chunks of its own."""
    totals = totals if totals is not None else Totals()
    if parts.is_partitioned(path):
        options.pop("digest", None)
        yield from parts.iter_parts(path, chunk_rows, totals=totals, **options)
        return
    yield from iter_file(path, chunk_rows, totals=totals, **options)
