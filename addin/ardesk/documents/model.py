"""Documents built from core records: the data a template sees (the README's data dictionary).

Each builder takes records the core made (an invoice, a customer, the ledger)
and returns a plain dict of text, ready as JSON for the template: amounts
already formatted in the customer's locale with the currency's decimals,
dates formatted, the address lines for the envelope window.  No clock: every
date comes from the records.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from decimal import Decimal
from typing import TYPE_CHECKING, Sequence

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import parse_pattern

from ..core.collections.model import Dispute
from ..core.model import Customer, Invoice
from ..core.money import exponent, to_decimal
from .payment import PaymentError, check_bic, check_iban, check_rf, epc_qr, swiss_qr
from .settings import DocumentSettings, Letterhead

if TYPE_CHECKING:        # the ledger and aging (with pandas) only for statements: an invoice needs neither
    from ..core.ledger.ledger import Ledger

DEFAULT_LOCALE = "en_GB"
FORMULA_START = ("=", "+", "-", "@")


class DocumentError(ValueError):
    """A document that cannot be issued as its records stand; the message names customer and value."""


@lru_cache(maxsize=64)
def _pattern(text: str):
    return parse_pattern(text)


@lru_cache(maxsize=4096)
def _date(d: date, locale: Locale) -> str:
    return format_date(d, format="medium", locale=locale)


@dataclass(frozen=True)
class Locality:
    """Numbers and dates as the customer's locale writes them (Babel, CLDR data)."""
    locale: Locale
    lang: str

    def money(self, minor: int, currency: str) -> str:
        e = exponent(currency)
        return _pattern("#,##0." + "0" * e if e else "#,##0").apply(to_decimal(minor, e), self.locale)

    def number(self, value: Decimal) -> str:
        return _pattern("#,##0.######").apply(value, self.locale)

    def price(self, value: Decimal, currency: str) -> str:
        e = exponent(currency)
        return _pattern("#,##0." + "0" * e + "####" if e else "#,##0.####").apply(value, self.locale)

    def date(self, d: date | None) -> str:
        return _date(d, self.locale) if d else ""


@lru_cache(maxsize=256)
def _locality(text: str) -> Locality:
    loc = Locale.parse(text.replace("-", "_"))
    return Locality(loc, loc.language)


def locality(customer: Customer) -> Locality:
    text = customer.locale or DEFAULT_LOCALE
    try:
        return _locality(text)
    except (UnknownLocaleError, ValueError):
        raise DocumentError(f"customer {customer.id} ({customer.name}): Locale {text!r} is not a locale "
                            "such as de_DE, fr_CH or en_US") from None


def check_name(customer: Customer) -> None:
    if customer.name.startswith(FORMULA_START):
        raise DocumentError(f"customer {customer.id}: the name {customer.name!r} looks like a formula; "
                            "correct it on the Customers tab before a document is issued")


def recipient_lines(customer: Customer, home_country: str) -> list[str]:
    """The address as it goes in the envelope window (DIN 5008: country last, in capitals, when abroad)."""
    lines = [customer.name]
    lines += [p.strip() for p in re.split(r"[\n;]", customer.address or "") if p.strip()]
    city = " ".join(p for p in (customer.postal_code, customer.city) if p)
    if city:
        lines.append(city)
    country = (customer.country or "").upper()
    if country and country != home_country.upper():
        try:
            lines.append(Locale.parse("en").territories.get(country, country).upper())
        except (UnknownLocaleError, ValueError):
            lines.append(country)
    return lines


def letterhead_data(lh: Letterhead) -> dict:
    return {"name": lh.name, "street": lh.street, "postcode": lh.postcode, "city": lh.city,
            "vat_id": lh.vat_id, "registration": lh.registration, "iban": lh.iban,
            "iban_display": " ".join(lh.iban[i:i + 4] for i in range(0, len(lh.iban), 4)), "bic": lh.bic,
            "logo": "logo" + lh.logo[lh.logo.rfind("."):].lower() if lh.logo else "", "footer": lh.footer,
            "email": lh.email}


