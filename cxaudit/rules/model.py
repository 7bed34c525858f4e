"""The compiled rules: the plain, frozen dataclasses the evaluator reads.

What a rules file means once it is checked: its rules (:class:`Rule`, whose
``where`` is a tree of :class:`Condition` and :class:`AnyOf`), its tables
(:class:`TableConfig`), the campaign and its vocabulary, all in one
:class:`RuleSet`. Nothing here reads a file or reports a problem; see
:mod:`cxaudit.rules.load` for that.
"""

from __future__ import annotations

import string
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from cxaudit.errors import CxauditError
from cxaudit.rules.problems import _suggest
from cxaudit.rules.yamlsafe import LineMap

RECIPIENTS = "recipients"
CAMPAIGN_FIELDS = ("type", "channel", "offer")
# The campaign vocabulary: a typo in --channel or applies_to must not switch a
# rule off. A rules file replaces these (vocabulary.types / .channels) or
# extends them (vocabulary.add_types / .add_channels).
TYPES = (
    "promotional",
    "upsell",
    "cross_sell",
    "winback",
    "referral",
    "review",
    "survey",
    "newsletter",
    "onboarding",
    "loyalty",
    "service",
    "transactional",
)
CHANNELS = ("email", "sms", "phone", "push", "whatsapp", "in_app", "direct_mail")
FLAGS = {"type": "--campaign-type", "channel": "--channel", "offer": "--offer"}
TEXT_OPS = ("equals", "not_equals", "contains")
LIST_OPS = ("in", "not_in")
NUMBER_OPS = ("gt", "gte", "lt", "lte")
DAYS_OPS = ("within_days", "older_than_days")
INSTANT_OPS = ("before", "after")
OPERATORS = (*TEXT_OPS, *LIST_OPS, "matches", "empty", *NUMBER_OPS, *DAYS_OPS, *INSTANT_OPS)
DATE_OPS = (*DAYS_OPS, *INSTANT_OPS)


@dataclass(frozen=True)
class Ref:
    """``$campaign.X`` or ``$recipient.COLUMN``: a value known only at run time."""

    scope: Literal["campaign", "recipient"]
    name: str

    def __str__(self) -> str:
        return f"${self.scope}.{self.name}"


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any
    line: int | None = None


@dataclass(frozen=True)
class AnyOf:
    """At least one of ``options`` holds; each option is an AND of nodes."""

    options: tuple[tuple[Condition | AnyOf, ...], ...]
    line: int | None = None


Node = Condition | AnyOf


@dataclass(frozen=True)
class Vocabulary:
    """The campaign types and channels this rules file knows (lower case)."""

    types: frozenset[str] = frozenset(TYPES)
    channels: frozenset[str] = frozenset(CHANNELS)

    def problem(self, attr: str, value: str) -> str | None:
        """Why ``value`` is not a known campaign ``attr`` (type or channel)."""
        known = {"type": self.types, "channel": self.channels}.get(attr)
        if known is None or value.strip().lower() in known:
            return None
        plural = "types" if attr == "type" else "channels"
        return (
            f"{value!r} is not a campaign {attr} cxaudit knows"
            f"{_suggest(value.strip().lower(), sorted(known))}; {plural} are "
            f"{', '.join(sorted(known))} (add one under vocabulary.add_{plural} in the rules file)"
        )


@dataclass(frozen=True)
class Campaign:
    type: str | None = None
    channel: str | None = None
    offer: str | None = None
    send_at: str | None = None

    def get(self, name: str) -> str | None:
        value = getattr(self, name)
        return value if value is None or value.strip() else None

    def as_dict(self) -> dict[str, str | None]:
        return {"type": self.type, "channel": self.channel, "offer": self.offer}

    def facts(self) -> dict[str, str | None]:
        """Every campaign setting, the planned send moment included."""
        return {**self.as_dict(), "send_at": self.send_at}


@dataclass(frozen=True)
class TableConfig:
    """Where a table's file is and which of its columns mean what."""

    name: str
    path: Path | None
    keys: dict[str, str] | None
    columns: dict[str, str]
    dates: tuple[str, ...]
    date_format: str | None
    encoding: str
    delimiter: str | None
    line: int | None = None
    preset: str | None = None
    alternatives: dict[str, tuple[str, ...]] = field(default_factory=dict)
    optional: frozenset[str] = frozenset()  # preset-mapped fields whose column may be absent
    derive: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)
    # per derived field, a (field, map) whose mapped value wins where a row has one
    derive_first: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)
    footer: tuple[str, ...] = ()
    pii: tuple[str, ...] = ()  # fields the rules file marks as personal (masked when shared)
    encoding_forced: bool = False  # set in the rules file: not a preset's default to sniff past
    date_format_forced: bool = False  # set in the rules file: not a default the values may override
    column_formats: dict[str, str] = field(default_factory=dict)  # inferred from a first chunk
    # the format an earlier chunk read each date column in (None: ISO 8601):
    # later chunks, parts and workers must fit it rather than guess again
    fixed_formats: dict[str, str | None] = field(default_factory=dict)

    @property
    def fields(self) -> list[str]:
        return [*(self.keys or {}), *self.columns, *self.derive]

    def column_line(self, lines: LineMap, kind: str, name: str) -> int | None:
        base = (RECIPIENTS,) if self.name == RECIPIENTS else ("sources", self.name)
        return lines.line((*base, kind, name))


