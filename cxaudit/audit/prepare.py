"""Loading the campaign list and the sources named in the rules file.

A loaded table knows which file column each rule field names, has its date
fields parsed once (so a bad date fails the run up front, naming the row), and
has every identity key normalised into ``idents`` for the join.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxaudit.audit.columns import (
    column_name,
    columns_list,
    identity_columns,
    keys_hint,
    keys_line,
    looks_personal,
    missing_column,
    shape,
)
from cxaudit.dateformats import format_hint
from cxaudit.dates import RELATIVE, DateParseError, parse_moments
from cxaudit.errors import CxauditError
from cxaudit.identity import KEY_NAMES, Dropped, canonical_keys
from cxaudit.inputs.encodings import encoding_problem
from cxaudit.inputs.table import Table
from cxaudit.rules import RECIPIENTS, RuleSet, TableConfig


@dataclass
class LoadedTable:
    config: TableConfig
    table: Table
    field_columns: dict[str, int]
    moments: dict[str, pd.Series]
    idents: pd.DataFrame
    derived: dict[str, pd.Series] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    _numbers: dict[str, pd.Series] = field(default_factory=dict)
    # vendor values a derive map does not know, with their counts (summed
    # over a source's chunks before the warning is written)
    unknown: dict[str, pd.Series] = field(default_factory=dict)
    # a source read in chunks keeps only some rows; these describe all of them
    stats: Any = None
    # key values of these rows that were no key (placeholders, Excel damage)
    dropped: Dropped = field(default_factory=Dropped)
    # date columns whose format was read from their values: field -> format
    date_formats: dict[str, str] = field(default_factory=dict)
    # the format each date column that has a date was read in (None: ISO 8601)
    used_formats: dict[str, str | None] = field(default_factory=dict)

    @property
    def rows_read(self) -> int:
        """Rows of the whole file (a digested source keeps only some)."""
        return self.stats.rows if self.stats is not None else len(self)

    def take(self, rows: np.ndarray) -> LoadedTable:
        """These rows only (positions), row numbers and all, for a digest."""
        index = pd.RangeIndex(len(rows))

        def pick(series: pd.Series) -> pd.Series:
            return series.take(rows).set_axis(index)

        table = replace(
            self.table,
            frame=self.table.frame.take(rows).set_axis(index),
            row_numbers=self.table.row_numbers[rows],
            raw=None,
            arrow=None,
        )
        return LoadedTable(
            self.config,
            table,
            self.field_columns,
            {k: pick(v) for k, v in self.moments.items()},
            self.idents.take(rows).set_axis(index),
            {k: pick(v) for k, v in self.derived.items()},
        )

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def path(self) -> Path:
        return self.table.path

    def __len__(self) -> int:
        return self.table.rows

    def column_of(self, name: str) -> int:
        """The file column behind field ``name`` (recipients may also use raw
        column names, which were checked when the table was loaded)."""
        if name in self.field_columns:
            return self.field_columns[name]
        pos = self.table.find_column(name)
        if pos is None:
            raise KeyError(name)
        return pos

    def is_personal(self, name: str) -> bool:
        """Whether field (or raw column) ``name`` holds personal data, so it is
        masked in shared outputs: an identity column (whatever a rule calls
        it), a field listed under ``pii:``, or a field the rules name like a
        person's name, email, phone or address (the presets' requester,
        caller and contact fields). The file's own header is not guessed
        from: Shopify's "Name" is an order number."""
        if name in self.derived:
            return False
        try:
            pos = self.column_of(name)
        except KeyError:
            return False
        personal = {self.field_columns[k] for k in KEY_NAMES if k in self.field_columns}
        personal |= {self.field_columns[f] for f in self.config.pii if f in self.field_columns}
        return pos in personal or looks_personal(name)

    def text(self, name: str) -> pd.Series:
        if name in self.derived:
            return self.derived[name]
        return self.table.frame[self.column_of(name)]

    def has_field(self, name: str) -> bool:
        return name in self.field_columns or name in self.derived

    def moment(self, name: str) -> pd.Series:
        return self.moments[name]

    def is_date(self, name: str) -> bool:
        return name in self.moments

    def number(self, name: str, why: str) -> pd.Series:
        """Field ``name`` as numbers; blank cells are NaN, other text is an error."""
        if name not in self._numbers:
            raw = self.text(name).str.strip()
            values = pd.to_numeric(raw.where(raw != "", None), errors="coerce")
            bad = (raw != "") & values.isna()
            if bad.any():
                pos = int(bad.to_numpy().nonzero()[0][0])
                raise CxauditError(
                    f"{self.table.where(pos)}, column "
                    f"{column_name(self.table.header[self.column_of(name)])}: not a number, "
                    f"but {why} compares it as one; fix the value or the rule"
                )
            self._numbers[name] = values.astype("float64")
        return self._numbers[name]


