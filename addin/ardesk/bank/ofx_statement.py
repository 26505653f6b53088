"""OFX and QFX bank and credit-card statements: OFX 1.x (SGML, versions 102 to
160) and 2.x (XML, versions 200 to 220), read with the PyPI ``ofxtools`` package.

ofxtools reads the header and the SGML or XML body into an element tree, then
converts it into its models, validating every element against the OFX
specification (types, lengths, required elements).  That conversion is run on
every file.  The values we use are read from the element tree, not from the
models, for one reason: ofxtools turns DTPOSTED into a UTC datetime, and a
posting late in the evening at a bank west of Greenwich would move to the next
day; the booking date must be the date the bank wrote.

When the specification check refuses a file, the file is still read, because
real bank files break rules that do not touch the figures (the ``checking.ofx``
test file of the ofxparse project has a ten-digit BANKID where OFX 1.02
section 11.3.1 allows nine characters).  Every element we use is then
checked by us (amounts, dates, FITID present) and ofxtools' complaint is kept
in ``problems``; a bad value in an element we use refuses the file.

Mapping: CHECKNUM -> check_no, NAME (or PAYEE/NAME) -> payer, MEMO -> text,
FITID -> bank_ref, TRNTYPE -> kind.  OFX carries no remittance reference.  The
ledger balance (LEDGERBAL) is the statement's closing balance; OFX gives no
opening balance, so it is compared only across consecutive statements.
"""
from __future__ import annotations

import io
import re
import warnings
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from xml.etree.ElementTree import Element

from ofxtools.Parser import OFXTree
from ofxtools.header import OFXHeaderError

from .common import combine, join_texts, minor
from .model import BankFileError, BankLine, Statement

FORMAT = "OFX"
_STATEMENTS = (("BANKMSGSRSV1", "STMTTRNRS", "STMTRS", "BANKACCTFROM"),
               ("CREDITCARDMSGSRSV1", "CCSTMTTRNRS", "CCSTMTRS", "CCACCTFROM"))
_KIND = {"CHECK": "check", "FEE": "fee", "SRVCHG": "fee", "DEP": "deposit", "POS": "card", "ATM": "card",
         "INT": "interest", "DIV": "interest"}
_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})")


def _text(el: Element | None, path: str) -> str:
    found = el.find(path) if el is not None else None
    return (found.text or "").strip() if found is not None else ""


class _Reader:
    def __init__(self, name: str):
        self.name = name

    def fail(self, path: str, what: str) -> BankFileError:
        return BankFileError(f"{self.name}: element {path}: {what}")

    def amount(self, el: Element, tag: str, path: str, currency: str, required: bool = True) -> int | None:
        raw = _text(el, tag)
        if not raw:
            if required:
                raise self.fail(f"{path}/{tag}", "missing")
            return None
        try:
            value = Decimal(raw.replace(",", "."))  # OFX 1.x allows a decimal comma
        except InvalidOperation:
            raise self.fail(f"{path}/{tag}", f"{raw!r} is not an amount") from None
        return minor(value, currency, f"{self.name}: element {path}/{tag}")

    def day(self, el: Element, tag: str, path: str) -> date | None:
        raw = _text(el, tag)
        if not raw:
            return None
        m = _DATE.match(raw)
        try:
            if not m:
                raise ValueError
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            raise self.fail(f"{path}/{tag}", f"{raw!r} is not an OFX date") from None

    def statement(self, stmtrs: Element, path: str, acct_tag: str, version: str, default_ccy: str) -> Statement:
        currency = (_text(stmtrs, "CURDEF") or default_ccy).upper()
        account = _text(stmtrs, f"{acct_tag}/ACCTID")
        if not account:
            raise self.fail(f"{path}/{acct_tag}/ACCTID", "missing")
        lines: list[BankLine] = []
        for n, trn in enumerate(stmtrs.findall("BANKTRANLIST/STMTTRN"), start=1):
            tpath = f"{path}/BANKTRANLIST/STMTTRN[{n}]"
            amount = self.amount(trn, "TRNAMT", tpath, currency)
            posted = self.day(trn, "DTPOSTED", tpath)
            if posted is None:
                raise self.fail(f"{tpath}/DTPOSTED", "missing")
            fitid = _text(trn, "FITID")
            if not fitid:
                raise self.fail(f"{tpath}/FITID", "missing")
            trntype = _text(trn, "TRNTYPE").upper()
            check_no = _text(trn, "CHECKNUM")
            check_no = "" if check_no.strip("0") == "" else check_no
            lines.append(BankLine(
                booking_date=posted, value_date=self.day(trn, "DTAVAIL", tpath),
                amount=amount, currency=(_text(trn, "CURRENCY/CURSYM") or currency).upper(),
                payer=join_texts(_text(trn, "NAME") or _text(trn, "PAYEE/NAME")),
                text=join_texts(_text(trn, "MEMO")), bank_ref=fitid, check_no=check_no,
                kind="check" if check_no else _KIND.get(trntype, "transfer"),
                account=account, source=self.name, line_no=n))
        ledger = stmtrs.find("LEDGERBAL")
        closing = self.amount(ledger, "BALAMT", f"{path}/LEDGERBAL", currency) if ledger is not None else None
        bankid = _text(stmtrs, f"{acct_tag}/BANKID")
        return Statement(source=self.name, format=f"OFX {version}".strip(), account=account, currency=currency,
                         lines=tuple(lines), closing_balance=closing,
                         statement_id=" ".join(p for p in (bankid, account) if p))


