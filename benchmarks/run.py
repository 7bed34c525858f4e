"""Benchmark cxaudit against the yardstick a data engineer would reach for:
the same suppression logic as one DuckDB SQL query over the same CSVs.

    pip install -e '.[bench]'
    python -m benchmarks.run --recipients 100000 --phases
    python -m benchmarks.run --recipients 1000000 --cases 1000000 --history 2000000
    python -m benchmarks.run --data /tmp/bench1m --repeat 3

Prints, for each tool: wall time (process start to exit, imports included),
rows per second and peak RSS; then the ratio cxaudit / DuckDB and whether the
two agree on how many recipients to suppress (exit status 1 if not). Both run
as fresh processes; with ``--repeat N`` each runs N times and the best time
and the largest peak RSS are reported. The last lines are a Markdown table,
one row per tool, to paste into benchmarks/RESULTS.md.

``--phases`` then runs the same audit once more inside this process, through
the library, and prints a timeline of where its time went (from the audit's
progress messages), and the import time of a fresh process.

Data is generated into a temporary folder (removed at exit) unless ``--data
DIR`` is given: DIR is generated once and reused. Its ``sizes.json`` says what
it holds; a folder that holds other sizes than the ones asked for is refused
(``--regenerate`` overwrites it), and without size options its sizes are used.

``--parts N`` (and ``--format csv|parquet``) generates every table as a
folder of N parts (``campaign/part-00000.csv`` ...): cxaudit is given the
folders, DuckDB reads the same parts by a glob (in name order, so its
row_number() counts rows as in the joined file). A folder generated with
another layout is refused like one of other sizes.

``--engine dask`` runs cxaudit with ``--engine dask``: without ``--scheduler
ADDRESS`` each run starts its own LocalCluster (one worker process per core),
and that start-up is part of its time; the start-up alone is then timed in a
fresh process and printed. The peak RSS shown is the cxaudit process's own
(its kernel high-water mark, sampled); the line also gives the largest sum
over it and its worker processes. With ``--phases`` the in-process run uses
the same engine and adds, from Dask's task stream, each task kind's compute
time and each source's rows per second per worker.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.generate import (
    FORMATS,
    PART,
    SIZES_FILE,
    generate,
    part_sizes,
    read_layout,
    read_sizes,
    table_path,
    table_sizes,
)

REPO = Path(__file__).resolve().parent.parent
AS_OF = "2026-11-20"
OFFER = "Aurora X2"
SOURCES = ["cases", "orders", "consent", "contact_history", "seed_list"]
DEFAULT_RECIPIENTS = 100_000
CHUNK_ROWS = 1_000_000  # cxaudit audit's --chunk-size default

# The default rules.yaml for a promotional email campaign offering "Aurora X2"
# (rules that apply_to other campaigns are skipped, as cxaudit skips them).
DUCKDB_SQL = r"""
CREATE MACRO norm_email(e) AS CASE WHEN regexp_matches(lower(trim(e)), '^[^@\s]+@[^@\s]+\.[^@\s]+$')
                                   THEN 'e:' || lower(trim(e)) END;
CREATE MACRO norm_id(i) AS CASE WHEN trim(i) <> '' THEN 'c:' || trim(i) END;
CREATE MACRO norm_phone(p) AS CASE
    WHEN regexp_matches(regexp_replace(p, '[\s().\-/]', '', 'g'), '^\+1[2-9]\d{9}$')
      THEN 'p:' || regexp_replace(p, '[\s().\-/]', '', 'g')
    WHEN regexp_matches(regexp_replace(p, '[\s().\-/]', '', 'g'), '^1[2-9]\d{9}$')
      THEN 'p:+' || regexp_replace(p, '[\s().\-/]', '', 'g')
    WHEN regexp_matches(regexp_replace(p, '[\s().\-/]', '', 'g'), '^[2-9]\d{9}$')
      THEN 'p:+1' || regexp_replace(p, '[\s().\-/]', '', 'g') END;
CREATE MACRO ts(t) AS CASE WHEN trim(t) <> '' THEN CAST(trim(t) AS TIMESTAMPTZ) END;

CREATE TABLE r AS SELECT row_number() OVER () AS rn, *
  FROM {campaign};

CREATE TABLE decision AS
WITH
rk AS (
  SELECT rn, k FROM (
    SELECT rn, norm_id(customer_id) AS k FROM r UNION ALL
    SELECT rn, norm_email(email) FROM r UNION ALL
    SELECT rn, norm_phone(phone) FROM r) WHERE k IS NOT NULL),
firsts AS (SELECT k, min(rn) AS first_rn FROM rk GROUP BY k),
edges AS (SELECT rk.rn AS a, firsts.first_rn AS b FROM rk JOIN firsts USING (k)
          WHERE firsts.first_rn < rk.rn),
keyed AS (SELECT DISTINCT rn FROM rk),
-- persons: rows joined by shared keys, directly or through other rows
und AS (SELECT a AS x, b AS y FROM edges UNION SELECT b, a FROM edges),
reach AS (
  WITH RECURSIVE walk(x, y) AS (
    SELECT x, y FROM und UNION SELECT w.x, u.y FROM walk w JOIN und u ON w.y = u.x)
  SELECT x AS rn, least(x, min(y)) AS p FROM walk GROUP BY x),
pmap AS (SELECT rn, coalesce(reach.p, rn) AS p FROM keyed LEFT JOIN reach USING (rn)),
auditable AS (SELECT rk.rn, rk.k, pmap.p FROM rk JOIN pmap USING (rn)),
cases AS (
  SELECT row_number() OVER () AS sr, lower(trim("Status")) AS status,
         lower(trim("Priority")) AS priority, lower(trim("Product [list]")) AS product,
         ts("Solved at") AS closed_at, "Requester external id" AS cid, "Requester email" AS em
  FROM {cases}),
