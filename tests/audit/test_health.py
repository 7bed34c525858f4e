"""Rule health: a rule that cannot match anyone on these files is inert,
said in report.json, on stderr and in every table, and never counted as
"applicable and matched nobody"."""

from __future__ import annotations

import json

import pytest

from tests.conftest import CASES_HEADER, Workspace

LIST = "customer_id,email,interest\nC1,ann@example.com,\nC2,bob@example.com,\n"
CASES = (
    CASES_HEADER
    + "\n"
    + "1,C1,ann@example.com,open,urgent,,Slow,1,2026-11-01 09:00:00,\n"
    + "2,C2,bob@example.com,solved,low,,Fine,2,2026-10-01 09:00:00,2026-11-10 09:00:00\n"
)


def _setup(ws: Workspace, rules: str, cases: str = CASES, head: str = "") -> None:
    ws.write("campaign.csv", LIST)
    ws.write("cases.csv", cases)
    ws.rules(rules, head=head)


def _inert(ws: Workspace, *args: str) -> dict[str, str]:
    run = ws.audit(*args)
    assert run.code == 0, run.stderr
    report = run.report()
    inert = {item["id"]: item["why"] for item in report["inert_rules"]}
    for rule_id, why in inert.items():
        warning = f"rule {rule_id!r} cannot match anyone: {why}"
        assert warning in report["warnings"]
        assert f"cxaudit: warning: {warning}" in " ".join(run.stderr.split())
    return inert


def test_a_send_at_from_last_year_makes_date_windows_inert(ws: Workspace) -> None:
    # the sidecar was copied from last year's campaign: every case is later
    _setup(
        ws,
        """
        - id: cooling-off
          source: cases
          where: {closed_at: {within_days: 14}}
          action: suppress
        - id: severe
          source: cases
          where: {priority: {equals: urgent}}
          action: suppress
        """,
    )
    ws.write("campaign.campaign.yaml", 'send_at: "2025-11-20T09:00:00Z"\n')
    run = ws.cli("audit", "campaign.csv", "--out", "out")
    assert run.exit_code == 0
    data = json.loads((ws.root / "out" / "report.json").read_text())
    assert data["inert_rules"] == [
        {
            "id": "cooling-off",
            "why": "closed_at within_days: 14 looks back from 2025-11-20T09:00:00Z, the moment "
            "judged, which is before every date of closed_at (column 'Solved at') in cases.csv "
            "(its dates run from 2026-11-10T09:00:00Z to 2026-11-10T09:00:00Z); check --as-of "
            "or send_at",
        }
    ]
    assert data["by_rule"]["severe"] == 1  # a rule that can match is judged as ever
    assert "cooling-off" not in data["by_rule"]  # not "matched nobody": it could not match
    (row,) = [line for line in run.stdout.splitlines() if "cooling-off" in line]
    cells = [cell.strip() for cell in row.split("│")[1:6]]
    assert cells[0] == "cooling-off" and cells[1].startswith("INERT")
    assert cells[2:] == ["suppress", "inert", "-"]  # not "0": it could not match


def test_a_recipient_reference_blank_in_every_row_is_inert(ws: Workspace) -> None:
    _setup(
        ws,
        """
        - id: interest
          source: cases
          where: {status: {equals: open}, subject: {equals: $recipient.interest}}
          action: suppress
        """,
    )
    assert _inert(ws) == {
        "interest": "it compares subject with $recipient.interest, and interest is blank in "
        "every row of the list (campaign.csv)"
    }


def test_a_source_column_blank_in_every_row_is_inert(ws: Workspace) -> None:
    _setup(
        ws,
        """
        - id: about-offer
          source: cases
          where: {product: {equals: $campaign.offer}}
          action: suppress
        - id: product-in
          source: cases
          where: {product: {in: [aurora, zephyr]}}
          action: flag
        """,
    )
    assert _inert(ws, "--offer", "Aurora") == {
        "about-offer": "product equals: $campaign.offer cannot hold, and product (column "
        "'Product') is blank in every row of cases.csv",
        "product-in": "product in: [aurora, zephyr] cannot hold, and product (column 'Product') "
        "is blank in every row of cases.csv",
    }


@pytest.mark.parametrize(
    "where",
    [
        "{product: {empty: true}}",
        "{product: {not_equals: aurora}}",
        "{product: {not_in: [aurora]}}",
        "{product: {matches: '^$'}}",
        "{product: {equals: ''}}",
    ],
)
def test_a_condition_a_blank_cell_satisfies_is_not_inert(ws: Workspace, where: str) -> None:
    _setup(ws, f"- {{id: blank, source: cases, where: {where}, action: suppress}}")
    run = ws.audit()
    assert run.report()["inert_rules"] == []
    assert run.report()["by_rule"]["blank"] == 2


