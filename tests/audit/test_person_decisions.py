"""One person, one decision: list rows sharing any key are one person, and
what a rule finds for any of their keys holds for every row of theirs,
whatever the order of the rows or the chunk size (issue: "the send list
depends on row order")."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import CASES_HEADER, Workspace

SEVERE = """
- id: severe
  source: cases
  where: {priority: {equals: urgent}}
  action: suppress
  reason: "urgent case {case_id}"
"""
CASE_FOR_ANN_WORK = (
    CASES_HEADER + "\n48220,,ann.work@example.com,open,urgent,X,Broken,,2026-11-18,\n"
)


def _rules_by_email(run) -> dict[str, str]:
    return {r["email"]: r["cxaudit_rules"] for r in run.rows("suppressed.csv")}


@pytest.mark.parametrize("chunk", ["1", "1000000"])
def test_a_case_on_one_address_holds_back_every_row_of_the_person_in_either_order(
    ws: Workspace, chunk: str
) -> None:
    ws.write("cases.csv", CASE_FOR_ANN_WORK)
    ws.rules(SEVERE)
    ws.write(
        "campaign.csv",
        "customer_id,email\nC1,ann.home@example.com\nC1,ann.work@example.com\nC2,bob@example.com\n",
    )
    run = ws.audit("--chunk-size", chunk)
    assert run.code == 0, run.stderr
    assert run.kept() == ["bob@example.com"]
    assert [
        (r["email"], r["cxaudit_rules"], r["cxaudit_reasons"]) for r in run.rows("suppressed.csv")
    ] == [
        ("ann.home@example.com", "severe", "urgent case 48220"),
        (
            "ann.work@example.com",
            "severe;cxaudit:duplicate",
            "urgent case 48220; repeats row 2 (same customer_id)",
        ),
    ]
    ws.write(
        "campaign.csv",
        "customer_id,email\nC1,ann.work@example.com\nC2,bob@example.com\nC1,ann.home@example.com\n",
    )
    run = ws.audit("--chunk-size", chunk, out="out2")
    assert run.kept() == ["bob@example.com"]
    assert _rules_by_email(run) == {
        "ann.work@example.com": "severe",
        "ann.home@example.com": "severe;cxaudit:duplicate",
    }


def test_a_person_linked_through_another_row_is_named_with_that_row(ws: Workspace) -> None:
    # row 2 and row 4 share nothing; row 3 shares row 2's id and row 4's email.
    ws.write("cases.csv", CASES_HEADER + "\n1,,d@x.example,open,urgent,X,S,,2026-11-18,\n")
    ws.rules(SEVERE)
    ws.write("campaign.csv", "customer_id,email\nC1,a@x.example\nC1,d@x.example\nC9,d@x.example\n")
    for chunk in ("1", "2", "10"):
        run = ws.audit("--chunk-size", chunk, out=f"out{chunk}")
        assert run.kept() == []
        assert [r["cxaudit_reasons"] for r in run.rows("suppressed.csv")] == [
            "urgent case 1",
            "urgent case 1; repeats row 2 (same customer_id)",
            "urgent case 1; repeats row 2 (the same person: shares its email with row 3)",
        ]
        identity = run.report()["identity"]["campaign"]
        assert (identity["persons"], identity["rows_of_persons_listed_more_than_once"]) == (1, 3)
        assert identity["rows_linked_through_several_keys"] == 1


def test_min_count_counts_each_source_row_of_the_person_once(ws: Workspace) -> None:
    # Ann's two rows reach history rows 2-3 by email, row 4 by phone, and
    # row 5 by both: four rows, each counted once.
    ws.write("campaign.csv", "customer_id,email,phone\nC1,ann@x.example,\nC1,,617-555-0134\n")
    ws.write(
        "history.csv",
        "email,phone,channel,sent_at\n"
        "ann@x.example,,email,2026-11-19\n"
        "ann@x.example,,email,2026-11-18\n"
        ",6175550134,email,2026-11-17\n"
        "ann@x.example,+1 617 555 0134,email,2026-11-16\n",
    )
    sources = """
    history:
      path: history.csv
      keys: {email: email, phone: phone}
      columns: {channel: channel, sent_at: sent_at}
      dates: [sent_at]
    """
    for needed, suppressed in ((4, True), (5, False)):
        ws.rules(
            f"""
            - id: cap
              source: history
              min_count: {needed}
              action: suppress
              reason: "{{count}} touches"
            """,
            sources=sources,
        )
        run = ws.audit(out=f"out{needed}")
        rows = run.rows("suppressed.csv")
        if suppressed:
            assert [r["cxaudit_reasons"] for r in rows] == [
                "4 touches",
                "4 touches; repeats row 2 (same customer_id)",
            ]
        else:
            assert [r["cxaudit_rules"] for r in rows] == ["cxaudit:duplicate"]


def test_match_none_and_allow_look_at_the_whole_person(ws: Workspace) -> None:
    # Ann ordered with her work address; her home row is not "without an
    # order". Bob's seed address allows his other row too.
    ws.write(
        "campaign.csv",
        "customer_id,email\nC1,ann.home@x.example\nC1,ann.work@x.example\nC2,bob@x.example\nC2,seed@x.example\nC3,cara@x.example\n",
    )
    ws.write("orders.csv", "email,status\nann.work@x.example,fulfilled\n")
    ws.write("seeds.csv", "email\nseed@x.example\n")
    ws.write("cases.csv", CASES_HEADER + "\n1,C2,,open,urgent,X,S,,2026-11-18,\n")
    sources = """
    orders: {path: orders.csv, keys: {email: email}, columns: {status: status}}
    seeds: {path: seeds.csv, keys: {email: email}}
    cases:
      path: cases.csv
      keys: {customer_id: "Customer ID", email: "Requester email"}
      columns: {case_id: Id, priority: Priority}
    """
    ws.rules(
        """
        - id: seed
          source: seeds
          action: allow
        - id: no-order
          source: orders
          where: {status: {equals: fulfilled}}
          match: none
          action: suppress
        - id: severe
          source: cases
          where: {priority: {equals: urgent}}
          action: suppress
        """,
        sources=sources,
    )
    run = ws.audit()
    assert run.kept() == ["ann.home@x.example", "bob@x.example"]
    assert _rules_by_email(run) == {
        "ann.work@x.example": "cxaudit:duplicate",
        "seed@x.example": "cxaudit:duplicate",
        "cara@x.example": "no-order",
    }
    assert run.report()["by_rule"]["seed"] == 2  # both of Bob's rows exempted


def test_a_recipients_rule_on_one_row_holds_for_the_person_across_chunks(ws: Workspace) -> None:
    ws.write(
        "campaign.csv",
        "customer_id,email,consent\nC1,a@x.example,no\nC2,b@x.example,yes\nC3,c@x.example,yes\nC1,a2@x.example,yes\n",
    )
    ws.write("cases.csv", CASES_HEADER + "\n")
    ws.rules(
        """
        - id: no-consent
          where: {consent: {equals: "no"}}
          action: suppress
          reason: "consent {consent} on row of {email}"
        """
    )
    run = ws.audit("--chunk-size", "1", "--show-pii")
    assert run.kept() == ["b@x.example", "c@x.example"]
    assert [r["cxaudit_reasons"] for r in run.rows("suppressed.csv")] == [
        "consent no on row of a@x.example",
        "consent no on row of a@x.example; repeats row 2 (same customer_id)",
    ]


@pytest.mark.parametrize(
    ("in_list", "in_export"),
    [
        ("josé@example.com", "jose\u0301@example.com"),  # NFC vs NFD (macOS, some CRMs)
        ("jose\u0301@example.com", "JOSÉ@EXAMPLE.COM"),
        ("ann@bücher.example", "ann@xn--bcher-kva.example"),  # IDNA
        ("ann@xn--bcher-kva.example", "Ann@BÜCHER.example"),
        ("ann@example.com", "mailto:ann@example.com"),
        ("ann@example.com", "<ann@example.com>"),
        ("ann@example.com", "Ann Smith <Ann@Example.com>"),
        ('"Ann" <ann@example.com>', " 'ann@example.com' "),
        ("ann@example.com", "ann@example.com; ann.work@example.com"),
        ("ann.work@example.com", "ann@example.com, ann.work@example.com"),
        ("ann.work@example.com", "ann@example.com ann.work@example.com"),
    ],
)
def test_one_mailbox_spelled_two_ways_matches_from_either_side(
    ws: Workspace, in_list: str, in_export: str
) -> None:
    def cell(text: str) -> str:
        return '"' + text.replace('"', '""') + '"'

    ws.rules(SEVERE)
    for n, (mine, theirs) in enumerate(((in_list, in_export), (in_export, in_list))):
        ws.write("campaign.csv", f"customer_id,email\nC1,{cell(mine)}\nC2,bob@example.com\n")
        ws.write("cases.csv", f"{CASES_HEADER}\n1,,{cell(theirs)},open,urgent,X,S,,2026-11-18,\n")
        run = ws.audit(out=f"out{n}")
        assert run.code == 0, run.stderr
        assert run.kept() == ["bob@example.com"], (mine, theirs)


def test_an_export_written_with_display_names_is_usable(ws: Workspace) -> None:
    ws.rules(SEVERE)
    ws.write("campaign.csv", "customer_id,email\nC1,ann@example.com\nC2,bob@example.com\n")
    ws.write(
        "cases.csv",
        f"{CASES_HEADER}\n1,,Ann <ann@example.com>,open,urgent,X,S,,2026-11-18,\n"
        f'2,,"""Smith, Carl"" <carl@example.com>",open,urgent,X,S,,2026-11-18,\n',
    )
    run = ws.audit()
    assert run.code == 0, run.stderr
    assert run.kept() == ["bob@example.com"]