case_keys AS (
  SELECT sr, k FROM (SELECT sr, norm_id(cid) AS k FROM cases UNION ALL
                     SELECT sr, norm_email(em) FROM cases) WHERE k IS NOT NULL),
hist AS (
  SELECT row_number() OVER () AS sr, norm_email(email) AS k, lower(trim(channel)) AS channel,
         ts(sent_at) AS sent_at
  FROM {contact_history}),
consent_rows AS (
  SELECT row_number() OVER () AS sr, email, phone,
         lower(trim(channel)) AS channel, lower(trim(status)) AS status
  FROM {consent}),
consent AS (
  SELECT sr, k, channel, status FROM (
    SELECT sr, norm_email(email) AS k, channel, status FROM consent_rows UNION ALL
    SELECT sr, norm_phone(phone), channel, status FROM consent_rows) WHERE k IS NOT NULL),
seeds AS (SELECT norm_email(email) AS k
          FROM {seed_list}),
hits AS (
  SELECT DISTINCT a.p, 1 AS ord, 'open-severe-case' AS rule, 'suppress' AS action
    FROM auditable a JOIN case_keys ck ON a.k = ck.k JOIN cases c ON c.sr = ck.sr
    WHERE c.status IN ('new', 'open', 'pending', 'hold') AND c.priority IN ('high', 'urgent')
  UNION ALL
  SELECT DISTINCT a.p, 2, 'case-cooling-off', 'suppress'
    FROM auditable a JOIN case_keys ck ON a.k = ck.k JOIN cases c ON c.sr = ck.sr
    WHERE c.status IN ('solved', 'closed')
      AND c.closed_at BETWEEN TIMESTAMPTZ '{as_of}' - INTERVAL 14 DAY AND TIMESTAMPTZ '{as_of}'
  UNION ALL
  SELECT DISTINCT a.p, 3, 'open-case-about-offer', 'suppress'
    FROM auditable a JOIN case_keys ck ON a.k = ck.k JOIN cases c ON c.sr = ck.sr
    WHERE c.status IN ('new', 'open', 'pending', 'hold') AND c.product = lower('{offer}')
  UNION ALL
  SELECT a.p, 4, 'frequency-cap', 'suppress'
    FROM auditable a JOIN hist h ON a.k = h.k
    WHERE h.channel = 'email'
      AND h.sent_at BETWEEN TIMESTAMPTZ '{as_of}' - INTERVAL 7 DAY AND TIMESTAMPTZ '{as_of}'
    GROUP BY a.p HAVING count(DISTINCT h.sr) >= 3
  UNION ALL
  SELECT DISTINCT a.p, 5, 'email-unsubscribed', 'suppress'
    FROM auditable a JOIN consent c ON a.k = c.k
    WHERE c.channel = 'email' AND c.status IN ('opted_out', 'unsubscribed')
  UNION ALL
  SELECT DISTINCT a.p, 0, 'internal-seed-list', 'allow' FROM auditable a JOIN seeds s ON a.k = s.k
  UNION ALL
  SELECT DISTINCT a.p, 6, 'open-minor-case', 'flag'
    FROM auditable a JOIN case_keys ck ON a.k = ck.k JOIN cases c ON c.sr = ck.sr
    WHERE c.status IN ('new', 'open', 'pending', 'hold') AND c.priority IN ('low', 'normal', '')),
allowed AS (SELECT DISTINCT p FROM hits WHERE action = 'allow'),
sup AS (
  SELECT p, string_agg(rule, ';' ORDER BY ord) AS rules
  FROM (SELECT * FROM hits WHERE action = 'suppress') ANTI JOIN allowed USING (p) GROUP BY p)
SELECT r.rn,
       CASE WHEN keyed.rn IS NULL THEN 'cxaudit:unverifiable'
            WHEN pmap.p < r.rn THEN coalesce(sup.rules || ';', '') || 'cxaudit:duplicate'
            ELSE sup.rules END AS cxaudit_rules
FROM r LEFT JOIN keyed USING (rn) LEFT JOIN pmap USING (rn) LEFT JOIN sup ON sup.p = pmap.p;

COPY (SELECT r.* EXCLUDE (rn) FROM r JOIN decision USING (rn)
      WHERE decision.cxaudit_rules IS NULL ORDER BY rn) TO '{out}/cleaned.csv' (HEADER);
COPY (SELECT r.* EXCLUDE (rn), decision.cxaudit_rules FROM r JOIN decision USING (rn)
      WHERE decision.cxaudit_rules IS NOT NULL ORDER BY rn) TO '{out}/suppressed.csv' (HEADER);
"""

DUCKDB_SCRIPT = """
import sys, duckdb
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
con.execute(sys.argv[1])
print(duckdb.__version__)
print(con.execute("SELECT count(*) FROM decision WHERE cxaudit_rules IS NOT NULL").fetchone()[0])
"""

IMPORT_SCRIPT = """
import time
t0 = time.perf_counter()
import cxaudit.pipeline
t1 = time.perf_counter()
import cxaudit.cli.main
print(t1 - t0, time.perf_counter() - t1)
"""


# --- fresh processes -------------------------------------------------------


def _status_kib(pid: int, field: str) -> int:
    """A /proc/PID/status field in KiB (0: gone, or not Linux)."""
    try:
        with open(f"/proc/{pid}/status", "rb") as fh:
            for line in fh:
                if line.startswith(field.encode() + b":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _tree(pid: int) -> list[int]:
    """The process and its descendants (Linux: /proc/PID/task/TID/children)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            pass
    return found


