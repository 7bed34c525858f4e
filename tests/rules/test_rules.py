"""The rules model: what a valid file compiles to, and overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxaudit.errors import CxauditError
from cxaudit.regexes import compile_regex
from cxaudit.rules import AnyOf, Campaign, Condition, Ref, load_rules
from tests.conftest import rules_text


def load(tmp_path: Path, rules: str, head: str = "") -> object:
    path = tmp_path / "rules.yaml"
    path.write_text(rules_text(rules, head=head))
    return load_rules(path)


def test_compiles_conditions_references_and_defaults(tmp_path: Path) -> None:
    ruleset = load(
        tmp_path,
        """
        - id: r1
          source: cases
          where:
            status: {in: [Open, " pending ", open]}
            product: {equals: $campaign.offer}
            any:
              - subject: {matches: "^re:"}
              - priority: {empty: true}
          applies_to: {type: Promotional, channel: [email, SMS]}
          action: suppress
        - id: r2
          where: {zip: {matches: "^0"}}
          action: flag
        """,
        head="campaign: {type: promotional, channel: email}\n",
    )
    r1, r2 = ruleset.rules  # type: ignore[attr-defined]
    assert r1.where[0] == Condition("status", "in", ("open", "pending"), 22)
    assert r1.where[1] == Condition("product", "equals", Ref("campaign", "offer"), 23)
    assert isinstance(r1.where[2], AnyOf)
    assert r1.where[2].options[0][0].value == compile_regex("^re:")
    assert r1.applies_to == {
        "type": frozenset({"promotional"}),
        "channel": frozenset({"email", "sms"}),
    }
    assert (r1.match, r1.min_count, r1.line) == ("any", 1, 19)
    assert (r2.source, r2.order) == ("recipients", 1)
    assert [p.column for p in ruleset.pending_columns] == ["zip"]  # type: ignore[attr-defined]
    assert ruleset.campaign == Campaign("promotional", "email", None)  # type: ignore[attr-defined]


def test_campaign_overrides_and_applies(tmp_path: Path) -> None:
    ruleset = load(
        tmp_path,
        "- {id: r, source: cases, action: suppress, applies_to: {channel: [sms, phone]}}",
        head="campaign: {type: promotional, channel: email}\n",
    )
    rule = ruleset.rules[0]  # type: ignore[attr-defined]
    assert not ruleset.applies(rule)  # type: ignore[attr-defined]
    sms = ruleset.with_campaign(channel=" SMS ", type=None)  # type: ignore[attr-defined]
    assert sms.campaign == Campaign("promotional", " SMS ", None)
    assert sms.applies(rule)


def test_source_paths_are_relative_to_the_rules_file(tmp_path: Path) -> None:
    ruleset = load(tmp_path, "- {id: r, source: cases, action: suppress}")
    assert ruleset.sources["cases"].path == tmp_path / "cases.csv"  # type: ignore[attr-defined]


def test_min_count_on_recipients_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CxauditError, match="min_count above 1 never holds"):
        load(tmp_path, "- {id: r, where: {zip: {empty: true}}, min_count: 2, action: flag}")


@pytest.mark.parametrize(
    "pattern",
    ["(a+)+$", r"(\w*)*x", "(a*b*)+", "(?:a{2,3})+", "^(phone|outage)", r"([a-z]+\.)+com$"],
)
def test_nested_repetition_loads(tmp_path: Path, pattern: str) -> None:
    """The linear-time matcher has no catastrophic shapes: a group that
    repeats repetitions is an ordinary pattern."""
    ruleset = load(tmp_path, f"- {{id: r, where: {{zip: {{matches: '{pattern}'}}}}, action: flag}}")
    assert ruleset.rules[0].where[0].value.pattern == pattern  # type: ignore[attr-defined]


def test_an_empty_rules_list_still_checks_identity_duplicates_and_the_ceiling(ws) -> None:
    """Someone who only wants the duplicate and unverifiable checks writes
    `rules: []`, not a dummy rule."""
    ws.write("campaign.csv", "customer_id,email\nC1,a@x.example\nC1,b@x.example\n,\n")
    ws.write("rules.yaml", "version: 1\nrules: []\n")
    run = ws.audit("-q")
    assert run.code == 0, run.stderr
    assert run.column("suppressed.csv", "cxaudit_rules") == [
        "cxaudit:duplicate",
        "cxaudit:unverifiable",
    ]
    assert run.kept() == ["a@x.example"]
    assert ws.audit("-q", "--max-suppressed", "50", out="capped").code == 3
    assert ws.cli("validate").stdout == "rules.yaml: OK: 0 rules; sources none\n"
