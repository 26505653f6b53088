"""BAI2 cash-management balance reporting files (BAI, "Cash Management Balance
Reporting Specifications", version 2), read with the PyPI ``bai2`` package in
its strict mode (record counts and control totals checked).

Each account (``03`` record) becomes one part of the Statement; its ``16``
transaction details become lines, amounts in the currency's minor units as the
file states them (BAI2 amounts carry no decimal point), signed by the type
code's credit/debit class.  Text continued on ``88`` records is joined into the
line's text.  Where an account gives both an opening ledger (type 010) and a
closing ledger (type 015) balance, they are checked against the lines.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Iterator

from bai2 import exceptions as bai2exc
from bai2.constants import TypeCodeTransaction
from bai2.helpers import IteratorHelper
from bai2.parsers import Bai2FileParser

from .common import combine, join_texts
from .model import BankFileError, BankLine, Statement

FORMAT = "BAI2"
OPENING_LEDGER, CLOSING_LEDGER = "010", "015"
# BAI2 detail type codes with a kind of their own; every other code is a transfer.
_KINDS = {"475": "check", "474": "check", "395": "check", "301": "deposit", "165": "deposit",
          "698": "fee", "699": "transfer", "195": "transfer", "495": "transfer"}


class _Numbered:
    """Feeds the parser non-blank lines and remembers the file line number of the last one read."""

    def __init__(self, lines: list[tuple[int, str]]):
        self.lines, self.last = lines, 0

    def __iter__(self) -> Iterator[str]:
        for n, line in self.lines:
            self.last = n
            yield line


def read(path: Path, text: str, currency: str = "USD") -> Statement:
    name = path.name
    numbered = [(n, ln.strip()) for n, ln in enumerate(text.splitlines(), start=1) if ln.strip()]
    if not numbered or not numbered[0][1].startswith("01,"):
        raise BankFileError(f"{name} line 1: a BAI2 file starts with a 01 file header record")
    feed = _Numbered(numbered)
    try:
        helper = IteratorHelper(iter(feed))
        doc = Bai2FileParser(helper).parse()
    except (bai2exc.ParsingException, bai2exc.IntegrityException, bai2exc.NotSupportedYetException,
            ValueError, IndexError, StopIteration) as exc:
        raise BankFileError(f"{name} line {_failing_line(feed, helper if 'helper' in locals() else None)}: "
                            f"{exc or type(exc).__name__}") from None
    detail_lines = [n for n, ln in numbered if ln.startswith("16,")]
    at = 0
    parts: list[Statement] = []
    for group in doc.children:
        group_ccy = group.header.currency or currency
        as_of: date = group.header.as_of_date
        for acct in group.children:
            ccy = acct.header.currency or group_ccy
            account = acct.header.customer_account_number or ""
            summary = {s.type_code.code: s.amount for s in acct.header.summary_items
                       if s.type_code is not None and s.amount is not None}
            lines: list[BankLine] = []
            for tx in acct.children:
                n = detail_lines[at] if at < len(detail_lines) else 0
                at += 1
                code = tx.type_code
                if code.transaction == TypeCodeTransaction.credit:
                    sign = 1
                elif code.transaction == TypeCodeTransaction.debit:
                    sign = -1
                else:
                    raise BankFileError(f"{name} line {n}: type code {code.code} is neither a credit nor a debit")
                if tx.amount is None:
                    raise BankFileError(f"{name} line {n}: transaction without an amount")
                avail = tx.availability if isinstance(tx.availability, dict) else {}
                value_date = avail.get("date") if isinstance(avail.get("date"), date) else None
                lines.append(BankLine(
                    booking_date=as_of, value_date=value_date, amount=sign * int(tx.amount), currency=ccy,
                    reference=join_texts(tx.customer_reference), text=join_texts(tx.text),
                    check_no=(tx.customer_reference or "").strip() if _KINDS.get(code.code) == "check" else "",
                    bank_ref=(tx.bank_reference or "").strip(), kind=_KINDS.get(code.code, "transfer"),
                    account=account, source=name, line_no=n))
            parts.append(Statement(
                source=name, format=FORMAT, account=account, currency=ccy, lines=tuple(lines),
                opening_balance=summary.get(OPENING_LEDGER), closing_balance=summary.get(CLOSING_LEDGER),
                statement_id=f"{doc.header.file_id or ''}/{group.header.as_of_date.isoformat()}"))
    if not parts:
        raise BankFileError(f"{name}: no account in the file")
    return combine(name, FORMAT, parts, currency)


def _failing_line(feed: _Numbered, helper: IteratorHelper | None) -> int:
    """The line of the record being parsed when the parser gave up."""
    record = getattr(helper, "current_record", None)
    if record is not None and getattr(record, "rows", None):
        code, rest = record.rows[0]
        first = f"{code.value},{rest}"
        for n, ln in reversed(feed.lines):
            if n <= feed.last and ln == first:
                return n
    return feed.last
