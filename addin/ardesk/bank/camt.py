"""ISO 20022 cash-management statements: camt.053 (BankToCustomerStatement) and
camt.054 (BankToCustomerDebitCreditNotification), message versions 001.02 to
001.08.

Read with defusedxml (no DTDs, no entity expansion), one entry at a time
(``iterparse``: an entry leaves the tree once read), and by element local names,
so one reader serves every version: the namespace only tells the message and
version.  Where the versions differ we read both spellings: the status is
``Sts`` text up to 001.07 and ``Sts/Cd`` from 001.08; a party is ``Dbtr/Nm`` up
to 001.07 and ``Dbtr/Pty/Nm`` from 001.08; a transaction's own amount is
``TxDtls/Amt`` from 001.03 and ``TxDtls/AmtDtls/TxAmt/Amt`` before.

One booked entry (``Ntry``) gives one line.  ``Ntry/Amt`` with ``Ntry/CdtDbtInd``
is what was booked on the account; ``TxDtls/Amt`` is optional and may be stated
in the instructed currency.  An entry carrying several ``TxDtls`` (a batch)
gives one line per ``TxDtls`` with that transaction's own amount and indicator
only when the transactions are in the entry's currency and add up to the
booked amount; otherwise (no amounts on the transactions, another currency, a
different sum or a credit batch under a debit entry) it is one line of the
booked amount carrying every transaction's remittance, and a note says why.
An entry with a single ``TxDtls`` takes the entry's amount.

Remittance: ``RmtInf/Ustrd`` (and ``Strd/AddtlRmtInf``) is the free text,
``RmtInf/Strd/CdtrRefInf/Ref`` the structured reference (an end-to-end id
stands in when there is none).  The counterparty is the debtor on credits and
the creditor on debits.  Balances: opening ``OPBD`` (or ``PRCD``), closing
``CLBD``.  The statement's currency is the account's (``Acct/Ccy``); a file
that does not give it takes the currency its opening balance is stated in
(else its first entry's, else the workbook's, and says so).  A balance stated
in another currency than the account cannot be compared with the lines; the
file says so in ``problems``.  camt.054 carries no balances.  Entries not booked (``PDNG``,
``INFO``) are left out and counted in ``problems``.
"""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import BinaryIO, Callable, Iterator
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as DET
from defusedxml import DefusedXmlException

from ..core.money import exponent, fmt
from .common import Item, join_texts, minor
from .model import BankFileError, BankLine, Statement

NAMESPACE = re.compile(r"^\{urn:iso:std:iso:20022:tech:xsd:(camt\.05[34])\.001\.(\d\d)\}Document$")
VERSIONS = tuple(f"{n:02d}" for n in range(2, 9))
_CONTAINER = {"camt.053": ("BkToCstmrStmt", "Stmt"), "camt.054": ("BkToCstmrDbtCdtNtfctn", "Ntfctn")}
_OPENING = ("OPBD", "PRCD")
_CLOSING = ("CLBD",)


def message_of(root_tag: str) -> tuple[str, str] | None:
    """('camt.053', '04') from a root tag, or None when it is not a camt.053/054 Document."""
    m = NAMESPACE.match(root_tag)
    return (m.group(1), m.group(2)) if m else None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _kids(el: Element, name: str) -> list[Element]:
    return [c for c in el if _local(c.tag) == name]


def _find(el: Element | None, path: str) -> Element | None:
    for name in path.split("/"):
        if el is None:
            return None
        found = _kids(el, name)
        el = found[0] if found else None
    return el


def _findall(el: Element | None, path: str) -> list[Element]:
    *head, last = path.split("/")
    parent = _find(el, "/".join(head)) if head else el
    return _kids(parent, last) if parent is not None else []


def _first(el: Element | None, *paths: str) -> Element | None:
    """The first of ``paths`` present (an Element without children is falsy, so no ``or``)."""
    for p in paths:
        found = _find(el, p)
        if found is not None:
            return found
    return None


def _text(el: Element | None, path: str) -> str:
    found = _find(el, path)
    return (found.text or "").strip() if found is not None else ""