def test_a_header_only_source_makes_its_rules_inert(ws: Workspace) -> None:
    _setup(
        ws,
        "- {id: severe, source: cases, where: {priority: {equals: urgent}}, action: suppress}",
        cases=CASES_HEADER + "\n",
    )
    assert _inert(ws) == {"severe": "cases.csv has no rows (a header only)"}


def test_min_count_above_the_rows_of_the_source_is_inert(ws: Workspace) -> None:
    _setup(ws, "- {id: many, source: cases, min_count: 3, action: suppress}")
    assert _inert(ws) == {"many": "it needs 3 rows of one person, and cases.csv has 2"}


def test_any_is_inert_only_when_no_option_can_hold(ws: Workspace) -> None:
    _setup(
        ws,
        """
        - id: one-may
          source: cases
          where: {any: [{product: {equals: x}}, {priority: {equals: urgent}}]}
          action: suppress
        - id: none-can
          source: cases
          where: {any: [{product: {equals: x}}, {opened_at: {older_than_days: 400}}]}
          action: suppress
        """,
    )
    assert _inert(ws) == {
        "none-can": "no option of its any: can hold (product equals: x cannot hold, and "
        "product (column 'Product') is blank in every row of cases.csv; opened_at "
        "older_than_days: 400 needs a date before 2025-10-16T00:00:00Z, and every date of "
        "opened_at (column 'Created at') in cases.csv is later (its dates run from "
        "2026-10-01T09:00:00Z to 2026-11-01T09:00:00Z); check --as-of or send_at, and that "
        "the export reaches back far enough)"
    }


def test_dates_that_end_before_the_window_are_a_quiet_period_not_inert(ws: Workspace) -> None:
    # nobody closed a case in the last 3 days: the rule ran and matched nobody
    _setup(ws, "- {id: recent, source: cases, where: {closed_at: {within_days: 3}}, action: flag}")
    run = ws.audit()
    assert run.report()["inert_rules"] == []
    assert run.report()["by_rule"]["recent"] == 0


def test_a_match_none_rule_is_never_inert(ws: Workspace) -> None:
    # its conditions cannot hold, so it holds for everyone: loud, not silent
    _setup(
        ws,
        "- {id: no-product, source: cases, where: {product: {equals: x}}, match: none, "
        "action: flag}",
    )
    run = ws.audit()
    assert run.report()["inert_rules"] == []
    assert run.report()["by_rule"]["no-product"] == 2


def test_a_column_filled_only_in_a_later_chunk_is_not_inert(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = CASES + "3,C9,zed@example.com,open,low,Aurora,Hi,1,2026-11-02 09:00:00,\n"
    _setup(ws, "- {id: product, source: cases, where: {product: {equals: aurora}}, action: flag}")
    ws.write("cases.csv", cases)
    monkeypatch.setenv("CXAUDIT_SOURCE_CHUNK_ROWS", "1")
    for args in ((), ("--chunk-size", "1")):
        run = ws.audit(*args)
        assert run.code == 0, run.stderr
        assert run.report()["inert_rules"] == []


def test_strict_fails_on_an_inert_rule(ws: Workspace) -> None:
    _setup(ws, "- {id: many, source: cases, min_count: 3, action: suppress}")
    assert ws.audit("--strict").code == 4
    assert ws.cli("check", "campaign.csv", "--strict", "--as-of", "2026-11-20").exit_code == 4


def test_explain_says_inert_and_warns_on_stderr(ws: Workspace) -> None:
    _setup(ws, "- {id: many, source: cases, min_count: 3, action: suppress}")
    result = ws.cli("explain", "campaign.csv", "-R", "ann@example.com", "--as-of", "2026-11-20")
    assert result.exit_code == 0
    assert "  INERT         many (suppress, rules.yaml:" in result.stdout
    assert "cannot match anyone: it needs 3 rows of one person, and cases.csv has 2" in (
        result.stdout
    )
    assert result.stderr == (
        "cxaudit: warning: rule 'many' cannot match anyone: it needs 3 rows of one person, "
        "and cases.csv has 2\n"
    )


def test_report_md_and_html_list_inert_rules(ws: Workspace) -> None:
    _setup(ws, "- {id: many, source: cases, min_count: 3, action: suppress}")
    run = ws.audit()
    md = (run.out / "report.md").read_text()
    assert "| many | - | suppress | inert | - | cannot match anyone: see Inert rules |" in md
    assert "## Inert rules" in md
    assert "- many: it needs 3 rows of one person, and cases.csv has 2" in md
    html = (run.out / "report.html").read_text()
    assert '<li data-inert="many"><span class="id">many</span>: it needs 3 rows' in html
