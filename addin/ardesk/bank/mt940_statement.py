"""SWIFT MT940 customer statements (SWIFT Standards MT Category 9, field
specifications :20: :25: :28C: :60F/M: :61: :86: :62F/M:), read with the PyPI
``mt-940`` package.

A file may hold several statements (one per ``:20:``); each is read and
balance-checked on its own (opening ``:60F:``/``:60M:`` + its ``:61:`` lines =
closing ``:62F:``/``:62M:``) and kept in ``Statement.parts``.

The ``:86:`` information to account owner differs by bank; three layouts are
understood:

* German GVC (DFÜ-Abkommen / DK format): ``NNN?00booking text?20..?29,?60..?63
  purpose?30 bank code?31 account?32..?33 name?34 key``.  Inside the purpose,
  SEPA keys (``EREF+``, ``KREF+``, ``MREF+``, ``CRED+``, ``SVWZ+``, ``ABWA+``,
  ``ABWE+``) are split out;
* the slash layout of Dutch banks (``/EREF/.../BENM//NAME/.../REMI/...``);
* anything else is free text.

Mapping: ``EREF`` (else ``KREF``) is the reference; ``SVWZ`` or ``REMI`` (else the
whole purpose) the text, with a mandate reference appended as ``MREF ...``; the
counterparty name from ``?32/?33``, ``NAME`` or ``ABWA``, its account from
``?31``, ``IBAN`` or the :61: supplementary details when they hold an account.
The :61: bank reference (after ``//``) is the line's bank id.

Where files differ from the standard, the fix sits where the fault is:

* debit/credit mark (field 61, subfield 3: ``D``, ``C``, ``RC`` reversal of
  credit, ``RD`` reversal of debit): ``RC`` takes money out, ``RD`` puts it
  back.  mt-940 signs only ``D`` negative unless told: its ``reversal_sign``
  option is set;
* customer reference (field 61, subfield 7, ``16x``): some Dutch banks write
  the counterparty's IBAN there, 18 characters or more.  mt-940's default
  pattern would cut it at 16 and take the rest for supplementary details; such
  a statement is read with mt-940's ``StatementGLS`` line pattern (a reference
  of any length up to ``//``), and the reference taken from the line itself;
* balances (fields 60a, 62a, 64, 65: ``1!a6!n3!a15d``): the currency code is
  mandatory.  mt-940 reads ``C2603031170,00`` as currency ``117``, amount
  ``0,00``; a pre-pass checks each balance field first, writes in the opening
  balance's currency when only the code is missing (with a note), and refuses
  a field that is not ``1!a6!n3!a15d`` with its line.
"""
from __future__ import annotations

import contextlib
import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Iterable, Iterator

import mt940 as mt940lib

from .common import Item, join_texts, minor
from .model import BankFileError, BankLine, Statement

FORMAT = "SWIFT MT940"
_OPTIONS = mt940lib.Options(reversal_sign=True, case_insensitive_marks=True)
_BALANCE_TAG = re.compile(r"^:(60[FM]|62[FM]|64|65):(.*)$")
_BALANCE = re.compile(r"^[CD]\d{6}[A-Z]{3}[\d,]{1,15}$")
_BALANCE_NO_CCY = re.compile(r"^([CD]\d{6})([\d,]{1,15})$")
# field 61 up to the end of subfield 7, the customer reference (ends at // or the line's end)
_LINE61 = re.compile(r"^:61:\d{6}(?:\d{4}|\s{4})?R?[DCdc][A-Z]?\n?[\d,]{1,15}[A-Z][A-Z0-9 ]{3}"
                     r"(?P<ref>(?:(?!//)[^\n])*)")
_TAG = re.compile(r"^:(\d\d[A-Z]?):")
_GVC = re.compile(r"^\s*\d{3}\?")
_SUBFIELD = re.compile(r"\?(\d\d)")
# A SEPA key starts the purpose, a ?2x subfield (marked by \x00 when joined) or follows a space.
_SEPA_KEY = re.compile(r"(?:^|(?<=[\x00\s]))(EREF|KREF|MREF|CRED|SVWZ|ABWA|ABWE|DEBT|COAM|OAMT|IBAN|BIC)\+")
_SLASH_KEYS = ("EREF", "MARF", "CSID", "BENM", "ORDP", "NAME", "REMI", "IBAN", "BIC", "ISDT", "RTRN",
               "ID", "ADDR", "CDTRREF", "CDTRREFTP", "CD", "ISSR", "USTD", "ULTB", "ULTD", "PURP", "TRCD",
               "FX", "EXCH", "CHGS", "ORIG", "SVCL", "PREF", "BUSP", "RTYP")
