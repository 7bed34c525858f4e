"""The plan of an audit, and phase 2 for one chunk (the library call that
runs it on an engine is :mod:`cxaudit.run`).

:func:`plan_audit` settles what a run does (rules with the campaign's
settings, the moment, the rules that apply, the sources they read);
an engine (:mod:`cxaudit.engine`) carries it out, reading and checking
every input before it yields a result, so any bad input fails before a byte
is written; :func:`decide_chunk` is phase 2 for one chunk, the same on every
engine. It returns plain data; writing files and printing belong elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from cxaudit.audit.coverage import Coverage, keyless_rows
from cxaudit.audit.decide import Outcome, decide
from cxaudit.audit.health import Profiled, inert_rules, list_fields
from cxaudit.audit.matching import Linked, aggregate, judge_persons, link_matches
from cxaudit.audit.persons import Persons
from cxaudit.audit.prepare import LoadedTable, read_options
from cxaudit.dates import OutOfRange, parse_instant, utc_now
from cxaudit.errors import CxauditError
from cxaudit.inputs.files import Stamp, check_unchanged, stamp
from cxaudit.inputs.parts import expand
from cxaudit.rules import RECIPIENTS, Rule, RuleSet, load_rules
from cxaudit.rules.sidecar import read_sidecar


@dataclass(frozen=True)
class AuditRequest:
    """Everything a run depends on, as given on the command line."""

    campaign: Path
    rules: Path = Path("rules.yaml")
    sources: dict[str, Path] = field(default_factory=dict)
    presets: dict[str, str] = field(default_factory=dict)
    as_of: str | None = None
    campaign_type: str | None = None
    channel: str | None = None
    offer: str | None = None
    encoding: str | None = None


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


class Progress(Protocol):
    """Told what the audit is doing; ``rows`` counts rows a step finished."""

    def __call__(self, message: str, rows: int = 0) -> None: ...


def silent(_message: str, rows: int = 0) -> None:
    """The default progress callback: say nothing."""


def parse_as_of(text: str | None) -> pd.Timestamp:
    if text is None:
        return utc_now()
    try:
        return parse_instant(text)
    except OutOfRange as exc:
        raise CxauditError(
            f"--as-of {text!r}: is {exc.moment} in UTC, outside the years 0001 to 9999; "
            "give a moment inside them"
        ) from None
    except ValueError:
        raise CxauditError(
            f"--as-of {text!r}: not a date; use 2026-11-20 (midnight UTC) or 2026-11-20T09:00:00Z"
        ) from None


def load_ruleset(
    request: AuditRequest,
    sidecar: dict[str, str | None] | None = None,
    sidecar_file: Path | None = None,
) -> RuleSet:
    """The rules file with the campaign's sidecar settings, then the command
    line's campaign and source overrides, applied in that order; every type
    and channel checked against the vocabulary."""
    rules = load_rules(request.rules, request.sources, request.presets)
    if sidecar:
        rules = rules.with_campaign(origin=str(sidecar_file), **sidecar)
    return rules.with_campaign(
        type=request.campaign_type, channel=request.channel, offer=request.offer
    )


def resolve_as_of(request: AuditRequest) -> pd.Timestamp:
    """The moment rules are judged at: --as-of, else the campaign's planned
    ``send_at`` (sidecar, then rules file), else now."""
    if request.as_of is not None:
        return parse_as_of(request.as_of)
    sidecar_file, sidecar = read_sidecar(request.campaign)
    return parse_as_of(load_ruleset(request, sidecar, sidecar_file).campaign.send_at)


@dataclass(frozen=True)
class Plan:
    """What a run will do, settled before any data is read: the rules with
    the campaign's settings, the moment, which rules apply and which sources
    they read. Engines (:mod:`cxaudit.engine`) carry it out."""

    request: AuditRequest
    rules: RuleSet
    as_of: pd.Timestamp
    applicable: list[Rule]
    skipped: list[Rule]
    sidecar: Path | None
    read_options: dict[str, Any]  # how to read the campaign list
    needed: list[str]  # the sources the applicable rules read
    inputs: tuple[Stamp, ...] = ()  # every local input file, stamped before it is read

    def used_fields(self) -> dict[str, set[str]]:
        """Per source, the fields its applicable rules read."""
        used: dict[str, set[str]] = {}
        for rule in self.applicable:
            used.setdefault(rule.source, set()).update(rule.fields())
        return used


def plan_audit(request: AuditRequest, progress: Progress = silent) -> Plan:
    sidecar_file, sidecar = read_sidecar(request.campaign)
    progress(f"reading rules {request.rules}")
    rules = load_ruleset(request, sidecar, sidecar_file)
    as_of = parse_as_of(request.as_of or rules.campaign.send_at)
    applicable = [r for r in rules.rules if rules.applies(r)]
    skipped = [r for r in rules.rules if not rules.applies(r)]
    options = read_options(rules, rules.recipients, request.encoding)
    needed = list(dict.fromkeys(r.source for r in applicable if r.source != RECIPIENTS))
    paths = [request.rules, *([sidecar_file] if sidecar_file else []), request.campaign]
    paths += [rules.sources[n].path for n in needed if rules.sources[n].path is not None]
    inputs = stamp(p for path in paths for p in expand(path))
    return Plan(request, rules, as_of, applicable, skipped, sidecar_file, options, needed, inputs)


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
