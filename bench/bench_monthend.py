"""Month-end on a big ledger: core time per step, file read/write, peak memory, the ratio
of a month-end to a calamine read of the same workbook, and how the cost grows with history.

    .venv/bin/python bench/bench_monthend.py [--customers 20000] [--history-customers 3000]
                                             [--rebuild] [--openpyxl]

The reference workbook (20,000 customers, 100,000 invoices, 80,000 receipts
over five months) is built once into bench/out/ and reused: the first four
months written by openpyxl, the fifth posted through ardesk's file adapter
(with its run log), so that a month-end finds the books as a clerk's last
month-end left them.  Month-end then
bills the sixth month (20,000 invoices) and imports a bank file of 16,000
lines.  For the history ratio the same month-end runs on two smaller books
that differ only in how many months of history they hold (5 and 24), made by
an independent generator (bench/history.py: the rows a billing desk would
have posted, from bookkeeping rules, not from ardesk's code), closed through
the month before and archived as a clerk would, keeping the last KEEP_MONTHS
months live (`ardesk archive --before`).  Every file figure is measured in a
fresh process; the calamine read and the month-end are timed RUNS times each, in turn, and their
medians compared (on this shared machine one run's wall time moves by a second or two).  Timings are
wall-clock on this machine; compare the ratios, which are measured in one run.  ``--openpyxl``
adds a bare openpyxl load + save of the reference workbook (minutes, GBs).
"""
from __future__ import annotations

import argparse
import gc
import json
import random
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from ardesk.core.billing.billing import bill
from ardesk.core.ledger.journal import invoice_entry
from ardesk.core.ledger.ledger import Ledger
from ardesk.core.cash.matching import Incoming, MatchIndex
from ardesk.core.model import Charge, Customer, Settings
from ardesk.core.money import to_decimal
from ardesk.core.periods import parse_period
from ardesk.core.cash.receipts import apply_credits, post_receipts
from ardesk.io import rows as R
from ardesk.io.fileadapter import FileWorkbook, apply_changes, defined_names
from ardesk.io.port import Changes, WorkbookError
from ardesk.io.template import create_workbook

OUT = Path(__file__).resolve().parent / "out"
MONTH_END = "2026-09"
TARGET_SECONDS, TARGET_MB, TARGET_OVER_READ, TARGET_HISTORY = 30, 1500, 3, 1.5
RUNS = 3                 # the calamine read and the month-end are each timed so often; medians compared
KEEP_MONTHS = 4          # months a clerk keeps live before MONTH_END; older settled items are archived


def months_before(period: str, count: int) -> list[str]:
    y, m = int(period[:4]), int(period[5:])
    out = []
    for _ in range(count):
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
        out.append(f"{y}-{m:02d}")
    return out[::-1]


MONTHS = months_before(MONTH_END, 5)


def people(n: int, rng: random.Random):
    customers = {}
    charges = []
    for i in range(1, n + 1):
        cid = f"C{i:05d}"
        customers[cid] = Customer(cid, f"Customer {i} Ltd", rng.choice((14, 30, 45)), Decimal("0.21"), "EUR",
                                  bank_account=f"BE{i:014d}")
        charges.append(Charge(f"K{i:05d}", cid, "PLAN", Decimal(rng.choice((1, 2, 3))),
                              Decimal(rng.choice(("49.00", "149.00", "390.00"))), "monthly", date(2024, 1, 1)))
    return customers, charges


def payments_for(ledger: Ledger, month: str, count: int, rng: random.Random, customers) -> list[Incoming]:
    start, end = parse_period(month)
    open_items = [(inv, left) for inv, left in ledger.open_items(None) if inv.issue_date <= start]
    rng.shuffle(open_items)
    out = []
    for k, (inv, left) in enumerate(open_items[:count]):
        amount = left if rng.random() > 0.1 else left // 2
        ref = inv.number if rng.random() > 0.2 else ""
        day = start + timedelta(days=rng.randint(1, 27))
        out.append(Incoming(day, amount, "EUR", f"bench:{month}:{k}", "bank.csv", "transfer",
                            customers[inv.customer_id].name, customers[inv.customer_id].bank_account, "", ref))
    return out


