"""Small collections workbooks written inline, as a clerk would see the sheets."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal as D

from ardesk import app
from ardesk.core.ledger.journal import check_balanced
from ardesk.core.ledger.reconcile import subledger
from ardesk.core.reports.aging import age
from ardesk.io.memory import MemoryWorkbook

from core.conftest import charge, customer, receipt  # noqa: F401  (re-exported for the tests)


def credit_row(day, action, invoice=None, amount=None, reason="agreed with the customer", lines=None, cid=None,
               payment_ref=None):
    #       Date Action InvoiceNo CustomerID Lines Amount Currency Reason PaymentRef DocumentNo
    return (day, action, invoice, cid, lines, None if amount is None else D(amount), None, reason, payment_ref, None)


def level(n, days, template="reminder-letter", fee="0", basis="none", rate=None, comp="none", channel="letter",
          policy="standard", minimum="0", currency=None):
    #       Policy Level DaysPastDue MinAmount Fee InterestBasis ContractRate Compensation Channel Template Currency
    return (policy, n, days, D(minimum), D(fee), basis, None if rate is None else D(rate), comp, channel,
            template.format(n=n) if template else None, currency)


def billed(customers, charges, period="2026-01", **tables):
    """A workbook with the period billed."""
    wb = MemoryWorkbook.with_rows({"tblCustomers": customers, "tblCharges": charges, **tables})
    assert app.run(wb, "bill", period=period).ok
    return wb


def run(wb, command, when=date(2026, 3, 1), **kw):
    return app.run(wb, command, now=datetime(when.year, when.month, when.day, 9), **kw)


def check_books(wb, dates):
    """Balanced journal, subledger = control per customer, aging = AR, at each date."""
    books = app.load(wb)
    assert not books.problems, books.problems
    ledger, s = books.ledger, books.settings
    assert check_balanced(ledger.journal) == []
    for as_of in dates:
        control = {k: v for k, v in ledger.control_balances(s.account("AR"), as_of).items() if v}
        sub = {k: v for k, v in subledger(ledger, as_of).items() if v}
        assert control == sub, as_of
        aging = age(ledger, as_of, s.aging_buckets)
        for cur in {c for _, c in control}:
            assert aging.total(cur) == sum(v for (_, c), v in control.items() if c == cur)
    return ledger
