"""The billing run: invoices for one period from the Customers and Charges tables.

Rules
-----
- Charges are billed in advance, on the first day of the billing period
  (or the run's issue date), one invoice per customer per run.
- A one-off charge with an issue date of its own is invoiced on its own, dated
  that day (due that day + terms), by the run for the month that contains it;
  a customer's one-offs of the same day share one invoice.  Numbers follow
  issue dates, then customers.
- ``monthly`` charges cover the calendar month being billed; ``quarterly`` and
  ``annual`` charges cover 3 or 12 months starting in the month of the
  charge's start date and every 3 or 12 months after it; ``once`` charges are
  billed in the period that contains their start date.
- **Proration**: when a charge starts or ends inside its service period, the
  line is ``quantity x unit price x active days / days in the service period``,
  computed exactly and rounded half-up to the cent once.
- Tax is the customer's rate applied to the invoice's net total, rounded
  half-up once per invoice.  Due date = issue date + the customer's terms.
- Numbers are gapless: the next number comes from Settings and must follow the
  highest number already issued.  Each line carries a billing key
  (customer|charge|service-period start); a key already billed is never
  billed again, so re-running a period issues nothing new.
- Customers on ``hold`` or ``inactive`` are not billed; the run says so.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from .creditor_ref import creditor_reference
from ..ledger.ledger import Ledger
from ..model import Charge, Customer, Invoice, InvoiceLine, Problem, Settings
from ..money import exponent, round_half_up
from ..periods import add_months, month_index, parse_period

SPAN = {"monthly": 1, "quarterly": 3, "annual": 12}
FACTOR_PLACES = Decimal("0.000001")


@dataclass
class BillingResult:
    invoices: list[Invoice] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)
    next_number: int = 1


def service_period(charge: Charge, period_start: date) -> tuple[date, date, str] | None:
    """The service period of ``charge`` that a billing run for the month starting
    ``period_start`` bills: (from, to, key part), or None when none starts then."""
    if charge.frequency == "once":
        if period_start <= (charge.issue_date or charge.start) < add_months(period_start, 1):
            return charge.start, charge.start, "once"
        return None
    span = SPAN[charge.frequency]
    first_month = date(charge.start.year, charge.start.month, 1)
    offset = month_index(period_start) - month_index(first_month)
    if offset < 0 or offset % span:
        return None
    begin = period_start
    end = add_months(begin, span) - timedelta(days=1)
    if charge.end is not None and charge.end < begin:
        return None
    return begin, end, f"{begin.year:04d}-{begin.month:02d}"


def line_amount(charge: Charge, begin: date, end: date, exp: int) -> tuple[int, Decimal, date, date]:
    """(net in minor units, proration factor, active from, active to)."""
    if charge.frequency == "once":
        return round_half_up(charge.quantity * charge.unit_price, exp), Decimal(1), begin, end
    active_from = max(begin, charge.start)
    active_to = min(end, charge.end) if charge.end else end
    days = (end - begin).days + 1
    active = (active_to - active_from).days + 1
    if active <= 0:
        return 0, Decimal(0), active_from, active_to
    exact = charge.quantity * charge.unit_price * active / days
    factor = (Decimal(active) / days).quantize(FACTOR_PLACES)
    return round_half_up(exact, exp), factor, active_from, active_to


def format_number(fmt: str, seq: int, issue: date) -> str:
    return fmt.format(year=issue.year, month=issue.month, seq=seq)


def highest_sequence(ledger: Ledger, fmt: str) -> int:
    """The highest sequence number among issued invoice numbers in this format."""
    import re
    pattern = re.escape(fmt).replace(r"\{year\}", r"\d{4}").replace(r"\{month\}", r"\d+")
    pattern = re.sub(r"\\\{seq[^}]*\\\}", r"(\\d+)", pattern)
    issued = [*ledger.invoice_by_no, *(ledger.carried.numbers if ledger.carried else ())]  # archived ones too
    numbers = "\n".join(issued)
    if numbers.count("\n") != len(issued) - 1:      # a number with a line break: one by one
        rx = re.compile(f"^{pattern}$")
        found = [m.group(1) for no in issued if (m := rx.match(no))]
    else:                                                        # one pass over all numbers
        found = re.findall(f"^{pattern}$", numbers, re.M)
    return max(map(int, found), default=0)


def bill(period: str, customers: dict[str, Customer], charges: list[Charge], ledger: Ledger,
         settings: Settings, issue_date: date | None = None) -> BillingResult:
    """Invoices for ``period`` (YYYY-MM) not yet issued.  Pure: returns new invoices."""
    result = BillingResult(next_number=settings.next_invoice_number)
    try:
        start, end = parse_period(period)
    except ValueError as exc:
        result.problems.append(Problem(str(exc), step="bill"))
        return result
    issue = issue_date or start
    lines_by_customer: dict[tuple[date, str], list[tuple[Charge, date, date, str, int, Decimal]]] = defaultdict(list)
    held: dict[str, int] = defaultdict(int)
    periods: dict[tuple, tuple[date, date, str] | None] = {}     # charges share frequency and dates
    for ch in sorted(charges, key=lambda c: (c.customer_id, c.id)):
        cust = customers[ch.customer_id]
        when = (ch.frequency, ch.start, ch.end, ch.issue_date)
        sp = periods[when] if when in periods else periods.setdefault(when, service_period(ch, start))
        if sp is None:
            continue
        begin, finish, part = sp
        key = f"{ch.customer_id}|{ch.id}|{part}"
        if key in ledger.billing_keys:
            continue
        if cust.status != "active":
            held[cust.id] += 1
            continue
        net, factor, active_from, active_to = line_amount(ch, begin, finish, exponent(cust.currency))
        if net == 0 and factor == 0:
            continue
        lines_by_customer[(ch.issue_date or issue, cust.id)].append((ch, active_from, active_to, key, net, factor))
    for cid, n in sorted(held.items()):
        c = customers[cid]
        result.notes.append(Problem(f"customer {cid} ({c.name}) status is {c.status}: {n} charge(s) not billed",
                                    "Customers", c.row, "Status", c.status, "bill"))
    if not lines_by_customer:
        return result
    first_issue = min(day for day, _cid in lines_by_customer)
    if settings.locked_through and first_issue <= settings.locked_through:
        result.problems.append(Problem(
            f"the billing run would issue {len(lines_by_customer)} invoice(s) dated from {first_issue}, inside the "
            f"locked period (locked through {settings.locked_through})", "Settings", None, "LockedThrough",
            settings.locked_through, "bill"))
        return result
    seq = settings.next_invoice_number
    highest = highest_sequence(ledger, settings.invoice_format)
    if highest and seq != highest + 1:
        result.problems.append(Problem(
            f"Next invoice number is {seq} but the highest issued number is {highest}: numbering must be "
            f"gapless, set it to {highest + 1}", "Settings", None, "NextInvoiceNumber", seq, "bill"))
        return result
    for day, cid in sorted(lines_by_customer):
        cust = customers[cid]
        number = format_number(settings.invoice_format, seq, day)
        if number in ledger.invoice_by_no:
            result.problems.append(Problem(f"invoice number {number} is already issued", "Settings", None,
                                           "NextInvoiceNumber", seq, "bill"))
            return result
        lines = tuple(
            InvoiceLine(number, i, ch.id, ch.item, ch.description, ch.quantity, ch.unit_price, af, at,
                        factor, net, cust.currency, key)
            for i, (ch, af, at, key, net, factor) in enumerate(lines_by_customer[(day, cid)], start=1))
        net_total = sum(ln.net for ln in lines)
        tax = round_half_up(Decimal(net_total) * cust.tax_rate, 0)
        total = net_total + tax
        if total <= 0:
            continue
        result.invoices.append(Invoice(
            number, cid, day, day + timedelta(days=cust.terms_days), cust.currency, net_total, tax, total,
            "invoice", period, creditor_reference(number), "", lines))
        seq += 1
    result.next_number = seq
    return result
