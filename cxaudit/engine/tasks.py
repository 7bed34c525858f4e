"""What each task of a Dask run does on a worker (or, for the numbering of
list parts, on the client): one source part's digest, one list part's keys,
a shuffle bucket's duplicate verdicts, one list part decided. They take and
return plain data so Dask can ship them; :mod:`cxaudit.engine.dask` submits
them and puts the results back in list order."""

from __future__ import annotations

import hashlib
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxaudit.audit.decide import (
    AuditResult,
    decide_chunk,
)
from cxaudit.audit.digest import build
from cxaudit.audit.fields import check_recipient_columns
from cxaudit.audit.matching import Linked
from cxaudit.audit.persons import Persons, key_entries, repeats, split_by_hash
from cxaudit.audit.plan import Plan
from cxaudit.audit.prepare import (
    LoadedTable,
    key_positions,
    prepare_table,
    table_idents,
)
from cxaudit.errors import CxauditError
from cxaudit.inputs import parts
from cxaudit.inputs.files import open_input
from cxaudit.inputs.locations import Url
from cxaudit.inputs.read import iter_chunks
from cxaudit.inputs.table import Origin, Table
from cxaudit.rules import RuleSet, TableConfig


def _absolute(path: Path | Url) -> Path | Url:
    """``path`` as a worker finds it: a URL as it is, a local path absolute."""
    return path if isinstance(path, Url) else Path(os.path.abspath(path))


def _names(files: list[Path], given: list[Path], path: Path) -> dict[str, str]:
    """Absolute path -> the path as given, longest first (a folder's name is
    a prefix of its parts')."""
    pairs = {str(f): str(g) for f, g in zip(files, given, strict=True)}
    pairs[str(_absolute(path))] = str(path)
    return dict(sorted(pairs.items(), key=lambda kv: -len(kv[0])))


def _as_given(names: dict[str, str], task: Any, *args: Any) -> Any:
    """Run ``task``; a user error names the files as the user gave them (the
    workers read absolute paths), so it reads as the local engine's."""
    try:
        return task(*args)
    except CxauditError as exc:
        raise CxauditError(
            _given(exc.message, names), details=[_given(d, names) for d in exc.details]
        ) from None


def _given(text: str, names: dict[str, str]) -> str:
    """``text`` with every absolute path of ``names`` as the user gave it."""
    for absolute, name in names.items():
        text = text.replace(absolute, name)
    return text


def _digest_part(
    rules: RuleSet,
    config: TableConfig,
    applicable: list,
    as_of: pd.Timestamp,
    used: set[str],
    options: dict[str, Any],
    source: Path,
) -> Any:
    return build(rules, config, applicable, as_of, None, used, None, None, options, source)


def _sha256(files: list[Path]) -> str:
    """The input's SHA-256: its parts' bytes in order (as the local engine)."""
    digest = hashlib.sha256()
    for file in files:
        with open_input(file) as fh:
            while block := fh.read(8 << 20):
                digest.update(block)
    return digest.hexdigest()


def _list_keys(rules: RuleSet, part: Path, options: dict[str, Any]) -> tuple[Table, Any]:
    """One list part's key columns: the part as a table without rows (its
    header and dialect, to hold the parts to one another) and its entries
    for the duplicate judgement (rows counted from 0 in the part). A
    malformed row fails here, naming the part and its row."""
    (table,) = iter_chunks(
        part, None, **{**options, "select": key_positions(rules, rules.recipients)}
    )
    idents = table_idents(rules, rules.recipients, table)
    entries = key_entries(idents, 0, table.row_numbers)
    stub = replace(
        table,
        frame=table.frame.iloc[:0],
        row_numbers=np.array([table.rows], dtype=np.int64),  # carries the row count
        raw=None,
        arrow=_schema_only(part),
    )
    return stub, entries


