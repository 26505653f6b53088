"""The demo workbook: about 500 customers and three months of realistic history.

``ardesk demo`` creates the workbook, bills the first two months, posts their
receipts (typed on the Receipts tab and imported from a bank CSV), then runs
month-end for the third month with that month's bank file.  The history has
prompt payers, late payers, partial payments, one payment for several
invoices, overpayments and receipts nobody can identify.  Everything goes
through the same library calls a clerk's buttons make.
"""
from __future__ import annotations

import csv
import random
import shutil
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Callable

from . import app
from .core.money import exponent, to_decimal
from .core.periods import add_months, parse_period, period_of, previous_period
from .io.fileadapter import FileWorkbook
from .io.port import Changes
from .io.memory import MemoryWorkbook
from .io.template import create_workbook

WORDS = ("Acme", "Northwind", "Blue", "Harbor", "Summit", "Cedar", "Granite", "Silver", "Maple", "Orbit",
         "Pioneer", "Atlas", "Beacon", "Crescent", "Delta", "Evergreen", "Falcon", "Golden", "Horizon", "Ivory",
         "Juniper", "Keystone", "Lakeside", "Meridian", "Nimbus", "Oakridge", "Prairie", "Quarry", "Redwood",
         "Sterling", "Tidewater", "Union", "Valley", "Willow", "Zenith")
KINDS = ("Bakery", "Logistics", "Dental", "Studio", "Foods", "Motors", "Textiles", "Partners", "Labs", "Works",
         "Clinic", "Systems", "Print", "Garden", "Optics", "Legal", "Builders", "Cafe", "Pharmacy", "Media")
SUFFIX = ("Ltd", "BV", "GmbH", "SARL", "Inc", "LLC", "NV", "")
TOWNS = (("1000", "Brussels", "BE"), ("2000", "Antwerp", "BE"), ("9000", "Ghent", "BE"), ("1012", "Amsterdam", "NL"),
         ("3011", "Rotterdam", "NL"), ("75001", "Paris", "FR"), ("10115", "Berlin", "DE"), ("10001", "New York", "US"))
PLANS = (("BASIC", "Basic plan", "49.00"), ("TEAM", "Team plan", "149.00"), ("PRO", "Professional plan", "390.00"),
         ("ENT", "Enterprise plan", "1250.00"))
BEHAVIOURS = ("prompt",) * 50 + ("late",) * 15 + ("partial",) * 10 + ("combined",) * 10 + ("over",) * 5 + \
             ("noref",) * 8 + ("silent",) * 2


@dataclass
class DemoCustomer:
    id: str
    name: str
    currency: str
    terms: int
    behaviour: str
    iban: str


def _customers(rng: random.Random, n: int) -> tuple[list[tuple], list[DemoCustomer]]:
    rows, people, names = [], [], set()
    for i in range(1, n + 1):
        for _try in range(50):      # the word lists make a few thousand names: a big demo numbers the rest
            name = f"{rng.choice(WORDS)} {rng.choice(KINDS)} {rng.choice(SUFFIX)}".strip()
            if name not in names:
                break
        else:
            name = f"{name} {i}"
        names.add(name)
        cid = f"C{i:04d}"
        pc, town, country = rng.choice(TOWNS)
        currency = "USD" if country == "US" else "EUR"
        terms = rng.choice((14, 30, 30, 30, 45, 60))
        rate = {"BE": "0.21", "NL": "0.21", "FR": "0.20", "DE": "0.19", "US": "0"}[country]
        status = "active" if rng.random() > 0.03 else rng.choice(("hold", "inactive"))
        iban = f"{country}{rng.randint(10, 99)}{rng.randint(10**11, 10**12 - 1)}"
        email = "" if rng.random() < 0.1 else f"ap@{name.split()[0].lower()}{i}.example"
        rows.append((cid, name, email or None, f"{rng.randint(1, 200)} {rng.choice(WORDS)} Street, {town}", pc,
                     country, terms, Decimal(rate), currency, Decimal(rng.choice((5000, 10000, 25000, 50000))),
                     status, iban, None))
        people.append(DemoCustomer(cid, name, currency, terms, rng.choice(BEHAVIOURS), iban))
    return rows, people


