"""Records of the collections desk, read from its input tabs.  Amounts are int minor units."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ..model import Allocation, Invoice, JournalLine, Problem


@dataclass(frozen=True, slots=True)
class CollectionsSettings:
    credit_note_format: str = "CN-{year}-{seq:05d}"
    next_credit_note_number: int = 1
    dunning_policy: str = "standard"
    card_customer: str = ""
    hold_days: int | None = None


@dataclass(frozen=True, slots=True)
class CreditRequest:
    """A row of the CreditNotes tab (row 0: given on the command line)."""
    date: date
    action: str                    # credit note, void, write-off, refund
    reason: str
    invoice_no: str = ""
    customer_id: str = ""
    lines: tuple[int, ...] = ()
    amount: int | None = None      # None: the whole invoice, open balance or credit
    currency: str = ""
    payment_ref: str = ""
    row: int = 0
    source: str = "CreditNotes"


@dataclass(frozen=True, slots=True)
class Dispute:
    id: str
    date: date
    invoice_no: str
    amount: int
    currency: str
    reason_code: str
    status: str
    owner: str = ""
    notes: str = ""
    credit_note_no: str = ""
    row: int = 0

    @property
    def pauses_dunning(self) -> bool:
        return self.status in ("open", "under review")


@dataclass(frozen=True, slots=True)
class DunningLevel:
    policy: str
    level: int
    days_past_due: int
    min_amount: int
    fee: int
    currency: str
    interest_basis: str            # none, contract, EU, DE, FR, UK
    contract_rate: Decimal
    compensation: str              # none, statutory
    channel: str
    template: str
    row: int = 0


@dataclass(frozen=True, slots=True)
class ReferenceRate:
    basis: str
    start: date
    rate: Decimal
    row: int = 0


@dataclass(frozen=True, slots=True)
class HistoryItem:
    """A row of the DunningHistory ledger."""
    date: date
    letter_id: str
    customer_id: str
    invoice_no: str
    level: int
    amount: int
    currency: str
    fee: int = 0
    interest: int = 0
    interest_to: date | None = None
    compensation: int = 0
    fee_invoice_no: str = ""
    channel: str = ""
    template: str = ""


def by_letter(history: list[HistoryItem]) -> list[tuple[str, list[HistoryItem]]]:
    """DunningHistory items grouped by the letter that named them, in letter-id order."""
    out: dict[str, list[HistoryItem]] = {}
    for h in history:
        out.setdefault(h.letter_id, []).append(h)
    return sorted(out.items())


@dataclass
class Posting:
    """What a collections step adds to the books, and what it found wrong."""
    invoices: list[Invoice] = field(default_factory=list)
    allocations: list[Allocation] = field(default_factory=list)
    journal: list[JournalLine] = field(default_factory=list)
    appends: dict[str, list[tuple]] = field(default_factory=dict)
    updates: list[tuple[str, int, str, object]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)
    audit: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
