"""Reports: report.json, and the wording report.md and report.html share.

``build_report`` is the single source of truth; ``--format json`` prints
exactly what it returns, and report.md (:mod:`cxaudit.reports.markdown`) and
report.html (:mod:`cxaudit.reports.html`) are rendered from the same result.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxaudit import __version__
from cxaudit.audit.columns import column_name
from cxaudit.audit.decide import DUPLICATE, UNVERIFIABLE, AuditResult
from cxaudit.audit.fields import skipped_keys
from cxaudit.audit.formats import formats_by_column
from cxaudit.dates import iso
from cxaudit.inputs.files import read_bytes
from cxaudit.inputs.table import Table
from cxaudit.outputs import spreadsheets
from cxaudit.outputs.names import SPREADSHEETS, row_files
from cxaudit.privacy import mask_many

EXAMPLES_PER_RULE = 3
SPECIAL_MEANING = {
    UNVERIFIABLE: "no usable key: cannot be checked",
    DUPLICATE: "repeats an earlier row's person",
}
MAX_FLAGS_LISTED = 200


@dataclass
class Tally:
    """The report's numbers and lists, added up one chunk of the list at a
    time (a whole-list run is a single chunk), so nothing needs every row."""

    show_pii: bool = False
    input_rows: int = 0
    kept: int = 0
    suppressed: int = 0
    flagged: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)
    flags: list[dict[str, Any]] = field(default_factory=list)
    examples: dict[str, list[tuple[int, str, str]]] = field(default_factory=dict)
    effects: dict[str, int] = field(default_factory=dict)  # rows each rule id touched
    warnings: list[str] = field(default_factory=list)
    multi_rule: int = 0  # suppressed rows held by two or more suppress rules

    def add(self, part: AuditResult) -> None:
        out = part.outcome
        self.input_rows += part.input_rows
        self.kept += int(out.kept.sum())
        self.suppressed += int(out.suppressed.sum())
        self.flagged += int(out.flagged.sum())
        for rule_id, count in out.by_rule.items():
            self.by_rule[rule_id] = self.by_rule.get(rule_id, 0) + count
        self.flags += _flag_items(part, self.show_pii)
        self.warnings += [w for w in part.warnings if w not in self.warnings]
        effects = out.effects
        held = effects.loc[effects["effect"].to_numpy() == "suppress", ["row", "rule_id"]]
        per_row = held.drop_duplicates()["row"].value_counts()
        self.multi_rule += int((per_row.to_numpy() >= 2).sum())
        for rule_id, count in effects["rule_id"].value_counts().items():
            self.effects[str(rule_id)] = self.effects.get(str(rule_id), 0) + int(count)
        heads = effects.groupby("rule_id", sort=False).head(EXAMPLES_PER_RULE)
        wanted = [len(self.examples.get(r, ())) < EXAMPLES_PER_RULE for r in heads["rule_id"]]
        heads = heads[np.array(wanted, dtype=bool)]
        rows = heads["row"].to_numpy(dtype=np.int64)
        labels = recipient_labels(part, rows, self.show_pii).tolist()
        numbers = part.recipients.table.row_numbers[rows].tolist()
        reasons = heads["reason" if self.show_pii else "shared"].tolist()
        for rule_id, number, label, reason in zip(
            heads["rule_id"].tolist(), numbers, labels, reasons, strict=True
        ):
            mine = self.examples.setdefault(rule_id, [])
            if len(mine) < EXAMPLES_PER_RULE:
                mine.append((int(number), label, reason))


def _flag_items(result: AuditResult, show_pii: bool) -> list[dict[str, Any]]:
    """One item per flagged recipient: its row, label, rules and reasons."""
    out = result.outcome
    effects = out.effects
    flags = effects[effects["effect"].to_numpy() == "flag"].sort_values(
        ["row", "rule"], kind="stable"
    )
    if not len(flags):
        return []
    positions = flags["row"].to_numpy(dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, positions[1:] != positions[:-1]])
    ends = np.r_[starts[1:], len(positions)]
    rows = positions[starts]
    rule_ids = flags["rule_id"].tolist()
    reasons = flags["reason" if show_pii else "shared"].tolist()
    return [
        {"row": number, "recipient": label, "rules": rule_ids[a:b], "reasons": reasons[a:b]}
        for number, label, a, b in zip(
            result.recipients.table.row_numbers[rows].tolist(),
            recipient_labels(result, rows, show_pii).tolist(),
            starts.tolist(),
            ends.tolist(),
            strict=True,
        )
    ]


def tally(result: AuditResult, show_pii: bool = False) -> Tally:
    """The tally of a whole-list run."""
    totals = Tally(show_pii)
    totals.add(result)
    return totals


def build_report(
    result: AuditResult,
    show_pii: bool = False,
    totals: Tally | None = None,
    campaign_sha256: str | None = None,
) -> dict[str, Any]:
    """The run's summary; recipients in it are masked unless ``show_pii``.
    ``result`` supplies the run's settings (any chunk of it will do) and
    ``totals`` the counts over every chunk (by default: ``result``'s)."""
    totals = totals if totals is not None else tally(result, show_pii)
    table = result.recipients.table
    coverage = result.coverage
    inert = result.inert_rules()
    inputs = [
        {
            "name": "campaign",
            "path": str(table.path),
            "rows": totals.input_rows,
            "sha256": campaign_sha256 or table.sha256,
            "encoding": _encoding(table),
        }
    ]
    rec = result.recipients  # the first chunk inferred them; later ones carry them on
    if listed := {**rec.date_formats, **rec.config.column_formats}:
        inputs[0]["date_formats"] = formats_by_column(rec, listed)
    for name, src in result.sources.items():
        entry = {
            "name": name,
            "path": str(src.path),
            "rows": src.rows_read,
            "sha256": src.table.sha256,
            "encoding": _encoding(src.table),
        }
        if src.table.footer_lines:  # a report's footer (Salesforce), not rows
            entry["footer_lines_dropped"] = src.table.footer_lines
        formats = src.stats.date_formats if src.stats is not None else src.date_formats
        # on a cluster the client read them before the workers, which never guess
        formats = {**formats, **src.config.column_formats}
        if formats:  # date formats read from the column's values
            entry["date_formats"] = formats_by_column(src, formats)
        inputs.append(entry)
    return {
        "cxaudit_version": __version__,
        "as_of": iso(result.as_of),
        "campaign": result.rules.campaign.facts(),
        "input_rows": totals.input_rows,
        "kept": totals.kept,
        "suppressed": totals.suppressed,
        "flagged": totals.flagged,
        # an inert rule could not match: it is in inert_rules, not counted here
        "by_rule": {k: v for k, v in totals.by_rule.items() if k not in inert},
        "skipped_rules": [{"id": r.id, "why": result.rules.skip_reason(r)} for r in result.skipped],
        "inert_rules": [{"id": rule_id, "why": why} for rule_id, why in inert.items()],
        "warnings": totals.warnings + run_warnings(result, inert),
        "notes": list_notes(result),
        "flags": totals.flags,
        "campaign_settings_file": str(result.sidecar) if result.sidecar else None,
        "rules_file": {"path": str(result.rules.path), "sha256": _sha256(result.rules.path)},
        "inputs": inputs,
        "identity": coverage.report() if coverage is not None else {},
    }


def list_notes(result: AuditResult) -> list[str]:
    """What is worth knowing and is not a problem: the rules file maps a
    key column this list does not have (an email-only export), so people
    are matched by the keys it has."""
    rec = result.recipients
    skipped = skipped_keys(rec)
    if not skipped:
        return []
    keys = rec.config.keys or {}
    used = [k for k in keys if k not in skipped]
    lacks = ", ".join(f"{k} ({column_name(keys[k])})" for k in skipped)
    return [
        f"{rec.path}: has no column for {lacks}, which recipients.keys maps; its people are "
        f"matched by {', '.join(used)}"
    ]


def run_warnings(result: AuditResult, inert: dict[str, str] | None = None) -> list[str]:
    """What the whole run warns about beyond its chunks' own warnings:
    rules skipped for an unset fact, inert rules, identity coverage
    (``inert``: :meth:`AuditResult.inert_rules`, when already known)."""
    inert = result.inert_rules() if inert is None else inert
    coverage = result.coverage
    path = str(result.recipients.table.path)
    found = coverage.warnings(path) if coverage is not None else []
    return unset_fact_warnings(result) + inert_warnings(inert) + found


def unset_fact_warnings(result: AuditResult) -> list[str]:
    """A rule skipped because a campaign fact it compares with is not set is
    worth a warning: it would otherwise have matched nobody, quietly."""
    out = []
    for rule in result.skipped:
        why = result.rules.skip_reason(rule) or ""
        if why.startswith("needs "):
            out.append(f"rule {rule.id!r} was skipped: it {why}")
    return out


def inert_warnings(inert: dict[str, str]) -> list[str]:
    """An inert rule is a warning: the run could not do what it says."""
    return [f"rule {rule_id!r} cannot match anyone: {why}" for rule_id, why in inert.items()]


def withheld_message(report: dict[str, Any]) -> str:
    """Why the lists were not written: --strict and a warning, or the ceiling."""
    if report.get("degraded"):
        n = len(report["warnings"])
        plural = "s" if n != 1 else ""
        return f"the run is degraded under --strict ({n} warning{plural}, listed below)"
    return ceiling_message(report)


def apply_strict(report: dict[str, Any], strict: bool) -> bool:
    """Under ``--strict`` (or ``strict: true``), whether the run is degraded:
    it had warnings, so it may not have done what the rules say; report.json
    says so in ``degraded``."""
    degraded = strict and bool(report["warnings"])
    if strict:
        report["degraded"] = degraded
    return degraded


def apply_ceiling(report: dict[str, Any], max_suppressed: float | None) -> bool:
    """Add ``ceiling`` to the report when one is set; True when the run
    suppresses more than ``max_suppressed`` percent of the list (a wrong join
    or a stale export, much more often than a real crisis)."""
    if max_suppressed is None:
        return False
    rows = report["input_rows"]
    share = 100.0 * report["suppressed"] / rows if rows else 0.0
    exceeded = share > max_suppressed
    report["ceiling"] = {
        "max_suppressed_percent": max_suppressed,
        "suppressed_percent": round(share, 2),
        "exceeded": exceeded,
    }
    return exceeded


def ceiling_message(report: dict[str, Any]) -> str:
    ceiling = report["ceiling"]
    return (
        f"{report['suppressed']:,} of {report['input_rows']:,} recipients "
        f"({ceiling['suppressed_percent']:g}%) would be suppressed, above the ceiling of "
        f"{ceiling['max_suppressed_percent']:g}% (--max-suppressed)"
    )


def share(part: int, whole: int) -> str:
    """``part`` as a percentage of ``whole`` for people: one decimal,
    ``<0.1%`` for a sliver that would otherwise read as none."""
    if not whole:
        return "0%"
    value = 100.0 * part / whole
    if 0 < value < 0.05:
        return "<0.1%"
    text = f"{value:.1f}"
    return (text[:-2] if text.endswith(".0") else text) + "%"


@dataclass(frozen=True)
class ListFiles:
    """The names of a run's row files (in the list's own format) and its
    workbooks, and whether they were written (not above the ceiling)."""

    cleaned: str
    suppressed: str
    flagged: str
    suppressed_xlsx: str
    flagged_xlsx: str
    written: bool


def list_files(result: AuditResult, report: dict[str, Any]) -> ListFiles:
    fmt = result.recipients.table.dialect.format
    written = not report.get("ceiling", {}).get("exceeded") and not report.get("degraded")
    return ListFiles(*row_files(fmt), *SPREADSHEETS, written)


def workbook_note(files: ListFiles, report: dict[str, Any]) -> str:
    """What the workbooks hold, when a list is longer than a workbook takes:
    ``suppressed.xlsx holds the first 20,000 of the 48,000 suppressed people
    (suppressed.csv has them all)``; "" when each holds its whole list."""
    parts = []
    cap = spreadsheets.MAX_ROWS
    for key, book, csv_name in (
        ("suppressed", files.suppressed_xlsx, files.suppressed),
        ("flagged", files.flagged_xlsx, files.flagged),
    ):
        if report[key] > cap:
            parts.append(
                f"{book} holds the first {cap:,} of the {report[key]:,} {key} "
                f"people ({csv_name} has them all)"
            )
    return "; ".join(parts)


def _encoding(table: Table) -> str | None:
    """The encoding a CSV input was read in (a preset's is only a default: a
    BOM or valid UTF-8 may have decided otherwise); None for Parquet."""
    dialect = table.dialect
    if dialect.format == "parquet":
        return None
    return dialect.encoding + ("-sig" if dialect.bom and dialect.encoding == "utf-8" else "")


def _sha256(path: Path) -> str:
    return hashlib.sha256(read_bytes(path)).hexdigest()


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


def dropped_text(dropped: dict[str, dict[str, int]]) -> str:
    """``email: 2 not a key; customer_id: 1 placeholder`` ("" for none)."""
    words = {"placeholder": "placeholder", "damaged": "damaged by Excel", "not_a_key": "not a key"}
    return "; ".join(
        f"{column}: " + ", ".join(f"{n:,} {words.get(why, why)}" for why, n in counts.items())
        for column, counts in dropped.items()
    )


def identity_lines(report: dict[str, Any]) -> list[str]:
    """What report.md and report.html say under "Identity": the persons behind
    the list's rows and the key values dropped as no key, per input."""
    identity = report.get("identity") or {}
    campaign = identity.get("campaign")
    if not campaign:
        return []
    lines = []
    if "persons" in campaign:
        several = campaign["rows_of_persons_listed_more_than_once"]
        line = f"{campaign['rows']:,} rows of the list are {campaign['persons']:,} persons"
        if several:
            line += (
                f"; {several:,} rows belong to persons listed more than once "
                f"({campaign['rows_linked_through_several_keys']:,} linked through more than one "
                "key), each judged as one person"
            )
        if campaign["without_key"]:
            line += f"; {campaign['without_key']:,} rows have no usable key"
        lines.append(line)
    names = {item["name"]: item["path"] for item in report.get("inputs", [])}
    for name, counts in identity.items():
        text = dropped_text(counts.get("dropped_keys") or {})
        if text:
            lines.append(f"{names.get(name, name)}: key values that are no key: {text}")
    return lines


def suppress_rows(result: AuditResult, report: dict[str, Any]) -> int:
    """The suppress rows of the rules table added up (the rules that ran and
    the ``cxaudit:`` ids): more than the suppressed people when some were
    held by several rules."""
    ids = [r.id for r in result.applicable if r.action == "suppress"] + [UNVERIFIABLE, DUPLICATE]
    return sum(int(report["by_rule"].get(i, 0)) for i in ids)


def overlap_sentence(report: dict[str, Any], multi_rule: int, rows: int) -> str:
    """How the suppress rows (``rows``, see :func:`suppress_rows`) add up:
    one person can be held by several rules."""
    suppressed = report["suppressed"]
    people = "person" if suppressed == 1 else "people"
    if not suppressed:
        return "Nobody was held back."
    if not multi_rule:
        return (
            f"No one was held by more than one rule: the suppress rows add up to the "
            f"{suppressed:,} suppressed {people}."
        )
    verb = "was" if multi_rule == 1 else "were"
    return (
        f"{multi_rule:,} of the {suppressed:,} suppressed {people} {verb} held by more than "
        f"one rule, so the suppress rows add up to {rows:,}, not {suppressed:,}."
    )


def flags_intro(listed: int, total: int, files: ListFiles) -> str:
    """The sentence above the flagged recipients: how many are listed and
    where all of them are."""
    where = (
        f"{files.flagged} and {files.flagged_xlsx} list them with their whole rows"
        if files.written
        else f"report.json lists them ({files.flagged} was not written)"
    )
    if listed == total:
        noun = "recipient" if total == 1 else "recipients"
        return f"All {total:,} flagged {noun}, in list order; {where}."
    return f"The first {listed:,} of the {total:,} flagged recipients, in list order; {where}."


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
            encode = json.JSONEncoder(ensure_ascii=False).encode  # one encoder, not one per item
            body = ",\n".join("    " + encode(i) for i in items)
            value = "[\n" + body + "\n  ]"
        else:
            value = "[]"
        # anchored on the key at the top level: a value elsewhere cannot be taken for it
        marker = f"\n  {json.dumps(key)}: {json.dumps(chr(0) + key)}"
        text = text.replace(marker, f"\n  {json.dumps(key)}: {value}", 1)
    return text + "\n"
