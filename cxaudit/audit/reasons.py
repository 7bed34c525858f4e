"""Human reasons: the sentence a marketer reads next to each suppressed row.

A rule's ``reason`` template is filled from the matched source row, ``count``
and the campaign; a rule without one gets a sentence built from its
conditions. Text composed here may quote customer-written data (a case
subject): outputs escape it for their format (:mod:`cxaudit.escaping`), and
personal fields are masked for outputs many people read.
"""

from __future__ import annotations

import string
from typing import Any

import numpy as np
import pandas as pd

from cxaudit.audit.prepare import LoadedTable
from cxaudit.dates import format_moments
from cxaudit.privacy import mask_many
from cxaudit.rules import RECIPIENTS, AnyOf, Campaign, Condition, Node, Ref, Rule


def _formatted(values: pd.Series, spec: str, conv: str | None) -> pd.Series:
    """``format(v, spec)`` (after ``!r``/``!s``), computed once per distinct value."""
    if not spec and not conv:
        return values.astype(str).astype(object)

    def one(v: Any) -> str:
        if isinstance(v, np.generic):  # a count: 3, not np.int64(3)
            v = v.item()
        if conv == "r":
            v = repr(v)
        elif conv in ("s", "a"):
            v = str(v) if conv == "s" else ascii(v)
        return format(v, spec)

    uniques = pd.unique(values)
    return values.map({u: one(u) for u in uniques}).astype(object)


def personal_fields(rule: Rule, table: LoadedTable | None) -> list[str]:
    """The fields ``rule``'s reason quotes that hold personal data."""
    if rule.reason is None or table is None:
        return []
    names = [name for _lit, name, _spec, _conv in string.Formatter().parse(rule.reason) if name]
    quoted = [n for n in names if n.split(".")[0] not in ("count", "campaign")]
    return [n for n in quoted if table.is_personal(n)]


def render_many(
    rule: Rule,
    table: LoadedTable | None,
    rows: np.ndarray,
    counts: np.ndarray,
    campaign: Campaign,
    masked: bool = False,
) -> np.ndarray:
    """The reason sentence for each match of ``rule``: ``rows`` are the
    evidence rows of ``table`` (-1: none), ``counts`` the matching rows.
    ``masked``: personal fields masked, for outputs many people read.

    Vectorised: one pass per template field, not one format call per row.
    """
    n = len(rows)
    if rule.reason is None:
        uniques = {int(c): describe(rule, campaign, int(c)) for c in np.unique(counts)}
        return pd.Series(counts).map(uniques).to_numpy(dtype=object)
    has_row = rows >= 0
    safe = np.where(has_row, rows, 0)
    attrs = {k: v or "" for k, v in campaign.as_dict().items()}
    out = pd.Series([""] * n, dtype=object)
    for literal, name, spec, conv in string.Formatter().parse(rule.reason):
        if literal:
            out = out + literal
        if name is None:
            continue
        root, _, attr = name.partition(".")
        if root == "count":
            part = _formatted(pd.Series(counts), spec or "", conv)
        elif root == "campaign":
            part = _formatted(pd.Series([attrs[attr]] * n, dtype=object), spec or "", conv)
        elif table is None or not n:
            part = pd.Series([""] * n, dtype=object)
        elif table.is_date(root) and spec:
            moments = table.moment(root).take(safe).reset_index(drop=True)
            part = format_moments(moments, spec)
        else:
            text = table.text(root).take(safe).reset_index(drop=True).astype(object)
            part = _formatted(text, spec or "", conv)
            if masked and table.is_personal(root):
                part = mask_many(part)
        if root not in ("count", "campaign"):
            part = part.where(has_row, "")
        out = out + part.reset_index(drop=True)
    return out.to_numpy(dtype=object)


# --------------------------------------------------------------------------
# Default sentences


def describe(rule: Rule, campaign: Campaign, count: int = 0) -> str:
    """A sentence for a rule without a ``reason``, from its conditions."""
    what = _conditions(rule.where, campaign)
    if rule.source == RECIPIENTS:
        sentence = f"recipient {what}" if what else "every recipient"
        if rule.match == "none":
            sentence = f"recipient does not satisfy: {what}" if what else "no recipient"
        return f"{sentence} (rule {rule.id})"
    where = f" where {what}" if what else ""
    if rule.match == "none":
        return f"no {rule.source} row{where} (rule {rule.id})"
    if rule.min_count > 1:
        return (
            f"{count} {rule.source} rows{where}, at least {rule.min_count} needed (rule {rule.id})"
        )
    return f"{rule.source} row{where} (rule {rule.id})"


def _conditions(nodes: tuple[Node, ...], campaign: Campaign) -> str:
    return " and ".join(_node(n, campaign) for n in nodes)


def _node(node: Node, campaign: Campaign) -> str:
    if isinstance(node, AnyOf):
        return "(" + " or ".join(_conditions(opt, campaign) for opt in node.options) + ")"
    return f"{node.field} {_phrase(node, campaign)}"


def _value(value: Any, campaign: Campaign) -> str:
    if isinstance(value, Ref):
        if value.scope == "campaign":
            return f"the campaign {value.name} {campaign.get(value.name)!r}"
        return f"the recipient's {value.name}"
    if isinstance(value, pd.Timestamp):
        return value.isoformat().replace("+00:00", "Z")
    return repr(value) if isinstance(value, str) else str(value)


def _phrase(cond: Condition, campaign: Campaign) -> str:
    op, value = cond.op, cond.value
    if op in ("in", "not_in"):
        listed = ", ".join(value)
        return f"is one of {listed}" if op == "in" else f"is none of {listed}"
    if op == "matches":
        return f"matches /{value.pattern}/"
    if op == "empty":
        return "is empty" if value else "is not empty"
    if op == "within_days":
        return f"is within the last {value:g} days"
    if op == "older_than_days":
        return f"is more than {value:g} days ago"
    words = {
        "equals": "is",
        "not_equals": "is not",
        "contains": "contains",
        "gt": ">",
        "gte": ">=",
        "lt": "<",
        "lte": "<=",
        "before": "is before",
        "after": "is after",
    }
    return f"{words[op]} {_value(value, campaign)}"
