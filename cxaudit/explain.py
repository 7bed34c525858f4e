"""``cxaudit explain``: why was this person kept or removed?

Runs the normal audit, then looks at one recipient: for every rule, whether
it matched, did not match or was skipped, and the source rows behind it
(case ids, dates, counts). The answer to "why did Ann not get the spring
offer?" without reading CSVs by hand.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from cxaudit.audit.decide import DUPLICATE, UNVERIFIABLE, AuditResult
from cxaudit.audit.prepare import LoadedTable
from cxaudit.dates import iso
from cxaudit.errors import CxauditError
from cxaudit.escaping import terminal
from cxaudit.identity import candidate_idents, identity_long, key_kind
from cxaudit.privacy import mask, mask_inside_many
from cxaudit.rules import RECIPIENTS, Rule


@dataclass
class Evidence:
    source: str
    row: int  # row number in the source file (header = 1)
    fields: dict[str, str]


@dataclass
class RuleExplanation:
    rule: str
    action: str
    source: str
    line: int | None
    status: str  # matched | not matched | inert | skipped | not evaluated
    effect: str  # what the match did to this recipient, or ""
    note: str
    reason: str
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class PersonRow:
    """One list row of the person: its keys and the rules that matched a
    source row through them."""

    row: int
    keys: dict[str, str]
    through: list[str]  # rules with a source row satisfying where reached through its keys


@dataclass
class RecipientExplanation:
    row: int
    recipient: dict[str, str]
    outcome: str  # kept | kept, flagged | suppressed
    rules_cell: str
    linked_rows: dict[str, int]
    rules: list[RuleExplanation]
    # every list row of the same person (this one included) and the note of
    # cxaudit:duplicate / cxaudit:unverifiable when it applies
    person: list[PersonRow] = field(default_factory=list)
    note: str = ""


def find_rows(result: AuditResult, key: str) -> list[int]:
    """Positions of campaign rows with ``key`` as customer id, email or phone."""
    wanted = candidate_idents(key, result.rules.phone_region)
    idents = result.recipients.idents
    hit = np.zeros(len(idents), dtype=bool)
    for col in idents.columns:
        hit |= idents[col].isin(wanted).to_numpy()
    rows = [int(i) for i in np.flatnonzero(hit)]
    if not rows:
        raise CxauditError(
            f"{result.recipients.path}: no recipient has customer_id, email or phone "
            f"{mask(key)}; "
            "check the spelling (emails match case-insensitively, phones in any format)"
        )
    return rows


def _evidence(
    result: AuditResult, source: str, rows: list[int], show_pii: bool, person: list[int]
) -> list[Evidence]:
    """The mapped fields of each source row behind a match (never the whole
    row), personal ones masked unless ``show_pii``."""
    table = result.recipients if source == RECIPIENTS else result.sources[source]
    if source == RECIPIENTS:
        # a recipients rule's evidence is a row of the person's own
        rows = [r for r in person if r in set(rows)] if len(person) > 1 else rows
    out = []
    for r in rows:
        fields = {
            name: _shown(
                table,
                name,
                str(table.table.frame[pos].iloc[r]),
                show_pii,
                result.rules.phone_region,
            )
            for name, pos in table.field_columns.items()
            if source != RECIPIENTS or name in table.config.columns
        }
        # canonical fields a preset derives (state, severity) as the rules saw them
        fields.update({name: str(values.iloc[r]) for name, values in table.derived.items()})
        out.append(Evidence(source, int(table.table.row_numbers[r]), fields))
    return out


def _shown(table: LoadedTable, name: str, value: str, show_pii: bool, region: str = "US") -> str:
    """A field's value as explain shows it: personal fields masked, and an
    email or phone written inside any other text masked too."""
    if show_pii:
        return value
    if table.is_personal(name):
        return mask(value)
    return str(mask_inside_many(np.array([value], dtype=object), region)[0])


def person_rows(result: AuditResult, row: int) -> list[int]:
    """Positions of every list row of ``row``'s person, in list order."""
    persons = result.persons
    if persons is None:
        return [row]
    first, *_ = persons.of(row, 1)
    if first[0] < 0:
        return [row]
    return [int(r) for r in persons.rows[persons.first == first[0]]]


