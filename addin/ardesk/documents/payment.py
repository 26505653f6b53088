"""Payment details on a document: IBAN and RF checked, then the payment QR code.

- EUR: EPC069-12 "GiroCode" (SEPA credit transfer), structured reference = the
  RF creditor reference (ISO 11649), error correction level M (segno).
- CHF: Swiss QR-bill payment part with SCOR reference = the RF (qrbill).
- other currencies: the bank details and reference, no QR code.

IBAN, BIC and RF are validated with python-stdnum first; a bad one is an
:class:`PaymentError` naming the value, and no code is made from it.
"""
from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from stdnum import bic as std_bic, iban as std_iban, iso11649
from stdnum.exceptions import ValidationError


class PaymentError(ValueError):
    """An IBAN, BIC or creditor reference that cannot go on a document."""


@dataclass(frozen=True)
class PaymentCode:
    kind: str            # "epc" or "swiss"
    svg: str             # the QR code (EPC) or the whole payment part (Swiss) as SVG


def check_iban(value: str, what: str = "IBAN") -> str:
    try:
        return std_iban.validate(value)
    except ValidationError as exc:
        raise PaymentError(f"{what} {value!r} is not valid ({exc})") from None


def check_bic(value: str) -> str:
    if not value:
        return ""
    try:
        return std_bic.validate(value)
    except ValidationError as exc:
        raise PaymentError(f"BIC {value!r} is not valid ({exc})") from None


def check_rf(value: str) -> str:
    try:
        return iso11649.validate(value)
    except ValidationError as exc:
        raise PaymentError(f"creditor reference {value!r} is not a valid ISO 11649 RF reference ({exc})") from None


def _ascii(name: str) -> str:
    # some banking apps reject a GiroCode whose name has umlauts: write them out
    table = {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"}
    s = "".join(table.get(ch, ch) for ch in name)
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode("ascii")


def epc_qr(name: str, iban: str, bic: str, amount: Decimal, reference: str) -> PaymentCode:
    """EPC069-12 QR code: version 002, UTF-8, SCT, structured reference (the RF)."""
    import segno.helpers
    qr = segno.helpers.make_epc_qr(name=_ascii(name)[:70], iban=iban, amount=amount, reference=reference,
                                   bic=bic or None)
    out = io.BytesIO()
    qr.save(out, kind="svg", border=0, xmldecl=False)
    return PaymentCode("epc", out.getvalue().decode())


def swiss_qr(creditor: dict, iban: str, amount: Decimal, reference: str, debtor: dict | None, language: str
             ) -> PaymentCode:
    """Swiss QR-bill payment part (SCOR reference = the RF) as an A4-wide SVG."""
    import qrbill
    try:
        bill = qrbill.QRBill(account=iban, creditor=creditor, amount=str(amount), currency="CHF",
                             reference_number=reference, debtor=debtor or None,
                             language=language if language in ("en", "de", "fr", "it") else "en")
    except ValueError as exc:
        raise PaymentError(f"Swiss QR-bill: {exc}") from None
    out = io.StringIO()
    bill.as_svg(out)
    return PaymentCode("swiss", out.getvalue())