def _schema_only(part: Path) -> Any:
    """A Parquet part's columns and types without rows (the parts of a list
    must share one schema, as the local engine checks); None for CSV."""
    if parts.part_format(part.name) != "parquet":
        return None
    import pyarrow.parquet as pq

    if isinstance(part, Url):
        with open_input(part) as fh:
            return pq.read_schema(fh).empty_table()
    return pq.read_schema(part).empty_table()


def _shape(keys: tuple[Table, Any]) -> Table:
    return keys[0]


def _keyed(keys: tuple[Table, Any]) -> int:
    """Rows of the part with at least one usable key."""
    return len(np.unique(keys[1].column("row").to_numpy()))


def _buckets(keys: tuple[Table, Any], start: int, buckets: int) -> list[Any]:
    """A part's key entries moved to the list's numbering (rows from
    ``start``) and split by hash into the shuffle's buckets."""
    import pyarrow as pa
    import pyarrow.compute as pc

    entries = keys[1]
    entries = entries.set_column(0, "row", pc.add(entries.column("row"), pa.scalar(start)))
    entries = entries.set_column(1, "number", pc.add(entries.column("number"), pa.scalar(start)))
    return split_by_hash(entries, buckets)


def _pick(split: list[Any], bucket: int) -> Any:
    return split[bucket]


def _judge(*pieces: Any) -> pd.DataFrame:
    """One bucket's repeats (every copy of its keys is among ``pieces``)."""
    import pyarrow as pa

    return repeats(pa.concat_tables(pieces))


def _numbering(path: Path, files: list[Path], shapes: list[Table]) -> tuple[np.ndarray, Origin]:
    """Where each part's rows start in the list, and the parts' origin (so a
    message names the part and its own row); the parts are held to the
    first one's header and dialect, as the local engine holds them."""
    state = parts._Parts(path, None)
    origin = Origin()
    rows = [int(s.row_numbers[0]) for s in shapes]
    starts = np.concatenate([[0], np.cumsum(rows)]).astype(np.int64)
    for i, (file, shape) in enumerate(zip(files, shapes, strict=True)):
        state.start(file)
        if i == 0:
            state.first, state.first_part = shape, file
        else:
            state.check_like(shape)
        base = 0 if parts.part_format(file.name) == "parquet" else 1
        origin.add(file, int(starts[i]), int(starts[i]) + base + 1)
    return starts, origin


def _part_table(
    plan: Plan,
    part: Path,
    options: dict[str, Any],
    start: int,
    origin: Origin,
    dialect: Any,
    path: Path,
) -> LoadedTable:
    """One list part, read, checked and numbered as rows of the whole list."""
    rules = plan.rules
    (table,) = iter_chunks(part, None, **options)
    if len(origin.paths) > 1:  # rows numbered as in the joined parts
        table = replace(
            table,
            path=path,
            row_numbers=table.row_numbers + start,
            origin=origin,
            dialect=replace(dialect, format=table.dialect.format),
        )
    recipients = prepare_table(rules, rules.recipients, table)
    check_recipient_columns(rules, recipients)
    return recipients


def _linked_part(
    plan: Plan,
    part: Path,
    options: dict[str, Any],
    start: int,
    origin: Origin,
    dialect: Any,
    rows: np.ndarray,
    path: Path,
) -> LoadedTable:
    """The rows of a part (``rows``: positions in it) that belong to persons
    of several rows."""
    return _part_table(plan, part, options, start, origin, dialect, path).take(rows)


def _decide_part(
    plan: Plan,
    part: Path,
    options: dict[str, Any],
    start: int,
    origin: Origin,
    dialect: Any,
    persons: Persons,
    matches: pd.DataFrame,
    sources: dict[str, LoadedTable],
    linked: Linked | None,
    path: Path,
) -> AuditResult:
    """Phase 2 for one list part, numbered as rows of the whole list."""
    recipients = _part_table(plan, part, options, start, origin, dialect, path)
    result = decide_chunk(plan, recipients, start, persons, matches, sources, linked)
    result.sources = {}  # the caller has them: do not send them back
    return result