def _base(kind: str, number: str, customer: Customer, ds: DocumentSettings, loc: Locality) -> dict:
    check_name(customer)
    return {"kind": kind, "number": number, "lang": loc.lang, "locale": str(loc.locale),
            "envelope": ds.envelope, "letterhead": letterhead_data(ds.letterhead),
            "recipient": {"id": customer.id, "name": customer.name,
                          "lines": recipient_lines(customer, ds.letterhead.country)}}


def invoice_document(inv: Invoice, customer: Customer, ds: DocumentSettings, qr: bool = True) -> dict:
    """An invoice or credit note with its lines, totals, carried totals, RF and payment QR code
    (``qr=False``: the same without the code, as the benchmark's bare render).

    Raises :class:`DocumentError` naming the customer and the bad value.
    """
    loc = locality(customer)
    cur = inv.currency
    d = _base(inv.kind, inv.number, customer, ds, loc)
    credit = inv.kind == "credit note"
    sign = -1 if credit else 1
    info = [["number", inv.number], ["date", loc.date(inv.issue_date)]]
    if not credit:
        info.append(["due", loc.date(inv.due_date)])
    info.append(["customer", customer.id])
    if inv.period:
        info.append(["period", inv.period])
    if credit and inv.relates_to:
        info.append(["relates", inv.relates_to])
    if customer.buyer_reference:
        info.append(["buyer_ref", customer.buyer_reference])
    if customer.vat_id:
        info.append(["your_vat_id", customer.vat_id])
    d["info"] = info
    rows, acc = [], 0
    lines = inv.lines or ()
    for ln in lines:
        acc += sign * ln.net
        desc = ln.description or ""
        if ln.service_from and ln.service_to and ln.service_from != ln.service_to:
            desc = f"{desc} ({loc.date(ln.service_from)} – {loc.date(ln.service_to)})".strip()
        rows.append({"cells": [str(ln.line_no), ln.item, desc, loc.number(abs(ln.quantity)),
                               loc.price(ln.unit_price, cur), loc.money(sign * ln.net, cur)],
                     "acc": loc.money(acc, cur)})
    if not lines:
        rows.append({"cells": ["1", "", f"{inv.relates_to}".strip(), "1", loc.money(sign * inv.net, cur),
                               loc.money(sign * inv.net, cur)], "acc": loc.money(sign * inv.net, cur)})
    d["table"] = {"columns": [{"title": "pos", "align": "left", "width": "auto"},
                              {"title": "item", "align": "left", "width": "auto"},
                              {"title": "description", "align": "left", "width": "fill"},
                              {"title": "qty", "align": "right", "width": "auto"},
                              {"title": "price", "align": "right", "width": "auto"},
                              {"title": "amount", "align": "right", "width": "auto"}],
                  "rows": rows}
    d["carry"] = True
    rate = (Decimal(abs(inv.tax)) / abs(inv.net) * 100).quantize(Decimal("0.01")) if inv.net else Decimal(0)
    d["totals"] = [["net", f"{loc.money(sign * inv.net, cur)} {cur}"],
                   [f"{loc.number(rate.normalize())} %", f"{loc.money(sign * inv.tax, cur)} {cur}"],
                   ["total", f"{loc.money(sign * inv.total, cur)} {cur}", True]]
    if credit:
        d["intro"] = []
        return d
    d["payment"] = payment_data(inv, customer, ds, loc, qr)
    if d["payment"].pop("swiss", None):
        d["qrbill_svg"] = d["payment"].pop("qrbill_svg")
    return d


