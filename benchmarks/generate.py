"""Generate benchmark data: N recipients, M support cases, K contact-history
rows (plus orders, consent and a seed list), shaped like the sample data and
overlapping the way real lists do. Deterministic for a given seed.

    python -m benchmarks.generate --recipients 1000000 --cases 1000000 \\
        --history 2000000 --out /tmp/cxbench

Tables are written a million rows at a time, so a 50,000,000-row list can be
generated on a laptop (give it the 1M run's sources with --cases 1000000
--history 2000000 --orders 500000 --consent 100000).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

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
) -> dict[str, Path]:
    """Write the tables block by block; each block draws from its own
    generator (seeded by seed, table and block), so the output is the same
    for a given seed whatever the machine. ``sizes.json`` in ``out`` records
    the row counts and seed, so the benchmark can tell what a folder holds."""
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
        paths[name] = out / f"{name}.csv"
        with open(paths[name], "w", encoding="utf-8", newline="") as fh:
            for block, start in enumerate(range(0, rows, BLOCK)):
                r = np.random.default_rng([seed, number, block])
                frame = make(r, np.arange(start, min(rows, start + BLOCK)))
                frame.to_csv(fh, index=False, header=block == 0, lineterminator="\n")
    (out / SIZES_FILE).write_text(json.dumps({"tables": sizes, "seed": seed}, indent=2) + "\n")
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--cases", type=int, default=None, help="default: = recipients")
    parser.add_argument("--history", type=int, default=None, help="default: 2 x recipients")
    parser.add_argument("--orders", type=int, default=None, help="default: recipients / 2")
    parser.add_argument("--consent", type=int, default=None, help="default: recipients / 10")
    parser.add_argument("--seed", type=int, default=20261120)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    n = args.recipients
    generate(
        n, args.cases or n, args.history or 2 * n, args.out, args.seed, args.orders, args.consent
    )


if __name__ == "__main__":
    main()