_SLASH = re.compile(r"/(" + "|".join(sorted(_SLASH_KEYS, key=len, reverse=True)) + r")/")
_ACCOUNT_LIKE = re.compile(r"^(?:[A-Z]{2}\d{2}[A-Z0-9]{10,30}|P?\d{6,18})$")
_NO_REF = {"", "NONREF", "EREF", "KREF", "MREF", "NOTPROVIDED", "N"}


@dataclass
class Details:
    """What the ``:86:`` field says about a line."""
    reference: str = ""
    text: str = ""
    payer: str = ""
    payer_account: str = ""


def _sepa(purpose: str) -> dict[str, str]:
    """Split SEPA ``KEY+value`` parts out of a purpose text; untagged text goes under ''."""
    out: dict[str, str] = {}
    pieces = _SEPA_KEY.split(purpose)
    out[""] = pieces[0].replace("\x00", "").strip()
    for key, value in zip(pieces[1::2], pieces[2::2]):
        out[key] = (out.get(key, "") + " " + value.replace("\x00", "").strip()).strip()
    return out


def _from_sepa(purpose: str, d: Details) -> None:
    keys = _sepa(purpose)
    if not any(k for k in keys if k):
        d.text = purpose.replace("\x00", "")
        return
    eref = keys.get("EREF", "")
    kref = keys.get("KREF", "")
    d.reference = eref if eref.upper() not in _NO_REF else (kref if kref.upper() not in _NO_REF else "")
    text = keys.get("SVWZ") or keys.get("", "")
    if keys.get("MREF"):
        text = f"{text} MREF {keys['MREF']}".strip()
    d.text = text
    if keys.get("ABWA") and not d.payer:
        d.payer = keys["ABWA"]
    if keys.get("IBAN") and not d.payer_account:
        d.payer_account = keys["IBAN"]


def parse_details(raw: str) -> Details:
    """The ``:86:`` field of one line, in any of the three layouts."""
    flat = raw.replace("\r", "").replace("\n", "").strip()
    d = Details()
    if _GVC.match(flat):
        parts = _SUBFIELD.split(flat)
        fields: dict[int, list[str]] = {}
        for code, value in zip(parts[1::2], parts[2::2]):
            fields.setdefault(int(code), []).append(value)
        purpose = "".join(("\x00" + v) if _SEPA_KEY.match(v) else v
                          for c in list(range(20, 30)) + list(range(60, 64)) for v in fields.get(c, []))
        d.payer = "".join(v for c in (32, 33) for v in fields.get(c, []))
        d.payer_account = "".join(fields.get(38, []) or fields.get(31, [])).replace(" ", "")
        _from_sepa(purpose, d)
        if not d.text:
            d.text = " ".join(v.strip() for v in fields.get(0, []))
        return d
    if _SLASH.search(flat) and flat.lstrip().startswith("/"):
        pieces = _SLASH.split(flat)
        tags: dict[str, str] = {}
        for key, value in zip(pieces[1::2], pieces[2::2]):
            if value.strip():
                tags.setdefault(key, value.strip().strip("/").strip())
        eref = tags.get("EREF", "")
        d.reference = eref if eref.upper() not in _NO_REF else tags.get("CDTRREF", "")
        d.text = tags.get("REMI", "") or tags.get("USTD", "")
        d.payer = tags.get("NAME", "")
        d.payer_account = tags.get("IBAN", "")
        return d
    _from_sepa(flat, d) if _SEPA_KEY.search(flat) else setattr(d, "text", raw)
    return d


