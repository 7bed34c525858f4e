"""report.md: the run for people, in Markdown, every cell escaped with
:func:`cxaudit.escaping.markdown`. Its wording is shared with report.html
through :mod:`cxaudit.reports.build`."""

from __future__ import annotations

from typing import Any

from cxaudit.audit.decide import DUPLICATE, UNVERIFIABLE, AuditResult
from cxaudit.escaping import markdown
from cxaudit.reports.build import (
    EXAMPLES_PER_RULE,
    MAX_FLAGS_LISTED,
    SPECIAL_MEANING,
    Tally,
    flags_intro,
    identity_lines,
    list_files,
    overlap_sentence,
    share,
    suppress_rows,
    withheld_message,
    workbook_note,
)


def _cell(text: object, blank: str = "") -> str:
    """Data in report.md (a table cell, a heading, a list item), escaped for
    Markdown; ``blank`` stands in for empty text."""
    if text == "" and blank:
        return blank
    return markdown(str(text))


def render_markdown(result: AuditResult, report: dict[str, Any], totals: Tally) -> str:
    """report.md, from the report and the tally's examples."""
    camp = report["campaign"]
    files = list_files(result, report)
    rows = report["input_rows"]
    lines = ["# cxaudit report", ""]
    if not files.written:
        lines += [
            f"**{files.cleaned}, {files.suppressed} and {files.flagged} (and their workbooks) "
            f"were not written**: {_cell(withheld_message(report))}. Look at the rules below "
            "before sending.",
            "",
        ]
    lines += [
        f"Campaign type **{_cell(camp['type'] or '', '-')}**, channel "
        f"**{_cell(camp['channel'] or '', '-')}**, offer **{_cell(camp['offer'] or '', '-')}**, "
        f"as of {report['as_of']}"
        + (
            f" (settings from {_cell(report['campaign_settings_file'])})."
            if report.get("campaign_settings_file")
            else "."
        ),
        "",
        "| recipients | people | share |",
        "| --- | ---: | ---: |",
        f"| in the list | {rows:,} | {share(rows, rows)} |",
        f"| kept ({files.cleaned}) | {report['kept']:,} | {share(report['kept'], rows)} |",
        f"| suppressed ({files.suppressed}, {files.suppressed_xlsx}) "
        f"| {report['suppressed']:,} | {share(report['suppressed'], rows)} |",
        f"| kept but flagged ({files.flagged}, {files.flagged_xlsx}) "
        f"| {report['flagged']:,} | {share(report['flagged'], rows)} |",
    ]
    note = workbook_note(files, report)
    if note and files.written:
        lines += ["", f"{_cell(note)}."]
    lines += [
        "",
        "## Rules",
        "",
        "People per rule: a suppress rule counts the people it held back, a flag rule the "
        "kept people it flagged, an allow rule the people it exempted from a suppress rule; "
        "shares are of the whole list. "
        + overlap_sentence(report, totals.multi_rule, suppress_rows(result, report)),
        "",
        "| rule | what it is for | action | people | share | meaning of people |",
        "| --- | --- | --- | ---: | ---: | --- |",
    ]
    meaning = {
        "suppress": "suppressed",
        "flag": "kept, flagged",
        "allow": "exempted from a suppress rule",
    }
    inert = {item["id"]: item["why"] for item in report.get("inert_rules", [])}
    for rule in result.applicable:
        if rule.id in inert:
            people = "| inert | - | cannot match anyone: see Inert rules |"
        else:
            count = report["by_rule"][rule.id]
            people = f"| {count:,} | {share(count, rows)} | {meaning[rule.action]} |"
        lines.append(
            f"| {_cell(rule.id)} | {_cell(rule.description or '', '-')} | {rule.action} {people}"
        )
    for special, what in SPECIAL_MEANING.items():
        count = report["by_rule"][special]
        lines.append(
            f"| {special} | {what} | suppress | {count:,} | {share(count, rows)} | suppressed |"
        )
    if inert:
        lines += [
            "",
            "## Inert rules",
            "",
            "These rules ran but cannot match anyone on these files, so nobody was held, "
            "flagged or exempted by them; fix the input or the setting named.",
            "",
        ]
        lines += [f"- {_cell(rule_id)}: {_cell(why)}" for rule_id, why in inert.items()]
    if result.skipped:
        lines += ["", "## Skipped rules", ""]
        for rule in result.skipped:
            lines.append(f"- {_cell(rule.id)}: {_cell(result.rules.skip_reason(rule) or '')}")

    identity = identity_lines(report)
    if identity:
        lines += ["", "## Identity", ""]
        lines += [f"- {_cell(line)}" for line in identity]

    if report["warnings"]:
        lines += ["", "## Warnings", ""]
        lines += [f"- {_cell(w)}" for w in report["warnings"]]

    examples = []
    for rule_id in [r.id for r in result.applicable] + [UNVERIFIABLE, DUPLICATE]:
        mine = totals.examples.get(rule_id, [])
        if not mine:
            continue
        examples += [
            "",
            f"### {_cell(rule_id)}",
            "",
            "| row | recipient | reason |",
            "| ---: | --- | --- |",
        ]
        for number, label, reason in mine:
            examples.append(f"| {number} | {_cell(label)} | {_cell(reason)} |")
        total = totals.effects.get(rule_id, 0)
        if total > EXAMPLES_PER_RULE:
            examples.append(f"| | | … and {total - EXAMPLES_PER_RULE:,} more |")
    if examples:
        lines += ["", "## Examples", *examples]

    if report["flags"]:
        flags = report["flags"]
        listed = flags[:MAX_FLAGS_LISTED]
        rest_in = files.flagged if files.written else "report.json"
        lines += [
            "",
            "## Flagged recipients (kept, for support to know)",
            "",
            flags_intro(len(listed), len(flags), files),
            "",
            "| row | recipient | rules | reasons |",
            "| ---: | --- | --- | --- |",
        ]
        for item in listed:
            lines.append(
                f"| {item['row']} | {_cell(item['recipient'])} | {_cell(', '.join(item['rules']))} "
                f"| {_cell('; '.join(item['reasons']))} |"
            )
        if len(flags) > len(listed):
            lines.append(f"| | | | … and {len(flags) - len(listed):,} more in {rest_in} |")

    if "baseline" in report:
        lines.append(_baseline_markdown(report["baseline"]))

    lines += [
        "",
        "## Inputs",
        "",
        "| input | path | rows | sha256 |",
        "| --- | --- | ---: | --- |",
    ]
    for item in report["inputs"]:
        lines.append(
            f"| {item['name']} | {_cell(item['path'])} | {item['rows']:,} "
            f"| `{item['sha256'][:12]}` |"
        )
    rf = report["rules_file"]
    lines.append(f"| rules | {_cell(rf['path'])} | | `{rf['sha256'][:12]}` |")
    return "\n".join(lines) + "\n"


def _baseline_markdown(change: dict[str, Any]) -> str:
    lines = [
        "",
        f"## Changes since {_cell(change['path'])}",
        "",
        f"{len(change['newly_suppressed']):,} newly suppressed, "
        f"{len(change['released']):,} released (suppressed before, kept now).",
    ]
    for title, key, rules_key in (
        ("Newly suppressed", "newly_suppressed", "rules"),
        ("Released", "released", "previous_rules"),
    ):
        items = change[key]
        if not items:
            continue
        lines += ["", f"### {title}", "", "| row | recipient | rules |", "| ---: | --- | --- |"]
        lines += [
            f"| {i['row']} | {_cell(i['recipient'])} | {_cell(', '.join(i[rules_key]))} |"
            for i in items[:MAX_FLAGS_LISTED]
        ]
        if len(items) > MAX_FLAGS_LISTED:
            rest = len(items) - MAX_FLAGS_LISTED
            lines.append(f"| | | … and {rest:,} more in report.json |")
    return "\n".join(lines)
