"""``markdown``: a summary for a pull-request comment or a job summary, and
the job summary's list of findings left out of the GitHub annotations."""

from __future__ import annotations

from cxaudit.check.formats.common import (
    MAX_ROWS_SHOWN,
    _outcome,
    _rule_rows,
    error_text,
    warnings_of,
)
from cxaudit.check.formats.github import MAX_ANNOTATIONS, Annotation
from cxaudit.check.run import CheckRun
from cxaudit.escaping import markdown


def _md(text: object, blank: str = "") -> str:
    """A Markdown cell; ``blank`` stands in for empty text."""
    if text == "" and blank:
        return blank
    return markdown(str(text))


class MarkdownRenderer:
    """A summary fit for a pull-request comment or a job summary."""

    def render(self, run: CheckRun) -> str:
        failed = sum(c.failed and c.error is None for c in run.checks)
        errors = len(run.errors)
        n = len(run.checks)
        if errors:
            head = f"**ERROR**: {errors} of {n} campaign file(s) could not be read" + (
                f"; {failed} would reach people the rules hold back" if failed else ""
            )
        elif failed:
            head = (
                f"**FAIL**: {failed} of {n} campaign file(s) would reach people the rules hold back"
            )
        else:
            head = f"**pass**: {n} campaign file(s) checked, nobody to hold back"
        out = [
            "## cxaudit check",
            "",
            head,
            "",
            "| campaign | type | channel | offer | recipients | suppressed | flagged | result |",
            "| --- | --- | --- | --- | ---: | ---: | ---: | --- |",
        ]
        for c in run.checks:
            if c.report is None:
                out.append(f"| {_md(c.path)} | - | - | - | - | - | - | {_outcome(c)} |")
                continue
            r, camp = c.report, c.report["campaign"]
            attrs = " | ".join(_md(camp[k] or "", "-") for k in ("type", "channel", "offer"))
            out.append(
                f"| {_md(c.path)} | {attrs} | {r['input_rows']} | {r['suppressed']} "
                f"| {r['flagged']} | {_outcome(c)} |"
            )
        warned = [(c, warnings_of(c)) for c in run.checks if warnings_of(c)]
        if warned:
            out += ["", "### Warnings", ""]
            out += [f"- {_md(c.path)}: {_md(w)}" for c, found in warned for w in found]
        for c in run.checks:
            if c.error is not None:
                out += ["", f"### {_md(c.path)}", "", f"Cannot be read: {_md(error_text(c))}"]
                continue
            rows = [(rid, act, f) for rid, act, f in _rule_rows(c) if f and act != "allow"]
            if not rows:
                continue
            assert c.result is not None
            out += [
                "",
                f"### {_md(c.path)}",
                "",
                "| rule | what it is for | action | rows |",
                "| --- | --- | --- | ---: |",
            ]
            about = {r.id: r.description or "" for r in c.result.applicable}
            out += [
                f"| {_md(rid)} | {_md(about.get(rid, ''), '-')} | {act} | {len(f):,} |"
                for rid, act, f in rows
            ]
            shown = [v for v in c.violations if v.effect != "allow"]
            out += [
                "",
                f"<details><summary>{len(shown)} row(s)</summary>",
                "",
                "| row | recipient | rule | reason |",
                "| ---: | --- | --- | --- |",
            ]
            out += [
                f"| {v.row} | {_md(v.recipient)} | {_md(v.rule_id)} | {_md(v.reason)} |"
                for v in shown[:MAX_ROWS_SHOWN]
            ]
            if len(shown) > MAX_ROWS_SHOWN:
                out.append(f"| | | | … and {len(shown) - MAX_ROWS_SHOWN} more |")
            out += ["", "</details>"]
        return "\n".join(out) + "\n"


def omitted_markdown(omitted: list[Annotation]) -> str:
    """The job summary's list of the findings GitHub was not given as
    annotations (empty when every one was)."""
    if not omitted:
        return ""
    out = [
        "",
        "### Not annotated",
        "",
        f"GitHub shows at most {MAX_ANNOTATIONS} error and {MAX_ANNOTATIONS} warning "
        f"annotations per step; these {len(omitted):,} were left out:",
        "",
        "| level | finding |",
        "| --- | --- |",
    ]
    out += [f"| {a.level} | {_md(a.summary)} |" for a in omitted]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------
