"""Generate benchmark data: N recipients, M support cases, K contact-history
rows (plus orders, consent and a seed list), shaped like the sample data and
overlapping the way real lists do. Deterministic for a given seed.

    python -m benchmarks.generate --recipients 1000000 --cases 1000000 \\
        --history 2000000 --out /tmp/cxbench
"""

from __future__ import annotations

import argparse
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


def generate(n: int, m: int, k: int, out: Path, seed: int = 20261120) -> dict[str, Path]:
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    idx = np.arange(n)
    # Unique, valid North American numbers for up to 40M people: five area
    # codes, seven-digit local numbers from 200-0000 upwards.
    area = np.array(["617", "212", "312", "415", "206"])[idx % 5]
    phone = _s(area) + _s((idx // 5 + 2_000_000).astype(str))
    campaign = pd.DataFrame(
        {
            "customer_id": "CUS-" + _s((idx + 100000).astype(str)),
            "email": _emails(idx),
            "first_name": rng.choice(FIRST, n),
            "last_name": "Smith",
            "phone": phone.where(rng.random(n) < 0.7, ""),
            "zip": _s(rng.integers(0, 100000, n)).astype(str).str.zfill(5),
            "city": rng.choice(CITIES, n),
            "loyalty_tier": rng.choice(np.array(["bronze", "silver", "gold", ""]), n),
        }
    )
    dup = rng.choice(n, size=max(1, n // 1000), replace=False)
    campaign.loc[dup, "email"] = campaign.loc[(dup + 1) % n, "email"].str.upper().to_numpy()
    campaign.loc[
        rng.choice(n, size=max(1, n // 2000), replace=False), ["customer_id", "email", "phone"]
    ] = ""

    who = rng.integers(0, int(n * 1.4), m)  # ~70% of cases belong to recipients
    by_email = rng.random(m) < 0.5
    status = rng.choice(STATUSES, m, p=[0.05, 0.1, 0.05, 0.02, 0.38, 0.4])
    closed = np.isin(status, ["solved", "closed"])
    cases = pd.DataFrame(
        {
            "Id": _s((idx_m := np.arange(m)) + 1000000).astype(str),
            "Requester": "Customer " + _s(who.astype(str)),
            "Requester external id": ("CUS-" + _s((who + 100000).astype(str))).where(~by_email, ""),
            "Requester email": _emails(who).where(by_email, ""),
            "Group": rng.choice(np.array(["Support", "Tier 2", "Billing"]), m),
            "Subject": rng.choice(
                np.array(["Phone dead", "Router drops", "Refund", "=HYPERLINK(1)"]), m
            ),
            "Tags": "device web",
            "Status": status,
            "Priority": rng.choice(PRIORITIES, m, p=[0.3, 0.4, 0.15, 0.05, 0.1]),
            "Via": "Web form",
            "Created at": _times(rng, m, 400, "%Y-%m-%d %H:%M:%S"),
            "Updated at": _times(rng, m, 30, "%Y-%m-%d %H:%M:%S"),
            "Solved at": _times(rng, m, 60, "%Y-%m-%d %H:%M:%S").where(closed, ""),
            "Product [list]": rng.choice(PRODUCTS, m),
        }
    )
    del idx_m

    hist_who = rng.integers(0, n, k)
    history = pd.DataFrame(
        {
            "email": _emails(hist_who),
            "channel": rng.choice(np.array(["email", "sms"]), k, p=[0.8, 0.2]),
            "campaign": "Weekly digest",
            "sent_at": _times(rng, k, 30, "%Y-%m-%dT%H:%M:%SZ"),
        }
    )

    o = max(1, n // 2)
    order_who = rng.integers(0, n, o)
    orders = pd.DataFrame(
        {
            "Name": "#" + _s((np.arange(o) + 1001).astype(str)),
            "Email": _emails(order_who),
            "Financial Status": "paid",
            "Fulfillment Status": rng.choice(
                np.array(["fulfilled", "unfulfilled", "partial"]), o, p=[0.85, 0.1, 0.05]
            ),
            "Created at": _times(rng, o, 200, "%Y-%m-%d %H:%M:%S -0500"),
            "Lineitem name": rng.choice(PRODUCTS, o),
        }
    )

    c = max(1, n // 10)
    consent_who = rng.integers(0, n, c)
    sms = rng.random(c) < 0.6
    consent = pd.DataFrame(
        {
            "email": _emails(consent_who).where(~sms, ""),
            "phone": phone.iloc[consent_who].reset_index(drop=True).where(sms, ""),
            "channel": np.where(sms, "sms", "email"),
            "status": rng.choice(np.array(["opted_out", "opted_in", "unsubscribed"]), c),
            "updated_at": _times(rng, c, 300, "%Y-%m-%dT%H:%M:%SZ"),
        }
    )
    seeds = pd.DataFrame(
        {"email": _emails(np.arange(0, min(n, 50))), "owner": "QA", "purpose": "proof"}
    )

    paths = {}
    for name, frame in (
        ("campaign", campaign),
        ("cases", cases),
        ("orders", orders),
        ("consent", consent),
        ("contact_history", history),
        ("seed_list", seeds),
    ):
        paths[name] = out / f"{name}.csv"
        frame.to_csv(paths[name], index=False)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--cases", type=int, default=None, help="default: = recipients")
    parser.add_argument("--history", type=int, default=None, help="default: 2 x recipients")
    parser.add_argument("--seed", type=int, default=20261120)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    n = args.recipients
    generate(n, args.cases or n, args.history or 2 * n, args.out, args.seed)


if __name__ == "__main__":
    main()
