"""Rules files are plain data: no object tags, no surprising scalars, and bounded
(file size, nesting, alias expansion) before anything is built."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cxaudit.errors import CxauditError
from cxaudit.rules.yamlsafe import MAX_BYTES, check_size, load_yaml
from tests.conftest import Workspace


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
        (
            "a: &x {b: [1, *x]}\n",
            "line 1: an alias .* refers to a mapping or list that contains it",
        ),
        (
            "".join(
                f"l{i}: &l{i} [{', '.join([f'*l{i - 1}' if i else '0'] * 9)}]\n" for i in range(8)
            ),
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


def test_aliases_nested_past_the_depth_limit_are_refused_not_a_crash() -> None:
    # 30 anchors of lists 90 deep, each holding the one before: 2,700 levels,
    # which used to exhaust Python's stack while building.
    text = "".join(
        f"a{i}: &a{i} {'[' * 90}{f'*a{i - 1}' if i else '1'}{']' * 90}\n" for i in range(30)
    )
    with pytest.raises(CxauditError) as caught:
        load_yaml(text, "r.yaml")
    assert str(caught.value) == (
        "r.yaml: line 2: nested more than 100 levels deep once aliases are expanded; write "
        "the mappings and lists out flatter"
    )


def test_aliases_of_mappings_are_counted_too() -> None:
    text = "".join(
        f"m{i}: &m{i} {{{', '.join(f'k{j}: ' + (f'*m{i - 1}' if i else '0') for j in range(9))}}}\n"
        for i in range(9)
    )
    with pytest.raises(CxauditError, match="line 7: aliases expand to more than 1,000,000"):
        load_yaml(text, "r.yaml")


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"a: 1\n" + b"#" * MAX_BYTES)
    with pytest.raises(CxauditError) as caught:
        check_size(path)
    assert str(caught.value) == (
        f"{path}: {MAX_BYTES + 5:,} bytes, over the 1 MiB that cxaudit reads from a YAML file "
        "(a rules file is a few KB); check that this is the right file"
    )
    path.write_bytes(b"a: 1\n" + b"#" * (MAX_BYTES - 5))
    check_size(path)  # exactly the limit is fine


def test_a_rule_tests_file_over_the_size_limit(ws: Workspace) -> None:
    ws.write("cases.csv", "Id,Customer ID\n1,C1\n")
    ws.write(
        "rules.yaml",
        "version: 1\nsources:\n  cases:\n    path: cases.csv\n    keys: {customer_id: "
        '"Customer ID"}\nrules:\n  - {id: r, source: cases, action: suppress}\n',
    )
    text = "tests: []\n" + "#" * MAX_BYTES + "\n"
    ws.write("rules.test.yaml", text)
    result = ws.cli("test", "rules.yaml")
    assert result.exit_code == 2
    assert result.stderr == (
        f"cxaudit: error: rules.test.yaml: {len(text):,} bytes, over the 1 MiB that cxaudit "
        "reads from a YAML file (a rules file is a few KB); check that this is the right file\n"
    )


# Nine levels of nine aliases: 9**9 (387 million) values from 477 bytes. Once
# 30 s and 3.7 GB; now refused from the parsed nodes, each measured once.
LAUGHS9 = "".join(
    f"l{i}: &l{i} [{', '.join([f'*l{i - 1}' if i else 'ha'] * 9)}]\n" for i in range(9)
)
RULES = """\
version: 1
sources:
  cases:
    path: cases.csv
    keys: {customer_id: "Customer ID"}
rules:
  - {id: r, source: cases, action: suppress}
"""


@pytest.mark.parametrize(
    ("command", "file", "text", "line"),
    [
        ("validate", "rules.yaml", LAUGHS9 + RULES, 7),
        ("audit", "rules.yaml", LAUGHS9 + RULES, 7),
        ("test", "rules.test.yaml", LAUGHS9 + "tests: [*l8]\n", 7),
        ("audit", "campaign.campaign.yaml", LAUGHS9 + "type: promotional\n", 7),
    ],
    ids=["validate", "audit", "test", "sidecar"],
)
def test_a_billion_laughs_fails_at_once(
    ws: Workspace, command: str, file: str, text: str, line: int
) -> None:
    ws.write("campaign.csv", "customer_id\nC1\n")
    ws.write("cases.csv", "Id,Customer ID\n1,C1\n")
    ws.write("rules.yaml", RULES)
    ws.write(file, text)
    args = {
        "validate": ["validate", "rules.yaml"],
        "audit": ["audit", "campaign.csv", "--out", "out"],
        "test": ["test", "rules.yaml"],
    }[command]
    # In a child process: a loader that expanded the aliases would take
    # minutes and gigabytes, and fail here at the guard.
    result = subprocess.run(
        [sys.executable, "-m", "cxaudit", *args],
        cwd=ws.root,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"cxaudit: error: {file}: line {line}: aliases expand to more than 1,000,000 values; "
        "write the repeated parts out instead"
    )


@pytest.mark.parametrize("char", ["\x07", "\x00", "\x7f", "\ufffe"])
def test_a_character_yaml_forbids_is_an_error_with_its_line(ws, char: str) -> None:
    ws.write("rules.yaml", f"version: 1\nrules: []{char}\n")
    result = ws.cli("validate")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"cxaudit: error: rules.yaml:2: not valid YAML (character U+{ord(char):04X} is not allowed"
    )
