"""Reports: the machine summary (report.json) and the human one (report.md).

``build_report`` is the single source of truth; ``--format json`` prints
exactly what it returns, and the Markdown is rendered from the same result.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxaudit import __version__
from cxaudit.audit import AuditResult
from cxaudit.dates import iso
from cxaudit.outcome import DUPLICATE, UNVERIFIABLE
from cxaudit.privacy import mask_many
from cxaudit.reasons import defuse

EXAMPLES_PER_RULE = 3
MAX_FLAGS_LISTED = 200


def build_report(result: AuditResult, show_pii: bool = False) -> dict[str, Any]:
    """The run's summary; recipients in it are masked unless ``show_pii``."""
    out = result.outcome
    table = result.recipients.table
    flags = out.effects[out.effects["effect"] == "flag"].sort_values(["row", "rule"], kind="stable")
    flag_rows_pos = flags["row"].to_numpy(dtype=np.int64)
    starts = (
        np.flatnonzero(np.r_[True, flag_rows_pos[1:] != flag_rows_pos[:-1]]) if len(flags) else []
    )
    rows = flag_rows_pos[starts] if len(flags) else np.zeros(0, dtype=np.int64)
    rule_groups = (
        np.split(flags["rule_id"].to_numpy(dtype=object), starts[1:]) if len(flags) else []
    )
    reason_groups = (
        np.split(flags["reason"].to_numpy(dtype=object), starts[1:]) if len(flags) else []
    )
    flag_rows = [
        {"row": number, "recipient": label, "rules": rules.tolist(), "reasons": reasons.tolist()}
        for number, label, rules, reasons in zip(
            table.row_numbers[rows].tolist(),
            recipient_labels(result, rows, show_pii).tolist(),
            rule_groups,
            reason_groups,
            strict=True,
        )
    ]
    inputs = [
        {
            "name": "campaign",
            "path": str(table.path),
            "rows": table.rows,
            "sha256": table.sha256,
        }
    ]
    for name, src in result.sources.items():
        inputs.append(
            {"name": name, "path": str(src.path), "rows": len(src), "sha256": src.table.sha256}
        )
    return {
        "cxaudit_version": __version__,
        "as_of": iso(result.as_of),
        "campaign": result.rules.campaign.as_dict(),
        "input_rows": result.input_rows,
        "kept": int(out.kept.sum()),
        "suppressed": int(out.suppressed.sum()),
        "flagged": int(out.flagged.sum()),
        "by_rule": out.by_rule,
        "skipped_rules": [r.id for r in result.skipped],
        "warnings": result.warnings,
        "flags": flag_rows,
        "campaign_settings_file": str(result.sidecar) if result.sidecar else None,
        "rules_file": {"path": str(result.rules.path), "sha256": _sha256(result.rules.path)},
        "inputs": inputs,
    }


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def recipient_labels(result: AuditResult, rows: np.ndarray, show_pii: bool = False) -> np.ndarray:
    """How recipients are named in reports: their email, else id, else phone,
    masked unless ``show_pii``."""
    recipients = result.recipients
    labels = pd.Series([""] * len(rows), dtype=object)
    for key in ("phone", "customer_id", "email"):  # last wins: email first
        if key in recipients.field_columns:
            column = recipients.table.frame[recipients.field_columns[key]]
            values = column.take(rows).reset_index(drop=True).str.strip().astype(object)
            labels = values.where(values != "", labels)
    return (labels if show_pii else mask_many(labels)).to_numpy(dtype=object)


def _cell(text: object, blank: str = "") -> str:
    """Safe inside a Markdown table and inert if pasted into a spreadsheet;
    ``blank`` stands in for empty text (and is not defused)."""
    if text == "" and blank:
        return blank
    value = defuse(str(text))
    value = value.replace("\\", "\\\\").replace("|", "\\|")
    return " ".join(value.split()) if value.strip() else value.strip()


