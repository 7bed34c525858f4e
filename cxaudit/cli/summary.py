"""What ``cxaudit audit`` prints when it is done: the summary table of rules
and counts on a terminal, or the run in one line for logs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.table import Table as RichTable
from rich.text import Text

from cxaudit.cli.console import make_console
from cxaudit.escaping import terminal


def result_line(
    report: dict[str, Any], folder: Path, exceeded: bool = False, degraded: bool = False
) -> str:
    """The run in one line, for logs: ``cxaudit: 523 recipients: 475 kept,
    48 suppressed, 12 flagged; since runs/X: 3 newly suppressed, 1 released;
    wrote runs/Y``."""
    line = (
        f"cxaudit: {report['input_rows']:,} recipients: {report['kept']:,} kept, "
        f"{report['suppressed']:,} suppressed, {report['flagged']:,} flagged" + _rules_used(report)
    )
    change = report.get("baseline")
    if change is not None:
        line += (
            f"; since {change['path']}: {len(change['newly_suppressed']):,} newly suppressed, "
            f"{len(change['released']):,} released"
        )
    if degraded:
        line += f"; degraded (--strict): only the reports were written to {folder}"
    elif exceeded:
        line += f"; over the ceiling: only the reports were written to {folder}"
    else:
        line += f"; wrote {folder}"
    return terminal(line)


def _rules_used(report: dict[str, Any]) -> str:
    """The rules file, when it is not the rules.yaml of the current folder
    (found in a folder above, named by pyproject.toml or by --rules)."""
    path = (report.get("rules_file") or {}).get("path", "rules.yaml")
    return "" if path == "rules.yaml" else f"; rules {path}"


def _print_summary(
    result: Any, report: dict[str, Any], written: list[Path], multi_rule: int | None = None
) -> None:
    """The run on the terminal: the counts with their shares, then people
    per rule. ``multi_rule`` (suppressed people held by two or more rules)
    makes the caption say exactly how the suppress rows add up."""
    from cxaudit.reports.build import (
        SPECIAL_MEANING,
        overlap_sentence,
        share,
        suppress_rows,
    )

    console = make_console(soft_wrap=False)  # the table fits the terminal's width
    camp = report["campaign"]
    rows = report["input_rows"]
    console.print(
        f"cxaudit: {rows:,} recipients: {report['kept']:,} kept ({share(report['kept'], rows)}), "
        f"{report['suppressed']:,} suppressed ({share(report['suppressed'], rows)}), "
        f"{report['flagged']:,} flagged ({share(report['flagged'], rows)}); "
        f"campaign type {terminal(camp['type'] or '-')}, "
        f"channel {terminal(camp['channel'] or '-')}, "
        f"offer {terminal(camp['offer'] or '-')}; as of {report['as_of']}"
        + (
            f"; settings from {terminal(report['campaign_settings_file'])}"
            if report.get("campaign_settings_file")
            else ""
        )
        + terminal(_rules_used(report)),
        soft_wrap=True,
    )
    overlap = (
        overlap_sentence(report, multi_rule, suppress_rows(result, report))
        if multi_rule is not None
        else "One person can be held by several rules."
    )
    table = RichTable(
        show_edge=True,
        header_style="bold",
        caption_justify="left",
        caption=(
            "people: held back by a suppress rule, kept but flagged by a flag rule, exempted "
            f"from a suppress rule by an allow rule; share: of the {rows:,} in the list. " + overlap
        ),
    )
    # a rule id is shown whole, folded onto a second line if it must be
    table.add_column("rule", overflow="fold")
    table.add_column("what it is for")
    table.add_column("action")
    table.add_column("people", justify="right")
    table.add_column("share", justify="right")

    def row(*cells: str) -> None:
        table.add_row(*(Text(terminal(cell)) for cell in cells))  # Text: never read as markup

    inert = {item["id"] for item in report.get("inert_rules", [])}
    for rule in result.applicable:
        if rule.id in inert:  # not "matched nobody": it could not match anyone
            what = f"INERT, cannot match anyone (see the warning). {rule.description or ''}"
            row(rule.id, what.strip(), rule.action, "inert", "-")
            continue
        count = report["by_rule"][rule.id]
        row(rule.id, rule.description or "", rule.action, f"{count:,}", share(count, rows))
    for special, what in SPECIAL_MEANING.items():
        count = report["by_rule"][special]
        row(special, what, "suppress", f"{count:,}", share(count, rows))
    for rule in result.skipped:
        row(rule.id, f"skipped: {result.rules.skip_reason(rule)}", rule.action, "-", "-")
    console.print(table)
    console.print(f"wrote {terminal(', '.join(str(p) for p in written))}", soft_wrap=True)
