"""The posted state of the books, derived from the append-only ledger tables.

A :class:`Ledger` holds what was read from Invoices, Payments, Allocations and
Journal, plus what the current run adds.  Balances and statuses are never
stored: they are derived here from the ledgers.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable, Iterator

from .journal_lines import Journal
from ..model import Allocation, Invoice, JournalLine, Payment

# Allocation kinds that reduce an invoice's open amount (when they name one).
# A credit note is set against its invoice by a pair of "credit note" allocations (+ on the invoice,
# - on the credit note); what its invoice cannot take becomes customer credit ("credit note to credit").
REDUCES_INVOICE = frozenset({"applied", "credit applied", "write-off", "suspense cleared", "credit note",
                             "credit note to credit"})
_NUM = re.compile(r"(\d+)$")


def _seq(ident: str) -> int:
    m = _NUM.search(ident or "")
    return int(m.group(1)) if m else 0


@dataclass
class Ledger:
    invoices: list[Invoice] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    allocations: list[Allocation] = field(default_factory=list)
    journal: Journal = field(default_factory=Journal)       # or any iterable of JournalLine
    billing_keys: set[str] = field(default_factory=set)
    carried: Any = None       # archive.Carried: what the live books keep of archived months (None: none)

    def __post_init__(self) -> None:
        if not isinstance(self.journal, Journal):
            self.journal = Journal(self.journal)
        self.invoice_by_no: dict[str, Invoice] = {}
        self.by_customer: dict[tuple[str, str], list[Invoice]] = defaultdict(list)
        self.applied: dict[str, int] = defaultdict(int)
        self.fingerprints: set[str] = set()
        self.credit_pool: dict[tuple[str, str], list[list]] = defaultdict(list)  # (cust, cur) -> [[pid, date, left]]
        self.suspense: dict[str, list] = {}   # payment id -> [payment, left]
        self._next = {"JE": 0, "PAY": 0, "AL": 0}
        self._payment_by_id: dict[str, Payment] = {}
        self._open_memo: dict[date | None, list[tuple[Invoice, int]]] = {}
        self._open_now: dict[str, Invoice] = {}      # invoices with a balance today (kept as rows come in)
        self._position: dict[str, int] = {}           # where each invoice is in ``invoices``
        for inv in self.invoices:
            self._index_invoice(inv)
        for p in self.payments:
            self._index_payment(p)
        for a in self.allocations:
            self._index_allocation(a)
        # ids read from the workbook: new ones (from next_id) follow the highest
        self._next["PAY"] = max((_seq(p.id) for p in self.payments), default=0)
        self._next["AL"] = max((_seq(a.id) for a in self.allocations), default=0)
        self._next["JE"] = max((_seq(e) for e in set(self.journal.column("entry_id"))), default=0)
        if self.carried is not None:          # numbers moved to an archive are never given again
            for prefix, seq in self.carried.last_ids.items():
                if prefix in self._next:
                    self._next[prefix] = max(self._next[prefix], seq)

    # -- indexing -----------------------------------------------------------
    def _index_invoice(self, inv: Invoice) -> None:
        self.invoice_by_no[inv.number] = inv
        self._position[inv.number] = len(self._position)
        if inv.total != self.applied.get(inv.number, 0):
            self._open_now[inv.number] = inv
        self.by_customer[(inv.customer_id, inv.currency)].append(inv)
        for ln in inv.lines:
            if ln.billing_key:
                self.billing_keys.add(ln.billing_key)

    def _index_payment(self, p: Payment) -> None:
        self.fingerprints.add(p.fingerprint)
        self._payment_by_id[p.id] = p

    def _index_allocation(self, a: Allocation) -> None:
        if a.kind in REDUCES_INVOICE and a.invoice_no:
            self.applied[a.invoice_no] += a.amount
            inv = self.invoice_by_no.get(a.invoice_no)
            if inv is not None:
                if inv.total == self.applied[a.invoice_no]:
                    self._open_now.pop(inv.number, None)
                else:
                    self._open_now[inv.number] = inv
        if a.kind == "credit":
            self.credit_pool[(a.customer_id, a.currency)].append([a.payment_id, a.date, a.amount])
        elif a.kind == "credit note to credit":
            self.credit_pool[(a.customer_id, a.currency)].append([a.payment_id, a.date, -a.amount])
        elif a.kind in ("credit applied", "refund"):
            self._draw(self.credit_pool[(a.customer_id, a.currency)], a.payment_id, a.amount)
        elif a.kind == "suspense":
            self.suspense[a.payment_id] = [self._payment_by_id.get(a.payment_id), a.amount]
        elif a.kind == "suspense cleared":
            if not a.invoice_no and a.customer_id:
                # money taken out of suspense for a customer but no invoice: the customer's credit
                self.credit_pool[(a.customer_id, a.currency)].append([a.payment_id, a.date, a.amount])
            if a.payment_id in self.suspense:
                self.suspense[a.payment_id][1] -= a.amount
                if self.suspense[a.payment_id][1] <= 0:
                    del self.suspense[a.payment_id]

    @staticmethod
    def _draw(pool: list[list], payment_id: str, amount: int) -> None:
        for slot in pool:
            if slot[0] == payment_id and slot[2] > 0:
                take = min(slot[2], amount)
                slot[2] -= take
                amount -= take
                if not amount:
                    break
        pool[:] = [s for s in pool if s[2] > 0]

    # -- adding what a run posts -------------------------------------------------
    def add_invoices(self, invoices: Iterable[Invoice]) -> None:
        self._open_memo.clear()
        for inv in invoices:
            self.invoices.append(inv)
            self._index_invoice(inv)

    def add_payments(self, payments: Iterable[Payment]) -> None:
        """Payments made by this run (their ids come from :meth:`next_id`); so for the others."""
        for p in payments:
            self.payments.append(p)
            self._index_payment(p)

    def add_allocations(self, allocations: Iterable[Allocation]) -> None:
        self._open_memo.clear()
        for a in allocations:
            self.allocations.append(a)
            self._index_allocation(a)

    def add_journal(self, lines: Iterable[JournalLine]) -> None:
        """Lines made by this run: their entry ids came from :meth:`next_id`."""
        self.journal.extend(lines)

    def payment(self, payment_id: str) -> Payment | None:
        return self._payment_by_id.get(payment_id)

    def next_id(self, prefix: str) -> str:
        self._next[prefix] += 1
        return f"{prefix}-{self._next[prefix]:07d}"

    # -- derived balances ----------------------------------------------------------
    def open_amount(self, invoice_no: str) -> int:
        inv = self.invoice_by_no[invoice_no]
        return inv.total - self.applied.get(invoice_no, 0)

    def applied_after(self, as_of: date) -> dict[str, int]:
        """Per invoice, what was applied to it after ``as_of`` (one pass over the allocations)."""
        late: dict[str, int] = defaultdict(int)
        for a in self.allocations:
            if a.date > as_of and a.invoice_no and a.kind in REDUCES_INVOICE:
                late[a.invoice_no] += a.amount
        return late

    def open_items(self, as_of: date | None = None) -> Iterator[tuple[Invoice, int]]:
        """(invoice, open amount) for every invoice with a balance, as of a date."""
        return iter(self.open_at(as_of))

    def open_at(self, as_of: date | None = None) -> list[tuple[Invoice, int]]:
        """:meth:`open_items` as a list, kept until the ledger next changes (aging and
        reconciliation of one date share it).

        An invoice open at a past date is open today or had money applied after that date,
        so only those are looked at, not the whole ledger.  Order: the invoices open today,
        then those settled since ``as_of``, each group in the order the ledger holds them.
        The list is shared by every caller until the ledger changes: read it, do not change it.
        """
        memo = self._open_memo
        if as_of in memo:
            return memo[as_of]
        applied = self.applied
        if as_of is None:
            out = [(inv, inv.total - applied.get(inv.number, 0)) for inv in self._open_now.values()]
        else:
            late = self.applied_after(as_of)
            open_now, by_no, position = self._open_now, self.invoice_by_no, self._position
            settled_since = sorted((no for no in late if no not in open_now and no in by_no), key=position.get)
            out = []
            for inv in (*open_now.values(), *(by_no[no] for no in settled_since)):
                if inv.issue_date <= as_of:
                    left = inv.total - applied.get(inv.number, 0) + late.get(inv.number, 0)
                    if left:
                        out.append((inv, left))
        memo[as_of] = out
        return out

    def open_invoices_of(self, customer_id: str, currency: str, on: date | None = None) -> list[Invoice]:
        """A customer's open invoices (issued on or before ``on``), oldest due first."""
        out = [inv for inv in self.by_customer.get((customer_id, currency), ())
               if inv.kind == "invoice" and (on is None or inv.issue_date <= on) and inv.total - self.applied.get(inv.number, 0) > 0]
        out.sort(key=lambda i: (i.due_date, i.issue_date, i.number))
        return out

    def journal_totals(self, ar_account: str, accounts: Iterable[str], as_of: date | None
                       ) -> tuple[dict[tuple[str, str], int], dict[str, dict[str, int]], bool]:
        """AR control per (customer, currency), the balance per currency of each of ``accounts``
        (debit - credit) up to a date, and whether every entry balances: see
        :meth:`ardesk.core.journal_lines.Journal.totals`."""
        return self.journal.totals(ar_account, accounts, as_of)

    def control_balances(self, ar_account: str, as_of: date | None = None) -> dict[tuple[str, str], int]:
        """AR control per (customer, currency) from the journal (debit - credit)."""
        return self.journal.totals(ar_account, (), as_of)[0]

    def account_balance(self, account: str, as_of: date | None = None) -> dict[str, int]:
        return self.journal.totals("", (account,), as_of)[1][account]
