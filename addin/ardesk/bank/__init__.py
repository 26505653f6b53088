"""Bank statement and card-processor importers.

``read_statement(path)`` detects the format (or takes ``fmt``, one of
:data:`FORMATS`) and returns a :class:`~ardesk.bank.model.Statement`;
``read_processor(path)`` reads a Stripe or PayPal report into a
:class:`~ardesk.bank.processors.ProcessorReport`.  A broken file raises
:class:`~ardesk.bank.model.BankFileError` naming the file and the line or
element that broke it; nothing of it is imported.  A statement whose opening
balance plus its lines does not give its closing balance is a broken file too
(``strict_balances=False`` accepts it and lists the mismatch in ``problems``).

Files are never read whole: the format is told from the first 16 KB, and each
reader hands on its lines as it reads them (``iter_statement``), so what it
holds does not grow with the file; only the Statement's lines do.
"""
from __future__ import annotations

import codecs
import io
import re
import zipfile
from functools import partial
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

from . import csvprofile
from .csvprofile import BUILTIN_PROFILES, CsvProfile, ProfileError, load_profiles
from .common import Item, collect, settle
from .model import BankFileError, BankLine, Statement, check_balances, fingerprint_lines
from .processors import ProcessorPayout, ProcessorReport, ProcessorTransaction
from .sanitize import is_formula_like, mask_card_numbers

__all__ = ["BankFileError", "BankLine", "Statement", "read_statement", "read_statements", "iter_statement",
           "read_processor", "iter_processor", "check_balances",
           "fingerprint_lines", "detect_format", "FORMATS", "PROCESSOR_FORMATS", "CsvProfile", "ProfileError",
           "BUILTIN_PROFILES", "load_profiles", "ProcessorReport", "ProcessorTransaction", "ProcessorPayout",
           "mask_card_numbers", "is_formula_like"]

# Statement formats by the name ``fmt`` takes; "csv" means: pick the built-in profile whose columns fit.
FORMATS: dict[str, str] = {
    "camt.053": "ISO 20022 camt.053 bank-to-customer statement, 001.02-001.08",
    "camt.054": "ISO 20022 camt.054 debit/credit notification, 001.02-001.08",
    "mt940": "SWIFT MT940 customer statement",
    "bai2": "BAI2 cash-management balance report",
    "ofx": "OFX/QFX 1.x (SGML) and 2.x (XML) bank or credit-card statement",
    "csv": "bank CSV, through a column-mapping profile",
    **{name: f"bank CSV, built-in profile {name!r}" for name in BUILTIN_PROFILES},
}
PROCESSOR_FORMATS: dict[str, str] = {
    "stripe": "Stripe balance / payout reconciliation CSV",
    "paypal": "PayPal activity CSV",
}


# Files are read in chunks, never whole: format detection looks at the head only, and every reader
# takes its statements element by element or line by line (see ``iter_statement``).
HEAD = 16 * 1024
CHUNK = 16 * 1024
Opener = Callable[[], BinaryIO]


def _file(path: Path) -> Opener:
    def open_() -> BinaryIO:
        try:
            return open(path, "rb")
        except OSError as exc:
            raise BankFileError(f"{path}: cannot be read ({exc.strerror})") from None
    return open_


def _head(data: bytes) -> bytes:
    """The first HEAD bytes, cut after the last complete line when there is more."""
    if len(data) <= HEAD:
        return data
    cut = data.rfind(b"\n", 0, HEAD)
    return data[:cut + 1] if cut > 0 else data[:HEAD]


def _read_head(opener: Opener) -> bytes:
    with opener() as fh:
        return _head(fh.read(HEAD + 1))


def _decode(raw: bytes, encoding: str = "utf-8-sig") -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace") if encoding.startswith("utf") else raw.decode("latin-1")
    except LookupError:
        raise ProfileError(f"{encoding!r} is not a known encoding") from None


def _encoding(opener: Opener, encoding: str = "utf-8-sig") -> tuple[str, str]:
    """(encoding, errors) to decode the whole file with, as :func:`_decode` would choose them: the
    file is run once through an incremental decoder, a chunk at a time."""
    try:
        decoder = codecs.getincrementaldecoder(encoding)()
    except LookupError:
        raise ProfileError(f"{encoding!r} is not a known encoding") from None
    try:
        with opener() as fh:
            for chunk in iter(lambda: fh.read(CHUNK), b""):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return ("cp1252", "replace") if encoding.startswith("utf") else ("latin-1", "strict")
    return encoding, "strict"


def _text_lines(opener: Opener, encoding: str = "utf-8-sig", newline: str | None = None) -> Iterator[str]:
    """The file's lines, decoded as :func:`_decode` would, read a buffer at a time."""
    enc, errors = _encoding(opener, encoding)
    with io.TextIOWrapper(opener(), encoding=enc, errors=errors, newline=newline) as text:
        yield from text


