"""Rule evaluation in two phases.

Phase 1 (:mod:`cxaudit.audit.digest`) runs each rule's conditions over its source
alone, chunk by chunk, and keeps a small table of ``(rule, source_row,
count, ident)``: the identity keys of the groups of source rows that hold.
Phase 2 joins that table to the
recipients' keys, a single vectorised merge (:func:`link_matches`), then
applies ``min_count`` and ``match: none`` (:func:`aggregate`). Only the rules that compare with
``$recipient.X`` look at recipient values after the join. Because phase 1
never looks at the recipient list, the list can later be streamed in chunks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cxaudit.audit.conditions import Scope, evaluate
from cxaudit.audit.prepare import LoadedTable
from cxaudit.identity import arrow_text, identity_long
from cxaudit.rules import RECIPIENTS, Campaign, Node, Rule, node_uses_recipient

HIT_COLUMNS = ("row", "rule", "count", "source_row")


def source_only(nodes: tuple[Node, ...]) -> list[Node]:
    """The conditions phase 1 can judge on a source row alone."""
    return [n for n in nodes if not node_uses_recipient(n)]


def link_matches(
    matches: pd.DataFrame,
    rules: list[Rule],
    recipients: LoadedTable,
    auditable: np.ndarray,
    sources: dict[str, LoadedTable],
    campaign: Campaign,
    as_of: pd.Timestamp,
    shared_keys: bool = False,
) -> pd.DataFrame:
    """Phase 2a: every ``(row, rule, source_row, count)`` where a group of
    source rows held for an auditable recipient (``source_row``: the group's
    first row; for recipients rules, the row itself, count 1).

    ``matches`` is phase 1's table (:mod:`cxaudit.audit.digest`): one line per key
    of each matched group. ``shared_keys``: the rows may share keys (the
    rows of persons of several rows); otherwise every key of an auditable
    row is its own, and the join is a hash lookup of each matched ident."""
    rlong = identity_long(recipients.idents)
    rlong = rlong[auditable[rlong["row"].to_numpy()]] if len(rlong) else rlong
    if shared_keys:
        pairs = pd.DataFrame(
            {
                "ident": arrow_text(rlong["ident"]).cast(pa.large_string()),
                "row": rlong["row"].to_numpy(dtype=np.int64),
            }
        ).merge(
            pd.DataFrame(
                {
                    "ident": arrow_text(matches["ident"]).cast(pa.large_string()),
                    "rule": matches["rule"].to_numpy(dtype=np.int64),
                    "source_row": matches["source_row"].to_numpy(dtype=np.int64),
                    "count": matches["count"].to_numpy(dtype=np.int64),
                }
            ),
            on="ident",
        )[["row", "rule", "source_row", "count"]]
        pairs = pairs.drop_duplicates(["row", "rule", "source_row"]).reset_index(drop=True)
    else:
        found = pc.index_in(
            arrow_text(matches["ident"]).cast(pa.large_string()),
            value_set=arrow_text(rlong["ident"]).cast(pa.large_string()),
        )
        where = pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64)
        hit = where >= 0
        pairs = pd.DataFrame(
            {
                "row": rlong["row"].to_numpy(dtype=np.int64)[where[hit]],
                "rule": matches["rule"].to_numpy(dtype=np.int64)[hit],
                "source_row": matches["source_row"].to_numpy(dtype=np.int64)[hit],
                "count": matches["count"].to_numpy(dtype=np.int64)[hit],
            }
        )
    # A group reaches the same recipient twice only through two keys (email
    # and id); sources with one key need no de-duplication. A group is
    # named by its first row, so (row, rule, source_row) is one group.
    multi_key = [
        r.order for r in rules if r.source in sources and len(sources[r.source].idents.columns) > 1
    ]
    if multi_key and not shared_keys:
        several = pairs["rule"].isin(multi_key).to_numpy()
        pairs = pd.concat([pairs[~several], pairs[several].drop_duplicates()])

    parts = [pairs]
    for rule in rules:
        if rule.source == RECIPIENTS:
            scope = Scope(recipients, campaign, as_of, rule.id, recipients=recipients)
            holds = evaluate(rule.where, scope) & auditable
            rows = np.flatnonzero(holds)
            parts.append(
                pd.DataFrame({"row": rows, "rule": rule.order, "source_row": rows, "count": 1})
            )
        elif rule.uses_recipient():
            mine = pairs["rule"].to_numpy() == rule.order
            subset = pairs[mine]
            scope = Scope(
                sources[rule.source],
                campaign,
                as_of,
                rule.id,
                rows=subset["source_row"].to_numpy(),
                recipients=recipients,
                recipient_rows=subset["row"].to_numpy(),
            )
            keep = evaluate([n for n in rule.where if node_uses_recipient(n)], scope)
            parts[0] = parts[0].drop(index=subset.index[~keep])
    held = pd.concat(parts, ignore_index=True)
    held = held.astype({"row": "int64", "rule": "int64", "source_row": "int64", "count": "int64"})
    return held.sort_values(["row", "rule", "source_row"], kind="stable").reset_index(drop=True)


def aggregate(pairs: pd.DataFrame, rules: list[Rule], auditable: np.ndarray) -> pd.DataFrame:
    """Phase 2b: the rules that hold for each auditable recipient.

    Returns ``(row, rule, count, source_row)``: ``count`` source rows held
    (0 for ``match: none``) and ``source_row`` is the first of them in file
    order, the evidence a reason quotes (-1 when there is none).
    """
    by_order = {r.order: r for r in rules}
    agg = (
        pairs.groupby(["row", "rule"], sort=True)
        .agg(count=("count", "sum"), source_row=("source_row", "min"))
        .reset_index()
    )
    min_count = agg["rule"].map({o: r.min_count for o, r in by_order.items()})
    agg = agg[agg["count"].to_numpy() >= min_count.to_numpy()]

    none_rules = [r.order for r in rules if r.match == "none"]
    if none_rules:
        is_none = agg["rule"].isin(none_rules).to_numpy()
        matched = agg[is_none]
        agg = agg[~is_none]
        extra = []
        candidates = np.flatnonzero(auditable)
        for order in none_rules:
            have = matched.loc[matched["rule"] == order, "row"].to_numpy()
            rows = np.setdiff1d(candidates, have, assume_unique=True)
            extra.append(pd.DataFrame({"row": rows, "rule": order, "count": 0, "source_row": -1}))
        agg = pd.concat([agg, *extra], ignore_index=True)
    agg = agg.astype("int64").sort_values(["row", "rule"], kind="stable")
    return agg.reset_index(drop=True)[list(HIT_COLUMNS)]


@dataclass
class Linked:
    """Phase 2 for the rows of persons of several rows, judged once per
    person over all of their rows (which may lie in different chunks).

    ``table`` holds every such row (list order; ``positions``: their places
    in the list), the evidence a recipients rule's reason quotes;
    ``persons`` the distinct persons (their first rows' positions);
    ``hits`` the rules that hold per person (``row``: index into
    ``persons``; ``source_row`` into the source, or into ``table`` for a
    recipients rule) and ``pairs`` every source row that held for a row of
    ``table``."""

    table: LoadedTable
    positions: np.ndarray
    persons: np.ndarray
    first_of: np.ndarray  # per row of ``table``: its person's index in ``persons``
    hits: pd.DataFrame
    pairs: pd.DataFrame

    def rows_hits(self, rows: np.ndarray) -> pd.DataFrame:
        """The hits of the list's rows at positions ``rows`` (all linked):
        their persons' hits, as ``(row, rule, count, source_row)`` with
        ``row`` the index into ``rows``."""
        at = np.searchsorted(self.positions, rows)
        mine = pd.DataFrame({"row": np.arange(len(rows)), "person": self.first_of[at]})
        out = mine.merge(self.hits.rename(columns={"row": "person"}), on="person")
        return out[list(HIT_COLUMNS)].astype("int64")

    def rows_pairs(self, rows: np.ndarray) -> pd.DataFrame:
        """The source rows that held for the rows at positions ``rows``
        themselves (``row``: the index into ``rows``)."""
        at = np.searchsorted(self.positions, rows)
        index = pd.Series(np.arange(len(rows)), index=at)
        mine = self.pairs[self.pairs["row"].isin(at)]
        return mine.assign(row=index.loc[mine["row"].to_numpy()].to_numpy())


def judge_persons(
    matches: pd.DataFrame,
    rules: list[Rule],
    table: LoadedTable,
    positions: np.ndarray,
    first: np.ndarray,
    sources: dict[str, LoadedTable],
    campaign: Campaign,
    as_of: pd.Timestamp,
) -> Linked:
    """Phase 2 for persons of several rows: ``table`` holds all of their
    rows (positions ``positions`` in the list, ``first``: each one's
    person's first row). A rule holds for a person when it holds for any
    key of any of their rows; ``min_count`` counts each source row once,
    whichever of the person's keys reached it."""
    persons, first_of = np.unique(first, return_inverse=True)
    every = np.ones(len(table), dtype=bool)
    pairs = link_matches(matches, rules, table, every, sources, campaign, as_of, shared_keys=True)
    per_person = pairs.assign(row=first_of[pairs["row"].to_numpy()])
    per_person = per_person.drop_duplicates(["row", "rule", "source_row"])
    hits = aggregate(per_person, rules, np.ones(len(persons), dtype=bool))
    return Linked(table, positions, persons, first_of, hits, pairs)
