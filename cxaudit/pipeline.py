"""The ``audit`` command end to end: the list, chunk by chunk, through the
audit into the output folder.

Each chunk's rows go to the temporary output files as soon as they are
decided and the report's numbers are added up, so only one chunk of the list
is in memory at a time. Nothing is renamed into place until the last chunk
is written and the reports are complete; an error on the way leaves the
folder as it was.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cxaudit.audit.decide import AuditResult
from cxaudit.audit.plan import AuditRequest, Progress
from cxaudit.engine import Engine
from cxaudit.inputs.chunks import Totals
from cxaudit.outputs.writer import OutputWriter, refuse_overwriting_inputs
from cxaudit.reports.baseline import Comparison
from cxaudit.reports.build import (
    Tally,
    apply_ceiling,
    apply_strict,
    build_report,
    report_json,
)
from cxaudit.reports.html import render_html
from cxaudit.reports.markdown import render_markdown
from cxaudit.run import iter_audit


@dataclass
class Finished:
    """A completed run: the last chunk's result (for the run's settings:
    rules, skipped rules, campaign), the report, its JSON text (written to
    report.json, printed by ``--format json``) and the files written."""

    result: AuditResult
    report: dict[str, Any]
    report_text: str
    written: list[Path]
    exceeded: bool = False  # above --max-suppressed: only the reports were written
    degraded: bool = False  # --strict and a warning: only the reports were written
    multi_rule: int = 0  # suppressed people held by two or more rules (see Tally)


def audit_to_folder(
    request: AuditRequest,
    out: Path,
    progress: Progress,
    chunk_rows: int | None,
    baseline: Path | None = None,
    show_pii: bool = False,
    max_suppressed: float | None = None,
    engine: Engine | None = None,
    out_format: str = "same",
    strict: bool = False,
) -> Finished:
    """Audit and write the lists (cleaned, suppressed, flagged; the last two
    also as workbooks) and the reports (report.json, report.md, report.html)
    into ``out``.
    Above the ``max_suppressed`` percent ceiling only the reports are
    written (``Finished.exceeded``): a previous run's lists are taken away."""
    totals = Totals()
    tally = Tally(show_pii)
    comparison: Comparison | None = None
    last: AuditResult | None = None
    parts = out_format == "parquet-parts"  # cleaned/, suppressed/, flagged/: a part per chunk
    with OutputWriter(out, parts) as writer, ThreadPoolExecutor(max_workers=1) as pool:
        for part in iter_audit(request, progress, chunk_rows, totals, engine=engine):
            if last is None:  # before the first byte is written
                fmt = part.recipients.table.dialect.format
                refuse_overwriting_inputs(_inputs(part, baseline), writer.replaced(fmt))
            progress(f"writing {out}")
            # The rows go to disk (bytes and Arrow work, mostly outside
            # Python's lock) while the report is tallied (Python work).
            writing = pool.submit(writer.add, part)
            try:
                if baseline is not None and comparison is None:
                    progress(f"comparing with {baseline}")
                    comparison = Comparison(part, baseline, show_pii)
                if comparison is not None:
                    comparison.add(part)
                tally.add(part)
            finally:
                writing.result()
            last = part.settings_only()
            del part  # so the next chunk is computed without this one in memory
        assert last is not None  # iter_audit yields at least one chunk
        last.unchanged()
        report = build_report(last, show_pii, tally, totals.sha256)
        report["warnings"] += writer.warnings()
        if comparison is not None:
            report["baseline"] = comparison.report()
        limit = max_suppressed if max_suppressed is not None else last.rules.max_suppressed
        exceeded = apply_ceiling(report, limit)
        degraded = apply_strict(report, strict or last.rules.strict)
        markdown = render_markdown(last, report, tally)
        html = render_html(last, report, tally)
        text = report_json(report)
        written = writer.commit(text, markdown, html, rows=not (exceeded or degraded))
    progress(
        f"done: {report['kept']} kept, {report['suppressed']} suppressed, "
        f"{report['flagged']} flagged",
        rows=report["input_rows"],
    )
    return Finished(last, report, text, written, exceeded, degraded, tally.multi_rule)


def _inputs(part: AuditResult, baseline: Path | None) -> list[Path]:
    """Every file the run reads, so none of them is among what it replaces."""
    paths = [part.request.campaign, part.rules.path]
    paths += [source.table.path for source in part.sources.values()]
    if part.sidecar is not None:
        paths.append(part.sidecar)
    if baseline is not None:
        paths.append(baseline / "suppressed.csv")
    return paths