def _linked(result: AuditResult, rows: list[int]) -> dict[str, list[int]]:
    mine = set(identity_long(result.recipients.idents.iloc[rows])["ident"])
    linked = {}
    for name, table in result.sources.items():
        keys = identity_long(table.idents)
        rows = keys.loc[keys["ident"].isin(mine), "row"].drop_duplicates().sort_values()
        linked[name] = [int(r) for r in rows]
    return linked


def _explain_rule(
    result: AuditResult,
    rows: list[int],
    rule: Rule,
    linked: dict[str, list[int]],
    special: str,
    show_pii: bool,
    inert: dict[str, str],
) -> RuleExplanation:
    base = {
        "rule": rule.id,
        "action": rule.action,
        "source": rule.source,
        "line": rule.line,
    }
    if rule in result.skipped:
        note = result.rules.skip_reason(rule) or ""
        return RuleExplanation(**base, status="skipped", effect="", note=note, reason="")
    if rule.id in inert:  # it matches nobody, this recipient included: say why
        note = f"cannot match anyone: {inert[rule.id]}"
        return RuleExplanation(**base, status="inert", effect="", note=note, reason="")
    if special:
        return RuleExplanation(**base, status="not evaluated", effect="", note=special, reason="")
    row = rows[0]  # the person's rows share their hits; evidence is all of theirs
    pairs = result.pairs
    held_rows = sorted(
        set(
            pairs.loc[
                np.isin(pairs["row"].to_numpy(), rows) & (pairs["rule"].to_numpy() == rule.order),
                "source_row",
            ].tolist()
        )
    )
    hits = result.hits
    holds = bool(((hits["row"] == row) & (hits["rule"] == rule.order)).any())
    effects = result.outcome.effects
    mine = effects[(effects["row"] == row) & (effects["rule_id"] == rule.id)]
    effect = str(mine["effect"].iloc[0]) if len(mine) else ""
    reason = str(mine["reason" if show_pii else "shared"].iloc[0]) if len(mine) else ""
    if holds and not effect:
        effect = {
            "suppress": "none: an allow rule exempts this recipient",
            "flag": "none: the recipient is suppressed anyway",
            "allow": "none: no suppress rule to exempt from",
        }[rule.action]
    n = len(held_rows)
    if rule.source == RECIPIENTS:
        note = "the recipient's row satisfies where" if n else "the recipient's row does not"
        if len(rows) > 1:
            note = f"{n} of the person's {len(rows)} rows satisfy where"
    else:
        available = len(linked.get(rule.source, []))
        if rule.match == "none":
            note = f"{n} of {available} {rule.source} rows satisfy where; none may"
        elif rule.min_count > 1:
            note = f"{n} of {available} {rule.source} rows satisfy where; {rule.min_count} needed"
        else:
            note = f"{n} of this recipient's {available} {rule.source} rows satisfy where"
    return RuleExplanation(
        **base,
        status="matched" if holds else "not matched",
        effect=effect,
        note=note,
        reason=reason,
        evidence=_evidence(result, rule.source, held_rows, show_pii, rows),
    )


