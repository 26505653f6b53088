"""The report step's rows from the demo's books equal what one journal sum per day gives."""
from __future__ import annotations

import dataclasses
from datetime import date, timedelta

from ardesk import app
from ardesk.core.ledger.journal_lines import Journal
from ardesk.core.model import JournalLine
from ardesk.core.money import exponent, to_decimal
from ardesk.core.periods import add_months, month_end
from ardesk.core.reports.metrics import balances_at, trend_rows
from ardesk.io.fileadapter import FileWorkbook


def _days(ledger) -> list[date]:
    """Every month end of the books and a year around them, mid-month days, and days before and after."""
    dates = sorted(set(ledger.journal.column("date")))
    first = date(dates[0].year, dates[0].month, 1)
    months = [add_months(first, k) for k in range(-2, 14)]
    return sorted({month_end(m) for m in months} | {m + timedelta(days=14) for m in months}
                  | {dates[0] - timedelta(days=1), dates[0], dates[len(dates) // 2], dates[-1]})


def _read_and_posted(journal: Journal) -> Journal:
    """The same lines, the first half as read from a workbook, the rest as a run posts them."""
    lines = list(journal)
    mixed = Journal.from_rows([tuple(ln) for ln in lines[:len(lines) // 2]])
    mixed.extend(JournalLine(*ln) for ln in lines[len(lines) // 2:])
    return mixed


def test_balances_at_every_day_as_one_sum_per_day(demo_master):
    ledger = app.load(FileWorkbook(demo_master)).ledger
    pairs = sorted(set(zip(ledger.journal.column("account"), ledger.journal.column("currency"))))
    assert len(pairs) > 4 and len({cur for _a, cur in pairs}) > 1
    days = _days(ledger)
    for books in (ledger, dataclasses.replace(ledger, journal=_read_and_posted(ledger.journal))):
        assert len(books.journal) == len(ledger.journal)
        for account, currency in pairs:
            want = [books.account_balance(account, d).get(currency, 0) for d in days]
            assert balances_at(books, account, currency, days) == want, (account, currency)


def test_trends_ar_is_the_control_at_each_month_end(demo_master):
    books = app.load(FileWorkbook(demo_master))
    s = books.settings
    rows = trend_rows(books.ledger, s, date(2026, 10, 31))
    assert [r[0] for r in rows] == [f"{add_months(date(2025, 11, 1), k):%Y-%m}" for k in range(12)]
    ends = [month_end(add_months(date(2025, 11, 1), k)) for k in range(12)]
    control = [books.ledger.account_balance(s.account("AR"), end).get(s.base_currency, 0) for end in ends]
    assert any(control)
    assert [r[4] for r in rows] == [to_decimal(v, exponent(s.base_currency)) for v in control]