def _resolve_columns(
    rules: RuleSet, config: TableConfig, table: Table
) -> tuple[dict[str, int], list[str]]:
    """Field name -> column position, and the identity keys in use."""
    out: dict[str, int] = {}
    keys = config.keys
    if keys is None:  # recipients without explicit keys: use the columns named like keys
        keys = identity_columns(table.header)
        if not keys:
            raise CxauditError(
                f"{table.path}: no identity column found (customer_id, email or phone, or a "
                "name like 'Email Address', 'Customer ID', 'Phone Number'); name them under "
                f"recipients.keys in the rules file; its columns are {columns_list(table.header)}"
            )
    missing: list[CxauditError] = []
    for kind, mapping in (("keys", keys), ("columns", config.columns)):
        for name, column in mapping.items():
            pos = None
            for candidate in (column, *config.alternatives.get(name, ())):
                pos = table.find_column(candidate)
                if pos is not None:
                    break
            if pos is None and kind == "keys" and config.name == RECIPIENTS and column == name:
                # `email: email` in the rules file, 'Email Address' in a Mailchimp list
                named = identity_columns(table.header).get(name)
                pos = table.find_column(named) if named is not None else None
            if pos is None:
                # a preset's column an export may lack; a list's key column it lacks
                # (an email-only list under rules that also map customer_id)
                skip = name in config.optional or (kind == "keys" and config.name == RECIPIENTS)
                if not skip:
                    missing.append(missing_column(rules, config, table, kind, name, column))
                continue
            out[name] = pos
    if missing:  # every one of them, so `validate` lists them all at once
        raise CxauditError(missing[0].message, details=[m.message for m in missing])
    used_keys = [k for k in KEY_NAMES if k in keys and k in out]
    if not used_keys:
        accepted = "; ".join(
            f"{k}: " + " or ".join(column_name(c) for c in (v, *config.alternatives.get(k, ())))
            for k, v in keys.items()
        )
        where = RECIPIENTS if config.name == RECIPIENTS else f"sources.{config.name}"
        by = f" (preset {config.preset})" if config.preset else ""
        line = keys_line(table.header) if config.name == RECIPIENTS else ""
        raise CxauditError(
            f"{table.path}: has none of the identity columns looked for{by}: {accepted}; "
            f"map a column of the file under {where}.keys{keys_hint(config, table.header)}"
            f"{line}; its columns are {columns_list(table.header)}"
        )
    return out, used_keys


def _derive(
    config: TableConfig, table: Table, columns: dict[str, int]
) -> tuple[dict[str, pd.Series], dict[str, pd.Series]]:
    """Canonical fields (``state``, ``severity``) mapped from vendor values,
    and the counts of the values the map does not know.

    A value the map does not know is passed through trimmed, and reported as
    a warning (:func:`derive_warnings`): a custom status must not silently
    count as "not open".
    """
    derived: dict[str, pd.Series] = {}
    unknown: dict[str, pd.Series] = {}
    for name, (source, values) in config.derive.items():
        if source not in columns:
            continue
        raw = table.frame[columns[source]].str.strip()
        folded = {k.strip().lower(): v for k, v in values.items()}
        mapped = raw.str.lower().map(folded)
        first = config.derive_first.get(name)
        if first is not None and first[0] in columns:  # e.g. Jira's status category
            preferred = table.frame[columns[first[0]]].str.strip().str.lower()
            mapped = preferred.map({k.strip().lower(): v for k, v in first[1].items()}).fillna(
                mapped
            )
        missing = raw[mapped.isna() & (raw != "")]
        derived[name] = mapped.fillna(raw).astype("str")
        if len(missing):
            unknown[name] = missing.value_counts(sort=False)  # in order of first sight
    return derived, unknown


def derive_warnings(
    config: TableConfig, table: Table, columns: dict[str, int], unknown: dict[str, pd.Series]
) -> list[str]:
    """One warning per derived field with vendor values its map lacks."""
    warnings = []
    for name, counts in unknown.items():
        source = config.derive[name][0]
        # most frequent first; a tie in the order first seen (the same at any chunk size)
        counts = counts.astype("int64").sort_values(ascending=False, kind="stable")
        shown = ", ".join(f"{v!r} ({n})" for v, n in counts.head(5).items())
        if len(counts) > 5:
            shown += f" and {len(counts) - 5:,} more"
        warnings.append(
            f"{table.path}: {name} has no mapping for {table.header[columns[source]]} "
            f"value(s) {shown}; they are kept as written. Map them under "
            f"sources.{config.name}.derive.{name}.map"
        )
    return warnings


