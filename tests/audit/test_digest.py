"""Sources streamed through phase 1 (cxaudit/audit/digest.py): read 1 or 7 rows at
a time, they give the bytes of the whole-source run, and explain, check and
cxaudit test give the same answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import REPO, Workspace
from tests.end_to_end.test_golden import FILES, GOLDEN, SCENARIOS, _run

SIZES = ["1", "7"]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_streamed_sources_write_the_golden_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scenario: str, size: str
) -> None:
    """Counts for min_count (frequency-cap over contact_history), first
    matching rows quoted by reasons, derive warnings, identity coverage: all
    cross chunk boundaries and still give the default run's bytes."""
    monkeypatch.setenv("CXAUDIT_SOURCE_CHUNK_ROWS", size)
    out = _run(tmp_path, SCENARIOS[scenario])
    for name in FILES:
        assert (out / name).read_bytes() == (GOLDEN / scenario / name).read_bytes(), name


def test_streamed_sources_and_a_streamed_list_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CXAUDIT_SOURCE_CHUNK_ROWS", "7")
    out = _run(tmp_path, SCENARIOS["promotional-email"], chunk=7)
    for name in FILES:
        assert (out / name).read_bytes() == (GOLDEN / "promotional-email" / name).read_bytes()


def _explain(monkeypatch: pytest.MonkeyPatch, size: str | None, who: str) -> str:
    if size:
        monkeypatch.setenv("CXAUDIT_SOURCE_CHUNK_ROWS", size)
    else:
        monkeypatch.delenv("CXAUDIT_SOURCE_CHUNK_ROWS", raising=False)
    ws = Workspace(REPO)
    result = ws.cli(
        "explain",
        "sample_data/campaign.csv",
        "--recipient",
        who,
        "--as-of",
        "2026-11-20",
        "--offer",
        "Aurora X2",
        "-f",
        "json",
        "--show-pii",
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def _busiest_recipient() -> str:
    """The sample recipient with the most contact-history rows (several
    matched rows to show, spread over many chunks when read 1 at a time)."""
    import csv

    with open(REPO / "sample_data" / "contact_history.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    emails = [r["email"].strip().lower() for r in rows]
    return max(set(emails), key=emails.count)


@pytest.mark.parametrize("size", SIZES)
def test_explain_shows_the_same_evidence_on_a_streamed_source(
    monkeypatch: pytest.MonkeyPatch, size: str
) -> None:
    who = _busiest_recipient()
    whole = _explain(monkeypatch, None, who)
    items = json.loads(whole)
    # the recipient really has several linked rows and at least one match
    assert items[0]["linked_rows"]["contact_history"] >= 3
    assert any(r["evidence"] for r in items[0]["rules"])
    assert _explain(monkeypatch, size, who) == whole


def test_check_gives_the_same_answer_on_streamed_sources(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ws = Workspace(REPO)
    args = ("check", "sample_data/campaign.csv", "--as-of", "2026-11-20", "--format", "json")
    whole = ws.cli(*args)
    monkeypatch.setenv("CXAUDIT_SOURCE_CHUNK_ROWS", "1")
    streamed = ws.cli(*args)
    assert whole.exit_code == streamed.exit_code == 1
    assert streamed.stdout == whole.stdout


def test_min_count_counts_a_row_with_two_keys_once_across_chunks(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ann has three cases, each naming her by customer id AND email, spread
    over three chunks: three rows, not six, so `min_count: 4` does not hold
    and `min_count: 3` does."""
    ws.write("campaign.csv", "customer_id,email\nC1,ann@x.example\nC2,bob@x.example\n")
    ws.write(
        "cases.csv",
        "id,cid,mail,status\n"
        "1,C1,ann@x.example,open\n"
        "2,C2,,closed\n"
        "3,C1,ANN@x.example,open\n"
        "4,,bob@x.example,open\n"
        "5,C1,ann@x.example,open\n",
    )
    rules = """
version: 1
sources:
  cases:
    path: cases.csv
    keys: {customer_id: cid, email: mail}
    columns: {status: status}
rules:
  - id: four-open
    source: cases
    action: suppress
    min_count: {n}
    where: {status: {equals: open}}
    reason: "{count} open cases"
"""
    for size in ("1", "2", "100"):
        monkeypatch.setenv("CXAUDIT_SOURCE_CHUNK_ROWS", size)
        ws.write("rules.yaml", rules.replace("{n}", "4"))
        run = ws.audit("-q", out=f"four-{size}")
        assert run.code == 0, run.stderr
        assert run.suppressed() == {}
        ws.write("rules.yaml", rules.replace("{n}", "3"))
        run = ws.audit("-q", out=f"three-{size}")
        assert run.code == 0, run.stderr
        assert run.suppressed() == {"ann@x.example": "four-open"}
        assert run.column("suppressed.csv", "cxaudit_reasons") == ["3 open cases"]


@pytest.mark.parametrize("size", ["7", "1000000"])
def test_a_digest_keeps_one_row_per_matched_key_not_every_row(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch, size: str
) -> None:
    """1,000 matching rows over 10 people: the digest keeps 10 rows (the
    first of each person's, in file order) and the counts add up to 1,000;
    the 500 rows no rule matches are counted but not kept."""
    from cxaudit.audit.digest import digest_source
    from cxaudit.audit.plan import AuditRequest, load_ruleset
    from cxaudit.dates import parse_instant

    lines = ["email,status,n"]
    for i in range(1500):
        lines.append(f"p{i % 10}@x.example,{'open' if i < 1000 else 'closed'},{i}")
    ws.write("cases.csv", "\n".join(lines) + "\n")
    ws.write("campaign.csv", "email\np0@x.example\n")
    ws.write(
        "rules.yaml",
        """
version: 1
sources:
  cases: {path: cases.csv, keys: {email: email}, columns: {status: status, n: n}}
rules:
  - {id: open, source: cases, action: suppress, where: {status: {equals: open}}}
""",
    )
    request = AuditRequest(campaign=ws.root / "campaign.csv", rules=ws.root / "rules.yaml")
    rules = load_ruleset(request)
    monkeypatch.setenv("CXAUDIT_SOURCE_CHUNK_ROWS", size)
    config = rules.sources["cases"]
    digest = digest_source(rules, config, rules.rules, parse_instant("2026-11-20"))
    assert digest.stats.rows == 1500
    assert len(digest.table) == 10
    assert list(digest.table.table.row_numbers) == list(range(2, 12))  # rows 2..11: first ten
    assert digest.matches["count"].tolist() == [100] * 10
    assert sorted(digest.matches["ident"]) == sorted(f"e:p{i}@x.example" for i in range(10))


def _derive_run(ws: Workspace, values: list[str]) -> str:
    ws.write("campaign.csv", "email\na@x.example\n")
    ws.write("tickets.csv", "email,Status\n" + "".join(f"b@x.example,{v}\n" for v in values))
    ws.write(
        "rules.yaml",
        """
version: 1
sources:
  cases:
    path: tickets.csv
    keys: {email: email}
    columns: {status: Status}
    derive:
      state: {from: status, map: {open: open, closed: closed}}
rules:
  - {id: open, source: cases, action: suppress, where: {state: {equals: open}}}
""",
    )
    run = ws.audit("-q")
    assert run.code == 0, run.stderr
    (warning,) = run.report()["warnings"]
    return warning


@pytest.mark.parametrize("size", ["1", "2", "7"])
def test_unmapped_values_are_named_in_the_same_order_at_every_chunk_size(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch, size: str
) -> None:
    """Most frequent first, a tie in the order first seen; past five, how
    many more."""
    values = ["Zeta", "Alpha", "Mid", "Beta", "Yak", "Alpha", "Omega", "open"]
    whole = _derive_run(ws, values)
    assert whole.startswith(
        "tickets.csv: state has no mapping for Status value(s) 'Alpha' (2), 'Zeta' (1), "
        "'Mid' (1), 'Beta' (1), 'Yak' (1) and 1 more; they are kept as written."
    )
    monkeypatch.setenv("CXAUDIT_SOURCE_CHUNK_ROWS", size)
    assert _derive_run(ws, values) == whole


def test_a_source_with_a_header_only_is_a_warning(ws: Workspace) -> None:
    ws.write("campaign.csv", "email\na@x.example\n")
    ws.write("cases.csv", "email,status\n")
    ws.write(
        "rules.yaml",
        """
version: 1
sources:
  cases: {path: cases.csv, keys: {email: email}, columns: {status: status}}
rules:
  - {id: open, source: cases, action: suppress, where: {status: {equals: open}}}
""",
    )
    run = ws.audit("-q")
    assert run.code == 0
    message = (
        "cases.csv: has no rows (a header only), so no rule on source 'cases' can match "
        "anyone; check that the export is complete"
    )
    inert = "rule 'open' cannot match anyone: cases.csv has no rows (a header only)"
    assert run.report()["warnings"] == [message, inert]
    assert f"cxaudit: warning: {message}" in run.stderr


@pytest.mark.parametrize("value", ["abc", "0", "-7"])
def test_a_typo_in_the_source_chunk_size_is_an_error_not_the_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str
) -> None:
    monkeypatch.setenv("CXAUDIT_SOURCE_CHUNK_ROWS", value)
    ws = Workspace(REPO)
    result = ws.cli("audit", "sample_data/campaign.csv", "--out", str(tmp_path / "out"), "-q")
    assert result.exit_code == 2
    assert result.stderr == (
        f"cxaudit: error: CXAUDIT_SOURCE_CHUNK_ROWS={value!r}: not a positive whole number; "
        "set it to one (e.g. CXAUDIT_SOURCE_CHUNK_ROWS=250000) or unset it\n"
    )
    assert not (tmp_path / "out").exists()
