"""Who is kept, who is suppressed, and the words that say why.

Turns the rule hits of :mod:`cxaudit.audit.matching` into one decision per
recipient: ``allow`` beats ``suppress`` beats ``flag``; unverifiable and
duplicate rows are decided before any rule. Reasons are rendered once per
distinct (rule, evidence row, count), not once per recipient.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cxaudit.audit.prepare import LoadedTable
from cxaudit.audit.reasons import personal_fields, render_many
from cxaudit.escaping import spreadsheet
from cxaudit.privacy import mask_inside_many
from cxaudit.rules import RECIPIENTS, Campaign, Rule

UNVERIFIABLE = "cxaudit:unverifiable"
DUPLICATE = "cxaudit:duplicate"
DUPLICATE_ORDER = 1 << 30  # listed after every rule of the rules file
UNVERIFIABLE_REASON = "no usable customer_id, email or phone, so it cannot be checked"


@dataclass
class Outcome:
    """Per recipient row (positions in the campaign table) and per rule."""

    suppressed: np.ndarray
    flagged: np.ndarray
    rules_cell: np.ndarray
    reasons_cell: np.ndarray
    by_rule: dict[str, int]
    # row, rule_id, effect, reason (plain, not defused) and shared (the reason
    # with personal fields masked, for outputs many people read)
    effects: pd.DataFrame
    # flagged.csv's cells: the flag rules that matched a kept row and their
    # reasons, joined like rules_cell and reasons_cell ("" for other rows)
    flag_rules_cell: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    flag_reasons_cell: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))

    @property
    def kept(self) -> np.ndarray:
        return ~self.suppressed


def decide(
    hits: pd.DataFrame,
    rules: list[Rule],
    recipients: LoadedTable,
    sources: dict[str, LoadedTable],
    campaign: Campaign,
    unverifiable: np.ndarray,
    duplicate_of: np.ndarray,
    duplicate_via: np.ndarray,
    duplicate_through: np.ndarray | None = None,
    linked: LoadedTable | None = None,
    region: str = "US",
) -> Outcome:
    """``duplicate_of`` holds, per row, the row number of its person's first
    row when it is a later row of that person (-1 otherwise),
    ``duplicate_via`` the key that links it and ``duplicate_through`` the row
    number it shares that key with. Hits whose ``linked`` column is set are
    a person's, and a recipients rule's evidence row is in ``linked``."""
    n = len(recipients)
    by_order = {r.order: r for r in rules}
    action = _per_rule(by_order, "action")[hits["rule"].to_numpy()]
    rows = hits["row"].to_numpy()

    allowed = np.zeros(n, dtype=bool)
    allowed[rows[action == "allow"]] = True
    had_suppress = np.zeros(n, dtype=bool)
    had_suppress[rows[action == "suppress"]] = True

    effective_suppress = (action == "suppress") & ~allowed[rows]
    suppressed = np.zeros(n, dtype=bool)
    suppressed[rows[effective_suppress]] = True
    is_duplicate = duplicate_of >= 0
    suppressed |= unverifiable | is_duplicate
    effective_flag = (action == "flag") & ~suppressed[rows]
    effective_allow = (action == "allow") & had_suppress[rows]
    flagged = np.zeros(n, dtype=bool)
    flagged[rows[effective_flag]] = True

    effect = np.full(len(hits), "", dtype=object)
    effect[effective_suppress] = "suppress"
    effect[effective_flag] = "flag"
    effect[effective_allow] = "allow"
    used = hits[effect != ""].copy()
    used["effect"] = effect[effect != ""]
    used["rule_id"] = _per_rule(by_order, "id")[used["rule"].to_numpy()]
    used["reason"] = _reasons(used, by_order, recipients, sources, campaign, False, linked)
    shared = _reasons(used, by_order, recipients, sources, campaign, True, linked)
    used["shared"] = mask_inside_many(shared, region)  # an email or phone in a quoted subject

    if duplicate_through is None:
        duplicate_through = duplicate_of
    special = _special_rows(unverifiable, duplicate_of, duplicate_via, duplicate_through)
    effects = pd.concat(
        [used[["row", "rule", "rule_id", "effect", "reason", "shared"]], special],
        ignore_index=True,
    ).sort_values(["row", "rule"], kind="stable")

    removing = effects[effects["effect"].isin(["suppress", "unverifiable", "duplicate"])]
    rules_cell, reasons_cell = _cells(n, removing)
    flag_rules_cell, flag_reasons_cell = _cells(n, effects[effects["effect"] == "flag"])

    by_rule: dict[str, int] = {}
    counts = effects.groupby("rule_id")["row"].nunique()
    for rule in rules:
        by_rule[rule.id] = int(counts.get(rule.id, 0))
    by_rule[UNVERIFIABLE] = int(unverifiable.sum())
    by_rule[DUPLICATE] = int(is_duplicate.sum())
    return Outcome(
        suppressed,
        flagged,
        rules_cell,
        reasons_cell,
        by_rule,
        effects,
        flag_rules_cell,
        flag_reasons_cell,
    )


def _cells(n: int, part: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The ``cxaudit_rules`` and ``cxaudit_reasons`` cells of ``n`` rows from
    ``part`` (effects in row, rule order): ids ``;``-joined, reasons (defused
    for spreadsheets) ``; ``-joined, "" for rows without any."""
    rules_cell = np.full(n, "", dtype=object)
    reasons_cell = np.full(n, "", dtype=object)
    _join_into(rules_cell, part, part["rule_id"].to_numpy(dtype=object), ";")
    defused = part["reason"].map(spreadsheet).to_numpy(dtype=object)
    _join_into(reasons_cell, part, defused, "; ")
    return rules_cell, reasons_cell


