"""report.html: the run's report as one self-contained page, to forward by
email or leave on a shared drive and open offline.

The page is rendered by Jinja2 from ``cxaudit/reports/templates/`` with autoescaping
on, from the same report dict and tally that report.md is rendered from, so
recipients are masked exactly as there (unless ``--show-pii``). Everything
is inline: the style sheet, and the charts as SVG drawn by the template (no
script, no font, no image to fetch; a Content-Security-Policy forbids any
load the page could try anyway). It reads on a phone, in dark mode and on
paper.

The chart library was chosen by measurement on the sample (523 rows): Vega-
Lite through altair and vl-convert-python adds about 106 MiB to an install
and 1.3 s to a run for a 12 KB SVG; plotly adds about 73 MiB, 0.8 s and a
4.8 MB page whose script only draws in a browser that runs it. Bars drawn by
the template cost nothing, follow the page's colours (dark mode, print) and
keep the page at a few tens of KB.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cxaudit.audit.decide import DUPLICATE, UNVERIFIABLE, AuditResult
from cxaudit.escaping import html_text
from cxaudit.reports.build import (
    EXAMPLES_PER_RULE,
    MAX_FLAGS_LISTED,
    Tally,
    ceiling_message,
    flags_intro,
    identity_lines,
    list_files,
    share,
    suppress_rows,
    withheld_message,
    workbook_note,
)

ACTIONS = ("suppress", "flag", "allow")
_SPECIAL = {
    UNVERIFIABLE: "no usable customer_id, email or phone, so nobody can check them",
    DUPLICATE: "a repeat of an earlier row of the same person",
}
_MEANING = {
    "suppress": "suppressed",
    "flag": "kept, flagged",
    "allow": "exempted from a suppress rule",
}


def _finalize(value: Any) -> Any:
    """Applied by Jinja to every ``{{ … }}`` of the template: text is data
    and goes through :func:`html_text`; numbers are left as they are."""
    from markupsafe import Markup

    if isinstance(value, str) and not isinstance(value, Markup):
        return html_text(value)
    return value


def _number(value: int) -> str:
    return f"{value:,}"


def _moment(stamp: str) -> str:
    """report.json's ``as_of`` (``2026-11-20T09:00:00Z``) as people read it:
    ``2026-11-20 09:00 UTC`` (seconds only when there are some)."""
    from datetime import datetime

    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    if not stamp.endswith("Z") or moment.microsecond:
        return stamp
    return moment.strftime("%Y-%m-%d %H:%M:%S" if moment.second else "%Y-%m-%d %H:%M") + " UTC"


@lru_cache(maxsize=1)
def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("cxaudit.reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["n"] = _number
    env.filters["share"] = share
    env.filters["moment"] = _moment
    return env


def _skipped(result: AuditResult, report: dict[str, Any]) -> list[dict[str, str]]:
    """Skipped rules and why: report.json's ``skipped_rules`` (ids, or items
    that carry their own ``why``), else the rule's ``applies_to``."""
    rules = {r.id: r for r in result.skipped}
    out = []
    for item in report["skipped_rules"]:
        if isinstance(item, dict):
            out.append({"id": str(item["id"]), "why": str(item.get("why") or "")})
            continue
        rule = rules.get(item)
        applies = rule.applies_to.items() if rule is not None else ()
        cond = "; ".join(f"{k}: {', '.join(sorted(v))}" for k, v in applies)
        out.append({"id": str(item), "why": f"applies to {cond}" if cond else ""})
    return out


def _rules(result: AuditResult, report: dict[str, Any], totals: Tally) -> list[dict[str, Any]]:
    """One item per rule that ran (and the two ``cxaudit:`` ids): its
    action, description, count, bar length and examples."""
    items = [(r.id, r.action, getattr(r, "description", None)) for r in result.applicable] + [
        (rule_id, "suppress", what) for rule_id, what in _SPECIAL.items()
    ]
    counts = [int(report["by_rule"].get(rule_id, 0)) for rule_id, _, _ in items]
    inert = {item["id"] for item in report.get("inert_rules", [])}
    longest = max(counts, default=0) or 1
    out = []
    for (rule_id, action, description), count in zip(items, counts, strict=True):
        examples = totals.examples.get(rule_id, [])
        touched = totals.effects.get(rule_id, 0)
        out.append(
            {
                "id": rule_id,
                "action": action,
                "meaning": _MEANING[action],
                "description": description or "",
                "count": count,
                "inert": rule_id in inert,
                "width": round(100.0 * count / longest, 2),
                "examples": [
                    {"row": number, "recipient": label, "reason": reason}
                    for number, label, reason in examples
                ],
                "more": max(touched - EXAMPLES_PER_RULE, 0) if examples else 0,
            }
        )
    return out


def _composition(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The list split into sent as is, sent but flagged, held back: the
    stacked bar under the headline (flagged rows are kept rows)."""
    rows = report["input_rows"]
    parts = [
        ("kept", "kept, not flagged", report["kept"] - report["flagged"]),
        ("flag", "kept, flagged", report["flagged"]),
        ("suppress", "suppressed", report["suppressed"]),
    ]
    out, start = [], 0.0
    for key, label, count in parts:
        width = 100.0 * count / rows if rows else 0.0
        out.append(
            {
                "key": key,
                "label": label,
                "count": count,
                "x": round(start, 3),
                "width": round(width, 3),
            }
        )
        start += width
    return out


def render_html(result: AuditResult, report: dict[str, Any], totals: Tally) -> str:
    """report.html, from the report and the tally (the data report.md is
    made of: recipients and reasons already masked unless ``--show-pii``)."""
    ceiling = report.get("ceiling")
    baseline = report.get("baseline")
    flags = report["flags"]
    files = list_files(result, report)
    listed = flags[:MAX_FLAGS_LISTED]
    context = {
        "report": report,
        "camp": report["campaign"],
        "actions": ACTIONS,
        "headline": [
            ("input_rows", "in the list", report["input_rows"], "every row of the campaign file"),
            (
                "kept",
                "kept",
                report["kept"],
                f"{files.cleaned}: send to these"
                if files.written
                else f"{files.cleaned} was not written: withheld",
            ),
            (
                "suppressed",
                "suppressed",
                report["suppressed"],
                f"{files.suppressed} ({files.suppressed_xlsx}): held back",
            ),
            (
                "flagged",
                "flagged",
                report["flagged"],
                f"kept, but support should know: {files.flagged} ({files.flagged_xlsx})",
            ),
        ],
        "composition": _composition(report),
        "rules": _rules(result, report, totals),
        "multi_rule": totals.multi_rule,
        "suppress_rows": suppress_rows(result, report),
        "skipped": _skipped(result, report),
        "inert": report.get("inert_rules", []),
        "warnings": report["warnings"],
        "ceiling": ceiling,
        "ceiling_text": ceiling_message(report) if ceiling else "",
        "withheld_text": "" if files.written else withheld_message(report),
        "files": files,
        "workbook_note": workbook_note(files, report) if files.written else "",
        "flags": listed,
        "flags_intro": flags_intro(len(listed), len(flags), files) if flags else "",
        "flags_more": len(flags) - len(listed),
        "flags_rest_in": files.flagged if files.written else "report.json",
        "baseline": baseline,
        "baseline_limit": MAX_FLAGS_LISTED,
        "identity": report.get("identity") or {},
        "identity_lines": identity_lines(report),
        "show_pii": totals.show_pii,
        "examples_per_rule": EXAMPLES_PER_RULE,
    }
    return _environment().get_template("report.html.j2").render(context)
