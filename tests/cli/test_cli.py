"""The command line: exit codes, output formats, help, and what lands in --out."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cxaudit.cli.main import app
from tests.conftest import CAMPAIGN, CASES_HEADER, REPO, Workspace

LOG = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ cxaudit: ")
SEVERE = """
- id: severe
  source: cases
  where: {priority: {equals: urgent}}
  action: suppress
  reason: "urgent case {case_id}"
"""


def _setup(ws: Workspace) -> None:
    ws.write("campaign.csv", CAMPAIGN)
    ws.write("cases.csv", CASES_HEADER + "\n9,C2,,open,urgent,X,S,,2026-11-01,\n")
    ws.rules(SEVERE)


def test_audit_exits_0_even_when_rows_are_suppressed_and_prints_a_summary(ws: Workspace) -> None:
    _setup(ws)
    run = ws.audit()
    assert run.code == 0
    # off a terminal, progress is plain timestamped log lines on stderr
    lines = [LOG.sub("", line) for line in run.stderr.splitlines()]
    assert all(LOG.match(line) for line in run.stderr.splitlines())
    assert lines[0] == "reading rules rules.yaml"
    # the campaign and the sources are read at the same time, in either order
    assert sorted(lines[1:5]) == [
        "read campaign: 4 rows",
        "read source cases: 1 rows",
        "reading campaign campaign.csv",
        "reading source cases cases.csv",
    ]
    assert lines[5:] == [
        "evaluating 1 rules (0 skipped) for 4 recipients",
        "matched 4 recipients",
        "writing out",
        "done: 3 kept, 1 suppressed, 0 flagged",
    ]
    assert run.stdout.splitlines()[0] == (
        "cxaudit: 4 recipients: 3 kept (75%), 1 suppressed (25%), 0 flagged (0%); campaign "
        "type -, channel -, offer -; as of 2026-11-20T00:00:00Z"
    )
    assert "│ severe " in run.stdout and "│ suppress │      1 │   25% │" in run.stdout
    assert sorted(p.name for p in run.out.iterdir()) == [
        "cleaned.csv",
        "flagged.csv",
        "flagged.xlsx",
        "report.html",
        "report.json",
        "report.md",
        "suppressed.csv",
        "suppressed.xlsx",
    ]


def test_format_json_prints_exactly_report_json(ws: Workspace) -> None:
    _setup(ws)
    run = ws.audit("--format", "json")
    assert run.code == 0
    assert json.loads(run.stdout) == run.report()
    assert run.report()["by_rule"] == {
        "severe": 1,
        "cxaudit:unverifiable": 0,
        "cxaudit:duplicate": 0,
    }


def test_quiet_prints_only_the_result_line_and_writes_everything(ws: Workspace) -> None:
    _setup(ws)
    run = ws.audit("--quiet")
    assert (run.code, run.stdout) == (0, "")
    assert run.stderr == "cxaudit: 4 recipients: 3 kept, 1 suppressed, 0 flagged; wrote out\n"
    assert run.suppressed() == {"bob@example.com": "severe"}
    # --format json: the report on stdout, the same line last on stderr
    run = ws.audit("--format", "json")
    assert json.loads(run.stdout)["suppressed"] == 1
    assert run.stderr.splitlines()[-1] == (
        "cxaudit: 4 recipients: 3 kept, 1 suppressed, 0 flagged; wrote out"
    )


def test_report_json_names_inputs_with_rows_and_sha256(ws: Workspace) -> None:
    import hashlib

    _setup(ws)
    report = ws.audit().report()
    digest = hashlib.sha256((ws.root / "cases.csv").read_bytes()).hexdigest()
    assert report["inputs"] == [
        {
            "name": "campaign",
            "path": "campaign.csv",
            "rows": 4,
            "sha256": hashlib.sha256((ws.root / "campaign.csv").read_bytes()).hexdigest(),
            "encoding": "utf-8",
        },
        {"name": "cases", "path": "cases.csv", "rows": 1, "sha256": digest, "encoding": "utf-8"},
    ]
    assert report["as_of"] == "2026-11-20T00:00:00Z"
    assert report["campaign"] == {"type": None, "channel": None, "offer": None, "send_at": None}


def test_source_override_is_relative_to_the_working_directory(ws: Workspace) -> None:
    _setup(ws)
    ws.write("other/cases-today.csv", CASES_HEADER + "\n9,C3,,open,urgent,X,S,,2026-11-01,\n")
    run = ws.audit("--source", "cases=other/cases-today.csv")
    assert run.suppressed() == {"cara@example.com": "severe"}


def test_source_paths_in_rules_are_relative_to_the_rules_file(ws: Workspace) -> None:
    _setup(ws)
    ws.write("config/data/cases.csv", CASES_HEADER + "\n9,C4,,open,urgent,X,S,,2026-11-01,\n")
    (ws.root / "config" / "rules.yaml").write_text(
        (ws.root / "rules.yaml").read_text().replace("path: cases.csv", "path: data/cases.csv")
    )
    run = ws.audit("--rules", "config/rules.yaml")
    assert run.suppressed() == {"dev@example.com": "severe"}


def test_outputs_replace_the_previous_run_and_leave_no_temp_files(ws: Workspace) -> None:
    _setup(ws)
    ws.audit()
    ws.write("cases.csv", CASES_HEADER + "\n9,C1,,open,urgent,X,S,,2026-11-01,\n")
    run = ws.audit()
    assert run.suppressed() == {"ann@example.com": "severe"}
    assert sorted(p.name for p in run.out.iterdir()) == [
        "cleaned.csv",
        "flagged.csv",
        "flagged.xlsx",
        "report.html",
        "report.json",
        "report.md",
        "suppressed.csv",
        "suppressed.xlsx",
    ]


def test_a_failed_run_leaves_the_previous_outputs_untouched(ws: Workspace) -> None:
    _setup(ws)
    first = ws.audit()
    before = {p.name: p.read_bytes() for p in first.out.iterdir()}
    ws.write("cases.csv", CASES_HEADER + "\n9,C1,,open,urgent,X,S,,last tuesday,\n")
    again = ws.audit()
    assert again.code == 2
    assert {p.name: p.read_bytes() for p in again.out.iterdir()} == before


def test_out_folder_is_created_with_parents(ws: Workspace) -> None:
    _setup(ws)
    run = ws.audit(out="runs/2026-11-20/promo")
    assert run.code == 0
    assert (ws.root / "runs/2026-11-20/promo/cleaned.csv").exists()


def test_inputs_are_never_modified(ws: Workspace) -> None:
    _setup(ws)
    before = {p.name: p.read_bytes() for p in ws.root.iterdir() if p.is_file()}
    ws.audit()
    after = {p.name: p.read_bytes() for p in ws.root.iterdir() if p.is_file()}
    assert after == before


def test_validate_ok_on_the_shipped_rules() -> None:
    result = Workspace(REPO).cli("validate", "rules.yaml")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "rules.yaml: OK: 10 rules; sources cases (76 rows), orders (135 rows), consent (35 rows), "
        "contact_history (102 rows), seed_list (3 rows)\n"
    )


def test_validate_reads_sources_and_reports_their_problems(ws: Workspace) -> None:
    _setup(ws)
    ws.write("cases.csv", CASES_HEADER + "\n9,C1,,open,urgent,X,S,,2026-11-31,\n")
    result = ws.cli("validate")
    assert result.exit_code == 2
    assert result.stderr == (
        "cxaudit: error: cases.csv: row 2, column 'Created at': not a date in the format ISO "
        "8601 (2026-11-18, 2026-11-18 09:00:00, …Z, …-0500) (the value reads like '9999-99-99'); "
        'fix the value or set sources.cases.date_format, e.g. "%m/%d/%Y %I:%M %p" for '
        "11/18/2026 9:00 AM\n"
    )


def test_date_format_reads_us_style_dates(ws: Workspace) -> None:
    ws.write("campaign.csv", CAMPAIGN)
    ws.write(
        "cases.csv",
        "Case Number,Contact Email,Date/Time Closed\n1,ann@example.com,11/18/2026 9:00 AM\n"
        "2,bob@example.com,10/01/2026 4:30 PM\n",
    )
    ws.rules(
        "- {id: cool, source: cases, where: {closed: {within_days: 14}}, action: suppress}",
        sources="""
        cases:
          path: cases.csv
          keys: {email: Contact Email}
          columns: {closed: Date/Time Closed}
          dates: [closed]
          date_format: "%m/%d/%Y %I:%M %p"
        """,
    )
    assert ws.audit().suppressed() == {"ann@example.com": "cool"}


def _commands() -> list[str]:
    import typer.main

    return sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


@pytest.mark.parametrize("command", _commands())
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = Workspace(REPO).cli(command, "--help")
    assert result.exit_code == 0
    assert "Example:" in result.stdout
    assert f"cxaudit {command}" in result.stdout


def test_version(ws: Workspace) -> None:
    from cxaudit import __version__

    assert ws.cli("--version").stdout == f"cxaudit {__version__}\n"


def test_terminal_progress_shows_each_phase_with_rows_per_second() -> None:
    import io
    import time

    from rich.console import Console

    from cxaudit.cli.progress import _Progress

    buf = io.StringIO()
    progress = _Progress(silent=False)
    progress.console = Console(file=buf, force_terminal=True, width=100)
    with progress:
        progress("reading campaign c.csv")
        time.sleep(0.02)
        progress("read campaign: 40 rows", rows=40)
        progress("evaluating 1 rules (0 skipped) for 40 recipients")
        time.sleep(0.02)
        progress("matched 40 recipients", rows=40)
        progress("writing out")
        time.sleep(0.02)
        progress("done: 40 kept", rows=40)
    screen = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", buf.getvalue())
    for phase in ("reading", "matching", "writing"):
        assert re.search(rf"{phase}: 40 rows, [\d,]+ rows/s", screen), screen


def test_validate_lists_every_problem_in_one_run(ws: Workspace) -> None:
    ws.write("cases.csv", CASES_HEADER + "\n")
    ws.write(
        "rules.yaml",
        "version: 1\ncampaing: {type: promotional}\nsources:\n  cases:\n    path: cases.csv\n"
        '    keys: {customer_id: "Customer ID"}\n    columns: {status: Statuss, subject: Subjekt}\n'
        "rules:\n  - {id: a, source: cases, where: {status: {inn: [open]}}, action: suppress}\n"
        "  - {id: b, source: casez, action: suppress}\n",
    )
    first = ws.cli("validate")
    assert first.exit_code == 2
    assert first.stderr.splitlines() == [
        "cxaudit: error: rules.yaml:2: campaing: unknown key 'campaing' (did you mean 'campaign'?)",
        "cxaudit: error: rules.yaml:9: rule 'a', where.status.inn: unknown operator 'inn' (did "
        "you mean 'in'?); operators are equals, not_equals, contains, in, not_in, matches, empty, "
        "gt, gte, lt, lte, within_days, older_than_days, before, after",
        "cxaudit: error: rules.yaml:10: rule 'b', source: unknown source 'casez' (did you mean "
        "'cases'?); sources are recipients, cases",
    ]
    fixed = (ws.root / "rules.yaml").read_text().replace("campaing", "campaign")
    fixed = fixed.replace("inn:", "in:").replace("casez", "cases")
    ws.write("rules.yaml", fixed)
    second = ws.cli("validate")
    assert second.exit_code == 2
    assert second.stderr.splitlines() == [
        "cxaudit: error: cases.csv: has no column 'Statuss' (mapped by sources.cases.columns.status "
        "at rules.yaml:7); did you mean 'Status'? Fix the mapping or the export",
        "cxaudit: error: cases.csv: has no column 'Subjekt' (mapped by "
        "sources.cases.columns.subject at rules.yaml:7); did you mean 'Subject'? Fix the mapping "
        "or the export",
    ]


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["audit", "campaign.csv", "--out", ""], "--out ''"),
        (["audit", "campaign.csv", "--out="], "--out ''"),
        (["audit", "campaign.csv", "--baseline", " "], "--baseline ' '"),
        (["audit", "campaign.csv", "-r", ""], "-r ''"),
        (["check", "campaign.csv", "--format", "github="], "--format 'github='"),
        (["audit", ""], "an argument ''"),
    ],
)
def test_an_empty_argument_is_exit_2_and_nothing_is_written(
    ws: Workspace, args: list[str], named: str
) -> None:
    ws.write("campaign.csv", "customer_id,email\nC1,a@x.example\n")
    ws.rules("- {id: x, source: cases, action: suppress}")
    ws.write("cases.csv", CASES_HEADER + "\n")
    result = ws.cli(*args)
    assert result.exit_code == 2
    if named != "--format 'github='":  # that one is check's own message
        assert result.stderr == (
            f"cxaudit: error: {named}: empty (an unset variable in a script?); give a path or value\n"
        )
    assert sorted(p.name for p in ws.root.iterdir()) == ["campaign.csv", "cases.csv", "rules.yaml"]


def test_the_step_summary_may_not_be_an_input(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws.write("campaign.csv", "customer_id,email\nC1,a@x.example\n")
    ws.rules("- {id: x, source: cases, action: suppress}")
    ws.write("cases.csv", CASES_HEADER + "\n")
    before = (ws.root / "campaign.csv").read_bytes()
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(ws.root / "campaign.csv"))
    result = ws.cli("check", "campaign.csv")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        f"cxaudit: error: $GITHUB_STEP_SUMMARY: {ws.root / 'campaign.csv'} is the input "
        "campaign.csv of this check; write the format to another file"
    )
    assert (ws.root / "campaign.csv").read_bytes() == before


def test_the_cli_runs_without_click_installed() -> None:
    """Typer carries its own click; `pip install .` brings no other (click
    only arrives with the test extra's Dask), so cxaudit must not need it."""
    import subprocess
    import sys

    blocker = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'click' or name.startswith('click.'):\n"
        "            raise ImportError('click is not installed')\n"
        "sys.meta_path.insert(0, Block())\n"
        "sys.argv = ['cxaudit', '--version']\n"
        "from cxaudit.cli.main import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", blocker], capture_output=True, text=True, cwd=REPO, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("cxaudit ")


def test_version_has_a_short_form() -> None:
    from typer.testing import CliRunner

    from cxaudit import __version__

    for flag in ("--version", "-V"):
        result = CliRunner().invoke(app, [flag])
        assert (result.exit_code, result.stdout) == (0, f"cxaudit {__version__}\n")


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("cxaudit check x.csv --format j", ["json", "junit"]),
        ("cxaudit audit x.csv --preset cases=zen", ["cases=zendesk"]),
        ("cxaudit audit x.csv --engine ", ["local", "dask"]),
    ],
)
def test_shell_completion_offers_format_preset_and_engine_values(
    words: str, expected: list[str]
) -> None:
    import os
    import subprocess
    import sys

    env = {
        "_CXAUDIT_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split(" ")) - 1),
    }

    script = Path(sys.executable).parent / "cxaudit"  # the console script pip installed
    result = subprocess.run(
        [str(script)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout.split() == expected, result.stderr