# OFX 1.x header (OFX 1.02 section 2.2): OFXHEADER:100 first, then these fields, one "KEY:VALUE" a line.
_SGML_HEADER = ("OFXHEADER", "DATA", "VERSION", "SECURITY", "ENCODING", "CHARSET", "COMPRESSION",
                "OLDFILEUID", "NEWFILEUID")
_XML_HEADER = re.compile(r'<\?OFX\s+OFXHEADER="200"\s+VERSION="\d{3}"')


def _header_fault(raw: bytes) -> str:
    """'line N: ...' naming the header line that breaks the OFX header rules."""
    lines = raw.decode("latin-1").lstrip("\ufeff\xef\xbb\xbf").splitlines()
    numbered = [(n, ln.strip()) for n, ln in enumerate(lines, start=1) if ln.strip()]
    if not numbered:
        return "line 1: empty file, no OFX header"
    first_n, first = numbered[0]
    if first.startswith("<?xml") or first.startswith("<?OFX"):
        if not any(_XML_HEADER.search(ln) for _, ln in numbered[:3]):
            return (f"line {first_n}: no OFX 2.x processing instruction "
                    '<?OFX OFXHEADER="200" VERSION="2xx" ...?> after the XML declaration (OFX 2.x section 2.2)')
        return f"line {first_n}: OFX 2.x header not readable (OFX 2.x section 2.2)"
    for (n, ln), key in zip(numbered, _SGML_HEADER):
        k, sep, value = ln.partition(":")
        if not sep or k.strip().upper() != key or (key == "OFXHEADER" and value.strip() != "100"):
            shown = ln if len(ln) <= 60 else ln[:57] + "..."
            return (f"line {n}: {shown!r} where the OFX 1.x header has {key}:"
                    f"{'100' if key == 'OFXHEADER' else '...'} (OFX 1.02 section 2.2)")
    return f"line {first_n}: OFX header not readable (OFX 1.02 section 2.2)"


def read(path: Path, raw: bytes, currency: str = "USD") -> Statement:
    name = path.name
    tree = OFXTree()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree.parse(io.BytesIO(raw))
    except OFXHeaderError:
        # ofxtools' message repeats the file's first lines (or names a Python object): say which
        # line breaks which rule instead
        raise BankFileError(f"{name} {_header_fault(raw)}") from None
    except (SyntaxError, ValueError, UnicodeDecodeError) as exc:
        raise BankFileError(f"{name}: OFX body not readable ({str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__})") from None
    header = getattr(tree, "header", None)
    version = str(getattr(header, "version", "") or "")
    problems: list[str] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree.convert()
    except Exception as exc:  # ofxtools' spec errors are ValueError/TypeError/IndexError subclasses
        problems.append(f"{name}: does not follow the OFX specification ({exc}); "
                        f"the figures were checked one by one instead")
    root = tree.getroot()
    reader = _Reader(name)
    parts: list[Statement] = []
    for msgs, trnrs, stmtrs_tag, acct_tag in _STATEMENTS:
        for i, stmtrs in enumerate(root.findall(f"{msgs}/{trnrs}/{stmtrs_tag}"), start=1):
            spath = f"OFX/{msgs}/{trnrs}[{i}]/{stmtrs_tag}"
            parts.append(reader.statement(stmtrs, spath, acct_tag, version, currency))
    if not parts:
        raise BankFileError(f"{name}: element OFX: no bank or credit-card statement (STMTRS/CCSTMTRS)")
    return combine(name, parts[0].format, parts, currency, problems)
