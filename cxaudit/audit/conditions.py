"""Vectorised evaluation of a rule's ``where`` over many rows at once.

A :class:`Scope` is the set of rows being tested: all rows of one table, or
(for rules that compare with ``$recipient.X``) pairs of source row and
recipient row produced by the identity join. Each condition becomes one
boolean array; no per-row Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cxaudit.audit.prepare import LoadedTable
from cxaudit.dates import days_before
from cxaudit.identity import arrow_text
from cxaudit.rules import AnyOf, Campaign, Condition, Node, Ref


@dataclass
class Scope:
    """Rows of ``table`` (positions ``rows``, or all when None); when
    ``recipient_rows`` is set, row i is paired with that recipient row."""

    table: LoadedTable
    campaign: Campaign
    as_of: pd.Timestamp
    rule_id: str
    rows: np.ndarray | None = None
    recipients: LoadedTable | None = None
    recipient_rows: np.ndarray | None = None
    _cache: dict[tuple[str, str], pd.Series] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.table) if self.rows is None else len(self.rows)

    def _take(self, series: pd.Series, rows: np.ndarray | None) -> pd.Series:
        if rows is None:
            return series.reset_index(drop=True)
        return series.take(rows).reset_index(drop=True)

    def get(self, kind: str, name: str, recipient: bool = False) -> pd.Series:
        key = (kind + ("@r" if recipient else ""), name)
        if key not in self._cache:
            table = self.recipients if recipient else self.table
            assert table is not None
            rows = self.recipient_rows if recipient else self.rows
            if kind == "text":
                raw = table.text(name)
            elif kind == "folded":
                raw = table.text(name).str.strip().str.lower()
            elif kind == "moment":
                raw = table.moment(name)
            else:
                raw = table.number(name, f"rule {self.rule_id!r}")
            self._cache[key] = self._take(raw, rows)
        return self._cache[key]


def evaluate(nodes: tuple[Node, ...] | list[Node], scope: Scope) -> np.ndarray:
    """Boolean array: which rows of ``scope`` satisfy every node."""
    mask = np.ones(len(scope), dtype=bool)
    for node in nodes:
        mask &= _node(node, scope)
        if not mask.any():
            break
    return mask


def _node(node: Node, scope: Scope) -> np.ndarray:
    if isinstance(node, AnyOf):
        out = np.zeros(len(scope), dtype=bool)
        for option in node.options:
            out |= evaluate(option, scope)
        return out
    return _condition(node, scope)


def _bools(values: pd.Series | np.ndarray) -> np.ndarray:
    if isinstance(values, pd.Series):
        return values.fillna(False).to_numpy(dtype=bool)
    return np.asarray(values, dtype=bool)


def _operand(cond: Condition, scope: Scope, kind: str) -> tuple[object, np.ndarray | None]:
    """The value to compare with, and a mask of rows where it is set.

    A reference that is unset or empty makes the condition false: no
    `--offer` means "offer-for-troubled-product" cannot hold.
    """
    value = cond.value
    if not isinstance(value, Ref):
        return value, None
    if value.scope == "campaign":
        resolved = scope.campaign.get(value.name)
        if resolved is None:
            return None, np.zeros(len(scope), dtype=bool)
        return (resolved.strip().lower() if kind == "folded" else resolved), None
    series = scope.get(kind, value.name, recipient=True)
    if kind in ("folded", "text"):
        present = _bools(series.str.strip() != "")
    else:
        present = _bools(series.notna())
    return series, present


def _condition(cond: Condition, scope: Scope) -> np.ndarray:
    op = cond.op
    if op in ("equals", "not_equals", "contains"):
        other, present = _operand(cond, scope, "folded")
        if present is not None and not present.any():
            return present
        mine = scope.get("folded", cond.field)
        if not isinstance(other, pd.Series):
            other = str(other).strip().lower()
        if op == "equals":
            result = _bools(mine == other)
        elif op == "not_equals":
            result = _bools(mine != other)
        elif isinstance(other, pd.Series):
            result = np.fromiter(
                (b in a for a, b in zip(mine, other, strict=True)), dtype=bool, count=len(mine)
            )
        else:
            result = _bools(mine.str.contains(other, regex=False))
        return result if present is None else result & present
    if op in ("in", "not_in"):
        hit = _bools(scope.get("folded", cond.field).isin(list(cond.value)))
        return hit if op == "in" else ~hit
    if op == "matches":  # RE2, linear in the cell: see cxaudit.regexes
        return cond.value.search(arrow_text(scope.get("text", cond.field).str.strip()))
    if op == "empty":
        blank = _bools(scope.get("text", cond.field).str.strip() == "")
        return blank if cond.value else ~blank
    if op in ("gt", "gte", "lt", "lte"):
        other, present = _operand(cond, scope, "number")
        mine = scope.get("number", cond.field)
        if isinstance(other, pd.Series):
            other_values: object = other.to_numpy()
        else:
            other_values = float(other)  # type: ignore[arg-type]
        values = mine.to_numpy()
        with np.errstate(invalid="ignore"):
            result = {
                "gt": values > other_values,
                "gte": values >= other_values,
                "lt": values < other_values,
                "lte": values <= other_values,
            }[op]
        result = np.asarray(result, dtype=bool)
        return result if present is None else result & present
    moment = scope.get("moment", cond.field)
    if op == "within_days":
        start = days_before(scope.as_of, cond.value)
        return _bools((moment >= start) & (moment <= scope.as_of))
    if op == "older_than_days":
        return _bools(moment < days_before(scope.as_of, cond.value))
    if op in ("before", "after"):
        other, present = _operand(cond, scope, "moment")
        if isinstance(other, pd.Series):
            other = other.to_numpy()
        result = _bools(moment < other) if op == "before" else _bools(moment > other)
        return result if present is None else result & present
    raise AssertionError(f"operator {op!r} has no evaluator")
