"""Time ``ardesk import`` of a large QuickBooks export, then the second (idempotent) import; or, with
``--bank-memory``, the memory bank statements are read with as they grow.

    python bench/bench_import.py [--customers 2000] [--items 20000]
    python bench/bench_import.py --bank-memory [--factors 10,100,1000,5000] [--formats bai2,stripe,paypal]

Writes a customer list and an A/R Aging Detail report in QuickBooks Online's CSV layout (title
lines, section lines, "Total for" lines, the TOTAL line; dates month/day/year) with random open
items over a year, imports them into a new workbook, imports them again, and prints the seconds of
each with the targets: first import < 20 s, second import < 10 s for 20,000 items.

``--bank-memory`` builds statements from the real files of the shared corpus (camt.053, MT940, OFX,
BAI2, and a bank CSV of the MT940 file's bookings) and the Stripe and PayPal reports of the regression
files, their entries repeated 10x ... 5000x with the balances, trailer totals and payouts rewritten so
each file still adds up, and reads each in a fresh process.  It prints the reader's
peak (the Python heap while the lines are read and dropped: what the reader itself holds) with the
ratio largest/100x against 1.5 (and largest/10x: the 10x files are smaller than the readers' 16 KB
buffers), and beside it what ``read_statement`` needs with every line kept and fingerprinted, and
what the Statement it returns holds.
"""
from __future__ import annotations

import argparse
import csv
import json
import random
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

FIRST_TARGET, SECOND_TARGET = 20.0, 10.0
ROOT = Path(__file__).resolve().parents[1]


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


# -- bank files of growing size, read with bounded memory ---------------------------------------------

CORPUS = next((p for p in (ROOT.parent / "shared" / "corpus", ROOT.parents[1] / "shared" / "corpus")
               if p.is_dir()), ROOT.parent / "shared" / "corpus")
FACTORS = (10, 100, 1000, 5000)
MEMORY_TARGET = 1.5          # reader's peak at the largest file / at 100x
REFERENCE = 100              # the 10x files (10-40 KB) are smaller than the readers' 16 KB buffers and head


def _camt(k: int, out: Path) -> int:
    """The real camt.053 v2 file with its entries repeated k times, the closing balance (CLBD)
    rewritten to opening + k x the entries, so the file still adds up."""
    src = CORPUS / "camt" / "genkgo_camt053.v2.minimal.xml"
    text = src.read_text(encoding="utf-8")
    first, last = text.index("<Ntry>"), text.rindex("</Ntry>") + len("</Ntry>")
    ns = {"c": ET.parse(src).getroot().tag[1:].split("}")[0]}
    root = ET.parse(src).getroot()

    def signed(el: ET.Element) -> Decimal:
        amt = Decimal(el.find("c:Amt", ns).text)
        return amt if el.find("c:CdtDbtInd", ns).text == "CRDT" else -amt
    stmt = root.find("c:BkToCstmrStmt/c:Stmt", ns)
    entries = stmt.findall("c:Ntry", ns)
    bals = {b.find("c:Tp/c:CdOrPrtry/c:Cd", ns).text: b for b in stmt.findall("c:Bal", ns)}
    closing = signed(bals["OPBD"]) + k * sum(signed(e) for e in entries)
    head = re.sub(r"(<Cd>CLBD</Cd>.*?<Amt[^>]*>)[^<]*(</Amt>\s*<CdtDbtInd>)\w+",
                  lambda m: f"{m.group(1)}{abs(closing)}{m.group(2)}{'CRDT' if closing >= 0 else 'DBIT'}",
                  text[:first], flags=re.S)
    with open(out, "w", encoding="utf-8") as fh:
        fh.write(head)
        for _ in range(k):
            fh.write(text[first:last] + "\n")
        fh.write(text[last:])
    return k * len(entries)


def _mt940(k: int, out: Path) -> int:
    """The first statement of the real cmxl MT940 file with its :61:/:86: lines repeated k times and
    its :62F: closing balance rewritten to add up."""
    lines = (CORPUS / "mt940" / "cmxl_mt940.sta").read_text(encoding="latin-1").splitlines()
    lines = lines[:lines.index("-") + 1]
    open_at = next(i for i, ln in enumerate(lines) if ln.startswith(":60F:"))
    close_at = next(i for i, ln in enumerate(lines) if ln.startswith(":62F:"))
    body = lines[open_at + 1:close_at]

    def value(mark: str, digits: str) -> Decimal:
        v = Decimal(digits.replace(",", "."))
        return -v if mark.endswith("D") else v
    opening = re.match(r":60F:([CD])\d{6}[A-Z]{3}([\d,]+)", lines[open_at])
    moves = [re.match(r":61:\d{6}(?:\d{4})?(R?[CD])[A-Z]?(\d[\d,]*)", ln) for ln in body if ln.startswith(":61:")]
    total = value(opening.group(1), opening.group(2)) + k * sum(value(m.group(1), m.group(2)) for m in moves)
    ccy = lines[open_at][12:15]
    closing = f":62F:{'C' if total >= 0 else 'D'}{lines[close_at][6:12]}{ccy}{abs(total):.2f}".replace(".", ",")
    with open(out, "w", encoding="latin-1", newline="\r\n") as fh:
        fh.write("\n".join(lines[:open_at + 1]) + "\n")
        for _ in range(k):
            fh.write("\n".join(body) + "\n")
        fh.write(closing + "\n-\n")
    return k * len(moves)


