"""Who paid, and for what: ordered matching rules over an incoming receipt.

Each rule is a small function ``rule(incoming, index) -> Proposal | None``;
rules are tried in order and the first with a proposal wins (as Odoo's
reconciliation models do).  A proposal names the customer, the invoices it
pays (if any), a confidence between 0 and 1 and a reason a clerk can read.

==================  =====================================================================
rule                confidence
==================  =====================================================================
reference           invoice numbers / RF references quoted (see cashapp.references):
                    exact 1.0, loose 0.95, one typo 0.75; times 1.0 when the amount
                    settles them (or falls short within the write-off tolerance) and the
                    payer does not contradict, 0.95 for a partial or overpayment when the
                    payer agrees, 0.85 when the payer is unknown, 0.5 when the payer is
                    someone else's account or name, 0.7 when a quoted invoice is paid
                    or a number read from a short form is not settled by the amount
payer + amount      who paid (cashapp.payers: 0.60-1.0) times how the amount fits that
                    customer's open items (cashapp.amounts: 0.85-1.0); a CustomerID the
                    clerk typed on the Receipts tab is 1.0 whatever the fit
amount only         0.6: the amount equals exactly one open invoice of anyone; a guess,
                    so it is only ever proposed for review
==================  =====================================================================

The caller posts a proposal at or above Settings ``AutoPostThreshold`` and
sends the rest to the Review tab.  A receipt no rule explains goes to suspense.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Callable, Iterable

from .amounts import fit_amount, within_tolerance
from .payers import Payer, PayerIndex, normal_account, normal_name  # noqa: F401  (re-exported)
from .references import EXACT, LOOSE, SHORT, TOKEN, TYPO, ReferenceIndex
from ..billing.creditor_ref import clean
from ..ledger.ledger import Ledger
from ..model import Customer, Invoice, Payment
from ..money import exponent, fmt, to_minor


REF_FACTOR = {EXACT: 1.0, LOOSE: 0.95, SHORT: 0.95, TYPO: 0.75}


@dataclass(frozen=True, slots=True)
class Incoming:
    """A receipt waiting to be posted, from the Receipts tab, a bank line or a card processor."""
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
    at_bank: bool = False          # already on the bank statement (a banked check is not undeposited)

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


def tokens(text: str) -> list[str]:
    return [clean(t) for t in TOKEN.findall(text or "")]


def accounts_paid_from(ledger: Ledger) -> Iterable[tuple[str, str]]:
    """(account, customer) of every posted payment, and of money cleared from suspense."""
    for p in ledger.payments:
        yield p.payer_account, p.customer_id
    for a in ledger.allocations:
        if a.kind == "suspense cleared" and a.customer_id:
            p = ledger.payment(a.payment_id)
            if p is not None:
                yield p.payer_account, a.customer_id


class MatchIndex:
    """Look-up tables built once per run from the ledger and the customer list.

    Nothing here scans every invoice per receipt: invoices are found by number,
    by (year, sequence), by (currency, open amount), and per customer through
    the ledger's per-customer lists.
    """

    def __init__(self, ledger: Ledger, customers: dict[str, Customer],
                 tolerance_abs: Decimal = Decimal("0.50"), tolerance_pct: Decimal = Decimal("0.005")):
        self.ledger = ledger
        self.customers = customers
        self.tolerance_abs, self.tolerance_pct = tolerance_abs, tolerance_pct
        self.refs = ReferenceIndex()
        self.payers = PayerIndex(customers)
        self._by_amount: dict[tuple[str, int], list[str]] | None = None
        self._tol: dict[str, int] = {}
        self._identified: tuple[Incoming | None, Payer | None] = (None, None)
        self.refs.add_many([(inv.number, inv.creditor_ref) for inv in ledger.invoices])
        # the ledger, not a bound method: the payer index holding this index would be a reference cycle,
        # which keeps a run's whole ledger alive until the cyclic collector scans it
        self.payers.learn_later(lambda: accounts_paid_from(ledger))

    @property
    def by_amount(self) -> dict[tuple[str, int], list[str]]:
        """Open invoices by (currency, open amount), built on first use."""
        if self._by_amount is None:
            self._by_amount = defaultdict(list)
            applied = self.ledger.applied
            for inv in self.ledger.invoices:
                if inv.kind == "invoice":
                    left = inv.total - applied.get(inv.number, 0)
                    if left > 0:
                        self._by_amount[(inv.currency, left)].append(inv.number)
        return self._by_amount

    def learn(self, p: Payment) -> None:
        if p.payer_account and p.customer_id:
            self.payers.learn(p.payer_account, p.customer_id)

    def is_open(self, number: str) -> bool:
        return self.ledger.open_amount(number) > 0

    def tol_minor(self, currency: str) -> int:
        tol = self._tol.get(currency)
        if tol is None:
            tol = self._tol[currency] = to_minor(self.tolerance_abs, exponent(currency))
        return tol

    def open_items(self, customer_id: str, currency: str, on: date) -> list[tuple[Invoice, int]]:
        return [(i, self.ledger.open_amount(i.number))
                for i in self.ledger.open_invoices_of(customer_id, currency, on)]

    def identify(self, inc: Incoming) -> Payer | None:
        """Who paid ``inc`` (asked by several rules for the same receipt: worked out once)."""
        if inc is not self._identified[0]:
            self._identified = (inc, self.payers.identify(inc.customer_id, inc.payer_account, inc.payer,
                                                          lambda: tokens(inc.remittance)))
        return self._identified[1]


Rule = Callable[[Incoming, MatchIndex], "Proposal | None"]


def rule_reference(inc: Incoming, ix: MatchIndex) -> Proposal | None:
    """Invoice numbers or RF references quoted in the remittance text."""
    found = ix.refs.find(inc.remittance, ix.is_open)
    if not found:
        return None
    payer = ix.identify(inc)
    owners = {ix.ledger.invoice_by_no[f.invoice_no].customer_id for f in found}
    if len(owners) > 1:
        if payer is not None and payer.customer_id in owners:
            found = [f for f in found if ix.ledger.invoice_by_no[f.invoice_no].customer_id == payer.customer_id]
        else:
            f0 = found[0]
            cid = ix.ledger.invoice_by_no[f0.invoice_no].customer_id
            quoted = ", ".join(f"{f.invoice_no} ({ix.ledger.invoice_by_no[f.invoice_no].customer_id})" for f in found)
            return Proposal(cid, (f0.invoice_no,), 0.4, "reference",
                            f"remittance quotes invoices of several customers: {quoted}")
    cid = ix.ledger.invoice_by_no[found[0].invoice_no].customer_id
    nos = tuple(f.invoice_no for f in found)
    factor = min(REF_FACTOR[f.how] for f in found)
    e = exponent(inc.currency)
    how = "; ".join(f"{f.quoted!r} read as {f.invoice_no}" if f.how != EXACT else f"quotes {f.invoice_no}"
                    for f in found)
    if any(f.how == TYPO for f in found):
        how += " (one character differs)"
    invs = [ix.ledger.invoice_by_no[n] for n in nos]
    if any(i.currency != inc.currency for i in invs):
        return Proposal(cid, nos, 0.5, "reference", f"{how}; invoice currency {invs[0].currency}, "
                                                    f"receipt {inc.currency}")
    open_total = sum(max(ix.ledger.open_amount(n), 0) for n in nos)
    closed = [n for n in nos if ix.ledger.open_amount(n) <= 0]
    if payer is not None and payer.customer_id != cid and payer.rule != "fuzzy name":
        return Proposal(cid, nos, 0.5, "reference", f"{how} of customer {cid}, but {payer.reason}")
    agrees = payer is not None and payer.customer_id == cid and payer.confidence >= 0.95
    settles = open_total == inc.amount or within_tolerance(open_total - inc.amount, open_total,
                                                           ix.tol_minor(inc.currency), ix.tolerance_pct)
    short = [f.invoice_no for f in found if f.how == SHORT]
    if closed:
        base, what = 0.7, f"; {', '.join(closed)} already paid: possibly paid twice"
    elif short and not settles:
        # a number written short is a reading of the payer's text, not a quote: trusted only
        # when the amount confirms it
        base, what = 0.7, (f"; {', '.join(short)} read from a short number, but the amount {fmt(inc.amount, e)} "
                           f"does not settle the {fmt(open_total, e)} open")
    elif settles:
        base, what = 1.0, f"; amount {fmt(inc.amount, e)} settles {fmt(open_total, e)} open"
    elif agrees:
        base, what = 0.95, (f"; amount {fmt(inc.amount, e)} against {fmt(open_total, e)} open "
                            f"({'partial' if inc.amount < open_total else 'overpaid'}), payer confirmed: "
                            f"{payer.rule}")
    else:
        base, what = 0.85, (f"; amount {fmt(inc.amount, e)} against {fmt(open_total, e)} open and "
                            "the payer is not confirmed by account or name")
    return Proposal(cid, nos, round(base * factor, 3), "reference", f"remittance {how} of customer {cid}{what}")


def rule_payer_amount(inc: Incoming, ix: MatchIndex) -> Proposal | None:
    """The payer identified by the clerk, bank account, customer ID or name; the amount fitted to
    that customer's open items."""
    payer = ix.identify(inc)
    if payer is None:
        return None
    c = ix.customers.get(payer.customer_id)
    items = ix.open_items(payer.customer_id, inc.currency, inc.date)
    if c is not None and c.currency != inc.currency and not items:
        return Proposal(payer.customer_id, (), round(payer.confidence * 0.5, 3), payer.rule,
                        f"{payer.reason}; the customer is billed in {c.currency}, the receipt is {inc.currency}")
    fit = fit_amount(inc.amount, items, exponent(inc.currency), ix.tol_minor(inc.currency), ix.tolerance_pct)
    # a customer the clerk typed is a decision, not a guess: the amount is applied by the usual rule
    factor = 1.0 if payer.rule == "customer given" else fit.factor
    return Proposal(payer.customer_id, fit.invoice_nos, round(payer.confidence * factor, 3),
                    payer.rule, f"{payer.reason}; {fit.reason}")


def rule_amount_only(inc: Incoming, ix: MatchIndex) -> Proposal | None:
    """Payer unknown, but the amount equals exactly one open invoice: proposed, never posted."""
    cands = [n for n in ix.by_amount.get((inc.currency, inc.amount), ())
             if ix.ledger.open_amount(n) == inc.amount and ix.ledger.invoice_by_no[n].issue_date <= inc.date]
    if len(cands) != 1:
        return None
    inv = ix.ledger.invoice_by_no[cands[0]]
    return Proposal(inv.customer_id, (inv.number,), 0.6, "amount only",
                    f"payer not identified; the amount {fmt(inc.amount, exponent(inc.currency))} equals the open "
                    f"amount of {inv.number} of {inv.customer_id}, and of no other invoice")


RULES: tuple[Rule, ...] = (rule_reference, rule_payer_amount, rule_amount_only)


def propose(inc: Incoming, ix: MatchIndex, rules: Iterable[Rule] = RULES) -> Proposal | None:
    for rule in rules:
        p = rule(inc, ix)
        if p is not None:
            return p
    return None
