"""The collector's worklist: what to do today, ranked.

Rank: customers with a broken promise or a missed instalment first, then by
amount past due x days past due (summed over their items), then by the age
of their oldest open dispute.  Each row says the next action: the letter the
dunning run proposes ("level-2 letter"), a call for a broken promise, the
dispute to resolve, or the follow-up a note asked for.  A letter issued at a
level whose channel is a call task is a call to make: it stays on the
worklist until a call to the customer is noted on CustomerNotes on or after
the letter's date.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from ..ledger.ledger import Ledger
from ..model import Customer
from ..money import exponent, to_decimal
from .dunning import History, Letter
from .model import Dispute, HistoryItem, by_letter


@dataclass(frozen=True, slots=True)
class Signal:
    """Something a note or a plan says about a customer: a broken promise, a missed instalment, a follow-up."""
    customer_id: str
    kind: str                      # broken promise, missed instalment, promise, follow-up, plan
    when: date
    text: str


@dataclass(slots=True)
class Work:
    customer_id: str
    currency: str
    past_due: int = 0
    score: int = 0                 # sum of open amount (minor units) x days past due
    oldest_days: int = 0
    level: int = 0
    disputes: list[Dispute] = field(default_factory=list)
    signals: list[Signal] = field(default_factory=list)
    letter: Letter | None = None

    @property
    def urgent(self) -> bool:
        return any(s.kind in ("broken promise", "missed instalment") for s in self.signals)


def call_tasks(history: list[HistoryItem], last_call: dict[str, date]) -> list[Signal]:
    """The calls that issued call-task letters ask for, until a call is noted (``last_call``: each customer's
    latest call on CustomerNotes)."""
    out = []
    for letter_id, items in by_letter(history):
        top = max(items, key=lambda h: h.level)
        if top.channel != "call task" or last_call.get(top.customer_id, date.min) >= top.date:
            continue
        numbers = ", ".join(sorted(h.invoice_no for h in items))
        out.append(Signal(top.customer_id, "call task", top.date, f"level-{top.level} dunning {letter_id} of "
                          f"{top.date} about {numbers}; script {top.template}"))
    return out


def next_action(w: Work, as_of: date) -> tuple[str, date | None]:
    for s in w.signals:
        if s.kind in ("broken promise", "missed instalment"):
            return f"call: {s.kind} ({s.text})", as_of
    for s in w.signals:
        if s.kind == "call task":
            return f"call: {s.text}", s.when
    if w.letter is not None:
        lv = w.letter.level
        return ("call" if lv.channel == "call task" else f"level-{lv.level} {lv.channel}"), as_of
    if w.disputes:
        d = min(w.disputes, key=lambda d: d.date)
        return f"resolve dispute {d.id} on {d.invoice_no} ({d.status}, {(as_of - d.date).days} days)", as_of
    follow = sorted((s for s in w.signals if s.kind in ("follow-up", "promise")), key=lambda s: s.when)
    if follow:
        return f"{follow[0].kind}: {follow[0].text}", follow[0].when
    if w.past_due:
        return ("call: past due, no further dunning level" if w.level else "wait for the next dunning level"), None
    return "", None


def worklist(ledger: Ledger, customers: dict[str, Customer], as_of: date, letters: list[Letter],
             history: History, disputes: list[Dispute], signals: list[Signal]) -> list[Work]:
    """Customers to work on today, ranked (see the module's doc)."""
    work: dict[tuple[str, str], Work] = {}
    days_of: dict[date, int] = {}
    last_get, work_get, days_get = history.last.get, work.get, days_of.get
    as_of_ordinal = as_of.toordinal()
    for inv, left in ledger.open_at(as_of):
        if left <= 0 or inv.kind != "invoice":
            continue
        due = inv.due_date
        days = days_get(due)
        if days is None:
            days = days_of[due] = as_of_ordinal - due.toordinal()
        lv = last_get(inv.number)
        if days <= 0 and lv is None:
            continue
        key = (inv.customer_id, inv.currency)
        w = work_get(key)
        if w is None:
            w = work[key] = Work(*key)
        if days > 0:
            w.past_due += left
            w.score += left * days
            if days > w.oldest_days:
                w.oldest_days = days
        if lv and lv[0] > w.level:
            w.level = lv[0]
    for L in letters:
        key = (L.customer_id, L.currency)
        work.setdefault(key, Work(*key)).letter = L
    for d in disputes:
        inv = ledger.invoice_by_no.get(d.invoice_no)
        if d.pauses_dunning and inv is not None:
            work.setdefault((inv.customer_id, inv.currency), Work(inv.customer_id, inv.currency)).disputes.append(d)
    keys_of: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for key in work:
        keys_of[key[0]].append(key)
    for sig in signals:
        keys = keys_of.get(sig.customer_id)
        key = keys[0] if keys else (sig.customer_id, customers[sig.customer_id].currency
                                    if sig.customer_id in customers else "")
        work.setdefault(key, Work(*key)).signals.append(sig)
    ranked = [w for w in work.values() if w.past_due or w.letter or w.disputes or w.signals]
    ranked.sort(key=lambda w: (not w.urgent, -w.score,
                               -max(((as_of - d.date).days for d in w.disputes), default=0), w.customer_id))
    return ranked


def worklist_rows(ranked: list[Work], customers: dict[str, Customer], as_of: date) -> list[tuple]:
    rows = []
    for rank, w in enumerate(ranked, start=1):
        e = exponent(w.currency)
        action, when = next_action(w, as_of)
        oldest_dispute = max(((as_of - d.date).days for d in w.disputes), default=None)
        name = customers[w.customer_id].name if w.customer_id in customers else ""
        rows.append((rank, w.customer_id, name, w.currency, to_decimal(w.past_due, e), w.oldest_days or None,
                     to_decimal(w.score, e), w.level or None, action, when, len(w.disputes) or None, oldest_dispute,
                     "; ".join(f"{s.kind}: {s.text}" for s in w.signals) or None))
    return rows
