"""Rule evaluation in two phases.

Phase 1 (:func:`match_sources`) runs each rule's conditions over its source
alone and keeps a small table of ``(rule, source_row, ident)``: the identity
keys of the source rows that hold. Phase 2 joins that table to the
recipients' keys, a single vectorised merge (:func:`link_matches`), then
applies ``min_count`` and ``match: none`` (:func:`aggregate`). Only the rules that compare with
``$recipient.X`` look at recipient values after the join. Because phase 1
never looks at the recipient list, the list can later be streamed in chunks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cxaudit.conditions import Scope, evaluate
from cxaudit.identity import arrow_text, identity_long
from cxaudit.rules import RECIPIENTS, Campaign, Node, Rule, _node_uses_recipient
from cxaudit.sources import LoadedTable

HIT_COLUMNS = ("row", "rule", "count", "source_row")


def _empty_matches() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rule": pd.Series(dtype="int64"),
            "source_row": pd.Series(dtype="int64"),
            "ident": pd.Series(dtype="str"),
        }
    )


def _source_only(nodes: tuple[Node, ...]) -> list[Node]:
    return [n for n in nodes if not _node_uses_recipient(n)]


def match_sources(
    rules: list[Rule],
    sources: dict[str, LoadedTable],
    campaign: Campaign,
    as_of: pd.Timestamp,
) -> pd.DataFrame:
    """Phase 1: ``(rule, source_row, ident)`` for every source row whose
    conditions hold (for ``$recipient`` rules: whose source-only conditions
    hold; the rest is checked after the join)."""
    parts = [_empty_matches()]
    longs: dict[str, pd.DataFrame] = {}
    for rule in rules:
        if rule.source == RECIPIENTS:
            continue
        table = sources[rule.source]
        scope = Scope(table, campaign, as_of, rule.id)
        mask = evaluate(_source_only(rule.where), scope)
        if rule.source not in longs:
            longs[rule.source] = identity_long(table.idents)
        keys = longs[rule.source]
        keys = keys[mask[keys["row"].to_numpy()]] if len(keys) else keys
        parts.append(
            pd.DataFrame(
                {
                    "rule": np.full(len(keys), rule.order, dtype=np.int64),
                    "source_row": keys["row"].to_numpy(dtype=np.int64),
                    "ident": keys["ident"].reset_index(drop=True),  # stays Arrow text
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def link_matches(
    matches: pd.DataFrame,
    rules: list[Rule],
    recipients: LoadedTable,
    auditable: np.ndarray,
    sources: dict[str, LoadedTable],
    campaign: Campaign,
    as_of: pd.Timestamp,
) -> pd.DataFrame:
    """Phase 2a: every ``(row, rule, source_row)`` where a source row held for
    an auditable recipient (for recipients rules, ``source_row`` is the row)."""
    rlong = identity_long(recipients.idents)
    rlong = rlong[auditable[rlong["row"].to_numpy()]] if len(rlong) else rlong
    # Among auditable rows every ident is unique (a repeat makes a row a
    # duplicate), so the join is a hash lookup of each matched ident.
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
        }
    )
    # A source row reaches the same recipient twice only through two keys
    # (email and id); sources with one key need no de-duplication.
    multi_key = [
        r.order for r in rules if r.source in sources and len(sources[r.source].idents.columns) > 1
    ]
    if multi_key:
        several = pairs["rule"].isin(multi_key).to_numpy()
        pairs = pd.concat([pairs[~several], pairs[several].drop_duplicates()])

    parts = [pairs]
    for rule in rules:
        if rule.source == RECIPIENTS:
            scope = Scope(recipients, campaign, as_of, rule.id, recipients=recipients)
            holds = evaluate(rule.where, scope) & auditable
            rows = np.flatnonzero(holds)
            parts.append(pd.DataFrame({"row": rows, "rule": rule.order, "source_row": rows}))
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
            keep = evaluate([n for n in rule.where if _node_uses_recipient(n)], scope)
            parts[0] = parts[0].drop(index=subset.index[~keep])
    held = pd.concat(parts, ignore_index=True)
    held = held.astype({"row": "int64", "rule": "int64", "source_row": "int64"})
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
        .agg(count=("source_row", "size"), source_row=("source_row", "min"))
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
