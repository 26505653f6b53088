"""Which of a customer's open items an amount pays, when no invoice was quoted.

Tried in order on the customer's open invoices (oldest due first):

==================  ======  ===================================================
rule                factor  when
==================  ======  ===================================================
one item            1.00    the amount equals exactly one open item
all items           1.00    the amount equals the sum of all open items (2 or more)
oldest equal item   0.95    several open items equal the amount: the oldest
subset              0.95    exactly one combination of open items sums to it
                            (bounded: the oldest SUBSET_ITEMS items, combinations
                            of up to SUBSET_SIZE, at most SUBSET_TRIES tried)
within tolerance    0.95    short of one item (or of all) by no more than the
                            write-off tolerance; the difference is written off
nothing fits        0.85    applied oldest first, partial on the last, any rest
                            is customer credit
==================  ======  ===================================================

The factor multiplies the confidence in the payer.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from itertools import combinations

from ..model import Invoice
from ..money import fmt

SUBSET_ITEMS = 14
SUBSET_SIZE = 4
SUBSET_TRIES = 20_000


@dataclass(frozen=True, slots=True)
class Fit:
    invoice_nos: tuple[str, ...]
    factor: float
    rule: str
    reason: str


def within_tolerance(short: int, total: int, tol_abs_minor: int, tol_pct: Decimal) -> bool:
    """An underpayment small enough to write off: both the amount and the share limit hold."""
    return 0 < short <= tol_abs_minor and Decimal(short) <= tol_pct * Decimal(total)


def fit_amount(amount: int, items: list[tuple[Invoice, int]], e: int, tol_abs_minor: int,
               tol_pct: Decimal) -> Fit:
    if not items:
        return Fit((), 0.85, "no open items", "no open invoices: the whole amount becomes customer credit")
    equal = [inv for inv, left in items if left == amount]
    if len(equal) == 1:
        return Fit((equal[0].number,), 1.0, "amount", f"amount {fmt(amount, e)} equals open {equal[0].number}")
    if len(items) >= 2 and sum(left for _, left in items) == amount:
        nos = tuple(inv.number for inv, _ in items)
        return Fit(nos, 1.0, "amount all", f"amount {fmt(amount, e)} equals all {len(nos)} open invoices")
    if len(equal) > 1:
        return Fit((equal[0].number,), 0.95, "amount oldest",
                   f"amount {fmt(amount, e)} equals {len(equal)} open invoices; the oldest, {equal[0].number}")
    subset = _subset(amount, items)
    if subset is not None:
        nos, tried, capped = subset
        if nos:
            note = f"searched {tried} combination(s) of the oldest {min(len(items), SUBSET_ITEMS)} open items"
            note += ", search capped" if capped else ""
            return Fit(nos, 0.95, "amount subset", f"amount {fmt(amount, e)} is the sum of {' + '.join(nos)} "
                                                  f"(the only combination that fits; {note})")
    short_one = [inv for inv, left in items if within_tolerance(left - amount, left, tol_abs_minor, tol_pct)]
    if len(short_one) == 1:
        inv = short_one[0]
        left = dict((i.number, l) for i, l in items)[inv.number]
        return Fit((inv.number,), 0.95, "amount tolerance",
                   f"amount {fmt(amount, e)} is {fmt(left - amount, e)} short of open {inv.number}: within the "
                   "write-off tolerance")
    total = sum(left for _, left in items)
    if len(items) >= 2 and within_tolerance(total - amount, total, tol_abs_minor, tol_pct):
        nos = tuple(inv.number for inv, _ in items)
        return Fit(nos, 0.95, "amount tolerance", f"amount {fmt(amount, e)} is {fmt(total - amount, e)} short of all "
                                                  f"{len(nos)} open invoices: within the write-off tolerance")
    return Fit((), 0.85, "oldest first", f"amount {fmt(amount, e)} fits no open item or combination: "
                                         "applied oldest invoice first")


def _subset(amount: int, items: list[tuple[Invoice, int]]) -> tuple[tuple[str, ...], int, bool] | None:
    """The one combination of 2..SUBSET_SIZE open items summing to ``amount``; () when several fit."""
    pool = items[:SUBSET_ITEMS]
    if len(pool) < 3:
        return None      # two items: 'one item' and 'all items' already tried
    found: list[tuple[str, ...]] = []
    tried = 0
    capped = len(items) > SUBSET_ITEMS
    for size in range(2, min(SUBSET_SIZE, len(pool) - 1) + 1):
        for combo in combinations(pool, size):
            tried += 1
            if tried > SUBSET_TRIES:
                capped = True
                break
            if sum(left for _, left in combo) == amount:
                found.append(tuple(inv.number for inv, _ in combo))
                if len(found) > 1:
                    return (), tried, capped
        if tried > SUBSET_TRIES:
            break
    if not found:
        return None
    return found[0], tried, capped