@pytest.mark.parametrize(
    "placeholder", ["N/A", "NULL", "0", "-", "#N/A", "unknown", "TBD", "none", "000"]
)
def test_placeholder_ids_link_nobody_and_are_counted(ws: Workspace, placeholder: str) -> None:
    ws.rules(SEVERE)
    ws.write(
        "cases.csv", f"{CASES_HEADER}\n1,{placeholder},zed@x.example,open,urgent,X,S,,2026-11-18,\n"
    )
    ws.write(
        "campaign.csv",
        f"customer_id,email\n{placeholder},a@x.example\n{placeholder},b@x.example\n {placeholder.lower()} ,c@x.example\n",
    )
    run = ws.audit()
    assert run.code == 0, run.stderr
    assert run.kept() == ["a@x.example", "b@x.example", "c@x.example"]
    identity = run.report()["identity"]
    assert identity["campaign"]["dropped_keys"] == {"customer_id": {"placeholder": 3}}
    assert identity["cases"]["dropped_keys"] == {"Customer ID": {"placeholder": 1}}
    assert "customer_id: 3 placeholder" in (run.out / "report.md").read_text()


@pytest.mark.parametrize(
    "phone", ["000-000-0000", "(555) 555-5555", "123-456-7890", "+1 999 999 9999"]
)
def test_placeholder_phones_link_nobody(ws: Workspace, phone: str) -> None:
    ws.rules(SEVERE)
    ws.write("cases.csv", f"{CASES_HEADER}\n")
    ws.write("campaign.csv", f"email,phone\na@x.example,{phone}\nb@x.example,{phone}\n")
    run = ws.audit()
    assert run.kept() == ["a@x.example", "b@x.example"]
    assert run.report()["identity"]["campaign"]["dropped_keys"] == {"phone": {"placeholder": 2}}


