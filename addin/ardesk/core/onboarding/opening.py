"""Opening balances from another system's exports: customers, open items, one opening entry, a check.

Pure: takes the export files as lines of text (read at the edge), the layout, the books as they are,
and returns what to add and the problems found, each naming the file, row, column and value.

- Every open item keeps its own number, issue date, due date and open amount; it is booked as an
  invoice (or, when it reduces what the customer owes, a credit note) whose total is that open
  amount, period ``opening``.  Paid items (nothing open) are not brought in.
- One opening entry debits AR (the customer) with each item's open amount, dated the item's issue
  date, and credits the opening-balance account (Settings) with each day's total per currency:
  the entry balances per currency on every date and the AR control equals the subledger at
  every date.  The opening date
  (the report's "As of" date, or the latest issue date) is the day the export was taken: an item
  issued after it is refused.
- Idempotent: a customer already on Customers (same ID, or same name) and an item already in the
  ledger (same number, customer and amount) are not added again; a second import adds nothing.
  An item number already used for something else is refused.
- The check: the open amount booked per customer and in total is compared with the export's own
  figures (the customer list's balance column and the aging report's TOTAL line) and the result
  is said either way; where the export states no figure, the check says that.
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

    def heading(self, key: str) -> str:
        """The column heading a field was read from."""
        return self.cols[key][0][1] if key in self.cols else key

    def bad(self, row: int, key: str, value: str, message: str) -> None:
        column = self.heading(key)
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


@dataclass
class _Customers:
    """The customer list as read, joined with the customers already on the workbook."""
    existing: dict[str, Customer]
    by_name: dict[str, tuple[int, str, str, Customer | None]] = field(default_factory=dict)  # (row, id, cur, new)
    stated: dict[str, tuple[int, int]] = field(default_factory=dict)       # name -> (row, the export's balance)
    name_by_id: dict[str, str] = field(default_factory=dict)               # the export's customer number -> name

    def __post_init__(self) -> None:
        self.existing_by_name = {c.name: c for c in self.existing.values()}

    def find(self, text: str) -> str | None:
        """The name an item's customer column refers to (a name or a number), None when unknown."""
        name = self.name_by_id.get(text, text)
        return name if name in self.by_name or name in self.existing_by_name or name in self.existing else None

    def known(self, name: str) -> Customer:
        return self.existing_by_name.get(name) or self.existing[name]

    def id_of(self, name: str) -> str:
        return self.by_name[name][1] if name in self.by_name else self.known(name).id

    def currency_of(self, name: str) -> str:
        return self.by_name[name][2] if name in self.by_name else self.known(name).currency