def detect_format(raw: bytes) -> str | None:
    """The statement format of a file's content, or None when nothing fits."""
    head = raw[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    text = _decode(head)
    if text.startswith("<") and not re.search(r"<OFX>|<\?OFX", text, re.I):
        m = re.search(r"urn:iso:std:iso:20022:tech:xsd:(camt\.05[34])\.", text)
        return m.group(1) if m else None
    if text.startswith("OFXHEADER") or re.search(r"<OFX>|<\?OFX", text, re.I):
        return "ofx"
    if text.startswith("01,"):
        return "bai2"
    if re.search(r"^:20:", text, re.M) and re.search(r"^:6[02][FM]:", text, re.M):
        return "mt940"
    full = _decode(_head(raw))
    for profile in sorted(BUILTIN_PROFILES.values(), key=lambda p: p.name == "simple"):
        try:
            if csvprofile.matches(profile, full):
                return profile.name
        except BankFileError:
            continue
    return None


def read_statements(path: str | Path, fmt: str | None = None, currency: str = "EUR", *,
                    profile: "CsvProfile | dict[str, CsvProfile] | None" = None, strict_balances: bool = True) -> list[Statement]:
    """The statements of a file: one, or one per file inside a zip archive.

    Banks deliver camt (and MT940) files zipped, several to an archive.  Each member is read
    as a file of its own, named ``ARCHIVE:MEMBER`` in messages and fingerprints; folders
    and the archiver's own entries (``__MACOSX/``, names starting with a dot) are skipped.
    A member that cannot be read refuses the archive, with every broken member named.
    """
    path = Path(path)
    opener = _file(path)
    if not _read_head(opener).startswith(b"PK\x03\x04"):
        return [_statement(path.name, opener, fmt, currency, profile, strict_balances)]
    out, errors, counted = [], [], 0
    try:
        with zipfile.ZipFile(path) as zf:
            members = [i for i in zf.infolist() if not i.is_dir() and not i.filename.startswith("__MACOSX/")
                       and not Path(i.filename).name.startswith(".")]
            if not members:
                raise BankFileError(f"{path.name}: the zip archive holds no files", source=path.name)
            for info in members:
                member = f"{path.name}:{Path(info.filename).name}"
                try:
                    st = _statement(member, partial(zf.open, info), fmt, currency, profile, strict_balances)
                except BankFileError as exc:
                    errors.append(str(exc))
                    counted += exc.lines_read
                    continue
                out.append(st)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError, OSError) as exc:
        raise BankFileError(f"{path.name}: not a readable zip archive ({exc})", source=path.name) from None
    if errors:
        raise BankFileError("; ".join(errors), source=path.name,
                            lines_read=counted + sum(len(st.lines) for st in out))
    return out


def read_statement(path: str | Path, fmt: str | None = None, currency: str = "EUR", *,
                   profile: "CsvProfile | dict[str, CsvProfile] | None" = None, strict_balances: bool = True) -> Statement:
    """Read a bank statement file.

    ``fmt`` is one of :data:`FORMATS` (``None`` detects it from the content);
    ``currency`` is used where the file does not say; ``profile`` reads a bank
    CSV with the clerk's own column mapping (several profiles: the one that fits
    the header row; a file in a standard format is read by its standard).
    """
    path = Path(path)
    return _statement(path.name, _file(path), fmt, currency, profile, strict_balances)


def iter_statement(path: str | Path, fmt: str | None = None, currency: str = "EUR", *,
                   profile: "CsvProfile | dict[str, CsvProfile] | None" = None) -> Iterator[Item]:
    """A statement file as its reader reads it, one item at a time (:data:`ardesk.bank.common.Item`):
    each line as soon as it is read, a Statement without lines closing each statement, a str for a
    note on the whole file.  What the reader holds meanwhile does not grow with the file.  :func:`read_statement`
    collects these items; nothing is checked beyond what the reader itself checks (no balance check,
    no fingerprints).
    """
    path = Path(path)
    yield from _items(path.name, _file(path), fmt, currency, profile)[1]


STANDARD_FORMATS = ("camt.053", "camt.054", "mt940", "bai2", "ofx")


