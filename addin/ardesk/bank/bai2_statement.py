"""BAI2 cash-management balance reporting files (BAI, "Cash Management Balance
Reporting Specifications", version 2), read with the PyPI ``bai2`` package in
its strict mode (record counts and control totals checked).

Each account (``03`` record) becomes one part of the Statement; its ``16``
transaction details become lines, amounts in the currency's minor units as the
file states them (BAI2 amounts carry no decimal point), signed by the type
code's credit/debit class.  Text continued on ``88`` records is joined into the
line's text.  Where an account gives both an opening ledger (type 010) and a
closing ledger (type 015) balance, they are compared with the lines, but a
difference is a note, not a refusal: BAI2 makes transaction detail (``16``)
records optional, so a bank may detail only some of the day's transactions,
and the totals the standard does make binding are the control totals and
record counts of the ``49``, ``98`` and ``99`` trailers, which the strict
parser checks.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Iterator

from bai2 import exceptions as bai2exc
from bai2.constants import TypeCodeTransaction
from bai2.helpers import IteratorHelper
from bai2.parsers import Bai2FileParser

from .common import Item, join_texts
from .model import BankFileError, BankLine, Statement

FORMAT = "BAI2"
BALANCE_RULE = ("BAI2 does not require the detailed transactions to add up to the ledger balances "
                "(16 records are optional); not refused")
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


# A record starts with its two-digit code and a comma (BAI2 v2, "Record Codes").
_RECORD_START = re.compile(r"(?<=/)(?=(?:01|02|03|16|49|88|98|99),)")


def _records(text: str) -> list[tuple[int, str]]:
    """(file line, record) of each physical record, made ready for the bai2 parser.

    A pre-pass before the parser, for two things the BAI2 specification (version 2) allows and
    the parser gets wrong:

    * several records on one physical line, each ended by its ``/`` delimiter ("records may be
      blocked": transmission lines need not end at a record) - split apart;
    * an ``88`` continuation record resumes the preceding record at its next field (a field is
      never split across records), but the parser glues the continuation onto the last field
      when the line before did not end with a delimiter (``...,190`` + ``88,1000,...`` read as
      type code ``1901000``) - the missing field delimiter is written in.  The text field of a
      ``16`` record is the exception: text goes on across ``88`` records, and is left alone.
    """
    out: list[tuple[int, str]] = []
    for n, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if line:
            out.extend((n, part.strip()) for part in _RECORD_START.split(line) if part.strip())
    kind = ""
    for i, (n, rec) in enumerate(out):
        if not rec.startswith("88,"):
            kind = rec[:2]
        follows = i + 1 < len(out) and out[i + 1][1].startswith("88,")
        if follows and kind != "16" and not rec.endswith(("/", ",")):
            out[i] = (n, rec + ",")
    return out


def stream(name: str, text: str, currency: str = "USD") -> Iterator[Item]:
    """The file's lines and accounts (:data:`~ardesk.bank.common.Item`), from the whole text: the
    bai2 parser builds the file before it can be read."""
    numbered = _records(text)
    if not numbered or not numbered[0][1].startswith("01,"):
        raise BankFileError(f"{name} line 1: a BAI2 file starts with a 01 file header record")
    feed = _Numbered(numbered)
    try:
        helper = IteratorHelper(iter(feed))
        doc = Bai2FileParser(helper).parse()
    except (bai2exc.ParsingException, bai2exc.IntegrityException, bai2exc.NotSupportedYetException,
            ValueError, IndexError, StopIteration) as exc:
        raise _failure(name, feed, helper if "helper" in locals() else None, exc) from None
    detail_lines = [n for n, ln in numbered if ln.startswith("16,")]
    at = accounts = 0
    for group in doc.children:
        group_ccy = group.header.currency or currency
        as_of: date = group.header.as_of_date
        for acct in group.children:
            ccy = acct.header.currency or group_ccy
            account = acct.header.customer_account_number or ""
            summary = {s.type_code.code: s.amount for s in acct.header.summary_items
                       if s.type_code is not None and s.amount is not None}
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
                yield BankLine(
                    booking_date=as_of, value_date=value_date, amount=sign * int(tx.amount), currency=ccy,
                    reference=join_texts(tx.customer_reference), text=join_texts(tx.text),
                    check_no=(tx.customer_reference or "").strip() if _KINDS.get(code.code) == "check" else "",
                    bank_ref=(tx.bank_reference or "").strip(), kind=_KINDS.get(code.code, "transfer"),
                    account=account, source=name, line_no=n)
            accounts += 1
            yield Statement(
                source=name, format=FORMAT, account=account, currency=ccy, lines=(),
                opening_balance=summary.get(OPENING_LEDGER), closing_balance=summary.get(CLOSING_LEDGER),
                statement_id=f"{doc.header.file_id or ''}/{group.header.as_of_date.isoformat()}",
                balances_binding=False, balance_rule=BALANCE_RULE)
    if not accounts:
        raise BankFileError(f"{name}: no account in the file")


# The container an integrity check is about, and the trailer record that carries its totals.
_TRAILER_OF = {"Account": "49", "Group": "98", "Bai2File": "99"}
_NOT_A_NUMBER = re.compile(r"invalid literal for int\(\) with base 10: '(.*)'")
_BAD_CODE = re.compile(r"'(.*)' is not a valid RecordCode")


def _failure(name: str, feed: _Numbered, helper: IteratorHelper | None, exc: Exception) -> BankFileError:
    """The parser's complaint with the line of the record it is about, in words a clerk can read."""
    text = str(exc) or type(exc).__name__
    if m := _BAD_CODE.search(text):
        # raised while the next physical record was being read: the last line fed
        return BankFileError(f"{name} line {feed.last}: {m.group(1)!r} is not a BAI2 record code "
                             "(01, 02, 03, 16, 49, 88, 98, 99)")
    at = _record_line(feed, helper)
    if isinstance(exc, bai2exc.IntegrityException):
        # checked once the trailer is read, when the parser has already read the record after it
        trailer = next((_TRAILER_OF[k] for k in _TRAILER_OF if f"for {k}" in text), None)
        if trailer is not None:
            at = next((n for n, ln in reversed(feed.lines) if n <= at and ln.startswith(trailer + ",")), at)
        return BankFileError(f"{name} line {at}: {text} (BAI2 trailer records carry control totals and "
                             "record counts)")
    if m := _NOT_A_NUMBER.search(text):
        return BankFileError(f"{name} line {at}: {m.group(1)!r} is not a number where BAI2 wants one "
                             "(amounts and counts are digits, optionally signed)")
    return BankFileError(f"{name} line {at}: {text}")


def _record_line(feed: _Numbered, helper: IteratorHelper | None) -> int:
    """The line of the record being parsed when the parser gave up."""
    record = getattr(helper, "current_record", None)
    if record is not None and getattr(record, "rows", None):
        code, rest = record.rows[0]
        first = f"{code.value},{rest}"
        for n, ln in reversed(feed.lines):
            if n <= feed.last and ln == first:
                return n
    return feed.last