def payment_data(inv: Invoice, customer: Customer, ds: DocumentSettings, loc: Locality, qr: bool = True) -> dict:
    lh = ds.letterhead
    who = f"customer {customer.id} ({customer.name}), invoice {inv.number}"
    try:
        iban = check_iban(lh.iban, "company IBAN (Settings, CompanyIBAN)")
        bic = check_bic(lh.bic)
        rf = check_rf(inv.creditor_ref)
    except PaymentError as exc:
        raise DocumentError(f"{who}: {exc}") from None
    amount = to_decimal(inv.total, exponent(inv.currency))
    out = {"due": loc.date(inv.due_date), "amount": f"{loc.money(inv.total, inv.currency)} {inv.currency}",
           "iban_display": " ".join(iban[i:i + 4] for i in range(0, len(iban), 4)), "bic": bic,
           "reference": rf, "reference_display": " ".join(rf[i:i + 4] for i in range(0, len(rf), 4)),
           "qr_svg": ""}
    if not qr:
        return out
    try:
        if inv.currency == "EUR":
            out["qr_svg"] = epc_qr(lh.name, iban, bic, amount, rf).svg
        elif inv.currency == "CHF":
            creditor = {"name": lh.name, "line1": lh.street, "line2": f"{lh.postcode} {lh.city}".strip(),
                        "country": lh.country}
            debtor = {"name": customer.name, "line1": (customer.address or "").split(";")[0][:70],
                      "line2": f"{customer.postal_code} {customer.city}".strip() or customer.name,
                      "country": customer.country or lh.country}
            out["swiss"] = True
            out["qrbill_svg"] = swiss_qr(creditor, iban, amount, rf, debtor, loc.lang).svg
    except (PaymentError, ValueError) as exc:
        raise DocumentError(f"{who}: the payment QR code cannot be made: {exc}") from None
    return out


def aging_labels(buckets: tuple[int, ...]) -> list:
    """The aging strip's column labels as the template shows them in the customer's language: the first
    and last bucket are texts (``aging current``, ``aging over`` in texts.json), the day ranges numbers."""
    from ..core.reports.aging import bucket_labels
    return [{"t": "aging current"}, *bucket_labels(buckets)[1:-1], {"t": "aging over", "after": f" {buckets[-1]}"}]


