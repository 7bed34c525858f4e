"""The shape of a rules file (pydantic): known keys, types, required fields.

Pydantic's errors become :class:`~cxaudit.rules.problems._Problems` with the
file, line, rule id and key; a wrong key is set aside so the rest of the file
is still checked and every problem is reported in one run.
"""

from __future__ import annotations

import copy
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cxaudit.rules.model import RECIPIENTS
from cxaudit.rules.problems import _Problems, _suggest
from cxaudit.yamlsafe import Path_


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
    # values of a key column that stand for "no value" in this company's
    # exports, beyond the built-in ones (N/A, NULL, 0, -, unknown, …)
    placeholders: list[str] = Field(default_factory=list)
    max_suppressed: float | None = Field(default=None, ge=0, le=100)
    strict: bool = False  # as --strict: a run with any warning exits 4
    campaign_files: list[str] | None = None  # what check --changed-since judges
    vocabulary: VocabularySpec = Field(default_factory=VocabularySpec)
    campaign: CampaignSpec = Field(default_factory=CampaignSpec)
    recipients: TableSpec = Field(default_factory=TableSpec)
    sources: dict[str, SourceSpec] = Field(default_factory=dict)
    rules: list[dict[str, Any]] = Field(min_length=1)  # each checked as a RuleSpec
    tests: list[Any] | None = None  # rule tests, checked by cxaudit.ruletests


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
