"""Identity normalisation: when are a recipient and a source row the same person?

Marketing lists and desk exports write the same customer differently
(`Ann@Example.com ` vs `mailto:ann@example.com`, `josé@…` composed vs
decomposed, `ann@bücher.example` vs `ann@xn--bcher-kva.example`,
`(617) 555-0134` vs `+16175550134`). Every key is brought into one canonical
form here, the same for the list and every source, as an ``ident`` string
(``c:<id>``, ``e:<email>``, ``p:<E.164>``) so matching is a plain join.

Values that only look like keys are no key: placeholders (`N/A`, `0`,
`000-000-0000`) would link strangers, and ids Excel turned into
`7.02255E+12` stand for many customers at once. They are counted
(:class:`Dropped`) so reports can say how many keys were lost and why.

A cell may hold several addresses (`ann@x; ann.work@x`): the first is the
column's ident, the others go into extra columns named ``email#2``,
``email#3``… (:func:`key_kind` reads the kind back).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.utils import getaddresses

import idna
import numpy as np
import pandas as pd
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc

KEY_NAMES = ("customer_id", "email", "phone")
_PREFIX = {"customer_id": "c:", "email": "e:", "phone": "p:"}

# Values of a key column that stand for "no value" in the exports people
# have; compared trimmed and case-folded. A rules file adds its own with
# ``placeholders:``.
PLACEHOLDERS = (
    "",
    "n/a",
    "na",
    "n.a.",
    "null",
    "none",
    "nil",
    "nan",
    "-",
    "--",
    "0",
    "#n/a",
    "unknown",
    "tbd",
    "undefined",
    "?",
)
# The same read by their letters and digits alone, so `N/A.`, `<NA>`,
# `(null)`, `\N` (MySQL), `#VALUE!` (Excel) and `---` are placeholders too;
# an id with no letter or digit at all, or only zeros (`0.0`), is no id.
_ALNUM_PLACEHOLDERS = (
    *{"".join(c for c in p if c.isalnum()) for p in PLACEHOLDERS} - {""},
    *("n", "value", "ref", "div0", "num", "name", "spill", "calc", "blank", "nat", "tba"),
)
# ...also written twice or more (`N/A N/A`, `NA;NA`)
_PLACEHOLDER_RUN = "^(?:" + "|".join(sorted(_ALNUM_PLACEHOLDERS, key=len, reverse=True)) + ")+$"
_NOT_ALNUM = r"[^\p{L}\p{N}]+"
# Characters no one types on purpose in a key: bidi marks and overrides,
# zero-width spaces and joiners, a byte order mark (Unicode category Cf).
_INVISIBLE = r"\p{Cf}+"
# Dots other scripts write, which IDNA (UTS 46) reads as "." in a domain.
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})
MAX_ADDRESSES = 32  # more in one cell is a distribution list, not a person
# Excel writes a long number it was allowed to read as one in scientific
# notation and keeps 6 significant digits: the rest are gone for good.
EXCEL_DAMAGED = r"^\s*[+-]?\d(?:[.,]\d+)?[eE]\+?\d+\s*$"
# The simple shape almost every cell has: one ASCII address, nothing else.
# Lower-casing it is its whole canonical form (ASCII needs no NFC, ASCII
# case folding is lower-casing, and an ASCII domain's IDNA form is itself).
_PLAIN_EMAIL = (
    r"^[A-Za-z0-9._%+!#$&*/=?^`{|}~-][A-Za-z0-9._%+'!#$&*/=?^`{|}~-]*"  # no quote first
    r"@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$"
)
_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"\\]+@[^@\s<>()\[\],;:\"\\]+\.[^@\s<>()\[\],;:\"\\]+$")
_SEPARATORS = re.compile(r"[;,\s]+")
_PHONE_PUNCTUATION = r"[\s().\-/]"
_NANP_REGIONS = frozenset(phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(1, ()))
_REPEATED = "|".join(f"{d}+" for d in "0123456789")
_RUNS = ("01234567890123456789", "98765432109876543210")


def key_kind(column: str) -> str:
    """``email#2`` (a cell's second address) is an ``email`` key."""
    return column.split("#", 1)[0]


