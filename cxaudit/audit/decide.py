"""Who is kept, who is suppressed, and the words that say why: where
suppression is decided.

:func:`decide_chunk` is phase 2 for one chunk of the list, the same code on
every engine: it links the chunk's people to the sources' matched keys
(:mod:`cxaudit.audit.matching`) and turns the rule hits into one decision per
person and recipient: ``allow`` beats ``suppress`` beats ``flag``; unverifiable and
duplicate rows are decided before any rule. Reasons are rendered once per
distinct (rule, evidence row, count), not once per recipient.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from cxaudit.audit.coverage import Coverage, keyless_rows
from cxaudit.audit.health import Profiled, inert_rules, list_fields
from cxaudit.audit.matching import Linked, aggregate, judge_persons, link_matches
from cxaudit.audit.persons import Persons
from cxaudit.audit.plan import (
    AuditRequest,
    Plan,
    Progress,
    silent,
)
from cxaudit.audit.prepare import LoadedTable
from cxaudit.audit.reasons import personal_fields, render_many
from cxaudit.escaping import spreadsheet
from cxaudit.inputs.files import Stamp, check_unchanged
from cxaudit.privacy import mask_inside_many
from cxaudit.rules import RECIPIENTS, Campaign, Rule, RuleSet

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


@dataclass
class AuditResult:
    request: AuditRequest
    rules: RuleSet
    as_of: pd.Timestamp
    recipients: LoadedTable
    sources: dict[str, LoadedTable]
    applicable: list[Rule]
    skipped: list[Rule]
    pairs: pd.DataFrame  # (row, rule, source_row): every source row that held
    hits: pd.DataFrame  # (row, rule, count, source_row): the rules that hold
    outcome: Outcome
    persons: Persons | None = None  # who is one person, over the whole list
    sidecar: Path | None = None  # the campaign's NAME.campaign.yaml, if it had one
    coverage: Coverage | None = None  # shared by every chunk: complete after the last
    inputs: tuple[Stamp, ...] = ()  # every local input as the run began (see unchanged)

    def unchanged(self) -> None:
        """Exit 2 when an input changed while the run read it (call once
        the last chunk is out, before anything is written)."""
        check_unchanged(self.inputs)

    @property
    def input_rows(self) -> int:
        return len(self.recipients)

    def settings_only(self) -> AuditResult:
        """This result without its rows: what a report needs from the run
        (rules, campaign, sources) once every chunk has been tallied."""
        rec = self.recipients
        table = replace(
            rec.table,
            frame=rec.table.frame.iloc[:0],
            row_numbers=rec.table.row_numbers[:0],
            raw=None,
            arrow=None,
        )
        out = self.outcome
        empty = replace(rec, table=table, idents=rec.idents.iloc[:0], moments={}, derived={})
        return replace(
            self,
            recipients=empty,
            pairs=self.pairs.iloc[:0],
            hits=self.hits.iloc[:0],
            outcome=Outcome(
                out.suppressed[:0],
                out.flagged[:0],
                out.rules_cell[:0],
                out.reasons_cell[:0],
                out.by_rule,
                out.effects.iloc[:0],
            ),
        )

    def inert_rules(self) -> dict[str, str]:
        """Applicable rules that cannot match anyone on these files, with
        why (:mod:`cxaudit.audit.health`); complete once the last chunk is out."""
        if self.coverage is None:
            return {}
        tables = {RECIPIENTS: Profiled(f"the list ({self.recipients.path})", self.coverage.profile)}
        for name, source in self.sources.items():
            if source.stats is not None:
                tables[name] = Profiled(str(source.path), source.stats.profile)
        return inert_rules(self.applicable, tables, self.as_of)

    @property
    def warnings(self) -> list[str]:
        """Things the user should know that do not stop the run (unmapped
        vendor statuses, say)."""
        return [w for t in (self.recipients, *self.sources.values()) for w in t.warnings]


def decide_chunk(
    plan: Plan,
    recipients: LoadedTable,
    start: int,
    persons: Persons,
    matches: pd.DataFrame,
    sources: dict[str, LoadedTable],
    linked: Linked | None,
    progress: Progress = silent,
) -> AuditResult:
    """Phase 2 for one chunk (or partition) of the list whose first row is
    the list's row ``start``: join it to phase 1's matched keys, apply
    min_count and match: none, decide. A row of a person of several rows
    takes its person's hits (``linked``, judged once over all their rows,
    whichever chunk holds them). The same code on every engine."""
    rules, applicable, as_of = plan.rules, plan.applicable, plan.as_of
    progress(
        f"evaluating {len(applicable)} rules ({len(plan.skipped)} skipped) for "
        f"{len(recipients)} recipients"
    )
    person, duplicate_of, duplicate_via, duplicate_through = persons.of(start, len(recipients))
    unverifiable = keyless_rows(recipients.idents)
    alone = ~unverifiable & (person < 0)
    pairs = link_matches(matches, applicable, recipients, alone, sources, rules.campaign, as_of)
    hits = aggregate(pairs, applicable, alone)
    shared = np.flatnonzero(person >= 0)
    if len(shared):
        assert linked is not None
        theirs = linked.rows_hits(shared + start)
        theirs["row"] = shared[theirs["row"].to_numpy()]
        mine = linked.rows_pairs(shared + start)
        mine = mine.assign(row=shared[mine["row"].to_numpy()])
        hits = pd.concat([hits.assign(linked=False), theirs.assign(linked=True)])
        hits = hits.sort_values(["row", "rule"], kind="stable").reset_index(drop=True)
        pairs = pd.concat([pairs, mine], ignore_index=True)
    outcome = decide(
        hits,
        applicable,
        recipients,
        sources,
        rules.campaign,
        unverifiable,
        duplicate_of,
        duplicate_via,
        duplicate_through,
        linked.table if linked is not None else None,
        rules.phone_region,
    )
    progress(f"matched {len(recipients):,} recipients", rows=len(recipients))
    return AuditResult(
        plan.request,
        rules,
        as_of,
        recipients,
        sources,
        applicable,
        plan.skipped,
        pairs,
        hits,
        outcome,
        persons,
        plan.sidecar,
        inputs=plan.inputs,
    )


def link_persons(
    plan: Plan,
    table: LoadedTable,
    persons: Persons,
    matches: pd.DataFrame,
    sources: dict[str, LoadedTable],
) -> Linked:
    """Judge every person of several rows once: ``table`` holds their rows
    (``persons.rows``, in list order)."""
    return judge_persons(
        matches,
        plan.applicable,
        table,
        persons.rows,
        persons.first,
        sources,
        plan.rules.campaign,
        plan.as_of,
    )


def cover(coverage: Coverage, result: AuditResult) -> AuditResult:
    """Add a chunk's result to the run's identity coverage (in list order,
    where the results come together) and attach it."""
    by_order = {r.order: r.source for r in result.applicable}
    matched = {by_order[o] for o in result.pairs["rule"].unique()}
    fields = list_fields(result.applicable)
    coverage.add(result.recipients, keyless_rows(result.recipients.idents), matched, fields)
    coverage.persons = result.persons
    result.coverage = coverage
    return result