def test_excel_damaged_ids_are_no_key_and_a_warning(ws: Workspace) -> None:
    ws.rules(SEVERE)
    ws.write(
        "cases.csv", f"{CASES_HEADER}\n1,7.02255E+12,zed@x.example,open,urgent,X,S,,2026-11-18,\n"
    )
    ws.write(
        "campaign.csv", "customer_id,email\n7.02255E+12,a@x.example\n7.02255E+12,b@x.example\n"
    )
    run = ws.audit()
    assert run.code == 0, run.stderr
    assert run.kept() == ["a@x.example", "b@x.example"]
    warning = (
        "campaign.csv: 2 value(s) of column 'customer_id' (customer_id) are in Excel's scientific "
        "notation (like '7.02255E+12'): the file was re-saved by Excel, which cut their digits, "
        "so they are no key; export it again without opening it in Excel (or import the column as text)"
    )
    assert warning in run.report()["warnings"]
    assert warning in run.stderr
    assert any(
        w.startswith("cases.csv: 1 value(s) of column 'Customer ID'")
        for w in run.report()["warnings"]
    )


def test_one_id_on_many_different_people_still_links_them_and_says_so(ws: Workspace) -> None:
    # A Substack export reuses one Stripe id on ten rows of ten different emails.
    rows = "".join(f"cus_Lx9,reader{i}@x.example\n" for i in range(10))
    rows += "".join(f"cus_{i},other{i}@x.example\n" for i in range(12))
    ws.write("campaign.csv", "customer_id,email\n" + rows)
    ws.write("cases.csv", f"{CASES_HEADER}\n1,,zed@x.example,open,urgent,X,S,,2026-11-18,\n")
    ws.rules(SEVERE)
    run = ws.audit()
    assert run.code == 0
    assert run.report()["by_rule"]["cxaudit:duplicate"] == 9
    warning = (
        "campaign.csv: customer_id ***_Lx9 (column 'customer_id') is on 10 rows that look like 10 "
        "different people (no other key in common); "
        "they count as one person: the first row is judged and the others are cxaudit:duplicate. "
        "If the value is a placeholder or is shared by different people, list it under "
        "placeholders: in the rules file (or map another column as the key)"
    )
    assert run.report()["warnings"] == [warning]
    assert warning in run.stderr
    # declared a placeholder, the id links nobody
    ws.rules(SEVERE, head="placeholders: [cus_Lx9]\n")
    run = ws.audit(out="out2")
    assert run.report()["by_rule"]["cxaudit:duplicate"] == 0
    assert run.report()["warnings"] == []
    assert run.report()["identity"]["campaign"]["dropped_keys"] == {
        "customer_id": {"placeholder": 10}
    }


