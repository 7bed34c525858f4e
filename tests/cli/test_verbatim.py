"""What the terminal shows is what the files and options say: rich reads
``[bold]`` as markup and ``:x:`` as an emoji code, so every console prints
text as given (cli.make_console) and table cells are Text."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

import pytest

from cxaudit.cli.console import make_console
from cxaudit.cli.progress import _Progress
from cxaudit.cli.summary import _print_summary
from tests.conftest import CAMPAIGN, Workspace

CASES = """\
Id,Customer ID,Requester email,Status,Priority,Product,Subject,Score,Created at,Solved at
1,C1,,open,high,X,S,,2026-11-18,
"""


def _rules(ws: Workspace) -> None:
    ws.rules(
        """
        - id: severe
          source: cases
          where: {status: {equals: open}}
          action: suppress
        - id: promo.only
          source: cases
          where: {status: {equals: open}}
          applies_to: {type: promotional}
          action: flag
        """
    )


@pytest.mark.parametrize("name", ["list:x:1.csv", "[red]list[/red].csv", "a[/b]:smile:.csv"])
def test_a_missing_campaign_is_named_as_written(ws: Workspace, name: str) -> None:
    _rules(ws)
    ws.write("cases.csv", CASES)
    result = ws.cli("audit", name, "--as-of", "2026-11-20", "--out", "out")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        f"cxaudit: error: {name}: file not found; check the path"
    )


def test_file_names_options_and_paths_are_shown_as_written(ws: Workspace) -> None:
    _rules(ws)
    ws.write("cases.csv", CASES)
    ws.write("list:x:1.csv", CAMPAIGN)
    result = ws.cli(
        "audit",
        "list:x:1.csv",
        "--as-of",
        "2026-11-20",
        "--out",
        "[red]out:x:",
        "--offer",
        "[bold]upsell[/bold] :smile: [/x]",
    )
    assert result.exit_code == 0, result.stderr
    assert " cxaudit: reading campaign list:x:1.csv" in result.stderr
    assert " cxaudit: writing [red]out:x:" in result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "cxaudit: 4 recipients: 3 kept (75%), 1 suppressed (25%), 0 flagged (0%); campaign type "
        "-, channel -, offer [bold]upsell[/bold] :smile: [/x]; as of 2026-11-20T00:00:00Z"
    )
    assert lines[-1] == (
        "wrote [red]out:x:/cleaned.csv, [red]out:x:/suppressed.csv, [red]out:x:/flagged.csv, "
        "[red]out:x:/suppressed.xlsx, [red]out:x:/flagged.xlsx, [red]out:x:/report.json, "
        "[red]out:x:/report.md, [red]out:x:/report.html"
    )
    assert (ws.root / "[red]out:x:" / "cleaned.csv").is_file()


def test_summary_table_cells_are_verbatim(capsys: pytest.CaptureFixture[str]) -> None:
    # Rules files only allow ids of letters, digits, - _ and .; the table
    # must not depend on that to show them as they are.
    ids = ["[bold]x[/bold]", ":x:", "[/oops]", "plain"]
    rules = [SimpleNamespace(id=i, action="suppress", description=None) for i in ids]
    why = SimpleNamespace(skip_reason=lambda rule: "applies to type upsell, not promotional")
    result = SimpleNamespace(applicable=rules[:3], skipped=rules[3:], rules=why)
    by_rule = {i: 1 for i in ids} | {"cxaudit:unverifiable": 0, "cxaudit:duplicate": 0}
    report = {
        "input_rows": 3,
        "kept": 0,
        "suppressed": 3,
        "flagged": 0,
        "campaign": {"type": None, "channel": None, "offer": None},
        "as_of": "2026-11-20T00:00:00Z",
        "by_rule": by_rule,
    }
    _print_summary(result, report, [Path("[red]out")])
    out = capsys.readouterr().out
    rows = [line.split("│")[1:-1] for line in out.splitlines() if line.startswith("│")]
    cells = [[c.strip() for c in row] for row in rows if row[0].strip()]  # a row's first line
    assert [[c[0], c[2], c[3]] for c in cells] == [
        ["[bold]x[/bold]", "suppress", "1"],
        [":x:", "suppress", "1"],
        ["[/oops]", "suppress", "1"],
        ["cxaudit:unverifiable", "suppress", "0"],
        ["cxaudit:duplicate", "suppress", "0"],
        ["plain", "suppress", "-"],
    ]
    assert cells[-1][1].startswith("skipped: applies to")
    assert out.splitlines()[-1] == "wrote [red]out"


def test_progress_on_a_terminal_shows_markup_as_text() -> None:
    buffer = io.StringIO()
    progress = _Progress(silent=False)
    progress.console = make_console(file=buffer, force_terminal=True, width=100)
    with progress:
        progress("reading campaign a[/b]:x:[bold].csv", rows=2)  # "[/b]" was a MarkupError
        progress("done: 2 kept")
    assert "a[/b]:x:[bold].csv" in buffer.getvalue()


def test_errors_and_warnings_print_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    from cxaudit.cli.console import _err

    _err("x:x:1.csv [bold]row[/bold] 2 [/x]")
    assert capsys.readouterr().err == "cxaudit: error: x:x:1.csv [bold]row[/bold] 2 [/x]\n"