def build(path: Path, n: int, months: list[str] = MONTHS) -> dict:
    rng = random.Random(7)
    customers, charges = people(n, rng)
    ledger = Ledger()
    settings = Settings()
    new_inv, new_pay, new_alloc, new_journal = [], [], [], []
    for m in months:
        before_last = (len(new_inv), len(new_pay), len(new_alloc), len(new_journal), settings.next_invoice_number)
        res = bill(m, customers, charges, ledger, settings)
        settings = replace(settings, next_invoice_number=res.next_number)
        ledger.add_invoices(res.invoices)
        for inv in res.invoices:
            lines = invoice_entry(inv, ledger, settings)
            ledger.add_journal(lines)
            new_journal += lines
        new_inv += res.invoices
        incoming = payments_for(ledger, m, n * 4 // 5, rng, customers)
        rec = post_receipts(incoming, ledger, customers, settings, MatchIndex(ledger, customers))
        ca, cj = apply_credits(ledger, settings)
        new_pay += rec.payments
        new_alloc += rec.allocations + ca
        new_journal += rec.journal + cj
    ch = Changes()
    ch.append("tblCustomers", [(c.id, c.name, None, None, None, None, c.terms_days, c.tax_rate, c.currency, None,
                                "active", c.bank_account, None) for c in customers.values()])
    ch.append("tblCharges", [(c.id, c.customer_id, c.item, None, c.quantity, c.unit_price, c.frequency, c.start,
                              None) for c in charges])
    inv, pay, alloc, journal, next_number = before_last
    last = Changes()
    ch.append("tblInvoices", [R.invoice_row(i) for i in new_inv[:inv]])
    ch.append("tblInvoiceLines", [R.line_row(ln) for i in new_inv[:inv] for ln in i.lines])
    ch.append("tblPayments", [R.payment_row(p) for p in new_pay[:pay]])
    ch.append("tblAllocations", [R.allocation_row(a) for a in new_alloc[:alloc]])
    ch.append("tblJournal", [R.journal_row(j) for j in new_journal[:journal]])
    ch.names["NextInvoiceNumber"] = next_number
    save_with_openpyxl(path, ch)
    # the last month posted through ardesk, so that the books stand as after a clerk's month-end: the
    # ledger sheets as ardesk's save leaves them, the run log's last commit naming them
    last.append("tblInvoices", [R.invoice_row(i) for i in new_inv[inv:]])
    last.append("tblInvoiceLines", [R.line_row(ln) for i in new_inv[inv:] for ln in i.lines])
    last.append("tblPayments", [R.payment_row(p) for p in new_pay[pay:]])
    last.append("tblAllocations", [R.allocation_row(a) for a in new_alloc[alloc:]])
    last.append("tblJournal", [R.journal_row(j) for j in new_journal[journal:]])
    last.names["NextInvoiceNumber"] = settings.next_invoice_number
    shutil.rmtree(path.with_name(path.stem + ".ardesk"), ignore_errors=True)
    with_run_log(path)
    port = FileWorkbook(path)
    port.command = f"post {months[-1]}"
    port.write(last, backup=False)
    # the month-end's bank file
    bank = payments_for(ledger, MONTH_END, n * 4 // 5, rng, customers)
    write_bank_file(path.with_suffix(".csv"), [(b.date, to_decimal(b.amount), b.payer, b.reference, b.payer_account)
                                               for b in bank])
    return {"invoices": len(new_inv), "payments": len(new_pay), "allocations": len(new_alloc),
            "journal_lines": len(new_journal)}


def save_with_openpyxl(path: Path, ch: Changes) -> None:
    """A new workbook holding ``ch``, written by openpyxl, a writer independent of ardesk's, so month-end
    appends to a file it did not make."""
    if path.exists():
        path.unlink()
    from openpyxl import load_workbook
    wb = load_workbook(create_workbook(path))
    apply_changes(wb, ch, defined_names(path))
    wb.save(path)


def write_bank_file(path: Path, lines) -> None:
    with open(path, "w") as fh:
        fh.write("date,amount,payer,reference,account\n")
        for when, amount, payer, ref, account in lines:
            fh.write(f"{when},{amount},{payer},{ref},{account}\n")


def build_history(path: Path, n: int, months: list[str]) -> dict:
    """A book of ``months`` of history from the independent generator, closed through the last of them."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from history import bank_lines, generate
    book = generate(n, months)
    ch = Changes()
    for table, rows in (("tblCustomers", book.customers), ("tblCharges", book.charges),
                        ("tblInvoices", book.invoices), ("tblInvoiceLines", book.lines),
                        ("tblPayments", book.payments), ("tblAllocations", book.allocations),
                        ("tblJournal", book.journal)):
        ch.append(table, rows)
    ch.names["NextInvoiceNumber"] = book.next_invoice
    ch.names["LockedThrough"] = parse_period(months[-1])[1]
    save_with_openpyxl(path, ch)
    write_bank_file(path.with_suffix(".csv"), bank_lines(book, MONTH_END))
    return {"invoices": len(book.invoices), "payments": len(book.payments), "journal_lines": len(book.journal)}


def archived_copy(book: Path, keep: int = KEEP_MONTHS) -> tuple[Path, dict, float]:
    """A copy of ``book`` with what was settled before the last ``keep`` months archived (made once)."""
    from ardesk import app
    out = book.with_name(f"{book.stem}-keep{keep}.xlsx")
    info = out.with_suffix(".json")
    if out.exists() and info.exists():
        return out, json.loads(info.read_text()), 0.0
    for p in (out, out.with_name(out.stem + "-archive.xlsx")):
        p.unlink(missing_ok=True)
    shutil.rmtree(out.with_name(out.stem + ".ardesk"), ignore_errors=True)
    shutil.copy2(book, out)
    shutil.copy2(book.with_suffix(".csv"), out.with_suffix(".csv"))
    y, m = int(MONTH_END[:4]), int(MONTH_END[5:]) - keep
    while m < 1:
        y, m = y - 1, m + 12
    res, secs = timed(app.archive_books, FileWorkbook(out), date(y, m, 1))
    assert res.ok, res.summary["problems"][:3]
    info.write_text(json.dumps(res.summary["moved"]))
    return out, res.summary["moved"], secs


def with_run_log(book: Path) -> None:
    """Start the book's run log as its first posting run would (a baseline of every ledger), once, so the
    month-end measured is a clerk's usual one and not the first ever on the file."""
    from datetime import datetime
    from ardesk.io import runlog
    port = FileWorkbook(book)
    log = port.log()
    if next(log.records_from_last(), None) is not None:
        return
    port.check_books()
    chk = port.last_check
    runlog.start(log, chk.actual, datetime.now().replace(microsecond=0), chk.ledger_states(), chk.parts)


def copy_book(src: Path, dst: Path) -> None:
    """The workbook, its bank file and its run log, as a clerk's folder holds them."""
    shutil.copy2(src, dst)
    shutil.copy2(src.with_suffix(".csv"), dst.with_suffix(".csv"))
    log = dst.with_name(dst.stem + ".ardesk")
    shutil.rmtree(log, ignore_errors=True)
    if src.with_name(src.stem + ".ardesk").exists():
        shutil.copytree(src.with_name(src.stem + ".ardesk"), log)


def timed(fn, *a, **kw):
    t = time.perf_counter()
    out = fn(*a, **kw)
    return out, time.perf_counter() - t


def child(kind: str, path: str) -> None:
    """Run one measurement in this (fresh) process; print its time and peak memory as JSON."""
    t = time.perf_counter()
    if kind == "bare":
        from openpyxl import load_workbook
        wb = load_workbook(path)
        wb.save(path + ".bare.xlsx")
    elif kind == "calamine":
        from python_calamine import CalamineWorkbook
        book = CalamineWorkbook.from_path(path, load_tables=True)
        for name in book.table_names:
            book.get_table_by_name(name).to_python()
    else:
        from ardesk import app
        res = app.run(FileWorkbook(path), "month-end", period=MONTH_END, bank_files=[path[:-5] + ".csv"])
        assert res.ok, res.summary["problems"][:3]
    seconds = time.perf_counter() - t
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb()}))


