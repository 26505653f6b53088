"""Who paid, and for what: ordered matching rules over an incoming receipt.

Each rule is a small function ``rule(incoming, index) -> Proposal | None``;
rules are tried in order and the first with a proposal wins (as Odoo's
reconciliation models do).  A proposal names the customer, the invoices the
payer quoted (if any), a confidence and a reason a clerk can read.  A receipt
no rule explains is never guessed: it goes to suspense.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Callable, Iterable

from .creditor_ref import clean, find_references
from .ledger import Ledger
from .model import Customer


@dataclass(frozen=True, slots=True)
class Incoming:
    """A receipt waiting to be posted, from the Receipts tab or a bank line."""
    date: date
    amount: int
    currency: str
    fingerprint: str
    source: str = ""
    method: str = ""
    payer: str = ""
    payer_account: str = ""
    customer_id: str = ""
    reference: str = ""
    text: str = ""
    check_no: str = ""
    origin: str = ""               # where it came from, for messages: "Receipts row 7", "bank.csv line 4"
    receipt_row: int | None = None  # Receipts tab row to stamp with the PaymentID

    @property
    def remittance(self) -> str:
        return " ".join(p for p in (self.reference, self.text) if p)


@dataclass(frozen=True, slots=True)
class Proposal:
    customer_id: str
    invoice_nos: tuple[str, ...]
    confidence: float
    rule: str
    reason: str


_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-/_.]*[A-Za-z0-9]|[A-Za-z0-9]")


def tokens(text: str) -> list[str]:
    return [clean(t) for t in _TOKEN.findall(text or "")]


def normal_name(name: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", (name or "").casefold()).split())


def normal_account(acct: str) -> str:
    return clean(acct)


@dataclass
class MatchIndex:
    """Look-up tables built once per run from the ledger and the customer list."""
    ledger: Ledger
    customers: dict[str, Customer]
    by_number: dict[str, str] = field(default_factory=dict)
    by_rf: dict[str, str] = field(default_factory=dict)
    by_customer_token: dict[str, str] = field(default_factory=dict)
    by_name: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    by_account: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def __post_init__(self) -> None:
        for inv in self.ledger.invoices:
            self.add_invoice(inv.number, inv.creditor_ref)
        for c in self.customers.values():
            self.by_customer_token[clean(c.id)] = c.id
            self.by_name[normal_name(c.name)].append(c.id)
            if c.bank_account:
                self.by_account[normal_account(c.bank_account)].append(c.id)

    def add_invoice(self, number: str, rf: str) -> None:
        self.by_number[clean(number)] = number
        if rf:
            self.by_rf[clean(rf)] = number


Rule = Callable[[Incoming, MatchIndex], "Proposal | None"]


def rule_reference(inc: Incoming, ix: MatchIndex) -> Proposal | None:
    """Invoice numbers or RF references quoted in the remittance text."""
    found: list[str] = []
    for rf in find_references(inc.remittance):
        no = ix.by_rf.get(rf)
        if no and no not in found:
            found.append(no)
    for tok in tokens(inc.remittance):
        no = ix.by_number.get(tok) or ix.by_rf.get(tok)
        if no and no not in found:
            found.append(no)
    if not found:
        return None
    owners = {ix.ledger.invoice_by_no[n].customer_id for n in found}
    if len(owners) != 1:
        return None
    cid = owners.pop()
    if inc.customer_id and inc.customer_id != cid:
        return None
    return Proposal(cid, tuple(found), 1.0, "reference",
                    f"remittance quotes {', '.join(found)} of customer {cid}")


def rule_customer_given(inc: Incoming, ix: MatchIndex) -> Proposal | None:
    """The clerk typed the customer ID on the Receipts tab."""
    if inc.customer_id and inc.customer_id in ix.customers:
        return Proposal(inc.customer_id, (), 1.0, "customer given", f"customer {inc.customer_id} entered by the clerk")
    return None


def rule_customer_in_text(inc: Incoming, ix: MatchIndex) -> Proposal | None:
    hits = {ix.by_customer_token[t] for t in tokens(inc.remittance) if t in ix.by_customer_token}
    if len(hits) == 1:
        cid = hits.pop()
        return Proposal(cid, (), 0.95, "customer id", f"remittance quotes customer ID {cid}")
    return None


def rule_bank_account(inc: Incoming, ix: MatchIndex) -> Proposal | None:
    if not inc.payer_account:
        return None
    hits = ix.by_account.get(normal_account(inc.payer_account), [])
    if len(hits) == 1:
        return Proposal(hits[0], (), 0.95, "bank account", f"paid from {inc.payer_account}, the account of {hits[0]}")
    return None


def rule_exact_name(inc: Incoming, ix: MatchIndex) -> Proposal | None:
    hits = ix.by_name.get(normal_name(inc.payer), []) if inc.payer else []
    if len(hits) == 1:
        return Proposal(hits[0], (), 0.9, "payer name", f"payer {inc.payer!r} is the name of customer {hits[0]}")
    return None


RULES: tuple[Rule, ...] = (rule_reference, rule_customer_given, rule_customer_in_text, rule_bank_account,
                           rule_exact_name)


def propose(inc: Incoming, ix: MatchIndex, rules: Iterable[Rule] = RULES) -> Proposal | None:
    for rule in rules:
        p = rule(inc, ix)
        if p is not None:
            return p
    return None
