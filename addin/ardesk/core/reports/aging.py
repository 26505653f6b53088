"""Aging of open items as of any date.

An invoice counts if it was issued on or before the as-of date; its open
amount is its total less what was applied to it (cash, credits, write-offs)
on or before that date.  So the bucket totals equal the AR control balance
at that date, past dates included.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..ledger.ledger import Ledger


def parse_buckets(text: str) -> tuple[int, ...]:
    """'30,60,90' -> (30, 60, 90): upper bounds in days past due, increasing."""
    try:
        bounds = tuple(int(p.strip()) for p in str(text).split(",") if p.strip())
    except ValueError:
        raise ValueError(f"aging buckets {text!r}: give increasing whole days, e.g. 30,60,90") from None
    if not bounds or any(b <= 0 for b in bounds) or list(bounds) != sorted(set(bounds)):
        raise ValueError(f"aging buckets {text!r}: give increasing whole days above 0, e.g. 30,60,90")
    return bounds


def bucket_labels(bounds: tuple[int, ...]) -> tuple[str, ...]:
    labels = ["Current"]
    lo = 1
    for b in bounds:
        labels.append(f"{lo}-{b}")
        lo = b + 1
    labels.append(f"Over {bounds[-1]}")
    return tuple(labels)


def bucket_index(days_past_due: int, bounds: tuple[int, ...]) -> int:
    if days_past_due <= 0:
        return 0
    for i, b in enumerate(bounds):
        if days_past_due <= b:
            return i + 1
    return len(bounds) + 1


@dataclass(frozen=True)
class AgingRow:
    customer_id: str
    currency: str
    buckets: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.buckets)


@dataclass(frozen=True)
class Aging:
    as_of: date
    basis: str
    labels: tuple[str, ...]
    rows: tuple[AgingRow, ...]

    def totals(self) -> dict[str, tuple[int, ...]]:
        out: dict[str, list[int]] = {}
        for r in self.rows:
            acc = out.setdefault(r.currency, [0] * len(self.labels))
            for i, v in enumerate(r.buckets):
                acc[i] += v
        return {c: tuple(v) for c, v in out.items()}

    def total(self, currency: str) -> int:
        return sum(self.totals().get(currency, ()))


def age(ledger: Ledger, as_of: date, bounds: tuple[int, ...], basis: str = "due") -> Aging:
    labels = bucket_labels(bounds)
    n = len(labels)
    acc: dict[tuple[str, str], list[int]] = {}
    bucket_of: dict[date, int] = {}          # open items share few due dates: one bucket look-up each
    due = basis == "due"
    for inv, open_amount in ledger.open_at(as_of):
        ref = inv.due_date if due else inv.issue_date
        b = bucket_of.get(ref)
        if b is None:
            b = bucket_of[ref] = bucket_index((as_of - ref).days, bounds)
        key = (inv.customer_id, inv.currency)
        row = acc.get(key)
        if row is None:
            row = acc[key] = [0] * n
        row[b] += open_amount
    rows = tuple(AgingRow(cid, cur, tuple(v)) for (cid, cur), v in sorted(acc.items()) if any(v))
    return Aging(as_of, basis, labels, rows)
