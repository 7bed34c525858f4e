"""Generate benchmark data: N recipients, M support cases, K contact-history
rows (plus orders, consent and a seed list), shaped like the sample data and
overlapping the way real lists do. Deterministic for a given seed.

    python -m benchmarks.generate --recipients 1000000 --cases 1000000 \\
        --history 2000000 --out /tmp/cxbench

Tables are written a million rows at a time, so a 50,000,000-row list can be
generated on a laptop (give it the 1M run's sources with --cases 1000000
--history 2000000 --orders 500000 --consent 100000).

``--parts N`` writes every table as a folder of N parts instead of one file
(``campaign/part-00000.csv`` ...; a table of fewer than N rows gets one part
per row), the way Spark and Dask export tables, so a cluster has partitions
to spread; ``--format parquet`` writes the parts as Parquet (every column a
string, one row group per million-row block or less). The rows are the same
whatever the layout: the parts joined in name order are the single file.

    python -m benchmarks.generate --recipients 1000000 --history 20000000 \\
        --parts 20 --format parquet --out /tmp/cxbench-parts
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

AS_OF = pd.Timestamp("2026-11-20T00:00:00Z")
PRODUCTS = np.array(["Aurora X2", "Aurora Lite", "Nimbus Router", "Nimbus Mesh", "Fiber 1G"])
STATUSES = np.array(["new", "open", "pending", "hold", "solved", "closed"])
PRIORITIES = np.array(["low", "normal", "high", "urgent", ""])
CITIES = np.array(["Boston", "New York", "Chicago", "Seattle", "Austin", "Washington, D.C."])
FIRST = np.array(["Ann", "Ben", "Carla", "Dev", "Elif", "José", "Zoë", "NA", "Null", "Łukasz"])


def _s(values: np.ndarray) -> pd.Series:
    return pd.Series(values, dtype=object)


def _emails(idx: np.ndarray) -> pd.Series:
    return "p" + _s(idx.astype(str)) + "@example.com"


def _times(rng: np.random.Generator, n: int, days: float, fmt: str) -> pd.Series:
    seconds = rng.uniform(0, days * 86400, n)
    moments = AS_OF.tz_localize(None) - pd.to_timedelta(seconds, unit="s")
    return pd.Series(moments).dt.strftime(fmt)


SIZES_FILE = "sizes.json"  # the row counts of a generated folder, written last
FORMATS = ("csv", "parquet")
PART = re.compile(r"^part-(\d+)\.(csv|parquet)$")


def table_sizes(
    n: int,
    m: int | None = None,
    k: int | None = None,
    orders_rows: int | None = None,
    consent_rows: int | None = None,
) -> dict[str, int]:
    """The rows of each table for these options (None: the default)."""
    return {
        "campaign": n,
        "cases": m or n,
        "orders": orders_rows or max(1, n // 2),
        "consent": consent_rows or max(1, n // 10),
        "contact_history": k or 2 * n,
        "seed_list": min(n, 50),
    }


def read_sizes(folder: Path) -> dict[str, int] | None:
    """The sizes a generated folder says it holds (None: no or unreadable
    sizes.json, e.g. generation was interrupted or predates it)."""
    try:
        data = json.loads((folder / SIZES_FILE).read_text())
        return {name: int(data["tables"][name]) for name in table_sizes(1)} | {
            "seed": int(data["seed"])
        }
    except (OSError, ValueError, KeyError, TypeError):
        return None


def part_sizes(rows: int, parts: int) -> list[int]:
    """The rows of each part when ``rows`` are cut into ``parts`` (fewer
    when there are fewer rows: no part is empty)."""
    count = max(1, min(parts, rows))
    bounds = [rows * i // count for i in range(count + 1)]
    return [b - a for a, b in itertools.pairwise(bounds)]


def table_path(folder: Path, name: str, parts: int | None, fmt: str = "csv") -> Path:
    """Where a table is: ``name.csv``, or the folder ``name`` of its parts."""
    return folder / f"{name}.csv" if parts is None else folder / name


def read_layout(folder: Path) -> tuple[int | None, str] | None:
    """(parts, format) of a generated folder: parts None for one CSV file per
    table. From sizes.json, else from what is there; None: no campaign."""
    try:
        data = json.loads((folder / SIZES_FILE).read_text())
        parts, fmt = data.get("parts"), data.get("format", "csv")
        known = (parts is None or isinstance(parts, int)) and fmt in FORMATS
        if known and table_path(folder, "campaign", parts, fmt).exists():
            return parts, fmt
    except (OSError, ValueError, AttributeError):
        pass
    if (folder / "campaign.csv").is_file():
        return None, "csv"
    if (folder / "campaign").is_dir():
        found = [m for f in (folder / "campaign").iterdir() if (m := PART.match(f.name))]
        if found:
            return len(found), found[0].group(2)
    return None


def _write(
    frames: Iterator[pd.DataFrame], path: Path, rows: int, parts: int | None, fmt: str
) -> None:
    """Consecutive blocks of a table's rows, to one CSV file or cut into parts."""
    if parts is None:
        for stale in path.with_suffix("").glob("part-*"):  # another layout's parts
            stale.unlink()
        with open(path, "w", encoding="utf-8", newline="") as fh:
            for i, frame in enumerate(frames):
                frame.to_csv(fh, index=False, header=i == 0, lineterminator="\n")
        return
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.with_suffix(".csv").unlink(missing_ok=True)  # the single-file layout's
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("part-*"):
        stale.unlink()
    sizes = part_sizes(rows, parts)
    number, left = 0, sizes[0]
    writer: Any = None

    def open_part() -> Any:
        name = path / f"part-{number:05d}.{fmt}"
        if fmt == "parquet":
            return pq.ParquetWriter(name, schema)
        return open(name, "w", encoding="utf-8", newline="")

    schema: Any = None
    for frame in frames:
        if schema is None:
            schema = pa.schema([(c, pa.string()) for c in frame.columns])
        while len(frame):
            piece, frame = frame.iloc[:left], frame.iloc[left:]
            if writer is None:
                writer, header = open_part(), True
            if fmt == "parquet":
                writer.write_table(pa.Table.from_pandas(piece, schema, preserve_index=False))
            else:
                piece.to_csv(writer, index=False, header=header, lineterminator="\n")
            header = False
            left -= len(piece)
            if left == 0:
                writer.close()
                writer, number = None, number + 1
                left = sizes[number] if number < len(sizes) else 0
    if writer is not None:
        writer.close()