def _details_fields(block: list[str]) -> list[str]:
    """The raw ``:86:`` text belonging to each ``:61:`` of a block ('' when it has none).

    Continuation lines are kept with their line breaks; SWIFT wraps at a fixed
    width, so the layouts that carry subfields join them without a space.
    """
    out: list[str] = []
    current: list[str] | None = None
    for line in block:
        m = _TAG.match(line)
        if m:
            current = None
            if m.group(1) == "61":
                out.append("")
            elif m.group(1) == "86" and out and out[-1] == "":
                current = [line[4:]]
                out[-1] = line[4:]
            continue
        if current is not None:
            current.append(line)
            out[-1] = "\n".join(current)
    return out


_UNABLE = re.compile(r"Unable to parse <mt940\.tags\.(\w+) object at 0x[0-9a-f]+> from '(.*)'", re.S)
# the date at the start of a field: YYMMDD (60a, 61, 62a, 64, 65 after the D/C mark)
_DATED = {"61": 0, "60F": 1, "60M": 1, "62F": 1, "62M": 1, "64": 1, "65": 1}


def _bad_date(block: list[tuple[int, str]]) -> tuple[int, str, str] | None:
    """(line, tag, value) of the first field whose YYMMDD date is not a date."""
    for i, line in block:
        m = _TAG.match(line)
        at = _DATED.get(m.group(1)) if m else None
        if at is None:
            continue
        value = line[m.end():].strip()
        digits = value[at:at + 6]
        try:
            date(2000 + int(digits[:2]), int(digits[2:4]), int(digits[4:6]))
        except ValueError:
            return i, m.group(1), value
    return None


def _parse_failure(name: str, first: int, block: list[tuple[int, str]], exc: Exception) -> BankFileError:
    """Name the line whose field mt-940 could not read (it passes the field's value along), in
    words without the parser's internals."""
    text = " ".join(str(a) for a in exc.args if isinstance(a, str)) or str(exc)
    unable = _UNABLE.search(text)
    if unable:
        tag = str(getattr(getattr(mt940lib.tags, unable.group(1), None), "id", ""))
        head = unable.group(2).split("\n", 1)[0].strip()
        for i, line in block:
            m = _TAG.match(line)
            if (tag and m and m.group(1).rstrip("ABCDFMP") == tag.rstrip("ABCDFMP")   # 28 is 28C, 60 is 60F
                    and line[m.end():].strip().startswith(head)):
                return BankFileError(f"{name} line {i}: field :{m.group(1)}: {unable.group(2)!r} is not "
                                     "valid MT940")
    bad = _bad_date(block)
    if bad is not None:
        i, tag, value = bad
        return BankFileError(f"{name} line {i}: field :{tag}: {value!r}: the date is not a date "
                             "(SWIFT MT940 dates are YYMMDD)")
    value = next((a for a in reversed(exc.args) if isinstance(a, str)), "")
    head = value.split("\n", 1)[0].strip()
    for i, line in block:
        m = _TAG.match(line)
        if head and m and line[m.end():].strip().startswith(head):
            return BankFileError(f"{name} line {i}: field :{m.group(1)}: {head!r} is not valid MT940")
    reason = re.sub(r"<[\w.]+ object at 0x[0-9a-f]+>", "a field", text.splitlines()[0] if text else "")
    return BankFileError(f"{name} line {first}: statement not readable as MT940 ({reason})")


def _balance(data: dict, final: str, intermediate: str) -> tuple[Decimal, str] | None:
    bal = data.get(final) or data.get(intermediate)
    if bal is None:
        return None
    return bal.amount.amount, bal.amount.currency


_GARBAGE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")
# what may follow the last statement: SWIFT's closing blocks, or the fields of a statement cut short
_AFTER_LAST = ("-}", "{", "}", ":20:", ":25:", ":28", ":6", ":86:", ":64:", ":65:")
# a statement is parsed this many :61: lines at a time, so a long one is never held whole
CHUNK_LINES = 50


class _Garbage:
    """A file broken anywhere is refused: binary bytes on any line, or text after the last statement
    other than SWIFT's closing blocks (``-}``, ``{5:...}``).  Fed line by line; holds one line."""

    def __init__(self, name: str):
        self.name, self.ended = name, False
        self.after: tuple[int, str] | None = None

    def check(self, n: int, line: str) -> None:
        if _GARBAGE.search(line):
            raise BankFileError(f"{self.name} line {n}: binary or control characters ({line[:40]!r}); the file "
                                "is damaged or not an MT940 statement")
        t = line.strip()
        if t == "-" or line.startswith(":62"):
            self.ended, self.after = True, None
        elif self.ended and self.after is None and t and not t.startswith(_AFTER_LAST):
            self.after = (n, t)

    def close(self) -> None:
        if self.after is not None:
            n, t = self.after
            raise BankFileError(f"{self.name} line {n}: {t[:40]!r} after the last statement; the file is "
                                "damaged or was cut and joined")


