"""Comparing a run with an earlier one (``--baseline DIR``).

A nightly job wants to know what changed: who is newly held back today, and
who was held back yesterday but may be contacted again. People are compared
by identity (any shared normalised key), not by row number, because the list
itself changes from night to night.

The comparison means something only if both runs judged the same campaign:
when the baseline's report.json names another type, channel or offer, the
run says so (a warning in report.json and on stderr).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxaudit.audit.decide import DUPLICATE, AuditResult
from cxaudit.errors import CxauditError
from cxaudit.identity import KEY_NAMES, identity_columns, identity_long
from cxaudit.inputs.files import read_bytes
from cxaudit.inputs.locations import refuse_url
from cxaudit.inputs.read import read_table
from cxaudit.reports.build import recipient_labels


def _suppressed_before(result: AuditResult, folder: Path) -> tuple[dict[str, str], int]:
    """ident -> the rules that suppressed it in the baseline run."""
    refuse_url(folder, "--baseline")
    path = folder / "suppressed.csv"
    if not folder.is_dir():
        raise CxauditError(f"--baseline {folder}: not a folder; pass a previous run's --out")
    if not path.is_file():
        raise CxauditError(
            f"--baseline {folder}: has no suppressed.csv; pass the --out folder of a previous run"
        )
    dialect = result.recipients.table.dialect
    table = read_table(path, encoding=dialect.encoding, delimiter=dialect.delimiter)
    keys = {}
    for key in KEY_NAMES:
        if key in result.recipients.idents.columns:
            column = result.recipients.table.header[result.recipients.field_columns[key]]
            pos = table.find_column(column)
            if pos is not None:
                keys[key] = table.frame[pos]
    rules_pos = table.find_column("cxaudit_rules")
    if not keys or rules_pos is None:
        raise CxauditError(
            f"{path}: lacks the campaign's key columns or cxaudit_rules; is it from another list?"
        )
    rules = table.frame[rules_pos].to_numpy()
    # A later row of a person says nothing the person's first row does not
    # (cxaudit:duplicate comes last in its cell, after the person's rules).
    person = ~pd.Series(rules, dtype="str").str.endswith(DUPLICATE)
    idents = identity_long(identity_columns(keys, result.rules.phone_region)[person.to_numpy()])
    mapping = dict(zip(idents["ident"], rules[idents["row"].to_numpy()], strict=True))
    return mapping, table.rows


class Comparison:
    """Newly suppressed and released recipients relative to ``folder``,
    gathered chunk by chunk (:meth:`add`), reported by :meth:`report`."""

    def __init__(self, first: AuditResult, folder: Path, show_pii: bool = False) -> None:
        self.folder = folder
        self.show_pii = show_pii
        self.before, self.before_rows = _suppressed_before(first, folder)
        self.newly: list[dict[str, Any]] = []
        self.released: list[dict[str, Any]] = []
        self.as_of, self.warnings = _campaign_then(folder, first.rules.campaign.facts())
        # The run's warnings are gathered from its results: the first chunk's
        # recipients carry these, so report.json and stderr show them.
        first.recipients.warnings.extend(
            w for w in self.warnings if w not in first.recipients.warnings
        )

    def add(self, result: AuditResult) -> None:
        n = len(result.recipients)
        now = identity_long(result.recipients.idents)
        was_suppressed = np.zeros(n, dtype=bool)
        previous_rules = np.full(n, "", dtype=object)
        hit = now["ident"].isin(self.before.keys()).to_numpy()
        rows = now["row"].to_numpy()[hit]
        was_suppressed[rows] = True
        previous_rules[rows] = [self.before[i] for i in now["ident"].to_numpy()[hit]]

        suppressed = result.outcome.suppressed
        has_key = np.zeros(n, dtype=bool)
        has_key[now["row"].to_numpy()] = True
        cells = result.outcome.rules_cell
        # a later row of a person: the person's first row tells their story
        repeat_only = pd.Series(cells, dtype="str").str.endswith(DUPLICATE).to_numpy()
        newly = np.flatnonzero(suppressed & ~was_suppressed & has_key & ~repeat_only)
        released = np.flatnonzero(~suppressed & was_suppressed)
        numbers = result.recipients.table.row_numbers
        new_labels = recipient_labels(result, newly, self.show_pii).tolist()
        released_labels = recipient_labels(result, released, self.show_pii).tolist()
        self.newly += [
            {"row": int(numbers[r]), "recipient": label, "rules": str(cells[r]).split(";")}
            for r, label in zip(newly.tolist(), new_labels, strict=True)
        ]
        self.released += [
            {
                "row": int(numbers[r]),
                "recipient": label,
                "previous_rules": str(previous_rules[r]).split(";"),
            }
            for r, label in zip(released.tolist(), released_labels, strict=True)
        ]

    def report(self) -> dict[str, Any]:
        return {
            "path": str(self.folder),
            "as_of": self.as_of,
            "suppressed_before": self.before_rows,
            "newly_suppressed": self.newly,
            "released": self.released,
        }


COMPARED_FACTS = ("type", "channel", "offer")


def _campaign_then(folder: Path, now: dict[str, str | None]) -> tuple[str | None, list[str]]:
    """The baseline run's moment (its report.json's ``as_of``) and a warning
    for each way its campaign differs from this one's: the people it held
    back were judged by other rules, so "newly suppressed" and "released"
    would mix a change of campaign with a change of data."""
    path = folder / "report.json"
    if not path.exists():
        return None, [
            f"--baseline {folder}: has no report.json, so whether it judged the same "
            "campaign (type, channel, offer) cannot be told"
        ]
    try:
        report = json.loads(read_bytes(path).decode("utf-8"))
        then = report["campaign"]
        as_of = report.get("as_of")
        if not isinstance(then, dict) or not (as_of is None or isinstance(as_of, str)):
            raise TypeError
    except (CxauditError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        return None, [
            f"--baseline {path}: is not a cxaudit report.json, so whether the baseline "
            "judged the same campaign (type, channel, offer) cannot be told"
        ]
    differ = []
    for fact in COMPARED_FACTS:
        before, after = then.get(fact), now.get(fact)
        if _fold(before) != _fold(after):
            differ.append(f"{fact} {_shown(before)} then, {_shown(after)} now")
    if not differ:
        return as_of, []
    return as_of, [
        f"--baseline {folder} judged another campaign ({'; '.join(differ)}): newly "
        "suppressed and released mix that change with changes in the data; compare with a "
        "run of the same campaign"
    ]


def _fold(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip().lower()
    return text or None


def _shown(value: Any) -> str:
    return "-" if _fold(value) is None else repr(str(value).strip())
