"""Report tables: Aging, Summary and Reconciliation, as rows ready for the workbook.

Metrics and their definitions (each also printed on the Summary tab):

- **DSO, standard**: ending AR x days in the period / credit sales in the period
  (the period is the calendar month being reported).
- **DSO, count-back**: ending AR is walked back month by month, subtracting
  each month's credit sales and adding its days, until AR is used up (the
  last month counts in proportion).  A month without sales adds its days and
  the walk goes on.  Months count their calendar days, or 30 days each
  (``DSOMonthDays`` on Settings: ``calendar`` or ``30``).
- **CEI** (Credit Research Foundation), over the N months ending with the
  reported one (``CEIMonths`` on Settings, 1 by default):
  (opening AR + sales / N - ending AR) / (opening AR + sales / N - ending current AR) x 100,
  opening AR being the subledger on the day before the first of the N months.
- **Average days delinquent**: standard DSO - best possible DSO, where best
  possible DSO = current (not yet due) AR x days / credit sales.
Credit sales are invoice totals (tax included) issued in the period.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from .aging import Aging
from .paid import PaidInvoice, average_days
from ..ledger.ledger import Ledger
from ..model import Customer, Settings
from ..money import exponent, to_decimal
from ..periods import add_months, month_end
from ..ledger.reconcile import Reconciliation, subledger

ONE_DP = Decimal("0.1")


def _days(value: Decimal) -> Decimal:
    return value.quantize(ONE_DP, rounding=ROUND_HALF_UP)


def monthly_sales(ledger: Ledger, currency: str) -> dict[date, int]:
    """Net credit sales per month (first day): the invoices issued in it less the credit notes issued in it,
    archived ones included (:mod:`..ledger.archive`)."""
    out: dict[date, int] = defaultdict(int)
    if ledger.carried is not None:
        out.update(ledger.carried.sales_of(currency))
    for inv in ledger.invoices:
        if inv.currency == currency:
            out[date(inv.issue_date.year, inv.issue_date.month, 1)] += inv.total      # a credit note's is negative
    return out


def dso_standard(ar: int, sales: int, days: int) -> Decimal | None:
    return _days(Decimal(ar) * days / sales) if sales > 0 else None


MONTH_DAYS = ("calendar", "30")


def dso_countback(ar: int, sales_by_month: dict[date, int], last_month: date, max_months: int = 24,
                  month_days: str = "calendar") -> Decimal | None:
    """Count-back DSO in days: None when AR is negative or not used up within ``max_months``."""
    if month_days not in MONTH_DAYS:
        raise ValueError(f"month days {month_days!r}: use one of {', '.join(MONTH_DAYS)}")
    if ar <= 0:
        return _days(Decimal(0)) if ar == 0 else None
    remaining = Decimal(ar)
    total = Decimal(0)
    m = last_month
    for _ in range(max_months):
        s = sales_by_month.get(m, 0)
        days = 30 if month_days == "30" else (month_end(m) - m).days + 1
        if remaining > s:
            remaining -= max(s, 0)
            total += days
        else:
            return _days(total + remaining / s * days)
        m = add_months(m, -1)
    return None


def cei(opening: int, sales: int, ending: int, ending_current: int, months: int = 1) -> Decimal | None:
    """Collection Effectiveness Index over ``months`` months (sales are the N months' credit sales)."""
    per_month = Decimal(sales) / months
    denom = opening + per_month - ending_current
    if denom <= 0:
        return None
    return _days((opening + per_month - ending) * 100 / denom)


def aging_rows(aging: Aging, customers: dict[str, Customer], paid: list[PaidInvoice] | None = None
               ) -> tuple[tuple[str, ...], list[tuple]]:
    """The Aging tab; with ``paid`` (see :mod:`.paid`) each row ends with the average days to pay
    and days late of the customer's paid invoices (the TOTAL row: of every paid invoice)."""
    header = ("CustomerID", "Name", "Currency", *aging.labels, "Total")
    if paid is not None:
        header += ("AvgDaysToPay", "AvgDaysLate")
        per_customer = average_days(paid)
        per_currency = {cur: v[:2] for (_all, cur), v in average_days(paid, per_customer=False).items()}
    rows = []
    for r in aging.rows:
        e = exponent(r.currency)
        name = customers[r.customer_id].name if r.customer_id in customers else ""
        row = (r.customer_id, name, r.currency, *(to_decimal(v, e) for v in r.buckets), to_decimal(r.total, e))
        if paid is not None:
            row += per_customer.get((r.customer_id, r.currency), (None, None))[:2]
        rows.append(row)
    for cur, tot in sorted(aging.totals().items()):
        e = exponent(cur)
        row = ("TOTAL", f"All customers ({cur})", cur, *(to_decimal(v, e) for v in tot), to_decimal(sum(tot), e))
        if paid is not None:
            row += per_currency.get(cur, (None, None))
        rows.append(row)
    return header, rows


def paid_rows(paid: list[PaidInvoice], customers: dict[str, Customer]) -> list[tuple]:
    """The Paid invoices tab: one row per invoice paid in full, in the order they were paid."""
    return [(p.invoice.number, p.invoice.customer_id,
             customers[p.invoice.customer_id].name if p.invoice.customer_id in customers else "",
             p.invoice.currency, to_decimal(p.invoice.total, exponent(p.invoice.currency)), p.invoice.issue_date,
             p.invoice.due_date, p.paid, p.days_to_pay, p.days_late, p.settled_by) for p in paid]


def cei_over(ledger: Ledger, currency: str, end: date, months: int, ending: int, ending_current: int
             ) -> Decimal | None:
    """CEI for the ``months`` months ending with the month of ``end``: opening AR is the subledger
    the day before the first of them, sales are their invoices less their credit notes."""
    first = add_months(date(end.year, end.month, 1), 1 - months)
    opening = _archived(ledger, ledger.carried.open_ar if ledger.carried else {}, currency, first - timedelta(days=1))
    if opening is None:
        opening = sum(v for (_c, cur), v in subledger(ledger, first - timedelta(days=1)).items() if cur == currency)
    sales = sum(v for m, v in monthly_sales(ledger, currency).items() if first <= m <= end)
    return cei(opening, sales, ending, ending_current, months)


def _archived(ledger: Ledger, values: dict[tuple[str, date], int], currency: str, day: date) -> int | None:
    """A balance at a day before the archive's cutoff, as it was before archiving (None: not archived)."""
    if ledger.carried is None or ledger.carried.before is None or day >= ledger.carried.before:
        return None
    return values.get((currency, day), 0)


def aging_total_rows(aging: Aging) -> tuple[tuple[str, ...], list[tuple]]:
    """One row per currency with its open items by bucket: what the aging chart draws."""
    header = ("Currency", *aging.labels, "Total")
    rows = []
    for cur, tot in sorted(aging.totals().items()):
        e = exponent(cur)
        rows.append((cur, *(to_decimal(v, e) for v in tot), to_decimal(sum(tot), e)))
    return header, rows


def balances_at(ledger: Ledger, account: str, currency: str, days: list[date]) -> list[int]:
    """The balance of ``account`` in ``currency`` (debit - credit) at the end of each of ``days``, as
    :meth:`Ledger.account_balance` gives it, from one pass over the journal instead of one per day."""
    j = ledger.journal
    by_date: dict[date, int] = defaultdict(int)
    for when, acct, cur, debit, credit in zip(j.column("date"), j.column("account"), j.column("currency"),
                                              j.column("debit"), j.column("credit")):
        if acct == account and cur == currency:
            by_date[when] += debit - credit
    return [sum(v for when, v in by_date.items() if when <= day) for day in days]


def trend_rows(ledger: Ledger, settings: Settings, last_day: date, months: int = 12) -> list[tuple]:
    """The ``months`` months ending with the month of ``last_day``, in the base currency: invoiced
    (net credit sales: less the month's credit notes), collected (receipts dated in the month), AR at the month's end and standard DSO."""
    cur = settings.base_currency
    e = exponent(cur)
    sales = monthly_sales(ledger, cur)
    collected: dict[date, int] = defaultdict(int)
    if ledger.carried is not None:
        collected.update(ledger.carried.collected_of(cur))
    for p in ledger.payments:
        if p.currency == cur:
            collected[date(p.date.year, p.date.month, 1)] += p.amount
    last = date(last_day.year, last_day.month, 1)
    firsts = [add_months(last, k) for k in range(1 - months, 1)]
    control = balances_at(ledger, settings.account("AR"), cur, [month_end(first) for first in firsts])
    rows = []
    for first, at_end in zip(firsts, control):
        end = month_end(first)
        ar = _archived(ledger, ledger.carried.closing_ar if ledger.carried else {}, cur, end)
        if ar is None:
            ar = at_end
        sold = sales.get(first, 0)
        rows.append((f"{first:%Y-%m}", cur, to_decimal(sold, e), to_decimal(collected.get(first, 0), e),
                     to_decimal(ar, e), dso_standard(ar, sold, (end - first).days + 1)))
    return rows


def summary_rows(ledger: Ledger, settings: Settings, aging: Aging, rec: Reconciliation) -> list[tuple]:
    start, end = rec.start, rec.end
    rows: list[tuple] = []
    days = (end - start).days + 1
    n, month_days = settings.cei_months, settings.dso_month_days
    for cur, rf in sorted(rec.roll.items()):
        e = exponent(cur)
        D = lambda v: to_decimal(v, e)  # noqa: E731
        sales = rf.invoiced - rf.credit_notes          # net credit sales: what DSO and CEI divide by
        collected = sum(p.amount for p in ledger.payments if p.currency == cur and start <= p.date <= end)
        ar = rf.closing_subledger
        current = aging.totals().get(cur, (0,))[0]
        issued = [i for i in ledger.invoices if i.currency == cur and start <= i.issue_date <= end]
        rows += [
            ("Activity", "Invoiced (credit sales, tax incl.)", cur, D(rf.invoiced), f"{start} to {end}"),
            ("Activity", "Invoices issued", cur, Decimal(sum(1 for i in issued if i.kind == "invoice")),
             "credit notes not counted"),
            ("Activity", "Credit notes issued", cur, Decimal(sum(1 for i in issued if i.kind != "invoice")), ""),
            ("Activity", "Credit notes", cur, D(rf.credit_notes), "credited, tax incl."),
            ("Activity", "Cash received", cur, D(collected), "all receipts dated in the period"),
            ("Activity", "Cash applied to invoices", cur, D(rf.cash_applied), ""),
            ("Activity", "Credits applied", cur, D(rf.credits_applied), "customer credit balances used"),
            ("Activity", "Write-offs", cur, D(rf.write_offs), ""),
            ("Balances", "Open AR", cur, D(ar), f"subledger as of {end}"),
            ("Balances", "Current (not yet due)", cur, D(current), ""),
            ("Balances", "Past due", cur, D(ar - current), ""),
            ("Balances", "Customer credits", cur, D(rec.credits.get(cur, 0)), "owed to customers"),
            ("Balances", "Unidentified (suspense)", cur, D(rec.suspense.get(cur, 0)), "see Exceptions"),
            ("Metrics", "DSO (standard)", cur, dso_standard(ar, sales, days),
             f"ending AR x {days} days / net credit sales of {start:%Y-%m} (invoiced less credit notes)"),
            ("Metrics", "DSO (count-back)", cur, dso_countback(ar, monthly_sales(ledger, cur),
                                                              date(end.year, end.month, 1), month_days=month_days),
             "ending AR walked back through monthly net credit sales (months without sales count too), "
             + ("30 days a month" if month_days == "30" else "calendar days of each month")),
            ("Metrics", "Best possible DSO", cur, dso_standard(current, sales, days),
             "current AR x days / net credit sales"),
            ("Metrics", "CEI %", cur, cei_over(ledger, cur, end, n, ar, current),
             f"over {n} month(s): (opening AR + sales / {n} - ending AR) / "
             f"(opening AR + sales / {n} - ending current AR) x 100"),
        ]
        dso, best = dso_standard(ar, sales, days), dso_standard(current, sales, days)
        rows.append(("Metrics", "Average days delinquent", cur, (dso - best) if dso is not None and best is not None
                     else None, "DSO - best possible DSO"))
    status = "balanced" if rec.ok else "DIFFERENCES: see the Reconciliation tab"
    rows.append(("Reconciliation", "Status", "", None, status))
    rows.append(("Reconciliation", "Journal balanced", "", None, "yes" if rec.journal_balanced else "NO"))
    rows.append(("Reconciliation", "Subledger equals control", "", None,
                 "yes" if rec.subledger_equals_control else "NO"))
    return rows


def reconciliation_rows(rec: Reconciliation) -> list[tuple]:
    rows: list[tuple] = []
    for cur, rf in sorted(rec.roll.items()):
        e = exponent(cur)
        D = lambda v: to_decimal(v, e)  # noqa: E731
        rows += [
            ("Roll-forward", "", cur, "Opening AR", D(rf.opening), f"subledger at {rec.start - timedelta(days=1)}"),
            ("Roll-forward", "", cur, "+ Invoiced", D(rf.invoiced), ""),
            ("Roll-forward", "", cur, "- Credit notes", D(rf.credit_notes), ""),
            ("Roll-forward", "", cur, "+ Credit notes to customer credit", D(rf.to_credit),
             "the part of credit notes on invoices already paid"),
            ("Roll-forward", "", cur, "- Cash applied", D(rf.cash_applied), ""),
            ("Roll-forward", "", cur, "- Credits applied", D(rf.credits_applied), ""),
            ("Roll-forward", "", cur, "- Write-offs", D(rf.write_offs), ""),
            ("Roll-forward", "", cur, "= Closing AR (computed)", D(rf.closing_expected), ""),
            ("Roll-forward", "", cur, "Closing AR (subledger)", D(rf.closing_subledger),
             "ok" if rf.closing_subledger == rf.closing_expected else "DIFFERENCE"),
            ("Roll-forward", "", cur, "Closing AR (journal control)", D(rf.closing_control),
             "ok" if rf.closing_control == rf.closing_subledger else "DIFFERENCE"),
        ]
    for cid, cur, sub, ctl in rec.differences:
        e = exponent(cur)
        rows.append(("Difference", cid, cur, "subledger - control", to_decimal(sub - ctl, e),
                     f"subledger {to_decimal(sub, e)}, control {to_decimal(ctl, e)}"))
    for p in rec.journal_problems:
        rows.append(("Journal", "", "", str(p.value), None, p.message))
    if not rec.differences and not rec.journal_problems:
        rows.append(("Check", "", "", "Subledger per customer = AR control", None, "no differences"))
    return rows
