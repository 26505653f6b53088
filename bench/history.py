"""Months of billing history as a subscription business's books hold them, for the history benchmark.

This generator knows nothing of ardesk's billing, matching or journal code:
it writes the rows a billing desk would have posted, worked out here from
the standard bookkeeping rules (DOMAIN.md: an invoice is Dr AR, Cr revenue,
Cr tax; a receipt applied is Dr bank, Cr AR), with money in cents and tax
rounded half-up once per invoice:

- customers on one to three monthly plans (prices and quantities as a price
  list has them), Belgian VAT at 21 %, 6 % or reverse charge (0 %), terms of
  14, 30, 45 or 60 days; one in ten customers joins or leaves during the
  months; invoices dated the first of the month, numbered without gaps;
- payers as a credit controller meets them: most pay within terms, some a
  few weeks late, some in two parts, a few leave an invoice unpaid for
  months and pay it later, and a very few never pay;
- each receipt quotes the invoice number (or its RF reference, or nothing).

Every month's behaviour comes from a generator seeded by the customer and
the month, so a 24-month book's last months look like a 5-month book's.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from remitters import FIRST, LEGAL, TRADE, _rf

PLANS = (("BASIC", Decimal("19.00")), ("TEAM", Decimal("49.00")), ("PRO", Decimal("149.00")),
         ("SUPPORT", Decimal("90.00")), ("STORAGE", Decimal("4.50")), ("SEATS", Decimal("12.00")))
TAX_RATES = (Decimal("0.21"), Decimal("0.21"), Decimal("0.21"), Decimal("0.06"), Decimal("0"))
AR, BANK, REVENUE, TAX = "1100", "1000", "4000", "2200"


def cents(x: Decimal) -> int:
    return int((x * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def month_start(period: str) -> date:
    return date(int(period[:4]), int(period[5:]), 1)


def next_month(d: date) -> date:
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


@dataclass
class Book:
    customers: list[tuple] = field(default_factory=list)
    charges: list[tuple] = field(default_factory=list)
    invoices: list[tuple] = field(default_factory=list)
    lines: list[tuple] = field(default_factory=list)
    payments: list[tuple] = field(default_factory=list)
    allocations: list[tuple] = field(default_factory=list)
    journal: list[tuple] = field(default_factory=list)
    next_invoice: int = 1
    open_items: dict[str, list] = field(default_factory=dict)   # invoice no -> [customer, due, left, ref]


def _customers(n: int, months: list[str], seed: int) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for i in range(1, n + 1):
        name = f"{rng.choice(FIRST)} {rng.choice(TRADE)} {rng.choice(LEGAL)}"
        roll = rng.random()
        joins = month_start(rng.choice(months)) if roll < 0.05 else date(2020, 1, 1)
        leaves = month_start(rng.choice(months)) if 0.05 <= roll < 0.10 else None
        plans = rng.sample(PLANS, rng.choice((1, 1, 1, 2, 2, 3)))
        out.append(dict(
            id=f"C{i:05d}", name=f"{name} {i}", terms=rng.choice((14, 30, 30, 30, 45, 60)),
            tax=rng.choice(TAX_RATES), account=f"BE{71 + i % 20:02d}{i:012d}",
            plans=[(f"K{i:05d}-{k}", item, price, Decimal(rng.choice((1, 1, 2, 3, 5, 10))))
                   for k, (item, price) in enumerate(plans, start=1)],
            joins=joins, leaves=leaves,
            payer=rng.choices(("prompt", "late", "split", "slow", "never"), (62, 24, 8, 5, 1))[0]))
    return out


def generate(n: int, months: list[str], seed: int = 11) -> Book:
    """The books after ``months`` (YYYY-MM, in order) of billing and collecting."""
    book = Book()
    people = _customers(n, months, seed)
    je = pay = al = 0
    for c in people:
        book.customers.append((c["id"], c["name"], None, None, None, "BE", c["terms"], c["tax"], "EUR", None,
                               "active" if c["leaves"] is None else "inactive", c["account"], None))
        for cid, item, price, qty in c["plans"]:
            book.charges.append((cid, c["id"], item, None, qty, price, "monthly", c["joins"] if c["joins"].year > 2020
                                 else date(2024, 1, 1), c["leaves"] - timedelta(days=1) if c["leaves"] else None))
    receipts: list[tuple] = []            # (date, customer, amount, invoice no, reference)
    for period in months:
        start = month_start(period)
        end = next_month(start) - timedelta(days=1)
        # -- billing on the first of the month
        for c in people:
            if start < c["joins"] or (c["leaves"] and start >= c["leaves"]):
                continue
            no = f"INV-{start.year}-{book.next_invoice:05d}"
            book.next_invoice += 1
            net = 0
            for k, (chg, item, price, qty) in enumerate(c["plans"], start=1):
                amount = cents(qty * price)
                net += amount
                book.lines.append((no, k, chg, item, None, qty, price, start, end, Decimal(1),
                                   Decimal(amount) / 100, "EUR", f"{c['id']}|{chg}|{period}"))
            tax = cents(Decimal(net) * c["tax"] / 100)
            total = net + tax
            due = start + timedelta(days=c["terms"])
            rf = _rf(no.replace("-", ""))
            book.invoices.append((no, "invoice", c["id"], start, due, period, "EUR", Decimal(net) / 100,
                                  Decimal(tax) / 100, Decimal(total) / 100, rf, None))
            je += 1
            entry = f"JE-{je:07d}"
            book.journal += [(entry, 1, start, AR, "Accounts receivable", Decimal(total) / 100, None, "EUR", c["id"],
                              "invoice", no, f"invoice {no}"),
                             (entry, 2, start, REVENUE, "Revenue", None, Decimal(net) / 100, "EUR", None, "invoice",
                              no, f"invoice {no}")]
            if tax:
                book.journal.append((entry, 3, start, TAX, "Tax payable", None, Decimal(tax) / 100, "EUR", None,
                                     "invoice", no, f"invoice {no}"))
            book.open_items[no] = [c["id"], due, total, rf]
            rng = random.Random(f"{seed}:{c['id']}:{period}")
            kind = c["payer"]
            if kind == "never" or (kind == "slow" and rng.random() < 0.5):
                continue
            lag = {"prompt": rng.randint(-10, 0), "late": rng.randint(5, 40), "split": rng.randint(0, 20),
                   "slow": rng.randint(45, 150)}[kind]
            when = max(start + timedelta(days=2), due + timedelta(days=lag))
            quote = rng.choices((no, rf, ""), (70, 20, 10))[0]
            if kind == "split":
                first = total // 2
                receipts.append((when, c["id"], first, no, quote))
                receipts.append((when + timedelta(days=rng.randint(20, 40)), c["id"], total - first, no, quote))
            else:
                receipts.append((when, c["id"], total, no, quote))
        # -- collecting: every receipt dated this month
        due_now = sorted((r for r in receipts if start <= r[0] <= end), key=lambda r: (r[0], r[1]))
        receipts = [r for r in receipts if r[0] > end]
        for when, cid, amount, no, quote in due_now:
            pay += 1
            pid = f"PAY-{pay:07d}"
            payer = people[int(cid[1:]) - 1]
            book.payments.append((pid, when, "bank-export.csv", "transfer", payer["name"], cid, quote or None, None,
                                  Decimal(amount) / 100, "EUR", f"hist:{pid}", payer["account"]))
            al += 1
            book.allocations.append((f"AL-{al:07d}", when, pid, no, cid, "applied", Decimal(amount) / 100, "EUR",
                                     "reference" if quote else "account", f"paid {no}"))
            je += 1
            entry = f"JE-{je:07d}"
            book.journal += [(entry, 1, when, BANK, "Bank", Decimal(amount) / 100, None, "EUR", None, "payment", pid,
                              f"receipt {pid}"),
                             (entry, 2, when, AR, "Accounts receivable", None, Decimal(amount) / 100, "EUR", cid,
                              "payment", pid, f"receipt {pid} for {no}")]
            item = book.open_items[no]
            item[2] -= amount
            if not item[2]:
                del book.open_items[no]
    return book


def bank_lines(book: Book, period: str, seed: int = 11) -> list[tuple]:
    """The month's bank statement: most customers pay their oldest open invoice (date, amount, payer,
    reference, account)."""
    start = month_start(period)
    rng = random.Random(f"{seed}:bank:{period}")
    by_customer: dict[str, tuple] = {}
    for no, (cid, due, left, rf) in book.open_items.items():
        if cid not in by_customer or due < by_customer[cid][1]:
            by_customer[cid] = (no, due, left, rf)
    names = {c[0]: (c[1], c[11]) for c in book.customers}
    out = []
    for cid, (no, _due, left, rf) in sorted(by_customer.items()):
        if rng.random() < 0.2:
            continue
        amount = left if rng.random() > 0.1 else left // 2
        out.append((start + timedelta(days=rng.randint(1, 27)), Decimal(amount) / 100, names[cid][0],
                    rng.choices((no, rf, ""), (70, 20, 10))[0], names[cid][1]))
    return out
