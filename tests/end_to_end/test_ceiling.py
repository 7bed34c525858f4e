"""--max-suppressed: a run that would hold back more of the list than the
ceiling exits 3; the reports say why, the lists are not written."""

from __future__ import annotations

from tests.conftest import CAMPAIGN, CASES_HEADER, Workspace

# Ann (C1) and Cara (C3) have urgent cases: 2 of the 4 recipients, 50%.
CASES = CASES_HEADER + "\n1,C1,,open,urgent,X,S,,2026-11-01,\n2,C3,,open,urgent,X,S,,2026-11-01,\n"
RULES = """
- id: severe
  source: cases
  where: {priority: {equals: urgent}}
  action: suppress
"""


def _setup(ws: Workspace) -> None:
    ws.write("campaign.csv", CAMPAIGN)
    ws.write("cases.csv", CASES)
    ws.rules(RULES)


def test_above_the_ceiling_exit_3_reports_written_previous_lists_removed(
    ws: Workspace,
) -> None:
    """The folder never offers a send list its report did not decide."""
    _setup(ws)
    for name in ("cleaned.csv", "suppressed.csv", "flagged.xlsx", "cleaned.parquet"):
        ws.write(f"out/{name}", "previous\n")
    ws.write("out/notes.txt", "mine\n")  # not a run's file: left alone
    run = ws.audit("-q", "--max-suppressed", "20")
    assert run.code == 3
    assert run.stderr == (
        "cxaudit: 4 recipients: 2 kept, 2 suppressed, 0 flagged; over the ceiling: only the "
        "reports were written to out\n"
        "cxaudit: error: 2 of 4 recipients (50%) would be suppressed, above the ceiling of 20% "
        "(--max-suppressed); the lists (cleaned, suppressed, flagged) were not written (a "
        "previous run's are removed); report.html, report.md and report.json say why\n"
    )
    report = run.report()
    assert report["ceiling"] == {
        "max_suppressed_percent": 20.0,
        "suppressed_percent": 50.0,
        "exceeded": True,
    }
    assert report["by_rule"]["severe"] == 2
    md = (run.out / "report.md").read_text()
    assert md.splitlines()[2] == (
        "**cleaned.csv, suppressed.csv and flagged.csv (and their workbooks) were not written**: "
        "2 of 4 recipients (50%) would be suppressed, above the ceiling of 20% "
        "(--max-suppressed). Look at the rules below before sending."
    )
    assert sorted(p.name for p in run.out.iterdir()) == [
        "notes.txt",
        "report.html",
        "report.json",
        "report.md",
    ]


def test_at_or_below_the_ceiling_the_run_is_normal(ws: Workspace) -> None:
    _setup(ws)
    run = ws.audit("-q", "--max-suppressed", "50")
    assert run.code == 0
    assert run.report()["ceiling"]["exceeded"] is False
    assert run.kept() == ["bob@example.com", "dev@example.com"]


def test_check_exits_3_above_the_ceiling(ws: Workspace) -> None:
    _setup(ws)
    result = ws.cli("check", "campaign.csv", "--as-of", "2026-11-20", "--max-suppressed", "25")
    assert result.exit_code == 3
    assert result.stderr == (
        "cxaudit: error: campaign.csv: 2 of 4 recipients (50%) would be suppressed, above the "
        "ceiling of 25% (--max-suppressed)\n"
    )
    below = ws.cli("check", "campaign.csv", "--as-of", "2026-11-20", "--max-suppressed", "75")
    assert below.exit_code == 1  # under the ceiling: an ordinary failing check


def test_strict_withholds_the_lists_of_a_degraded_run_and_says_why(ws: Workspace) -> None:
    ws.write("campaign.csv", "customer_id,email\nC1,a@x.example\n")
    ws.write("cases.csv", CASES_HEADER + "\n")  # the export job wrote only the header
    ws.rules("- {id: severe, source: cases, where: {priority: {equals: urgent}}, action: suppress}")
    before = ws.audit("--out-format", "parquet-parts")  # yesterday's run, not strict
    assert before.code == 0 and (before.out / "cleaned" / "part-00000.parquet").is_file()
    (before.out / "cleaned" / ".DS_Store").write_bytes(b"\0")  # a desktop opened the folder
    run = ws.audit("--strict")
    assert run.code == 4
    assert sorted(p.name for p in run.out.iterdir()) == ["report.html", "report.json", "report.md"]
    assert run.report()["degraded"] is True
    assert run.stderr.splitlines()[-1] == (
        "cxaudit: error: --strict: the run is degraded (2 warning(s) above); the lists "
        "(cleaned, suppressed, flagged) were not written (a previous run's are removed); "
        "report.html, report.md and report.json say why"
    )
    md = (run.out / "report.md").read_text()
    assert "were not written**: the run is degraded under --strict (2 warnings, listed below)" in md
    html = (run.out / "report.html").read_text()
    assert "send to these" not in html and "cleaned.csv was not written: withheld" in html
    ws.write("cases.csv", CASES_HEADER + "\n1,C9,,open,urgent,X,S,,2026-11-18,\n")
    clean = ws.audit("--strict", out="out2")
    assert clean.code == 0
    assert clean.report()["degraded"] is False
    assert (clean.out / "cleaned.csv").exists()
