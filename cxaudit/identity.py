"""Identity normalisation: when are a recipient and a source row the same person?

Marketing lists and desk exports write the same customer differently
(`Ann@Example.com ` vs `ann@example.com`, `(617) 555-0134` vs `+16175550134`).
Keys are normalised once, here, into a single ``ident`` string per key
(``c:<id>``, ``e:<email>``, ``p:<E.164>``) so matching is a plain join.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc

KEY_NAMES = ("customer_id", "email", "phone")
_PREFIX = {"customer_id": "c:", "email": "e:", "phone": "p:"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def arrow_text(values: pd.Series) -> pa.Array:
    """A text column as one Arrow array; Arrow-backed text (pandas' ``str``)
    goes across without a copy of every string."""
    text = values if values.dtype == "str" else values.astype("str")
    arrow = pa.array(text)
    return arrow.combine_chunks() if isinstance(arrow, pa.ChunkedArray) else arrow


def _series(values: pa.Array | pa.ChunkedArray, index: pd.Index) -> pd.Series:
    return pd.Series(values, index=index, dtype="str")


def normalise_ids(values: pd.Series) -> pd.Series:
    """Ids are compared as trimmed text: `00123` and `123` are different ids."""
    out = values.str.strip()
    return out.where(out != "", None)


def normalise_emails(values: pd.Series) -> pd.Series:
    """Trimmed and lower-cased; text that is not an address (`n/a`, `none`)
    is no key at all rather than a key that matches other junk."""
    out = pc.utf8_lower(pc.utf8_trim_whitespace(arrow_text(values)))
    valid = pc.match_substring_regex(out, _EMAIL.pattern)
    return _series(pc.if_else(valid, out, pa.scalar(None, out.type)), values.index)


def e164(raw: str, region: str) -> str | None:
    """One number in E.164, or None when it is not a possible phone number."""
    text = raw.strip()
    if not text:
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_NANP_REGIONS = frozenset(phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(1, ()))
_PUNCTUATION = r"[\s().\-/]"


def _nanp_fast(values: pd.Series, region: str) -> pd.Series:
    """E.164 for the plain North American shapes (``617-555-0134``,
    ``(617) 555 0134``, ``+1 617.555.0134``, ``16175550134``) without calling
    phonenumbers, which costs ~25 µs a number; None where the shape is not
    one of those (then phonenumbers decides)."""
    digits = pc.replace_substring_regex(arrow_text(values), _PUNCTUATION, "")
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
    return _series(out, values.index)


def normalise_phones(values: pd.Series, region: str) -> pd.Series:
    """E.164, reading numbers without a country code in ``region``.

    Common North American shapes are normalised vectorised; every other
    distinct value is parsed once by phonenumbers and mapped back.
    """
    out = _nanp_fast(values, region)
    rest = values[out.isna().to_numpy() & (values.str.strip() != "").to_numpy()]
    if len(rest):
        mapping = {v: e164(v, region) for v in pd.unique(rest)}
        out = out.astype(object)
        out[rest.index] = rest.map(mapping).astype(object)
        out = out.astype("str")
    return out


def normalise(key: str, values: pd.Series, region: str) -> pd.Series:
    if key == "customer_id":
        return normalise_ids(values)
    if key == "email":
        return normalise_emails(values)
    if key == "phone":
        return normalise_phones(values, region)
    raise ValueError(f"unknown key {key!r}")


def identity_columns(keys: Mapping[str, pd.Series], region: str) -> pd.DataFrame:
    """One column per key holding its ``ident`` string, or None when the value
    is not a usable key."""
    data = {}
    for key, values in keys.items():
        norm = arrow_text(normalise(key, values, region)).cast(pa.large_string())
        prefix = pa.scalar(_PREFIX[key], pa.large_string())
        joined = pc.binary_join_element_wise(prefix, norm, pa.scalar("", pa.large_string()))
        data[key] = _series(joined, values.index)  # a missing key stays missing
    return pd.DataFrame(data, index=next(iter(keys.values())).index if keys else None)


def candidate_idents(key: str, region: str) -> set[str]:
    """Every ident a person typed as ``--recipient`` could be: an id, an
    email, a phone."""
    text = key.strip()
    found = {f"c:{text}", f"e:{text.lower()}"}
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
