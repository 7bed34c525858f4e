"""Rules files are plain data: no object tags, no surprising scalars."""

from __future__ import annotations

import pytest

from cxaudit.errors import CxauditError
from cxaudit.yamlsafe import load_yaml


def test_yes_no_and_dates_stay_text_true_false_are_booleans() -> None:
    data, _ = load_yaml("a: [no, yes, on, off, 2026-11-01, true, False, 3, 1.5, null]", "r.yaml")
    assert data == {"a": ["no", "yes", "on", "off", "2026-11-01", True, False, 3, 1.5, None]}


def test_lines_are_recorded_for_keys_and_items() -> None:
    _, lines = load_yaml("rules:\n  - id: a\n    where:\n      x: {in: [1]}\n", "r.yaml")
    assert lines[("rules", 0)] == 2
    assert lines[("rules", 0, "where", "x", "in")] == 4
    assert lines.line(("rules", 0, "where", "nope")) == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: !!python/object/apply:os.system [echo hi]", "line 1: YAML tag .* is not allowed"),
        ("a: !!binary aGk=", "YAML tag .* is not allowed"),
        ("a: 1\nb: 2\na: 3\n", "line 3: key 'a' appears twice .*first at line 1"),
        ("a: [1, 2\n", "not valid YAML"),
        ("base: &b {x: 1}\nother:\n  <<: *b\n", "merge keys"),
        ("a: 1\n---\nb: 2\n", "not valid YAML"),
        ("a: " + "[" * 500 + "]" * 500, "line 1: nested more than 100 levels deep"),
        ("a: &x {b: [1, *x]}\n", "line 1: an alias .* refers to a mapping or list that contains it"),
        (
            "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}' if i else '0'] * 9)}]\n" for i in range(8)),
            "line 7: aliases expand to more than 1,000,000 values",
        ),
        ("a: 1\nb: " + "1" * 4301, "line 2: a number of 4,301 characters is too long"),
        ("a: 0x" + "f" * 3600, "line 1: a number of 3,602 characters is too long"),
        ("a: !!int twelve", "line 1: 'twelve' is not a valid int"),
        ("a: !!float x", "line 1: 'x' is not a valid float"),
        ("a: !!bool maybe", "line 1: 'maybe' is not a valid bool"),
    ],
)
def test_unsafe_or_ambiguous_yaml_is_refused(text: str, message: str) -> None:
    with pytest.raises(CxauditError, match=message):
        load_yaml(text, "r.yaml")


def test_aliases_and_depth_within_limits_load() -> None:
    data, lines = load_yaml("a: &x [1, {b: 2}]\nc: [*x, *x]\nd: " + "[" * 98 + "]" * 98, "r.yaml")
    assert data["c"] == [[1, {"b": 2}], [1, {"b": 2}]]
    assert lines[("c", 1, 1, "b")] == 1  # an alias's items keep their anchor's lines
