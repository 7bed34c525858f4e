"""The library's front door: run an audit on an engine, or validate a rules
file and its inputs. The engines (:mod:`cxaudit.engine`) carry out the plan
:mod:`cxaudit.audit.plan` makes and decide chunks with its code; this module is the
one that picks an engine, so the audit core never imports one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from cxaudit.audit.decide import AuditResult
from cxaudit.audit.fields import fields_by_source, missing_fields
from cxaudit.audit.formats import formats_by_column
from cxaudit.audit.health import list_fields
from cxaudit.audit.plan import (
    AuditRequest,
    Progress,
    load_ruleset,
    plan_audit,
    silent,
)
from cxaudit.audit.prepare import LoadedTable, read_options
from cxaudit.errors import CxauditError
from cxaudit.inputs.chunks import Totals
from cxaudit.rules import RECIPIENTS, RuleSet
from cxaudit.rules.sidecar import read_sidecar

if TYPE_CHECKING:
    from cxaudit.engine import Engine


def run_audit(
    request: AuditRequest,
    progress: Progress = silent,
    evidence_for: str | None = None,
    engine: Engine | None = None,
) -> AuditResult:
    """Run the audit over the whole list at once (for ``check``, ``explain``
    and rule tests, which look at every row together).

    ``evidence_for`` (``explain``'s ``--recipient``): keep every source row
    linked to the recipients with that key, not only the first row of each
    match, and nothing else; only those recipients' results are complete."""
    (result,) = iter_audit(request, progress, None, None, evidence_for, engine)
    return result


def iter_audit(
    request: AuditRequest,
    progress: Progress = silent,
    chunk_rows: int | None = None,
    totals: Totals | None = None,
    evidence_for: str | None = None,
    engine: Engine | None = None,
) -> Iterator[AuditResult]:
    """Audit the campaign list ``chunk_rows`` rows at a time (all at once, one
    result, when None), one result per chunk in list order (row numbers are
    the whole list's), on ``engine`` (this process when None). ``totals``
    learns the list's row count and SHA-256 once the last chunk is out."""
    from cxaudit.engine.local import LocalEngine

    totals = totals if totals is not None else Totals()
    plan = plan_audit(request, progress)
    engine = engine if engine is not None else LocalEngine()
    return engine.audit(plan, progress, chunk_rows, totals, evidence_for)


def _validate_list(request: AuditRequest, rules: RuleSet) -> dict[str, dict[str, str]]:
    """Read the whole campaign list in audit's chunks, as audit would: its
    parts' headers, its keys, the columns rules name, repeated headers, and
    each date column in the format of the first chunk holding one of its
    dates. Returns the formats read from the values, by column header."""
    from cxaudit.audit.fields import check_recipient_columns
    from cxaudit.audit.formats import with_date_formats
    from cxaudit.audit.prepare import prepare_table
    from cxaudit.environment import LIST_CHUNK_ROWS
    from cxaudit.inputs.read import iter_chunks

    if str(request.campaign) == "-":
        raise CxauditError(
            "-: validate reads a campaign list from a file; save standard input to one, "
            "or run audit on it"
        )
    options = read_options(rules, rules.recipients, request.encoding)
    formats: dict[str, str] = {}
    reader = iter_chunks(request.campaign, LIST_CHUNK_ROWS, **options)
    try:
        for n, raw in enumerate(reader):
            chunk = prepare_table(rules, rules.recipients, raw)
            if n == 0:
                check_recipient_columns(rules, chunk, list_fields(rules.rules))
            rules = with_date_formats(rules, chunk)
            for column, fmt in formats_by_column(chunk, chunk.date_formats).items():
                formats.setdefault(column, fmt)
    finally:
        reader.close()
    return {RECIPIENTS: formats} if formats else {}


def validate_rules(
    request: AuditRequest,
) -> tuple[RuleSet, dict[str, LoadedTable], dict[str, dict[str, str]]]:
    """Check the rules file and read every source it names (columns, dates,
    the fields every rule uses), and the whole campaign list when
    ``request.campaign`` names one: the checks audit runs, every problem of
    every input reported rather than the first. Also returns, per input
    (``recipients`` for the list), the date formats read from its values,
    by column header."""
    from cxaudit.engine.local import load_sources

    listed = request.campaign != Path()
    sidecar_file, sidecar = read_sidecar(request.campaign) if listed else (None, None)
    rules = load_ruleset(request, sidecar, sidecar_file)
    sources: dict[str, LoadedTable] = {}
    formats: dict[str, dict[str, str]] = {}
    problems: list[str] = []
    used = fields_by_source(rules.rules)  # every rule, whatever campaign it would apply to
    for name in rules.sources:
        try:
            digest = load_sources(rules, [name])[name]
        except CxauditError as exc:
            problems += exc.details
            continue
        problems += missing_fields({name: digest.table}, used)
        sources[name] = digest.table
        stats = digest.stats
        if stats is not None and stats.date_formats:
            formats[name] = formats_by_column(digest.table, stats.date_formats)
    if listed:
        try:
            formats.update(_validate_list(request, rules))
        except CxauditError as exc:
            problems += exc.details
    if problems:
        raise CxauditError(problems[0], details=problems)
    return rules, sources, formats
