"""The Dask engine: the same audit, its work spread over a Dask cluster.

Partitions are the parts of a partitioned input (a folder or a glob, see
:mod:`cxaudit.inputs.parts`); a single file is one partition (a CSV cannot be cut
safely without reading it from the start: a quoted value may hold line
breaks), so a list in one file is streamed in chunks here, as the local
engine streams it, after phase 1 ran on the cluster. The work, as tasks:

1. Phase 1 per source part: the part's digest (:func:`cxaudit.audit.digest.build`,
   the local engine's code on the part's rows); digests of neighbouring
   parts are merged in a tree, keeping file order, so counts and first rows
   are those of one pass over the joined parts.
2. The list's keys per part; duplicates across the whole list by a shuffle:
   each part's keys are split by hash into buckets, each bucket judged on
   one worker (every copy of a key is in one bucket), the verdicts joined.
3. Phase 2 per list part, with phase 1's matched keys and kept rows
   broadcast to every worker (:func:`cxaudit.audit.decide.decide_chunk`).

Results come back in list order and are written by the caller exactly as the
local engine's are, so the outputs are the same bytes. ``check`` and rule
tests look at the whole list at once: they run phase 1 on the cluster and
decide the list in this process.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from cxaudit import environment
from cxaudit.audit.coverage import Coverage
from cxaudit.audit.decide import (
    AuditResult,
    cover,
    link_persons,
)
from cxaudit.audit.digest import Digest, finish, merge
from cxaudit.audit.digest import chunk_rows as source_chunk_rows
from cxaudit.audit.fields import check_fields_available, check_recipient_columns
from cxaudit.audit.formats import unfixed_dates, with_date_formats
from cxaudit.audit.health import list_fields
from cxaudit.audit.persons import resolve
from cxaudit.audit.plan import Plan, Progress
from cxaudit.audit.prepare import (
    LoadedTable,
    concat_tables,
    prepare_table,
    read_options,
)
from cxaudit.engine.local import LocalEngine, tables_and_matches
from cxaudit.engine.tasks import (
    _absolute,
    _as_given,
    _buckets,
    _decide_part,
    _digest_part,
    _given,
    _judge,
    _keyed,
    _linked_part,
    _list_keys,
    _names,
    _numbering,
    _pick,
    _sha256,
    _shape,
)
from cxaudit.errors import CxauditError
from cxaudit.escaping import terminal
from cxaudit.inputs import parts
from cxaudit.inputs.chunks import Totals
from cxaudit.inputs.locations import Url
from cxaudit.inputs.read import iter_chunks
from cxaudit.rules import RECIPIENTS, RuleSet, TableConfig

BUCKETS_PER_WORKER = 2  # shuffle buckets for the duplicate judgement
WORKERS_WAIT = 60  # seconds a scheduler may take to have a worker (CXAUDIT_DASK_WORKERS_WAIT)


def _client(scheduler: str | None) -> tuple[Any, Any]:
    """A client of the scheduler at ``scheduler``, or of a cluster started
    here (one single-threaded worker process per core: pandas work holds
    Python's lock, so processes, not threads, use the cores)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise CxauditError(
            "--engine dask needs Dask; install it with: pip install 'cxaudit[dask]'"
        ) from None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            # its HTTP server on a free loopback port: 8787 may be taken by
            # another cluster (then distributed warns on stderr)
            dashboard_address="127.0.0.1:0",
            worker_dashboard_address="127.0.0.1:0",
            # a task's user error reaches the user once, as one line: the
            # workers' own logs of it would print tracebacks on stderr
            silence_logs=logging.CRITICAL,
        )
        return Client(cluster), cluster
    hint = (
        "start one with `dask scheduler` and workers with `dask worker ADDRESS`, or leave "
        "out --scheduler to run a cluster in this process"
    )
    try:
        client = Client(scheduler, timeout="15s")
    except Exception as exc:  # any failure to connect is the address's
        reason = terminal(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        raise CxauditError(
            f"--scheduler {terminal(scheduler)}: cannot reach a Dask scheduler there "
            f"({reason}); give its address as tcp://HOST:PORT (8786 by default, not the "
            f"dashboard's 8787); {hint}"
        ) from None
    wait = environment.count("CXAUDIT_DASK_WORKERS_WAIT", WORKERS_WAIT)
    try:
        client.wait_for_workers(1, timeout=wait)
    except Exception:  # a timeout, whatever distributed calls it
        client.close()
        raise CxauditError(
            f"--scheduler {terminal(scheduler)}: the scheduler has no workers (none joined "
            f"within {wait} s); start them with `dask worker {terminal(scheduler)}`"
        ) from None
    return client, None


class DaskEngine:
    """Runs a plan on a Dask cluster (see the module's docstring)."""

    def __init__(self, scheduler: str | None = None) -> None:
        self.scheduler = scheduler
        self.client, self.cluster = _client(scheduler)

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def _workers(self) -> int:
        return max(1, len(self.client.scheduler_info(n_workers=-1).get("workers", {})))

    def audit(
        self,
        plan: Plan,
        progress: Progress,
        chunk_rows: int | None,
        totals: Totals,
        evidence_for: str | None,
    ) -> Iterator[AuditResult]:
        # column problems named as the local engine names them; dates read alike
        plan = _check_headers(plan, chunk_rows)
        whole = chunk_rows is None or not parts.is_partitioned(plan.request.campaign)
        if whole or evidence_for is not None:
            # the whole list at once (check, rule tests, explain), or a list
            # in one file (one partition: streamed in chunks here rather than
            # held whole by one worker): phase 1 on the cluster, the list
            # decided here
            # explain keeps every row linked to one person: a local job
            local = LocalEngine(None if evidence_for is not None else self._phase1)
            yield from local.audit(plan, progress, chunk_rows, totals, evidence_for)
            return
        sources, matches = self._phase1(plan, progress)
        yield from self._phase2(plan, progress, totals, sources, matches)

    def _gather(self, futures: Any) -> Any:
        """Results of ``futures``; a user error raised on a worker is raised
        here as it is (one line, naming the part), not as a traceback."""
        return self.client.gather(futures)

    def _phase1(
        self, plan: Plan, progress: Progress
    ) -> tuple[dict[str, LoadedTable], pd.DataFrame]:
        """Every source digested part by part on the workers, merged in a tree."""
        rules, used = plan.rules, plan.used_fields()
        finals: dict[str, Any] = {}
        given_names: dict[str, dict[str, str]] = {}
        for name in plan.needed:
            config = rules.sources[name]
            assert config.path is not None
            files, given, options = _parts_and_options(rules, config, config.path)
            names = given_names[name] = _names(files, given, config.path)
            whole = _absolute(config.path)  # the source as a whole, for messages
            progress(f"reading source {name} {config.path}: {len(files):,} part(s) on the cluster")
            level = [
                self.client.submit(
                    _as_given,
                    names,
                    _digest_part,
                    rules,
                    replace(config, path=part),
                    plan.applicable,
                    plan.as_of,
                    used.get(name, set()),
                    options,
                    whole,
                    pure=False,
                )
                for part in files
            ]
            while len(level) > 1:  # neighbours merged pairwise: a tree, in file order
                pairs = [
                    self.client.submit(_as_given, names, merge, level[i], level[i + 1], pure=False)
                    for i in range(0, len(level) - 1, 2)
                ]
                level = pairs + ([level[-1]] if len(level) % 2 else [])
            sha = self.client.submit(_as_given, names, _sha256, files, pure=False)
            finals[name] = self.client.submit(
                _as_given, names, finish, level[0], sha, whole, pure=False
            )
        digests: dict[str, Digest] = dict(
            zip(finals, self._gather(list(finals.values())), strict=True)
        )
        for name, digest in digests.items():
            path = rules.sources[name].path  # the folder or glob as given, not a part
            digest.table.table = replace(digest.table.table, path=path)
            digest.stats.path = path
            digest.table.warnings = [_given(w, given_names[name]) for w in digest.table.warnings]
            progress(f"read source {name}: {digest.stats.rows:,} rows", digest.stats.rows)
        return tables_and_matches(digests)

    def _phase2(
        self,
        plan: Plan,
        progress: Progress,
        totals: Totals,
        sources: dict[str, LoadedTable],
        matches: pd.DataFrame,
    ) -> Iterator[AuditResult]:
        rules, request = plan.rules, plan.request
        files, given, options = _parts_and_options(rules, rules.recipients, request.campaign)
        names = _names(files, given, request.campaign)
        progress(f"reading campaign {request.campaign}: {len(files):,} part(s) on the cluster")
        keys = [
            self.client.submit(_as_given, names, _list_keys, rules, part, options, pure=False)
            for part in files
        ]
        sha = self.client.submit(_as_given, names, _sha256, files, pure=False)
        shapes = self._gather([self.client.submit(_shape, k, pure=False) for k in keys])
        starts, origin = _numbering(request.campaign, given, shapes)
        # duplicates across the whole list: a shuffle of the keys by hash
        buckets = BUCKETS_PER_WORKER * self._workers()
        split = [
            self.client.submit(_buckets, k, int(starts[i]), buckets, pure=False)
            for i, k in enumerate(keys)
        ]
        judged = [
            self.client.submit(
                _judge,
                *[self.client.submit(_pick, s, b, pure=False) for s in split],
                pure=False,
            )
            for b in range(buckets)
        ]
        keyed = sum(self._gather([self.client.submit(_keyed, k, pure=False) for k in keys]))
        persons = resolve(self._gather(judged), int(starts[-1]), keyed)
        del keys, split, judged

        def on_parts(task: Any, *args: Any, each: Any = None) -> list[Any]:
            """``task`` on every list part, numbered as rows of the whole list
            (``each(i)``: an argument of part i's own, before ``args``)."""
            return [
                self.client.submit(
                    _as_given,
                    names,
                    task,
                    plan,
                    part,
                    options,
                    int(starts[i]),
                    origin,
                    shapes[0].dialect,
                    *([each(i)] if each is not None else []),
                    *args,
                    request.campaign,
                    pure=False,
                )
                for i, part in enumerate(files)
            ]

        linked = None
        if len(persons.rows):  # each person of several rows judged whole, here
            tables = self._gather(
                on_parts(
                    _linked_part,
                    each=lambda i: persons.positions_in(
                        int(starts[i]), int(starts[i + 1] - starts[i])
                    ),
                )
            )
            rows = concat_tables(tables[0], [t for t in tables if len(t)])
            linked = link_persons(plan, rows, persons, matches, sources)
        shared = self.client.scatter(
            {"persons": persons, "matches": matches, "sources": sources, "linked": linked},
            broadcast=True,
        )
        decided = on_parts(
            _decide_part, shared["persons"], shared["matches"], shared["sources"], shared["linked"]
        )
        coverage = Coverage(sources)
        total_rows = int(starts[-1])
        for i, future in enumerate(decided):
            result = future.result()
            decided[i] = None  # let the worker's copy go
            if i == len(files) - 1:
                totals.rows, totals.sha256 = total_rows, sha.result()
                result.recipients.table = replace(result.recipients.table, sha256=totals.sha256)
            result.sources = sources
            progress(f"read campaign: {len(result.recipients):,} rows", rows=len(result.recipients))
            if len(result.recipients) or i == len(files) - 1:
                # a part without rows is no chunk (as the local engine reads parts),
                # unless it is the last: then it carries the totals
                yield cover(coverage, result)


def _check_headers(plan: Plan, chunk_rows: int | None) -> Plan:
    """Read the first chunk of the list and of every source here, as the local
    engine does first, so a missing column is named with the input as given
    (the folder or glob) rather than by a worker with its part; and read on
    until each date column has shown its format, which then holds on every
    worker as it does for every chunk here: ``plan`` with them."""
    from contextlib import closing

    rules, used = plan.rules, plan.used_fields()
    inputs = [(RECIPIENTS, plan.request.campaign, plan.read_options, chunk_rows)]
    for name in plan.needed:
        config = rules.sources[name]
        assert config.path is not None
        inputs.append((name, config.path, read_options(rules, config), source_chunk_rows()))
    for name, path, options, rows in inputs:
        with closing(iter_chunks(path, rows, **options)) as chunks:
            for n, raw in enumerate(chunks):
                config = rules.recipients if name == RECIPIENTS else rules.sources[name]
                table = prepare_table(rules, config, raw)
                if n == 0 and name == RECIPIENTS:
                    check_recipient_columns(rules, table, list_fields(plan.applicable))
                elif n == 0:
                    check_fields_available(rules, {name: table}, {name: used.get(name, set())})
                rules = with_date_formats(rules, table)
                config = rules.recipients if name == RECIPIENTS else rules.sources[name]
                if not unfixed_dates(config, table):
                    break  # the workers read every date column as these rows showed
    return replace(plan, rules=rules)


def _parts_and_options(
    rules: RuleSet, config: TableConfig, path: Path
) -> tuple[list[Path], list[Path], dict[str, Any]]:
    """An input's files as the workers read them (absolute: a worker's
    working folder is not ours) and as the user named them (for messages),
    and how every one is read: the encoding chosen once for all (as the
    local engine chooses it)."""
    if isinstance(path, Url) and path.protocol == "memory":
        raise CxauditError(
            f"{path}: memory:// lives in this process only, and the Dask workers cannot read "
            "it; use --engine local, or a URL the workers can reach (s3://, file://)"
        )
    options = read_options(rules, config)
    given = parts.list_parts(path) if parts.is_partitioned(path) else [path]
    if len(given) > 1 or given[0] != path:
        encoding = parts.choose_encoding(given, options["encoding"], options["forced"])
        options = {**options, "encoding": encoding, "forced": True}
    return [_absolute(p) for p in given], given, options


# --- tasks: plain functions of plain data, run on the workers ---------------
