"""Credit notes, voids, write-offs and refunds of customer credit.

- A **credit note** has its own gapless number series (Settings: Credit note
  number format, Next credit note number) and names the invoice it credits
  (RelatesTo).  It credits the whole invoice, some of its lines, or an amount
  (tax included).  Revenue and tax are reversed in proportion: for lines, tax
  = invoice tax x credited net / invoice net; for an amount, net = amount x
  invoice net / invoice total and tax is the rest; each rounded half-up to the
  minor unit once.  Its entry is the reverse of an invoice (Dr Revenue, Dr Tax,
  Cr AR).
- It is set against its invoice first: a pair of ``credit note`` allocations
  (+ on the invoice, - on the credit note) leaves neither open.  What the
  invoice cannot take (it was paid) becomes customer credit: a ``credit note
  to credit`` allocation, Dr AR, Cr Customer credits.  So a credit note never
  ages as a negative open item.
- A **void** is a full credit note of an invoice nothing was paid on.
- A **write-off** (bad debt) of an invoice's open balance or part of it:
  Dr Write-offs, Cr AR.
- A **refund** pays a customer's credit back: Dr Customer credits, Cr Bank,
  drawn from the oldest credit first, with the payment reference.

Pure: requests and the books in, new records and problems out.
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from ..billing.billing import format_number, highest_sequence
from ..ledger.journal import EntryBuilder, allocation_entry, invoice_entry
from ..ledger.ledger import Ledger
from ..model import Allocation, Customer, Invoice, InvoiceLine, Problem, Settings
from ..money import exponent, fmt, round_half_up
from .model import CollectionsSettings, CreditRequest, Posting

STEP = "credit"


def split_amount(amount: int, inv: Invoice) -> tuple[int, int]:
    """(net, tax) of a tax-inclusive ``amount`` credited on ``inv``, in the invoice's proportion:
    net = amount x net / total rounded half-up, tax the rest (so net + tax = amount exactly)."""
    if amount == inv.total:
        return inv.net, inv.tax
    net = round_half_up(Decimal(amount) * inv.net / inv.total, 0)
    return net, amount - net


def tax_on_lines(net: int, inv: Invoice) -> int:
    """Tax reversed with ``net`` of the invoice's lines: invoice tax x net / invoice net, half-up."""
    if net == inv.net:
        return inv.tax
    return round_half_up(Decimal(inv.tax) * net / inv.net, 0) if inv.net else 0