def test_a_key_linking_more_than_half_the_list_is_named(ws: Workspace) -> None:
    rows = "".join(f"C{i},shared@x.example\n" for i in range(6)) + "C9,z@x.example\n"
    ws.write("campaign.csv", "customer_id,email\n" + rows)
    ws.write("cases.csv", f"{CASES_HEADER}\n1,,zed@x.example,open,urgent,X,S,,2026-11-18,\n")
    ws.rules(SEVERE)
    run = ws.audit()
    (warning,) = run.report()["warnings"]
    assert warning.startswith(
        "campaign.csv: email s***@x.example (column 'email') links 6 of 7 rows, more than half the list, into one person"
    )


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "x" * 10_000,
        "\x00\x01\x1f",
        "a\u202eb@x.example",
        "@",
        "a@",
        "@b.c",
        "a@b@c.d",
        "<>",
        "mailto:",
        '"',
        "a@xn--.example",
        "a@" + "b" * 300 + ".example",
        "N/A",
    ],
)
def test_unusual_keys_are_a_key_or_counted_never_an_internal_error(
    ws: Workspace, value: str
) -> None:
    def cell(text: str) -> str:
        return '"' + text.replace('"', '""') + '"'

    ws.rules(SEVERE)
    ws.write(
        "cases.csv", f"{CASES_HEADER}\n1,{cell(value)},{cell(value)},open,urgent,X,S,,2026-11-18,\n"
    )
    ws.write(
        "campaign.csv",
        f"customer_id,email,phone\nC1,ok@x.example,\n{cell(value)},{cell(value)},{cell(value)}\n",
    )
    run = ws.audit()
    assert run.code in (0, 2), run.stderr
    assert "internal error" not in run.stderr


def _shuffled_runs_agree(ws: Workspace, lines: list[str], seed: int, chunk: str) -> None:
    header = "customer_id,email,phone,n\n"
    ws.write("campaign.csv", header + "".join(f"{line},{i}\n" for i, line in enumerate(lines)))
    base = ws.audit("--chunk-size", "1000000", out="base")
    assert base.code == 0, base.stderr
    order = list(range(len(lines)))
    random.Random(seed).shuffle(order)
    ws.write("campaign.csv", header + "".join(f"{lines[i]},{i}\n" for i in order))
    other = ws.audit("--chunk-size", chunk, out="other")
    assert other.code == 0, other.stderr

    def fates(run) -> tuple[dict[str, list[str]], set[str]]:
        rules: dict[str, list[str]] = {}
        for r in run.rows("suppressed.csv"):
            rules[r["n"]] = [x for x in r["cxaudit_rules"].split(";") if x != "cxaudit:duplicate"]
        kept = {r["n"] for r in run.rows("cleaned.csv")}
        for n in kept:
            rules[n] = []
        return rules, kept

    (a_rules, a_kept), (b_rules, b_kept) = fates(base), fates(other)
    assert a_rules == b_rules  # each row lists the same rules in any order and chunking
    # and the same people are sent to: a kept row's person is kept either way
    assert len(a_kept) == len(b_kept)


