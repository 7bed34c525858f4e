"""The audit job, end to end, as a library call.

``run_audit`` loads and checks everything first (rules, campaign list,
sources) and only then evaluates, so any bad input fails before a byte is
written. It returns plain data; writing files and printing belong elsewhere.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

import pandas as pd

from cxaudit.dates import parse_instant, utc_now
from cxaudit.errors import CxauditError
from cxaudit.evaluate import aggregate, link_matches, match_sources
from cxaudit.identity import recipient_status
from cxaudit.outcome import Outcome, decide
from cxaudit.rules import RECIPIENTS, Rule, RuleSet, TableConfig, load_rules
from cxaudit.sidecar import read_sidecar
from cxaudit.sources import (
    LoadedTable,
    check_fields_available,
    check_recipient_columns,
    load_table,
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

    @property
    def input_rows(self) -> int:
        return len(self.recipients)

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
    except ValueError:
        raise CxauditError(
            f"--as-of {text!r}: not a date; use 2026-11-20 (midnight UTC) or 2026-11-20T09:00:00Z"
        ) from None


def load_ruleset(request: AuditRequest, sidecar: dict[str, str | None] | None = None) -> RuleSet:
    """The rules file with the campaign's sidecar settings, then the command
    line's campaign and source overrides, applied in that order."""
    rules = load_rules(request.rules, request.sources, request.presets)
    if sidecar:
        rules = replace(rules, campaign=replace(rules.campaign, **sidecar))
    rules = rules.with_campaign(
        type=request.campaign_type, channel=request.channel, offer=request.offer
    )
    return rules


def load_sources(
    rules: RuleSet, names: list[str], progress: Progress = _silent
) -> dict[str, LoadedTable]:
    """Read the sources side by side: parsing and key normalisation run in
    pyarrow, which releases the GIL, so threads use both cores."""
    jobs = []
    for name in names:
        config = rules.sources[name]
        assert config.path is not None
        jobs.append((name, config))
    if len(jobs) <= 1:
        return {name: _load_one(rules, name, cfg, progress) for name, cfg in jobs}
    with ThreadPoolExecutor(max_workers=min(len(jobs), os.cpu_count() or 1)) as pool:
        futures = [(name, pool.submit(_load_one, rules, name, cfg, progress)) for name, cfg in jobs]
        return {name: future.result() for name, future in futures}


def _load_one(rules: RuleSet, name: str, config: TableConfig, progress: Progress) -> LoadedTable:
    assert config.path is not None
    progress(f"reading source {name} {config.path}")
    table = load_table(rules, config, config.path)
    progress(f"read source {name}: {len(table):,} rows", rows=len(table))
    return table


def run_audit(request: AuditRequest, progress: Progress = _silent) -> AuditResult:
    """Run the audit; ``progress`` is told what is happening (for log lines
    or a spinner; the core itself never prints)."""
    as_of = parse_as_of(request.as_of)
    sidecar_file, sidecar = read_sidecar(request.campaign)
    progress(f"reading rules {request.rules}")
    rules = load_ruleset(request, sidecar)
    applicable = [r for r in rules.rules if rules.applies(r)]
    skipped = [r for r in rules.rules if not rules.applies(r)]

    needed = list(dict.fromkeys(r.source for r in applicable if r.source != RECIPIENTS))
    with ThreadPoolExecutor(max_workers=1) as pool:
        # Sources load while the campaign is read: both are mostly pyarrow work.
        pending = pool.submit(load_sources, rules, needed, progress)
        progress(f"reading campaign {request.campaign}")
        try:
            recipients = load_table(rules, rules.recipients, request.campaign, request.encoding)
            check_recipient_columns(rules, recipients)
            progress(f"read campaign: {len(recipients):,} rows", rows=len(recipients))
        except BaseException:
            pending.cancel()
            raise  # the campaign's problem is reported first, as it always was
        sources = pending.result()
    used: dict[str, set[str]] = {}
    for rule in applicable:
        used.setdefault(rule.source, set()).update(rule.fields())
    check_fields_available(rules, sources, used)

    progress(
        f"evaluating {len(applicable)} rules ({len(skipped)} skipped) for "
        f"{len(recipients)} recipients"
    )
    unverifiable, duplicate_of, duplicate_via = recipient_status(recipients.idents)
    auditable = ~unverifiable & (duplicate_of < 0)
    matches = match_sources(applicable, sources, rules.campaign, as_of)
    pairs = link_matches(matches, applicable, recipients, auditable, sources, rules.campaign, as_of)
    hits = aggregate(pairs, applicable, auditable)
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
    return AuditResult(
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
    )


def validate_rules(request: AuditRequest) -> tuple[RuleSet, dict[str, LoadedTable]]:
    """Check the rules file and read every source it names (columns, dates)."""
    rules = load_ruleset(request)
    return rules, load_sources(rules, list(rules.sources))
