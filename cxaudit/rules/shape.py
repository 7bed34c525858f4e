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
from cxaudit.rules.yamlsafe import Path_


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


def _d(text: str, default: Any = None, **kwargs: Any) -> Any:
    """A field with the description editors show (the JSON Schema, `cxaudit schema`)."""
    if "default_factory" in kwargs:
        return Field(description=text, **kwargs)
    return Field(default, description=text, **kwargs)


class CampaignSpec(_Spec):
    """The campaign being sent: a sidecar, then --campaign-type/--channel/--offer override it."""

    type: str | None = _d("The campaign's type, one of the vocabulary's (promotional, upsell…).")
    channel: str | None = _d("The channel: email, sms, phone, push, whatsapp, in_app, direct_mail.")
    offer: str | None = _d("The product promoted, compared by $campaign.offer.")
    send_at: str | None = _d(
        "The planned send (2026-11-20T09:00:00Z): rules are judged at this moment unless --as-of."
    )


class VocabularySpec(_Spec):
    """The campaign types and channels the rules file knows."""

    types: list[str] | None = _d("Replace the built-in campaign types.")
    channels: list[str] | None = _d("Replace the built-in channels.")
    add_types: list[str] = _d("Add campaign types to the built-in ones.", default_factory=list)
    add_channels: list[str] = _d("Add channels to the built-in ones.", default_factory=list)


class DeriveSpec(_Spec):
    """A field computed from a column by a value map (a vendor's statuses to open/closed)."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)
    source: str | None = _d("The column the value is read from.", alias="from")
    map: dict[str, str] = _d("Column value -> field value.", default_factory=dict)


class TableSpec(_Spec):
    """Where a table's identity keys and fields are in its file."""

    preset: str | None = _d("Read the file as a vendor's export (see `cxaudit presets`).")
    keys: dict[Literal["customer_id", "email", "phone"], str] | None = _d(
        "Identity keys: customer_id, email and/or phone, each naming its column."
    )
    columns: dict[str, str] = _d(
        "Fields the rules use, each naming its column.", default_factory=dict
    )
    dates: list[str] = _d("Fields that hold dates (read as moments, UTC).", default_factory=list)
    date_format: str | None = _d("strftime format of the dates, e.g. %m/%d/%Y %H:%M.")
    encoding: str | None = _d("The file's text encoding (utf-8, cp1252…); forces it.")
    delimiter: str | None = _d("The field delimiter (sniffed from the header when not set).")
    derive: dict[str, DeriveSpec] = _d(
        "Fields computed from a column by a value map.", default_factory=dict
    )
    pii: list[str] = _d(
        "Fields holding personal data, masked in shared outputs.", default_factory=list
    )


class SourceSpec(TableSpec):
    """A source export: a table with a path."""

    path: str = _d(
        "The file, folder of parts, glob or URL, relative to the rules file.", default=...
    )


class RuleSpec(_Spec):
    """One rule: who it holds back (suppress), tells support about (flag) or exempts (allow)."""

    id: str = _d("A unique id, shown in outputs (cxaudit_rules).", default=...)
    action: Literal["suppress", "flag", "allow"] = _d(
        "suppress: hold back; flag: send, but tell support; allow: exempt from suppress rules.",
        default=...,
    )
    source: str = _d("The source whose rows the rule reads, or recipients.", RECIPIENTS)
    where: dict[str, Any] = _d(
        "Conditions that must all hold: field: {operator: value}; any: [...] for OR.",
        default_factory=dict,
    )
    match: Literal["any", "none"] = _d(
        "any: holds when a linked row satisfies where; none: when no linked row does.", "any"
    )
    min_count: int | None = _d("Hold only when at least this many linked rows satisfy where.", ge=1)
    applies_to: dict[Literal["type", "channel", "offer"], str | list[str]] = _d(
        "Run only for these campaign types, channels or offers.", default_factory=dict
    )
    reason: str | None = _d("The sentence shown per person; {field} quotes the matched row.")
    description: str | None = _d("What the rule is for, shown in the reports.")


class RulesFileSpec(_Spec):
    """A cxaudit rules file (rules.yaml)."""

    version: Literal[1] = _d("Always 1.", default=...)
    phone_region: str = _d("Region for phone numbers without +country (US, GB…).", "US")
    placeholders: list[str] = _d(
        "Key values that stand for no value in your exports, beyond the built-in ones "
        "(N/A, NULL, 0, -, unknown…).",
        default_factory=list,
    )
    max_suppressed: float | None = _d(
        "Exit 3 (lists withheld) when more than this percent of the list is suppressed.",
        ge=0,
        le=100,
    )
    strict: bool = _d("As --strict: a run with any warning or inert rule exits 4.", False)
    campaign_files: list[str] | None = _d(
        "Globs saying which files check --changed-since judges (default *.csv, *.csv.gz, "
        "*.parquet not among the sources)."
    )
    vocabulary: VocabularySpec = _d(
        "The campaign types and channels known.", default_factory=VocabularySpec
    )
    campaign: CampaignSpec = _d("The campaign's defaults.", default_factory=CampaignSpec)
    recipients: TableSpec = _d("The campaign list's keys and fields.", default_factory=TableSpec)
    sources: dict[str, SourceSpec] = _d(
        "The exports the rules read, by name.", default_factory=dict
    )
    rules: list[dict[str, Any]] = _d(
        "The rules, in order (each checked as a rule); [] checks identity, duplicates and "
        "the ceiling only.",
        default=...,
    )
    tests: list[Any] | None = _d("Rule tests, run by `cxaudit test`.")


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
