"""The date formats a table's values showed: fixed for every later chunk,
part and worker once a chunk holds a date of a column, and said in the log,
in ``validate`` and in report.json."""

from __future__ import annotations

from dataclasses import replace

from cxaudit.audit.columns import (
    column_name,
)
from cxaudit.audit.prepare import LoadedTable
from cxaudit.rules import RECIPIENTS, RuleSet, TableConfig


def formats_by_column(table: LoadedTable, formats: dict[str, str]) -> dict[str, str]:
    """Field -> format as column header -> format, in the rules' order of the
    dates (not the order chunks happened to show them in: report bytes must
    not depend on it)."""
    return {
        table.table.header[table.column_of(name)]: formats[name]
        for name in table.config.dates
        if name in formats
    }


def format_lines(by_column: dict[str, str]) -> list[str]:
    """One line per date column whose format was read from its values, for
    the log and ``validate``: which reading won."""
    from cxaudit.dateformats import describe

    return [
        f"column {column_name(column)}: dates read as {fmt!r} ({describe(fmt)}), from its values"
        for column, fmt in by_column.items()
    ]


def fix_formats(config: TableConfig, table: LoadedTable) -> TableConfig:
    """``config`` with the formats ``table`` (one chunk or part) read its
    date columns in fixed for every later one: a column is read in the
    format of the first chunk that holds a date of it, however the file is
    cut, instead of each chunk guessing again from its own rows."""
    fixed = {**table.used_formats, **config.fixed_formats}
    inferred = {**table.date_formats, **config.column_formats}
    if fixed == config.fixed_formats and inferred == config.column_formats:
        return config
    return replace(config, fixed_formats=fixed, column_formats=inferred)


def unfixed_dates(config: TableConfig, table: LoadedTable) -> bool:
    """Whether a date column of ``table`` has not shown its format yet."""
    return any(n in table.field_columns and n not in config.fixed_formats for n in config.dates)


def with_date_formats(rules: RuleSet, table: LoadedTable) -> RuleSet:
    """``rules`` with :func:`fix_formats` applied to ``table``'s table."""
    config = fix_formats(table.config, table)
    if config is table.config:
        return rules
    if config.name == RECIPIENTS:
        return replace(rules, recipients=config)
    return replace(rules, sources={**rules.sources, config.name: config})