def _charges(rng: random.Random, people: list[DemoCustomer], first: date) -> list[tuple]:
    rows = []
    n = 0

    def add(cid, item, desc, qty, price, freq, start, end=None):
        nonlocal n
        n += 1
        rows.append((f"CH{n:05d}", cid, item, desc, Decimal(qty), Decimal(price), freq, start, end, None))

    for c in people:
        item, desc, price = rng.choice(PLANS)
        # most started before the demo; some start mid-month (prorated first period)
        start = first - timedelta(days=rng.randint(30, 700)) if rng.random() > 0.1 else \
            first + timedelta(days=rng.randint(3, 25))
        end = None
        if rng.random() < 0.04:
            end = add_months(first, 1) + timedelta(days=rng.randint(5, 20))   # leaves mid-month
        add(c.id, item, desc, rng.choice((1, 1, 1, 2, 3, 5)), price, "monthly", start, end)
        if rng.random() < 0.25:
            add(c.id, "SUPPORT", "Priority support", 1, "240.00", "quarterly",
                date(first.year, first.month, 1) if rng.random() < 0.5 else add_months(first, 1))
        if rng.random() < 0.1:
            add(c.id, "LICENSE", "Annual licence", 1, "1800.00", "annual", add_months(first, rng.randint(0, 2)))
        if rng.random() < 0.15:
            add(c.id, "SETUP", "Onboarding and setup", 1, f"{rng.choice((150, 300, 450))}.00", "once",
                first + timedelta(days=rng.randint(0, 80)))
        if rng.random() < 0.08:
            add(c.id, "HOURS", "Consulting hours", Decimal(rng.choice(("2.5", "4", "7.75"))), "95.00", "once",
                add_months(first, 2) + timedelta(days=rng.randint(0, 20)))
    return rows


def _receipts_for(rng: random.Random, people: dict[str, DemoCustomer], books: app.Books, start: date, end: date
                  ) -> tuple[list[tuple], list[tuple]]:
    """Receipts a month brings: (rows typed on the Receipts tab, lines of the bank CSV)."""
    typed, bank = [], []
    ledger = books.ledger
    by_customer: dict[str, list] = {}
    for inv, left in ledger.open_items(None):
        if inv.kind == "invoice":
            by_customer.setdefault(inv.customer_id, []).append((inv, left))
    for cid, items in sorted(by_customer.items()):
        c = people.get(cid)
        if c is None or c.behaviour == "silent":
            continue
        e = exponent(c.currency)
        items.sort(key=lambda t: t[0].due_date)
        due_now = [(inv, left) for inv, left in items if inv.issue_date <= end]
        if c.behaviour == "late":
            due_now = [(inv, left) for inv, left in due_now if (end - inv.due_date).days > 20]
        if not due_now:
            continue
        if c.behaviour == "combined" and len(due_now) >= 2:
            pay = due_now[:3]
            amount = sum(left for _, left in pay)
            ref = " ".join(inv.number for inv, _ in pay)
        else:
            inv, left = due_now[0]
            amount = left
            ref = inv.number
            if c.behaviour == "partial":
                amount = left // 2
            elif c.behaviour == "over":
                amount = left + 10 ** e * rng.choice((5, 10, 25))
            elif c.behaviour == "noref":
                ref = rng.choice(("payment", "thank you", f"order {rng.randint(1000, 9999)}"))
            elif rng.random() < 0.3:
                ref = f"RF {inv.creditor_ref[2:]}" if rng.random() < 0.5 else inv.creditor_ref
        day = min(end, max(start, due_now[0][0].issue_date + timedelta(days=rng.randint(5, 25))))
        if rng.random() < 0.35:
            typed.append((day, "check", c.name, None, ref, str(rng.randint(100000, 999999)),
                          to_decimal(amount, e), c.currency, None))
        else:
            bank.append((day, to_decimal(amount, e), c.name, ref, c.iban, c.currency))
    for k in range(rng.randint(3, 6)):       # money nobody can place
        bank.append((start + timedelta(days=rng.randint(2, 25)), Decimal(rng.choice(("75.00", "120.50", "980.00"))),
                     f"{rng.choice(('J.', 'M.', 'Unknown'))} {rng.choice(WORDS)}", "transfer", "", "EUR"))
    return typed, bank


