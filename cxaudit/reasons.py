"""Human reasons: the sentence a marketer reads next to each suppressed row.

A rule's ``reason`` template is filled from the matched source row, ``count``
and the campaign; a rule without one gets a sentence built from its
conditions. Text composed here may quote customer-written data (a case
subject), so :func:`defuse` neutralises what a spreadsheet would run as a
formula before it goes into a CSV cell or a Markdown table.
"""

from __future__ import annotations

import string
from typing import Any

import pandas as pd

from cxaudit.rules import RECIPIENTS, AnyOf, Campaign, Condition, Node, Ref, Rule
from cxaudit.sources import LoadedTable

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def defuse(text: str) -> str:
    """Prefix a `'` to text a spreadsheet would treat as a formula."""
    return "'" + text if text.startswith(_FORMULA_START) else text


class _Moment:
    """A date field in a template: the raw text, or ``{f:%Y-%m-%d}`` formatted."""

    def __init__(self, raw: str, parsed: Any) -> None:
        self.raw, self.parsed = raw, parsed

    def __format__(self, spec: str) -> str:
        if not spec:
            return self.raw
        return "" if pd.isna(self.parsed) else format(self.parsed, spec)


class _Attrs:
    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


def template_fields(template: str) -> list[str]:
    """Root names used by ``template`` (``closed_at`` for ``{closed_at:%Y}``)."""
    roots = []
    for _literal, name, _spec, _conv in string.Formatter().parse(template):
        if name is not None:
            roots.append(name.partition(".")[0])
    return list(dict.fromkeys(roots))


def render(rule: Rule, table: LoadedTable | None, row: int, count: int, campaign: Campaign) -> str:
    """The reason sentence for ``rule`` matched via ``table`` row ``row``."""
    if rule.reason is None:
        return describe(rule, campaign, count)
    values: dict[str, Any] = {
        "count": count,
        "campaign": _Attrs({k: v or "" for k, v in campaign.as_dict().items()}),
    }
    for name in template_fields(rule.reason):
        if name in values or table is None or row < 0:
            continue
        raw = str(table.text(name).iloc[row])
        values[name] = _Moment(raw, table.moment(name).iloc[row]) if table.is_date(name) else raw
    return string.Formatter().vformat(rule.reason, (), _Blank(values))


class _Blank(dict[str, Any]):
    """Fields a row cannot fill (a `match: none` rule) render as empty."""

    def __missing__(self, key: str) -> str:
        return ""


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
