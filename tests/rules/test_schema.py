"""The rules file's JSON Schema: generated from the pydantic specs, shipped
as schema/rules.schema.json, printed by `cxaudit schema`; the shipped
rules.yaml passes it and a wrong key or type does not."""

from __future__ import annotations

import copy
import json

import jsonschema
import pytest
import yaml

from cxaudit.rules.model import OPERATORS
from cxaudit.rules.schema import schema_text
from tests.conftest import REPO, Workspace

SHIPPED = REPO / "schema" / "rules.schema.json"


def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SHIPPED.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _shipped_rules() -> dict:
    return yaml.safe_load((REPO / "rules.yaml").read_text(encoding="utf-8"))


def test_the_shipped_schema_is_the_generated_one(ws: Workspace) -> None:
    assert SHIPPED.read_text(encoding="utf-8") == schema_text(), (
        "regenerate it: cxaudit schema > schema/rules.schema.json"
    )
    result = ws.cli("schema")
    assert (result.exit_code, result.stdout) == (0, schema_text())


def test_the_shipped_rules_file_names_and_passes_the_schema() -> None:
    first = (REPO / "rules.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=schema/rules.schema.json"
    assert list(_validator().iter_errors(_shipped_rules())) == []


def _break(path: list, value, delete: bool = False) -> dict:
    data = copy.deepcopy(_shipped_rules())
    here = data
    for key in path[:-1]:
        here = here[key]
    if delete:
        del here[path[-1]]
    else:
        here[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["sourcez"], {}, "Additional properties are not allowed ('sourcez' was unexpected)"),
        (["rules", 1, "actoin"], "suppress", "'actoin' was unexpected"),
        (["rules", 1, "min_count"], "three", "'three' is not valid under any of the given schemas"),
        (["rules", 1, "action"], "hold", "'hold' is not one of ['suppress', 'flag', 'allow']"),
        (["rules", 1, "where", "status"], {"inn": ["open"]}, "'inn' was unexpected"),
        (["rules", 1, "where", "status"], {"in": "open"}, "'open' is not of type 'array'"),
        (["strict"], "yes", "'yes' is not of type 'boolean'"),
        (["version"], 2, "1 was expected"),
    ],
)
def test_a_wrong_key_or_type_fails_the_schema(path: list, value, message: str) -> None:
    errors = [e.message for e in _validator().iter_errors(_break(path, value))]
    assert any(message in e for e in errors), errors


def test_every_field_and_operator_has_a_description() -> None:
    schema = json.loads(SHIPPED.read_text(encoding="utf-8"))
    for name, definition in schema["$defs"].items():
        assert definition.get("description"), name
        for field, spec in definition.get("properties", {}).items():
            assert spec.get("description"), f"{name}.{field}"
    operators = schema["$defs"]["Condition"]["properties"]
    assert set(operators) == set(OPERATORS)
    for field, spec in schema["properties"].items():
        assert spec.get("description"), field
