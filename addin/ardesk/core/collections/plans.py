"""Payment plans: a customer's open balance paid in instalments.

The schedule (``ARDESK_INSTALLMENTS`` gives the same) makes the plan's rate
its XIRR: the rate is an *annual effective* rate on actual days, so each
instalment is worth ``payment / (1 + rate)^(days / 365)`` on the plan's date,
``days`` counted from the plan's date to its due date (without dates: a
twelfth of a year per month between), and the instalments are worth the
balance.  In minor units:

- the equal payment is ``balance / sum((1 + rate)^(-days_k / 365))``, rounded
  half-up;
- the last payment is what makes the instalments worth the balance:
  ``(balance - payment x sum of the others' discount factors) / its own``,
  rounded half-up, so it takes the rounding remainder;
- each instalment's interest is the remaining balance x ((1 + rate)^(days
  since the previous due date / 365) - 1), rounded half-up; the last one's
  is its payment less what remains, so the principal adds up to the balance.

This is not Excel's PMT(rate / 12, ...), a nominal rate compounded monthly
over equal months, whose XIRR is about (1 + rate / 12)^12 - 1.  The plan's
interest (the sum of the instalments' interest) is charged on a new invoice
when the plan is set up, so the customer owes exactly the sum of the
instalments; an issued invoice is never altered.

The plan covers the customer's invoices in its currency that are open on
the plan's date, and its interest invoice.  What was paid on the plan is
what those invoices no longer owe; receipts count against the instalments
in order.  An instalment past its due date and not covered marks the plan
*broken*: the rest goes back to dunning.  While a plan is *active* its
customer is not dunned; when nothing is left it is *completed*.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, localcontext

from ..billing.billing import format_number
from ..billing.creditor_ref import creditor_reference
from ..ledger.journal import EntryBuilder
from ..ledger.ledger import Ledger
from ..model import Customer, Invoice, InvoiceLine, JournalLine, Problem, Settings
from ..money import exponent, fmt, round_half_up, to_decimal
from ..periods import same_day

PLAN_PERIOD = "plan"                # the Period of a plan's interest invoice


@dataclass(frozen=True, slots=True)
class Instalment:
    no: int
    due: date | None
    payment: int
    interest: int
    principal: int
    remaining: int


def schedule(balance: int, count: int, annual_rate: Decimal, first_due: date | None = None,
             months_between: int = 1, start: date | None = None) -> list[Instalment]:
    """The instalments paying ``balance`` (minor units) at the annual effective ``annual_rate`` (see the module's
    doc), due every ``months_between`` months from ``first_due``; ``start``, the plan's date, is where the days
    are counted from (default: one interval before ``first_due``)."""
    if balance <= 0 or count < 1 or months_between < 1 or annual_rate < 0:
        raise ValueError(f"need a positive balance ({balance}), 1 or more instalments ({count}), a rate of 0 or "
                         f"more ({annual_rate}) and months between of 1 or more ({months_between})")
    if first_due is not None:
        dues: list[date | None] = [same_day(first_due, k * months_between) for k in range(count)]
        start = start or same_day(first_due, -months_between)
        if start >= first_due:
            raise ValueError(f"the first instalment ({first_due}) must fall after the plan's date ({start})")
        years = [Decimal((d - start).days) / 365 for d in dues]
    else:
        dues = [None] * count
        years = [Decimal(k * months_between) / 12 for k in range(1, count + 1)]
    with localcontext() as ctx:
        ctx.prec = 34
        one = 1 + annual_rate
        factors = [one ** -y for y in years]              # what 1 paid on each due date is worth at the start
        payment = round_half_up(balance / sum(factors), 0)
        last = round_half_up((balance - payment * sum(factors[:-1])) / factors[-1], 0)
        out, left, before = [], balance, Decimal(0)
        for k, (pay, y) in enumerate(zip([payment] * (count - 1) + [last], years), start=1):
            interest = round_half_up(left * (one ** (y - before) - 1), 0) if k < count else pay - left
            before = y
            left -= pay - interest
            out.append(Instalment(k, dues[k - 1], pay, interest, pay - interest, left))
    return out


@dataclass(frozen=True, slots=True)
class Plan:
    id: str
    customer_id: str
    currency: str
    date: date
    first_due: date
    count: int
    months_between: int
    rate: Decimal
    balance: int | None = None     # set when the plan was set up
    status: str = ""
    interest_invoice: str = ""
    row: int = 0


@dataclass(frozen=True, slots=True)
class PlanState:
    status: str                    # active, completed, broken
    paid: int
    next_due: date | None
    missed: Instalment | None


def plan_invoices(plan: Plan, ledger: Ledger) -> list[Invoice]:
    """The invoices the plan covers: the customer's invoices issued by the plan's date, and its interest invoice."""
    return [i for i in ledger.by_customer.get((plan.customer_id, plan.currency), ())
            if i.kind == "invoice" and (i.issue_date <= plan.date and i.period != PLAN_PERIOD
                                        or i.number == plan.interest_invoice)]


def open_on(plan: Plan, ledger: Ledger, as_of: date | None) -> int:
    """What the plan's invoices owe as of a date."""
    covered = {i.number for i in plan_invoices(plan, ledger)}
    return sum(left for inv, left in ledger.open_at(as_of) if inv.number in covered)