class _Credits:
    """Issues one request after another against the books, so each sees what the ones before did."""

    def __init__(self, ledger: Ledger, customers: dict[str, Customer], settings: Settings,
                 cs: CollectionsSettings, lines_of: dict[str, tuple[InvoiceLine, ...]]):
        self.ledger, self.customers, self.settings, self.cs, self.lines_of = ledger, customers, settings, cs, lines_of
        self.out = Posting()
        self.seq = cs.next_credit_note_number
        self.credited: dict[str, int] = defaultdict(int)     # invoice -> credited so far (positive)
        for i in ledger.invoices:
            if i.kind == "credit note" and i.relates_to:
                self.credited[i.relates_to] -= i.total

    def problem(self, req: CreditRequest, column: str, value, message: str) -> None:
        self.out.problems.append(Problem(message, req.source, req.row or None, column, value, STEP))

    def check_numbering(self) -> bool:
        highest = highest_sequence(self.ledger, self.cs.credit_note_format)
        if highest and self.seq != highest + 1:
            self.out.problems.append(Problem(
                f"Next credit note number is {self.seq} but the highest issued is {highest}: numbering must be "
                f"gapless, set it to {highest + 1}", "Settings", None, "NextCreditNoteNumber", self.seq, STEP))
            return False
        return True

    def invoice_of(self, req: CreditRequest) -> Invoice | None:
        inv = self.ledger.invoice_by_no.get(req.invoice_no)
        if inv is None or inv.kind != "invoice":
            self.problem(req, "InvoiceNo", req.invoice_no or None,
                         f"{req.action}: {req.invoice_no or 'no invoice'!r} is not an issued invoice"
                         if req.invoice_no else f"{req.action}: give the invoice number")
            return None
        if req.currency and req.currency != inv.currency:
            self.problem(req, "Currency", req.currency, f"{inv.number} is in {inv.currency}, not {req.currency}")
            return None
        if req.date < inv.issue_date:
            self.problem(req, "Date", req.date, f"{req.action} dated {req.date} is before {inv.number} "
                                                 f"was issued ({inv.issue_date})")
            return None
        return inv

    def run(self, req: CreditRequest) -> str | None:
        """Process one request; its document number, or None when it has a problem."""
        lt = self.settings.locked_through
        if lt and req.date <= lt:
            self.problem(req, "Date", req.date, f"{req.action} dated {req.date} falls in the locked period "
                                                 f"(locked through {lt})")
            return None
        if req.action == "refund":
            return self.refund(req)
        inv = self.invoice_of(req)
        if inv is None:
            return None
        if req.action == "write-off":
            return self.write_off(req, inv)
        return self.credit_note(req, inv)

    # -- credit notes and voids --------------------------------------------------
    def credit_note(self, req: CreditRequest, inv: Invoice) -> str | None:
        e = exponent(inv.currency)
        left = inv.total - self.credited[inv.number]
        if req.action == "void":
            if self.ledger.open_amount(inv.number) != inv.total or self.credited[inv.number]:
                self.problem(req, "InvoiceNo", inv.number,
                             f"{inv.number} cannot be voided: {fmt(inv.total - self.ledger.open_amount(inv.number), e)} "
                             f"{inv.currency} of its {fmt(inv.total, e)} is paid or credited; issue a credit note")
                return None
            net, tax, credited_lines = inv.net, inv.tax, ()
        elif req.lines:
            by_no = {ln.line_no: ln for ln in self.lines_of.get(inv.number, ())}
            missing = [n for n in req.lines if n not in by_no]
            if missing:
                self.problem(req, "Lines", ",".join(map(str, req.lines)),
                             f"{inv.number} has no line {', '.join(map(str, missing))} "
                             f"(its lines: {', '.join(map(str, sorted(by_no))) or 'none recorded'})")
                return None
            credited_lines = tuple(by_no[n] for n in req.lines)
            net = sum(ln.net for ln in credited_lines)
            tax = tax_on_lines(net, inv)
        else:
            amount = left if req.amount is None else req.amount
            if amount <= 0:
                self.problem(req, "Amount", fmt(amount, e), f"a credit note of {fmt(amount, e)} must be positive"
                             if req.amount is not None else f"{inv.number} is already credited in full")
                return None
            net, tax = split_amount(amount, inv)
            credited_lines = ()
        total = net + tax
        if total > left:
            self.problem(req, "Amount" if not req.lines else "Lines",
                         fmt(total, e) if not req.lines else ",".join(map(str, req.lines)),
                         f"a credit note of {fmt(total, e)} {inv.currency} is larger than what is left to credit "
                         f"on {inv.number}: total {fmt(inv.total, e)}, credited before {fmt(self.credited[inv.number], e)}, "
                         f"left {fmt(left, e)}")
            return None
        number = format_number(self.cs.credit_note_format, self.seq, req.date)
        if number in self.ledger.invoice_by_no:
            self.problem(req, "DocumentNo", number, f"credit note number {number} is already issued")
            return None
        self.seq += 1
        memo = f"{req.action} of {inv.number}: {req.reason}"
        if credited_lines:
            lines = tuple(InvoiceLine(number, i, ln.charge_id, ln.item, f"credit: {ln.description or ln.item}",
                                      ln.quantity, ln.unit_price, ln.service_from, ln.service_to, ln.factor,
                                      -ln.net, inv.currency, "")
                          for i, ln in enumerate(credited_lines, start=1))
        else:
            lines = (InvoiceLine(number, 1, "", "CREDIT", memo[:120], Decimal(1), Decimal(-net).scaleb(-e),
                                 None, None, Decimal(1), -net, inv.currency, ""),)
        cn = Invoice(number, inv.customer_id, req.date, req.date, inv.currency, -net, -tax, -total,
                     "credit note", inv.period, "", inv.number, lines)
        ledger = self.ledger
        ledger.add_invoices([cn])
        entry = invoice_entry(cn, ledger, self.settings)
        ledger.add_journal(entry)
        self.out.invoices.append(cn)
        self.out.journal += entry
        self.credited[inv.number] += total
        take = max(0, min(total, ledger.open_amount(inv.number)))
        allocs = []
        if take:
            reason = f"credit note {number} set against {inv.number}"
            allocs += [Allocation(ledger.next_id("AL"), req.date, "credit note", take, inv.currency, number,
                                  inv.number, inv.customer_id, STEP, reason),
                       Allocation(ledger.next_id("AL"), req.date, "credit note", -take, inv.currency, number,
                                  number, inv.customer_id, STEP, reason)]
        if total - take:
            allocs.append(Allocation(ledger.next_id("AL"), req.date, "credit note to credit", take - total,
                                     inv.currency, number, number, inv.customer_id, STEP,
                                     f"credit note {number}: {fmt(total - take, e)} {inv.currency} of it becomes "
                                     f"customer credit ({inv.number} was paid)"))
        ledger.add_allocations(allocs)
        self.out.allocations += allocs
        for a in allocs:
            if a.kind == "credit note to credit":
                lines_ = allocation_entry(a, ledger, self.settings)
                ledger.add_journal(lines_)
                self.out.journal += lines_
        self.out.audit.append(f"{req.action} {number} of {inv.number} for {fmt(total, e)} {inv.currency}: {req.reason}")
        return number

    # -- write-offs -------------------------------------------------------------------
    def write_off(self, req: CreditRequest, inv: Invoice) -> str | None:
        e = exponent(inv.currency)
        open_amt = self.ledger.open_amount(inv.number)
        amount = open_amt if req.amount is None else req.amount
        if amount <= 0 or amount > open_amt:
            self.problem(req, "Amount", fmt(amount, e),
                         f"a write-off of {fmt(amount, e)} {inv.currency} on {inv.number} must be above 0 and at most "
                         f"its open balance of {fmt(open_amt, e)}")
            return None
        a = Allocation(self.ledger.next_id("AL"), req.date, "write-off", amount, inv.currency, "", inv.number,
                       inv.customer_id, STEP, f"bad debt written off: {req.reason}"[:200])
        self._post(a)
        self.out.audit.append(f"wrote off {fmt(amount, e)} {inv.currency} of {inv.number}: {req.reason}")
        return a.id

    # -- refunds --------------------------------------------------------------------------
    def refund(self, req: CreditRequest) -> str | None:
        cust = self.customers.get(req.customer_id)
        if cust is None:
            self.problem(req, "CustomerID", req.customer_id or None,
                         f"refund: unknown customer {req.customer_id!r}" if req.customer_id
                         else "refund: give the customer whose credit is paid back")
            return None
        if not req.payment_ref:
            self.problem(req, "PaymentRef", None, "refund: give the reference of the payment sent to the customer")
            return None
        cur = req.currency or cust.currency
        e = exponent(cur)
        pool = self.ledger.credit_pool.get((cust.id, cur), [])
        available = sum(slot[2] for slot in pool)
        amount = available if req.amount is None else req.amount
        if amount <= 0 or amount > available:
            self.problem(req, "Amount", fmt(amount, e),
                         f"a refund of {fmt(amount, e)} {cur} to {cust.id} must be above 0 and at most the "
                         f"customer's credit of {fmt(available, e)}")
            return None
        allocs, left = [], amount
        for slot in sorted(pool, key=lambda s: s[1]):
            take = min(slot[2], left)
            if take:
                allocs.append(Allocation(self.ledger.next_id("AL"), req.date, "refund", take, cur, slot[0], "",
                                         cust.id, STEP, f"refund {req.payment_ref}: {req.reason}"[:200]))
                left -= take
            if not left:
                break
        e_ = EntryBuilder(self.ledger, self.settings, req.date, cur, "refund", req.payment_ref,
                          f"refund to {cust.id} {req.payment_ref}: {req.reason}"[:120])
        e_.debit("Credits", amount, cust.id).credit("Cash", amount)
        entry = e_.build()
        self.ledger.add_allocations(allocs)
        self.ledger.add_journal(entry)
        self.out.allocations += allocs
        self.out.journal += entry
        self.out.audit.append(f"refunded {fmt(amount, e)} {cur} to {cust.id} ({req.payment_ref})")
        return entry[0].entry_id

    def _post(self, a: Allocation) -> None:
        entry = allocation_entry(a, self.ledger, self.settings)
        self.ledger.add_allocations([a])
        self.ledger.add_journal(entry)
        self.out.allocations.append(a)
        self.out.journal += entry


def issue_credits(requests: list[CreditRequest], ledger: Ledger, customers: dict[str, Customer],
                  settings: Settings, cs: CollectionsSettings,
                  lines_of: dict[str, tuple[InvoiceLine, ...]] | None = None
                  ) -> tuple[Posting, list[tuple[CreditRequest, str]], int]:
    """Issue every request in order: (what was posted, (request, document number) done, next credit
    note number).  The ledger is updated as it goes; on any problem the caller writes nothing."""
    c = _Credits(ledger, customers, settings, cs, lines_of or {})
    done: list[tuple[CreditRequest, str]] = []
    if not c.check_numbering():
        return c.out, done, c.seq
    for req in requests:
        doc = c.run(req)
        if doc is not None:
            done.append((req, doc))
    c.out.counts = {"credit_notes_issued": sum(1 for i in c.out.invoices if i.kind == "credit note"),
                    "write_offs": sum(1 for r, _ in done if r.action == "write-off"),
                    "refunds": sum(1 for r, _ in done if r.action == "refund")}
    return c.out, done, c.seq