class Sampler(threading.Thread):
    """Samples a running process every ``every`` seconds: its own peak RSS
    (VmHWM, the kernel's high-water mark: a sample misses only growth in the
    last interval) and the RSS summed over it and its descendants (a Dask
    LocalCluster's worker processes), largest sample kept."""

    def __init__(self, pid: int, every: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.own = self.tree = 0  # bytes
        self.processes = 1
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.every):
            self.own = max(self.own, _status_kib(self.pid, "VmHWM") * 1024)
            pids = _tree(self.pid)
            self.processes = max(self.processes, len(pids))
            self.tree = max(self.tree, sum(_status_kib(p, "VmRSS") for p in pids) * 1024)


@dataclass
class Usage:
    """A fresh process's peak memory: ``rss`` its own; ``largest`` the
    kernel's (wait4: the largest single process among it and its waited-for
    children); ``tree`` the largest sampled sum over it and its children
    (0 when it had none)."""

    rss: int
    largest: int
    tree: int


def _run(argv: list[str]) -> tuple[float, int, str]:
    """Run a fresh process; wall seconds, peak RSS in bytes, stdout."""
    wall, usage, out = _run_usage(argv)
    return wall, usage.rss, out


def _run_usage(argv: list[str]) -> tuple[float, Usage, str]:
    """Run a fresh process; wall seconds, its memory, stdout."""
    import os

    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    sampler = Sampler(proc.pid)
    sampler.start()
    err: list[bytes] = []
    # stderr is drained beside stdout, so neither pipe can fill up and stall it
    drain = threading.Thread(target=lambda: err.append(proc.stderr.read()))  # type: ignore[union-attr]
    drain.start()
    out = proc.stdout.read().decode()
    drain.join()
    _pid, status, usage = os.wait4(proc.pid, 0)  # wait4, not wait(): its peak RSS
    wall = time.perf_counter() - start
    sampler.done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        text = b"".join(err).decode(errors="replace")
        raise SystemExit(f"{' '.join(argv[:4])} failed ({proc.returncode}):\n{text[-2000:]}")
    largest = usage.ru_maxrss * 1024
    if sampler.processes == 1 or not sampler.own:  # alone: the kernel's figure is its own
        return wall, Usage(largest, largest, 0), out
    return wall, Usage(sampler.own, largest, sampler.tree), out


@dataclass
class Measured:
    """A tool's runs: the best wall time and the largest peak RSS count."""

    tool: str
    walls: list[float] = field(default_factory=list)
    rss: list[int] = field(default_factory=list)
    suppressed: int = 0
    tree: list[int] = field(default_factory=list)  # with worker processes (sampled sum)

    def add(self, wall: float, usage: Usage) -> None:
        self.walls.append(wall)
        self.rss.append(usage.rss)
        if usage.tree:
            self.tree.append(usage.tree)

    @property
    def best(self) -> float:
        return min(self.walls)

    @property
    def peak(self) -> int:
        return max(self.rss)

    def line(self, rows: int) -> str:
        runs = "1 run"
        if len(self.walls) > 1:  # every run's time: the spread shows the noise
            runs = f"best of {len(self.walls)}; all: {' '.join(f'{w:.2f}' for w in self.walls)} s"
        workers = ""
        if self.tree:
            workers = f"; with its worker processes {max(self.tree) / 2**20:,.0f} MiB (sampled sum)"
        return (
            f"{self.tool:<8} {self.best:7.2f} s  {rows / self.best:>12,.0f} rows/s  "
            f"peak RSS {self.peak / 2**20:7,.0f} MiB  suppressed {self.suppressed:,}  ({runs})"
            f"{workers}"
        )


@dataclass(frozen=True)
class Layout:
    """How a data folder holds its tables: one CSV file each (parts None), or
    a folder of parts each."""

    parts: int | None = None
    fmt: str = "csv"

    def path(self, data: Path, name: str) -> Path:
        return table_path(data, name, self.parts, self.fmt)

    def __str__(self) -> str:
        if self.parts is None:
            return "one CSV file per table"
        kind = {"csv": "CSV", "parquet": "Parquet"}.get(self.fmt, self.fmt)
        return f"{self.parts} {kind} part(s) per table"

    def cell(self) -> str:
        return "" if self.parts is None else f", {self.parts} {self.fmt} parts"

    def duckdb(self, data: Path, name: str) -> str:
        """DuckDB's read of a table: the file, or its parts by a glob (read in
        name order; every column a string, as cxaudit reads them)."""
        if self.parts is None:
            return f"read_csv('{data / name}.csv', all_varchar = true, header = true)"
        if self.fmt == "parquet":
            return f"read_parquet('{data / name}/*.parquet')"
        return f"read_csv('{data / name}/*.csv', all_varchar = true, header = true)"


def cxaudit_argv(data: Path, out: Path, extra: list[str], layout: Layout = Layout()) -> list[str]:
    argv = [
        sys.executable,
        "-m",
        "cxaudit",
        "audit",
        str(layout.path(data, "campaign")),
        "--rules",
        str(REPO / "rules.yaml"),
        "--as-of",
        AS_OF,
        "--offer",
        OFFER,
        "--out",
        str(out),
        "--format",
        "json",
        *extra,
    ]
    for name in SOURCES:
        argv += ["--source", f"{name}={layout.path(data, name)}"]
    return argv


def run_cxaudit(
    data: Path, work: Path, extra: list[str], repeat: int, layout: Layout = Layout()
) -> Measured:
    measured = Measured("cxaudit")
    for _ in range(repeat):
        wall, usage, out = _run_usage(cxaudit_argv(data, work / "cx", extra, layout))
        shutil.rmtree(work / "cx")  # a 50M run writes gigabytes; the data stays
        measured.add(wall, usage)
        measured.suppressed = json.loads(out)["suppressed"]
    return measured


def duckdb_sql(data: Path, out: Path, layout: Layout = Layout()) -> str:
    sql = DUCKDB_SQL.replace("{out}", str(out)).replace("{as_of}", AS_OF)
    sql = sql.replace("{offer}", OFFER)
    for name in table_sizes(1):
        sql = sql.replace("{" + name + "}", layout.duckdb(data, name))
    return sql


