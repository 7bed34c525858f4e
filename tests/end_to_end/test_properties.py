"""Property-based tests: whatever the list holds, nothing is lost or changed,
and the decision does not depend on row order."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxaudit.audit.plan import AuditRequest
from cxaudit.outputs.lists import csv_outputs
from cxaudit.run import run_audit

RULES = """\
version: 1
sources:
  cases:
    path: cases.csv
    keys: {customer_id: cid, email: email}
    columns: {priority: priority}
rules:
  - id: severe
    source: cases
    where: {priority: {equals: urgent}}
    action: suppress
    reason: "urgent case"
  - id: minor
    source: cases
    where: {priority: {equals: low}}
    action: flag
"""
CASES = "cid,email,priority\nC1,,urgent\n,b@x.com,urgent\nC3,,low\n"

SPECIAL = [
    "",
    " ",
    "NA",
    "null",
    "None",
    "nan",
    "N/A",
    "#N/A",
    "02134",
    "00012345678901234567890",
    "1e5",
    "a,b",
    "a;b",
    "a\tb",
    'say "hi"',
    "line1\nline2",
    "line1\r\nline2",
    "=1+1",
    "-",
    "0",
]
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\ufeff"),
    max_size=12,
)
VALUE = st.one_of(st.sampled_from(SPECIAL), TEXT)
IDS = st.sampled_from(["C1", " C1 ", "C2", "C3", "007", "7", ""])
EMAILS = st.sampled_from(["a@x.com", "A@X.COM ", "b@x.com", "c@x.com", "", "n/a", "d@x.com"])
# Extra columns never named like a key column: a header repeating the mapped
# 'email' is refused by design (which copy would be the address?).
NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_ ", min_size=1, max_size=8).filter(
    lambda n: n.strip().casefold() not in ("customer_id", "email", "phone")
)


def _write(header: list[str], rows: list[list[str]], delimiter: str, newline: str) -> str:
    """An unambiguous CSV file: every value holding \\r or \\n is quoted,
    whatever the line ending (the csv module alone would not quote a lone
    \\r in a LF file)."""
    out = []
    for row in [header, *rows]:
        buf = io.StringIO(newline="")
        csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerow(row)
        out.append(buf.getvalue()[:-2] + newline)
    return "".join(out)


@st.composite
def campaigns(draw: st.DrawFn) -> tuple[bytes, list[list[str]], str]:
    extra = draw(st.lists(NAMES, min_size=1, max_size=3))
    header = ["customer_id", "email", *extra]
    rows = [
        [draw(IDS), draw(EMAILS), *[draw(VALUE) for _ in extra]]
        for _ in range(draw(st.integers(0, 25)))
    ]
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    data = _write(header, rows, delimiter, newline).encode("utf-8")
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    return data, [header, *rows], delimiter


def _audit(folder: Path, data: bytes) -> tuple[bytes, bytes, object]:
    (folder / "rules.yaml").write_text(RULES)
    (folder / "cases.csv").write_text(CASES)
    (folder / "campaign.csv").write_bytes(data)
    result = run_audit(
        AuditRequest(
            campaign=folder / "campaign.csv", rules=folder / "rules.yaml", as_of="2026-11-20"
        )
    )
    cleaned, suppressed, _flagged = csv_outputs(result)
    return cleaned, suppressed, result


def _parse(data: bytes, delimiter: str) -> list[list[str]]:
    text = data.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _is_blank(row: list[str]) -> bool:
    return len(row) == 0


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(campaigns())
def test_every_row_lands_once_with_its_exact_values(
    case: tuple[bytes, list[list[str]], str],
) -> None:
    data, rows, delimiter = case
    with tempfile.TemporaryDirectory() as tmp:
        cleaned, suppressed, result = _audit(Path(tmp), data)
    header, body = rows[0], rows[1:]
    kept_rows = _parse(cleaned, delimiter)
    gone_rows = _parse(suppressed, delimiter)
    assert kept_rows[0] == header
    assert gone_rows[0] == [*header, "cxaudit_row", "cxaudit_rules", "cxaudit_reasons"]
    kept, gone = kept_rows[1:], [r[:-3] for r in gone_rows[1:]]
    suppressed = result.outcome.suppressed  # type: ignore[attr-defined]
    assert kept == [row for i, row in enumerate(body) if not suppressed[i]]
    assert gone == [row for i, row in enumerate(body) if suppressed[i]]
    # same dialect out as in: the BOM, delimiter and line ending are kept
    assert cleaned.startswith(b"\xef\xbb\xbf") == data.startswith(b"\xef\xbb\xbf")
    if body:
        assert cleaned[: len(data.split(b"\n", 1)[0])] == data.split(b"\n", 1)[0]


@st.composite
def unique_people(draw: st.DrawFn) -> list[list[str]]:
    n = draw(st.integers(1, 12))
    ids = [f"C{i}" for i in range(1, 6)] + [f"X{i}" for i in range(20)]
    chosen = draw(st.lists(st.sampled_from(ids), min_size=n, max_size=n, unique=True))
    people = []
    for cid in chosen:
        email = draw(st.sampled_from([f"{cid.lower()}@x.com", "", "b@x.com"]))
        people.append([cid, email, draw(VALUE)])
    seen = set()
    for p in people:  # b@x.com at most once, or it would make a duplicate
        if p[1] == "b@x.com" and "b" in seen:
            p[1] = ""
        if p[1] == "b@x.com":
            seen.add("b")
    return people


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(unique_people(), st.randoms(use_true_random=False))
def test_decision_does_not_depend_on_row_order(people: list[list[str]], rnd: object) -> None:
    shuffled = list(people)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]

    def decide(rows: list[list[str]]) -> dict[str, str]:
        buf = io.StringIO(newline="")
        csv.writer(buf).writerows([["customer_id", "email", "note"], *rows])
        with tempfile.TemporaryDirectory() as tmp:
            _cleaned, _gone, result = _audit(Path(tmp), buf.getvalue().encode())
        out = result.outcome  # type: ignore[attr-defined]
        return {
            rows[i][0]: (
                out.rules_cell[i] if out.suppressed[i] else ("flag" if out.flagged[i] else "")
            )
            for i in range(len(rows))
        }

    assert decide(people) == decide(shuffled)