def statement_document(customer: Customer, currency: str, ledger: Ledger, as_of: date, start: date,
                       ds: DocumentSettings, buckets: tuple[int, ...], kind: str | None = None,
                       disputes: Sequence[Dispute] = ()) -> dict | None:
    """A statement for one customer and currency as of a date, or None when there is nothing to state.

    open-item: unpaid items with days past due and an aging strip; each credit note issued against a listed
    invoice, or still open as customer credit, on a line of its own after its invoice (number, the invoice it
    corrects, date, amount);
    balance-forward: opening balance at ``start``, the activity since, closing balance (open items less unapplied
    cash and credits: a credit note that became customer credit counts once);
    activity: every invoice, credit note (with the invoice it corrects) and payment since ``start`` with a
    running balance.
    Unapplied cash and credits are listed and taken off the balance due.  The open disputes (open or under
    review, raised by ``as_of``) on the customer's invoices are listed after the totals: invoice, disputed
    amount, reason, status.
    """
    from ..core.reports.aging import bucket_index
    kind = kind or ds.statement_type
    loc = locality(customer)
    number = f"ST-{customer.id}-{currency}-{as_of.isoformat()}"
    d = _base("statement", number, customer, ds, loc)
    d["info"] = [["date", loc.date(as_of)], ["customer", customer.id]]
    m = lambda v: loc.money(v, currency)            # noqa: E731
    open_items = [(inv, left) for inv, left in ledger.open_at(as_of)
                  if inv.customer_id == customer.id and inv.currency == currency]
    open_items.sort(key=lambda x: (x[0].due_date, x[0].number))
    pool = ledger.credit_pool.get((customer.id, currency), ())
    credits = sum(slot[2] for slot in pool)
    balance = sum(left for _, left in open_items)
    if not open_items and not credits and kind == "open-item":
        return None
    if kind == "open-item":
        d["title_key"] = "open_items"
        shown = {inv.number for inv, _ in open_items}
        as_credit = {slot[0] for slot in pool if slot[2]}
        notes: dict[str, list[Invoice]] = {}
        for cn in ledger.by_customer.get((customer.id, currency), ()):
            if cn.kind == "credit note" and cn.issue_date <= as_of and (cn.relates_to in shown
                                                                         or cn.number in as_credit):
                notes.setdefault(cn.relates_to if cn.relates_to in shown else "", []).append(cn)
        columns = ["number", "date", "due", "days", "total", "amount"]

        def note_row(cn: Invoice) -> dict:           # the number, and below it "corrects invoice INV-..."
            return {"cells": [{"before": f"{cn.number}\n", "t": "relates", "after": f" {cn.relates_to}"},
                              loc.date(cn.issue_date), "", "", m(cn.total), ""]}
        rows = []
        for inv, left in open_items:
            rows.append({"cells": [inv.number, loc.date(inv.issue_date), loc.date(inv.due_date),
                                   str(max(0, (as_of - inv.due_date).days)), m(inv.total), m(left)]})
            rows += [note_row(cn) for cn in notes.get(inv.number, ())]
        rows += [note_row(cn) for cn in notes.get("", ())]
    else:
        activity = []
        for inv in ledger.by_customer.get((customer.id, currency), ()):
            if start <= inv.issue_date <= as_of:
                what = {"t": inv.kind, "after": f" {inv.relates_to}"} if inv.relates_to else {"t": inv.kind}
                activity.append((inv.issue_date, inv.number, what, inv.total))
        for a in ledger.allocations:
            if (a.customer_id == customer.id or (a.invoice_no in ledger.invoice_by_no and
                                                 ledger.invoice_by_no[a.invoice_no].customer_id == customer.id)) \
                    and a.currency == currency and a.kind in ("applied", "credit", "refund") \
                    and start <= a.date <= as_of:
                # cash received (applied or kept as credit) lowers the balance, a refund of credit raises it
                activity.append((a.date, a.payment_id, {"t": "refund" if a.kind == "refund" else "payment"},
                                 a.amount if a.kind == "refund" else -a.amount))
        activity.sort(key=lambda x: (x[0], x[1]))
        opening = balance - credits - sum(v for *_, v in activity)      # so the running balance ends at what is due
        rows, running = [], opening
        if kind == "balance-forward":
            rows.append({"cells": [loc.date(start), "", {"t": "opening_row"}, "", m(opening)]})
        for when, ref, what, v in activity:
            running += v
            rows.append({"cells": [loc.date(when), ref, what, m(v), m(running)]})
        if not rows or (kind == "activity" and not activity and not balance):
            return None
        columns = ["date", "number", "description", "amount", "total"]
        d["title_key"] = "balance_forward" if kind == "balance-forward" else "activity"
    d["table"] = {"columns": [{"title": c, "align": "right" if c in ("days", "total", "amount") else "left",
                               "width": "fill" if c in ("number", "description") else "auto"} for c in columns],
                  "rows": rows}
    labels = aging_labels(buckets)
    strip = [0] * len(labels)
    for inv, left in open_items:
        strip[bucket_index((as_of - inv.due_date).days, buckets)] += left
    d["aging"] = [[label, m(v)] for label, v in zip(labels, strip)]
    d["totals"] = [["open_items", f"{m(balance)} {currency}"]]
    if credits:
        d["totals"].append(["unapplied", f"{m(-credits)} {currency}"])
    d["totals"].append(["total_due", f"{m(balance - credits)} {currency}", True])
    disputed = [x for x in disputes if x.pauses_dunning and x.date <= as_of and x.currency == currency
                and x.invoice_no in ledger.invoice_by_no
                and ledger.invoice_by_no[x.invoice_no].customer_id == customer.id]
    if disputed:
        d["sections"] = [{"title": "disputes", "table": {
            "columns": [{"title": c, "align": "right" if c == "disputed" else "left",
                         "width": "fill" if c == "reason" else "auto"}
                        for c in ("number", "since", "disputed", "reason", "status")],
            "rows": [{"cells": [x.invoice_no, loc.date(x.date), m(x.amount), {"t": f"dispute {x.reason_code}"},
                                {"t": f"dispute {x.status}"}]} for x in sorted(disputed, key=lambda x: (x.date, x.id))]}}]
    d["balance_due"] = balance - credits
    d["currency"] = currency
    return d


def letter_document(customer: Customer, number: str, when: date, subject: str, paragraphs: list[str],
                    ds: DocumentSettings) -> dict:
    """A letter (dunning uses it): subject and paragraphs of text, no table."""
    loc = locality(customer)
    d = _base("letter", number, customer, ds, loc)
    d["info"] = [["date", loc.date(when)], ["customer", customer.id]]
    d["subject"] = subject
    d["intro"] = list(paragraphs)
    return d
