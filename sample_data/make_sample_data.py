"""Regenerate the sample data: ``python sample_data/make_sample_data.py``.

Deterministic (fixed seed). The files are committed; this script documents
how they were made and which overlaps make every default rule fire when the
sample is audited with ``--as-of 2026-11-20``. Layouts follow real exports:
cases.csv is a Zendesk ticket export, orders.csv a Shopify order export
(one row per line item, `-0500` offsets), consent.csv an SMS/email
preference log, contact_history.csv an ESP send log.
"""

from __future__ import annotations

import csv
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).parent
AS_OF = datetime(2026, 11, 20, tzinfo=UTC)
rng = random.Random(20261120)

FIRST = [
    "Ann",
    "Ben",
    "Carla",
    "Dev",
    "Elif",
    "Femi",
    "Grace",
    "Hiro",
    "Ines",
    "Jon",
    "Kemal",
    "Lena",
    "Marco",
    "Nadia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tara",
    "Uma",
    "Victor",
    "Wen",
    "Xavier",
    "Yara",
    "Zoë",
    "José",
    "Łukasz",
    "Siobhán",
    "Mårten",
]
LAST = [
    "Smith",
    "Okafor",
    "García",
    "Nguyen",
    "Müller",
    "O'Brien",
    "Kowalski",
    "Haddad",
    "Kim",
    "Rossi",
    "Silva",
    "Cohen",
    "Patel",
    "Jensen",
    "Dubois",
    "Novak",
    "Ito",
    "Lopez",
]
PLACES = [
    ("02134", "Boston"),
    ("02139", "Cambridge"),
    ("07302", "Jersey City"),
    ("10001", "New York"),
    ("60601", "Chicago"),
    ("94110", "San Francisco"),
    ("98101", "Seattle"),
    ("73301", "Austin"),
    ("00501", "Holtsville"),
    ("20001", "Washington, D.C."),
]
AREA = ["617", "212", "312", "415", "206", "512", "201"]
DOMAINS = ["example.com", "example.org", "mail.example.net", "example.co.uk"]
PRODUCTS = ["Aurora X2", "Aurora Lite", "Nimbus Router", "Nimbus Mesh", "Fiber 1G"]
TIERS = ["bronze", "silver", "gold", "platinum", ""]


def phone_style(area: str, local: str) -> str:
    """The same number written the ways real lists write it."""
    a, b = local[:3], local[3:]
    return rng.choice(
        [
            f"({area}) {a}-{b}",
            f"+1 {area}-{a}-{b}",
            f"{area}.{a}.{b}",
            f"{area}{a}{b}",
            f"+1{area}{a}{b}",
        ]
    )


def zendesk_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def shopify_time(moment: datetime) -> str:
    return (moment - timedelta(hours=5)).strftime("%Y-%m-%d %H:%M:%S -0500")


def ago(days: float, hour: int = 9) -> datetime:
    base = AS_OF - timedelta(days=days)
    return base.replace(hour=hour, minute=rng.randrange(60), second=0)


def make_recipients(n: int = 520) -> list[dict[str, str]]:
    people = []
    for i in range(n):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        zip_code, city = rng.choice(PLACES)
        area = rng.choice(AREA)
        local = f"555{(i * 7919) % 10000:04d}"
        cid = f"CUS-{100000 + i}"
        email = f"{first.lower()}.{last.lower().replace(chr(39), '')}{i}@{rng.choice(DOMAINS)}"
        email = email.encode("ascii", "ignore").decode()
        people.append(
            {
                "customer_id": cid,
                "email": email,
                "first_name": first,
                "last_name": last,
                "phone": phone_style(area, local) if rng.random() < 0.8 else "",
                "zip": zip_code,
                "city": city,
                "loyalty_tier": rng.choice(TIERS),
                "_e164": f"+1{area}{local}",
            }
        )
    # Real people whose names look like missing values, ids that look like numbers.
    people[3].update(first_name="NA", last_name="Null")
    people[4].update(first_name="None", last_name="Nan")
    people[5].update(customer_id="00012345678901234567890")
    people[6].update(city="Washington, D.C.", first_name='Dana "DJ"')
    people[7].update(email="  Mixed.Case7@Example.COM ")
    # Seed list members (internal QA inboxes) receive every campaign.
    for i, addr in (
        (10, "qa-seed1@ourcompany.example"),
        (11, "qa-seed2@ourcompany.example"),
        (12, "marketing-proof@ourcompany.example"),
    ):
        people[i].update(email=addr, customer_id="", phone="", _e164="")
    # Two rows that cannot be audited: no id, no usable email or phone.
    people[20].update(customer_id="", email="n/a", phone="", _e164="")
    people[21].update(customer_id=" ", email="", phone="12", _e164="")
    # Duplicates: same person again (email case differs; same id; same phone).
    dup_a = dict(people[30], email=people[30]["email"].upper(), customer_id="")
    dup_b = dict(people[31], email="other.address@example.com")
    dup_c = dict(people[32], customer_id="", email="", phone=people[32]["_e164"])
    if not people[32]["phone"]:
        people[32]["phone"] = people[32]["_e164"]
    people[40:40] = [dup_a, dup_b, dup_c]
    return people