class _Reader:
    def __init__(self, name: str, message: str, version: str):
        self.name, self.message, self.version = name, message, version

    def fail(self, path: str, what: str) -> BankFileError:
        return BankFileError(f"{self.name}: element {path}: {what}")

    def amount(self, amt: Element | None, path: str, default_ccy: str) -> tuple[int, str]:
        if amt is None:
            raise self.fail(path, "missing amount")
        raw = (amt.text or "").strip()
        ccy = (amt.get("Ccy") or default_ccy).strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", ccy):
            raise self.fail(path, f"{ccy!r} is not a currency code")
        try:
            value = Decimal(raw)
        except InvalidOperation:
            raise self.fail(path, f"{raw!r} is not an amount") from None
        if not value.is_finite() or value < 0:
            raise self.fail(path, f"{raw!r} is not an amount")
        return minor(value, ccy, f"{self.name}: element {path}"), ccy

    def sign(self, el: Element, path: str, default: int | None = None) -> int:
        ind = _text(el, "CdtDbtInd")
        if ind == "CRDT":
            return 1
        if ind == "DBIT":
            return -1
        if not ind and default is not None:
            return default
        raise self.fail(f"{path}/CdtDbtInd", f"{ind!r} is not CRDT or DBIT")

    def date_of(self, el: Element | None, path: str, required: bool) -> date | None:
        raw = _text(el, "Dt") or _text(el, "DtTm")[:10]
        if not raw:
            if required:
                raise self.fail(path, "missing date (Dt or DtTm)")
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise self.fail(path, f"{raw!r} is not a date") from None

    # -- statements -------------------------------------------------------------

    def account_of(self, st: Element, path: str, first_entry: Element | None, default_ccy: str,
                   problems: list[str]) -> tuple[str, str]:
        """(account, currency) of a statement, from what precedes its entries (Acct, Bal)."""
        acct = _find(st, "Acct")
        account = _text(acct, "Id/IBAN") or _text(acct, "Id/Othr/Id")
        currency = _text(acct, "Ccy").upper()
        if not currency:
            stated = [(_find(b, "Amt").get("Ccy") or "") for b in _kids(st, "Bal")
                      if _text(b, "Tp/CdOrPrtry/Cd") in _OPENING and _find(b, "Amt") is not None]
            stated += [(_find(e, "Amt").get("Ccy") or "") for e in (first_entry,)
                       if e is not None and _find(e, "Amt") is not None]
            currency = next((c.upper() for c in stated if c), "")
            if not currency:
                currency = default_ccy
                problems.append(f"{self.name}: element {path}/Acct: no account currency (Ccy) and no amount "
                                f"stating one; taken as {currency}")
        return account, currency

    def balances(self, st: Element, path: str, currency: str,
                 problems: list[str]) -> tuple[int | None, int | None]:
        opening = closing = None
        for i, bal in enumerate(_kids(st, "Bal"), start=1):
            bpath = f"{path}/Bal[{i}]"
            code = _text(bal, "Tp/CdOrPrtry/Cd")
            if code not in _OPENING + _CLOSING:
                continue
            value, ccy = self.amount(_find(bal, "Amt"), f"{bpath}/Amt", currency)
            value *= self.sign(bal, bpath)
            if ccy != currency:
                problems.append(f"{self.name}: element {bpath}: {code} balance is in {ccy}, the account in "
                                f"{currency}; not compared")
                continue
            if code in _OPENING and opening is None:
                opening = value
            elif code in _CLOSING and closing is None:
                closing = value
        return opening, closing

    def statement(self, st: Element, path: str, account: str, currency: str, problems: list[str],
                  entry_notes: list[str], skipped: int) -> Statement:
        """The statement's own figures once its entries were read (and taken out of ``st``)."""
        opening, closing = self.balances(st, path, currency, problems)
        problems = problems + entry_notes
        if skipped:
            problems.append(f"{self.name}: {path}: {skipped} entr{'y' if skipped == 1 else 'ies'} not booked "
                            f"(pending or information only), not imported")
        return Statement(source=self.name, format=f"{self.message}.001.{self.version}", account=account,
                         currency=currency, lines=(), opening_balance=opening,
                         closing_balance=closing, statement_id=_text(st, "Id"), problems=tuple(problems),
                         not_imported=skipped)

    def entry(self, ntry: Element, path: str, n: int, account: str, currency: str,
              problems: list[str]) -> Iterator[BankLine]:
        amount, ccy = self.amount(_find(ntry, "Amt"), f"{path}/Amt", currency)
        sign = self.sign(ntry, path)
        booked = self.date_of(_find(ntry, "BookgDt"), f"{path}/BookgDt", required=False)
        valued = self.date_of(_find(ntry, "ValDt"), f"{path}/ValDt", required=False)
        if booked is None and valued is None:
            raise self.fail(f"{path}/BookgDt", "missing booking date")
        booking_date = booked or valued
        entry_ref = _text(ntry, "AcctSvcrRef") or _text(ntry, "NtryRef")
        reversal = _text(ntry, "RvslInd").lower() == "true"
        details = [tx for d in _kids(ntry, "NtryDtls") for tx in _kids(d, "TxDtls")]
        common = dict(booking_date=booking_date, value_date=valued, account=account, source=self.name,
                      line_no=n, kind="reversal" if reversal else "transfer")
        if len(details) <= 1:
            tx = details[0] if details else None
            yield self._line(tx, ntry, sign * amount, ccy, entry_ref, **common)
            return
        split, why = [], ""
        for k, tx in enumerate(details, start=1):
            tpath = f"{path}/NtryDtls/TxDtls[{k}]"
            amt_el = _first(tx, "Amt", "AmtDtls/TxAmt/Amt")
            if amt_el is None:
                why = f"transaction {k} of the {len(details)} carries no amount of its own (TxDtls/Amt is optional)"
                break
            tx_amount, tx_ccy = self.amount(amt_el, f"{tpath}/Amt", ccy)
            tx_amount *= self.sign(tx, tpath, default=sign)
            ref = _text(tx, "Refs/AcctSvcrRef") or (f"{entry_ref}/{k}" if entry_ref else "")
            split.append((tx, tx_amount, tx_ccy, ref))
        e = exponent(ccy)
        if not why:
            currencies = sorted({c for _, _, c, _ in split})
            total = sum(a for _, a, _, _ in split)
            if currencies != [ccy]:
                why = f"the transactions are in {', '.join(currencies)}, the entry booked in {ccy}"
            elif total != sign * amount:
                why = f"the {len(details)} transactions add up to {fmt(total, e)} {ccy}"
        if not why:
            for tx, tx_amount, tx_ccy, ref in split:
                yield self._line(tx, ntry, tx_amount, tx_ccy, ref, **common)
            return
        problems.append(f"{self.name}: element {path}: {why}; imported as one line of the booked "
                        f"{'credit' if sign > 0 else 'debit'} {fmt(sign * amount, e)} {ccy}")
        parts = [self._line(tx, ntry, sign * amount, ccy, entry_ref, **common) for tx in details]
        one = {(p.payer, p.payer_account) for p in parts}
        payer, payer_acct = one.pop() if len(one) == 1 else ("", "")
        yield replace(parts[0], payer=payer, payer_account=payer_acct,
                      reference=join_texts(*(p.reference for p in parts)), text=join_texts(*(p.text for p in parts)))

    def _line(self, tx: Element | None, ntry: Element, amount: int, currency: str, bank_ref: str,
              **common: object) -> BankLine:
        side = "Dbtr" if amount >= 0 else "Cdtr"
        parties = _find(tx, "RltdPties")
        party = _find(parties, side)
        name = _text(party, "Nm") or _text(party, "Pty/Nm")
        party_acct = _text(parties, f"{side}Acct/Id/IBAN") or _text(parties, f"{side}Acct/Id/Othr/Id")
        rmt = _find(tx, "RmtInf")
        refs = [(_text(s, "CdtrRefInf/Ref")) for s in _findall(rmt, "Strd")]
        e2e = _text(tx, "Refs/EndToEndId")
        if not any(refs) and e2e and e2e.upper() != "NOTPROVIDED":
            refs = [e2e]
        texts = [(u.text or "") for u in _findall(rmt, "Ustrd")]
        texts += [(a.text or "") for s in _findall(rmt, "Strd") for a in _kids(s, "AddtlRmtInf")]
        if not any(t.strip() for t in texts):
            texts = [_text(tx, "AddtlTxInf"), _text(ntry, "AddtlNtryInf")]
        return BankLine(amount=amount, currency=currency, payer=join_texts(name),
                        payer_account=join_texts(party_acct), reference=join_texts(*refs),
                        text=join_texts(*texts), bank_ref=bank_ref, **common)  # type: ignore[arg-type]


