"""The audit job, end to end, as a library call.

``run_audit`` loads and checks everything first (rules, campaign list,
sources) and only then evaluates, so any bad input fails before a byte is
written. It returns plain data; writing files and printing belong elsewhere.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

import pandas as pd
import pyarrow as pa

from cxaudit.chunks import Totals, iter_chunks
from cxaudit.coverage import Coverage, keyless_rows
from cxaudit.csvfile import Table
from cxaudit.dates import OutOfRange, parse_instant, utc_now
from cxaudit.digest import Digest, digest_source, empty_matches
from cxaudit.duplicates import DuplicateFinder, Duplicates
from cxaudit.errors import CxauditError
from cxaudit.evaluate import aggregate, link_matches
from cxaudit.identity import KEY_NAMES, candidate_idents, identity_long
from cxaudit.outcome import Outcome, decide
from cxaudit.rules import RECIPIENTS, Rule, RuleSet, load_rules
from cxaudit.sidecar import read_sidecar
from cxaudit.sources import (
    LoadedTable,
    check_recipient_columns,
    key_positions,
    prepare_table,
    read_options,
    table_idents,
)


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
    sidecar: Path | None = None  # the campaign's NAME.campaign.yaml, if it had one
    coverage: Coverage | None = None  # shared by every chunk: complete after the last

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

    @property
    def warnings(self) -> list[str]:
        """Things the user should know that do not stop the run (unmapped
        vendor statuses, say)."""
        return [w for t in (self.recipients, *self.sources.values()) for w in t.warnings]


class Progress(Protocol):
    """Told what the audit is doing; ``rows`` counts rows a step finished."""

    def __call__(self, message: str, rows: int = 0) -> None: ...


def _silent(_message: str, rows: int = 0) -> None:
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


def load_sources(
    rules: RuleSet,
    names: list[str],
    progress: Progress = _silent,
    applicable: list[Rule] | None = None,
    as_of: pd.Timestamp | None = None,
    focus: pa.Array | None = None,
) -> dict[str, Digest]:
    """Phase 1: read each source chunk by chunk and reduce it to the keys the
    ``applicable`` rules matched (:mod:`cxaudit.digest`). Sources are read
    side by side: parsing and key normalisation run in pyarrow, which
    releases the GIL, so threads use both cores."""
    applicable = applicable or []
    moment = as_of if as_of is not None else utc_now()
    used: dict[str, set[str]] = {}
    for rule in applicable:
        used.setdefault(rule.source, set()).update(rule.fields())

    def one(name: str) -> Digest:
        config = rules.sources[name]
        assert config.path is not None
        progress(f"reading source {name} {config.path}")
        return digest_source(
            rules, config, applicable, moment, focus, used.get(name, set()), progress
        )

    if len(names) <= 1:
        return {name: one(name) for name in names}
    with ThreadPoolExecutor(max_workers=min(len(names), os.cpu_count() or 1)) as pool:
        futures = [(name, pool.submit(one, name)) for name in names]
        return {name: future.result() for name, future in futures}


def run_audit(
    request: AuditRequest, progress: Progress = _silent, evidence_for: str | None = None
) -> AuditResult:
    """Run the audit over the whole list at once (for ``check``, ``explain``
    and rule tests, which look at every row together).

    ``evidence_for`` (``explain``'s ``--recipient``): keep every source row
    linked to the recipients with that key, not only the first row of each
    match, and nothing else; only those recipients' results are complete."""
    (result,) = iter_audit(request, progress, chunk_rows=None, evidence_for=evidence_for)
    return result


def iter_audit(
    request: AuditRequest,
    progress: Progress = _silent,
    chunk_rows: int | None = None,
    totals: Totals | None = None,
    evidence_for: str | None = None,
) -> Iterator[AuditResult]:
    """Audit the campaign list ``chunk_rows`` rows at a time (all at once when
    None), one result per chunk (row numbers are the whole file's). Every source is read and
    reduced to its matched keys first, so memory is bounded by the sources
    and one chunk, not by the list. ``totals`` learns the list's row count
    and SHA-256 once the last chunk is out.

    A list longer than one chunk is read twice: first only its key columns,
    to find duplicate rows across chunks (and any malformed row, before a
    single result is produced), then chunk by chunk."""
    totals = totals if totals is not None else Totals()
    sidecar_file, sidecar = read_sidecar(request.campaign)
    progress(f"reading rules {request.rules}")
    rules = load_ruleset(request, sidecar, sidecar_file)
    as_of = parse_as_of(request.as_of or rules.campaign.send_at)
    applicable = [r for r in rules.rules if rules.applies(r)]
    skipped = [r for r in rules.rules if not rules.applies(r)]
    options = read_options(rules, rules.recipients, request.encoding)

    def chunks(select: Callable[[Table], list[int]] | None = None) -> Iterator[Table]:
        return iter_chunks(
            request.campaign, chunk_rows, **{**options, "select": select}, totals=totals
        )

    needed = list(dict.fromkeys(r.source for r in applicable if r.source != RECIPIENTS))
    reader = chunks()
    tables: Iterator[Table | LoadedTable]
    with ThreadPoolExecutor(max_workers=1) as pool:
        # Sources load while the campaign is read and its duplicates judged:
        # both are mostly pyarrow work.
        phase1 = (_sources_and_matches, rules, applicable, needed, as_of, progress)
        pending = None if evidence_for is not None else pool.submit(*phase1)
        progress(f"reading campaign {request.campaign}")
        try:
            first = prepare_table(rules, rules.recipients, next(reader))
            check_recipient_columns(rules, first)
            progress(f"read campaign: {len(first):,} rows", rows=len(first))
            if evidence_for is not None:  # the sources' rows linked to these people
                pending = pool.submit(*phase1, _linked_idents(first, evidence_for, rules))
            if totals.complete:  # the whole list was one chunk: judge it now
                finder = DuplicateFinder(list(KEY_NAMES))
                finder.add(first.idents, 0, first.table.row_numbers)
                duplicates = finder.finish()
                tables = iter([first])
            else:
                # Let the first chunk go (it is read again below), so that
                # only the sources and one chunk are in memory at any time.
                reader.close()
                del first
        except BaseException:
            if pending is not None:
                pending.cancel()
            raise  # the campaign's problem is reported first, as it always was
        assert pending is not None
        sources, matches = pending.result()
    if not totals.complete:
        # The key pass runs after the sources are in, not beside them: their
        # peaks would add up.
        duplicates = _key_pass(rules, chunks(key_positions(rules, rules.recipients)), progress)
        tables = chunks()
    coverage = Coverage(sources)
    start = 0
    for table in tables:
        if isinstance(table, LoadedTable):
            recipients = table
        else:
            recipients = prepare_table(rules, rules.recipients, table)
            progress(f"read campaign: {len(recipients):,} rows", rows=len(recipients))
        progress(
            f"evaluating {len(applicable)} rules ({len(skipped)} skipped) for "
            f"{len(recipients)} recipients"
        )
        duplicate_of, duplicate_via = duplicates.of(start, len(recipients))
        start += len(recipients)
        unverifiable = keyless_rows(recipients.idents)
        auditable = ~unverifiable & (duplicate_of < 0)
        pairs = link_matches(
            matches, applicable, recipients, auditable, sources, rules.campaign, as_of
        )
        hits = aggregate(pairs, applicable, auditable)
        by_order = {r.order: r.source for r in applicable}
        coverage.add(recipients, unverifiable, {by_order[o] for o in pairs["rule"].unique()})
        outcome = decide(
            hits,
            applicable,
            recipients,
            sources,
            rules.campaign,
            unverifiable,
            duplicate_of,
            duplicate_via,
        )
        progress(f"matched {len(recipients):,} recipients", rows=len(recipients))
        yield AuditResult(
            request,
            rules,
            as_of,
            recipients,
            sources,
            applicable,
            skipped,
            pairs,
            hits,
            outcome,
            sidecar_file,
            coverage,
        )
        # Let this chunk go before the next one is read: one chunk at a time.
        del table, recipients, pairs, hits, outcome


def _linked_idents(recipients: LoadedTable, key: str, rules: RuleSet) -> pa.Array:
    """The key typed and every key of the recipients who have it (a case may
    name the customer id of someone looked up by email)."""
    wanted = candidate_idents(key, rules.phone_region)
    long = identity_long(recipients.idents)
    rows = long.loc[long["ident"].isin(wanted), "row"]
    found = set(long.loc[long["row"].isin(rows), "ident"]) | wanted
    return pa.array(sorted(found), pa.large_string())


def _key_pass(rules: RuleSet, tables: Iterator[Table], progress: Progress) -> Duplicates:
    """Read only the key columns of the whole list and judge its duplicates
    (a malformed row anywhere fails here, before any output exists)."""
    finder = DuplicateFinder(list(KEY_NAMES))
    progress("reading the campaign's keys to find duplicate rows")
    start = 0
    for table in tables:
        finder.add(table_idents(rules, rules.recipients, table), start, table.row_numbers)
        start += table.rows
        progress(f"read keys of {start:,} rows", rows=table.rows)
    return finder.finish()


def _sources_and_matches(
    rules: RuleSet,
    applicable: list[Rule],
    names: list[str],
    as_of: pd.Timestamp,
    progress: Progress,
    focus: pa.Array | None = None,
) -> tuple[dict[str, LoadedTable], pd.DataFrame]:
    """Phase 1, beside the campaign read: every source read, checked for the
    fields its rules use, and reduced to the keys its rules matched."""
    digests = load_sources(rules, names, progress, applicable, as_of, focus)
    sources = {name: d.table for name, d in digests.items()}
    matches = pd.concat(
        [empty_matches(), *(d.matches for d in digests.values())], ignore_index=True
    )
    return sources, matches


def validate_rules(request: AuditRequest) -> tuple[RuleSet, dict[str, LoadedTable]]:
    """Check the rules file and read every source it names (columns, dates);
    every problem of every source is reported, not the first one."""
    rules = load_ruleset(request)
    sources: dict[str, LoadedTable] = {}
    problems: list[str] = []
    for name in rules.sources:
        try:
            sources.update({n: d.table for n, d in load_sources(rules, [name]).items()})
        except CxauditError as exc:
            problems += exc.details
    if problems:
        raise CxauditError(problems[0], details=problems)
    return rules, sources
