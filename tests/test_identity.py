"""Identity normalisation: ids, emails and phones as comparable keys."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cxaudit.identity import (
    normalise_emails,
    normalise_ids,
    normalise_phones,
)


def s(*values: str) -> pd.Series:
    return pd.Series(list(values), dtype="str")


def test_ids_are_trimmed_text() -> None:
    assert normalise_ids(s(" C1 ", "00123", "123", "", "  ")).tolist()[:3] == ["C1", "00123", "123"]
    assert normalise_ids(s("", "  ")).isna().tolist() == [True, True]


def test_emails_are_trimmed_lowercased_and_junk_is_no_key() -> None:
    out = normalise_emails(s(" Ann@Example.COM ", "n/a", "none", "a@b", "x y@z.com", ""))
    assert out.iloc[0] == "ann@example.com"
    assert out.iloc[1:4].isna().all() and out.iloc[5:].isna().all()
    assert out.iloc[4] == "y@z.com"  # words around an address are no key; the address is


def test_phones_become_e164_in_the_region() -> None:
    out = normalise_phones(
        s("(617) 555-0134", "+1 617.555.0134", "6175550134", "020 7946 0018", "12", ""), "US"
    )
    assert out.tolist()[:3] == ["+16175550134"] * 3
    assert out.iloc[3:].isna().all()  # a UK number without +44 is not a US number
    assert normalise_phones(s("020 7946 0018"), "GB").tolist() == ["+442079460018"]


PHONE_SHAPES = st.one_of(
    st.from_regex(r"\A\+?1?[ .-]?\(?[0-9]{3}\)?[ .-]?[0-9]{3}[ .-]?[0-9]{4}\Z"),
    st.from_regex(r"\A\+[0-9 ]{6,16}\Z"),
    st.text(alphabet="0123456789+()-. x", max_size=18),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(PHONE_SHAPES, min_size=1, max_size=20), st.sampled_from(["US", "CA", "GB", "DE"]))
def test_fast_phone_path_agrees_with_phonenumbers(raw: list[str], region: str) -> None:
    from cxaudit.identity import e164

    got = normalise_phones(pd.Series(raw, dtype="str"), region).tolist()
    assert [None if pd.isna(v) else v for v in got] == [e164(v, region) for v in raw]


def test_email_addresses_reduce_every_spelling_to_one_canonical_address() -> None:
    from cxaudit.identity import email_addresses

    assert email_addresses(" 'Ann Smith' <Ann@Example.COM> ") == ["ann@example.com"]
    assert email_addresses("mailto:ann@example.com") == ["ann@example.com"]
    assert email_addresses("jose\u0301@example.com") == email_addresses("josé@example.com")
    assert email_addresses("ann@Bücher.example") == ["ann@xn--bcher-kva.example"]
    assert email_addresses("a@x.example; b@x.example, a@x.example  c@x.example") == [
        "a@x.example",
        "b@x.example",
        "c@x.example",
    ]
    assert email_addresses('"Smith, Ann" <ann@x.example>; bob@x.example') == [
        "ann@x.example",
        "bob@x.example",
    ]
    for junk in ("n/a", "", "a@b", "@x.example", "ann@", "<>", "mailto:"):
        assert email_addresses(junk) == [], junk


def test_canonical_keys_count_what_they_drop_per_column() -> None:
    from cxaudit.identity import canonical_keys

    idents, dropped = canonical_keys(
        {
            "customer_id": s("C1", "N/A", "0", "7.02255E+12", "", "TBD"),
            "email": s(
                "a@x.example; b@x.example", "none", "", "c@x.example", "", "NoEmail@X.example"
            ),
            "phone": s("000-000-0000", "617-555-0134", "12", "", "", "1.61755E+10"),
        },
        "US",
        placeholders=("noemail@x.example",),
    )
    assert list(idents.columns) == ["customer_id", "email", "email#2", "phone"]
    assert idents["customer_id"].tolist()[:1] == ["c:C1"]
    assert idents["customer_id"].iloc[1:].isna().all()
    assert idents["email#2"].iloc[0] == "e:b@x.example"
    assert dropped.counts == {
        "customer_id": {"placeholder": 3, "damaged": 1},
        "email": {"not_a_key": 1, "placeholder": 1},
        "phone": {"placeholder": 1, "damaged": 1, "not_a_key": 1},
    }


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"\A[A-Za-z0-9._+-]{1,12}@[A-Za-z0-9-]{1,10}(\.[A-Za-z0-9-]{1,6}){1,2}\Z"))
def test_the_vectorised_email_path_agrees_with_the_parser(address: str) -> None:
    from cxaudit.identity import email_addresses

    fast = normalise_emails(s(address)).iloc[0]
    slow = email_addresses(f"<{address}>")  # forced through the parser
    assert ([] if pd.isna(fast) else [fast]) == slow


def test_a_customer_ids_leading_apostrophe_is_a_spreadsheets_mark_not_the_id() -> None:
    """Shopify writes '7210448301122 so Excel keeps the digits; a rules
    file's placeholder may be written either way."""
    ids = pd.Series(["'7210448301122", "7210448301122", " ' 12", "'", "'N/A", "'999999", "999999"])
    read = normalise_ids(ids, ["'999999"])
    assert [None if pd.isna(v) else v for v in read] == [
        "7210448301122",
        "7210448301122",
        "12",
        None,
        None,
        None,
        None,
    ]
