"""What the rules need from a table once its header is known: every field a
rule uses has a column (a preset maps columns an export may lack), the list
has the raw columns rules name, and which key columns a list skipped."""

from __future__ import annotations

from collections.abc import Iterable

from cxaudit.audit.columns import column_candidates, columns_list
from cxaudit.audit.prepare import LoadedTable
from cxaudit.errors import CxauditError
from cxaudit.rules import RECIPIENTS, Rule, RuleSet


def skipped_keys(table: LoadedTable) -> list[str]:
    """Identity keys the rules file maps for the list whose column this list
    lacks (an email-only export under a rules file that also maps
    customer_id): those keys are not used for it."""
    keys, config = table.config.keys or {}, table.config
    if table.name != RECIPIENTS:
        return []
    return [k for k in keys if k not in table.field_columns and k not in config.optional]


def check_recipient_columns(
    rules: RuleSet, recipients: LoadedTable, used: set[str] | None = None
) -> None:
    """Rules may name raw campaign columns; now that the header is known,
    make sure each exists (a typo would otherwise silently match nothing).
    ``used``: the list's fields the rules compare; a mapped one (a preset's
    `accepts_sms_marketing`) whose column the file lacks is an error too."""
    mapped = {f for f in used or () if f in recipients.config.fields}
    problems = missing_fields({RECIPIENTS: recipients}, {RECIPIENTS: mapped})
    if problems:
        raise CxauditError(problems[0], details=problems)
    for pending in rules.pending_columns:
        if pending.column in recipients.field_columns:
            continue
        if recipients.table.find_column(pending.column) is None:
            at = f"{rules.path}:{pending.line}" if pending.line else str(rules.path)
            shown = columns_list(recipients.table.header)
            raise CxauditError(
                f"{at}: rule {pending.rule_id!r}, {pending.key}: the campaign file "
                f"{recipients.path} has no column {pending.column!r}; its columns are {shown}"
            )
    added = ("cxaudit_row", "cxaudit_rules", "cxaudit_reasons")  # the columns cxaudit adds
    reserved = [h for h in recipients.table.header if h in added]
    if reserved:
        raise CxauditError(
            f"{recipients.path}: already has a {reserved[0]!r} column; is it a suppressed.csv "
            "from an earlier run? Audit the original campaign list (or cleaned.csv) instead"
        )


def check_fields_available(
    rules: RuleSet, sources: dict[str, LoadedTable], used: dict[str, set[str]]
) -> None:
    """A preset maps columns an export may lack; a rule that needs one of
    them must fail loudly rather than never match."""
    problems = missing_fields(sources, used)
    if problems:
        raise CxauditError(problems[0], details=problems)


def missing_fields(sources: dict[str, LoadedTable], used: dict[str, set[str]]) -> list[str]:
    """One message per field the rules use that its source's file has no
    column for (``validate`` lists them all; audit stops at the first)."""
    problems: list[str] = []
    for name, fields in used.items():
        table = sources.get(name)
        if table is None:
            continue
        for f in sorted(fields):
            if table.has_field(f):
                continue
            config = table.config
            by = f" (preset {config.preset})" if config.preset else ""
            whose = "the list" if name == RECIPIENTS else f"source {name!r}"
            under = RECIPIENTS if name == RECIPIENTS else f"sources.{name}"
            if f in config.derive:
                src = config.derive[f][0]
                missing = (
                    f"field {f!r} of {whose}, which is derived from its field {src!r}, "
                    f"but the file has none of {src}'s columns {column_candidates(config, src)}{by}"
                )
            else:
                missing = (
                    f"field {f!r} of {whose}, but the file has none of its columns "
                    f"{column_candidates(config, f)}{by}"
                )
            problems.append(
                f"{table.path}: the rules use {missing}; add the column to the export or map "
                f"{f} under {under}.columns; the file's columns are "
                f"{columns_list(table.table.header)}"
            )
    return problems


def fields_by_source(rules: Iterable[Rule]) -> dict[str, set[str]]:
    """Per source (``recipients`` included), the fields ``rules`` read."""
    used: dict[str, set[str]] = {}
    for rule in rules:
        used.setdefault(rule.source, set()).update(rule.fields())
    return used
