"""OFX and QFX bank and credit-card statements: OFX 1.x (SGML, versions 102 to
160) and 2.x (XML, versions 200 to 220), read with the PyPI ``ofxtools`` package.

ofxtools reads the header and the SGML or XML body into an element tree, fed a
chunk of the body at a time here, and converts it into its models, validating
every element against the OFX specification (types, lengths, required
elements).  That conversion is run on every transaction as it is read (then
the transaction leaves the tree, so a big file is never held whole) and on the
rest of the tree at the end.  The values we use are read from the element tree, not from the
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

import codecs
import re
import warnings
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import BinaryIO, Callable, Iterator
from xml.etree.ElementTree import Element

from ofxtools.Parser import TreeBuilder
from ofxtools.header import OFXHeaderError, OFXHeaderV1, OFXHeaderV2, parse_header
from ofxtools.models.base import Aggregate

from .common import Item, join_texts, minor
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

    def account(self, stmtrs: Element, path: str, acct_tag: str) -> str:
        account = _text(stmtrs, f"{acct_tag}/ACCTID")
        if not account:
            raise self.fail(f"{path}/{acct_tag}/ACCTID", "missing")
        return account

    def transaction(self, stmtrs: Element, trn: Element, path: str, n: int, acct_tag: str,
                    default_ccy: str) -> BankLine:
        """The ``n``-th STMTTRN of a statement, read in the statement's currency (CURDEF precedes it)."""
        currency = (_text(stmtrs, "CURDEF") or default_ccy).upper()
        account = self.account(stmtrs, path, acct_tag)
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
        return BankLine(
            booking_date=posted, value_date=self.day(trn, "DTAVAIL", tpath),
            amount=amount, currency=(_text(trn, "CURRENCY/CURSYM") or currency).upper(),
            payer=join_texts(_text(trn, "NAME") or _text(trn, "PAYEE/NAME")),
            text=join_texts(_text(trn, "MEMO")), bank_ref=fitid, check_no=check_no,
            kind="check" if check_no else _KIND.get(trntype, "transfer"),
            account=account, source=self.name, line_no=n)

    def statement(self, stmtrs: Element, path: str, acct_tag: str, version: str, default_ccy: str) -> Statement:
        """A statement once its transactions were read (and taken out of ``stmtrs``)."""
        currency = (_text(stmtrs, "CURDEF") or default_ccy).upper()
        account = self.account(stmtrs, path, acct_tag)
        ledger = stmtrs.find("LEDGERBAL")
        closing = self.amount(ledger, "BALAMT", f"{path}/LEDGERBAL", currency) if ledger is not None else None
        bankid = _text(stmtrs, f"{acct_tag}/BANKID")
        return Statement(source=self.name, format=f"OFX {version}".strip(), account=account, currency=currency,
                         lines=(), closing_balance=closing,
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


class _HeadOnly:
    """The file as ofxtools' header parser is shown it: ``readline``, ``seek`` and ``tell`` pass
    through; ``read()``, with which the parser takes the whole body, gives the head only and
    remembers where it started."""

    def __init__(self, fh: BinaryIO):
        self.fh, self.at, self.given = fh, 0, b""

    def readline(self) -> bytes:
        return self.fh.readline()

    def tell(self) -> int:
        return self.fh.tell()

    def seek(self, pos: int, whence: int = 0) -> int:
        return self.fh.seek(pos, whence)

    def read(self, size: int = -1) -> bytes:
        self.at = self.fh.tell()
        data = self.fh.read(_HEAD)
        if len(data) == _HEAD:
            data = data[:data.rfind(b">") + 1]          # never in the middle of a character
        self.given = data
        return data


_HEAD = 64 * 1024
_CHUNK = 16 * 1024
# where the body may be cut into chunks: before a start tag, never between a tag and its text or end tag
_CUT = re.compile(r"<(?=[A-Z0-9._ ])")
_ACCOUNT_OF = {f"OFX/{msgs}/{trnrs}/{stmtrs}": acct for msgs, trnrs, stmtrs, acct in _STATEMENTS}


def _header(name: str, fh: BinaryIO) -> tuple[OFXHeaderV1 | OFXHeaderV2, int]:
    """The OFX header and the byte offset of the body."""
    head = _HeadOnly(fh)
    try:
        header, message = parse_header(head)
    except OFXHeaderError:
        # ofxtools' message repeats the file's first lines (or names a Python object): say which
        # line breaks which rule instead
        fh.seek(0)
        raise BankFileError(f"{name} {_header_fault(fh.read(_HEAD))}") from None
    except (SyntaxError, ValueError, UnicodeDecodeError) as exc:
        raise _unreadable(name, exc) from None
    if isinstance(header, OFXHeaderV2):     # read from the start of the file: the body follows the header
        return header, head.at + len(head.given) - len(message.encode(header.codec))
    return header, head.at


def _unreadable(name: str, exc: Exception) -> BankFileError:
    return BankFileError(f"{name}: OFX body not readable "
                         f"({str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__})")


class _Builder(TreeBuilder):
    """ofxtools' tree builder, handing on each finished statement and STMTTRN (with its statement);
    a STMTTRN is taken out of the tree once handed on."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[Element] = []
        self.done: list[tuple[Element, str, Element | None]] = []

    def start(self, tag: str, attrs: dict) -> Element:
        el = super().start(tag, attrs)
        self.open.append(el)
        return el

    def end(self, tag: str) -> Element:
        el = super().end(tag)
        self.open.pop()
        depth = len(self.open)
        if depth == 3:
            self.done.append((el, self._path(el), None))
        elif depth == 5 and el.tag == "STMTTRN" and self.open[4].tag == "BANKTRANLIST":
            self.done.append((el, self._path(el), self.open[3]))
            self.open[-1].remove(el)
        return el

    def _path(self, el: Element) -> str:
        """'OFX/BANKMSGSRSV1/STMTTRNRS/STMTRS' of a statement or of a STMTTRN's statement."""
        return "/".join([e.tag for e in self.open[:3]] + [self.open[3].tag if len(self.open) > 3 else el.tag])


def _body(name: str, fh: BinaryIO, codec: str) -> Iterator[str]:
    """The body's text a chunk at a time, each chunk ending before a start tag (and outside CDATA)."""
    decoder = codecs.getincrementaldecoder(codec)()
    rest = ""
    try:
        for raw in iter(lambda: fh.read(_CHUNK), b""):
            text = rest + decoder.decode(raw)
            cdata = text.rfind("<![CDATA[")
            cut = cdata if cdata > text.rfind("]]>") else len(text)
            while cut > 0 and not _CUT.match(text, cut := text.rfind("<", 0, cut)):
                pass
            cut = max(cut, 0)
            if cut:
                yield text[:cut]
            rest = text[cut:]
        yield rest + decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        raise _unreadable(name, exc) from None


def stream(name: str, opener: Callable[[], BinaryIO], currency: str = "USD") -> Iterator[Item]:
    """Read an OFX file a chunk of its body at a time.  Each STMTTRN is checked against the OFX
    specification and read when its aggregate closes, then taken out of the tree; the rest of the
    tree (sign-on, accounts, balances) is checked at the end."""
    reader = _Reader(name)
    spec: Exception | None = None
    statements: dict[str, int] = {}
    trns = 0
    builder = _Builder()
    with opener() as fh:
        header, offset = _header(name, fh)
        version = str(getattr(header, "version", "") or "")
        fh.seek(offset)
        for chunk in _body(name, fh, header.codec):
            try:
                builder.feed(chunk)
            except (SyntaxError, ValueError) as exc:
                raise _unreadable(name, exc) from None
            done, builder.done = builder.done, []
            for el, path, stmtrs in done:
                acct_tag = _ACCOUNT_OF.get(path)
                if acct_tag is None:
                    continue
                msgs, trnrs, stmtrs_tag = path.split("/")[1:]
                spath = f"OFX/{msgs}/{trnrs}[{statements.get(msgs, 0) + 1}]/{stmtrs_tag}"
                if stmtrs is not None:
                    spec = spec or _convert(el)
                    trns += 1
                    yield reader.transaction(stmtrs, el, spath, trns, acct_tag, currency)
                else:
                    statements[msgs], trns = statements.get(msgs, 0) + 1, 0
                    yield reader.statement(el, spath, acct_tag, version, currency)
        try:
            root = builder.close()
        except (SyntaxError, ValueError) as exc:
            raise _unreadable(name, exc) from None
    if not statements:
        raise BankFileError(f"{name}: element OFX: no bank or credit-card statement (STMTRS/CCSTMTRS)")
    spec = spec or _convert(root)
    if spec is not None:
        yield (f"{name}: does not follow the OFX specification ({spec}); "
               f"the figures were checked one by one instead")


def _convert(el: Element) -> Exception | None:
    """ofxtools' check of an aggregate against the OFX specification: None, or its complaint."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            Aggregate.from_etree(el)
    except Exception as exc:  # ofxtools' spec errors are ValueError/TypeError/IndexError subclasses
        return exc
    return None
