"""Identity coverage: how many rows of the list and of each source can be
matched to anyone at all.

A source whose key column holds display names ("Sumit Sarkar" where an
email was expected) matches nobody, and every rule on it goes quiet: that is
an error. A notable share of rows without a usable key, or a sizeable source
that links to no recipient of the list, is a warning with the counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cxaudit.audit.columns import column_name, keys_hint, shape
from cxaudit.audit.health import Profile
from cxaudit.audit.persons import Persons
from cxaudit.audit.prepare import LoadedTable
from cxaudit.errors import CxauditError
from cxaudit.identity import Dropped, arrow_text, identity_long, key_kind
from cxaudit.privacy import mask

NOTABLE_SHARE = 0.2  # rows without a usable key, above which a warning is due
SIZEABLE_SOURCE = 50  # rows of a source, from which linking nobody is a warning


def keyless_rows(idents: pd.DataFrame) -> np.ndarray:
    """Which rows have no usable identity key at all."""
    if not len(idents.columns):
        return np.ones(len(idents), dtype=bool)
    return ~idents.notna().any(axis=1).to_numpy()


# Rows of a source whose keys are kept to tell whether it links anyone at
# all: a source none of whose first 250,000 rows links a recipient has the
# wrong keys; hashing every key of a 50M-row send log would cost seconds.
KEY_ROWS = 250_000


@dataclass
class SourceStats:
    """What coverage needs from every row of a source, gathered chunk by
    chunk as it streams past: row counts, the keys of its first
    :data:`KEY_ROWS` rows and a sample value of each key column."""

    name: str
    rows: int = 0
    keyless: int = 0
    keys: list[pd.DataFrame] = field(default_factory=list)  # idents of the first KEY_ROWS rows
    distinct: pa.Array | None = None  # their distinct keys, once asked for
    key_rows: int = 0  # rows whose keys are in ``keys``
    capped: bool = False  # rows after the first KEY_ROWS were not looked at
    samples: dict[str, str] = field(default_factory=dict)  # key -> first non-blank value
    columns: dict[str, str] = field(default_factory=dict)  # key -> its column's header
    path: Path | None = None
    config: Any = None
    sha256: str = ""
    dropped: Dropped = field(default_factory=Dropped)  # key values that were no key
    profile: Profile = field(
        default_factory=Profile
    )  # what rule health needs (cxaudit.audit.health)
    header: list[str] = field(default_factory=list)  # the file's header, for messages
    date_formats: dict[str, str] = field(default_factory=dict)  # read from the values

    def add(self, chunk: LoadedTable, keyed: np.ndarray | None = None) -> None:
        """One chunk of the source (``keyed``: its rows with a usable key,
        when the caller knows them already)."""
        self.rows += len(chunk)
        self.header = self.header or list(chunk.table.header)
        for name, fmt in chunk.date_formats.items():
            self.date_formats.setdefault(name, fmt)
        keyless = keyless_rows(chunk.idents) if keyed is None else ~keyed
        self.keyless += int(keyless.sum())
        self.dropped.merge(chunk.dropped)
        for key in dict.fromkeys(key_kind(k) for k in chunk.idents.columns):
            self.columns.setdefault(key, chunk.table.header[chunk.column_of(key)])
            if key not in self.samples:
                values = chunk.text(key).str.strip()
                filled = values[values != ""]
                if len(filled):
                    self.samples[key] = str(filled.iloc[0])
        room = KEY_ROWS - self.key_rows
        if room <= 0:
            self.capped = True
            return
        idents = chunk.idents.iloc[:room]
        self.key_rows += len(idents)
        self.keys.append(idents)

    def merge(self, other: SourceStats) -> None:
        """Add the stats of the rows that follow these (the next part)."""
        self.rows += other.rows
        self.keyless += other.keyless
        self.dropped.merge(other.dropped)
        self.profile.merge(other.profile)
        self.header = self.header or other.header
        for name, fmt in other.date_formats.items():
            self.date_formats.setdefault(name, fmt)
        for key, header in other.columns.items():
            self.columns.setdefault(key, header)
        for key, sample in other.samples.items():
            self.samples.setdefault(key, sample)
        room = KEY_ROWS - self.key_rows
        if other.key_rows and room > 0:  # the next part's first rows, as far as there is room
            theirs = pd.concat(other.keys, ignore_index=True).iloc[:room]
            self.keys.append(theirs)
            self.key_rows += len(theirs)
        self.capped = self.capped or other.capped or other.key_rows > room

    def key_set(self) -> pa.Array:
        """The distinct keys of the rows looked at."""
        if self.distinct is None:
            idents = [pa.array(k[c], pa.large_string()) for k in self.keys for c in k.columns]
            found = pc.unique(pa.chunked_array(idents, pa.large_string()))
            self.distinct = pc.drop_null(found)
        return self.distinct


def check_source(stats: SourceStats) -> list[str]:
    """Exit 2 for a source none of whose rows has a usable key (naming its key
    columns and what they hold, as a shape); a warning when a notable share
    has none."""
    rows, keyless = stats.rows, stats.keyless
    if not rows:
        return [
            f"{stats.path}: has no rows (a header only), so no rule on source {stats.name!r} "
            "can match anyone; check that the export is complete"
        ]
    if keyless == rows:
        held = []
        for key, header in stats.columns.items():
            sample = stats.samples.get(key)
            what = f"values like {shape(sample)}" if sample is not None else "nothing"
            held.append(f"{column_name(header)} ({key}) holds {what}")
        raise CxauditError(
            f"{stats.path}: no row has a usable customer_id, email or phone, so no rule on "
            f"source {stats.name!r} could match anyone: {'; '.join(held)}; map a column of "
            f"emails, customer ids or phones under sources.{stats.name}.keys (or add one to "
            f"the export){keys_hint(stats.config, stats.header)}"
        )
    out = damaged_warnings(str(stats.path), stats.dropped, stats.columns)
    if keyless / rows >= NOTABLE_SHARE:
        out.append(
            f"{stats.path}: {keyless:,} of {rows:,} rows ({100 * keyless / rows:.0f}%) have no "
            f"usable customer_id, email or phone; rules on source {stats.name!r} cannot match "
            "them to anyone"
        )
    return out


def damaged_warnings(path: str, dropped: Dropped, columns: dict[str, str]) -> list[str]:
    """A key column Excel turned into scientific notation lost digits for
    good: its values stand for many customers at once, so they are no key."""
    out = []
    for key, counts in dropped.counts.items():
        n = counts.get("damaged", 0)
        if n:
            out.append(
                f"{path}: {n:,} value(s) of column {column_name(columns.get(key, key))} ({key}) "
                f"are in Excel's scientific notation (like {dropped.examples[key]!r}): the file "
                "was re-saved by Excel, which cut their digits, so they are no key; export it "
                "again without opening it in Excel (or import the column as text)"
            )
    return out


def shared_key_warnings(path: str, persons: Persons, columns: dict[str, str]) -> list[str]:
    """Keys that join rows nothing else joins: still one person (a suppress
    rule on any of them holds all of them back), said out loud, the value
    masked."""
    out = []
    rows = persons.keyed_rows
    advice = (
        "they count as one person: the first row is judged and the others are "
        "cxaudit:duplicate. If the value is a placeholder or is shared by different "
        "people, list it under placeholders: in the rules file (or map another column "
        "as the key)"
    )
    for shared in persons.shared:
        column = column_name(columns.get(shared.kind, shared.kind))
        what = f"{shared.kind} {mask(shared.value)} (column {column})"
        if shared.most:
            head = (
                f"{path}: {what} links {shared.rows:,} of {rows:,} rows, more than half the "
                "list, into one person"
            )
        else:
            head = (
                f"{path}: {what} is on {shared.rows:,} rows that look like {shared.people:,} "
                "different people (no other key in common)"
            )
        out.append(f"{head}; {advice}")
    if persons.largest is not None:
        first, size = persons.largest
        out.append(
            f"{path}: keys shared from row to row link {size:,} of {rows:,} rows, more than "
            f"half the list, into one person (its first row is row {first}); {advice}"
        )
    return out


@dataclass
class Coverage:
    """Coverage of the list and of each source, added up chunk by chunk (the
    same object is shared by every chunk of a run)."""

    sources: dict[str, LoadedTable]
    list_rows: int = 0
    list_keyless: int = 0
    linked: dict[str, bool] = field(default_factory=dict)
    list_dropped: Dropped = field(default_factory=Dropped)
    list_columns: dict[str, str] = field(default_factory=dict)  # key -> its column's header
    persons: Persons | None = None
    profile: Profile = field(default_factory=Profile)  # the list's, for rule health

    def add(
        self,
        recipients: LoadedTable,
        unverifiable: np.ndarray,
        matched: set[str],
        fields: Iterable[str] = (),
    ) -> None:
        """One chunk of the list: count its rows without a key and, for each
        source not yet known to link anyone, look for a shared key. A source
        one of whose rules matched a recipient (``matched``) links, so the
        key comparison only runs for sources whose rules matched nobody.
        ``fields``: the list's fields the rules compare (rule health)."""
        self.list_rows += len(recipients)
        self.list_keyless += int(unverifiable.sum())
        self.list_dropped.merge(recipients.dropped)
        self.profile.add(recipients, fields)
        for key in dict.fromkeys(key_kind(k) for k in recipients.idents.columns):
            header = recipients.table.header[recipients.column_of(key)]
            self.list_columns.setdefault(key, header)
        for name in matched:
            self.linked[name] = True
        waiting = [n for n in self.sources if not self.linked.get(n)]
        if not waiting:
            return
        mine = arrow_text(identity_long(recipients.idents)["ident"])
        for name in waiting:
            theirs = self.sources[name].stats.key_set()
            self.linked[name] = bool(pc.any(pc.is_in(mine, value_set=theirs)).as_py())

    def warnings(self, list_path: str) -> list[str]:
        out = damaged_warnings(list_path, self.list_dropped, self.list_columns)
        if not self.list_rows:
            out.append(
                f"{list_path}: has no rows (a header only), so nobody was audited; check that "
                "the export is complete"
            )
        if self.persons is not None:
            out += shared_key_warnings(list_path, self.persons, self.list_columns)
        if self.list_rows and self.list_keyless / self.list_rows >= NOTABLE_SHARE:
            out.append(
                f"{list_path}: {self.list_keyless:,} of {self.list_rows:,} recipients "
                f"({100 * self.list_keyless / self.list_rows:.0f}%) have no usable "
                "customer_id, email or phone and are suppressed as cxaudit:unverifiable; "
                "check recipients.keys"
            )
        for name, table in self.sources.items():
            stats = table.stats
            if stats.rows >= SIZEABLE_SOURCE and self.list_rows and not self.linked.get(name):
                which = (
                    f"the keys in the first {stats.key_rows:,} of its {stats.rows:,} rows"
                    if stats.capped
                    else f"its {stats.rows:,} rows"
                )
                out.append(
                    f"{table.path}: none of {which} shares a customer_id, "
                    f"email or phone with any recipient, so no rule on source {name!r} can "
                    "match; check that its keys map the same kind of values as the list's"
                )
        return out

    def report(self) -> dict[str, dict[str, Any]]:
        """report.json's ``identity``: rows without a usable key per table,
        key values dropped as no key per column (placeholder, damaged,
        not_a_key), whether each source links to anyone, and the persons
        behind the list's rows."""
        campaign: dict[str, Any] = {"rows": self.list_rows, "without_key": self.list_keyless}
        if self.persons is not None:
            persons = self.persons
            campaign.update(
                persons=persons.persons,
                rows_of_persons_listed_more_than_once=len(persons.rows),
                rows_linked_through_several_keys=persons.several_keys,
            )
        campaign["dropped_keys"] = _dropped(self.list_dropped, self.list_columns)
        out: dict[str, dict[str, Any]] = {"campaign": campaign}
        for name, table in self.sources.items():
            out[name] = {
                "rows": table.stats.rows,
                "without_key": table.stats.keyless,
                "links_recipients": bool(self.linked.get(name)),
                "dropped_keys": _dropped(table.stats.dropped, table.stats.columns),
            }
        return out


def _dropped(dropped: Dropped, columns: dict[str, str]) -> dict[str, dict[str, int]]:
    """Dropped key values per column header, in key order."""
    return {
        columns.get(key, key): dict(sorted(counts.items()))
        for key, counts in sorted(dropped.counts.items())
    }