def run_duckdb(
    data: Path, work: Path, repeat: int, layout: Layout = Layout()
) -> tuple[Measured, str]:
    measured = Measured("duckdb")
    version = ""
    for _ in range(repeat):
        (work / "dd").mkdir()
        sql = duckdb_sql(data, work / "dd", layout)
        wall, usage, out = _run_usage([sys.executable, "-c", DUCKDB_SCRIPT, sql])
        shutil.rmtree(work / "dd")
        version, count = out.split()
        measured.add(wall, usage)
        measured.suppressed = int(count)
    return measured, version


STARTUP_SCRIPT = """
import sys, time
t0 = time.perf_counter()
from cxaudit.engine import open_engine
t1 = time.perf_counter()
engine = open_engine(sys.argv[1], sys.argv[2] or None)
t2 = time.perf_counter()
engine.close()
print(t1 - t0, t2 - t1, time.perf_counter() - t2)
"""


def engine_startup(engine: str, scheduler: str | None, repeat: int) -> str:
    """The engine's start and close alone, in a fresh process (best of
    ``repeat``): a Dask run without --scheduler pays it once per run."""
    runs = [
        [
            float(x)
            for x in _run([sys.executable, "-c", STARTUP_SCRIPT, engine, scheduler or ""])[
                2
            ].split()
        ]
        for _ in range(repeat)
    ]
    imports, start, close = (min(r[i] for r in runs) for i in range(3))
    what = f"connecting to {scheduler}" if scheduler else "starting a LocalCluster"
    return (
        f"engine {engine} alone (fresh process, best of {repeat}): import cxaudit.engine "
        f"{imports:.2f} s, {what} (importing Dask too) {start:.2f} s, closing it {close:.2f} s"
    )


# --- data ------------------------------------------------------------------


def describe(sizes: dict[str, int]) -> str:
    return (
        f"{sizes['campaign']:,} recipients, {sizes['cases']:,} cases, "
        f"{sizes['contact_history']:,} history, {sizes['orders']:,} orders, "
        f"{sizes['consent']:,} consent rows"
    )


def _short(n: int) -> str:
    for unit, size in (("M", 1_000_000), ("k", 1_000)):
        if n >= size:
            text = f"{n / size:.1f}".removesuffix(".0")
            return f"{text}{unit}"
    return str(n)


def work_cell(sizes: dict[str, int], layout: Layout = Layout()) -> str:
    """The README's 'recipients (cases, history)', plus orders and consent
    when they are not the defaults for the list, and the parts if any."""
    n = sizes["campaign"]
    cell = f"{n:,} ({_short(sizes['cases'])}, {_short(sizes['contact_history'])})"
    default = table_sizes(n)
    for name in ("orders", "consent"):
        if sizes[name] != default[name]:
            cell += f", {name} {_short(sizes[name])}"
    return cell + layout.cell()


def _csv_rows(file: Path) -> int:
    lines = 0
    with open(file, "rb") as fh:
        while block := fh.read(1 << 22):
            lines += block.count(b"\n")
    return max(0, lines - 1)


def count_rows(folder: Path, layout: Layout = Layout()) -> dict[str, int]:
    """Data rows of each generated table, by counting lines (the generator
    writes no line breaks inside fields) or from Parquet footers: for
    folders without sizes.json."""
    counts = {}
    for name in table_sizes(1):
        path = layout.path(folder, name)
        if layout.parts is None:
            counts[name] = _csv_rows(path)
        elif layout.fmt == "parquet":
            import pyarrow.parquet as pq

            counts[name] = sum(
                pq.ParquetFile(p).metadata.num_rows for p in path.glob("part-*.parquet")
            )
        else:
            counts[name] = sum(_csv_rows(p) for p in path.glob("part-*.csv"))
    return counts


def wanted_layout(args: argparse.Namespace) -> Layout | None:
    """The layout asked for by --parts/--format (None: not asked)."""
    if args.parts is None and args.format is None:
        return None
    fmt = args.format or "csv"
    parts = args.parts if args.parts is not None else (None if fmt == "csv" else 1)
    return Layout(parts, fmt)


def prepare_data(args: argparse.Namespace, work: Path) -> tuple[Path, dict[str, int], Layout]:
    """The folder to benchmark, the sizes it holds and how: generated, or
    reused from --data when it holds what was asked for."""
    given = (args.recipients, args.cases, args.history, args.orders, args.consent)
    n = args.recipients if args.recipients is not None else DEFAULT_RECIPIENTS
    wanted = table_sizes(n, args.cases, args.history, args.orders, args.consent)
    asked = wanted_layout(args)
    data = args.data if args.data is not None else work / "data"
    found = read_layout(data) if args.data is not None else None
    if found is not None and not args.regenerate:
        layout = Layout(*found)
        missing = [name for name in wanted if not layout.path(data, name).exists()]
        if missing:
            raise SystemExit(
                f"--data {data}: has no {', '.join(m for m in missing)} ({layout}); "
                "pass --regenerate to generate the data there again, or another --data"
            )
        if asked is not None and asked != layout:
            raise SystemExit(
                f"--data {data}: holds {layout}, not {asked} as asked for. Pass --regenerate "
                "to overwrite it, another --data, or no --parts/--format to benchmark what "
                "it holds."
            )
        recorded = read_sizes(data)
        if recorded is not None:
            held, how = {name: recorded[name] for name in wanted}, SIZES_FILE
        else:
            held, how = count_rows(data, layout), f"counted rows: no {SIZES_FILE}"
        if all(v is None for v in given) or held == wanted:
            print(f"reusing {data}: {describe(held)} ({how}; {layout})")
            return data, held, layout
        diff = "; ".join(
            f"{name} {held[name]:,} (asked {wanted[name]:,})"
            for name in wanted
            if held[name] != wanted[name]
        )
        raise SystemExit(
            f"--data {data}: holds other sizes than asked for: {diff}. Pass --regenerate to "
            "overwrite it, another --data, or no size options to benchmark what it holds."
        )
    layout = asked or Layout()
    t0 = time.perf_counter()
    generate(
        wanted["campaign"],
        wanted["cases"],
        wanted["contact_history"],
        data,
        orders_rows=wanted["orders"],
        consent_rows=wanted["consent"],
        parts=layout.parts,
        fmt=layout.fmt,
    )
    kept = "" if args.data is not None else " (removed at exit; --data DIR keeps it)"
    print(
        f"generated {describe(wanted)} ({layout}) in {time.perf_counter() - t0:.1f} s "
        f"-> {data}{kept}"
    )
    return data, wanted, layout