KEYS = st.tuples(
    st.sampled_from(["", "C1", "C2", "C3", "N/A"]),
    st.sampled_from(
        ["", "a@x.example", "A@X.example", "b@x.example", "c@x.example", "case@x.example"]
    ),
    st.sampled_from(["", "617-555-0134", "+1 617 555 0199", "000-000-0000"]),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(KEYS, min_size=1, max_size=12), st.integers(0, 10**6), st.sampled_from(["1", "2", "5"])
)
def test_each_rows_rules_do_not_depend_on_row_order_or_chunk_size(
    ws: Workspace, rows: list[tuple[str, str, str]], seed: int, chunk: str
) -> None:
    ws.write(
        "cases.csv",
        f"{CASES_HEADER}\n1,,case@x.example,open,urgent,X,S,,2026-11-18,\n2,C3,,open,low,X,S,,2026-11-18,\n",
    )
    ws.rules(
        SEVERE
        + """
- id: minor
  source: cases
  where: {priority: {equals: low}}
  action: flag
"""
    )
    _shuffled_runs_agree(ws, [",".join(r) for r in rows], seed, chunk)


def test_a_shared_id_is_named_even_when_two_of_its_rows_share_an_email(ws: Workspace) -> None:
    # TEST is on six rows: two of them are Ann (same email), four others: five people.
    emails = ["ann", "ann", "bob", "cara", "dev", "eve"]
    rows = "".join(f"TEST,{e}@x.example\n" for e in emails)
    rows += "".join(f"C{i},o{i}@x.example\n" for i in range(7))
    ws.write("campaign.csv", "customer_id,email\n" + rows)
    ws.write("cases.csv", f"{CASES_HEADER}\n1,,zed@x.example,open,urgent,X,S,,2026-11-18,\n")
    ws.rules(SEVERE)
    (warning,) = ws.audit().report()["warnings"]
    assert warning.startswith(
        "campaign.csv: customer_id *** (column 'customer_id') is on 6 rows that look like 5 "
        "different people"
    )


def test_a_chain_of_keys_linking_most_of_the_list_is_named(ws: Workspace) -> None:
    # rows share an id, then an email, then an id...: one person of 10 of 12 rows
    rows = []
    for i in range(10):
        rows.append(f"K{i // 2},p{(i + 1) // 2}@x.example")
    rows += ["Z1,z1@x.example", "Z2,z2@x.example"]
    ws.write("campaign.csv", "customer_id,email\n" + "\n".join(rows) + "\n")
    ws.write("cases.csv", f"{CASES_HEADER}\n1,,zed@x.example,open,urgent,X,S,,2026-11-18,\n")
    ws.rules(SEVERE)
    run = ws.audit()
    assert run.report()["by_rule"]["cxaudit:duplicate"] == 9
    assert run.report()["warnings"][0].startswith(
        "campaign.csv: keys shared from row to row link 10 of 12 rows, more than half the list, "
        "into one person (its first row is row 2)"
    )


@pytest.mark.parametrize(
    ("in_list", "in_export"),
    [
        ("'ann@example.com", "ann@example.com"),  # a quote typed before the address
        ("ann@example.com\u200e", "ann@example.com"),  # a left-to-right mark
        ("\u200fann@example.com", "ann@example.com"),
        ("ann@example\u3002com", "ann@example.com"),  # an ideographic full stop
        ("ann@example.com\u3002", "ann@example.com"),
        ("ann@\U0001f4a9.la", "ann@xn--ls8h.la"),  # IDNA 2008 refuses emoji; IDNA 2003 does not
    ],
)
def test_invisible_and_foreign_spellings_of_one_mailbox_match(
    ws: Workspace, in_list: str, in_export: str
) -> None:
    ws.rules(SEVERE)
    ws.write("campaign.csv", f"customer_id,email\nC1,{in_list}\nC2,bob@example.com\n")
    ws.write("cases.csv", f"{CASES_HEADER}\n1,,{in_export},open,urgent,X,S,,2026-11-18,\n")
    run = ws.audit()
    assert run.kept() == ["bob@example.com"]


