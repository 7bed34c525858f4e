"""Masking recipients in outputs that many people read (CI logs, PR
comments, report.md): enough to recognise a row, not enough to harvest."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

_PHONE = re.compile(r"^\+?[\d\s().\-/]{7,}$")


def mask(label: str) -> str:
    """``ann@example.com`` -> ``a***@example.com``; phones keep their last
    four digits (``***0134``); other ids keep their last four characters."""
    text = label.strip()
    if not text:
        return ""
    if "@" in text:
        local, _, domain = text.rpartition("@")
        return f"{local[:1]}***@{domain}"
    if _PHONE.match(text):
        digits = re.sub(r"\D", "", text)
        return f"***{digits[-4:]}"
    return f"***{text[-4:]}" if len(text) > 4 else "***"


def mask_many(labels: pd.Series) -> pd.Series:
    """:func:`mask` for a whole column, once per distinct value."""
    uniques = pd.unique(labels)
    return labels.map({u: mask(str(u)) for u in uniques}).astype(object)


# An email written inside free text ("reach me at ann@example.com"): its
# first character, the rest of its local part, its domain. ``*`` cannot be
# in a local part here, so an address masked already is left as it is.
_NOT_IN_ADDRESS = r"\s@<>()\[\]{},;:\"'*`|\\"
_AT = "@\uff20"  # the at sign, and its fullwidth form
_EMAIL_INSIDE = (
    rf"([^{_NOT_IN_ADDRESS}{_AT}])[^{_NOT_IN_ADDRESS}{_AT}]*[{_AT}]"
    rf"([^{_NOT_IN_ADDRESS}{_AT}]+\.[^{_NOT_IN_ADDRESS}{_AT}]+)"
)
# Text that may hold a phone number: seven or more digits (any script) and
# separators (any space or dash, dots, brackets, slashes); the dates a reason
# quotes (2026-11-13, 11/13/2026, 13.11.2026) are set aside first, keeping
# their length so the positions still point into the text.
_MAYBE_PHONE = r"\p{Nd}[\p{Nd}\p{Zs}\p{Pd}().·/+]{5,}\p{Nd}"
_DATES = r"\b\d{4}-\d\d-\d\d\b|\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b"
_PY_DATES = re.compile(_DATES)  # the same in Python, where positions are kept
# Python's \d and \s are Unicode already (RE2 above needs \p{…}); dashes by range
_PY_PHONE = re.compile(r"\+?\(?\d[\d\s\-\u2010-\u2015().·/]{5,}\d")


def mask_inside_many(texts: np.ndarray, region: str) -> np.ndarray:
    """Personal data written *inside* free text (a case subject quoted by a
    reason): every email masked like a key (``a***@example.com``) and every
    phone number ``phonenumbers`` finds (valid numbers, in ``region`` when
    written without +country) as ``***0134``. Emails in one Arrow pass;
    only texts with a run of seven digits go through the phone matcher."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not len(texts):
        return texts
    try:
        arrow = pa.array(list(texts), pa.large_string())
    except (pa.ArrowException, UnicodeError):  # a lone surrogate: leave Arrow out
        return np.array([_mask_inside(str(t), region) for t in texts], dtype=object)
    arrow = pc.replace_substring_regex(arrow, _EMAIL_INSIDE, r"\1***@\2")
    undated = pc.replace_substring_regex(arrow, _DATES, " ")
    maybe = pc.fill_null(pc.match_substring_regex(undated, _MAYBE_PHONE), False)
    out = np.array(arrow.to_pylist(), dtype=object)
    for i in np.flatnonzero(maybe.to_numpy(zero_copy_only=False)):
        out[i] = _phones_masked(out[i], region)
    return out


def _mask_inside(text: str, region: str) -> str:
    return _phones_masked(re.sub(_EMAIL_INSIDE, r"\1***@\2", text), region)


def _phones_masked(text: str, region: str) -> str:
    """Each run of digits in ``text`` that is a valid phone number (in
    ``region`` when written without +country) as ``***`` and its last four
    digits. Dates are blanked (same length) before runs are looked for, so a
    number written after a date is still found."""
    undated = _PY_DATES.sub(lambda m: " " * len(m.group()), text)
    spans = [
        (m.start(), m.end(), digits)
        for m in _PY_PHONE.finditer(undated)
        if (digits := _phone_digits(m.group().strip(), region))
    ]
    for start, end, digits in reversed(spans):
        text = text[:start] + f"***{digits[-4:]}" + text[end:]
    return text


def _phone_digits(run: str, region: str) -> str:
    """The digits of ``run`` when it is a valid phone number, else ""."""
    import phonenumbers

    try:
        number = phonenumbers.parse(run, region)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(number):
        return ""
    return phonenumbers.normalize_digits_only(run)