# --- phases ----------------------------------------------------------------

# How a progress message is named as a phase: first match of its words (paths
# left out) wins; any other message is named by its first two words. Only the
# names depend on the wording: an unknown message is a phase of its own.
PHASE_NAMES = (
    (r"^read(?:ing)? source (\S+)", "source {0}"),
    (r"^read(?:ing)? rules", "rules"),
    (r"\bkeys?\b|\bduplicat", "duplicate keys"),
    (r"^read(?:ing)? (?:the )?campaign", "campaign"),
    (r"^(?:evaluat|match)", "evaluating"),
    (r"^(?:writ|sav)", "writing outputs"),
    (r"^compar", "baseline"),
    (r"^(?:done|finish)", "done"),
    (r"^start\w* (?:the )?engine", "engine start-up"),
    (r"^clos\w* (?:the )?engine", "engine shut-down"),
)

# Library calls timed besides the messages, where they exist (another
# engineer may rename them: a missing one is left out, never an error).
# (module, attribute path, phase)
PROBES = (
    ("cxaudit.audit.plan", "match_sources", "matching sources to rules"),
    ("cxaudit.audit.persons", "PersonFinder.finish", "finding persons"),
    ("cxaudit.pipeline", "OutputWriter.add", "writing rows"),
    ("cxaudit.pipeline", "Tally.add", "tallying report"),
    ("cxaudit.pipeline", "build_report", "building report"),
    ("cxaudit.pipeline", "render_markdown", "rendering report.md"),
    ("cxaudit.pipeline", "render_html", "rendering report.html"),
    ("cxaudit.pipeline", "OutputWriter.commit", "committing outputs"),
)


def classify(message: object) -> tuple[str, bool]:
    """(phase, whether the message starts it): "reading X" starts phase X,
    "read X: 5 rows" ends it. Never raises."""
    try:
        tokens = [t for t in str(message).lower().split() if "/" not in t and "\\" not in t]
        words = re.findall(r"[a-z][a-z0-9_'.-]*[a-z0-9_]|[a-z]", " ".join(tokens))
        text = " ".join(words)
        starts = bool(words) and words[0].endswith("ing")
        for pattern, name in PHASE_NAMES:
            found = re.search(pattern, text)
            if found:
                return name.format(*found.groups()), starts
        return " ".join(words[:2]) or "(no words)", starts
    except Exception:  # a benchmark must not fail on a message it does not know
        return "(unreadable message)", False


@dataclass
class Event:
    at: float
    thread: int  # 0: the thread that made the Recorder
    kind: str  # "message", "enter" or "exit"
    text: str
    rows: int = 0