@dataclass
class Dropped:
    """Values of each key column that were not used as keys, by why:
    ``placeholder`` (N/A, 0, 000-000-0000, a value the rules file lists),
    ``damaged`` (Excel's scientific notation) or ``not_a_key`` (text that
    is no address or possible phone number). Blank cells are not counted."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    examples: dict[str, str] = field(default_factory=dict)  # column -> a damaged value

    def add(self, key: str, why: str, mask: np.ndarray, values: pd.Series) -> None:
        n = int(mask.sum())
        if not n:
            return
        mine = self.counts.setdefault(key, {})
        mine[why] = mine.get(why, 0) + n
        if why == "damaged" and key not in self.examples:
            self.examples[key] = str(values[mask].iloc[0]).strip()

    def merge(self, other: Dropped) -> None:
        """Add the counts of the rows that follow."""
        for key, counts in other.counts.items():
            mine = self.counts.setdefault(key, {})
            for why, n in counts.items():
                mine[why] = mine.get(why, 0) + n
        for key, example in other.examples.items():
            self.examples.setdefault(key, example)


def arrow_text(values: pd.Series) -> pa.Array:
    """A text column as one Arrow array; Arrow-backed text (pandas' ``str``)
    goes across without a copy of every string."""
    text = values if values.dtype == "str" else values.astype("str")
    arrow = pa.array(text)
    return arrow.combine_chunks() if isinstance(arrow, pa.ChunkedArray) else arrow


def _series(values: pa.Array | pa.ChunkedArray, index: pd.Index) -> pd.Series:
    return pd.Series(values, index=index, dtype="str")


def _null(like: pa.Array) -> pa.Scalar:
    return pa.scalar(None, like.type)


def visible(text: pa.Array) -> pa.Array:
    """``text`` without invisible format characters (only looked for when
    some value is not ASCII: the common case pays one pass)."""
    if pc.all(pc.string_is_ascii(text)).as_py() is not False:
        return text
    return pc.replace_substring_regex(text, _INVISIBLE, "")


def _folded_in(trimmed: pa.Array, values: Iterable[str]) -> np.ndarray:
    """Which trimmed cells are one of ``values`` (compared case-folded)."""
    wanted = pa.array(sorted({v.strip().casefold() for v in values}), pa.string())
    found = pc.is_in(pc.utf8_lower(trimmed), value_set=wanted.cast(trimmed.type))
    return pc.fill_null(found, False).to_numpy(zero_copy_only=False)


def _damaged(trimmed: pa.Array) -> np.ndarray:
    found = pc.match_substring_regex(trimmed, EXCEL_DAMAGED)
    return pc.fill_null(found, False).to_numpy(zero_copy_only=False)


def normalise_ids(
    values: pd.Series, placeholders: Iterable[str] = (), dropped: Dropped | None = None
) -> pd.Series:
    """Ids are compared as trimmed text: `00123` and `123` are different ids,
    but `0`, `000` and `N/A` are nobody's id. A leading apostrophe is the
    spreadsheet's "keep this as text" mark (Shopify writes `'7210448301122`
    so Excel keeps the digits), not part of the id."""
    trimmed = pc.utf8_trim_whitespace(visible(arrow_text(values)))
    if pc.any(pc.starts_with(trimmed, "'")).as_py():  # a scan, not a regex pass, when none has it
        trimmed = pc.utf8_trim_whitespace(pc.replace_substring_regex(trimmed, r"^'", ""))
    blank = pc.equal(trimmed, "").to_numpy(zero_copy_only=False)
    # fullwidth forms (of N/A, of 0) read as what they look like, a float's `.0` cut
    folded = pc.utf8_lower(pc.utf8_normalize(trimmed, form="NFKC"))
    alnum = pc.replace_substring_regex(
        pc.replace_substring_regex(folded, r"\.0+$", ""), _NOT_ALNUM, ""
    )
    zeros = pc.fill_null(pc.match_substring_regex(alnum, r"^0*$"), False)
    runs = pc.fill_null(pc.match_substring_regex(alnum, _PLACEHOLDER_RUN), False)
    # a placeholder written with the apostrophe is compared as the id is, without it
    theirs = {p.strip().removeprefix("'").strip() for p in placeholders}
    placeholder = (
        _folded_in(trimmed, (*PLACEHOLDERS, *placeholders, *theirs))
        | zeros.to_numpy(zero_copy_only=False)
        | runs.to_numpy(zero_copy_only=False)
    ) & ~blank
    damaged = _damaged(trimmed) & ~placeholder
    if dropped is not None:
        dropped.add("customer_id", "placeholder", placeholder, values)
        dropped.add("customer_id", "damaged", damaged, values)
    keep = pa.array(~(blank | placeholder | damaged))
    return _series(pc.if_else(keep, trimmed, _null(trimmed)), values.index)


def _domain(domain: str) -> str:
    """An internationalised domain in one form, its ASCII (A-label) form
    under IDNA 2008 with UTS 46 mapping, which is what mail servers compare;
    a domain IDNA refuses is only case-folded."""
    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        pass
    try:  # IDNA 2003 (Python's codec) still writes symbols such as emoji
        return domain.casefold().encode("idna").decode("ascii")
    except UnicodeError:
        return domain.casefold()


def _without_format_characters(text: str) -> str:
    """``text`` without Unicode format characters (category Cf: bidi marks,
    zero-width joiners, tags, a byte order mark), as :func:`visible` does
    for ids and phones."""
    if text.isascii():
        return text
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


def email_addresses(cell: str) -> list[str]:
    """Every address in one cell, canonical: NFC, `mailto:`, angle brackets,
    quotes and display names removed (by the standard library's address
    parser), the local part case-folded, the domain in IDNA form. Cells
    separate several addresses with `;`, `,` or spaces."""
    text = unicodedata.normalize("NFC", _without_format_characters(cell)).strip()
    if not text:
        return []
    if "<" in text:  # display names: the standard library's parser
        candidates = [a for _, a in getaddresses([text.replace(";", ",")])]
    else:
        candidates = _SEPARATORS.split(text)
    out: list[str] = []
    for raw in candidates:
        address = raw.strip().strip("<>\"'").strip()
        if address[:7].lower() == "mailto:":
            address = address[7:].split("?", 1)[0].strip("<>\"' ")
        local, _, domain = address.rpartition("@")
        domain = domain.translate(_DOTS).rstrip(".")
        address = f"{local}@{domain}"
        if not _ADDRESS.match(address):
            continue
        canonical = f"{local.casefold()}@{_domain(domain)}"
        if canonical not in out:
            out.append(canonical)
    return out


def email_columns(
    values: pd.Series, placeholders: Iterable[str] = (), dropped: Dropped | None = None
) -> list[pd.Series]:
    """The canonical addresses of each cell: the first in the first series,
    a second address (if any cell has one) in the next, and so on.

    Plain one-address ASCII cells are lower-cased vectorised; every other
    distinct value is parsed once by :func:`email_addresses`."""
    text = arrow_text(values)
    trimmed = pc.utf8_trim_whitespace(text)
    plain = pc.fill_null(
        pc.and_(pc.string_is_ascii(trimmed), pc.match_substring_regex(trimmed, _PLAIN_EMAIL)),
        False,
    ).to_numpy(zero_copy_only=False)
    first = pc.if_else(pa.array(plain), pc.utf8_lower(trimmed), _null(trimmed))
    columns = [_series(first, values.index)]
    blank = pc.equal(trimmed, "").to_numpy(zero_copy_only=False)
    rest = np.flatnonzero(~plain & ~blank)
    crowded: set[str] = set()
    if len(rest):
        cells = values.iloc[rest]
        parsed = {v: email_addresses(v) for v in pd.unique(cells)}
        crowded = {v for v, found in parsed.items() if len(found) > MAX_ADDRESSES}
        if crowded:
            if dropped is not None:
                dropped.add("email", "too_many_addresses", values.isin(crowded).to_numpy(), values)
            parsed.update({v: [] for v in crowded})
        lists = cells.map(parsed)
        width = max((len(v) for v in parsed.values()), default=0)
        columns[0] = columns[0].astype(object)
        for k in range(max(width, 1)):
            column = (
                columns[k]
                if k < len(columns)
                else pd.Series(None, index=values.index, dtype=object)
            )
            got = lists.map(lambda found, k=k: found[k] if len(found) > k else None)
            column.iloc[rest] = got.to_numpy(dtype=object)
            if k >= len(columns):
                columns.append(column)
        columns = [c.astype("str") for c in columns]
    nokey = ~blank & columns[0].isna().to_numpy()
    if crowded:
        nokey &= ~values.isin(crowded).to_numpy()
    if placeholders:
        wanted = {e for v in placeholders for e in email_addresses(v)}
        for k, column in enumerate(columns):
            hit = column.isin(wanted).to_numpy()
            if hit.any():
                if k == 0 and dropped is not None:
                    dropped.add("email", "placeholder", hit, values)
                columns[k] = column.where(~hit, None)
        # a cell whose only addresses were placeholders
        if len(columns) > 1:
            columns = _shift_left(columns)
    if dropped is not None:
        dropped.add("email", "not_a_key", nokey, values)
    return [c for c in columns if c.notna().any()] or columns[:1]


def _shift_left(columns: list[pd.Series]) -> list[pd.Series]:
    """Move each row's remaining addresses into the first columns."""
    frame = pd.concat(columns, axis=1).astype(object)
    values = frame.to_numpy()
    order = np.argsort(pd.isna(values), axis=1, kind="stable")
    packed = np.take_along_axis(values, order, axis=1)
    return [
        pd.Series(packed[:, k], index=columns[0].index).astype("str")
        for k in range(packed.shape[1])
    ]


def normalise_emails(values: pd.Series, placeholders: Iterable[str] = ()) -> pd.Series:
    """The first canonical address of each cell (None when it holds none)."""
    return email_columns(values, placeholders)[0]


def _placeholder_number(number: phonenumbers.PhoneNumber) -> bool:
    """One digit repeated (`000-000-0000`, `555-555-5555`) or a counting run
    (`123-456-7890`): a number typed to get past a required field."""
    nsn = phonenumbers.national_significant_number(number)
    if len(set(nsn)) == 1:
        return True
    return len(nsn) >= 7 and any(nsn in run for run in _RUNS)


def _possible(number: phonenumbers.PhoneNumber) -> bool:
    """Possible as dialled from anywhere: a number possible only locally
    (`555-0134`, no area code) would join everyone with those seven digits."""
    reason = phonenumbers.is_possible_number_with_reason(number)
    return reason == phonenumbers.ValidationResult.IS_POSSIBLE


def _phone(raw: str, region: str) -> tuple[str | None, bool]:
    """One number in E.164 (None when it is not a possible phone number or
    is a placeholder), and whether it was refused as a placeholder."""
    text = raw.strip()
    if not text:
        return None, False
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None, False
    if not _possible(number):
        return None, False
    if _placeholder_number(number):
        return None, True
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), False


def e164(raw: str, region: str) -> str | None:
    """One number in E.164, or None when it is not a possible phone number
    or is a placeholder."""
    return _phone(raw, region)[0]


def _nanp_fast(values: pd.Series, region: str) -> pd.Series:
    """E.164 for the plain North American shapes (``617-555-0134``,
    ``(617) 555 0134``, ``+1 617.555.0134``, ``16175550134``) without calling
    phonenumbers, which costs ~25 µs a number; None where the shape is not
    one of those or is a placeholder (then phonenumbers decides)."""
    digits = pc.replace_substring_regex(arrow_text(values), _PHONE_PUNCTUATION, "")
    out = pc.if_else(
        pc.match_substring_regex(digits, r"^\+1[2-9]\d{9}$"), digits, pa.scalar(None, digits.type)
    )
    if region in _NANP_REGIONS:
        ten = pc.match_substring_regex(digits, r"^[2-9]\d{9}$")
        eleven = pc.match_substring_regex(digits, r"^1[2-9]\d{9}$")
        empty = pa.scalar("", digits.type)
        plus_one = pc.binary_join_element_wise(pa.scalar("+1", digits.type), digits, empty)
        plus = pc.binary_join_element_wise(pa.scalar("+", digits.type), digits, empty)
        out = pc.if_else(ten, plus_one, out)
        out = pc.if_else(eleven, plus, out)
    runs = "|".join(run[i : i + 10] for run in _RUNS for i in range(10))
    odd = pc.match_substring_regex(out, rf"^\+1({_REPEATED}|{runs})$")
    out = pc.if_else(pc.fill_null(odd, False), pa.scalar(None, out.type), out)
    return _series(out, values.index)


def normalise_phones(
    values: pd.Series,
    region: str,
    placeholders: Iterable[str] = (),
    dropped: Dropped | None = None,
) -> pd.Series:
    """E.164, reading numbers without a country code in ``region``.

    Common North American shapes are normalised vectorised; every other
    distinct value is parsed once by phonenumbers and mapped back.
    """
    # invisible characters and a spreadsheet's float artifact (`6175550134.0`)
    # are not part of the number
    cleaned = pc.replace_substring_regex(visible(arrow_text(values)), r"^(\s*\+?\d+)\.0\s*$", r"\1")
    values = _series(cleaned, values.index)
    out = _nanp_fast(values, region)
    trimmed = values.str.strip()
    blank = (trimmed == "").to_numpy()
    rest = values[out.isna().to_numpy() & ~blank]
    placeholder = np.zeros(len(values), dtype=bool)
    if len(rest):
        parsed = {v: _phone(v, region) for v in pd.unique(rest)}
        mapping = {v: number for v, (number, _) in parsed.items()}
        odd = {v for v, (_, placeholder) in parsed.items() if placeholder}
        out = out.astype(object)
        out[rest.index] = rest.map(mapping).astype(object)
        out = out.astype("str")
        placeholder = values.isin(odd).to_numpy()
    if placeholders:
        wanted = {e164(v, region) or v for v in placeholders} - {None}
        hit = (
            out.isin(wanted).to_numpy()
            | values.str.strip()
            .str.casefold()
            .isin({v.strip().casefold() for v in placeholders})
            .to_numpy()
        )
        out = out.where(~hit, None)
        placeholder = placeholder | (hit & ~blank)
    damaged = _damaged(pc.utf8_trim_whitespace(arrow_text(values))) & ~placeholder
    if dropped is not None:
        dropped.add("phone", "placeholder", placeholder, values)
        dropped.add("phone", "damaged", damaged, values)
        dropped.add(
            "phone", "not_a_key", out.isna().to_numpy() & ~blank & ~placeholder & ~damaged, values
        )
    return out


def _ident(key: str, norm: pd.Series) -> pd.Series:
    text = arrow_text(norm).cast(pa.large_string())
    prefix = pa.scalar(_PREFIX[key], pa.large_string())
    joined = pc.binary_join_element_wise(prefix, text, pa.scalar("", pa.large_string()))
    return _series(joined, norm.index)  # a missing key stays missing


def canonical_keys(
    keys: Mapping[str, pd.Series], region: str, placeholders: Iterable[str] = ()
) -> tuple[pd.DataFrame, Dropped]:
    """One column per key holding its ``ident`` string, or None when the value
    is not a usable key (extra ``email#N`` columns for cells with several
    addresses), and the count of values dropped as no key."""
    placeholders = tuple(placeholders)
    dropped = Dropped()
    data: dict[str, pd.Series] = {}
    for key, values in keys.items():
        if key == "customer_id":
            data[key] = _ident(key, normalise_ids(values, placeholders, dropped))
        elif key == "email":
            for k, column in enumerate(email_columns(values, placeholders, dropped)):
                data["email" if k == 0 else f"email#{k + 1}"] = _ident(key, column)
        elif key == "phone":
            data[key] = _ident(key, normalise_phones(values, region, placeholders, dropped))
        else:
            raise ValueError(f"unknown key {key!r}")
    index = next(iter(keys.values())).index if keys else None
    return pd.DataFrame(data, index=index), dropped


def identity_columns(
    keys: Mapping[str, pd.Series], region: str, placeholders: Iterable[str] = ()
) -> pd.DataFrame:
    """The ``ident`` columns of :func:`canonical_keys`."""
    return canonical_keys(keys, region, placeholders)[0]


def candidate_idents(key: str, region: str) -> set[str]:
    """Every ident a person typed as ``--recipient`` could be: an id, an
    email, a phone, each in its canonical form."""
    text = key.strip()
    ident = normalise_ids(pd.Series([text], dtype=object)).iloc[0]
    found = {f"c:{ident}"} if isinstance(ident, str) else set()
    found |= {f"e:{address}" for address in email_addresses(text)}
    phone = e164(text, region)
    if phone:
        found.add(f"p:{phone}")
    return found


def identity_long(idents: pd.DataFrame) -> pd.DataFrame:
    """Long table ``(row, ident)`` of every usable key, for joins."""
    parts = []
    for key in idents.columns:
        col = idents[key]
        col = col[col.notna()]
        parts.append(
            pd.DataFrame(
                {"row": col.index.to_numpy(dtype=np.int64), "ident": col.reset_index(drop=True)}
            )
        )
    if not parts:
        return pd.DataFrame({"row": pd.Series(dtype="int64"), "ident": pd.Series(dtype="str")})
    return pd.concat(parts, ignore_index=True)