def plan_import(customers_file: ExportFile, invoices_file: ExportFile, layout: Layout,
                existing: dict[str, Customer], ledger: Ledger, settings: Settings,
                opening_date: date | None = None) -> ImportPlan:
    plan = ImportPlan()
    problems = plan.problems
    base = (layout.currency or settings.base_currency).upper()
    cr = _Reader(customers_file, layout.customers, layout.required_customers, "customer list", problems)
    customers = _read_customers(cr, layout, existing, base)
    ir = _Reader(invoices_file, layout.invoices, layout.required_invoices, "list of open invoices", problems)
    items, export_total, paid = _read_items(ir, layout, customers, customers_file.source)
    if problems:
        return plan

    plan.customers = [rec for _row, _cid, _cur, rec in customers.by_name.values() if rec is not None]
    opening = opening_date or _stated_as_of(invoices_file, ir.header_row, layout) or \
        max((i.issue for i in items.values()), default=None)
    plan.opening_date = opening
    new_items = []
    for it in items.values():
        cid = customers.id_of(it.customer)
        there = ledger.invoice_by_no.get(it.number)
        if there is not None:           # imported before: the same item again is skipped, another refused
            if (there.customer_id, there.total, there.currency) != (cid, it.open, it.currency):
                problems.append(Problem(
                    f"{it.number!r} is already in the ledger as {there.kind} of {there.customer_id} for "
                    f"{there.currency} {fmt(there.total, exponent(there.currency))}, not {it.currency} "
                    f"{fmt(it.open, exponent(it.currency))} for {cid}", invoices_file.source, it.row,
                    ir.heading("number"), it.number, STEP))
            continue
        if opening is not None and it.issue > opening:
            problems.append(Problem(f"{it.number} is issued on {it.issue}, after the opening date {opening}",
                                    invoices_file.source, it.row, ir.heading("issue_date"), it.issue, STEP))
            continue
        new_items.append(Invoice(it.number, cid, it.issue, it.due, it.currency, it.open, 0, it.open,
                                 "credit note" if it.credit else "invoice", PERIOD))
    locked = sorted((i for i in new_items if settings.locked_through and i.issue_date <= settings.locked_through),
                    key=lambda i: (i.issue_date, i.number))
    if locked:
        problems.append(Problem(f"{len(locked)} item(s) are issued inside the locked period (locked through "
                                f"{settings.locked_through}), the first {locked[0].number} on {locked[0].issue_date}",
                                "Settings", None, "LockedThrough", settings.locked_through, STEP))
    if problems:
        return plan
    new_by_no = {i.number: i for i in new_items}
    booked = {no: (ledger.invoice_by_no.get(no) or new_by_no[no]).total for no in items}
    plan.checks = _check(items, booked, customers, export_total, cr, ir, layout, base, problems)
    plan.counts = {"customers_added": len(plan.customers), "items_added": len(new_items),
                   "items_already_there": len(items) - len(new_items), "paid_items_skipped": paid}
    if problems:
        plan.customers = []
        return plan
    plan.invoices = new_items
    plan.journal = opening_entry(new_items, ledger, settings) if new_items else []
    return plan


def _read_customers(cr: _Reader, layout: Layout, existing: dict[str, Customer], base: str) -> _Customers:
    out = _Customers(existing)
    taken = {c.id for c in existing.values()}
    next_seq = max((int(c.id[1:]) for c in existing.values() if c.id[:1] == "C" and c.id[1:].isdigit()), default=0)
    seen_ids: dict[str, int] = {}
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
        if name in out.by_name:
            cr.bad(row, "name", name, f"is a duplicate customer (first on row {out.by_name[name][0]})")
            continue
        cid = cr.text(line, "id")
        if cid and cid in seen_ids:
            cr.bad(row, "id", cid, f"is a duplicate customer number (first on row {seen_ids[cid]})")
            continue
        if cid:
            seen_ids[cid] = row
            out.name_by_id[cid] = name
        if balance is not None:
            out.stated[name] = (row, balance)
        known = (existing.get(cid) if cid else None) or out.existing_by_name.get(name)
        if known is not None:           # on Customers already (same number or same name): not added again
            if known.name != name:
                cr.bad(row, "id", cid, f"is customer {known.id} on Customers, named {known.name!r}, not {name!r}")
                continue
            out.by_name[name] = (row, known.id, known.currency, None)
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
        out.by_name[name] = (row, cid, cur, record)
    return out


def _read_items(ir: _Reader, layout: Layout, customers: _Customers, customers_source: str
                ) -> tuple[dict[str, _Item], tuple[int, str] | None, int]:
    """The open items by number, the export's TOTAL line (row, amount as written) and how many paid
    items were left out."""
    items: dict[str, _Item] = {}
    export_total = None
    paid = 0
    for row, line in (ir.lines() if ir.ok else ()):
        first = _first_cell(line)
        number = ir.text(line, "number")
        if layout.total_marker and first == layout.total_marker:
            try:        # read in the items' currency once they are known; checked to be an amount now
                ir.convert(row, line, "open", lambda t: read_money(t, "", layout.decimal_comma), True)
                export_total = (row, ir.text(line, "open"))
            except FieldError:
                pass
            continue
        if layout.skip_prefix and first.startswith(layout.skip_prefix):
            continue                                        # subtotals of a report
        if not number:
            if ir.text(line, "issue_date"):
                ir.bad(row, "number", "", "is required: every open item needs its number")
            continue                                        # section headings of a report
        customer = customers.find(ir.text(line, "customer"))
        if customer is None:
            ir.bad(row, "customer", ir.text(line, "customer"), f"is not in {customers_source} nor on Customers")
            continue
        try:
            cur = ir.convert(row, line, "currency", str.upper) or customers.currency_of(customer)
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
    return items, export_total, paid