def add_counts(seen: pd.Series | None, counts: pd.Series) -> pd.Series:
    """Counts of values from the rows that follow, added to ``seen``,
    values kept in the order first seen."""
    if seen is None:
        return counts
    return pd.concat([seen, counts]).groupby(level=0, sort=False).sum()


def concat_tables(first: LoadedTable, parts: list[LoadedTable]) -> LoadedTable:
    """Rows kept from several chunks of one file, as one table (``first``
    gives the header and mappings when no row was kept)."""
    parts = parts or [first.take(np.zeros(0, dtype=np.int64))]
    if len(parts) == 1:
        return parts[0]
    index = pd.RangeIndex(sum(len(p) for p in parts))

    def join(series: list[pd.Series]) -> pd.Series:
        return pd.concat(series, ignore_index=True).set_axis(index)

    table = replace(
        parts[0].table,
        frame=pd.concat([p.table.frame for p in parts], ignore_index=True),
        row_numbers=np.concatenate([p.table.row_numbers for p in parts]),
    )
    return LoadedTable(
        first.config,
        table,
        first.field_columns,
        {k: join([p.moments[k] for p in parts]) for k in first.moments},
        pd.concat([p.idents for p in parts], ignore_index=True),
        {k: join([p.derived[k] for p in parts]) for k in first.derived},
    )


def _mapped_positions(rules: RuleSet, config: TableConfig) -> Callable[[Table], list[int]]:
    """Only the columns a source maps are parsed (a desk export has dozens)."""

    def select(header: Table) -> list[int]:
        return list(_resolve_columns(rules, config, header)[0].values())

    return select


def read_options(
    rules: RuleSet, config: TableConfig, encoding: str | None = None
) -> dict[str, Any]:
    """How to read the file ``config`` describes (for ``read_table`` or, for
    the campaign list, ``iter_chunks``)."""
    setting = (
        "--encoding (or recipients.encoding)"
        if config.name == RECIPIENTS
        else f"sources.{config.name}.encoding"
    )
    problem = encoding_problem(encoding) if encoding else None
    if problem is not None:
        raise CxauditError(f"--encoding: {problem}")
    return {
        "encoding": encoding or config.encoding,
        # --encoding or the rules file's encoding: forced; a preset's or the
        # default UTF-8: a byte order mark or valid UTF-8 may say otherwise
        "forced": bool(encoding) or config.encoding_forced,
        "delimiter": config.delimiter,
        "encoding_setting": setting,
        "footer": config.footer,
        "select": None if config.name == RECIPIENTS else _mapped_positions(rules, config),
    }


def key_positions(rules: RuleSet, config: TableConfig) -> Callable[[Table], list[int]]:
    """Only the identity key columns, for a pass that judges duplicates."""

    def select(header: Table) -> list[int]:
        columns, key_names = _resolve_columns(rules, config, header)
        return [columns[k] for k in key_names]

    return select


def table_idents(rules: RuleSet, config: TableConfig, table: Table) -> pd.DataFrame:
    """The normalised identity keys of ``table``'s rows (see :mod:`identity`)."""
    if config.name == RECIPIENTS and len(table.header) == len(table.frame.columns):
        _refuse_repeated_header(table)  # the key pass reads every column it needs
    return _idents(rules, table, *_resolve_columns(rules, config, table))[0]


def _idents(
    rules: RuleSet, table: Table, columns: dict[str, int], key_names: list[str]
) -> tuple[pd.DataFrame, Dropped]:
    if not key_names:
        return pd.DataFrame(index=table.frame.index), Dropped()
    return canonical_keys(
        {k: table.frame[columns[k]] for k in key_names}, rules.phone_region, rules.placeholders
    )


