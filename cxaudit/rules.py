"""The rules model: load a rules file, validate every part of it, compile it.

Two layers. Pydantic checks the *shape* (known keys, types, required fields)
and the compile step checks the *meaning* (fields exist in their source,
operators are known, regexes compile, references resolve, templates only
use fields they can fill). Every problem carries the file, line, rule id and
key, because a rule that silently matches nothing is the worst failure this
tool can have: the campaign goes out to the people it should have spared.
"""

from __future__ import annotations

import copy
import difflib
import math
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import phonenumbers
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cxaudit.dates import MAX_DAYS, OutOfRange, parse_instant
from cxaudit.errors import CxauditError
from cxaudit.files import check_regular
from cxaudit.identity import KEY_NAMES
from cxaudit.presets import PRESETS
from cxaudit.regexes import Unsupported, compile_regex, shown
from cxaudit.yamlsafe import LineMap, Path_, check_size, load_yaml

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
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_REF = re.compile(r"^\$(campaign|recipient)\.(.*)$", re.DOTALL)


# --------------------------------------------------------------------------
# Shape (pydantic)


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class CampaignSpec(_Spec):
    type: str | None = None
    channel: str | None = None
    offer: str | None = None
    send_at: str | None = None  # the planned send: the default --as-of


class VocabularySpec(_Spec):
    types: list[str] | None = None
    channels: list[str] | None = None
    add_types: list[str] = Field(default_factory=list)
    add_channels: list[str] = Field(default_factory=list)


class DeriveSpec(_Spec):
    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)
    source: str | None = Field(default=None, alias="from")
    map: dict[str, str] = Field(default_factory=dict)


class TableSpec(_Spec):
    preset: str | None = None
    keys: dict[Literal["customer_id", "email", "phone"], str] | None = None
    columns: dict[str, str] = Field(default_factory=dict)
    dates: list[str] = Field(default_factory=list)
    date_format: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    derive: dict[str, DeriveSpec] = Field(default_factory=dict)
    pii: list[str] = Field(default_factory=list)


class SourceSpec(TableSpec):
    path: str


class RuleSpec(_Spec):
    id: str
    action: Literal["suppress", "flag", "allow"]
    source: str = RECIPIENTS
    where: dict[str, Any] = Field(default_factory=dict)
    match: Literal["any", "none"] = "any"
    min_count: int | None = Field(default=None, ge=1)
    applies_to: dict[Literal["type", "channel", "offer"], str | list[str]] = Field(
        default_factory=dict
    )
    reason: str | None = None
    description: str | None = None


class RulesFileSpec(_Spec):
    version: Literal[1]
    phone_region: str = "US"
    max_suppressed: float | None = Field(default=None, ge=0, le=100)
    vocabulary: VocabularySpec = Field(default_factory=VocabularySpec)
    campaign: CampaignSpec = Field(default_factory=CampaignSpec)
    recipients: TableSpec = Field(default_factory=TableSpec)
    sources: dict[str, SourceSpec] = Field(default_factory=dict)
    rules: list[dict[str, Any]] = Field(min_length=1)  # each checked as a RuleSpec
    tests: list[Any] | None = None  # rule tests, checked by cxaudit.ruletests


# --------------------------------------------------------------------------
# Meaning (compiled, plain dataclasses the evaluator uses)


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
    footer: tuple[str, ...] = ()
    pii: tuple[str, ...] = ()  # fields the rules file marks as personal (masked when shared)
    encoding_forced: bool = False  # set in the rules file: not a preset's default to sniff past

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
        return any(_node_uses_recipient(n) for n in self.where)

    def fields(self) -> set[str]:
        """The fields of its source this rule reads (conditions and reason)."""
        found = {c.field for c in self.conditions()}
        for _lit, name, _spec, _conv in string.Formatter().parse(self.reason or ""):
            if name is not None:
                root = name.partition(".")[0]
                if root not in ("count", "campaign"):
                    found.add(root)
        return found


def _node_uses_recipient(node: Node) -> bool:
    if isinstance(node, AnyOf):
        return any(_node_uses_recipient(n) for opt in node.options for n in opt)
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


# --------------------------------------------------------------------------
# Loading