def explain(result: AuditResult, key: str, show_pii: bool = False) -> list[RecipientExplanation]:
    """Every rule for each recipient ``key`` names; personal values (the
    recipient's keys, identity and personal fields of source rows, reasons
    quoting them) are masked unless ``show_pii``: explain's output is what
    gets pasted into tickets and CI logs."""
    out = []
    effects = result.outcome.effects
    recipients = result.recipients
    inert = result.inert_rules()
    for row in find_rows(result, key):
        special = effects[
            (effects["row"] == row) & effects["rule_id"].isin([UNVERIFIABLE, DUPLICATE])
        ]
        note = ""
        if len(special):
            note = f"{special['rule_id'].iloc[0]}: {special['reason'].iloc[0]}"
        rows = person_rows(result, row)
        unverifiable = note.startswith(UNVERIFIABLE)
        linked = _linked(result, rows)
        rules = [
            _explain_rule(result, rows, r, linked, note if unverifiable else "", show_pii, inert)
            for r in result.rules.rules
        ]
        outcome = "suppressed" if result.outcome.suppressed[row] else "kept"
        if result.outcome.flagged[row]:
            outcome = "kept, flagged"
        out.append(
            RecipientExplanation(
                row=int(recipients.table.row_numbers[row]),
                recipient=_keys(result, row, show_pii),
                outcome=outcome,
                rules_cell=str(result.outcome.rules_cell[row]),
                linked_rows={k: len(v) for k, v in linked.items()},
                rules=rules,
                person=[_person_row(result, r, show_pii) for r in rows],
                note=note,
            )
        )
    return out


def _keys(result: AuditResult, row: int, show_pii: bool) -> dict[str, str]:
    """A list row's key columns as written (masked unless ``show_pii``)."""
    recipients = result.recipients
    kinds = dict.fromkeys(key_kind(k) for k in recipients.idents.columns)
    return {k: _shown(recipients, k, str(recipients.text(k).iloc[row]), show_pii) for k in kinds}


def _person_row(result: AuditResult, row: int, show_pii: bool) -> PersonRow:
    """One row of the person and the rules that matched through its keys."""
    pairs = result.pairs
    orders = set(pairs.loc[pairs["row"].to_numpy() == row, "rule"].tolist())
    return PersonRow(
        row=int(result.recipients.table.row_numbers[row]),
        keys=_keys(result, row, show_pii),
        through=[r.id for r in result.applicable if r.order in orders],
    )


def as_dict(items: list[RecipientExplanation]) -> list[dict[str, Any]]:
    return [asdict(i) for i in items]


def to_text(result: AuditResult, items: list[RecipientExplanation]) -> str:
    """The explanation for a person at a terminal."""
    camp = result.rules.campaign
    lines = []
    t = terminal
    for item in items:
        who = ", ".join(f"{k} {t(v)}" for k, v in item.recipient.items() if v.strip())
        verdict = item.outcome.upper()
        if item.rules_cell:
            verdict += f" ({item.rules_cell})"
        lines += [
            f"{t(str(result.recipients.path))} row {item.row}: {who}",
            f"  outcome: {verdict}",
            f"  campaign: type {t(camp.type or '-')}, channel {t(camp.channel or '-')}, "
            f"offer {t(camp.offer or '-')}; as of {iso(result.as_of)}",
            "  rows linked by identity: "
            + (", ".join(f"{k} {v}" for k, v in item.linked_rows.items()) or "no sources read"),
        ]
        if item.note:
            lines.append(f"  {t(item.note)}")
        if len(item.person) > 1:
            lines.append(f"  the same person ({len(item.person)} rows of the list):")
            for p in item.person:
                keys = ", ".join(f"{k} {t(v)}" for k, v in p.keys.items() if v.strip())
                through = (
                    f"; rows of {', '.join(p.through)} reached through it" if p.through else ""
                )
                lines.append(f"    row {p.row}: {keys}{through}")
        lines.append("")
        for r in item.rules:
            at = t(f"{result.rules.path}:{r.line}" if r.line else str(result.rules.path))
            lines.append(f"  {r.status.upper():<13} {r.rule} ({r.action}, {at})")
            lines.append(f"                {t(r.note)}")
            if r.effect:
                lines.append(f"                effect: {r.effect}")
            if r.reason:
                lines.append(f"                reason: {t(r.reason)}")
            for ev in r.evidence[:20]:
                shown = " ".join(f"{k}={t(repr(v))}" for k, v in ev.fields.items())
                lines.append(f"                {ev.source} row {ev.row}: {shown}")
            if len(r.evidence) > 20:
                lines.append(f"                … and {len(r.evidence) - 20} more rows")
        lines.append("")
    return "\n".join(lines)