def _check(items: dict[str, _Item], booked: dict[str, int], customers: _Customers,
           export_total: tuple[int, str] | None, cr: _Reader, ir: _Reader, layout: Layout, base: str,
           problems: list[Problem]) -> list[str]:
    """Booked open amount per customer and in total against the export's own figures: one line each."""
    lines: list[str] = []
    per_customer: dict[str, int] = defaultdict(int)
    for no, it in items.items():
        per_customer[it.customer] += booked[no]
    for name in sorted(set(per_customer) | set(customers.stated)):
        cur = customers.currency_of(name)
        got = per_customer.get(name, 0)
        start = f"{name} ({customers.id_of(name)}): booked {cur} {fmt(got, exponent(cur))}"
        if name not in customers.stated:
            lines.append(f"{start}; the export states no balance for it")
            continue
        row, want = customers.stated[name]
        line = f"{start}, the customer list's balance {cur} {fmt(want, exponent(cur))}"
        if got == want:
            lines.append(line + ": equal")
            continue
        lines.append(line + f": DIFFERENCE {fmt(got - want, exponent(cur))}")
        problems.append(Problem(f"customer {name}: the items booked come to {fmt(got, exponent(cur))} but the "
                                f"customer list's balance is {fmt(want, exponent(cur))}", cr.f.source, row,
                                cr.heading("balance"), fmt(want, exponent(cur)), STEP))
    currencies = sorted({it.currency for it in items.values()})
    totals = {c: sum(booked[no] for no, it in items.items() if it.currency == c) for c in currencies}
    booked_text = ", ".join(f"{c} {fmt(v, exponent(c))}" for c, v in totals.items()) or "nothing"
    if export_total is None:
        lines.append(f"total: booked {booked_text}; the export states no total")
    elif len(currencies) > 1:
        lines.append(f"total: booked {booked_text}; the export's TOTAL line spans currencies: compared per "
                     "customer only")
    else:
        row, text = export_total
        tc = currencies[0] if currencies else base
        want, got = read_money(text, tc, layout.decimal_comma), totals.get(tc, 0)
        line = f"total: booked {tc} {fmt(got, exponent(tc))}, the export's TOTAL line {tc} {fmt(want, exponent(tc))}"
        if got == want:
            lines.append(line + ": equal")
        else:
            lines.append(line + f": DIFFERENCE {fmt(got - want, exponent(tc))}")
            problems.append(Problem(f"the items booked come to {fmt(got, exponent(tc))} but the export's TOTAL "
                                    f"line says {fmt(want, exponent(tc))}", ir.f.source, row, ir.heading("open"),
                                    text, STEP))
    return lines


def opening_entry(invoices: list[Invoice], ledger: Ledger, settings: Settings) -> list[JournalLine]:
    """One entry: Dr AR (the customer) with each item's open amount, dated its issue date, and Cr the
    opening-balance account with each day's total per currency on that day.  So the entry balances
    per currency on every date and the AR control equals the subledger at every date, past ones
    included."""
    entry = ledger.next_id("JE")
    acct = settings.accounts
    out: list[JournalLine] = []

    def line(role: str, amount: int, when: date, cur: str, cid: str, doc_no: str, memo: str, debit_side: bool):
        if amount:
            d, c = (abs(amount), 0) if (amount > 0) == debit_side else (0, abs(amount))
            out.append(JournalLine(entry, len(out) + 1, when, acct[role], d, c, cur, cid, "opening", doc_no, memo,
                                   ACCOUNT_NAMES[role]))
    per_day: dict[tuple[date, str], int] = defaultdict(int)
    for inv in sorted(invoices, key=lambda i: (i.issue_date, i.number)):
        line("AR", inv.total, inv.issue_date, inv.currency, inv.customer_id, inv.number,
             f"opening balance of {inv.kind} {inv.number}", True)
        per_day[(inv.issue_date, inv.currency)] += inv.total
    for (when, cur), total in sorted(per_day.items()):
        line("OpeningBalance", total, when, cur, "", PERIOD, f"opening balances of items issued {when}", False)
    return out
