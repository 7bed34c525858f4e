"""Rule health: which applicable rules cannot fire at all on these files.

A rule whose source is a header only, whose compared column is blank in
every row, or whose date window ends before the first date its source holds
(a ``send_at`` copied from last year's campaign) matches nobody; read as
"applicable and matched nobody" it would make a degraded run look clean.
Such a rule is *inert*: report.json lists it with why, every output shows
it and ``--strict`` fails the run.

What a rule needs to be judged is gathered as the tables stream past
(:class:`Profile`: which fields have any value, each date field's earliest
and latest moment), so the verdict costs no second read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa

from cxaudit.dates import days_before, iso
from cxaudit.rules import RECIPIENTS, AnyOf, Condition, Node, Ref, Rule


@dataclass
class Profile:
    """A table's fields as rule health sees them, added up chunk by chunk:
    which have a non-blank value in any row (``filled``) and, for date
    fields, the earliest and latest moment."""

    rows: int = 0
    filled: set[str] = field(default_factory=set)
    earliest: dict[str, pd.Timestamp] = field(default_factory=dict)
    latest: dict[str, pd.Timestamp] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)  # field -> its column's header

    def add(self, chunk, fields: Iterable[str]) -> None:
        """One chunk (a :class:`~cxaudit.audit.prepare.LoadedTable`): a field
        known to be filled is not looked at again unless it is a date."""
        self.rows += len(chunk)
        for name in fields:
            if name not in self.columns:
                try:
                    self.columns[name] = chunk.table.header[chunk.column_of(name)]
                except KeyError:
                    if not chunk.has_field(name):
                        continue  # a column this table lacks: checked where it is read
                    self.columns[name] = name
            if chunk.is_date(name):
                moments = chunk.moment(name)
                lo, hi = moments.min(), moments.max()
                if pd.isna(lo):
                    continue
                self.filled.add(name)
                self._widen(name, lo, hi)
            elif name not in self.filled and (chunk.text(name).str.strip() != "").any():
                self.filled.add(name)

    def _widen(self, name: str, lo: pd.Timestamp, hi: pd.Timestamp) -> None:
        if name not in self.earliest or lo < self.earliest[name]:
            self.earliest[name] = lo
        if name not in self.latest or hi > self.latest[name]:
            self.latest[name] = hi

    def merge(self, other: Profile) -> None:
        """Add the profile of the rows that follow (the next part)."""
        self.rows += other.rows
        self.filled |= other.filled
        for name, header in other.columns.items():
            self.columns.setdefault(name, header)
        for name, lo in other.earliest.items():
            self._widen(name, lo, other.latest[name])


def source_fields(rules: Iterable[Rule], source: str) -> set[str]:
    """The fields of ``source`` that the conditions of ``rules`` compare."""
    return {c.field for r in rules if r.source == source for c in r.conditions()}


def list_fields(rules: Iterable[Rule]) -> set[str]:
    """The list's fields the rules compare: those of rules on the list
    itself and every ``$recipient.X`` a condition names."""
    rules = list(rules)
    refs = {
        c.value.name
        for r in rules
        for c in r.conditions()
        if isinstance(c.value, Ref) and c.value.scope == "recipient"
    }
    return source_fields(rules, RECIPIENTS) | refs


@dataclass(frozen=True)
class Profiled:
    """One table as rule health needs it: its name in messages and its profile."""

    label: str  # "cases.csv" or "the list (campaign.csv)"
    profile: Profile


def inert_rules(
    rules: Iterable[Rule],
    tables: dict[str, Profiled],
    as_of: pd.Timestamp,
) -> dict[str, str]:
    """Rule id -> why it cannot match anyone, for each of ``rules`` that
    cannot. ``tables`` maps each source name (and ``recipients``, the list)
    to its profile. Only ``match: any`` rules are judged: a ``match: none``
    rule whose conditions cannot hold holds for everyone, loudly."""
    out: dict[str, str] = {}
    listed = tables[RECIPIENTS]
    if not listed.profile.rows:
        return out  # a header-only list is its own warning: every rule would be inert
    for rule in rules:
        if rule.match != "any" or rule.source not in tables:
            continue
        source = tables[rule.source]
        why = _why(rule, source, listed, as_of)
        if why is not None:
            out[rule.id] = why
    return out


def _why(rule: Rule, source: Profiled, listed: Profiled, as_of: pd.Timestamp) -> str | None:
    rows = source.profile.rows
    if not rows:
        return f"{source.label} has no rows (a header only)"
    if rule.min_count > rows:
        return f"it needs {rule.min_count:,} rows of one person, and {source.label} has {rows:,}"
    return _nodes(rule.where, source, listed, as_of)


def _nodes(nodes: tuple[Node, ...], source: Profiled, listed: Profiled, as_of) -> str | None:
    """Why an AND of ``nodes`` can never hold, or None when it may."""
    for node in nodes:
        if isinstance(node, AnyOf):
            whys = [_nodes(option, source, listed, as_of) for option in node.options]
            if all(w is not None for w in whys):
                return "no option of its any: can hold (" + "; ".join(map(str, whys)) + ")"
            continue
        why = _condition(node, source, listed, as_of)
        if why is not None:
            return why
    return None


def _column(table: Profiled, name: str) -> str:
    header = table.profile.columns.get(name, name)
    return name if header == name else f"{name} (column {header!r})"


def _condition(cond: Condition, source: Profiled, listed: Profiled, as_of) -> str | None:
    value = cond.value
    if (
        isinstance(value, Ref)
        and value.scope == "recipient"
        and value.name in listed.profile.columns
        and value.name not in listed.profile.filled
    ):
        return (
            f"it compares {cond.field} with $recipient.{value.name}, and "
            f"{_column(listed, value.name)} is blank in every row of {listed.label}"
        )
    if cond.field not in source.profile.columns:
        return None  # not a column of this table: the read itself says so
    if cond.field not in source.profile.filled:
        if _holds_on_blank(cond):
            return None
        return (
            f"{cond.field} {cond.op}: {_shown(value)} cannot hold, and "
            f"{_column(source, cond.field)} is blank in every row of {source.label}"
        )
    return _window(cond, source, listed, as_of)


def _shown(value: object) -> str:
    if isinstance(value, pd.Timestamp):
        return iso(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(value) + "]"
    return str(getattr(value, "pattern", value))


def _holds_on_blank(cond: Condition) -> bool:
    """Whether ``cond`` holds on a blank cell (as :mod:`cxaudit.audit.conditions`
    judges one): ``empty: true``, ``not_equals: x``, ``not_in`` without a
    blank, a pattern that matches nothing. No number or date is blank."""
    op, value = cond.op, cond.value
    if isinstance(value, Ref):
        return op == "not_equals"  # a blank cell differs from a set reference
    text = str(value).strip().lower() if op in ("equals", "not_equals", "contains") else ""
    if op in ("equals", "contains"):
        return text == ""
    if op == "not_equals":
        return text != ""
    if op == "in":
        return "" in value
    if op == "not_in":
        return "" not in value
    if op == "matches":
        return bool(value.search(pa.array([""], pa.large_string()))[0])
    if op == "empty":
        return bool(value)
    return False


def _days(value: float) -> str:
    """A number of days as written: 14, 3,652,058, 0.5."""
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


def _window(cond: Condition, source: Profiled, listed: Profiled, as_of) -> str | None:
    """Why a date condition cannot hold: the window it asks for ends before
    the first date the column holds (a moment judged in the past, a stale
    ``send_at``). Data that ends before the window begins is a quiet
    period, not a broken run, so it is not judged here."""
    name = cond.field
    if name not in source.profile.earliest:
        return None
    lo, hi = source.profile.earliest[name], source.profile.latest[name]
    column = f"{_column(source, name)} in {source.label}"
    span = f"its dates run from {iso(lo)} to {iso(hi)}"
    op, value = cond.op, cond.value
    if op == "within_days" and lo > as_of:
        return (
            f"{name} within_days: {_days(value)} looks back from {iso(as_of)}, the moment judged, "
            f"which is before every date of {column} ({span}); check --as-of or send_at"
        )
    if op == "older_than_days":
        cutoff = days_before(as_of, value)
        if lo >= cutoff:
            before = iso(cutoff) if cutoff.year >= 1 else "the year 1, earlier than any date"
            return (
                f"{name} older_than_days: {_days(value)} needs a date before {before}, and every "
                f"date of {column} is later ({span}); check --as-of or send_at, and that "
                "the export reaches back far enough"
            )
    if op == "before" and isinstance(value, Ref):
        ref = value.name
        if ref in listed.profile.latest and lo >= listed.profile.latest[ref]:
            return (
                f"{name} before: $recipient.{ref} cannot hold: every date of {column} is on "
                f"or after every {_column(listed, ref)} of {listed.label}"
            )
    elif op == "before" and lo >= value:
        return f"{name} before: {iso(value)} cannot hold: {span} ({column})"
    return None