BLOCK = 1_000_000  # rows generated and written at a time, so any size fits in memory
AREAS = np.array(["617", "212", "312", "415", "206", "503", "720"])


def _phones(idx: np.ndarray) -> pd.Series:
    """Unique, valid North American numbers for up to 56M people: seven area
    codes, seven-digit local numbers from 200-0000 upwards."""
    return _s(AREAS[idx % len(AREAS)]) + _s((idx // len(AREAS) + 2_000_000).astype(str))


def generate(
    n: int,
    m: int,
    k: int,
    out: Path,
    seed: int = 20261120,
    orders_rows: int | None = None,
    consent_rows: int | None = None,
    parts: int | None = None,
    fmt: str = "csv",
) -> dict[str, Path]:
    """Write the tables block by block; each block draws from its own
    generator (seeded by seed, table and block), so the output is the same
    for a given seed whatever the machine. ``sizes.json`` in ``out`` records
    the row counts, seed and layout, so the benchmark can tell what a folder
    holds. ``parts``: each table as a folder of that many parts (None: one
    CSV file); ``fmt``: the parts' format, csv or parquet."""
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r}: use one of {', '.join(FORMATS)}")
    if parts is not None and parts < 1:
        raise ValueError("parts must be 1 or more")
    if parts is None and fmt != "csv":
        parts = 1  # Parquet is written as parts
    out.mkdir(parents=True, exist_ok=True)
    # sizes.json goes last: a folder whose generation stopped half-way has none.
    (out / SIZES_FILE).unlink(missing_ok=True)
    sizes = table_sizes(n, m, k, orders_rows, consent_rows)
    rng = np.random.default_rng(seed)
    # Rows that repeat the next person's email (upper-cased), and rows with
    # no usable key at all: chosen over the whole list, applied per block.
    dup = np.sort(rng.choice(n, size=max(1, n // 1000), replace=False))
    blank = np.sort(rng.choice(n, size=max(1, n // 2000), replace=False))

    def campaign(r: np.random.Generator, idx: np.ndarray) -> pd.DataFrame:
        size = len(idx)
        frame = pd.DataFrame(
            {
                "customer_id": "CUS-" + _s((idx + 100000).astype(str)),
                "email": _emails(idx),
                "first_name": r.choice(FIRST, size),
                "last_name": "Smith",
                "phone": _phones(idx).where(r.random(size) < 0.7, ""),
                "zip": _s(r.integers(0, 100000, size)).astype(str).str.zfill(5),
                "city": r.choice(CITIES, size),
                "loyalty_tier": r.choice(np.array(["bronze", "silver", "gold", ""]), size),
            }
        )
        mine = dup[(dup >= idx[0]) & (dup <= idx[-1])]
        frame.loc[mine - idx[0], "email"] = _emails((mine + 1) % n).str.upper().to_numpy()
        mine = blank[(blank >= idx[0]) & (blank <= idx[-1])]
        frame.loc[mine - idx[0], ["customer_id", "email", "phone"]] = ""
        return frame

    def cases(r: np.random.Generator, idx: np.ndarray) -> pd.DataFrame:
        size = len(idx)
        who = r.integers(0, int(n * 1.4), size)  # ~70% of cases belong to recipients
        by_email = r.random(size) < 0.5
        status = r.choice(STATUSES, size, p=[0.05, 0.1, 0.05, 0.02, 0.38, 0.4])
        closed = np.isin(status, ["solved", "closed"])
        return pd.DataFrame(
            {
                "Id": _s(idx + 1000000).astype(str),
                "Requester": "Customer " + _s(who.astype(str)),
                "Requester external id": ("CUS-" + _s((who + 100000).astype(str))).where(
                    ~by_email, ""
                ),
                "Requester email": _emails(who).where(by_email, ""),
                "Group": r.choice(np.array(["Support", "Tier 2", "Billing"]), size),
                "Subject": r.choice(
                    np.array(["Phone dead", "Router drops", "Refund", "=HYPERLINK(1)"]), size
                ),
                "Tags": "device web",
                "Status": status,
                "Priority": r.choice(PRIORITIES, size, p=[0.3, 0.4, 0.15, 0.05, 0.1]),
                "Via": "Web form",
                "Created at": _times(r, size, 400, "%Y-%m-%d %H:%M:%S"),
                "Updated at": _times(r, size, 30, "%Y-%m-%d %H:%M:%S"),
                "Solved at": _times(r, size, 60, "%Y-%m-%d %H:%M:%S").where(closed, ""),
                "Product [list]": r.choice(PRODUCTS, size),
            }
        )

    def history(r: np.random.Generator, idx: np.ndarray) -> pd.DataFrame:
        size = len(idx)
        return pd.DataFrame(
            {
                "email": _emails(r.integers(0, n, size)),
                "channel": r.choice(np.array(["email", "sms"]), size, p=[0.8, 0.2]),
                "campaign": "Weekly digest",
                "sent_at": _times(r, size, 30, "%Y-%m-%dT%H:%M:%SZ"),
            }
        )

    def orders(r: np.random.Generator, idx: np.ndarray) -> pd.DataFrame:
        size = len(idx)
        return pd.DataFrame(
            {
                "Name": "#" + _s((idx + 1001).astype(str)),
                "Email": _emails(r.integers(0, n, size)),
                "Financial Status": "paid",
                "Fulfillment Status": r.choice(
                    np.array(["fulfilled", "unfulfilled", "partial"]), size, p=[0.85, 0.1, 0.05]
                ),
                "Created at": _times(r, size, 200, "%Y-%m-%d %H:%M:%S -0500"),
                "Lineitem name": r.choice(PRODUCTS, size),
            }
        )

    def consent(r: np.random.Generator, idx: np.ndarray) -> pd.DataFrame:
        size = len(idx)
        who = r.integers(0, n, size)
        sms = r.random(size) < 0.6
        return pd.DataFrame(
            {
                "email": _emails(who).where(~sms, ""),
                "phone": _phones(who).where(sms, ""),
                "channel": np.where(sms, "sms", "email"),
                "status": r.choice(np.array(["opted_out", "opted_in", "unsubscribed"]), size),
                "updated_at": _times(r, size, 300, "%Y-%m-%dT%H:%M:%SZ"),
            }
        )

    def seeds(r: np.random.Generator, idx: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame({"email": _emails(idx), "owner": "QA", "purpose": "proof"})

    paths = {}
    makers = (campaign, cases, orders, consent, history, seeds)
    for number, ((name, rows), make) in enumerate(zip(sizes.items(), makers, strict=True)):
        paths[name] = table_path(out, name, parts, fmt)
        frames = (
            make(
                np.random.default_rng([seed, number, block]),
                np.arange(start, min(rows, start + BLOCK)),
            )
            for block, start in enumerate(range(0, rows, BLOCK))
        )
        _write(frames, paths[name], rows, parts, fmt)
    layout = {"parts": parts, "format": fmt}
    (out / SIZES_FILE).write_text(
        json.dumps({"tables": sizes, "seed": seed, **layout}, indent=2) + "\n"
    )
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--cases", type=int, default=None, help="default: = recipients")
    parser.add_argument("--history", type=int, default=None, help="default: 2 x recipients")
    parser.add_argument("--orders", type=int, default=None, help="default: recipients / 2")
    parser.add_argument("--consent", type=int, default=None, help="default: recipients / 10")
    parser.add_argument("--seed", type=int, default=20261120)
    parser.add_argument(
        "--parts", type=int, default=None, metavar="N", help="every table as a folder of N parts"
    )
    parser.add_argument(
        "--format", choices=FORMATS, default="csv", help="of the parts (parquet implies --parts 1)"
    )
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.parts is not None and args.parts < 1:
        parser.error("--parts must be 1 or more")
    n = args.recipients
    generate(
        n,
        args.cases or n,
        args.history or 2 * n,
        args.out,
        args.seed,
        args.orders,
        args.consent,
        args.parts,
        args.format,
    )


if __name__ == "__main__":
    main()
