"""Bank statement and card-processor importers.

``read_statement(path)`` detects the format (or takes ``fmt``, one of
:data:`FORMATS`) and returns a :class:`~ardesk.bank.model.Statement`;
``read_processor(path)`` reads a Stripe or PayPal report into a
:class:`~ardesk.bank.processors.ProcessorReport`.  A broken file raises
:class:`~ardesk.bank.model.BankFileError` naming the file and the line or
element that broke it; nothing of it is imported.  A statement whose opening
balance plus its lines does not give its closing balance is a broken file too
(``strict_balances=False`` accepts it and lists the mismatch in ``problems``).
"""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from . import csvprofile
from .csvprofile import BUILTIN_PROFILES, CsvProfile, ProfileError, load_profiles
from .common import settle
from .model import BankFileError, BankLine, Statement, check_balances, fingerprint_lines
from .processors import ProcessorPayout, ProcessorReport, ProcessorTransaction
from .sanitize import is_formula_like, mask_card_numbers

__all__ = ["BankFileError", "BankLine", "Statement", "read_statement", "read_statements", "read_processor", "check_balances",
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


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise BankFileError(f"{path}: cannot be read ({exc.strerror})") from None


def _decode(raw: bytes, encoding: str = "utf-8-sig") -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace") if encoding.startswith("utf") else raw.decode("latin-1")
    except LookupError:
        raise ProfileError(f"{encoding!r} is not a known encoding") from None


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
    full = _decode(raw)
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
    raw = _read(path)
    if not raw.startswith(b"PK\x03\x04"):
        return [_statement(path, raw, fmt, currency, profile, strict_balances)]
    out, errors, counted = [], [], 0
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            members = [i for i in zf.infolist() if not i.is_dir() and not i.filename.startswith("__MACOSX/")
                       and not Path(i.filename).name.startswith(".")]
            if not members:
                raise BankFileError(f"{path.name}: the zip archive holds no files", source=path.name)
            for info in members:
                member = Path(f"{path.name}:{Path(info.filename).name}")
                try:
                    st = _statement(member, zf.read(info), fmt, currency, profile, strict_balances)
                except BankFileError as exc:
                    errors.append(str(exc))
                    counted += exc.lines_read
                    continue
                out.append(st)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError) as exc:
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
    return _statement(path, _read(path), fmt, currency, profile, strict_balances)


STANDARD_FORMATS = ("camt.053", "camt.054", "mt940", "bai2", "ofx")


def _pick_profile(path: Path, raw: bytes, profiles: "CsvProfile | dict[str, CsvProfile]") -> CsvProfile | None:
    """The clerk's profile for a file: None when the file is in a standard format (a profile is
    for bank CSV only); of several profiles, the one whose columns the header row has."""
    if detect_format(raw) in STANDARD_FORMATS:
        return None
    if isinstance(profiles, CsvProfile):
        return profiles
    if len(profiles) == 1:
        return next(iter(profiles.values()))
    fits = []
    for p in profiles.values():
        try:
            if csvprofile.matches(p, _decode(raw, p.encoding)):
                fits.append(p)
        except BankFileError:
            continue
    if len(fits) != 1:
        raise BankFileError(f"{path.name}: {'no' if not fits else len(fits)} of the clerk's CSV profiles "
                            f"({', '.join(profiles)}) fit{'s' if len(fits) == 1 else ''} the header row")
    return fits[0]


def _statement(path: Path, raw: bytes, fmt: str | None, currency: str,
               profile: "CsvProfile | dict[str, CsvProfile] | None", strict_balances: bool) -> Statement:
    if profile is not None and fmt is None:
        profile = _pick_profile(path, raw, profile)
    if profile is not None:
        fmt = "csv"
    elif fmt is None:
        fmt = detect_format(raw)
        if fmt is None:
            raise BankFileError(f"{path.name}: format not recognised (known: {', '.join(FORMATS)})")
    if fmt not in FORMATS:
        raise BankFileError(f"{path.name}: unknown format {fmt!r} (known: {', '.join(FORMATS)})")
    if fmt in ("camt.053", "camt.054"):
        from . import camt
        st = camt.read(path, raw, currency)
        if not st.format.startswith(fmt):
            raise BankFileError(f"{path.name}: is {st.format}, not {fmt}")
    elif fmt == "mt940":
        from . import mt940_statement
        st = mt940_statement.read(path, _decode(raw), currency)
    elif fmt == "bai2":
        from . import bai2_statement
        st = bai2_statement.read(path, _decode(raw), currency)
    elif fmt == "ofx":
        from . import ofx_statement
        st = ofx_statement.read(path, raw, currency)
    else:
        if profile is None and fmt == "csv":
            found = detect_format(raw)
            if found not in BUILTIN_PROFILES:
                raise BankFileError(f"{path.name}: no CSV profile fits the header row "
                                    f"(profiles: {', '.join(BUILTIN_PROFILES)})")
            fmt = found
        use = profile or BUILTIN_PROFILES[fmt]
        if use.name == "simple" and profile is None:
            from . import simplecsv
            st = simplecsv.read(path, _decode(raw, use.encoding), currency)
        else:
            st = csvprofile.read(path, _decode(raw, use.encoding), use, currency)
    return settle(st, strict_balances)


def read_processor(path: str | Path, fmt: str | None = None, *, date_format: str | None = None) -> ProcessorReport:
    """Read a Stripe or PayPal report (``fmt`` 'stripe' or 'paypal'; ``None`` detects it)."""
    from . import processors
    path = Path(path)
    text = _decode(_read(path))
    if fmt is None:
        fmt = processors.sniff(text)
        if fmt is None:
            raise BankFileError(f"{path.name} line 1: header is neither a Stripe report (columns "
                                f"{', '.join(processors.STRIPE_REQUIRED)}) nor a PayPal activity CSV (columns "
                                f"{', '.join(processors.PAYPAL_REQUIRED)})")
    if fmt == "stripe":
        return processors.read_stripe(path, text)
    if fmt == "paypal":
        return processors.read_paypal(path, text, date_format)
    raise BankFileError(f"{path.name}: unknown processor format {fmt!r} (known: {', '.join(PROCESSOR_FORMATS)})")
