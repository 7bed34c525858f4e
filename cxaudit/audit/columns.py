"""A file's columns in messages and what they look like: how a column is
named (quoted, personal ones not shown), which columns look like a person's
identity, and what to write when the rules need one the file lacks."""

from __future__ import annotations

import difflib
import re

from cxaudit.errors import CxauditError
from cxaudit.escaping import terminal
from cxaudit.identity import KEY_NAMES
from cxaudit.inputs.table import Table
from cxaudit.rules import RECIPIENTS, RuleSet, TableConfig
from cxaudit.rules.presets import PRESETS

_PERSONAL_NAME = re.compile(
    r"e-?mail|phone|mobile|requester|caller|reporter|address|"
    r"(first|last|full|contact|customer|account|user)[ _]?name|^name$",
    re.IGNORECASE,
)


def column_name(name: str) -> str:
    """A column name in a message: quoted with its control characters
    escaped, and shortened (a header line is file content: a pasted URL with
    a credential in it must not end up whole in a CI log)."""
    text = re.sub(r"(?<=://)[^/@\s]*@", "***@", name)  # user:password@ in a URL
    text = text if len(text) <= 40 else text[:39] + "…"
    return terminal(repr(text))


def columns_list(header: list[str]) -> str:
    """A file's columns in a message, each as :func:`column_name` shows it;
    a "column" that is an email or a phone (an export without its header
    row, whose first row was taken for one) is masked like a key, since
    messages land in CI logs."""
    import numpy as np

    from cxaudit.privacy import mask_inside_many

    more = f", … ({len(header) - 40} more)" if len(header) > 40 else ""
    shown = mask_inside_many(np.array(header[:40], dtype=object), "US")
    return ", ".join(column_name(str(h)) for h in shown) + more


def shape(value: str) -> str:
    """What a bad value looks like without what it says: digits as 9,
    letters as a (``18/11/2026`` -> ``99/99/9999``), so an error can help
    choose a date format without quoting a cell into a log."""
    text = re.sub(r"[^\W\d_]", "a", re.sub(r"\d", "9", value.strip()))
    text = text if len(text) <= 30 else text[:29] + "…"
    return terminal(repr(text))


def looks_personal(name: str) -> bool:
    """A column or field named like personal data (``Requester email``,
    ``caller_id``, ``First Name``): masked in shared outputs by default."""
    return bool(_PERSONAL_NAME.search(name))


def missing_column(
    rules: RuleSet, config: TableConfig, table: Table, kind: str, name: str, column: str
) -> CxauditError:
    line = config.column_line(rules.lines, kind, name)
    prefix = RECIPIENTS if config.name == RECIPIENTS else f"sources.{config.name}"
    at = f" at {rules.path}:{line}" if line else ""
    close = difflib.get_close_matches(column, table.header, n=1, cutoff=0.75)
    if close:
        hint = f"did you mean {column_name(close[0])}? Fix the mapping or the export"
    else:
        hint = f"its columns are {columns_list(table.header)}; fix the mapping or the export"
    return CxauditError(
        f"{table.path}: has no column {column_name(column)} (mapped by {prefix}.{kind}.{name}"
        f"{at}); {hint}"
    )


# Column names lists use for each identity key, beyond the key's own name
# (folded: case, spaces, - and _ forgiven): what a list without recipients.keys
# is read by, and what a message suggests mapping.
IDENTITY_NAMES = {
    "customer_id": ("customer id", "customerid", "customer number", "external id", "user id"),
    "email": ("email address", "e-mail", "e-mail address", "emailaddress", "email_address"),
    "phone": ("phone number", "mobile", "mobile phone", "mobile number", "cell", "sms"),
}


def folded_name(name: str) -> str:
    return re.sub(r"[\s_\-]+", " ", name.strip().casefold())


def identity_columns(header: list[str]) -> dict[str, str]:
    """Key -> the first column of ``header`` named like it (``Email
    Address`` for email), for lists read without recipients.keys."""
    out: dict[str, str] = {}
    for key in KEY_NAMES:
        names = {folded_name(key), *(folded_name(n) for n in IDENTITY_NAMES[key])}
        found = [h for h in header if folded_name(h) in names]
        if len(found) == 1:
            out[key] = found[0]
    return out


def keys_line(header: list[str]) -> str:
    """The recipients.keys line for the identity-looking columns of a list."""
    found = identity_columns(header)
    if not found:
        return ""
    pairs = ", ".join(f'{k}: "{v}"' for k, v in found.items())
    return (
        f"; it has {', '.join(map(repr, found.values()))}: write recipients: {{keys: {{{pairs}}}}}"
    )


def column_candidates(config: TableConfig, field: str) -> str:
    """Every column a field is read from (a preset tries several), for messages."""
    first = config.columns.get(field) or (config.keys or {}).get(field, field)
    names = dict.fromkeys((first, *config.alternatives.get(field, ())))
    return " or ".join(column_name(n) for n in names)


def keys_hint(config: TableConfig, header: list[str] | None = None) -> str:
    """What a preset's export needs for a usable key, when it says so; a
    ``{field}`` in the hint is the column of the file that field is read
    from (``ID do relator`` in a Portuguese Jira export), else its first name."""
    hint = PRESETS[config.preset].keys_hint if config.preset in PRESETS else ""
    if not hint:
        return ""
    present = set(header or ())

    def column(m: re.Match[str]) -> str:
        names = (
            config.columns.get(m.group(1), m.group(1)),
            *config.alternatives.get(m.group(1), ()),
        )
        return next((n for n in names if n in present), names[0])

    return " (" + re.sub(r"\{(\w+)\}", column, hint) + ")"