def _per_rule(by_order: dict[int, Rule], attribute: str) -> np.ndarray:
    """A rule attribute indexed by rule order: a lookup per hit is then one
    array take instead of a Python dict lookup."""
    table = np.full(max(by_order, default=0) + 1, None, dtype=object)
    for order, rule in by_order.items():
        table[order] = getattr(rule, attribute)
    return table


def _join_into(cells: np.ndarray, part: pd.DataFrame, values: np.ndarray, sep: str) -> None:
    """cells[row] = the row's values joined by ``sep``, in ``part``'s order.

    One vectorised pass per position (a row matches a handful of rules at
    most) instead of a Python join per group."""
    if not len(part):
        return
    rows = part["row"].to_numpy()
    position = part.groupby("row", sort=False).cumcount().to_numpy()
    for k in range(int(position.max()) + 1):
        at = position == k
        targets = rows[at]
        cells[targets] = values[at] if k == 0 else cells[targets] + sep + values[at]


def _reasons(
    used: pd.DataFrame,
    by_order: dict[int, Rule],
    recipients: LoadedTable,
    sources: dict[str, LoadedTable],
    campaign: Campaign,
    masked: bool,
    linked: LoadedTable | None = None,
) -> np.ndarray:
    """Each hit's reason; ``masked``: with personal fields masked (a rule
    whose reason quotes none keeps its plain sentences)."""
    out = np.empty(len(used), dtype=object)
    rule_col = used["rule"].to_numpy()
    of_person = (
        used["linked"].to_numpy(dtype=bool)
        if "linked" in used.columns
        else np.zeros(len(used), dtype=bool)
    )
    for order in np.unique(rule_col):
        rule = by_order[int(order)]
        for person in (False, True):
            table = recipients if rule.source == RECIPIENTS else sources.get(rule.source)
            if person and rule.source == RECIPIENTS:
                table = linked  # the evidence may be another row of the person
            mine = (rule_col == order) & (of_person == person)
            if not mine.any():
                continue
            if masked and not personal_fields(rule, table):
                out[mine] = used["reason"].to_numpy()[mine]
                continue
            out[mine] = render_many(
                rule,
                table,
                used["source_row"].to_numpy()[mine],
                used["count"].to_numpy()[mine],
                campaign,
                masked,
            )
    return out


def duplicate_reason(first: int, key: str, through: int) -> str:
    """Why a later row of a person is not sent to."""
    if through == first:
        return f"repeats row {first} (same {key})"
    return f"repeats row {first} (the same person: shares its {key} with row {through})"


def _special_rows(
    unverifiable: np.ndarray,
    duplicate_of: np.ndarray,
    duplicate_via: np.ndarray,
    duplicate_through: np.ndarray,
) -> pd.DataFrame:
    un_rows = np.flatnonzero(unverifiable)
    dup_rows = np.flatnonzero(duplicate_of >= 0)
    dup_reasons = [
        duplicate_reason(int(num), key, int(through))
        for num, key, through in zip(
            duplicate_of[dup_rows],
            duplicate_via[dup_rows],
            duplicate_through[dup_rows],
            strict=True,
        )
    ]
    return pd.DataFrame(
        {
            "row": np.concatenate([un_rows, dup_rows]).astype(np.int64),
            # unverifiable first; a repeat after the rules that hold for its person
            "rule": np.r_[np.full(len(un_rows), -1), np.full(len(dup_rows), DUPLICATE_ORDER)],
            "rule_id": [UNVERIFIABLE] * len(un_rows) + [DUPLICATE] * len(dup_rows),
            "effect": ["unverifiable"] * len(un_rows) + ["duplicate"] * len(dup_rows),
            "reason": [UNVERIFIABLE_REASON] * len(un_rows) + dup_reasons,
            "shared": [UNVERIFIABLE_REASON] * len(un_rows) + dup_reasons,
        }
    )