def _ofx(k: int, out: Path) -> int:
    """The real checking.ofx (OFX 1.02 SGML) with its STMTTRN aggregates repeated k times (OFX states no
    opening balance, so nothing else changes)."""
    text = (CORPUS / "ofx" / "checking.ofx").read_text(encoding="latin-1")
    first = text.index("<STMTTRN>")
    last = text.rindex("</STMTTRN>") + len("</STMTTRN>")
    with open(out, "w", encoding="latin-1") as fh:
        fh.write(text[:first])
        for _ in range(k):
            fh.write(text[first:last] + "\n")
        fh.write(text[last:])
    return k * text[first:last].count("<STMTTRN>")


def _csv(k: int, out: Path) -> int:
    """A bank CSV in the built-in 'european' layout with the 16 real bookings of the cmxl MT940 file
    (date, amount, text as the mt-940 package reads them) repeated k times."""
    import mt940 as mt940lib
    rows = []
    for tx in mt940lib.parse(str(CORPUS / "mt940" / "cmxl_mt940.sta")):
        d = tx.data
        rows.append([d["date"].strftime("%d.%m.%Y"), "", f"{d['amount'].amount:.2f}".replace(".", ","),
                     (d.get("applicant_name") or "").strip(), "", (d.get("customer_reference") or "").strip(),
                     " ".join((d.get("transaction_details") or "").split()), "EUR"])
    with open(out, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(["Booking date", "Value date", "Amount", "Counterparty", "IBAN", "Reference", "Description",
                    "Currency"])
        for _ in range(k):
            w.writerows(rows)
    return k * len(rows)


def _bai2(k: int, out: Path) -> int:
    """The real nwb.bai2 (one account) with its 16 detail records and their 88 continuations written k
    times, and the 49, 98 and 99 trailers' control totals (sum of the amounts below) and record counts
    (every physical record, 88s included; BAI2 v2) recomputed so the file still checks out."""
    lines = (CORPUS / "bai2" / "nwb.bai2").read_text(encoding="latin-1").splitlines()
    first = next(i for i, ln in enumerate(lines) if ln.startswith("16,"))
    trailer = next(i for i, ln in enumerate(lines) if ln.startswith("49,"))
    head, body = lines[:first], lines[first:trailer]
    summary = head[2].rstrip("/").split(",")[3:] + ",".join(head[3:]).replace("88,", "").rstrip("/").split(",")
    total = sum(int(v) for v in summary[1::4] if v) + k * sum(int(ln.split(",")[2]) for ln in body
                                                           if ln.startswith("16,"))
    account_records = (len(head) - 2) + k * len(body) + 1       # the 03 and its 88, the details, the 49
    with open(out, "w", encoding="latin-1") as fh:
        fh.write("\n".join(head) + "\n")
        for _ in range(k):
            fh.write("\n".join(body) + "\n")
        fh.write(f"49,{total},{account_records}/\n98,{total},1,{account_records + 2}/\n"
                 f"99,{total},1,{account_records + 4}/\n")
    return k * sum(ln.startswith("16,") for ln in body)


FILES = ROOT / "tests" / "bank" / "files"


def _stripe(k: int, out: Path) -> int:
    """The Stripe Balance report of the regression files (two charges, a fee, their payout) k times, each
    time with a payout id of its own so that every payout still equals its transactions."""
    header, *rows = (FILES / "stripe_utc_columns.csv").read_text(encoding="utf-8").splitlines()
    with open(out, "w", encoding="utf-8") as fh:
        fh.write(header + "\n")
        for i in range(k):
            fh.write("\n".join(rows).replace("po_1A", f"po_{i}") + "\n")
    return k * len(rows)


def _paypal(k: int, out: Path) -> int:
    """The PayPal activity CSV of the regression files k times: its completed rows net to nil, so the
    Balance column still runs; its Pending row is counted, not taken."""
    header, *rows = (FILES / "paypal_outgoing.csv").read_text(encoding="utf-8").splitlines()
    with open(out, "w", encoding="utf-8") as fh:
        fh.write(header + "\n")
        for _ in range(k):
            fh.write("\n".join(rows) + "\n")
    return k * sum(",Completed," in r for r in rows)


BUILDERS = {"camt.053": _camt, "mt940": _mt940, "ofx": _ofx, "csv": _csv, "bai2": _bai2, "stripe": _stripe,
            "paypal": _paypal}
PROCESSORS = ("stripe", "paypal")


def measure(path: Path, mode: str, expected: int) -> dict:
    """In this process: the Python heap's peak while ``path`` is read (tracemalloc), after one warm-up read
    of a small file of the same format.  mode 'stream': the reader's items are dropped as they come, so
    the peak is what the reader itself holds; mode 'read': ``read_statement``, lines kept and fingerprinted,
    with the Statement's own size (what is still allocated when it returns)."""
    import gc
    import tracemalloc
    from ardesk.bank import BankLine, ProcessorTransaction, iter_processor, iter_statement, read_processor, read_statement
    if path.name.split("-")[0] in PROCESSORS:
        items, kind = iter_processor, ProcessorTransaction

        def read(p: Path) -> list:
            return read_processor(p).transactions
    else:
        items, kind = iter_statement, BankLine

        def read(p: Path) -> tuple:
            return read_statement(p, strict_balances=False).lines
    read(path.with_name("warm-" + path.name))
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    t = time.perf_counter()
    if mode == "stream":
        count = sum(isinstance(item, kind) for item in items(path))
        held = 0
    else:
        got = read(path)
        count = len(got)
        held = tracemalloc.get_traced_memory()[0] - base
    seconds = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    assert count == expected, (path.name, count, expected)
    return {"peak": peak, "held": held, "seconds": seconds, "lines": count}


def bank_memory(factors: tuple[int, ...], formats: tuple[str, ...] = tuple(BUILDERS)) -> bool:
    print("bank files read with bounded memory (Python heap peak by tracemalloc, fresh process per file)")
    print(f"{'format':9} {'entries':>9} {'file MB':>8} {'reader peak KB':>15} {'read_statement peak MB':>23} "
          f"{'held MB':>8} {'s':>6}")
    ok = True
    with tempfile.TemporaryDirectory() as d:
        for fmt in formats:
            build = BUILDERS[fmt]
            peaks = []
            for k in factors:
                ext = "xml" if fmt.startswith("camt") else "csv" if fmt in PROCESSORS else fmt
                path = Path(d) / f"{fmt.replace('.', '')}-{k}.{ext}"
                n = build(k, path)
                build(1, path.with_name("warm-" + path.name))
                got = {}
                for mode in ("stream", "read"):
                    proc = subprocess.run([sys.executable, __file__, "--measure", str(path), mode, str(n)],
                                          capture_output=True, text=True, check=True)
                    got[mode] = json.loads(proc.stdout)
                peaks.append(got["stream"]["peak"])
                print(f"{fmt:9} {n:>9,} {path.stat().st_size / 1e6:>8.2f} {got['stream']['peak'] / 1e3:>15,.0f} "
                      f"{got['read']['peak'] / 1e6:>23,.1f} {got['read']['held'] / 1e6:>8,.1f} "
                      f"{got['read']['seconds']:>6.2f}")
            ref = factors.index(REFERENCE) if REFERENCE in factors else 0
            ratio = peaks[-1] / peaks[ref]
            ok &= ratio <= MEMORY_TARGET
            print(f"{fmt:9} reader peak at {factors[-1]}x / at {factors[ref]}x: {ratio:.2f} (target <= "
                  f"{MEMORY_TARGET}); / at {factors[0]}x: {peaks[-1] / peaks[0]:.2f}")
    return ok


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=2000)
    ap.add_argument("--items", type=int, default=20000)
    ap.add_argument("--bank-memory", action="store_true", help="bank files of growing size: memory")
    ap.add_argument("--factors", default=",".join(map(str, FACTORS)))
    ap.add_argument("--formats", default=",".join(BUILDERS), help="with --bank-memory: which of "
                    + ", ".join(BUILDERS))
    ap.add_argument("--measure", nargs=3, metavar=("FILE", "MODE", "LINES"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(measure(Path(args.measure[0]), args.measure[1], int(args.measure[2]))))
        return
    if args.bank_memory:
        sys.exit(0 if bank_memory(tuple(int(f) for f in args.factors.split(",")),
                                  tuple(args.formats.split(","))) else 1)
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