def prepare_table(rules: RuleSet, config: TableConfig, table: Table) -> LoadedTable:
    """Parse dates, normalise keys and derive fields of a table already read
    (a whole file, or one chunk of the campaign list)."""
    columns, key_names = _resolve_columns(rules, config, table)
    if config.name == RECIPIENTS:
        _refuse_repeated_header(table)
    moments: dict[str, pd.Series] = {}
    formats: dict[str, str] = {}  # read from the values
    used: dict[str, str | None] = {}  # the format each column with a date was read in
    for name in config.dates:
        if name not in columns:
            continue  # an optional preset column this export lacks
        pos = columns[name]
        locked = name in config.fixed_formats
        if locked:
            given = config.fixed_formats[name]
        else:
            given = config.column_formats.get(name, config.date_format)
        why = ""
        try:
            try:
                moments[name] = parse_moments(table.frame[pos], given)
                used[name] = given
            except DateParseError:
                if config.date_format_forced or locked:
                    # the rules file said how, or an earlier chunk's values
                    # did: a later row that does not fit is an error in any
                    # chunk size, as it is when the file is read whole
                    raise
                found = _inferred(table, pos, config)
                if found is None:
                    # no one format reads every value: name the first value
                    # the first date's own format does not read, not a good row
                    found = _first_date_format(table, pos)
                    if found is None:
                        raise
                    why = ", which the column's first date is written in"
                given = found  # what a value that does not fit is measured against
                moments[name] = parse_moments(table.frame[pos], found)
                formats[name] = used[name] = found
            if not moments[name].notna().any():
                del used[name]  # no date to read yet: a later chunk decides
        except DateParseError as exc:
            fmt = given or "ISO 8601 (2026-11-18, 2026-11-18 09:00:00, …Z, …-0500)"
            if locked and not config.date_format_forced:
                fmt += ", which the column's earlier rows are written in"
            fmt += why
            prefix = RECIPIENTS if config.name == RECIPIENTS else f"sources.{config.name}"
            if exc.value.strip().lower() in RELATIVE:
                raise CxauditError(
                    f"{table.where(exc.position)}, column {column_name(table.header[pos])}: "
                    f"{exc.value.strip()!r} is a word for a day, not a date: read on another day "
                    "it would mean another moment; export the column with real dates"
                ) from None
            raise CxauditError(
                f"{table.where(exc.position)}, column "
                f"{column_name(table.header[pos])}: not a date in the format {fmt} (the value "
                f"reads like {shape(exc.value)}); fix the value or set {prefix}.date_format, "
                f"e.g. {format_hint(exc.value)}"
            ) from None
    idents, dropped = _idents(rules, table, columns, key_names)
    derived, unknown = _derive(config, table, columns)
    warnings = derive_warnings(config, table, columns, unknown)
    return LoadedTable(
        config,
        table,
        columns,
        moments,
        idents,
        derived,
        warnings,
        unknown=unknown,
        dropped=dropped,
        date_formats=formats,
        used_formats=used,
    )


def _first_date_format(table: Table, pos: int) -> str | None:
    """The one format the column's first non-blank value is written in, if
    it reads only one way and is not ISO 8601 (whose own error already names
    the first value it does not read)."""
    from cxaudit.dateformats import AmbiguousDates, infer_format

    values = table.frame[pos].str.strip()
    first = values[values != ""].iloc[:1]
    if not len(first):
        return None
    try:
        parse_moments(first, None)
        return None
    except DateParseError:
        pass
    try:
        return infer_format(first)
    except AmbiguousDates:
        return None


def _inferred(table: Table, pos: int, config: TableConfig) -> str | None:
    """The format a date column's values are written in (see
    :mod:`cxaudit.dateformats`); exit 2 when they read two ways."""
    from cxaudit.dateformats import AmbiguousDates, describe, infer_format

    try:
        return infer_format(table.frame[pos])
    except AmbiguousDates as exc:
        prefix = RECIPIENTS if config.name == RECIPIENTS else f"sources.{config.name}"
        readings = " or ".join(
            f"{describe(f)} ({r.strftime('%Y-%m-%d')})"
            for f, r in zip(exc.formats, exc.readings, strict=False)
        )
        first, last = (int(table.row_numbers[i]) for i in (0, -1))
        rows = f"row {first}" if first == last else f"rows {first}-{last}"
        raise CxauditError(
            f"{table.path}, column {column_name(table.header[pos])}: every date in {rows} "
            f"reads two ways, e.g. {exc.example!r} as {readings}; "
            f"set {prefix}.date_format: {exc.formats[0]!r} or {exc.formats[1]!r}"
        ) from None


def _refuse_repeated_header(table: Table) -> None:
    """A row that repeats the header is two exports joined end to end: as a
    recipient it would be sent to (or judged) as a person named "email"."""
    if not table.rows or not len(table.frame.columns):
        return

    def alike(pos: int) -> np.ndarray:  # the header's name, in any case
        cells = table.frame[pos].str.strip().str.casefold()
        return (cells == table.header[pos].strip().casefold()).to_numpy()

    same = alike(0)
    for pos in range(1, len(table.header)):
        if not same.any():
            return
        same = same & alike(pos)
    if same.any():
        raise CxauditError(
            f"{table.where(int(same.nonzero()[0][0]))}: repeats the header (files joined end "
            "to end?); remove the line, or pass the files as parts of one list (a folder)"
        )
