"""A rule's ``where:`` parsed into conditions: operators, their values,
``$campaign.X`` / ``$recipient.COLUMN`` references, ``any:`` groups, each
checked against the fields of the rule's table."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from cxaudit.dates import MAX_DAYS, OutOfRange, parse_instant
from cxaudit.regexes import Unsupported, compile_regex, shown
from cxaudit.rules.model import (
    CAMPAIGN_FIELDS,
    DATE_OPS,
    DAYS_OPS,
    INSTANT_OPS,
    LIST_OPS,
    NUMBER_OPS,
    OPERATORS,
    RECIPIENTS,
    TEXT_OPS,
    AnyOf,
    Condition,
    Node,
    PendingColumn,
    Ref,
    TableConfig,
)
from cxaudit.rules.problems import _key_text, _Problems, _suggest
from cxaudit.rules.yamlsafe import Path_

_REF = re.compile(r"^\$(campaign|recipient)\.(.*)$", re.DOTALL)


@dataclass
class _RuleContext:
    rule_id: str
    table: TableConfig
    recipients: TableConfig
    problems: _Problems
    pending: list[PendingColumn]

    @property
    def on_recipients(self) -> bool:
        return self.table.name == RECIPIENTS

    def fields(self, table: TableConfig) -> list[str]:
        return table.fields

    def check_field(self, name: str, path: Path_) -> bool:
        if name in self.fields(self.table):
            return True
        if self.on_recipients:
            self.pending.append(
                PendingColumn(name, self.rule_id, _key_text(path[2:]), _line(self, path))
            )
            return True
        self.problems.add(
            path,
            f"unknown field {name!r} for source {self.table.name!r}"
            f"{_suggest(name, self.fields(self.table))}; fields are "
            f"{', '.join(self.fields(self.table))} "
            f"(map more under sources.{self.table.name}.columns)",
            self.rule_id,
        )
        return False

    def check_recipient_ref(self, name: str, path: Path_) -> None:
        if name not in self.fields(self.recipients):
            self.pending.append(
                PendingColumn(name, self.rule_id, _key_text(path[2:]), _line(self, path))
            )

    def is_date(self, table: TableConfig, name: str) -> bool:
        return name in table.dates


def _line(ctx: _RuleContext, path: Path_) -> int | None:
    return ctx.problems.lines.line(path)


def _parse_where(where: Any, path: Path_, ctx: _RuleContext) -> tuple[Node, ...]:
    if not isinstance(where, dict):
        ctx.problems.add(path, "must be a mapping of `field: {operator: value}`", ctx.rule_id)
        return ()
    nodes: list[Node] = []
    for fname, spec in where.items():
        fpath = (*path, fname)
        if fname == "any":
            if not isinstance(spec, list) or not spec:
                ctx.problems.add(
                    fpath,
                    "`any:` takes a non-empty list of `field: {operator: value}` mappings",
                    ctx.rule_id,
                )
                continue
            options = tuple(_parse_where(opt, (*fpath, i), ctx) for i, opt in enumerate(spec))
            nodes.append(AnyOf(options, ctx.problems.lines.line(fpath)))
            continue
        if not isinstance(fname, str):
            ctx.problems.add(fpath, f"field name {fname!r} must be text", ctx.rule_id)
            continue
        known = ctx.check_field(fname, fpath)
        if not isinstance(spec, dict) or not spec:
            ctx.problems.add(
                fpath,
                f"write the condition as `{fname}: {{operator: value}}`, "
                f"e.g. `{fname}: {{equals: {spec!r}}}`",
                ctx.rule_id,
            )
            continue
        for op, value in spec.items():
            cond = _parse_condition(fname, op, value, (*fpath, op), ctx, known)
            if cond is not None:
                nodes.append(cond)
    return tuple(nodes)


def _text_value(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


def _parse_ref(value: Any, path: Path_, ctx: _RuleContext) -> Ref | None:
    if not isinstance(value, str):
        return None
    m = _REF.match(value.strip())
    if not m:
        return None
    scope, name = m.group(1), m.group(2)
    if scope == "campaign":
        if name not in CAMPAIGN_FIELDS:
            ctx.problems.add(
                path,
                f"unknown reference {value!r}{_suggest(name, CAMPAIGN_FIELDS)}; "
                "campaign references are $campaign.type, $campaign.channel, $campaign.offer",
                ctx.rule_id,
            )
        return Ref("campaign", name)
    if not name:
        ctx.problems.add(path, "`$recipient.` needs a column name after the dot", ctx.rule_id)
    else:
        ctx.check_recipient_ref(name, path)
    return Ref("recipient", name)


def _parse_condition(
    fname: str, op: Any, value: Any, path: Path_, ctx: _RuleContext, known: bool
) -> Condition | None:
    line = ctx.problems.lines.line(path)
    bad = len(ctx.problems.items)

    def problem(msg: str) -> None:
        ctx.problems.add(path, msg, ctx.rule_id)

    if op not in OPERATORS:
        problem(
            f"unknown operator {op!r}{_suggest(str(op), OPERATORS)}; operators are "
            f"{', '.join(OPERATORS)}"
        )
        return None
    ref = _parse_ref(value, path, ctx)
    is_date_field = known and ctx.is_date(ctx.table, fname)
    if op in DATE_OPS and known and not is_date_field:
        where = RECIPIENTS if ctx.on_recipients else f"sources.{ctx.table.name}"
        problem(f"{op} needs a date field; list {fname!r} under {where}.dates")
    if op in TEXT_OPS:
        if ref is None and _text_value(value) is None:
            problem(f"{op} takes one text value (use `empty: true` for blank cells)")
    elif op in LIST_OPS:
        if not isinstance(value, list) or not value:
            problem(f"{op} takes a non-empty list, e.g. `{op}: [open, pending]`")
        elif any(_text_value(v) is None for v in value):
            problem(f"{op} takes a list of text values")
        elif any(isinstance(v, str) and _REF.match(v.strip()) for v in value):
            problem(f"references are not allowed inside {op} lists; use `any:` with equals")
        else:
            folded = (str(_text_value(v)).strip().lower() for v in value)
            value = tuple(dict.fromkeys(folded))
    elif op == "matches":
        if ref is not None or not isinstance(value, str):
            problem("matches takes one regular expression as text")
        else:
            try:
                value = compile_regex(value.strip())
            except (re.error, OverflowError) as exc:
                # OverflowError: a repeat count above 4294967294, like a{4294967296}
                problem(f"invalid regular expression {shown(value)}: {exc}")
            except RecursionError:
                problem(
                    f"invalid regular expression {value[:40]!r}...: its groups are nested too "
                    "deeply to compile; simplify it"
                )
            except Unsupported as exc:
                problem(f"regular expression {shown(value)} {exc}")
    elif op == "empty":
        if not isinstance(value, bool):
            problem("empty takes true or false")
    elif op in NUMBER_OPS:
        if ref is not None and ref.scope == "campaign":
            problem(f"{op} compares numbers; campaign attributes are labels")
        elif ref is None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            problem(f"{op} takes a number, e.g. `{op}: 3`")
        elif ref is None and not _finite(value):
            problem(
                f"{op} takes a finite number, e.g. `{op}: 3`; .inf, .nan and numbers past "
                "1.7e308 compare with nothing"
            )
    elif op in DAYS_OPS:
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not 0 <= value <= MAX_DAYS  # also false for .nan
        ):
            problem(
                f"{op} takes a number of days from 0 to {MAX_DAYS} (years 1 to 9999), "
                f"e.g. `{op}: 14`"
            )
    elif op in INSTANT_OPS:
        if ref is not None:
            if ref.scope == "campaign":
                problem(f"{op} compares dates; campaign attributes are labels")
            elif ref.name not in ctx.recipients.dates:
                problem(
                    f"{op} {value!r} needs a recipient date field; map it under "
                    "recipients.columns and list it in recipients.dates"
                )
        elif not isinstance(value, str):
            problem(f"{op} takes a date like 2026-11-01 or 2026-11-01T09:00:00Z")
        else:
            try:
                value = parse_instant(value)
            except OutOfRange as exc:
                problem(
                    f"{value!r} is {exc.moment} in UTC, outside the years 0001 to 9999; "
                    "give a date inside them"
                )
            except ValueError:
                problem(f"{value!r} is not a date; write 2026-11-01 or 2026-11-01T09:00:00Z")
    if len(ctx.problems.items) > bad:
        return None
    return Condition(fname, op, ref if ref is not None else value, line)


def _finite(value: float) -> bool:
    """Whether a YAML number is one a float comparison can use (an integer
    of 400 digits is too large for a float)."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False
