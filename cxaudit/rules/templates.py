"""A rule's ``reason:`` template checked when the rules load: every
``{field}`` it names can be filled and every format spec works, so a reason
never fails halfway through a run."""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime
from typing import Any

from cxaudit.rules.model import CAMPAIGN_FIELDS, RECIPIENTS
from cxaudit.rules.problems import _suggest
from cxaudit.rules.shape import RuleSpec
from cxaudit.rules.where import _RuleContext
from cxaudit.rules.yamlsafe import Path_

_CAMPAIGN_TEMPLATE_FIELDS = ("campaign.type", "campaign.channel", "campaign.offer")
_SAMPLE_MOMENT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _check_template(spec: RuleSpec, ctx: _RuleContext, path: Path_) -> None:
    template = spec.reason or ""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        ctx.problems.add(
            path, f"invalid template ({exc}); write literal braces as {{{{ }}}}", ctx.rule_id
        )
        return
    fields = ctx.fields(ctx.table)
    for _literal, fname, spec_text, conv in parts:
        if fname is None:
            continue

        def problem(message: str) -> None:
            ctx.problems.add(path, message, ctx.rule_id)

        root, _, attr = fname.partition(".")
        if "[" in root:
            problem(f"{{{fname}}}: indexing is not supported")
            continue
        sample: Any
        if root == "count":
            sample = 3
        elif root == "campaign":
            if attr not in CAMPAIGN_FIELDS:
                problem(
                    f"{{{fname}}}: campaign fields are campaign.type, campaign.channel, "
                    "campaign.offer"
                )
                continue
            sample = "text"
        elif spec.match == "none" and not ctx.on_recipients:
            problem(
                f"{{{fname}}}: a `match: none` rule has no source row to take {root!r} from; "
                "use {count} or {campaign.X}"
            )
            continue
        elif root in fields or ctx.on_recipients:
            if root not in fields:
                ctx.check_field(root, path)
            sample = _SAMPLE_MOMENT if ctx.is_date(ctx.table, root) and spec_text else "text"
        else:
            problem(
                f"{{{fname}}} is not a field of {ctx.table.name!r}{_suggest(root, fields)}; "
                f"use one of {', '.join([*fields, 'count', *_CAMPAIGN_TEMPLATE_FIELDS])}"
            )
            continue
        if attr and root != "campaign":
            problem(f"{{{fname}}}: {root} has no attributes to read; write {{{root}}}")
            continue
        if conv not in (None, "r", "s", "a"):
            problem(f"{{{fname}!{conv}}}: unknown conversion !{conv}; use !r, !s or !a")
            continue
        spec_text = spec_text or ""
        if sample is not _SAMPLE_MOMENT:
            # As the reasons are rendered: converted first, then formatted.
            sample = {"r": repr, "s": str, "a": ascii}.get(conv or "", lambda v: v)(sample)
            if _too_wide(spec_text):
                problem(
                    f"{{{fname}:{spec_text}}}: widths and precisions above {_MAX_WIDTH} "
                    "are not supported"
                )
                continue
        if "%" in spec_text and sample == "text" and root not in ("count", "campaign"):
            where = RECIPIENTS if ctx.on_recipients else f"sources.{ctx.table.name}"
            problem(
                f"{{{fname}:{spec_text}}} formats {root} as a date, but {root} is not listed "
                f"in {where}.dates; add it there (or write {{{root}}})"
            )
            continue
        try:
            format(sample, spec_text)
        except (ValueError, TypeError, OverflowError) as exc:
            problem(f"{{{fname}:{spec_text}}}: bad format ({exc})")


_MAX_WIDTH = 1000


def _too_wide(spec: str) -> bool:
    """Whether a format spec asks for a width or precision above
    :data:`_MAX_WIDTH` (``{case_id:>999999999}`` would build a gigabyte per
    reason)."""
    return any(
        len(digits.lstrip("0")) > 4 or int(digits) > _MAX_WIDTH
        for digits in re.findall(r"\d+", spec)
    )
