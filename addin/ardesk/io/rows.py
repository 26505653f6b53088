"""Records to table rows (in the schema's column order) and back-comparison.

Money leaves the core here as exact Decimals in major units; adapters decide
how their engine stores them.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, Sequence

from ..core.model import Allocation, Customer, Invoice, InvoiceLine, JournalLine, Payment, Problem
from ..core.money import exponent, to_decimal
from .port import Table


@lru_cache(maxsize=1 << 16)        # a run writes the same prices and amounts thousands of times
def _m(v: int, currency: str) -> Decimal:
    return to_decimal(v, exponent(currency))


def customer_row(c: Customer) -> tuple:
    return (c.id, c.name, c.email or None, c.address or None, c.postal_code or None, c.country or None,
            c.terms_days, c.tax_rate, c.currency,
            None if c.credit_limit is None else _m(c.credit_limit, c.currency), c.status, c.bank_account or None,
            None)                                                       # VatID: not held on the record


def invoice_row(i: Invoice) -> tuple:
    return (i.number, i.kind, i.customer_id, i.issue_date, i.due_date, i.period, i.currency,
            _m(i.net, i.currency), _m(i.tax, i.currency), _m(i.total, i.currency), i.creditor_ref,
            i.relates_to or None)


def line_row(ln: InvoiceLine) -> tuple:
    return (ln.invoice_no, ln.line_no, ln.charge_id, ln.item, ln.description or None, ln.quantity, ln.unit_price,
            ln.service_from, ln.service_to, ln.factor, _m(ln.net, ln.currency), ln.currency, ln.billing_key)


def payment_row(p: Payment) -> tuple:
    return (p.id, p.date, p.source, p.method, p.payer or None, p.customer_id or None, p.reference or None,
            p.check_no or None, _m(p.amount, p.currency), p.currency, p.fingerprint, p.payer_account or None)


def allocation_row(a: Allocation) -> tuple:
    return (a.id, a.date, a.payment_id or None, a.invoice_no or None, a.customer_id or None, a.kind,
            _m(a.amount, a.currency), a.currency, a.rule, a.reason)


def journal_row(j: JournalLine) -> tuple:
    return (j.entry_id, j.line_no, j.date, j.account, j.account_name, _m(j.debit, j.currency) if j.debit else None,
            _m(j.credit, j.currency) if j.credit else None, j.currency, j.customer_id or None, j.doc_type,
            j.doc_no, j.memo)


def exception_rows(problems: Sequence[Problem]) -> list[tuple]:
    return [(p.step or "", p.sheet or "", p.row, p.column or "", "" if p.value is None else str(p.value)[:250],
             ("" if p.blocking else "note: ") + p.message) for p in problems]


def canonical(v: Any) -> Any:
    """A value as it compares after a round trip through a workbook."""
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float, Decimal)):
        d = Decimal(repr(v)) if isinstance(v, float) else Decimal(v)
        return d.normalize() if d else Decimal(0)
    if isinstance(v, datetime):
        return v.date() if v.time() == datetime.min.time() else v
    if isinstance(v, date):
        return v
    return str(v)


def same_content(table: Table, header: Sequence[str], rows: Sequence[tuple]) -> bool:
    if tuple(table.header) != tuple(header):
        return False
    current = [r for r in table.rows if not table.is_blank(r)]
    if len(current) != len(rows):
        return False
    return all(tuple(map(canonical, a)) == tuple(map(canonical, b)) for a, b in zip(current, rows))