def render_markdown(result: AuditResult, report: dict[str, Any], show_pii: bool = False) -> str:
    camp = report["campaign"]
    lines = [
        "# cxaudit report",
        "",
        f"Campaign type **{_cell(camp['type'] or '', '-')}**, channel "
        f"**{_cell(camp['channel'] or '', '-')}**, offer **{_cell(camp['offer'] or '', '-')}**, "
        f"as of {report['as_of']}.",
        "",
        "| recipients | rows |",
        "| --- | ---: |",
        f"| in the list | {report['input_rows']} |",
        f"| kept (cleaned.csv) | {report['kept']} |",
        f"| suppressed (suppressed.csv) | {report['suppressed']} |",
        f"| kept but flagged | {report['flagged']} |",
        "",
        "## Rules",
        "",
        "| rule | action | rows | meaning of rows |",
        "| --- | --- | ---: | --- |",
    ]
    meaning = {
        "suppress": "suppressed",
        "flag": "kept, flagged",
        "allow": "exempted from a suppress rule",
    }
    for rule in result.applicable:
        lines.append(
            f"| {_cell(rule.id)} | {rule.action} | {report['by_rule'][rule.id]} "
            f"| {meaning[rule.action]} |"
        )
    for special in (UNVERIFIABLE, DUPLICATE):
        lines.append(f"| {special} | suppress | {report['by_rule'][special]} | suppressed |")
    if result.skipped:
        lines += ["", "## Skipped rules (applies_to excludes this campaign)", ""]
        for rule in result.skipped:
            cond = "; ".join(f"{k}: {', '.join(sorted(v))}" for k, v in rule.applies_to.items())
            lines.append(f"- {_cell(rule.id)} (applies to {_cell(cond)})")

    if report["warnings"]:
        lines += ["", "## Warnings", ""]
        lines += [f"- {_cell(w)}" for w in report["warnings"]]

    effects = result.outcome.effects
    row_numbers = result.recipients.table.row_numbers
    shown = [r.id for r in result.applicable] + [UNVERIFIABLE, DUPLICATE]
    heads = effects.groupby("rule_id", sort=False).head(EXAMPLES_PER_RULE)
    labels = dict(
        zip(
            heads["row"].tolist(),
            recipient_labels(result, heads["row"].to_numpy(dtype=np.int64), show_pii).tolist(),
            strict=True,
        )
    )
    totals = effects["rule_id"].value_counts()
    examples = []
    for rule_id in shown:
        mine = heads[heads["rule_id"].to_numpy() == rule_id]
        if not len(mine):
            continue
        examples += [
            "",
            f"### {_cell(rule_id)}",
            "",
            "| row | recipient | reason |",
            "| ---: | --- | --- |",
        ]
        for row, reason in mine[["row", "reason"]].itertuples(index=False):
            label = labels[int(row)]
            examples.append(f"| {row_numbers[int(row)]} | {_cell(label)} | {_cell(reason)} |")
        total = int(totals.get(rule_id, 0))
        if total > EXAMPLES_PER_RULE:
            examples.append(f"| | | … and {total - EXAMPLES_PER_RULE} more |")
    if examples:
        lines += ["", "## Examples", *examples]

    if report["flags"]:
        lines += [
            "",
            "## Flagged recipients (kept, for support to know)",
            "",
            "| row | recipient | rules | reasons |",
            "| ---: | --- | --- | --- |",
        ]
        for item in report["flags"][:MAX_FLAGS_LISTED]:
            lines.append(
                f"| {item['row']} | {_cell(item['recipient'])} | {_cell(', '.join(item['rules']))} "
                f"| {_cell('; '.join(item['reasons']))} |"
            )
        if len(report["flags"]) > MAX_FLAGS_LISTED:
            rest = len(report["flags"]) - MAX_FLAGS_LISTED
            lines.append(f"| | | | … and {rest} more in report.json |")

    if "baseline" in report:
        lines.append(_baseline_markdown(report["baseline"]))

    lines += ["", "## Inputs", "", "| input | path | rows | sha256 |", "| --- | --- | ---: | --- |"]
    for item in report["inputs"]:
        lines.append(
            f"| {item['name']} | {_cell(item['path'])} | {item['rows']} | `{item['sha256'][:12]}` |"
        )
    rf = report["rules_file"]
    lines.append(f"| rules | {_cell(rf['path'])} | | `{rf['sha256'][:12]}` |")
    return "\n".join(lines) + "\n"


def _baseline_markdown(change: dict[str, Any]) -> str:
    lines = [
        "",
        f"## Changes since {_cell(change['path'])}",
        "",
        f"{len(change['newly_suppressed'])} newly suppressed, "
        f"{len(change['released'])} released (suppressed before, kept now).",
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
            lines.append(f"| | | … and {rest} more in report.json |")
    return "\n".join(lines)


def report_json(report: dict[str, Any]) -> str:
    """report.json's text: indented, with each long-list item (flags, baseline
    changes) on one line. Python's indenting encoder is pure Python and takes
    seconds on a million-row run; one compact line per item keeps it fast and
    still diffable line by line."""
    long_lists = {"flags"}
    head = {k: ("\x00" + k if k in long_lists else v) for k, v in report.items()}
    text = json.dumps(head, indent=2, ensure_ascii=False)
    for key in long_lists:
        items = report.get(key) or []
        if items:
            body = ",\n".join("    " + json.dumps(i, ensure_ascii=False) for i in items)
            value = "[\n" + body + "\n  ]"
        else:
            value = "[]"
        text = text.replace(json.dumps("\x00" + key), value, 1)
    return text + "\n"