class Recorder:
    """A cxaudit progress callback that records when each message came, and
    from which thread (sources load beside the campaign)."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._local = threading.local()
        self._lock = threading.Lock()
        self._threads = 0
        self._thread()  # this thread is thread 0
        self.start = time.perf_counter()
        self.end = self.start

    def _thread(self) -> int:
        serial = getattr(self._local, "serial", None)
        if serial is None:  # a thread-local serial: thread ids are reused
            with self._lock:
                serial = self._local.serial = self._threads
                self._threads += 1
        return serial

    def __call__(self, message: str, rows: int = 0) -> None:
        self.events.append(Event(time.perf_counter(), self._thread(), "message", message, rows))

    def mark(self, kind: str, phase: str) -> None:
        self.events.append(Event(time.perf_counter(), self._thread(), kind, phase))


@contextmanager
def probes(recorder: Recorder) -> Iterator[list[str]]:
    """Time the PROBES calls that exist; yields the phases probed."""
    undo: list[Callable[[], None]] = []
    found: list[str] = []
    try:
        for module_name, path, phase in PROBES:
            try:
                owner: Any = importlib.import_module(module_name)
                *parents, name = path.split(".")
                for parent in parents:
                    owner = getattr(owner, parent)
                original = getattr(owner, name)
            except (ImportError, AttributeError):
                continue
            if not callable(original):
                continue
            own = name in vars(owner)

            def probed(*a: Any, _f: Any = original, _p: str = phase, **kw: Any) -> Any:
                recorder.mark("enter", _p)
                try:
                    return _f(*a, **kw)
                finally:
                    recorder.mark("exit", _p)

            setattr(owner, name, functools.wraps(original)(probed))
            undo.append(
                functools.partial(setattr, owner, name, original)
                if own
                else functools.partial(delattr, owner, name)
            )
            found.append(phase)
        yield found
    finally:
        for step in reversed(undo):
            step()


@dataclass
class Span:
    phase: str
    thread: int
    start: float
    end: float
    rows: int = 0


def spans(recorder: Recorder) -> list[Span]:
    """Each thread's time cut at its events: from a message that starts a
    phase to the next event, that phase; from the message that ends it, "after
    <phase>" (work the audit does not announce), unless the next message ends
    a phase again (then the gap was that phase's). Probed calls nest. The
    main thread runs to the end; another thread's time after its last event
    is unknown and left out."""
    out: list[Span] = []
    threads = sorted({e.thread for e in recorder.events} | {0})
    for thread in threads:
        events = [e for e in recorder.events if e.thread == thread]
        current: str | None = "start" if thread == 0 else None
        last = recorder.start if thread == 0 else None
        started: set[str] = set()
        stack: list[str | None] = []
        for event in events:
            label, next_label, rows = current, current, 0
            if event.kind == "message":
                phase, starts = classify(event.text)
                rows = event.rows
                if starts:
                    started.add(phase)
                    next_label = phase
                else:
                    next_label = f"after {phase}"
                    if current is not None and not stack:
                        if current == phase or current.startswith("after "):
                            label = phase
                        elif phase in started:
                            label = f"{current} + {phase}"
            elif event.kind == "enter":
                stack.append(current)
                next_label = event.text
            else:
                next_label = stack.pop() if stack else None
            if label is not None and last is not None:
                out.append(Span(label, thread, last - recorder.start, event.at - recorder.start))
            if rows:
                phase = classify(event.text)[0]
                out.append(
                    Span(phase, thread, event.at - recorder.start, event.at - recorder.start, rows)
                )
            current, last = next_label, event.at
        if thread == 0 and current is not None and last is not None:
            out.append(Span(current, 0, last - recorder.start, recorder.end - recorder.start))
    return out


@dataclass
class Phase:
    phase: str
    thread: int
    start: float
    end: float
    busy: float = 0.0
    times: int = 0
    rows: int = 0


def phase_table(recorder: Recorder, width: int = 24) -> list[str]:
    """The timeline, one line per (phase, thread) in order of start."""
    grouped: dict[tuple[str, int], Phase] = {}
    for span in spans(recorder):
        key = (span.phase, span.thread)
        phase = grouped.setdefault(key, Phase(span.phase, span.thread, span.start, span.end))
        phase.start, phase.end = min(phase.start, span.start), max(phase.end, span.end)
        if span.rows:
            phase.rows += span.rows
        else:
            phase.busy += span.end - span.start
            phase.times += 1
    total = max(recorder.end - recorder.start, 1e-9)
    shown = [
        p
        for p in grouped.values()
        # gaps between announced steps that took no time are noise
        if not (p.phase.startswith("after ") and p.busy < 0.005 and not p.rows)
    ]
    lines = [f"  {'start':>7} {'end':>7} {'busy':>7}  {'thread':<6} {'timeline':<{width}}  phase"]
    for p in sorted(shown, key=lambda p: (p.start, p.thread, p.end)):
        first = min(width - 1, int(p.start / total * width))
        last = max(first + 1, min(width, round(p.end / total * width)))
        bar = " " * first + "#" * (last - first) + " " * (width - last)
        thread = "main" if p.thread == 0 else f"bg{p.thread}"
        extra = f" x{p.times}" if p.times > 1 else ""
        extra += f", {p.rows:,} rows" if p.rows else ""
        lines.append(
            f"  {p.start:7.3f} {p.end:7.3f} {p.busy:7.3f}  {thread:<6} {bar}  {p.phase}{extra}"
        )
    return lines


def _path_of(args: tuple[Any, ...]) -> Path | None:
    """The part a task works on: the first Path among its arguments and
    their ``path`` (a source's TableConfig) that names a generated table or
    part (not the rules file, which the rule set carries)."""
    tables = set(table_sizes(1))
    for arg in args:
        path = arg if isinstance(arg, Path) else getattr(arg, "path", None)
        if isinstance(path, Path) and (
            PART.match(path.name) or path.name.removesuffix(".csv") in tables
        ):
            return path
    return None


@dataclass
class Task:
    kind: str  # the function's name
    path: Path | None
    worker: str = ""
    start: float = 0.0  # compute, seconds since the epoch
    stop: float = 0.0

    @property
    def seconds(self) -> float:
        return self.stop - self.start


@contextmanager
def task_log(engine: Any) -> Iterator[list[Task]]:
    """The tasks a Dask engine ran while inside: each submitted task's
    function and part (by wrapping its client's submit), with its compute
    time from Dask's task stream (filled in on leaving). Nothing for an
    engine without a Dask client."""
    tasks: list[Task] = []
    client = getattr(engine, "client", None)
    if client is None:
        yield tasks
        return
    from distributed import get_task_stream

    submitted: dict[Any, Task] = {}
    original = client.submit

    def submit(func: Any, *args: Any, **kw: Any) -> Any:
        future = original(func, *args, **kw)
        # a wrapper's work is its first function argument (f(names, g, ...): g)
        work = next((a for a in args if isinstance(a, types.FunctionType)), func)
        submitted[future.key] = Task(getattr(work, "__name__", str(work)), _path_of(args))
        return future

    client.submit = submit
    try:
        with get_task_stream(client=client) as stream:
            yield tasks
    finally:
        del client.submit
    for record in stream.data:
        task = submitted.get(record.get("key"))
        for step in record.get("startstops", ()):
            if task is not None and step.get("action") == "compute":
                task.worker = str(record.get("worker", ""))
                task.start, task.stop = step["start"], step["stop"]
    tasks += [t for t in submitted.values() if t.stop]


def audit_in_process(
    data: Path,
    out: Path,
    chunk_rows: int,
    layout: Layout = Layout(),
    engine: str | None = None,
    scheduler: str | None = None,
) -> tuple[Recorder, int, list[str], list[Task]]:
    """The benchmark's audit run once more through the library, as the CLI
    builds it (cxaudit/cli/app.py ``audit``), with a Recorder as its progress;
    with ``engine``, on that engine (its start and close timed too)."""
    from dataclasses import replace

    from cxaudit.audit.plan import AuditRequest, resolve_as_of
    from cxaudit.pipeline import audit_to_folder

    request = AuditRequest(
        campaign=layout.path(data, "campaign"),
        rules=REPO / "rules.yaml",
        sources={name: layout.path(data, name) for name in SOURCES},
        as_of=AS_OF,
        offer=OFFER,
    )
    recorder = Recorder()
    runner: Any = None
    with probes(recorder) as probed:
        recorder.start = time.perf_counter()
        if engine is not None:
            from cxaudit.engine import open_engine

            recorder(f"starting engine {engine}")
            runner = open_engine(engine, scheduler)
            recorder(f"started engine {engine}")
        try:
            with task_log(runner) as tasks:
                request = replace(request, as_of=resolve_as_of(request).isoformat())
                if runner is None:
                    finished = audit_to_folder(request, out, recorder, chunk_rows)
                else:
                    finished = audit_to_folder(request, out, recorder, chunk_rows, engine=runner)
        finally:
            if runner is not None:
                recorder(f"closing engine {engine}")
                runner.close()
                recorder(f"closed engine {engine}")
        recorder.end = time.perf_counter()
    return recorder, finished.report["suppressed"], probed, tasks


def _part_rows(path: Path | None, sizes: dict[str, int], layout: Layout) -> tuple[str, int]:
    """(table, rows) of a task's part, from the generator's cut."""
    if path is None:
        return "", 0
    if layout.parts is not None and (found := PART.match(path.name)):
        name = path.parent.name
        cut = part_sizes(sizes.get(name, 0), layout.parts)
        index = int(found.group(1))
        return name, cut[index] if index < len(cut) else 0
    name = path.name.removesuffix(".csv")
    return name, sizes.get(name, 0)


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def task_table(tasks: list[Task], sizes: dict[str, int], layout: Layout) -> list[str]:
    """Each task kind's compute time on the workers; for the per-part ones,
    each table's rows per compute-second (one worker's throughput)."""
    if not tasks:
        return []
    t0 = min(t.start for t in tasks)
    workers = len({t.worker for t in tasks})
    lines = [
        f"tasks on the cluster ({len(tasks)} on {workers} worker(s); compute time from Dask's "
        "task stream; start/end: seconds from the first task's start)",
        f"  {'tasks':>5} {'sum s':>8} {'median':>7} {'max':>7} {'start':>7} {'end':>7}  kind",
    ]
    kinds: dict[str, list[Task]] = {}
    for task in tasks:
        kinds.setdefault(task.kind, []).append(task)
    for kind, group in sorted(kinds.items(), key=lambda kv: min(t.start for t in kv[1])):
        secs = [t.seconds for t in group]
        lines.append(
            f"  {len(group):5d} {sum(secs):8.2f} {_median(secs):7.2f} {max(secs):7.2f} "
            f"{min(t.start for t in group) - t0:7.2f} {max(t.stop for t in group) - t0:7.2f}"
            f"  {kind}"
        )
    per: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for task in tasks:
        name, rows = _part_rows(task.path, sizes, layout)
        if name and rows and task.kind in ("_digest_part", "_list_keys", "_decide_part"):
            per.setdefault((task.kind, name), []).append((rows, task.seconds))
    if per:
        lines.append("  per part: rows / compute seconds (one worker's throughput on one part)")
        lines.append(
            f"  {'parts':>5} {'rows':>13} {'sum s':>8} {'rows/s':>12} {'part min':>10} "
            f"{'median':>10}  kind table"
        )
        for (kind, name), got in sorted(per.items()):
            rows = sum(r for r, _ in got)
            secs = sum(s for _, s in got)
            rates = [r / s for r, s in got if s > 0]
            lines.append(
                f"  {len(got):5d} {rows:13,} {secs:8.2f} {rows / max(secs, 1e-9):12,.0f} "
                f"{min(rates, default=0):10,.0f} {_median(rates) if rates else 0:10,.0f}"
                f"  {kind} {name}"
            )
    return lines


def import_times(repeat: int) -> list[str]:
    """Start-up in fresh processes: the interpreter alone, import
    cxaudit.pipeline, then cxaudit.cli.main on top; and the heaviest packages."""
    bare = min(_run([sys.executable, "-c", "pass"])[0] for _ in range(repeat))
    runs = [_run([sys.executable, "-c", IMPORT_SCRIPT])[2].split() for _ in range(repeat)]
    pipeline = min(float(r[0]) for r in runs)
    cli = min(float(r[1]) for r in runs)
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import cxaudit.pipeline, cxaudit.cli.main"],
        capture_output=True,
        text=True,
        check=False,
    )
    heavy: list[tuple[int, str]] = []
    for line in proc.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            name = parts[2].strip()
            if "." not in name and not name.startswith("_") and name not in ("site", "cxaudit"):
                heavy.append((int(parts[1]), name))
    heavy.sort(reverse=True)
    top = ", ".join(f"{name} {us / 1e6:.2f} s" for us, name in heavy[:6])
    return [
        f"imports (fresh process, best of {repeat}): python start {bare:.2f} s; "
        f"import cxaudit.pipeline {pipeline:.2f} s; then cxaudit.cli.main {cli:.2f} s",
        f"heaviest top-level packages (-X importtime, cumulative): {top or 'n/a'}",
    ]


def print_phases(
    data: Path,
    work: Path,
    chunk_rows: int,
    cli: Measured,
    repeat: int,
    sizes: dict[str, int] | None = None,
    layout: Layout = Layout(),
    engine: str | None = None,
    scheduler: str | None = None,
) -> int | None:
    """Print the phase timeline; the in-process run's suppressed count (None
    if it failed: the figures above stand, the reason is printed)."""
    print()
    print("phases: the same audit in-process (cxaudit.pipeline.audit_to_folder), timed by its")
    print("progress messages; sources load beside the campaign, so phases overlap: read the")
    print("offsets (seconds from the start), not a sum of the durations")
    try:
        recorder, suppressed, probed, tasks = audit_in_process(
            data, work / "phases", chunk_rows, layout, engine, scheduler
        )
    except Exception as exc:  # the internals are being changed as this runs
        print(f"phases: the in-process run failed: {type(exc).__name__}: {exc}")
        return None
    finally:
        shutil.rmtree(work / "phases", ignore_errors=True)
    for line in phase_table(recorder):
        print(line)
    for line in task_table(tasks, sizes or {}, layout):
        print(line)
    total = recorder.end - recorder.start
    print(
        f"total {total:.3f} s in-process, {len(recorder.events)} events (probed calls: "
        f"{len(probed)} of {len(PROBES)}); the CLI run took {cli.best:.2f} s with start-up, "
        "imports and printing (timed apart: noise shows in the difference)"
    )
    for line in import_times(repeat):
        print(line)
    return suppressed


# --- main ------------------------------------------------------------------


def chunk_rows_of(extra: list[str]) -> int:
    """--chunk-size among the extra cxaudit options, for the in-process run."""
    for i, arg in enumerate(extra):
        if arg == "--chunk-size" and i + 1 < len(extra):
            return int(extra[i + 1])
        if arg.startswith("--chunk-size="):
            return int(arg.partition("=")[2])
    return CHUNK_ROWS


def summary(
    sizes: dict[str, int],
    tools: list[Measured],
    duckdb: Measured | None,
    layout: Layout = Layout(),
) -> list[str]:
    """One Markdown table row per tool, for benchmarks/RESULTS.md."""
    repeat = len(tools[0].walls)
    time_head = f"time (best of {repeat})" if repeat > 1 else "time"
    lines = [
        f"| tool | recipients (cases, history) | {time_head} | peak RSS | ratio to DuckDB |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for tool in tools:
        ratio = f"{tool.best / duckdb.best:.2f}" if duckdb is not None else "not run"
        lines.append(
            f"| {tool.tool} | {work_cell(sizes, layout)} | {tool.best:.2f} s | "
            f"{tool.peak / 2**20:,.0f} MiB | {ratio} |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--recipients",
        type=int,
        default=None,
        help=f"default: {DEFAULT_RECIPIENTS:,} (with --data: what it holds)",
    )
    parser.add_argument("--cases", type=int, default=None, help="default: = recipients")
    parser.add_argument("--history", type=int, default=None, help="default: 2 x recipients")
    parser.add_argument("--orders", type=int, default=None, help="default: recipients / 2")
    parser.add_argument("--consent", type=int, default=None, help="default: recipients / 10")
    parser.add_argument(
        "--data", type=Path, default=None, help="generate the data here once and reuse it"
    )
    parser.add_argument(
        "--regenerate",
        action="store_true",
        help="with --data: generate it again even if it is there",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        metavar="N",
        help="run each tool N times: best time, largest peak RSS",
    )
    parser.add_argument(
        "--phases", action="store_true", help="then print where cxaudit's time went"
    )
    parser.add_argument(
        "--parts",
        type=int,
        default=None,
        metavar="N",
        help="generate every table as a folder of N parts (default: one CSV file each)",
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="of the parts: csv (default) or parquet (parquet alone: --parts 1)",
    )
    parser.add_argument(
        "--engine",
        default=None,
        metavar="NAME",
        help="pass --engine NAME to cxaudit (local or dask; default: cxaudit's)",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="with --engine dask: pass --scheduler ADDRESS (default: a LocalCluster per run)",
    )
    parser.add_argument("--skip-duckdb", action="store_true")
    parser.add_argument("cxaudit_args", nargs="*", help="extra cxaudit options after --")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be 1 or more")
    if args.parts is not None and args.parts < 1:
        parser.error("--parts must be 1 or more")
    if args.scheduler is not None and args.engine != "dask":
        parser.error("--scheduler needs --engine dask")
    extra = list(args.cxaudit_args)
    if args.engine is not None:
        extra += ["--engine", args.engine]
    if args.scheduler is not None:
        extra += ["--scheduler", args.scheduler]
    if not args.skip_duckdb and importlib.util.find_spec("duckdb") is None:
        parser.error("duckdb is not installed: pip install -e '.[bench]', or pass --skip-duckdb")

    work = Path(tempfile.mkdtemp(prefix="cxbench-"))
    try:
        data, sizes, layout = prepare_data(args, work)
        n = sizes["campaign"]
        cx = run_cxaudit(data, work, extra, args.repeat, layout)
        print(cx.line(n))
        if args.engine not in (None, "local"):
            print(engine_startup(args.engine, args.scheduler, args.repeat))
        tools = [cx]
        duckdb: Measured | None = None
        status = 0
        if not args.skip_duckdb:
            duckdb, version = run_duckdb(data, work, args.repeat, layout)
            print(duckdb.line(n))
            duckdb.tool = f"DuckDB {version}"
            agree = "agree" if duckdb.suppressed == cx.suppressed else "DISAGREE"
            print(f"ratio cxaudit/duckdb {cx.best / duckdb.best:.2f}; suppressed counts {agree}")
            status = 0 if agree == "agree" else 1
            tools.append(duckdb)
        if args.phases:
            if [a for a in args.cxaudit_args if not a.startswith("--chunk-size")]:
                print("(the in-process run takes only --chunk-size from the extra options)")
            suppressed = print_phases(
                data,
                work,
                chunk_rows_of(args.cxaudit_args),
                cx,
                args.repeat,
                sizes,
                layout,
                args.engine,
                args.scheduler,
            )
            if suppressed is None:
                status = status or 1
            elif suppressed != cx.suppressed:
                print(
                    f"phases: the in-process run suppressed {suppressed:,}, the CLI "
                    f"{cx.suppressed:,}"
                )
                status = status or 1
        try:
            from importlib.metadata import version as package_version

            cx.tool = f"cxaudit {package_version('cxaudit')}"
            if args.engine is not None:
                cx.tool += f" ({args.engine})"
        except Exception:
            pass
        print()
        for line in summary(sizes, tools, duckdb, layout):
            print(line)
        return status
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