@dataclass
class _Problems:
    filename: str
    lines: LineMap
    items: list[str] = field(default_factory=list)

    def add(self, path: Path_, message: str, rule_id: str | None = None) -> None:
        line = self.lines.line(path)
        where = f"{self.filename}:{line}" if line else self.filename
        if rule_id is not None and path[:1] == ("rules",):
            key = _key_text(path[2:])
            who = f"rule {rule_id!r}" + (f", {key}" if key else "")
        else:
            who = _key_text(path)
        self.items.append(f"{where}: {who}: {message}" if who else f"{where}: {message}")

    def raise_if_any(self) -> None:
        if self.items:
            raise CxauditError(self.items[0], details=self.items)


def _vocabulary(spec: VocabularySpec) -> Vocabulary:
    """The built-in vocabulary, replaced or extended by the rules file's."""
    types = spec.types if spec.types is not None else list(TYPES)
    channels = spec.channels if spec.channels is not None else list(CHANNELS)
    return Vocabulary(
        frozenset(v.strip().lower() for v in [*types, *spec.add_types]),
        frozenset(v.strip().lower() for v in [*channels, *spec.add_channels]),
    )


def _key_text(path: Path_) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _suggest(word: str, choices: list[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def load_rules(
    path: Path,
    source_paths: dict[str, Path] | None = None,
    presets: dict[str, str] | None = None,
) -> RuleSet:
    """Read, validate and compile the rules file at ``path``.

    ``source_paths`` and ``presets`` come from the command line (``--source
    NAME=PATH``, ``--preset NAME=VENDOR``). They are applied before
    validation, so a source can be defined there entirely: its path and a
    preset. Paths given there are used as given (relative to the current
    folder), not relative to the rules file.
    """
    if path.exists() and not path.is_dir():
        check_regular(path)  # a FIFO would block the run forever
        check_size(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CxauditError(
            f"{path}: rules file not found; pass --rules PATH or create rules.yaml"
        ) from None
    except IsADirectoryError:
        raise CxauditError(f"{path}: is a folder, expected a rules YAML file") from None
    except UnicodeDecodeError as exc:
        raise CxauditError(
            f"{path}: byte offset {exc.start} is not UTF-8; save the rules file as UTF-8"
        ) from None
    except OSError as exc:
        raise CxauditError(f"{path}: cannot be read ({exc.strerror})") from None
    data, lines = load_yaml(text, path)
    source_paths, presets = source_paths or {}, presets or {}
    if isinstance(data, dict) and (source_paths or presets):
        data = _with_overrides(data, source_paths, presets)
    rules = compile_rules(data, lines, path)
    if source_paths:
        sources = {
            name: replace(cfg, path=source_paths.get(name, cfg.path))
            for name, cfg in rules.sources.items()
        }
        rules = replace(rules, sources=sources)
    return rules


def _with_overrides(
    data: dict[str, Any], source_paths: dict[str, Path], presets: dict[str, str]
) -> dict[str, Any]:
    data = dict(data)
    sources = dict(data.get("sources") or {})
    for name, vendor in presets.items():
        if name == RECIPIENTS:
            data[RECIPIENTS] = {**(data.get(RECIPIENTS) or {}), "preset": vendor}
        elif name in sources:
            sources[name] = {**sources[name], "preset": vendor}
        elif name in source_paths:
            sources[name] = {"path": str(source_paths[name]), "preset": vendor}
        else:
            raise CxauditError(
                f"--preset {name}={vendor}: the rules file has no source {name!r}; "
                f"define it with --source {name}=PATH as well"
            )
    for name, spath in source_paths.items():
        if name not in sources:
            known = ", ".join(sorted(sources)) or "none"
            raise CxauditError(
                f"--source {name}={spath}: the rules file has no source {name!r} "
                f"(its sources: {known}); add --preset {name}=VENDOR to define it here"
            )
        sources[name] = {**sources[name], "path": str(spath)}
    data["sources"] = sources
    return data


def compile_rules(data: Any, lines: LineMap, path: Path) -> RuleSet:
    problems = _Problems(str(path), lines)
    if not isinstance(data, dict):
        raise CxauditError(
            f"{path}: a rules file must be a YAML mapping with `version: 1`, `sources:` and "
            "`rules:`; see rules.yaml in the cxaudit README"
        )
    spec = _validated_shape(data, problems)

    if spec.phone_region not in phonenumbers.SUPPORTED_REGIONS:
        problems.add(
            ("phone_region",),
            f"{spec.phone_region!r} is not a region code; use a two-letter code such as US, GB, DE",
        )
    vocabulary = _vocabulary(spec.vocabulary)
    for attr in ("type", "channel"):
        value = getattr(spec.campaign, attr)
        problem = vocabulary.problem(attr, value) if value is not None else None
        if problem:
            problems.add(("campaign", attr), problem)
    if spec.campaign.send_at is not None:
        try:
            parse_instant(spec.campaign.send_at)
        except ValueError:
            problems.add(
                ("campaign", "send_at"),
                f"{spec.campaign.send_at!r} is not a date; use 2026-11-20T09:00:00Z",
            )
    base = path.parent
    recipients = _table(RECIPIENTS, spec.recipients, None, base, problems)
    sources: dict[str, TableConfig] = {}
    for name, src in spec.sources.items():
        if not _NAME.match(name) or name == RECIPIENTS:
            problems.add(
                ("sources", name),
                f"source name {name!r} must be a plain identifier other than 'recipients'",
            )
        sources[name] = _table(name, src, src.path, base, problems)

    rules: list[Rule] = []
    pending: list[PendingColumn] = []
    seen: dict[str, int] = {}
    for i, raw_rule in enumerate(spec.rules):
        rpath: Path_ = ("rules", i)
        try:
            rspec = RuleSpec.model_validate(raw_rule)
        except ValidationError as exc:
            _shape_problems(exc, data, problems, rpath)
            continue
        if not _ID.match(rspec.id):
            problems.add(
                (*rpath, "id"),
                f"id {rspec.id!r} must start with a letter or digit and use only letters, "
                "digits, '-', '_' and '.'",
                rspec.id,
            )
        if rspec.id in seen:
            problems.add(
                (*rpath, "id"),
                f"duplicate rule id {rspec.id!r} (also rules[{seen[rspec.id]}]); "
                "ids must be unique",
                rspec.id,
            )
        seen.setdefault(rspec.id, i)
        rule = _compile_rule(i, rspec, recipients, sources, problems, pending, vocabulary)
        if rule is not None:
            rules.append(rule)
    problems.raise_if_any()
    return RuleSet(
        path=path,
        phone_region=spec.phone_region,
        campaign=Campaign(**spec.campaign.model_dump()),
        recipients=recipients,
        sources=sources,
        rules=tuple(rules),
        lines=lines,
        pending_columns=tuple(pending),
        vocabulary=vocabulary,
        max_suppressed=spec.max_suppressed,
        origins={k: str(path) for k, v in spec.campaign.model_dump().items() if v is not None},
    )


def _validated_shape(data: dict[str, Any], problems: _Problems) -> RulesFileSpec:
    """The file's shape. A wrong key or value is a problem, and the key is
    then set aside so the rest of the file is still checked: `validate`
    lists every problem in one run, not the first few."""
    current = copy.deepcopy(data)
    for _attempt in range(5):
        try:
            spec = RulesFileSpec.model_validate(current)
        except ValidationError as exc:
            _shape_problems(exc, data, problems, ())
            removable = [
                tuple(p for p in e["loc"] if p != "[key]")
                for e in exc.errors()
                if e["type"] != "missing" and e["loc"] and e["loc"][0] not in ("version", "rules")
            ]
            if not removable or not all(_drop(current, loc) for loc in removable):
                break
            continue
        return spec  # problems found so far are raised once the rest is compiled
    problems.raise_if_any()
    raise AssertionError("unreachable")


def _drop(data: Any, loc: tuple[Any, ...]) -> bool:
    """Remove the value at ``loc`` from nested dicts/lists; False if absent."""
    for part in loc[:-1]:
        inside = isinstance(data, dict) and part in data
        inside |= isinstance(data, list) and isinstance(part, int) and part < len(data)
        if not inside:
            return False
        data = data[part]
    if isinstance(data, dict) and loc[-1] in data:
        del data[loc[-1]]
        return True
    return False


def _shape_problems(
    exc: ValidationError, data: dict[str, Any], problems: _Problems, prefix: Path_
) -> None:
    errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
    for err in errors:
        loc = (*prefix, *err["loc"])
        rule_id = _rule_id_at(data, loc)
        kind = err["type"]
        if "[key]" in loc:  # a mapping key that is not allowed
            loc = tuple(p for p in loc if p != "[key]")
            if loc[-2] == "keys":
                problems.add(
                    loc, f"unknown identity key {loc[-1]!r}; keys are customer_id, email, phone"
                )
            else:
                problems.add(
                    loc,
                    f"unknown {loc[-2]} attribute {loc[-1]!r}; use type, channel or offer",
                    rule_id,
                )
        elif kind == "extra_forbidden":
            parent = _allowed_keys(loc)
            problems.add(loc, f"unknown key {loc[-1]!r}{_suggest(str(loc[-1]), parent)}", rule_id)
        elif kind == "missing":
            problems.add(loc[:-1], f"required key {loc[-1]!r} is missing", rule_id)
        elif kind == "literal_error" and loc[-1] == "version":
            problems.add(loc, "`version: 1` is the only rules-file version", rule_id)
        else:
            msg = err["msg"][0].lower() + err["msg"][1:]
            problems.add(_trim_union(loc), msg, rule_id)


def _trim_union(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """Pydantic appends the union branch (``str``, ``list[str]``) to locations."""
    return tuple(p for p in loc if p not in ("str", "list[str]", "int", "function-after[]"))


def _rule_id_at(data: dict[str, Any], loc: tuple[Any, ...]) -> str | None:
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
        rules = data.get("rules")
        if isinstance(rules, list) and loc[1] < len(rules) and isinstance(rules[loc[1]], dict):
            rid = rules[loc[1]].get("id")
            return str(rid) if rid is not None else None
    return None


def _allowed_keys(loc: tuple[Any, ...]) -> tuple[str, ...]:
    model: type[BaseModel] = RulesFileSpec
    if len(loc) >= 2 and loc[0] == "rules":
        model = RuleSpec
    elif len(loc) >= 3 and loc[0] == "sources":
        model = SourceSpec
    elif loc[0] == "recipients":
        model = TableSpec
    elif loc[0] == "campaign":
        model = CampaignSpec
    return tuple(model.model_fields)


def _table(
    name: str, spec: TableSpec, raw_path: str | None, base: Path, problems: _Problems
) -> TableConfig:
    prefix: Path_ = (RECIPIENTS,) if name == RECIPIENTS else ("sources", name)
    preset = None
    if spec.preset is not None:
        kind = "recipients" if name == RECIPIENTS else "source"
        choices = sorted(p.name for p in PRESETS.values() if p.kind == kind)
        preset = PRESETS.get(spec.preset)
        if preset is None or preset.kind != kind:
            problems.add(
                (*prefix, "preset"),
                f"unknown {kind} preset {spec.preset!r}{_suggest(spec.preset, choices)}; "
                f"presets are {', '.join(choices)}",
            )
            preset = None
    keys: dict[str, str] | None = dict(spec.keys) if spec.keys is not None else None
    columns = dict(spec.columns)
    alternatives: dict[str, tuple[str, ...]] = {}
    optional: set[str] = set()
    dates = list(spec.dates)
    derive: dict[str, tuple[str, dict[str, str]]] = {}
    if preset is not None:
        keys = keys if keys is not None else {}
        for kname, candidates in preset.keys.items():
            if kname not in keys:
                keys[kname] = candidates[0]
                alternatives[kname] = candidates[1:]
                optional.add(kname)
        for fname, candidates in preset.columns.items():
            if fname not in columns:
                columns[fname] = candidates[0]
                alternatives[fname] = candidates[1:]
                optional.add(fname)
        dates = [d for d in preset.dates if d in columns and d not in dates] + dates
        derive = {k: (d.source, dict(d.values)) for k, d in preset.derive.items()}
    for dname, dspec in spec.derive.items():
        src, values = derive.get(dname, (None, {}))
        src = dspec.source or src
        if src is None:
            problems.add((*prefix, "derive", dname), "needs `from: FIELD`")
            continue
        derive[dname] = (src, {**values, **dspec.map})
    if name != RECIPIENTS and not keys:
        problems.add(
            (*prefix, "keys"), "needs at least one of customer_id, email, phone (or a preset)"
        )
    elif keys is not None and not keys:
        problems.add((*prefix, "keys"), "needs at least one of customer_id, email, phone")
    for d in spec.dates:
        if d not in columns:
            problems.add(
                (*prefix, "dates"),
                f"{d!r} is listed in dates but not mapped under columns"
                f"{_suggest(d, tuple(columns))}",
            )
    clash = set(columns) & set(KEY_NAMES) & set(keys or {})
    for c in sorted(clash):
        problems.add((*prefix, "columns", c), f"{c!r} is already an identity key; rename it")
    for fname in [*spec.columns, *spec.derive]:
        if not _NAME.match(fname) or fname == "any":
            problems.add(
                (*prefix, "columns", fname),
                f"field name {fname!r} must be a plain identifier (letters, digits, _), not 'any'",
            )
    for i, pname in enumerate(spec.pii):
        if pname not in columns and pname not in (keys or {}):
            problems.add(
                (*prefix, "pii", i),
                f"{pname!r} is listed in pii but is not a field of this table"
                f"{_suggest(pname, (*columns, *(keys or {})))}",
            )
    for dname, (src, _values) in derive.items():
        if src not in columns and src not in (keys or {}):
            problems.add((*prefix, "derive", dname), f"derives from unknown field {src!r}")
    if spec.delimiter is not None and len(spec.delimiter) != 1:
        problems.add((*prefix, "delimiter"), "must be one character, e.g. ',' ';' or '\\t'")
    path = None
    if raw_path is not None:
        p = Path(raw_path)
        path = p if p.is_absolute() else base / p
    return TableConfig(
        name=name,
        path=path,
        keys=keys,
        columns=columns,
        dates=tuple(dates),
        date_format=spec.date_format or (preset.date_format if preset else None),
        encoding=spec.encoding or (preset.encoding if preset else None) or "utf-8",
        delimiter=spec.delimiter,
        line=problems.lines.line(prefix),
        preset=preset.name if preset else None,
        alternatives={k: v for k, v in alternatives.items() if v},
        optional=frozenset(optional),
        derive=derive,
        footer=preset.footer if preset else (),
        pii=tuple(spec.pii),
        encoding_forced=spec.encoding is not None,
    )


@dataclass
class _RuleContext:
    rule_id: str
    table: TableConfig
    recipients: TableConfig
    problems: _Problems
    pending: list[PendingColumn]

    @property
    def on_recipients(self) -> bool:
        return self.table.name == RECIPIENTS

    def fields(self, table: TableConfig) -> list[str]:
        return table.fields

    def check_field(self, name: str, path: Path_) -> bool:
        if name in self.fields(self.table):
            return True
        if self.on_recipients:
            self.pending.append(
                PendingColumn(name, self.rule_id, _key_text(path[2:]), _line(self, path))
            )
            return True
        self.problems.add(
            path,
            f"unknown field {name!r} for source {self.table.name!r}"
            f"{_suggest(name, self.fields(self.table))}; fields are "
            f"{', '.join(self.fields(self.table))} "
            f"(map more under sources.{self.table.name}.columns)",
            self.rule_id,
        )
        return False

    def check_recipient_ref(self, name: str, path: Path_) -> None:
        if name not in self.fields(self.recipients):
            self.pending.append(
                PendingColumn(name, self.rule_id, _key_text(path[2:]), _line(self, path))
            )

    def is_date(self, table: TableConfig, name: str) -> bool:
        return name in table.dates


def _line(ctx: _RuleContext, path: Path_) -> int | None:
    return ctx.problems.lines.line(path)


def _compile_rule(
    index: int,
    spec: RuleSpec,
    recipients: TableConfig,
    sources: dict[str, TableConfig],
    problems: _Problems,
    pending: list[PendingColumn],
    vocabulary: Vocabulary,
) -> Rule | None:
    rpath: Path_ = ("rules", index)
    before = len(problems.items)
    if spec.source == RECIPIENTS:
        table = recipients
    elif spec.source in sources:
        table = sources[spec.source]
    else:
        known = [RECIPIENTS, *sources]
        problems.add(
            (*rpath, "source"),
            f"unknown source {spec.source!r}{_suggest(spec.source, known)}; "
            f"sources are {', '.join(known)}",
            spec.id,
        )
        return None
    ctx = _RuleContext(spec.id, table, recipients, problems, pending)
    where = _parse_where(spec.where, (*rpath, "where"), ctx)
    if table.name == RECIPIENTS and (spec.min_count or 1) > 1:
        problems.add(
            (*rpath, "min_count"),
            "a recipients rule sees one row per recipient, so min_count above 1 never holds",
            spec.id,
        )
    if spec.match == "none" and spec.min_count is not None:
        problems.add(
            (*rpath, "min_count"), "min_count applies to `match: any` only; remove it", spec.id
        )
    applies: dict[str, frozenset[str]] = {}
    for attr, allowed in spec.applies_to.items():
        values = [allowed] if isinstance(allowed, str) else allowed
        if not values:
            problems.add((*rpath, "applies_to", attr), "needs at least one value", spec.id)
        for value in values:
            problem = vocabulary.problem(attr, value)
            if problem:
                problems.add((*rpath, "applies_to", attr), problem, spec.id)
        applies[attr] = frozenset(v.strip().lower() for v in values)
    if spec.reason is not None:
        _check_template(spec, ctx, (*rpath, "reason"))
    if len(problems.items) > before:
        return None
    return Rule(
        id=spec.id,
        order=index,
        action=spec.action,
        source=spec.source,
        where=where,
        match=spec.match,
        min_count=spec.min_count or 1,
        applies_to=applies,
        reason=spec.reason,
        line=problems.lines.line(rpath),
        description=spec.description,
    )


def _parse_where(where: Any, path: Path_, ctx: _RuleContext) -> tuple[Node, ...]:
    if not isinstance(where, dict):
        ctx.problems.add(path, "must be a mapping of `field: {operator: value}`", ctx.rule_id)
        return ()
    nodes: list[Node] = []
    for fname, spec in where.items():
        fpath = (*path, fname)
        if fname == "any":
            if not isinstance(spec, list) or not spec:
                ctx.problems.add(
                    fpath,
                    "`any:` takes a non-empty list of `field: {operator: value}` mappings",
                    ctx.rule_id,
                )
                continue
            options = tuple(_parse_where(opt, (*fpath, i), ctx) for i, opt in enumerate(spec))
            nodes.append(AnyOf(options, ctx.problems.lines.line(fpath)))
            continue
        if not isinstance(fname, str):
            ctx.problems.add(fpath, f"field name {fname!r} must be text", ctx.rule_id)
            continue
        known = ctx.check_field(fname, fpath)
        if not isinstance(spec, dict) or not spec:
            ctx.problems.add(
                fpath,
                f"write the condition as `{fname}: {{operator: value}}`, "
                f"e.g. `{fname}: {{equals: {spec!r}}}`",
                ctx.rule_id,
            )
            continue
        for op, value in spec.items():
            cond = _parse_condition(fname, op, value, (*fpath, op), ctx, known)
            if cond is not None:
                nodes.append(cond)
    return tuple(nodes)


def _text_value(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


def _parse_ref(value: Any, path: Path_, ctx: _RuleContext) -> Ref | None:
    if not isinstance(value, str):
        return None
    m = _REF.match(value.strip())
    if not m:
        return None
    scope, name = m.group(1), m.group(2)
    if scope == "campaign":
        if name not in CAMPAIGN_FIELDS:
            ctx.problems.add(
                path,
                f"unknown reference {value!r}{_suggest(name, CAMPAIGN_FIELDS)}; "
                "campaign references are $campaign.type, $campaign.channel, $campaign.offer",
                ctx.rule_id,
            )
        return Ref("campaign", name)
    if not name:
        ctx.problems.add(path, "`$recipient.` needs a column name after the dot", ctx.rule_id)
    else:
        ctx.check_recipient_ref(name, path)
    return Ref("recipient", name)


def _parse_condition(
    fname: str, op: Any, value: Any, path: Path_, ctx: _RuleContext, known: bool
) -> Condition | None:
    line = ctx.problems.lines.line(path)
    bad = len(ctx.problems.items)

    def problem(msg: str) -> None:
        ctx.problems.add(path, msg, ctx.rule_id)

    if op not in OPERATORS:
        problem(
            f"unknown operator {op!r}{_suggest(str(op), OPERATORS)}; operators are "
            f"{', '.join(OPERATORS)}"
        )
        return None
    ref = _parse_ref(value, path, ctx)
    is_date_field = known and ctx.is_date(ctx.table, fname)
    if op in DATE_OPS and known and not is_date_field:
        where = RECIPIENTS if ctx.on_recipients else f"sources.{ctx.table.name}"
        problem(f"{op} needs a date field; list {fname!r} under {where}.dates")
    if op in TEXT_OPS:
        if ref is None and _text_value(value) is None:
            problem(f"{op} takes one text value (use `empty: true` for blank cells)")
    elif op in LIST_OPS:
        if not isinstance(value, list) or not value:
            problem(f"{op} takes a non-empty list, e.g. `{op}: [open, pending]`")
        elif any(_text_value(v) is None for v in value):
            problem(f"{op} takes a list of text values")
        elif any(isinstance(v, str) and _REF.match(v.strip()) for v in value):
            problem(f"references are not allowed inside {op} lists; use `any:` with equals")
        else:
            folded = (str(_text_value(v)).strip().lower() for v in value)
            value = tuple(dict.fromkeys(folded))
    elif op == "matches":
        if ref is not None or not isinstance(value, str):
            problem("matches takes one regular expression as text")
        else:
            try:
                value = compile_regex(value.strip())
            except (re.error, OverflowError) as exc:
                # OverflowError: a repeat count above 4294967294, like a{4294967296}
                problem(f"invalid regular expression {shown(value)}: {exc}")
            except RecursionError:
                problem(
                    f"invalid regular expression {value[:40]!r}...: its groups are nested too "
                    "deeply to compile; simplify it"
                )
            except Unsupported as exc:
                problem(f"regular expression {shown(value)} {exc}")
    elif op == "empty":
        if not isinstance(value, bool):
            problem("empty takes true or false")
    elif op in NUMBER_OPS:
        if ref is not None and ref.scope == "campaign":
            problem(f"{op} compares numbers; campaign attributes are labels")
        elif ref is None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            problem(f"{op} takes a number, e.g. `{op}: 3`")
        elif ref is None and not _finite(value):
            problem(
                f"{op} takes a finite number, e.g. `{op}: 3`; .inf, .nan and numbers past "
                "1.7e308 compare with nothing"
            )
    elif op in DAYS_OPS:
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not 0 <= value <= MAX_DAYS  # also false for .nan
        ):
            problem(
                f"{op} takes a number of days from 0 to {MAX_DAYS} (years 1 to 9999), "
                f"e.g. `{op}: 14`"
            )
    elif op in INSTANT_OPS:
        if ref is not None:
            if ref.scope == "campaign":
                problem(f"{op} compares dates; campaign attributes are labels")
            elif ref.name not in ctx.recipients.dates:
                problem(
                    f"{op} {value!r} needs a recipient date field; map it under "
                    "recipients.columns and list it in recipients.dates"
                )
        elif not isinstance(value, str):
            problem(f"{op} takes a date like 2026-11-01 or 2026-11-01T09:00:00Z")
        else:
            try:
                value = parse_instant(value)
            except OutOfRange as exc:
                problem(
                    f"{value!r} is {exc.moment} in UTC, outside the years 0001 to 9999; "
                    "give a date inside them"
                )
            except ValueError:
                problem(f"{value!r} is not a date; write 2026-11-01 or 2026-11-01T09:00:00Z")
    if len(ctx.problems.items) > bad:
        return None
    return Condition(fname, op, ref if ref is not None else value, line)


def _finite(value: float) -> bool:
    """Whether a YAML number is one a float comparison can use (an integer
    of 400 digits is too large for a float)."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


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
