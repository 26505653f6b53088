"""Payment details on a document: IBAN and RF checked, then the payment QR code.

- EUR: EPC069-12 "GiroCode" (SEPA credit transfer), structured reference = the
  RF creditor reference (ISO 11649), error correction level M; the QR symbol
  is encoded by zxing-cpp (C++, with the standard's mask selection).
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


def epc_payload(name: str, iban: str, bic: str, amount: Decimal, reference: str) -> str:
    """The EPC069-12 (version 002) text: SCT, character set 2 (ISO 8859-1; the name is written
    out in ASCII, so the bytes are the same in any of the allowed sets), structured reference."""
    if not Decimal("0.01") <= amount <= Decimal("999999999.99"):
        raise PaymentError(f"amount {amount} is outside what a GiroCode can carry (0.01 to 999999999.99 EUR)")
    fields = ["BCD", "002", "2", "SCT", bic, _ascii(name)[:70], iban, f"EUR{amount:.2f}", "", reference]
    return "\n".join(fields)


def epc_qr(name: str, iban: str, bic: str, amount: Decimal, reference: str) -> PaymentCode:
    """EPC069-12 QR code: version 002, SCT, structured reference (the RF), error correction M."""
    import zxingcpp
    code = zxingcpp.create_barcode(epc_payload(name, iban, bic, amount, reference), zxingcpp.BarcodeFormat.QRCode,
                                   ec_level="M")
    return PaymentCode("epc", zxingcpp.write_barcode_to_svg(code, add_quiet_zones=False))


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
