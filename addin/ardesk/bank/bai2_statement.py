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

The file is read a record at a time (``88`` continuations joined to their
record): the package's record parsers read each record, and the sections
(file, group, account) are walked here, each trailer's counts and totals
checked as it closes, so that what is held does not grow with the file.  A
file cut short before its trailers is refused as such.
"""
from __future__ import annotations

import re
from collections import deque
from datetime import date
from itertools import chain
from typing import Iterable, Iterator

from bai2 import exceptions as bai2exc
from bai2.constants import TypeCodeTransaction
from bai2.helpers import IteratorHelper
from bai2.models import Record
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
    """Feeds the parser records as they are read; remembers the file line of the last one fed, of the
    latest few that are not continuations (for messages) and of the ``16`` records not yet parsed."""

    def __init__(self, records: Iterator[tuple[int, str]]):
        self.records, self.last = records, 0
        self.recent: deque[tuple[int, str]] = deque(maxlen=8)
        self.details: deque[int] = deque()

    def __iter__(self) -> Iterator[str]:
        for n, line in self.records:
            self.last = n
            if not line.startswith("88,"):
                self.recent.append((n, line))
            if line.startswith("16,"):
                self.details.append(n)
            yield line


class _Records(IteratorHelper):
    """The parser's record iterator, which at the file's end holds a record of no code instead of
    the last one again (the parser would read that one for ever when a file is cut short)."""

    def advance(self):
        try:
            super().advance()
        except StopIteration:
            self.current_record, self.ended = Record(code=None, fields=[], rows=[]), True


# A record starts with its two-digit code and a comma (BAI2 v2, "Record Codes").
_RECORD_START = re.compile(r"(?<=/)(?=(?:01|02|03|16|49|88|98|99),)")


def _records(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    """(file line, record) of each physical record, made ready for the bai2 parser, as they are read.

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
    kind, held, n = "", None, 0
    for chunk in lines:
        for line in chunk.splitlines():
            n += 1
            for part in _RECORD_START.split(line.strip()):
                rec = part.strip()
                if not rec:
                    continue
                if held is not None:
                    if rec.startswith("88,") and kind != "16" and not held[1].endswith(("/", ",")):
                        held = (held[0], held[1] + ",")
                    yield held
                if not rec.startswith("88,"):
                    kind = rec[:2]
                held = (n, rec)
    if held is not None:
        yield held


def _check(found: int, expected: int, what: str, model: str) -> None:
    """The bai2 parser's integrity check, in its words."""
    if found != expected:
        raise bai2exc.IntegrityException(f"Invalid {what} for {model}. expected {expected}, found {found}")


def _parse(feed: _Numbered, helper: _Records) -> Iterator[tuple]:
    """The file as the bai2 parser (strict) reads it, an event at a time: ("file", header) first, ("group", header), ("detail", record, file line, account header), and
    ("account", header) once its trailer checked out.
    The bai2 package's record parsers read each record; the sections are walked here, so that only
    the open group and account are held, and each trailer's counts and totals are checked as it
    closes, as the package's section parsers check them."""
    fp = Bai2FileParser(helper)
    gp = fp.child_parser
    ap = gp.child_parser
    tp = ap.child_parser
    head = fp.header_parser.parse()
    yield "file", head
    rows, groups, total = len(head.rows), 0, 0
    while gp.can_parse():
        group = gp.header_parser.parse()
        yield "group", group
        g_rows, accounts, g_total = len(group.rows), 0, 0
        while ap.can_parse():
            acct = ap.header_parser.parse()
            a_rows, a_total = len(acct.rows), sum(s.amount or 0 for s in acct.summary_items)
            while tp.can_parse():
                n = feed.details.popleft() if feed.details else 0
                tx = tp.parse()
                a_rows += len(tx.rows)
                a_total += tx.amount or 0
                yield "detail", tx, n, acct
            trailer = ap.trailer_parser.parse()
            a_rows += len(trailer.rows)
            _check(a_rows, trailer.number_of_records, "number of records", "Account")
            _check(a_total, trailer.account_control_total, "account control total", "Account")
            yield "account", acct
            accounts += 1
            g_rows += a_rows
            g_total += trailer.account_control_total
        trailer = gp.trailer_parser.parse()
        _check(g_rows + len(trailer.rows), trailer.number_of_records, "number of records", "Group")
        if not accounts:
            raise bai2exc.ParsingException("Group without accounts not allowed")
        _check(accounts, trailer.number_of_accounts, "number of accounts", "Group")
        _check(g_total, trailer.group_control_total, "group control total", "Group")
        groups += 1
        rows += g_rows + len(trailer.rows)
        total += trailer.group_control_total
    trailer = fp.trailer_parser.parse()
    _check(rows + len(trailer.rows), trailer.number_of_records, "number of records", "Bai2File")
    if not groups:
        raise bai2exc.ParsingException("File without groups not allowed")
    _check(groups, trailer.number_of_groups, "number of groups", "Bai2File")
    _check(total, trailer.file_control_total, "file control total", "Bai2File")