@dataclass(frozen=True)
class Rule:
    id: str
    order: int
    action: Literal["suppress", "flag", "allow"]
    source: str
    where: tuple[Node, ...]
    match: Literal["any", "none"]
    min_count: int
    applies_to: dict[str, frozenset[str]]
    reason: str | None
    line: int | None
    description: str | None = None

    def conditions(self) -> Iterator[Condition]:
        """Every condition of ``where``, those inside ``any:`` included."""

        def walk(nodes: tuple[Node, ...]) -> Iterator[Condition]:
            for node in nodes:
                if isinstance(node, AnyOf):
                    for option in node.options:
                        yield from walk(option)
                else:
                    yield node

        return walk(self.where)

    def campaign_refs(self) -> set[str]:
        """The campaign facts its conditions compare with (``$campaign.X``)."""
        return {
            c.value.name
            for c in self.conditions()
            if isinstance(c.value, Ref) and c.value.scope == "campaign"
        }

    def uses_recipient(self) -> bool:
        return any(node_uses_recipient(n) for n in self.where)

    def fields(self) -> set[str]:
        """The fields of its source this rule reads (conditions and reason)."""
        found = {c.field for c in self.conditions()}
        for _lit, name, _spec, _conv in string.Formatter().parse(self.reason or ""):
            if name is not None:
                root = name.partition(".")[0]
                if root not in ("count", "campaign"):
                    found.add(root)
        return found


def node_uses_recipient(node: Node) -> bool:
    if isinstance(node, AnyOf):
        return any(node_uses_recipient(n) for opt in node.options for n in opt)
    return isinstance(node.value, Ref) and node.value.scope == "recipient"


@dataclass(frozen=True)
class PendingColumn:
    """A recipient column a rule names that can only be checked once the
    campaign file's header is known."""

    column: str
    rule_id: str
    key: str
    line: int | None


@dataclass(frozen=True)
class RuleSet:
    path: Path
    phone_region: str
    campaign: Campaign
    recipients: TableConfig
    sources: dict[str, TableConfig]
    rules: tuple[Rule, ...]
    lines: LineMap
    pending_columns: tuple[PendingColumn, ...] = ()
    vocabulary: Vocabulary = field(default_factory=Vocabulary)
    max_suppressed: float | None = None
    strict: bool = False  # a run with any warning is degraded (exit 4)
    placeholders: tuple[str, ...] = ()  # the rules file's own, beside identity.PLACEHOLDERS
    campaign_files: tuple[str, ...] | None = None  # globs for check --changed-since
    # where each campaign fact came from: the rules file, a sidecar, an option
    origins: dict[str, str] = field(default_factory=dict)

    def with_campaign(self, origin: str | None = None, **overrides: str | None) -> RuleSet:
        """The campaign with ``overrides`` (None: unchanged), each checked
        against the vocabulary; ``origin`` names where they came from (a
        sidecar's path; None: the command line's options)."""
        changes = {k: v for k, v in overrides.items() if v is not None}
        for attr, value in changes.items():
            problem = self.vocabulary.problem(attr, value) if isinstance(value, str) else None
            if problem:
                where = origin or FLAGS.get(attr, attr)
                raise CxauditError(f"{where}: {attr} {problem}")
        origins = {**self.origins, **{k: origin or FLAGS.get(k, k) for k in changes}}
        return replace(self, campaign=replace(self.campaign, **changes), origins=origins)

    def skip_reason(self, rule: Rule) -> str | None:
        """Why ``rule`` does not run for this campaign, or None when it does:
        its ``applies_to`` excludes the campaign, or it compares with a
        campaign fact that is not set (it would match nobody)."""
        for attr, allowed in rule.applies_to.items():
            value = self.campaign.get(attr)
            wanted = ", ".join(sorted(allowed))
            if value is None:
                return f"applies to {attr} {wanted}, and the campaign has no {attr}"
            if value.strip().lower() not in allowed:
                return f"applies to {attr} {wanted}, not {value.strip()}"
        for attr in sorted(rule.campaign_refs()):
            if self.campaign.get(attr) is None:
                return (
                    f"needs {FLAGS.get(attr, attr)} (it compares with $campaign.{attr}, "
                    "which is not set)"
                )
        return None

    def applies(self, rule: Rule) -> bool:
        """Whether ``rule`` runs for this run's campaign."""
        return self.skip_reason(rule) is None