def peak_mb() -> float:
    """This process's peak resident memory.  VmHWM starts afresh at exec; ru_maxrss would carry the
    bench's own memory over into the child it forks."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def median_run(runs: list[dict]) -> dict:
    """The run of median time (its time and peak memory)."""
    return sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]


def in_child(kind: str, path: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", kind, str(path)], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def in_process(work: Path) -> None:
    """Read, parse and the pure core steps, timed in this process; what they hold is freed on return,
    before the file runs are timed in their own processes (a child started beside gigabytes held here
    runs slower: 18.5 s instead of 16.9 s for the same month-end)."""
    # file read and parsing (what every run does first)
    from ardesk import app
    from ardesk.core.reports.aging import age
    from ardesk.core.reports import metrics as reports
    from ardesk.core.ledger.reconcile import reconcile
    port = FileWorkbook(work)
    raw, t_read = timed(port.read_tables, app.ALL_TABLES)
    settings_raw = port.read_settings()

    class AlreadyRead:
        """The tables just read, so that parsing is timed alone."""
        def read_tables(self, names):
            missing = [n for n in names if n not in raw]
            if missing:
                raise WorkbookError(f"no table {missing[0]}")
            return {n: raw[n] for n in names}

        def read_settings(self):
            return settings_raw
    with app.collector_paused():                # as a run parses them
        books, t_parse = timed(app.load, AlreadyRead())
    print(f"read tables (calamine)      {t_read:7.2f} s")
    print(f"validate + parse to records {t_parse:7.2f} s")
    ledger, settings = books.ledger, books.settings
    print(f"  rows: invoices {len(ledger.invoices)}, payments {len(ledger.payments)}, "
          f"allocations {len(ledger.allocations)}, journal {len(ledger.journal)}")

    # core steps, pure, timed as a run does them (the cyclic collector paused)
    gc.disable()
    steps = {}
    res, steps["bill"] = timed(bill, MONTH_END, books.customers, books.charges, ledger, settings)
    def post_invoices():
        ledger.add_invoices(res.invoices)
        for inv in res.invoices:
            ledger.add_journal(invoice_entry(inv, ledger, settings))
    _, steps["bill: journal"] = timed(post_invoices)
    incoming, _p, _f = app.read_bank_files([work.with_suffix(".csv")], None, "EUR")
    rec, steps["receive: match + post"] = timed(post_receipts, incoming, ledger, books.customers, settings)
    _, steps["receive: credits"] = timed(apply_credits, ledger, settings)
    start, end = parse_period(MONTH_END)
    rc, steps["reconcile"] = timed(reconcile, ledger, settings, start, end)
    ag, steps["aging"] = timed(age, ledger, end, settings.aging_buckets)
    _, steps["summary"] = timed(reports.summary_rows, ledger, settings, ag, rc)
    gc.enable()
    total = sum(steps.values())
    for k, v in steps.items():
        print(f"core {k:26s}{v:7.2f} s")
    print(f"core steps together         {total:7.2f} s   target < 2 s   {'OK' if total < 2 else 'OVER'}")
    print(f"  issued {len(res.invoices)} invoices, posted {len(rec.payments)} receipts; "
          f"reconciled: {rc.ok}")



def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=20000)
    ap.add_argument("--history-customers", type=int, default=3000)
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--openpyxl", action="store_true", help="also time a bare openpyxl load + save")
    ap.add_argument("--unarchived", action="store_true", help="also time the history books before archiving")
    ap.add_argument("--history-only", action="store_true", help="only the history ratio")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(*a.child)
        return
    OUT.mkdir(exist_ok=True)
    work = OUT / "work.xlsx"
    if a.history_only:
        history(a, work)
        return
    ref = OUT / f"reference-{a.customers}.xlsx"
    if a.rebuild or not ref.exists():
        counts, secs = timed(build, ref, a.customers)
        print(f"built {ref.name} in {secs:.1f} s: {counts}")
    copy_book(ref, work)
    print(f"workbook {ref.stat().st_size / 1e6:.1f} MB")

    in_process(work)
    gc.collect()

    copy_book(ref, work)
    shutil.rmtree(work.with_name(work.stem + ".ardesk"), ignore_errors=True)     # no run log yet
    first = in_child("month-end", work)
    with_run_log(ref)
    reads, runs = [], []
    for _ in range(RUNS):       # the read and the month-end in turn, on a fresh copy each time
        copy_book(ref, work)
        reads.append(in_child("calamine", work))
        runs.append(in_child("month-end", work))
    read, me = median_run(reads), median_run(runs)
    over_read = me["seconds"] / read["seconds"]
    def times(rs: list[dict]) -> str:
        return ", ".join(f"{r['seconds']:.2f}" for r in rs)
    print(f"  {RUNS} runs each: calamine read {times(reads)} s; month-end {times(runs)} s; the medians below")
    print(f"first month-end on the file  {first['seconds']:6.2f} s   peak {first['peak_mb']:6.0f} MB   "
          "(starts the run log: a copy of every ledger)")
    print(f"calamine read of every table {read['seconds']:6.2f} s   peak {read['peak_mb']:6.0f} MB")
    print(f"ardesk month-end (file)     {me['seconds']:7.2f} s   target <= {TARGET_SECONDS} s   "
          f"{'OK' if me['seconds'] <= TARGET_SECONDS else 'OVER'}")
    print(f"  peak memory               {me['peak_mb']:7.0f} MB  target < {TARGET_MB} MB  "
          f"{'OK' if me['peak_mb'] < TARGET_MB else 'OVER'}")
    print(f"ratio month-end / read      {over_read:7.2f}     target <= {TARGET_OVER_READ}     "
          f"{'OK' if over_read <= TARGET_OVER_READ else 'OVER'}")
    if a.openpyxl:
        copy_book(ref, work)
        bare = in_child("bare", work)
        print(f"bare openpyxl load + save   {bare['seconds']:7.2f} s   peak {bare['peak_mb']:6.0f} MB   "
              f"ratio month-end / bare {me['seconds'] / bare['seconds']:.2f}")

    history(a, work)


def history(a, work: Path) -> None:
    """The same month-end after 5 and after 24 months of history, archived as a clerk would."""
    runs, whole = {}, {}
    for months in (5, 24):
        book = OUT / f"history-gen-{a.history_customers}-{months}.xlsx"
        if a.rebuild or not book.exists():
            counts, secs = timed(build_history, book, a.history_customers, months_before(MONTH_END, months))
            print(f"built {book.name} in {secs:.1f} s: {counts}")
        if a.unarchived:
            with_run_log(book)
            copy_book(book, work)
            whole[months] = in_child("month-end", work)
        kept, moved, secs = archived_copy(book)
        if secs:
            print(f"archived {book.name} before the last {KEEP_MONTHS} months in {secs:.1f} s: {moved}")
        copy_book(kept, work)
        runs[months] = in_child("month-end", work)
        print(f"month-end after {months:2d} months   {runs[months]['seconds']:7.2f} s   peak "
              f"{runs[months]['peak_mb']:6.0f} MB   ({book.stat().st_size / 1e6:.1f} MB workbook, "
              f"{kept.stat().st_size / 1e6:.1f} MB after archiving)"
              + (f"   unarchived {whole[months]['seconds']:.2f} s" if months in whole else ""))
    growth = runs[24]["seconds"] / runs[5]["seconds"]
    print(f"ratio 24 months / 5 months  {growth:7.2f}     target <= {TARGET_HISTORY}   "
          f"{'OK' if growth <= TARGET_HISTORY else 'OVER'}")
    if whole:
        print(f"  unarchived the ratio is   {whole[24]['seconds'] / whole[5]['seconds']:7.2f}")


if __name__ == "__main__":
    main()