def _events(name: str, fh: BinaryIO) -> Iterator[tuple[str, Element]]:
    """iterparse's (event, element) pairs, its failures as BankFileError naming line and column."""
    try:
        yield from DET.iterparse(fh, events=("start", "end"))
    except ParseError as exc:
        line, col = getattr(exc, "position", (0, 0))
        raise BankFileError(f"{name} line {line}, column {col}: not well-formed XML ({exc})") from None
    except DefusedXmlException as exc:
        raise BankFileError(f"{name}: refused, the XML declares a DTD or entities ({type(exc).__name__})") from None
    except (LookupError, ValueError) as exc:          # an encoding the declaration names but Python does not know
        raise BankFileError(f"{name} line 1: not readable XML ({exc})") from None


def stream(name: str, opener: Callable[[], BinaryIO], currency: str = "EUR") -> Iterator[Item]:
    """Read a camt.053 or camt.054 file (bytes, so the XML declaration decides the encoding), one entry
    at a time: each ``Ntry`` is read when its end tag is, then taken out of the tree, so what is held
    is one entry and the statement's header (``Acct``, ``Bal``), whatever the file's size.

    The first statement of a file is named ``Stmt`` in messages, the ones after it ``Stmt[2]``...
    """
    default_ccy = currency.upper()
    with opener() as fh:
        stack: list[Element] = []
        reader: _Reader | None = None
        outer = inner = ""
        seen_outer = statements = 0
        state: _Statement | None = None
        for event, el in _events(name, fh):
            if event == "start":
                if not stack:
                    msg = message_of(el.tag)
                    if msg is None:
                        raise BankFileError(f"{name}: element {_local(el.tag)}: not a camt.053/054 Document "
                                            f"(namespace {el.tag.partition('}')[0].lstrip('{') or 'none'})")
                    message, version = msg
                    if version not in VERSIONS:
                        raise BankFileError(f"{name}: {message}.001.{version} is not a supported version "
                                            f"(001.{VERSIONS[0]} to 001.{VERSIONS[-1]})")
                    outer, inner = _CONTAINER[message]
                    reader = _Reader(name, message, version)
                elif len(stack) == 1 and _local(el.tag) == outer:
                    seen_outer += 1
                elif len(stack) == 2 and _local(el.tag) == inner and _local(stack[1].tag) == outer:
                    statements += 1
                    spath = f"Document/{outer}/{inner}" + (f"[{statements}]" if statements > 1 else "")
                    state = _Statement(spath, el)
                stack.append(el)
                continue
            stack.pop()
            assert reader is not None
            if state is None:
                continue
            if len(stack) == 3 and stack[2] is state.element and _local(el.tag) == "Ntry":
                yield from state.entry(reader, stack[2], el, default_ccy)
                stack[2].remove(el)
            elif el is state.element:
                yield state.close(reader, el, default_ccy)
                stack[1].remove(el)
                state = None
    if not seen_outer:
        raise BankFileError(f"{name}: element Document/{outer}: missing")
    if not statements:
        raise BankFileError(f"{name}: element Document/{outer}/{inner}: missing")


class _Statement:
    """One statement while its entries are read."""

    def __init__(self, path: str, element: Element):
        self.path, self.element = path, element
        self.account: tuple[str, str] | None = None
        self.problems: list[str] = []
        self.entry_notes: list[str] = []
        self.entries = self.skipped = 0

    def entry(self, reader: _Reader, st: Element, ntry: Element, default_ccy: str) -> Iterator[BankLine]:
        if self.account is None:
            self.account = reader.account_of(st, self.path, ntry, default_ccy, self.problems)
        self.entries += 1
        status = _text(ntry, "Sts/Cd") or _text(ntry, "Sts")
        if status and status != "BOOK":
            self.skipped += 1
            return
        account, currency = self.account
        yield from reader.entry(ntry, f"{self.path}/Ntry[{self.entries}]", self.entries, account, currency,
                                self.entry_notes)

    def close(self, reader: _Reader, st: Element, default_ccy: str) -> Statement:
        if self.account is None:
            self.account = reader.account_of(st, self.path, None, default_ccy, self.problems)
        account, currency = self.account
        return reader.statement(st, self.path, account, currency, self.problems, self.entry_notes, self.skipped)