def stream(name: str, lines: Iterable[str], currency: str = "USD") -> Iterator[Item]:
    """The file's lines and accounts (:data:`~ardesk.bank.common.Item`), read a record at a time:
    each line as its ``16`` record is read, each account once its ``49`` trailer checks out.  The
    group and file trailers are checked as they close; what comes after the file trailer is read
    as far as the parser reads it (the record that follows, which must be one)."""
    records = _records(lines)
    first = next(records, None)
    if first is None or not first[1].startswith("01,"):
        raise BankFileError(f"{name} line 1: a BAI2 file starts with a 01 file header record")
    feed = _Numbered(chain([first], records))
    helper = None
    try:
        helper = _Records(iter(feed))
        for event in _parse(feed, helper):
            if event[0] == "file":
                file_id = event[1].file_id or ""
            elif event[0] == "group":
                group, as_of = event[1], event[1].as_of_date
            elif event[0] == "detail":
                tx, n, acct = event[1:]
                yield _line(name, tx, n, as_of, acct.currency or group.currency or currency,
                            acct.customer_account_number or "")
            else:
                acct = event[1]
                summary = {s.type_code.code: s.amount for s in acct.summary_items
                           if s.type_code is not None and s.amount is not None}
                yield Statement(
                    source=name, format=FORMAT, account=acct.customer_account_number or "",
                    currency=acct.currency or group.currency or currency, lines=(),
                    opening_balance=summary.get(OPENING_LEDGER), closing_balance=summary.get(CLOSING_LEDGER),
                    statement_id=f"{file_id}/{as_of.isoformat()}",
                    balances_binding=False, balance_rule=BALANCE_RULE)
    except (bai2exc.ParsingException, bai2exc.IntegrityException, bai2exc.NotSupportedYetException,
            ValueError, IndexError, StopIteration) as exc:
        raise _failure(name, feed, helper, exc) from None


def _line(name: str, tx, n: int, as_of: date, ccy: str, account: str) -> BankLine:
    """The BankLine of a ``16`` transaction detail record read at file line ``n``."""
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
    return BankLine(
        booking_date=as_of, value_date=value_date, amount=sign * int(tx.amount), currency=ccy,
        reference=join_texts(tx.customer_reference), text=join_texts(tx.text),
        check_no=(tx.customer_reference or "").strip() if _KINDS.get(code.code) == "check" else "",
        bank_ref=(tx.bank_reference or "").strip(), kind=_KINDS.get(code.code, "transfer"),
        account=account, source=name, line_no=n)


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
    if getattr(helper, "ended", False) and text.startswith("Expected "):
        return BankFileError(f"{name} line {feed.last}: the file ends without the trailer records that close "
                             "its accounts, groups and the file (49, 98, 99): is it cut short?")
    at = _record_line(feed, helper)
    if isinstance(exc, bai2exc.IntegrityException):
        # checked once the trailer is read, when the parser has already read the record after it
        trailer = next((_TRAILER_OF[k] for k in _TRAILER_OF if f"for {k}" in text), None)
        if trailer is not None:
            at = next((n for n, ln in reversed(feed.recent) if n <= at and ln.startswith(trailer + ",")), at)
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
        for n, ln in reversed(feed.recent):
            if n <= feed.last and ln == first:
                return n
    return feed.last
