"""Opening balances from another system's exports: customers, open items, one opening entry, a check.

Pure: takes the export files as lines of text (read at the edge), the layout, the books as they are,
and returns what to add and the problems found, each naming the file, row, column and value.

- Every open item keeps its own number, issue date, due date and open amount; it is booked as an
  invoice (or, when it reduces what the customer owes, a credit note) whose total is that open
  amount, period ``opening``.  Paid items (nothing open) are not brought in.
- One opening entry, dated the opening date, debits AR per customer and currency with what the
  imported items leave open and credits the opening-balance account (Settings) with the same: it
  balances per currency.
- Idempotent: a customer already on Customers (same ID, or same name) and an item already in the
  ledger (same number, customer and amount) are not added again; a second import adds nothing.
  An item number already used for something else is refused.
- The check: the open amount booked per customer and in total is compared with the export's own
  figures (the customer list's balance column and the aging report's TOTAL line, where the
  export has them; else the sum of its items) and the result is said either way.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from .layouts import FieldError, JOINED, Layout, is_credit, read_date, read_money, read_status, read_terms
from ..ledger.ledger import Ledger
from ..model import ACCOUNT_NAMES, Customer, Invoice, JournalLine, Problem, Settings
from ..money import exponent, fmt

STEP = "import"
PERIOD = "opening"


@dataclass(frozen=True)
class ExportFile:
    """An export as read from disk: every line (row 1 first), each cell as the text it holds."""
    source: str
    lines: tuple[tuple[str, ...], ...]


@dataclass
class ImportPlan:
    customers: list[Customer] = field(default_factory=list)
    invoices: list[Invoice] = field(default_factory=list)
    journal: list[JournalLine] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    opening_date: date | None = None
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Item:
    row: int
    number: str
    customer: str
    issue: date
    due: date
    open: int
    currency: str
    credit: bool


class _Reader:
    """Finds an export's heading row and reads fields of its lines, noting every bad cell."""

    def __init__(self, f: ExportFile, fields: dict[str, tuple[str, ...]], required: tuple[str, ...],
                 what: str, problems: list[Problem]):
        self.f, self.problems, self.ok = f, problems, False
        self.cols: dict[str, list[tuple[int, str]]] = {}
        self.header_row = 0
        for i, line in enumerate(f.lines):
            heads = [c.strip() for c in line]
            found = {k: [(heads.index(c), c) for c in cands if c in heads] for k, cands in fields.items()}
            if all(found.get(k) for k in required):
                self.cols = {k: (v if k in JOINED else v[:1]) for k, v in found.items() if v}
                self.header_row, self.ok = i + 1, True
                break
        if not self.ok:
            need = "; ".join(f"{k}: {' or '.join(fields[k])}" for k in required)
            problems.append(Problem(f"{f.source} is not a {what}: no heading row with the columns {need}",
                                    f.source, None, "", None, STEP))

    def lines(self):
        for i in range(self.header_row, len(self.f.lines)):
            line = self.f.lines[i]
            if any(c.strip() for c in line):
                yield i + 1, line

    def text(self, line, key: str) -> str:
        parts = [line[ix].strip() for ix, _ in self.cols.get(key, ()) if ix < len(line)]
        return ", ".join(p for p in parts if p) if key in JOINED else (parts[0] if parts else "")

    def bad(self, row: int, key: str, value: str, message: str) -> None:
        column = self.cols[key][0][1] if key in self.cols else key
        self.problems.append(Problem(f"{value!r} {message}", self.f.source, row, column, value, STEP))

    def convert(self, row: int, line, key: str, conv, required: bool = False):
        v = self.text(line, key)
        if not v:
            if required:
                self.bad(row, key, v, "is required")
                raise FieldError(key)
            return None
        try:
            return conv(v)
        except FieldError as exc:
            self.bad(row, key, v, str(exc))
            raise


def _stated_as_of(f: ExportFile, header_row: int, layout: Layout) -> date | None:
    """The date a report's title states ("As of June 30, 2026"), when the layout has one."""
    if not layout.as_of_prefix:
        return None
    for line in f.lines[:max(header_row - 1, 0)]:
        text = _first_cell(line)
        if text.startswith(layout.as_of_prefix):
            try:
                return datetime.strptime(text[len(layout.as_of_prefix):].strip(), layout.as_of_format).date()
            except ValueError:
                return None
    return None