CASE_COLUMNS = [
    "Summation column",
    "Id",
    "Requester",
    "Requester id",
    "Requester external id",
    "Requester email",
    "Requester domain",
    "Submitter",
    "Assignee",
    "Group",
    "Subject",
    "Tags",
    "Status",
    "Priority",
    "Via",
    "Ticket type",
    "Created at",
    "Updated at",
    "Assigned at",
    "Organization",
    "Due date",
    "Initially assigned at",
    "Solved at",
    "Resolution time",
    "Satisfaction Score",
    "Product [list]",
]
SUBJECTS = [
    "Phone won't turn on",
    "Router keeps dropping",
    "Billing: charged twice",
    "Screen cracked after update",
    "Cannot log in to my account",
    "Slow speeds, again",
    "Replacement never arrived",
    "Refund request",
    "Fiber outage in my street",
]


def make_cases(people: list[dict[str, str]]) -> list[dict[str, str]]:
    cases: list[dict[str, str]] = []
    next_id = 48210

    def add(
        p: dict[str, str] | None,
        status: str,
        priority: str,
        opened: datetime,
        solved: datetime | None,
        product: str,
        subject: str | None = None,
        by: str = "both",
    ) -> None:
        nonlocal next_id
        next_id += 1
        email = p["email"].strip() if p else f"stranger{next_id}@example.com"
        requester = f"{p['first_name']} {p['last_name']}" if p else "Stranger"
        cases.append(
            {
                "Summation column": "1",
                "Id": str(next_id),
                "Requester": requester,
                "Requester id": str(3000000000 + next_id),
                "Requester external id": (p["customer_id"] if p and by in ("both", "id") else ""),
                "Requester email": (email if by in ("both", "email") else "other@example.net"),
                "Requester domain": email.split("@")[-1],
                "Submitter": requester,
                "Assignee": rng.choice(["Maya Support", "Leo Tier2", ""]),
                "Group": rng.choice(["Support", "Tier 2", "Billing"]),
                "Subject": subject or rng.choice(SUBJECTS),
                "Tags": "device web",
                "Status": status,
                "Priority": priority,
                "Via": rng.choice(["Web form", "Email", "Phone"]),
                "Ticket type": rng.choice(["incident", "problem", "question", ""]),
                "Created at": zendesk_time(opened),
                "Updated at": zendesk_time(opened + timedelta(hours=3)),
                "Assigned at": zendesk_time(opened + timedelta(hours=1)),
                "Organization": "",
                "Due date": "",
                "Initially assigned at": zendesk_time(opened + timedelta(hours=1)),
                "Solved at": zendesk_time(solved) if solved else "",
                "Resolution time": str(int((solved - opened).total_seconds() // 3600))
                if solved
                else "",
                "Satisfaction Score": rng.choice(["Good", "Bad", "Offered", "Not Offered"])
                if solved
                else "",
                "Product [list]": product,
            }
        )

    pool = list(range(50, 500))
    rng.shuffle(pool)
    take = iter(pool)
    # open high/urgent cases (suppress: open-severe-case)
    for k in range(14):
        p = people[next(take)]
        add(
            p,
            rng.choice(["new", "open", "pending", "hold"]),
            rng.choice(["high", "urgent"]),
            ago(rng.uniform(0.5, 10)),
            None,
            rng.choice(PRODUCTS),
            by=["both", "email", "id"][k % 3],
        )
    # one whose subject is a formula a customer typed in
    add(
        people[next(take)],
        "open",
        "urgent",
        ago(2),
        None,
        "Nimbus Router",
        subject='=HYPERLINK("http://evil.example","click")',
    )
    # solved or closed inside the 14-day cooling-off (suppress for promotional)
    for _ in range(10):
        opened = ago(rng.uniform(15, 30))
        add(
            people[next(take)],
            rng.choice(["solved", "closed"]),
            rng.choice(["normal", "high", "low"]),
            opened,
            ago(rng.uniform(0.2, 13.5)),
            rng.choice(PRODUCTS),
        )
    # solved long ago (no rule)
    for _ in range(12):
        add(
            people[next(take)],
            "closed",
            "normal",
            ago(rng.uniform(60, 200)),
            ago(rng.uniform(20, 59)),
            rng.choice(PRODUCTS),
        )
    # open normal-priority cases about the product on offer (suppress with --offer "Aurora X2")
    for _ in range(6):
        add(
            people[next(take)],
            "open",
            rng.choice(["normal", "low"]),
            ago(rng.uniform(1, 20)),
            None,
            "Aurora X2",
        )
    # open minor cases about other products (flag, kept)
    for k in range(12):
        add(
            people[next(take)],
            rng.choice(["new", "open", "pending"]),
            "" if k % 4 == 0 else rng.choice(["low", "normal"]),
            ago(rng.uniform(1, 20)),
            None,
            rng.choice(["Nimbus Router", "Fiber 1G", "Nimbus Mesh"]),
        )
    # a seed inbox with an urgent test ticket: allowed anyway
    add(people[10], "open", "urgent", ago(1), None, "Aurora X2", subject="TEST ticket, ignore")
    # tickets from people who are not on this list
    for _ in range(20):
        add(
            None,
            rng.choice(["open", "solved", "closed"]),
            rng.choice(["low", "high", "normal"]),
            ago(rng.uniform(1, 90)),
            None,
            rng.choice(PRODUCTS),
        )
    rng.shuffle(cases)
    return cases


ORDER_COLUMNS = [
    "Name",
    "Email",
    "Financial Status",
    "Paid at",
    "Fulfillment Status",
    "Fulfilled at",
    "Currency",
    "Subtotal",
    "Total",
    "Created at",
    "Lineitem quantity",
    "Lineitem name",
    "Lineitem price",
    "Lineitem sku",
    "Billing Name",
    "Billing Phone",
]


def make_orders(people: list[dict[str, str]]) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    number = 1040
    candidates = list(range(50, 500))
    rng.shuffle(candidates)

    def add(p: dict[str, str], fulfilment: str, created: datetime, lines: int = 1) -> None:
        nonlocal number
        number += 1
        price = rng.choice([49.0, 129.0, 349.0, 899.0])
        for line in range(lines):
            first = line == 0
            rows.append(
                {
                    "Name": f"#{number}",
                    "Email": p["email"].strip(),
                    "Financial Status": rng.choice(["paid", "paid", "partially_refunded"])
                    if first
                    else "",
                    "Paid at": shopify_time(created + timedelta(minutes=2)) if first else "",
                    "Fulfillment Status": fulfilment if first else "",
                    "Fulfilled at": shopify_time(created + timedelta(days=2))
                    if first and fulfilment == "fulfilled"
                    else "",
                    "Currency": "USD",
                    "Subtotal": f"{price * lines:.2f}" if first else "",
                    "Total": f"{price * lines * 1.0625:.2f}" if first else "",
                    "Created at": shopify_time(created),
                    "Lineitem quantity": "1",
                    "Lineitem name": rng.choice(PRODUCTS),
                    "Lineitem price": f"{price:.2f}",
                    "Lineitem sku": f"SKU-{rng.randrange(1000, 9999)}",
                    "Billing Name": f"{p['first_name']} {p['last_name']}" if first else "",
                    "Billing Phone": p["phone"] if first else "",
                }
            )

    # unfulfilled or partial recent orders (no referral/review/survey asks)
    for k in range(9):
        add(
            people[candidates[k]],
            rng.choice(["unfulfilled", "partial"]),
            ago(rng.uniform(1, 20)),
            lines=1 + k % 2,
        )
    # delivered orders (these customers may get surveys)
    for k in range(9, 70):
        add(people[candidates[k]], "fulfilled", ago(rng.uniform(5, 120)), lines=1 + k % 3)
    # an old unfulfilled order (cancelled in practice; outside the 90-day window)
    add(people[candidates[70]], "unfulfilled", ago(200))
    return rows


def make_consent(people: list[dict[str, str]]) -> list[dict[str, str]]:
    rows = []
    pool = [p for p in people[50:500] if p["_e164"]]
    rng.shuffle(pool)
    for p in pool[:10]:  # SMS opt-outs, keyed by phone only (as SMS platforms export them)
        rows.append(
            {
                "email": "",
                "phone": p["_e164"],
                "channel": "sms",
                "status": "opted_out",
                "updated_at": (AS_OF - timedelta(days=rng.uniform(1, 300))).isoformat(),
            }
        )
    for p in pool[10:30]:
        rows.append(
            {
                "email": "",
                "phone": p["_e164"],
                "channel": "sms",
                "status": "opted_in",
                "updated_at": (AS_OF - timedelta(days=rng.uniform(1, 300))).isoformat(),
            }
        )
    for p in pool[30:35]:
        rows.append(
            {
                "email": p["email"].strip(),
                "phone": "",
                "channel": "email",
                "status": "unsubscribed",
                "updated_at": (AS_OF - timedelta(days=rng.uniform(1, 30))).isoformat(),
            }
        )
    return rows


def make_history(people: list[dict[str, str]]) -> list[dict[str, str]]:
    rows = []
    pool = list(people[50:500])
    rng.shuffle(pool)

    def send(p: dict[str, str], channel: str, days: float, name: str) -> None:
        moment = AS_OF - timedelta(days=days)
        rows.append(
            {
                "email": p["email"].strip(),
                "channel": channel,
                "campaign": name,
                "sent_at": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        )

    for p in pool[:8]:  # three or more emails in the last week (frequency cap)
        for d in rng.sample([0.5, 1.5, 2.5, 4.0, 5.5, 6.5], k=rng.choice([3, 4])):
            send(p, "email", d, "Black Friday teaser")
    for p in pool[8:20]:  # two emails: under the cap
        for d in (1.0, 3.0):
            send(p, "email", d, "Weekly digest")
    for p in pool[20:26]:  # three SMS in a week: capped for SMS campaigns only
        for d in (0.8, 2.2, 5.1):
            send(p, "sms", d, "Flash sale SMS")
    for p in pool[26:60]:  # older sends, outside the window
        send(p, "email", rng.uniform(8, 40), "October newsletter")
    rows.sort(key=lambda r: r["sent_at"])
    return rows


def write(path: Path, columns: list[str], rows: list[dict[str, str]], **kw: str) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore", **kw)
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    people = make_recipients()
    cases = make_cases(people)
    orders = make_orders(people)
    consent = make_consent(people)
    history = make_history(people)
    write(
        HERE / "campaign.csv",
        ["customer_id", "email", "first_name", "last_name", "phone", "zip", "city", "loyalty_tier"],
        people,
    )
    write(HERE / "cases.csv", CASE_COLUMNS, cases, lineterminator="\r\n")
    write(HERE / "orders.csv", ORDER_COLUMNS, orders)
    write(HERE / "consent.csv", ["email", "phone", "channel", "status", "updated_at"], consent)
    write(HERE / "contact_history.csv", ["email", "channel", "campaign", "sent_at"], history)
    write(
        HERE / "seed_list.csv",
        ["email", "owner", "purpose"],
        [
            {"email": "qa-seed1@ourcompany.example", "owner": "QA", "purpose": "rendering check"},
            {"email": "qa-seed2@ourcompany.example", "owner": "QA", "purpose": "link check"},
            {
                "email": "marketing-proof@ourcompany.example",
                "owner": "Marketing",
                "purpose": "proof",
            },
        ],
    )


if __name__ == "__main__":
    main()