def _pick_profile(name: str, head: bytes, profiles: "CsvProfile | dict[str, CsvProfile]") -> CsvProfile | None:
    """The clerk's profile for a file: None when the file is in a standard format (a profile is
    for bank CSV only); of several profiles, the one whose columns the header row has."""
    if detect_format(head) in STANDARD_FORMATS:
        return None
    if isinstance(profiles, CsvProfile):
        return profiles
    if len(profiles) == 1:
        return next(iter(profiles.values()))
    fits = []
    for p in profiles.values():
        try:
            if csvprofile.matches(p, _decode(head, p.encoding)):
                fits.append(p)
        except BankFileError:
            continue
    if len(fits) != 1:
        raise BankFileError(f"{name}: {'no' if not fits else len(fits)} of the clerk's CSV profiles "
                            f"({', '.join(profiles)}) fit{'s' if len(fits) == 1 else ''} the header row")
    return fits[0]


def _items(name: str, opener: Opener, fmt: str | None, currency: str,
           profile: "CsvProfile | dict[str, CsvProfile] | None") -> tuple[str, Iterator[Item]]:
    """(format, the reader's items) for one file, the format detected from its head where not given."""
    head = _read_head(opener)
    if profile is not None and fmt is None:
        profile = _pick_profile(name, head, profile)
    if profile is not None:
        fmt = "csv"
    elif fmt is None:
        fmt = detect_format(head)
        if fmt is None:
            raise BankFileError(f"{name}: format not recognised (known: {', '.join(FORMATS)})")
    if fmt not in FORMATS:
        raise BankFileError(f"{name}: unknown format {fmt!r} (known: {', '.join(FORMATS)})")
    if fmt in ("camt.053", "camt.054"):
        from . import camt
        return fmt, camt.stream(name, opener, currency)
    if fmt == "mt940":
        from . import mt940_statement
        return fmt, mt940_statement.stream(name, _text_lines(opener), currency)
    if fmt == "bai2":
        from . import bai2_statement
        return fmt, bai2_statement.stream(name, _text_lines(opener, newline=""), currency)
    if fmt == "ofx":
        from . import ofx_statement
        return fmt, ofx_statement.stream(name, opener, currency)
    if profile is None and fmt == "csv":
        found = detect_format(head)
        if found not in BUILTIN_PROFILES:
            raise BankFileError(f"{name}: no CSV profile fits the header row "
                                f"(profiles: {', '.join(BUILTIN_PROFILES)})")
        fmt = found
    use = profile or BUILTIN_PROFILES[fmt]
    lines = _text_lines(opener, use.encoding, newline="")
    if use.name == "simple" and profile is None:
        from . import simplecsv
        return fmt, simplecsv.stream(name, lines, currency)
    return fmt, csvprofile.stream(name, lines, use, currency)


def _statement(name: str, opener: Opener, fmt: str | None, currency: str,
               profile: "CsvProfile | dict[str, CsvProfile] | None", strict_balances: bool) -> Statement:
    fmt, items = _items(name, opener, fmt, currency, profile)
    st = collect(name, items, currency)
    if fmt.startswith("camt") and not st.format.startswith(fmt):
        raise BankFileError(f"{name}: is {st.format}, not {fmt}")
    return settle(st, strict_balances)


def _processor(path: Path, fmt: str | None) -> tuple[str, Opener]:
    """(format, opener) of a processor report, the format told from its header row where not given."""
    from . import processors
    opener = _file(path)
    if fmt is None:
        fmt = processors.sniff(_decode(_read_head(opener)))
        if fmt is None:
            raise BankFileError(f"{path.name} line 1: header is neither a Stripe report (columns "
                                f"{', '.join(processors.STRIPE_REQUIRED)}) nor a PayPal activity CSV (columns "
                                f"{', '.join(processors.PAYPAL_REQUIRED)})")
    if fmt not in PROCESSOR_FORMATS:
        raise BankFileError(f"{path.name}: unknown processor format {fmt!r} (known: {', '.join(PROCESSOR_FORMATS)})")
    return fmt, opener


def read_processor(path: str | Path, fmt: str | None = None, *, date_format: str | None = None) -> ProcessorReport:
    """Read a Stripe or PayPal report (``fmt`` 'stripe' or 'paypal'; ``None`` detects it)."""
    from . import processors
    path = Path(path)
    fmt, opener = _processor(path, fmt)
    if fmt == "stripe":
        return processors.read_stripe(path.name, _text_lines(opener, newline=""))
    return processors.read_paypal(path.name, _text_lines(opener, newline=""), date_format)


def iter_processor(path: str | Path, fmt: str | None = None, *,
                   date_format: str | None = None) -> Iterator[ProcessorTransaction]:
    """A processor report's transactions as they are read, each as soon as its row is checked (what
    :func:`read_processor` collects; its payouts and notes are made from all of them)."""
    from . import processors
    path = Path(path)
    fmt, opener = _processor(path, fmt)
    lines = _text_lines(opener, newline="")
    if fmt == "stripe":
        yield from processors.stream_stripe(path.name, lines)
    else:
        yield from processors.stream_paypal(path.name, lines, date_format)
