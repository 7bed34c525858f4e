"""The rules file's JSON Schema, generated from its pydantic specs
(:mod:`cxaudit.rules.shape`), for editors: VS Code's YAML extension and
others complete keys, show each field's description and mark a wrong key or
type while the file is written. ``where:`` is a mapping of field names the
model cannot know, so its shape (operators, ``any:``) is added here from
:data:`~cxaudit.rules.model.OPERATORS`. The schema ships as
``schema/rules.schema.json``; a test keeps the two equal."""

from __future__ import annotations

import json
from typing import Any

from cxaudit.rules.model import DAYS_OPS, INSTANT_OPS, LIST_OPS, NUMBER_OPS, OPERATORS, TEXT_OPS
from cxaudit.rules.shape import RulesFileSpec, RuleSpec

_TEXT = {"type": ["string", "number", "boolean"]}
OPERATOR_HELP: dict[str, tuple[str, dict[str, Any]]] = {
    "equals": (
        "The field equals this text (trimmed, any case), or $campaign.X / $recipient.X.",
        _TEXT,
    ),
    "not_equals": ("The field differs from this text or reference.", _TEXT),
    "contains": ("The field contains this text (any case), or a reference's value.", _TEXT),
    "in": (
        "The field is one of these texts (any case).",
        {"type": "array", "items": _TEXT, "minItems": 1},
    ),
    "not_in": (
        "The field is none of these texts.",
        {"type": "array", "items": _TEXT, "minItems": 1},
    ),
    "matches": (
        "The field matches this regular expression (linear-time RE2 subset).",
        {"type": "string"},
    ),
    "empty": ("true: the field is blank; false: it has a value.", {"type": "boolean"}),
    "gt": (
        "The field, a number, is greater than this number or $recipient.X.",
        {"type": ["number", "string"]},
    ),
    "gte": (
        "The field, a number, is at least this number or $recipient.X.",
        {"type": ["number", "string"]},
    ),
    "lt": (
        "The field, a number, is less than this number or $recipient.X.",
        {"type": ["number", "string"]},
    ),
    "lte": (
        "The field, a number, is at most this number or $recipient.X.",
        {"type": ["number", "string"]},
    ),
    "within_days": (
        "The date lies in the N days up to the moment judged.",
        {"type": "number", "minimum": 0},
    ),
    "older_than_days": (
        "The date lies more than N days before the moment judged.",
        {"type": "number", "minimum": 0},
    ),
    "before": ("The date is before this date (2026-11-01) or $recipient.X.", {"type": "string"}),
    "after": ("The date is after this date (2026-11-01) or $recipient.X.", {"type": "string"}),
}
assert set(OPERATOR_HELP) == set(OPERATORS), "every operator needs its description"
assert set((*TEXT_OPS, *LIST_OPS, *NUMBER_OPS, *DAYS_OPS, *INSTANT_OPS)) <= set(OPERATOR_HELP)


def _where() -> dict[str, Any]:
    condition = {
        "type": "object",
        "description": "{operator: value}: one or more operators that must all hold.",
        "properties": {
            op: {**shape, "description": text} for op, (text, shape) in OPERATOR_HELP.items()
        },
        "additionalProperties": False,
        "minProperties": 1,
    }
    return {
        "type": "object",
        "description": "field: {operator: value}, all of which must hold; any: [...] for OR.",
        "properties": {
            "any": {
                "type": "array",
                "description": "At least one of these groups of conditions holds.",
                "items": {"$ref": "#/$defs/Where"},
                "minItems": 1,
            }
        },
        "additionalProperties": {"$ref": "#/$defs/Condition"},
        "$defs_condition": condition,
    }


def rules_schema() -> dict[str, Any]:
    """The schema of a rules file (JSON Schema 2020-12)."""
    schema = RulesFileSpec.model_json_schema()
    rule = RuleSpec.model_json_schema()
    defs = schema.setdefault("$defs", {})
    defs.update(rule.pop("$defs", {}))
    where = _where()
    defs["Condition"] = where.pop("$defs_condition")
    defs["Where"] = where
    rule["properties"]["where"] = {
        "$ref": "#/$defs/Where",
        "description": rule["properties"]["where"]["description"],
    }
    defs["RuleSpec"] = rule
    rules = schema["properties"]["rules"]
    rules["items"] = {"$ref": "#/$defs/RuleSpec"}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def schema_text() -> str:
    """The schema as the shipped file holds it."""
    return json.dumps(rules_schema(), indent=2, ensure_ascii=False) + "\n"
