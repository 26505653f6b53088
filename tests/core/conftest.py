"""Small workbooks written inline, as a clerk would see the sheets."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from ardesk.io.memory import MemoryWorkbook


def customer(cid, name, terms=30, rate="0.21", currency="EUR", status="active", bank=None):
    #       CustomerID Name Email Address PostalCode Country TermsDays TaxRate Currency CreditLimit Status BankAccount VatID
    return (cid, name, None, None, None, None, terms, D(rate), currency, None, status, bank, None)


def charge(chid, cid, price, freq="monthly", start=date(2026, 1, 1), end=None, qty=1, item="PLAN"):
    #       ChargeID CustomerID Item Description Quantity UnitPrice Frequency StartDate EndDate
    return (chid, cid, item, None, D(str(qty)), D(str(price)), freq, start, end)


def receipt(day, amount, payer="", ref="", cid=None, method="transfer", check=None, currency=None):
    #       Date Method Payer CustomerID Reference CheckNo Amount Currency PaymentID
    return (day, method, payer, cid, ref, check, D(str(amount)), currency, None)


@pytest.fixture
def book():
    """Two customers on monthly plans: the smallest useful billing workbook."""
    return MemoryWorkbook.with_rows({
        "tblCustomers": [customer("C001", "Acme Bakery"), customer("C002", "Blue Dental", terms=14, rate="0")],
        "tblCharges": [charge("CH1", "C001", "100.00"), charge("CH2", "C002", "49.50")],
    })
