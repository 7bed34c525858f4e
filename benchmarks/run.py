"""Benchmark cxaudit against the yardstick a data engineer would reach for:
the same suppression logic as one DuckDB SQL query over the same CSVs.

    pip install -e '.[bench]'
    python -m benchmarks.run --recipients 100000
    python -m benchmarks.run --recipients 1000000 --cases 1000000 --history 2000000

Prints, for each tool: wall time (process start to exit, imports included),
rows per second and peak RSS; then the ratio cxaudit / DuckDB and whether the
two agree on how many recipients to suppress. Both run as fresh processes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.generate import generate

REPO = Path(__file__).resolve().parent.parent
AS_OF = "2026-11-20"
OFFER = "Aurora X2"

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
  FROM read_csv('{d}/campaign.csv', all_varchar = true, header = true);

CREATE TABLE decision AS
WITH
rk AS (
  SELECT rn, k FROM (
    SELECT rn, norm_id(customer_id) AS k FROM r UNION ALL
    SELECT rn, norm_email(email) FROM r UNION ALL
    SELECT rn, norm_phone(phone) FROM r) WHERE k IS NOT NULL),
firsts AS (SELECT k, min(rn) AS first_rn FROM rk GROUP BY k),
dup AS (SELECT DISTINCT rk.rn FROM rk JOIN firsts USING (k) WHERE firsts.first_rn < rk.rn),
keyed AS (SELECT DISTINCT rn FROM rk),
auditable AS (SELECT rk.rn, rk.k FROM rk ANTI JOIN dup USING (rn)),
cases AS (
  SELECT row_number() OVER () AS sr, lower(trim("Status")) AS status,
         lower(trim("Priority")) AS priority, lower(trim("Product [list]")) AS product,
         ts("Solved at") AS closed_at, "Requester external id" AS cid, "Requester email" AS em
  FROM read_csv('{d}/cases.csv', all_varchar = true, header = true)),
case_keys AS (
  SELECT sr, k FROM (SELECT sr, norm_id(cid) AS k FROM cases UNION ALL
                     SELECT sr, norm_email(em) FROM cases) WHERE k IS NOT NULL),
hist AS (
  SELECT row_number() OVER () AS sr, norm_email(email) AS k, lower(trim(channel)) AS channel,
         ts(sent_at) AS sent_at
  FROM read_csv('{d}/contact_history.csv', all_varchar = true, header = true)),
consent_rows AS (
  SELECT row_number() OVER () AS sr, email, phone,
         lower(trim(channel)) AS channel, lower(trim(status)) AS status
  FROM read_csv('{d}/consent.csv', all_varchar = true, header = true)),
consent AS (
  SELECT sr, k, channel, status FROM (
    SELECT sr, norm_email(email) AS k, channel, status FROM consent_rows UNION ALL
    SELECT sr, norm_phone(phone), channel, status FROM consent_rows) WHERE k IS NOT NULL),
seeds AS (SELECT norm_email(email) AS k
          FROM read_csv('{d}/seed_list.csv', all_varchar = true, header = true)),
hits AS (
  SELECT DISTINCT a.rn, 1 AS ord, 'open-severe-case' AS rule, 'suppress' AS action
    FROM auditable a JOIN case_keys ck ON a.k = ck.k JOIN cases c ON c.sr = ck.sr
    WHERE c.status IN ('new', 'open', 'pending', 'hold') AND c.priority IN ('high', 'urgent')
  UNION ALL
  SELECT DISTINCT a.rn, 2, 'case-cooling-off', 'suppress'
    FROM auditable a JOIN case_keys ck ON a.k = ck.k JOIN cases c ON c.sr = ck.sr
    WHERE c.status IN ('solved', 'closed')
      AND c.closed_at BETWEEN TIMESTAMPTZ '{as_of}' - INTERVAL 14 DAY AND TIMESTAMPTZ '{as_of}'
  UNION ALL
  SELECT DISTINCT a.rn, 3, 'open-case-about-offer', 'suppress'
    FROM auditable a JOIN case_keys ck ON a.k = ck.k JOIN cases c ON c.sr = ck.sr
    WHERE c.status IN ('new', 'open', 'pending', 'hold') AND c.product = lower('{offer}')
  UNION ALL
  SELECT a.rn, 4, 'frequency-cap', 'suppress'
    FROM auditable a JOIN hist h ON a.k = h.k
    WHERE h.channel = 'email'
      AND h.sent_at BETWEEN TIMESTAMPTZ '{as_of}' - INTERVAL 7 DAY AND TIMESTAMPTZ '{as_of}'
    GROUP BY a.rn HAVING count(DISTINCT h.sr) >= 3
  UNION ALL
  SELECT DISTINCT a.rn, 5, 'email-unsubscribed', 'suppress'
    FROM auditable a JOIN consent c ON a.k = c.k
    WHERE c.channel = 'email' AND c.status IN ('opted_out', 'unsubscribed')
  UNION ALL
  SELECT DISTINCT a.rn, 0, 'internal-seed-list', 'allow' FROM auditable a JOIN seeds s ON a.k = s.k
  UNION ALL
  SELECT DISTINCT a.rn, 6, 'open-minor-case', 'flag'
    FROM auditable a JOIN case_keys ck ON a.k = ck.k JOIN cases c ON c.sr = ck.sr
    WHERE c.status IN ('new', 'open', 'pending', 'hold') AND c.priority IN ('low', 'normal', '')),
allowed AS (SELECT DISTINCT rn FROM hits WHERE action = 'allow'),
sup AS (
  SELECT rn, string_agg(rule, ';' ORDER BY ord) AS rules
  FROM (SELECT * FROM hits WHERE action = 'suppress') ANTI JOIN allowed USING (rn) GROUP BY rn)
SELECT r.rn,
       CASE WHEN keyed.rn IS NULL THEN 'cxaudit:unverifiable'
            WHEN dup.rn IS NOT NULL THEN 'cxaudit:duplicate'
            ELSE sup.rules END AS cxaudit_rules
FROM r LEFT JOIN keyed USING (rn) LEFT JOIN dup USING (rn) LEFT JOIN sup USING (rn);

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
print(con.execute("SELECT count(*) FROM decision WHERE cxaudit_rules IS NOT NULL").fetchone()[0])
"""


