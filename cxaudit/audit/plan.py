"""The plan of an audit: what a run will do (the library call that runs it
on an engine is :mod:`cxaudit.run`).

:func:`plan_audit` settles it (rules with the campaign's settings, the
moment, the rules that apply, the sources they read); an engine
(:mod:`cxaudit.engine`) carries it out, reading and checking every input
before it yields a result, so any bad input fails before a byte is written,
and deciding each chunk with :func:`cxaudit.audit.decide.decide_chunk`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from cxaudit.audit.fields import fields_by_source
from cxaudit.audit.prepare import read_options
from cxaudit.dates import OutOfRange, parse_instant, utc_now
from cxaudit.errors import CxauditError
from cxaudit.inputs.files import Stamp, stamp
from cxaudit.inputs.parts import expand
from cxaudit.rules import RECIPIENTS, Rule, RuleSet, load_rules
from cxaudit.rules.sidecar import read_sidecar


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


class Progress(Protocol):
    """Told what the audit is doing; ``rows`` counts rows a step finished."""

    def __call__(self, message: str, rows: int = 0) -> None: ...


def silent(_message: str, rows: int = 0) -> None:
    """The default progress callback: say nothing."""


def parse_as_of(text: str | None) -> pd.Timestamp:
    if text is None:
        return utc_now()
    try:
        return parse_instant(text)
    except OutOfRange as exc:
        raise CxauditError(
            f"--as-of {text!r}: is {exc.moment} in UTC, outside the years 0001 to 9999; "
            "give a moment inside them"
        ) from None
    except ValueError:
        raise CxauditError(
            f"--as-of {text!r}: not a date; use 2026-11-20 (midnight UTC) or 2026-11-20T09:00:00Z"
        ) from None


def load_ruleset(
    request: AuditRequest,
    sidecar: dict[str, str | None] | None = None,
    sidecar_file: Path | None = None,
) -> RuleSet:
    """The rules file with the campaign's sidecar settings, then the command
    line's campaign and source overrides, applied in that order; every type
    and channel checked against the vocabulary."""
    rules = load_rules(request.rules, request.sources, request.presets)
    if sidecar:
        rules = rules.with_campaign(origin=str(sidecar_file), **sidecar)
    return rules.with_campaign(
        type=request.campaign_type, channel=request.channel, offer=request.offer
    )


def resolve_as_of(request: AuditRequest) -> pd.Timestamp:
    """The moment rules are judged at: --as-of, else the campaign's planned
    ``send_at`` (sidecar, then rules file), else now."""
    if request.as_of is not None:
        return parse_as_of(request.as_of)
    sidecar_file, sidecar = read_sidecar(request.campaign)
    return parse_as_of(load_ruleset(request, sidecar, sidecar_file).campaign.send_at)


@dataclass(frozen=True)
class Plan:
    """What a run will do, settled before any data is read: the rules with
    the campaign's settings, the moment, which rules apply and which sources
    they read. Engines (:mod:`cxaudit.engine`) carry it out."""

    request: AuditRequest
    rules: RuleSet
    as_of: pd.Timestamp
    applicable: list[Rule]
    skipped: list[Rule]
    sidecar: Path | None
    read_options: dict[str, Any]  # how to read the campaign list
    needed: list[str]  # the sources the applicable rules read
    inputs: tuple[Stamp, ...] = ()  # every local input file, stamped before it is read

    def used_fields(self) -> dict[str, set[str]]:
        """Per source, the fields its applicable rules read."""
        return fields_by_source(self.applicable)


def plan_audit(request: AuditRequest, progress: Progress = silent) -> Plan:
    sidecar_file, sidecar = read_sidecar(request.campaign)
    progress(f"reading rules {request.rules}")
    rules = load_ruleset(request, sidecar, sidecar_file)
    as_of = parse_as_of(request.as_of or rules.campaign.send_at)
    applicable = [r for r in rules.rules if rules.applies(r)]
    skipped = [r for r in rules.rules if not rules.applies(r)]
    options = read_options(rules, rules.recipients, request.encoding)
    needed = list(dict.fromkeys(r.source for r in applicable if r.source != RECIPIENTS))
    paths = [request.rules, *([sidecar_file] if sidecar_file else []), request.campaign]
    paths += [rules.sources[n].path for n in needed if rules.sources[n].path is not None]
    inputs = stamp(p for path in paths for p in expand(path))
    return Plan(request, rules, as_of, applicable, skipped, sidecar_file, options, needed, inputs)
