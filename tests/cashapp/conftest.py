"""Cheap books for cash-application tests: customers and invoices typed inline."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from ardesk import app
from ardesk.core.ledger.journal import invoice_entry
from ardesk.core.ledger.ledger import Ledger
from ardesk.core.model import Customer, Invoice, Settings
from ardesk.core.money import parse_amount
from ardesk.io import rows as out_rows
from ardesk.io.memory import MemoryWorkbook

NOW = datetime(2026, 3, 31, 9, 0)


def customer(cid: str, name: str, account: str = "", currency: str = "EUR") -> Customer:
    return Customer(cid, name, 30, Decimal("0.21"), currency, bank_account=account)


def invoice(no: str, cid: str, total: str, issued: date = date(2026, 2, 1), rf: str = "",
            currency: str = "EUR") -> Invoice:
    minor = parse_amount(total)
    return Invoice(no, cid, issued, date(issued.year, issued.month, 28), currency, minor, 0, minor,
                   creditor_ref=rf)


CUSTOMERS = [
    customer("C0001", "Acme Bakery Ltd", "BE71096123456769"),
    customer("C0002", "Northwind Logistics BV", "NL91ABNA0417164300"),
    customer("C0003", "Blue Harbor Dental"),
]
INVOICES = [
    invoice("INV-2026-00001", "C0001", "121.00", date(2026, 1, 5)),
    invoice("INV-2026-00002", "C0001", "242.00", date(2026, 1, 20)),
    invoice("INV-2026-00003", "C0001", "60.50", date(2026, 2, 3)),
    invoice("INV-2026-00042", "C0002", "1000.00", date(2026, 2, 4), rf="RF18539007547034"),
    invoice("INV-2026-00043", "C0003", "333.33", date(2026, 2, 5)),
]


def ledger_of(invoices=INVOICES) -> Ledger:
    return Ledger(list(invoices))


def customers_of(customers=CUSTOMERS) -> dict[str, Customer]:
    return {c.id: c for c in customers}


def workbook(customers=CUSTOMERS, invoices=INVOICES, settings: dict | None = None) -> MemoryWorkbook:
    """A MemoryWorkbook holding customers and issued invoices with their entries."""
    wb = MemoryWorkbook(settings)
    led = Ledger()
    journal = []
    for inv in invoices:
        led.add_invoices([inv])
        lines = invoice_entry(inv, led, Settings())
        led.add_journal(lines)
        journal += lines
    wb.rows["tblCustomers"] = [(c.id, c.name, None, None, None, "BE", c.terms_days, c.tax_rate, c.currency, None,
                                c.status, c.bank_account or None) for c in customers]
    wb.rows["tblInvoices"] = [out_rows.invoice_row(i) for i in invoices]
    wb.rows["tblJournal"] = [out_rows.journal_row(j) for j in journal]
    return wb


def bank_csv(path, lines) -> str:
    """lines: (date, amount, payer, reference, account) in the simple bank CSV layout."""
    import csv
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(("date", "amount", "payer", "reference", "account", "currency"))
        for d, amount, payer, ref, acct in lines:
            w.writerow((d, amount, payer, ref, acct, "EUR"))
    return str(path)


def run(wb, command, **kw):
    kw.setdefault("now", NOW)
    kw.setdefault("user", "test")
    return app.run(wb, command, **kw)


def table(wb, name):
    header = wb.headers[name]
    return [dict(zip(header, r)) for r in wb.rows[name]]


@pytest.fixture
def books():
    return ledger_of(), customers_of()