def _run(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, int, str]:
    """Run a fresh process; wall seconds, peak RSS in bytes, stdout."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    out = proc.stdout.read().decode()
    err = proc.stderr.read().decode()
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{argv[:3]} failed ({proc.returncode}):\n{err[-2000:]}")
    return wall, usage.ru_maxrss * 1024, out


def cxaudit_argv(data: Path, out: Path, extra: list[str]) -> list[str]:
    sources = ["cases", "orders", "consent", "contact_history", "seed_list"]
    argv = [
        sys.executable,
        "-m",
        "cxaudit",
        "audit",
        str(data / "campaign.csv"),
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
    for name in sources:
        argv += ["--source", f"{name}={data / (name + '.csv')}"]
    return argv


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--cases", type=int, default=None, help="default: = recipients")
    parser.add_argument("--history", type=int, default=None, help="default: 2 x recipients")
    parser.add_argument("--data", type=Path, default=None, help="reuse generated data here")
    parser.add_argument("--skip-duckdb", action="store_true")
    parser.add_argument("cxaudit_args", nargs="*", help="extra cxaudit options after --")
    args = parser.parse_args()
    n = args.recipients
    m, k = args.cases or n, args.history or 2 * n
    work = Path(tempfile.mkdtemp(prefix="cxbench-"))
    data = args.data or work / "data"
    if not (data / "campaign.csv").exists():
        t0 = time.perf_counter()
        generate(n, m, k, data)
        print(
            f"generated {n:,} recipients, {m:,} cases, {k:,} history rows in "
            f"{time.perf_counter() - t0:.1f} s -> {data}"
        )

    import json

    wall, rss, out = _run(cxaudit_argv(data, work / "cx", args.cxaudit_args))
    report = json.loads(out)
    shutil.rmtree(work / "cx")  # a 50M run writes gigabytes; the data stays
    print(
        f"cxaudit  {wall:7.2f} s  {n / wall:>12,.0f} rows/s  peak RSS {rss / 2**20:7.0f} MiB"
        f"  suppressed {report['suppressed']:,}"
    )
    if args.skip_duckdb:
        return
    (work / "dd").mkdir()
    sql = (
        DUCKDB_SQL.replace("{d}", str(data))
        .replace("{out}", str(work / "dd"))
        .replace("{as_of}", AS_OF)
        .replace("{offer}", OFFER)
    )
    dwall, drss, dout = _run([sys.executable, "-c", DUCKDB_SCRIPT, sql])
    print(
        f"duckdb   {dwall:7.2f} s  {n / dwall:>12,.0f} rows/s  peak RSS {drss / 2**20:7.0f} MiB"
        f"  suppressed {int(dout):,}"
    )
    agree = "agree" if int(dout) == report["suppressed"] else "DISAGREE"
    print(f"ratio cxaudit/duckdb {wall / dwall:.2f}; suppressed counts {agree}")
    shutil.rmtree(work / "dd")


if __name__ == "__main__":
    main()
