"""Time ``ardesk import`` of a large QuickBooks export, then the second (idempotent) import.

    python bench/bench_import.py [--customers 2000] [--items 20000]

Writes a customer list and an A/R Aging Detail report in QuickBooks Online's CSV layout (title
lines, section lines, "Total for" lines, the TOTAL line; dates month/day/year) with random open
items over a year, imports them into a new workbook, imports them again, and prints the seconds of
each with the targets: first import < 20 s, second import < 10 s for 20,000 items.
"""
from __future__ import annotations

import argparse
import csv
import random
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

FIRST_TARGET, SECOND_TARGET = 20.0, 10.0


def write_exports(folder: Path, customers: int, items: int, seed: int = 13) -> tuple[Path, Path]:
    rng = random.Random(seed)
    names = [f"Customer {i:05d}" for i in range(1, customers + 1)]
    as_of = date(2026, 6, 30)
    rows, balance = [], {n: Decimal(0) for n in names}
    for k in range(items):
        issued = as_of - timedelta(days=rng.randrange(0, 365))
        due = issued + timedelta(days=rng.choice((0, 15, 30, 45)))
        amount = Decimal(rng.randrange(500, 500000)) / 100
        name = rng.choice(names)
        balance[name] += amount
        rows.append((issued, "Invoice", str(10000 + k), name, due, (as_of - due).days, amount, amount))
    cust = folder / "customers.csv"
    with open(cust, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Customer", "Company", "Email", "Terms", "Open Balance"])
        for n in names:
            w.writerow([n, n, f"{n.replace(' ', '.').lower()}@example.com", "Net 30", f"{balance[n]:,.2f}"])
    aging = folder / "ar_aging_detail.csv"
    with open(aging, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerows([["Example Company"], ["A/R Aging Detail"], [f"As of {as_of:%B} {as_of.day}, {as_of.year}"], []])
        w.writerow(["", "Date", "Transaction Type", "Num", "Customer", "Due Date", "Past Due", "Amount",
                    "Open Balance"])
        sections = (("Current", -10**6, 0), ("1 - 30 days past due", 1, 30), ("31 - 60 days past due", 31, 60),
                    ("61 - 90 days past due", 61, 90), ("91 or more days past due", 91, 10**6))
        for title, lo, hi in sections:
            part = sorted((r for r in rows if lo <= r[5] <= hi), key=lambda r: r[0])
            w.writerow([title])
            for r in part:
                w.writerow(["", f"{r[0]:%m/%d/%Y}", r[1], r[2], r[3], f"{r[4]:%m/%d/%Y}", r[5], f"{r[6]:,.2f}",
                            f"{r[7]:,.2f}"])
            total = sum((r[7] for r in part), Decimal(0))
            w.writerow([f"Total for {title}", "", "", "", "", "", "", f"${total:,.2f}", f"${total:,.2f}"])
        grand = sum((r[7] for r in rows), Decimal(0))
        w.writerow(["TOTAL", "", "", "", "", "", "", f"${grand:,.2f}", f"${grand:,.2f}"])
    return cust, aging


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=2000)
    ap.add_argument("--items", type=int, default=20000)
    args = ap.parse_args()
    from ardesk import app
    from ardesk.io.fileadapter import FileWorkbook
    from ardesk.io.port import Changes
    from ardesk.io.template import create_workbook
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        cust, aging = write_exports(folder, args.customers, args.items)
        book = create_workbook(folder / "book.xlsx")
        ch = Changes()
        ch.names["BaseCurrency"] = "USD"
        FileWorkbook(book).write(ch, backup=False)
        times = []
        for _ in range(2):
            t = time.perf_counter()
            res = app.import_books(FileWorkbook(book), cust, aging, fmt="quickbooks")
            times.append(time.perf_counter() - t)
            assert res.ok, res.problems[:3]
        print(f"items {args.items}, customers {args.customers}")
        print(f"first import   {times[0]:6.2f} s  (target < {FIRST_TARGET} s, ratio {times[0] / FIRST_TARGET:.2f})")
        print(f"second import  {times[1]:6.2f} s  (target < {SECOND_TARGET} s, ratio {times[1] / SECOND_TARGET:.2f}); "
              f"added {res.summary['items_added']}, check: {res.summary['check'][-1]}")


if __name__ == "__main__":
    main()
