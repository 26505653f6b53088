"""Dunning benchmark: a dunning run and the collector's worklist over a big receivables ledger.

    python bench/bench_dunning.py [--customers 20000] [--items-per-customer 10]

The ledger: 20,000 customers with 200,000 open invoices due from mid-2025 to
the run date, in EUR and GBP; a policy of four levels (a friendly e-mail 3
days before the due date, letters at 14 and 45 days with fees, statutory EU
interest and compensation, a call at 75 days); earlier letters in the
history for a third of the items; open disputes on 1% of them; receipts
waiting on Review for 1% of the customers.  Reference rates are the ECB
main refinancing rates on the first day of each half year (Directive
2011/7/EU art. 2(12)): 3.15% on 2025-01-01, 2.15% on 2025-07-01 and on
2026-01-01.  A sample of the interest proposed is recomputed here with exact
fractions from the statute's formula (simple, actual/365, reference + 8
points, each half year at its own rate) and must agree to the cent.

Printed: the core time of the run (proposals) and of the worklist, together
against the target of 2 s (wall clock, and the CPU time the process used,
which other jobs on the machine do not inflate), the time to turn proposals into Dunning tab rows, and
what every run adds on such a workbook: comparing the 20,000 customers with
the CustomerHistory ledger (first run: one row per customer; then: nothing
changed).
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "addin"))

from ardesk.app import collector_paused  # noqa: E402
from ardesk import schema  # noqa: E402
from ardesk.core.collections import dunning as dn  # noqa: E402
from ardesk.core.collections.accounts import detect, history_row  # noqa: E402
from ardesk.io.port import Table  # noqa: E402
from ardesk.core.collections.model import Dispute, DunningLevel, HistoryItem, ReferenceRate  # noqa: E402
from ardesk.core.collections.worklist import worklist, worklist_rows  # noqa: E402
from ardesk.core.ledger.ledger import Ledger  # noqa: E402
from ardesk.core.model import Customer, Invoice  # noqa: E402

AS_OF = date(2026, 3, 15)
ECB = {date(2025, 1, 1): Fraction(315, 10000), date(2025, 7, 1): Fraction(215, 10000),
       date(2026, 1, 1): Fraction(215, 10000)}


def generate(rng: random.Random, n_customers: int, per: int):
    customers, invoices, history, disputes = {}, [], [], []
    seq = 0
    for i in range(1, n_customers + 1):
        cid = f"C{i:06d}"
        cur = "GBP" if i % 10 == 0 else "EUR"
        customers[cid] = Customer(cid, f"Customer {i}", 30, Decimal(0), cur)
        for _k in range(per):
            seq += 1
            due = AS_OF - timedelta(days=rng.randint(-10, 260))
            total = rng.randint(1_000, 2_500_000)
            inv = Invoice(f"INV-{seq:07d}", cid, due - timedelta(days=30), due, cur, total, 0, total)
            invoices.append(inv)
            days = (AS_OF - due).days
            if days > 20 and rng.random() < 0.33:
                history.append(HistoryItem(due + timedelta(days=14), "DL-1", cid, inv.number, 1, total, cur,
                                           interest_to=due + timedelta(days=14)))
            if rng.random() < 0.01:
                disputes.append(Dispute(f"D{seq}", due, inv.number, total // 2, cur, "price", "open"))
    return customers, invoices, history, disputes


def levels() -> dict[str, tuple[DunningLevel, ...]]:
    mk = lambda n, days, fee, basis, comp, channel: DunningLevel(  # noqa: E731
        "standard", n, days, 0, fee, "EUR", basis, Decimal(0), comp, channel, f"reminder-{n}")
    return {"standard": (mk(1, -3, 0, "none", "none", "e-mail"), mk(2, 14, 500, "EU", "statutory", "letter"),
                         mk(3, 45, 1000, "EU", "none", "letter"), mk(4, 75, 0, "none", "none", "call task"))}


def exact_interest(amount: int, after: date, through: date) -> int:
    """The statute's formula with exact fractions, half-up to the minor unit."""
    total, day = Fraction(0), after + timedelta(days=1)
    while day <= through:
        hy = date(day.year, 1 if day.month < 7 else 7, 1)
        end = min(through, date(day.year, 7, 1) - timedelta(days=1) if day.month < 7 else date(day.year, 12, 31))
        total += Fraction(amount) * (ECB[hy] + Fraction(8, 100)) * ((end - day).days + 1) / 365
        day = end + timedelta(days=1)
    return int(total + Fraction(1, 2)) if total >= 0 else -int(-total + Fraction(1, 2))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=20000)
    ap.add_argument("--items-per-customer", type=int, default=10)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    customers, invoices, history_items, disputes = generate(rng, a.customers, a.items_per_customer)
    ledger = Ledger(invoices)
    rates = dn.RateBook([ReferenceRate("EU", d, Decimal(f.numerator) / f.denominator) for d, f in ECB.items()])
    policy_of = {cid: "standard" for cid in customers}
    waiting = {cid: "a receipt waits on the Review tab" for cid in rng.sample(sorted(customers), len(customers) // 100)}
    with collector_paused():
        c0, t0 = time.process_time(), time.perf_counter()
        history = dn.History(history_items)
        held = {d.invoice_no: d.amount for d in disputes}
        letters, problems, _notes = dn.propose(ledger, customers, policy_of, levels(), rates, history, held,
                                               waiting, set(), AS_OF)
        c1, t1 = time.process_time(), time.perf_counter()
        ranked = worklist(ledger, customers, AS_OF, letters, history, disputes, [])
        c2, t2 = time.process_time(), time.perf_counter()
        rows = dn.proposal_rows(letters, AS_OF)
        work_rows = worklist_rows(ranked, customers, AS_OF)
        t3 = time.perf_counter()
    assert not problems, problems[:3]
    items = [i for L in letters for i in L.items]
    by_no = ledger.invoice_by_no
    sample = [i for i in items if i.interest][:: max(1, len(items) // 2000)]
    for i in sample:
        after = max(by_no[i.invoice_no].due_date, history.interest_to.get(i.invoice_no, by_no[i.invoice_no].due_date))
        assert i.interest == exact_interest(i.amount, after, AS_OF), (i, exact_interest(i.amount, after, AS_OF))
    core = t2 - t1 + t1 - t0
    print(f"open items {len(invoices):,} of {len(customers):,} customers; letters proposed {len(letters):,} "
          f"with {len(items):,} items; worklist {len(ranked):,} customers")
    print(f"interest recomputed with exact fractions for {len(sample):,} items: all agree to the cent")
    print(f"core: dunning run (proposals)  {t1 - t0:6.2f} s   (CPU {c1 - c0:.2f} s)")
    print(f"core: worklist                 {t2 - t1:6.2f} s   (CPU {c2 - c1:.2f} s)")
    print(f"core together                  {core:6.2f} s   target under 2 s   ratio {core / 2:.2f}   "
          f"(CPU {c2 - c0:.2f} s; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    print(f"rows for the Dunning and Collections tabs ({len(rows):,} + {len(work_rows):,})  {t3 - t2:6.2f} s")
    table = Table("tblCustomers", "Customers", schema.CUSTOMERS.header,
                  [(c.id, c.name, f"ap@{c.id.lower()}.example", "1 Ledger Lane", "1000", "BE", c.terms_days,
                    c.tax_rate, c.currency, None, "active", None, None) for c in customers.values()])
    empty = Table("tblCustomerHistory", "CustomerHistory", schema.CUSTOMER_HISTORY.header, [])
    t4 = time.perf_counter()
    created, _p, _n = detect(table, empty, datetime(2026, 3, 15, 9), "clerk")
    t5 = time.perf_counter()
    recorded = Table("tblCustomerHistory", "CustomerHistory", schema.CUSTOMER_HISTORY.header,
                     [history_row(c) for c in created])
    t6 = time.perf_counter()
    again, _p, _n = detect(table, recorded, datetime(2026, 3, 16, 9), "clerk")
    t7 = time.perf_counter()
    assert len(created) == len(customers) and not again
    print(f"customer history, first run ({len(created):,} customers recorded)  {t5 - t4:6.2f} s")
    print(f"customer history, a later run with nothing changed   {t7 - t6:6.2f} s")


if __name__ == "__main__":
    main()
