"""From records to the files a customer gets: the PDF/A-3b and, per customer, the e-invoice.

:class:`Issuer` builds each document's data (model), its e-invoice XML
(checked against XSD and EN 16931 rules), and renders the PDF; Factur-X XML
is embedded in the PDF as ``factur-x.xml`` (relationship Alternative) and
named in its XMP metadata (:mod:`.xmp`), UBL goes beside it as its own file.
Anything that stops a document is a :class:`~ardesk.core.model.Problem`
naming the customer and the value; the document is not made.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Sequence

from ..core.model import Customer, Invoice, InvoiceLine, Problem
from .einvoice import EInvoiceError, cius_problems, make_einvoice
from .model import DocumentError, invoice_document, letter_document, statement_document
from .render import Renderer, TemplateError, pages
from .settings import DocumentSettings
from .xmp import XmpError, add_facturx

if TYPE_CHECKING:
    from ..core.ledger.ledger import Ledger


@dataclass(frozen=True)
class Issued:
    number: str
    kind: str
    customer_id: str
    date: date
    currency: str
    total: int
    data: dict                 # what the template saw
    pdf: bytes
    xml: bytes = b""
    format: str = ""           # e-invoice format, "" for none

    @property
    def pages(self) -> int:
        return pages(self.pdf)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.pdf).hexdigest()

    @property
    def xml_sha256(self) -> str:
        return hashlib.sha256(self.xml).hexdigest() if self.xml else ""


def problem(customer: Customer | None, number: str, message: str, column: str = "", value: object = None
            ) -> Problem:
    return Problem(f"{number}: {message}", "Customers" if customer else "", customer.row if customer else None,
                   column, value, "documents")


def lines_by_invoice(table) -> dict[str, tuple[InvoiceLine, ...]]:
    """The InvoiceLines table grouped by invoice (the ledger as read holds headers only)."""
    from ..core.read import read_invoice_lines
    out: dict[str, list[InvoiceLine]] = {}
    for ln in read_invoice_lines(table, [], "documents"):
        out.setdefault(ln.invoice_no, []).append(ln)
    return {k: tuple(sorted(v, key=lambda x: x.line_no)) for k, v in out.items()}


class Issuer:
    """Issues a run's documents.  E-invoice XML is checked against the XSD and either the whole CEN
    rule set (setting *EInvoiceRules* = ``full``, or ``full_rules=True`` as a proof does) or the
    EN 16931 rules on values (:mod:`.rules`)."""

    def __init__(self, ds: DocumentSettings, ledger: Ledger | None, customers: dict[str, Customer],
                 renderer: Renderer | None = None, lines: dict[str, tuple[InvoiceLine, ...]] | None = None,
                 disputes: Sequence = (), full_rules: bool | None = None):
        """``disputes``: the Disputes rows; statements list the open ones on their customer's invoices.
        ``ledger`` None: invoices only, each given the invoice a credit note corrects (a worker process)."""
        self.ds, self.ledger, self.customers = ds, ledger, customers
        self.lines = lines or {}
        self.disputes = disputes
        self._renderer = renderer
        self.full_rules = ds.einvoice_rules == "full" if full_rules is None else full_rules

    @property
    def renderer(self) -> Renderer:
        """The compiler, made on first use (a proof that renders nothing needs none)."""
        if self._renderer is None:
            self._renderer = Renderer(self.ds)
        return self._renderer

    def close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()

    def with_lines(self, inv: Invoice) -> Invoice:
        """The invoice with its lines (the ledger as read holds headers only)."""
        return replace(inv, lines=self.lines[inv.number]) if not inv.lines and inv.number in self.lines else inv

    def preceding(self, inv: Invoice) -> Invoice | None:
        """The invoice a credit note corrects (BT-25), when the ledger has it."""
        return self.ledger.invoice_by_no.get(inv.relates_to) if inv.relates_to and self.ledger is not None else None

    def invoice_data(self, inv: Invoice, preceding: Invoice | None = None
                     ) -> tuple[dict | None, bytes, str, list[Problem]]:
        """The template data and validated e-invoice XML of an invoice or credit note, or its problems;
        ``preceding``: the invoice a credit note corrects (default: from the ledger)."""
        inv = self.with_lines(inv)
        cust = self.customers.get(inv.customer_id)
        if cust is None:
            return None, b"", "", [problem(None, inv.number, f"customer {inv.customer_id!r} is not on the "
                                                               "Customers sheet")]
        try:
            data = invoice_document(inv, cust, self.ds)
        except DocumentError as exc:
            return None, b"", "", [problem(cust, inv.number, str(exc))]
        fmt = cust.einvoice if cust.einvoice not in ("", "none") else ""
        xml = b""
        if fmt:
            missing = cius_problems(cust, fmt)
            if missing:
                return None, b"", "", [problem(cust, inv.number, f"customer {cust.id} ({cust.name}), e-invoice "
                                                                 f"{fmt}: {m}") for m in missing]
            preceding = preceding or self.preceding(inv)
            try:
                xml = make_einvoice(inv, cust, self.ds.letterhead, fmt, preceding.issue_date if preceding else None,
                                    self.full_rules)
            except EInvoiceError as exc:
                return None, b"", "", [problem(cust, inv.number, f"customer {cust.id} ({cust.name}): {exc}")]
        return data, xml, fmt, []

    def invoice(self, inv: Invoice, preceding: Invoice | None = None) -> tuple[Issued | None, list[Problem]]:
        data, xml, fmt, probs = self.invoice_data(inv, preceding)
        if data is None:
            return None, probs
        attachments = ([{"name": "factur-x.xml", "data": xml.decode("utf-8"), "relationship": "alternative",
                         "mime": "text/xml", "description": "Factur-X invoice (EN 16931)"}]
                       if fmt == "factur-x" else [])
        try:
            pdf = self.renderer.render([data], inv.issue_date, title=f"{inv.kind} {inv.number}",
                                       author=self.ds.letterhead.name, attachments=attachments)
            if fmt == "factur-x":
                pdf = add_facturx(pdf)
        except (TemplateError, XmpError) as exc:
            return None, [problem(None, inv.number, str(exc))]
        return Issued(inv.number, inv.kind, inv.customer_id, inv.issue_date, inv.currency, inv.total, data, pdf,
                      xml, fmt), []

    def statement(self, cust: Customer, currency: str, as_of: date, start: date, buckets: tuple[int, ...]
                  ) -> tuple[Issued | None, list[Problem]]:
        try:
            data = statement_document(cust, currency, self.ledger, as_of, start, self.ds, buckets,
                                      disputes=self.disputes)
        except DocumentError as exc:
            return None, [problem(cust, f"statement {cust.id} {currency}", str(exc))]
        if data is None:
            return None, []
        return self._render(data, "statement", cust.id, as_of, currency, data.pop("balance_due"))

    def letter(self, cust: Customer, number: str, when: date, subject: str, paragraphs: list[str],
               extra: dict | None = None, info: tuple = (), currency: str | None = None, total: int = 0
               ) -> tuple[Issued | None, list[Problem]]:
        """A letter; ``extra`` adds a table, totals or closing paragraphs, ``info`` lines beside the address."""
        try:
            data = letter_document(cust, number, when, subject, paragraphs, self.ds)
        except DocumentError as exc:
            return None, [problem(cust, number, str(exc))]
        data.update(extra or {})
        data["info"] += [list(kv) for kv in info]
        return self._render(data, "letter", cust.id, when, currency or cust.currency, total)

    def _render(self, data: dict, kind: str, cid: str, when: date, currency: str, total: int):
        try:
            pdf = self.renderer.render([data], when, title=f"{kind} {data['number']}", author=self.ds.letterhead.name)
        except TemplateError as exc:
            return None, [problem(None, data["number"], str(exc))]
        return Issued(data["number"], kind, cid, when, currency, total, data, pdf), []