def write_bank_csv(path: Path, lines: list[tuple]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(("date", "amount", "payer", "reference", "account", "currency"))
        for d, amount, payer, ref, acct, cur in sorted(lines, key=lambda x: (x[0], x[2])):
            w.writerow((d.isoformat(), f"{amount:.2f}", payer, ref, acct, cur))
    return path


def _must(result: app.RunResult) -> app.RunResult:
    if result.problems:
        raise RuntimeError("demo history stopped: " + "; ".join(map(str, result.problems[:5])))
    return result


def refuse_unless_demo(path: Path) -> None:
    """An existing file is replaced only when it is a demo workbook: every Audit row made by the demo."""
    from .io.port import WorkbookError
    try:
        audit = FileWorkbook(path).read_tables(["tblAudit"])["tblAudit"]
        users = {row[audit.index("User")] for row in audit.rows if not audit.is_blank(row)}
    except WorkbookError:
        users = set()
    if users != {"demo"}:
        raise FileExistsError(f"{path} already exists and is not a demo workbook made by ardesk demo; "
                              "ardesk demo never overwrites a workbook: give another file name")


def remove_demo(path: Path) -> None:
    """The old demo workbook, its backup and its run log."""
    from .io.runlog import folder_for
    path.unlink()
    bak = path.with_name(f"{path.stem}.bak{path.suffix}")
    if bak.exists():
        bak.unlink()
    shutil.rmtree(folder_for(path), ignore_errors=True)
# A dunning policy to try `ardesk dunning` on: a friendly e-mail, a letter with a fee, interest at a contract
# rate and the statutory compensation, then a call.
DUNNING_LEVELS = [
    # Policy Level DaysPastDue MinAmount Fee InterestBasis ContractRate Compensation Channel Template Currency
    ("standard", 1, -3, None, None, "none", None, "none", "e-mail", "friendly-reminder", None),
    ("standard", 2, 14, Decimal("10.00"), Decimal("5.00"), "contract", Decimal("0.08"), "statutory", "letter",
     "reminder-letter", None),
    ("standard", 3, 45, Decimal("10.00"), Decimal("10.00"), "contract", Decimal("0.08"), "none", "call task",
     "call-script", None),
]


def build_demo(path: str | Path = "ardesk-demo.xlsx", *, customers: int = 500, period: str | None = None,
               seed: int = 2026, dry_run: bool = False, today: date | None = None,
               progress: Callable[[str], None] | None = None, history_months: int = 2) -> app.RunResult:
    """Create the demo workbook, with ``history_months`` months billed and received before ``period``,
    and run month-end for ``period`` (default: last month)."""
    path = Path(path)
    tick = progress or (lambda _s: None)
    rng = random.Random(seed)
    period = period or previous_period(today or date.today())
    last_start, last_end = parse_period(period)
    first = add_months(last_start, -history_months)
    months = [period_of(add_months(first, k)) for k in range(history_months)]
    if path.exists():
        refuse_unless_demo(path)
        remove_demo(path)
    # The history is run in memory through the same library calls, then written once.
    mem = MemoryWorkbook({"Period": period})
    rows, people = _customers(rng, customers)
    ch = Changes()
    ch.append("tblCustomers", rows)
    ch.append("tblCharges", _charges(rng, people, first))
    ch.append("tblDunningLevels", DUNNING_LEVELS)
    mem.write(ch)
    by_id = {p.id: p for p in people}
    clock = datetime.combine(first, datetime.min.time()).replace(hour=9)
    for m in months:
        tick(f"history {m}")
        start, end = parse_period(m)
        _must(app.run(mem, "bill", period=m, now=clock, user="demo"))
        typed, bank = _receipts_for(rng, by_id, app.load(mem), start, end)
        if typed:
            ch = Changes()
            ch.append("tblReceipts", typed)
            mem.write(ch)
        csv_path = write_bank_csv(path.with_name(f"{path.stem}-bank-{m}.csv"), bank)
        _must(app.run(mem, "receive", bank_files=[csv_path], now=clock, user="demo"))
        clock += timedelta(days=31)
    # the last month's receipts: bill in a preview to see what will be open
    books = app.load(mem)
    from .core.billing.billing import bill as bill_period
    preview = bill_period(period, books.customers, books.charges, books.ledger, books.settings)
    books.ledger.add_invoices(preview.invoices)
    typed, bank = _receipts_for(rng, by_id, books, last_start, last_end)
    if typed:
        ch = Changes()
        ch.append("tblReceipts", typed)
        mem.write(ch)
    csv_path = write_bank_csv(path.with_name(f"{path.stem}-bank-{period}.csv"), bank)
    tick("write workbook")
    create_workbook(path)
    port = FileWorkbook(path)
    port.write(mem.to_changes(), backup=False)
    port = FileWorkbook(path)
    tick(f"month-end {period}")
    result = app.run(port, "month-end", period=period, bank_files=[csv_path], dry_run=dry_run,
                     now=clock, user="demo", progress=progress)
    result.summary["workbook"] = str(path)
    result.summary["bank_file"] = str(csv_path)
    return result
