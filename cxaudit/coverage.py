"""Identity coverage: how many rows of the list and of each source can be
matched to anyone at all.

A source whose key column holds display names ("Sumit Sarkar" where an
email was expected) matches nobody, and every rule on it goes quiet: that is
an error. A notable share of rows without a usable key, or a sizeable source
that links to no recipient of the list, is a warning with the counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from cxaudit.errors import CxauditError
from cxaudit.identity import arrow_text, identity_long
from cxaudit.sources import LoadedTable, column_name, keys_hint, shape

NOTABLE_SHARE = 0.2  # rows without a usable key, above which a warning is due
SIZEABLE_SOURCE = 50  # rows of a source, from which linking nobody is a warning


def keyless_rows(idents: pd.DataFrame) -> np.ndarray:
    """Which rows have no usable identity key at all."""
    if not len(idents.columns):
        return np.ones(len(idents), dtype=bool)
    return ~idents.notna().any(axis=1).to_numpy()


def check_source(table: LoadedTable) -> list[str]:
    """Exit 2 for a source none of whose rows has a usable key (naming its key
    columns and what they hold, as a shape); a warning when a notable share
    has none."""
    rows = len(table)
    if not rows:
        return []
    keyless = int(keyless_rows(table.idents).sum())
    if keyless == rows:
        held = []
        for key in table.idents.columns:
            values = table.text(key).str.strip()
            filled = values[values != ""]
            what = f"values like {shape(str(filled.iloc[0]))}" if len(filled) else "nothing"
            column = column_name(table.table.header[table.column_of(key)])
            held.append(f"{column} ({key}) holds {what}")
        raise CxauditError(
            f"{table.path}: no row has a usable customer_id, email or phone, so no rule on "
            f"source {table.name!r} could match anyone: {'; '.join(held)}; map a column of "
            f"emails, customer ids or phones under sources.{table.name}.keys (or add one to "
            f"the export){keys_hint(table.config)}"
        )
    if keyless / rows >= NOTABLE_SHARE:
        return [
            f"{table.path}: {keyless:,} of {rows:,} rows ({100 * keyless / rows:.0f}%) have no "
            f"usable customer_id, email or phone; rules on source {table.name!r} cannot match "
            "them to anyone"
        ]
    return []


@dataclass
class Coverage:
    """Coverage of the list and of each source, added up chunk by chunk (the
    same object is shared by every chunk of a run)."""

    sources: dict[str, LoadedTable]
    list_rows: int = 0
    list_keyless: int = 0
    linked: dict[str, bool] = field(default_factory=dict)

    def add(self, recipients: LoadedTable, unverifiable: np.ndarray, matched: set[str]) -> None:
        """One chunk of the list: count its rows without a key and, for each
        source not yet known to link anyone, look for a shared key. A source
        one of whose rules matched a recipient (``matched``) links, so the
        key comparison only runs for sources whose rules matched nobody."""
        self.list_rows += len(recipients)
        self.list_keyless += int(unverifiable.sum())
        for name in matched:
            self.linked[name] = True
        waiting = [n for n in self.sources if not self.linked.get(n)]
        if not waiting:
            return
        mine = arrow_text(identity_long(recipients.idents)["ident"])
        for name in waiting:
            theirs = arrow_text(identity_long(self.sources[name].idents)["ident"])
            self.linked[name] = bool(pc.any(pc.is_in(mine, value_set=pc.unique(theirs))).as_py())

    def warnings(self, list_path: str) -> list[str]:
        out = []
        if self.list_rows and self.list_keyless / self.list_rows >= NOTABLE_SHARE:
            out.append(
                f"{list_path}: {self.list_keyless:,} of {self.list_rows:,} recipients "
                f"({100 * self.list_keyless / self.list_rows:.0f}%) have no usable "
                "customer_id, email or phone and are suppressed as cxaudit:unverifiable; "
                "check recipients.keys"
            )
        for name, table in self.sources.items():
            if len(table) >= SIZEABLE_SOURCE and self.list_rows and not self.linked.get(name):
                out.append(
                    f"{table.path}: none of its {len(table):,} rows shares a customer_id, "
                    f"email or phone with any recipient, so no rule on source {name!r} can "
                    "match; check that its keys map the same kind of values as the list's"
                )
        return out

    def report(self) -> dict[str, dict[str, int | bool]]:
        """report.json's ``identity``: rows without a usable key per table,
        and whether each source links to anyone."""
        out: dict[str, dict[str, int | bool]] = {
            "campaign": {"rows": self.list_rows, "without_key": self.list_keyless}
        }
        for name, table in self.sources.items():
            out[name] = {
                "rows": len(table),
                "without_key": int(keyless_rows(table.idents).sum()),
                "links_recipients": bool(self.linked.get(name)),
            }
        return out
