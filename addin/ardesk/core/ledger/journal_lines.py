"""The journal's lines: what was read held as columns, what a run posts as records.

The journal is the largest table of the workbook (three lines or so for every
invoice and receipt) and it only grows.  Reconciling sums the whole history:
AR control per customer, the credit and suspense accounts, and whether every
entry balances.  Over half a million lines, a Python loop per line is most of
a month-end's core time, so the lines read from the workbook are kept as
columns and summed with numpy (whole numbers only: int64, never a float).
The lines a run posts stay :class:`JournalLine` records, as they were made,
and are summed in Python.  Iterating gives records either way.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from itertools import chain
from typing import Iterable, Iterator, Sequence

import numpy as np
import pandas as pd

from ..model import JournalLine

FIELDS = JournalLine._fields
_INT64_SAFE = 2 ** 62


class Journal:
    """Journal lines in posting order."""

    def __init__(self, lines: Iterable[JournalLine] = ()):
        self._read: list[tuple] = []          # columns of the lines read, in FIELDS order
        self._n_read = 0
        self._arrays: tuple[np.ndarray, ...] | None = None
        self._lines: list[JournalLine] = list(lines)

    @classmethod
    def from_rows(cls, rows: Sequence[Sequence]) -> "Journal":
        """Lines read from a workbook, each a sequence of values in FIELDS order."""
        return cls.from_columns(list(zip(*rows)))

    @classmethod
    def from_columns(cls, columns: Sequence[Sequence]) -> "Journal":
        """Lines read from the workbook, as one column of values per field, in FIELDS order."""
        j = cls()
        if not columns or not len(columns[0]):
            return j
        j._read = list(columns)
        j._n_read = len(columns[0])
        entry, _line, when, account, debit, credit, currency, customer = j._read[:8]
        try:
            amount = np.array(debit, dtype=np.int64) - np.array(credit, dtype=np.int64)
        except OverflowError:
            return j                                # amounts beyond int64: summed in Python
        if len(amount) and int(np.abs(amount).max()) > _INT64_SAFE // len(amount):
            return j                                # a sum could overflow int64: summed in Python
        obj = lambda col: np.fromiter(col, dtype=object, count=len(col))  # noqa: E731
        j._arrays = (obj(entry), obj(when), obj(account), amount, obj(currency), obj(customer))
        return j

    # -- a sequence of JournalLine ---------------------------------------------------
    def __len__(self) -> int:
        return self._n_read + len(self._lines)

    def __iter__(self) -> Iterator[JournalLine]:
        return chain(map(JournalLine._make, zip(*self._read)), self._lines)

    def extend(self, lines: Iterable[JournalLine]) -> None:
        self._lines.extend(lines)

    def column(self, name: str) -> Iterable:
        """One field of every line, in order."""
        k = FIELDS.index(name)
        return chain(self._read[k] if self._read else (), (ln[k] for ln in self._lines))

    # -- sums --------------------------------------------------------------------------
    def totals(self, ar_account: str, accounts: Iterable[str], as_of: date | None = None
               ) -> tuple[dict[tuple[str, str], int], dict[str, dict[str, int]], bool]:
        """AR control per (customer, currency) and the balance per currency of each of
        ``accounts`` (debit - credit), over lines dated up to ``as_of`` (None: all), and
        whether every entry balances.

        Entries are written as runs of adjacent lines; when every run of one entry and
        currency nets to zero, every entry balances (an entry split over several runs nets
        to the sum of its runs).  A run that does not net to zero means an entry may not
        balance: :func:`ardesk.core.journal.check_balanced` then names it.
        """
        control: dict[tuple[str, str], int] = defaultdict(int)
        others: dict[str, dict[str, int]] = {a: defaultdict(int) for a in accounts}
        if self._arrays is not None:
            balanced = self._sum_arrays(ar_account, others, as_of, control)
            rest: Iterable[JournalLine] = self._lines
        else:
            balanced, rest = True, iter(self)
        return control, others, _sum_lines(rest, ar_account, others, as_of, control) and balanced

    def _sum_arrays(self, ar_account: str, others: dict[str, dict[str, int]], as_of: date | None,
                    control: dict[tuple[str, str], int]) -> bool:
        entry, when, account, amount, currency, customer = self._arrays
        ends = np.empty(len(amount), dtype=bool)     # the last line of each run of one entry and currency
        ends[-1] = True
        np.not_equal(entry[1:], entry[:-1], out=ends[:-1])
        ends[:-1] |= currency[1:] != currency[:-1]
        # every run nets to zero exactly when the running total is zero at the end of every run
        balanced = not np.cumsum(amount)[ends].any()
        inside = np.ones(len(amount), dtype=bool) if as_of is None else ~(when > as_of).astype(bool)
        mask = inside & (account == ar_account)
        if mask.any():
            sums = pd.Series(amount[mask]).groupby([customer[mask], currency[mask]], sort=False,
                                                   dropna=False).sum()
            for key, v in zip(sums.index, sums.tolist()):
                control[key] += v
        for acct, by_currency in others.items():
            if acct == ar_account:
                continue                              # AR lines count in control, as _sum_lines does
            mask = inside & (account == acct)
            if mask.any():
                sums = pd.Series(amount[mask]).groupby(currency[mask], sort=False, dropna=False).sum()
                for cur, v in zip(sums.index, sums.tolist()):
                    by_currency[cur] += v
        return balanced


def _sum_lines(lines: Iterable[JournalLine], ar_account: str, others: dict[str, dict[str, int]],
               as_of: date | None, control: dict[tuple[str, str], int]) -> bool:
    """:meth:`Journal.totals` for records, one line at a time; adds to ``control`` and ``others``."""
    balanced = True
    prev_entry = prev_cur = None
    run = 0
    for entry, _line, when, account, debit, credit, cur, customer, *_rest in lines:
        if entry != prev_entry or cur != prev_cur:
            if run:
                balanced = False
            prev_entry, prev_cur, run = entry, cur, 0
        amount = debit - credit
        run += amount
        if as_of is not None and when > as_of:
            continue
        if account == ar_account:
            control[(customer, cur)] += amount
        elif account in others:
            others[account][cur] += amount
    return balanced and not run