def _first_cell(line) -> str:
    return next((c.strip() for c in line if c.strip()), "")


def plan_import(customers_file: ExportFile, invoices_file: ExportFile, layout: Layout,
                existing: dict[str, Customer], ledger: Ledger, settings: Settings,
                opening_date: date | None = None) -> ImportPlan:
    plan = ImportPlan()
    problems = plan.problems
    base = (layout.currency or settings.base_currency).upper()

    # -- customers --------------------------------------------------------------------------
    cr = _Reader(customers_file, layout.customers, layout.required_customers, "customer list", problems)
    by_name: dict[str, tuple[int, str, str, Customer | None]] = {}   # name -> (row, id, currency, new record)
    stated: dict[str, tuple[int, int]] = {}                             # name -> (row, balance the export states)
    taken = {c.id for c in existing.values()}
    existing_by_name = {c.name: c for c in existing.values()}
    next_seq = max((int(c.id[1:]) for c in existing.values() if c.id[:1] == "C" and c.id[1:].isdigit()), default=0)
    seen_ids: dict[str, int] = {}
    name_by_id: dict[str, str] = {}                                     # the export's customer number -> name
    for row, line in (cr.lines() if cr.ok else ()):
        name = cr.text(line, "name")
        if not name or (layout.skip_prefix and name.startswith(layout.skip_prefix)) or \
                (layout.total_marker and _first_cell(line) == layout.total_marker):
            continue
        try:
            cur = (cr.convert(row, line, "currency", str.upper) or base)
            terms = cr.convert(row, line, "terms", lambda t: read_terms(t, layout.terms_days))
            limit = cr.convert(row, line, "credit_limit", lambda t: read_money(t, cur, layout.decimal_comma))
            balance = cr.convert(row, line, "balance", lambda t: read_money(t, cur, layout.decimal_comma))
        except FieldError:
            continue
        if len(cur) != 3 or not cur.isalpha():
            cr.bad(row, "currency", cur, "is not an ISO 4217 currency code such as EUR")
            continue
        if name in by_name:
            cr.bad(row, "name", name, f"is a duplicate customer (first on row {by_name[name][0]})")
            continue
        cid = cr.text(line, "id")
        if cid and cid in seen_ids:
            cr.bad(row, "id", cid, f"is a duplicate customer number (first on row {seen_ids[cid]})")
            continue
        if cid:
            seen_ids[cid] = row
            name_by_id[cid] = name
        if balance is not None:
            stated[name] = (row, balance)
        known = existing.get(cid) if cid else None
        known = known or existing_by_name.get(name)
        if known is not None:
            if known.name != name:
                cr.bad(row, "id", cid, f"is customer {known.id} on Customers, named {known.name!r}, not {name!r}")
                continue
            by_name[name] = (row, known.id, known.currency, None)
            continue
        if not cid or cid in taken:
            next_seq += 1
            while f"C{next_seq:05d}" in taken:
                next_seq += 1
            cid = f"C{next_seq:05d}"
        taken.add(cid)
        record = Customer(cid, name, layout.terms_days if terms is None else terms, Decimal(0), cur,
                          read_status(cr.text(line, "status")),
                          cr.text(line, "email"), cr.text(line, "address"), cr.text(line, "postal_code"),
                          cr.text(line, "country"), limit, "", row)
        by_name[name] = (row, cid, cur, record)

    # -- open items -----------------------------------------------------------------------------
    ir = _Reader(invoices_file, layout.invoices, layout.required_invoices, "list of open invoices", problems)
    items: dict[str, _Item] = {}
    export_total: tuple[int, str] | None = None            # (row, amount as written) of the export's TOTAL line
    paid = 0
    for row, line in (ir.lines() if ir.ok else ()):
        first = _first_cell(line)
        number = ir.text(line, "number")
        if layout.total_marker and first == layout.total_marker:
            try:        # read in the items' currency once they are known; checked to be an amount now
                ir.convert(row, line, "open", lambda t: read_money(t, base, layout.decimal_comma), True)
                export_total = (row, ir.text(line, "open"))
            except FieldError:
                pass
            continue
        if layout.skip_prefix and first.startswith(layout.skip_prefix):
            continue                                        # subtotals of a report
        if not number:
            if ir.text(line, "issue_date"):
                ir.bad(row, "number", "", "is required: every open item needs its number")
            continue
        customer = ir.text(line, "customer")
        customer = name_by_id.get(customer, customer)     # an export that names customers by number
        if customer in by_name:
            cid_cur = by_name[customer][2]
        elif customer in existing_by_name or customer in existing:
            cid_cur = (existing_by_name.get(customer) or existing[customer]).currency
        else:
            ir.bad(row, "customer", customer, f"is not in {customers_file.source} nor on Customers")
            continue
        try:
            cur = ir.convert(row, line, "currency", str.upper) or cid_cur
            issue = ir.convert(row, line, "issue_date", lambda t: read_date(t, layout.date_format), True)
            due = ir.convert(row, line, "due_date", lambda t: read_date(t, layout.date_format), True)
            left = ir.convert(row, line, "open", lambda t: read_money(t, cur, layout.decimal_comma), True)
        except FieldError:
            continue
        credit = is_credit(ir.text(line, "type"), left)
        item = _Item(row, number, customer, issue, due, -abs(left) if credit else left, cur, credit)
        if number in items:
            prev = items[number]
            same = (prev.customer, prev.issue, prev.due, prev.open, prev.currency) == \
                   (item.customer, item.issue, item.due, item.open, item.currency)
            if not (layout.lines_per_item and same):
                ir.bad(row, "number", number, f"is a duplicate item number (first on row {prev.row})"
                       + ("" if same else " with different details"))
            continue
        if due < issue:
            ir.bad(row, "due_date", ir.text(line, "due_date"), f"is before the issue date {issue}")
            continue
        if not left:
            paid += 1
            continue
        items[number] = item

    if problems:
        return plan

    # -- what is new, what is there already --------------------------------------------------------
    def cid_of(name: str) -> str:
        if name in by_name:
            return by_name[name][1]
        return (existing_by_name.get(name) or existing[name]).id

    plan.customers = [rec for _row, _cid, _cur, rec in by_name.values() if rec is not None]
    opening = opening_date or _stated_as_of(invoices_file, ir.header_row, layout) or \
        max((i.issue for i in items.values()), default=None)
    plan.opening_date = opening
    new_items = []
    for it in items.values():
        cid = cid_of(it.customer)
        there = ledger.invoice_by_no.get(it.number)
        if there is not None:
            if (there.customer_id, there.total, there.currency) != (cid, it.open, it.currency):
                problems.append(Problem(
                    f"{it.number!r} is already in the ledger as {there.kind} of {there.customer_id} for "
                    f"{there.currency} {fmt(there.total, exponent(there.currency))}, not {it.currency} "
                    f"{fmt(it.open, exponent(it.currency))} for {cid}", invoices_file.source, it.row,
                    ir.cols["number"][0][1], it.number, STEP))
            continue
        if opening is not None and it.issue > opening:
            problems.append(Problem(f"{it.number!r} is issued on {it.issue}, after the opening date {opening}",
                                    invoices_file.source, it.row, ir.cols["issue_date"][0][1], it.number, STEP))
            continue
        new_items.append(Invoice(it.number, cid, it.issue, it.due, it.currency, it.open, 0, it.open,
                                 "credit note" if it.credit else "invoice", PERIOD))
    if new_items and settings.locked_through and opening <= settings.locked_through:
        problems.append(Problem(f"the opening date {opening} is inside the locked period (locked through "
                                f"{settings.locked_through})", "Settings", None, "LockedThrough",
                                settings.locked_through, STEP))
    if problems:
        return plan
    plan.invoices = new_items
    plan.journal = opening_entry(new_items, ledger, settings, opening) if new_items else []

    # -- the check ----------------------------------------------------------------------------------
    booked: dict[str, int] = defaultdict(int)
    new_by_no = {i.number: i for i in new_items}
    for it in items.values():
        booked[it.customer] += (ledger.invoice_by_no.get(it.number) or new_by_no[it.number]).total
    from_items: dict[str, int] = defaultdict(int)
    for it in items.values():
        from_items[it.customer] += it.open
    for name in sorted(set(booked) | set(stated)):
        cur = by_name[name][2] if name in by_name else base
        got = booked.get(name, 0)
        row, want = stated.get(name, (None, from_items.get(name, 0)))
        source = "the customer list's balance" if name in stated else "the sum of its items in the export"
        line = f"{name} ({cid_of(name)}): booked {cur} {fmt(got, exponent(cur))}, " \
               f"{source} {cur} {fmt(want, exponent(cur))}"
        if got == want:
            plan.checks.append(line + ": equal")
        else:
            plan.checks.append(line + f": DIFFERENCE {fmt(got - want, exponent(cur))}")
            problems.append(Problem(f"customer {name}: the items booked come to {fmt(got, exponent(cur))} but "
                                    f"{source} is {fmt(want, exponent(cur))}", customers_file.source if name in stated
                                    else invoices_file.source, row, cr.cols["balance"][0][1] if name in stated else "",
                                    fmt(want, exponent(cur)), STEP))
    currencies = {it.currency for it in items.values()}
    total = sum(booked.values())
    if export_total is not None:
        row, text = export_total
        tc = next(iter(currencies)) if len(currencies) == 1 else base
        want = read_money(text, tc, layout.decimal_comma)
        if len(currencies) > 1:
            plan.checks.append(f"the export's TOTAL line spans {', '.join(sorted(currencies))}: "
                               "compared per customer only")
        elif total == want:
            plan.checks.append(f"total: booked {tc} {fmt(total, exponent(tc))}, the export's TOTAL line "
                               f"{tc} {fmt(want, exponent(tc))}: equal")
        else:
            plan.checks.append(f"total: booked {tc} {fmt(total, exponent(tc))}, the export's TOTAL line "
                               f"{fmt(want, exponent(tc))}: DIFFERENCE {fmt(total - want, exponent(tc))}")
            problems.append(Problem(f"the items booked come to {fmt(total, exponent(tc))} but the export's "
                                    f"TOTAL line says {fmt(want, exponent(tc))}", invoices_file.source, row,
                                    ir.cols["open"][0][1], fmt(want, exponent(tc)), STEP))
    else:
        per_cur = defaultdict(int)
        for it in items.values():
            per_cur[it.currency] += it.open
        for c, v in sorted(per_cur.items()):
            plan.checks.append(f"total {c}: booked {fmt(v, exponent(c))}, the export's items "
                               f"{fmt(v, exponent(c))}: equal")
    plan.counts = {"customers_added": len(plan.customers), "items_added": len(new_items),
                   "items_already_there": len(items) - len(new_items), "paid_items_skipped": paid}
    if problems:
        plan.customers, plan.invoices, plan.journal = [], [], []
    return plan


def opening_entry(invoices: list[Invoice], ledger: Ledger, settings: Settings, when: date) -> list[JournalLine]:
    """One entry: Dr AR per customer and currency, Cr the opening-balance account per currency."""
    ar: dict[tuple[str, str], int] = defaultdict(int)
    for inv in invoices:
        ar[(inv.currency, inv.customer_id)] += inv.total
    per_cur: dict[str, int] = defaultdict(int)
    for (cur, _cid), v in ar.items():
        per_cur[cur] += v
    entry = ledger.next_id("JE")
    acct = settings.accounts
    out: list[JournalLine] = []

    def line(role: str, amount: int, cur: str, cid: str, debit_side: bool) -> None:
        if amount:
            d, c = (abs(amount), 0) if (amount > 0) == debit_side else (0, abs(amount))
            out.append(JournalLine(entry, len(out) + 1, when, acct[role], d, c, cur, cid, "opening", PERIOD,
                                   "opening balance brought in by import", ACCOUNT_NAMES[role]))
    for (cur, cid), v in sorted(ar.items()):
        line("AR", v, cur, cid, True)
    for cur, v in sorted(per_cur.items()):
        line("OpeningBalance", v, cur, "", False)
    return out