def stream(name: str, lines: Iterable[str], currency: str = "EUR") -> Iterator[Item]:
    """The file's statements (one per ``:20:``, up to the ``-`` trailer), read line by line; a statement
    is parsed :data:`CHUNK_LINES` ``:61:`` lines at a time, each time with its header fields."""
    guard = _Garbage(name)
    current: _Block | None = None
    blocks = 0
    for n, line in enumerate(lines, start=1):
        line = line.rstrip("\n")
        guard.check(n, line)
        if line.startswith(":20:"):
            if current is not None:
                yield from current.finish()
            current, blocks = _Block(name, n, currency), blocks + 1
        if current is None:
            continue
        if line.strip() == "-":
            yield from current.finish()
            current = None
            continue
        yield from current.add(n, line)
    if current is not None:
        yield from current.finish()
    guard.close()
    if not blocks:
        raise BankFileError(f"{name}: no :20: field, not an MT940 statement")


class _Block:
    """One statement while it is read: its header fields (up to the first ``:61:``) are kept, its
    lines parsed and handed on a chunk at a time."""

    def __init__(self, name: str, first: int, currency: str):
        self.name, self.first, self.default_ccy = name, first, currency
        self.header: list[tuple[int, str]] = []
        self.body: list[tuple[int, str]] = []
        self.tags: set[str] = set()
        self.notes: dict[str, None] = {}           # in order, each once (the header is parsed with every chunk)
        self.opening: tuple[Decimal, str] | None = None
        self.data: dict = {}
        self.count = 0

    def add(self, n: int, line: str) -> Iterator[BankLine]:
        m = _TAG.match(line)
        if m:
            self.tags.add(m.group(1))
        if line.startswith(":61:"):
            if self.count >= CHUNK_LINES:
                yield from self.parse(final=False)
            self.count += 1
        (self.body if self.count else self.header).append((n, line))

    def parse(self, final: bool) -> Iterator[BankLine]:
        for required in ("25", "60", "62") if final else ("25", "60"):
            if not any(t.startswith(required) for t in self.tags):
                raise BankFileError(f"{self.name} line {self.first}: the statement starting here has no "
                                    f":{required}: field")
        block = self.header + self.body
        self.body, self.count = [], 0
        self.data, lines = _parse(self.name, self.first, block, self.default_ccy, self.notes)
        if self.opening is None:
            self.opening = _balance(self.data, "final_opening_balance", "intermediate_opening_balance")
        yield from lines

    def finish(self) -> Iterator[Item]:
        yield from self.parse(final=True)
        data, opening = self.data, self.opening
        closing = _balance(data, "final_closing_balance", "intermediate_closing_balance")
        ccy = (opening or closing or (None, self.default_ccy))[1]
        where = f"{self.name} line {self.first}"
        stmt_id = "/".join(str(x) for x in (data.get("transaction_reference"), data.get("statement_number")) if x)
        yield Statement(
            source=self.name, format=FORMAT, account=str(data.get("account_identification") or "").strip(),
            currency=ccy, lines=(),
            opening_balance=minor(opening[0], opening[1], where) if opening else None,
            closing_balance=minor(closing[0], closing[1], where) if closing else None,
            statement_id=stmt_id, problems=tuple(self.notes))