@pytest.mark.parametrize(
    "value", ["\\N", "#VALUE!", "(null)", "---", "<NA>", "0.0", "N/A.", "C1\u200e"]
)
def test_placeholder_shapes_and_invisible_marks_in_ids(ws: Workspace, value: str) -> None:
    ws.rules(SEVERE)
    ws.write("cases.csv", f"{CASES_HEADER}\n1,C1,,open,urgent,X,S,,2026-11-18,\n")
    ws.write("campaign.csv", f"customer_id,email\n{value},a@x.example\n{value},b@x.example\n")
    run = ws.audit()
    if value.startswith("C1"):  # the same id with an invisible mark: Ann's case holds her back
        assert run.kept() == []
    else:  # a placeholder links nobody
        assert run.kept() == ["a@x.example", "b@x.example"]


def test_a_local_only_phone_or_a_float_artifact(ws: Workspace) -> None:
    # 555-0134 has no area code: it would join everyone with those digits;
    # 6175550134.0 is a spreadsheet's float of a real number.
    ws.rules(SEVERE)
    ws.write("cases.csv", f"{CASES_HEADER}\n")
    ws.write(
        "campaign.csv",
        "email,phone\ng@x.example,555-0134\nh@x.example,555-0134\ni@x.example,6175550134.0\nj@x.example,617-555-0134\n",
    )
    run = ws.audit()
    assert run.kept() == ["g@x.example", "h@x.example", "i@x.example"]
    assert run.suppressed() == {"j@x.example": "cxaudit:duplicate"}


def test_a_cell_of_many_addresses_is_no_key_and_counted(ws: Workspace) -> None:
    crowd = "; ".join(f"cc{i}@x.example" for i in range(1000))
    ws.rules(SEVERE)
    ws.write(
        "cases.csv",
        f'{CASES_HEADER}\n1,,"{crowd}",open,urgent,X,S,,2026-11-18,\n2,,a@x.example,open,low,X,S,,2026-11-18,\n',
    )
    ws.write("campaign.csv", "customer_id,email\nC1,cc5@x.example\nC2,a@x.example\n")
    run = ws.audit()
    assert run.kept() == ["cc5@x.example", "a@x.example"]
    assert run.report()["identity"]["cases"]["dropped_keys"] == {
        "Requester email": {"too_many_addresses": 1}
    }


@pytest.mark.parametrize(
    "value",
    [
        "#NAME?",
        "#SPILL!",
        "\uff10",
        "\uff2e/\uff21",
        "\uff4e\uff55\uff4c\uff4c",
        "nan.0",
        "None.0",
        "N/A N/A",
        "NA;NA",
    ],
)
def test_more_placeholder_shapes_link_nobody(ws: Workspace, value: str) -> None:
    ws.rules(SEVERE)
    ws.write("cases.csv", f"{CASES_HEADER}\n1,{value},a@x.example,open,urgent,X,S,,2026-11-18,\n")
    ws.write("campaign.csv", f"customer_id,email\n{value},b@y.example\n{value},c@y.example\n")
    run = ws.audit()
    assert run.kept() == ["b@y.example", "c@y.example"]


@pytest.mark.parametrize("mark", ["\U000e0020", "\ufff9", "\u0600", "\u2061"])
def test_any_format_character_in_an_email_is_no_part_of_it(ws: Workspace, mark: str) -> None:
    ws.rules(SEVERE)
    ws.write("cases.csv", f"{CASES_HEADER}\n1,,ann@x.example,open,urgent,X,S,,2026-11-18,\n")
    ws.write("campaign.csv", f"customer_id,email\nC1,ann{mark}@x.example\nC2,bob@x.example\n")
    assert ws.audit().kept() == ["bob@x.example"]