def set_up(plan: Plan, ledger: Ledger, customers: dict[str, Customer], settings: Settings, seq: int
           ) -> tuple[list[Instalment], Invoice | None, list[JournalLine], list[Problem]]:
    """A new plan's schedule and interest invoice (numbered ``seq`` in the invoice series)."""
    def problem(column, value, message):
        return [], None, [], [Problem(message, "PaymentPlans", plan.row, column, value, "plan")]
    if plan.customer_id not in customers:
        return problem("CustomerID", plan.customer_id, f"plan {plan.id}: unknown customer {plan.customer_id!r}")
    e = exponent(plan.currency)
    balance = sum(left for inv, left in ledger.open_at(plan.date)
                  if inv.customer_id == plan.customer_id and inv.currency == plan.currency and inv.kind == "invoice")
    if balance <= 0:
        return problem("CustomerID", plan.customer_id,
                       f"plan {plan.id}: customer {plan.customer_id} has nothing open in {plan.currency} on "
                       f"{plan.date} (balance {fmt(balance, e)}) to put on a plan")
    if plan.first_due <= plan.date:
        return problem("FirstDue", plan.first_due, f"plan {plan.id}: the first instalment ({plan.first_due}) must "
                                                   f"fall after the plan's date ({plan.date})")
    try:
        instalments = schedule(balance, plan.count, plan.rate, plan.first_due, plan.months_between, plan.date)
    except ValueError as exc:
        return problem("Count", plan.count, f"plan {plan.id}: {exc}")
    interest = sum(x.interest for x in instalments)
    if not interest:
        return instalments, None, [], []
    number = format_number(settings.invoice_format, seq, plan.date)
    line = InvoiceLine(number, 1, "", "PLAN INTEREST", f"interest of payment plan {plan.id}: {plan.count} "
                       f"instalments at {plan.rate * 100:.2f}% a year", Decimal(1), to_decimal(interest, e), None,
                       None, Decimal(1), interest, plan.currency, f"plan|{plan.id}")
    terms = customers[plan.customer_id].terms_days
    inv = Invoice(number, plan.customer_id, plan.date, instalments[-1].due or plan.date + timedelta(days=terms),
                  plan.currency, interest, 0, interest, "invoice", PLAN_PERIOD, creditor_reference(number), "",
                  (line,))
    entry = (EntryBuilder(ledger, settings, plan.date, plan.currency, "invoice", number,
                          f"payment plan {plan.id} interest")
             .debit("AR", interest, plan.customer_id).credit("LateFees", interest).build())
    return instalments, inv, entry, []


def state(plan: Plan, instalments: list[Instalment], ledger: Ledger, as_of: date) -> PlanState:
    """Where the plan stands as of a date: receipts count against the instalments in order."""
    total = sum(x.payment for x in instalments)
    left = open_on(plan, ledger, as_of)
    paid = total - left
    due_so_far, missed, next_due = 0, None, None
    for x in instalments:
        due_so_far += x.payment
        if paid >= due_so_far:
            continue
        if x.due is not None and x.due < as_of and missed is None:
            missed = x
        if next_due is None:
            next_due = x.due
    if plan.status == "broken" or missed is not None:
        status = "broken"
    elif left <= 0:
        status = "completed"
    else:
        status = "active"
    return PlanState(status, paid, next_due, missed)