def _balances_checked(name: str, block: list[tuple[int, str]]) -> tuple[list[tuple[int, str]], list[str]]:
    """The block with every balance field in the ``1!a6!n3!a15d`` form mt-940 reads right, and
    notes for the ones written in the opening balance's currency."""
    out, notes, ccy = [], [], ""
    for i, line in block:
        m = _BALANCE_TAG.match(line)
        if m:
            tag, value = m.group(1), m.group(2).strip()
            if _BALANCE.match(value):
                ccy = ccy or value[7:10]
            else:
                bare = _BALANCE_NO_CCY.match(value)
                if bare is None or not ccy:
                    raise BankFileError(f"{name} line {i}: field :{tag}: {value!r} is not a balance "
                                        "(SWIFT MT940: mark C/D, date YYMMDD, 3-letter currency code, amount)")
                notes.append(f"{name} line {i}: field :{tag}: {value!r} has no currency code, which "
                             f"SWIFT MT940 requires; read in the opening balance's currency {ccy}")
                line = f":{tag}:{bare.group(1)}{ccy}{bare.group(2)}"
        out.append((i, line))
    return out, notes


def _parse(name: str, first: int, block: list[tuple[int, str]], default_ccy: str,
           notes: dict[str, None]) -> tuple[dict, list[BankLine]]:
    """mt-940's statement data and the lines of a part of a statement (its header fields and some of
    its :61: lines); the notes found go into ``notes``."""
    line_nos = [n for n, ln in block if ln.startswith(":61:")]
    block, found = _balances_checked(name, block)
    notes.update(dict.fromkeys(found))
    refs = [m.group("ref").strip() if (m := _LINE61.match(ln)) else "" for _, ln in block if ln.startswith(":61:")]
    long_refs = any(len(r) > 16 for r in refs)
    try:
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            tx = mt940lib.models.Transactions(
                options=_OPTIONS, tags={61: mt940lib.tags.StatementGLS()} if long_refs else None)
            tx.parse("\n".join(ln for _, ln in block))
    except Exception as exc:  # mt-940 raises bare RuntimeError/ValueError/KeyError
        raise _parse_failure(name, first, block, exc) from None
    if len(tx) != len(line_nos):
        at = line_nos[len(tx)] if len(tx) < len(line_nos) else first
        raise BankFileError(f"{name} line {at}: :61: line not readable as MT940 "
                            f"({len(tx)} of {len(line_nos)} read)")
    data = tx.data
    account = str(data.get("account_identification") or "").strip()
    opening = _balance(data, "final_opening_balance", "intermediate_opening_balance")
    closing = _balance(data, "final_closing_balance", "intermediate_closing_balance")
    ccy = (opening or closing or (None, default_ccy))[1]
    out: list[BankLine] = []
    if long_refs:
        notes[f"{name} line {first}: a :61: customer reference is longer than the 16 characters SWIFT "
              "MT940 allows; read up to the '//' bank reference"] = None
    for t, n, raw86, own_ref in zip(tx, line_nos, _details_fields([ln for _, ln in block]), refs):
        d = t.data
        if long_refs:
            d = {**d, "customer_reference": own_ref}
        amount = d["amount"]
        line_ccy = amount.currency or ccy
        value_date: date = d["date"]
        booking: date = d.get("entry_date") or value_date
        det = parse_details(raw86)
        extra = (d.get("extra_details") or "").strip()
        if extra and _ACCOUNT_LIKE.match(extra.replace(" ", "")) and not det.payer_account:
            det.payer_account = extra.replace(" ", "")
        elif extra and not det.text:
            det.text = extra
        cust = (d.get("customer_reference") or "").strip()
        code = (d.get("id") or "").strip()
        is_check = code.endswith("CHK")
        if long_refs and _ACCOUNT_LIKE.match(cust.replace(" ", "")) and not det.payer_account:
            det.payer_account = cust.replace(" ", "")           # the IBAN written as the reference
        elif not det.reference and not is_check and cust.upper() not in _NO_REF and len(cust) >= 4:
            det.reference = cust
        out.append(BankLine(
            booking_date=booking, value_date=value_date,
            amount=minor(amount.amount, line_ccy, f"{name} line {n}"), currency=line_ccy,
            payer=join_texts(det.payer), payer_account=join_texts(det.payer_account),
            reference=join_texts(det.reference), text=join_texts(det.text),
            bank_ref=(d.get("bank_reference") or "").strip(),
            check_no=cust if is_check and cust.upper() not in _NO_REF else "", kind="check" if is_check else "transfer",
            account=account, source=name, line_no=n))
    tx.transactions.clear()     # each Transaction refers back to tx: free them now, not at a full collection
    return data, out
