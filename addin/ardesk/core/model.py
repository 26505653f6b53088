"""Typed, immutable records of the billing desk.  Amounts are int minor units."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import NamedTuple

from .money import exponent


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with the input, named so a clerk can find and fix it."""
    message: str
    sheet: str = ""
    row: int | None = None
    column: str = ""
    value: object = None
    step: str = ""
    blocking: bool = True          # False: listed for the clerk, the run still completes

    def where(self) -> str:
        parts = [p for p in (self.sheet, f"row {self.row}" if self.row else "", self.column) if p]
        return ", ".join(parts)

    def shown(self) -> str:
        """The value as the clerk sees it in the cell: dates as dates, texts quoted, numbers as numbers."""
        v = self.value
        if isinstance(v, datetime) and (v.hour, v.minute, v.second) == (0, 0, 0):
            return v.date().isoformat()
        if isinstance(v, date):
            return v.isoformat()
        if isinstance(v, time):
            return v.isoformat()
        return repr(v) if isinstance(v, str) else str(v)

    def __str__(self) -> str:
        loc = self.where()
        val = "" if self.value is None else f" [{self.shown()}]"
        return f"{loc}{val}: {self.message}" if loc else self.message


class ProblemsFound(ValueError):
    """A run stopped because of problems in its input; nothing was written."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        head = "; ".join(str(p) for p in self.problems[:3])
        more = f" (and {len(self.problems) - 3} more)" if len(self.problems) > 3 else ""
        super().__init__(f"{len(self.problems)} problem(s): {head}{more}")


@dataclass(frozen=True, slots=True)
class Settings:
    company: str = "Example Billing Ltd"
    company_address: str = ""
    base_currency: str = "EUR"
    invoice_format: str = "INV-{year}-{seq:05d}"
    next_invoice_number: int = 1
    aging_buckets: tuple[int, ...] = (30, 60, 90)
    aging_basis: str = "due"
    tolerance_abs: Decimal = Decimal("0.50")
    tolerance_pct: Decimal = Decimal("0.005")
    auto_post_threshold: Decimal = Decimal("0.90")
    locked_through: date | None = None
    period: str = ""
    as_of: date | None = None
    bank_inbox: str = ""
    cei_months: int = 1
    dso_month_days: str = "calendar"      # count-back DSO: "calendar" days of each month, or "30"
    bank_csv_profile: str = ""         # the clerk's CSV column-mapping profiles (a JSON file)
    max_amount: Decimal = Decimal(10_000_000)
    date_window_days: int = 400
    max_bank_file_mb: Decimal = Decimal(20)
    accounts: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_ACCOUNTS))

    def account(self, role: str) -> str:
        return self.accounts[role]

    def max_minor(self, currency: str) -> int:
        """MaxAmount in the currency's minor units."""
        return int(self.max_amount * 10 ** exponent(currency))


DEFAULT_ACCOUNTS = {
    "AR": "1100", "Cash": "1000", "Undeposited": "1050", "CardClearing": "1060", "Tax": "2200",
    "Credits": "2300", "Suspense": "2900", "Revenue": "4000", "CardFees": "6100", "WriteOff": "6800",
    "OpeningBalance": "3900",
    "LateFees": "4900",
}
ACCOUNT_NAMES = {
    "AR": "Accounts receivable", "Cash": "Bank", "Undeposited": "Undeposited funds",
    "CardClearing": "Card clearing", "Tax": "Tax payable", "Credits": "Customer credits",
    "Suspense": "Suspense", "Revenue": "Revenue", "CardFees": "Card fees", "WriteOff": "Write-offs",
    "OpeningBalance": "Opening balances",
    "LateFees": "Late fees and interest",
}


@dataclass(frozen=True, slots=True)
class Customer:
    id: str
    name: str
    terms_days: int
    tax_rate: Decimal
    currency: str
    status: str = "active"
    email: str = ""
    address: str = ""
    postal_code: str = ""
    country: str = ""
    credit_limit: int | None = None
    bank_account: str = ""
    row: int = 0
    city: str = ""
    locale: str = ""
    delivery: str = ""             # email, post, email+post; blank: e-mail when there is one
    einvoice: str = ""             # none, factur-x, xrechnung, peppol
    vat_id: str = ""
    buyer_reference: str = ""
    peppol_endpoint: str = ""


@dataclass(frozen=True, slots=True)
class Charge:
    id: str
    customer_id: str
    item: str
    quantity: Decimal
    unit_price: Decimal
    frequency: str
    start: date
    end: date | None = None
    description: str = ""
    row: int = 0
    issue_date: date | None = None     # a one-off charge invoiced on its own, on this date


@dataclass(frozen=True, slots=True)
class Receipt:
    """A receipt typed on the Receipts tab."""
    date: date
    method: str
    amount: int
    currency: str
    payer: str = ""
    customer_id: str = ""
    reference: str = ""
    check_no: str = ""
    row: int = 0
    payment_id: str = ""           # set once posted


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    invoice_no: str
    line_no: int
    charge_id: str
    item: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    service_from: date | None
    service_to: date | None
    factor: Decimal
    net: int
    currency: str
    billing_key: str


@dataclass(frozen=True, slots=True)
class Invoice:
    number: str
    customer_id: str
    issue_date: date
    due_date: date
    currency: str
    net: int
    tax: int
    total: int
    kind: str = "invoice"          # or "credit note" (amounts negative)
    period: str = ""
    creditor_ref: str = ""
    relates_to: str = ""
    lines: tuple[InvoiceLine, ...] = ()


@dataclass(frozen=True, slots=True)
class Payment:
    """A receipt as posted: from the Receipts tab or a bank line."""
    id: str
    date: date
    amount: int
    currency: str
    fingerprint: str
    source: str = ""
    method: str = ""
    payer: str = ""
    customer_id: str = ""
    reference: str = ""
    check_no: str = ""
    payer_account: str = ""


@dataclass(frozen=True, slots=True)
class Allocation:
    id: str
    date: date
    kind: str                      # applied, credit, suspense, credit applied, write-off, suspense cleared
    amount: int
    currency: str
    payment_id: str = ""
    invoice_no: str = ""
    customer_id: str = ""
    rule: str = ""
    reason: str = ""


class JournalLine(NamedTuple):
    entry_id: str
    line_no: int
    date: date
    account: str
    debit: int
    credit: int
    currency: str
    customer_id: str = ""
    doc_type: str = ""
    doc_no: str = ""
    memo: str = ""
    account_name: str = ""
