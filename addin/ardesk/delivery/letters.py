"""Dunning letters: from the DunningHistory ledger to the letters `ardesk send --kind letters` delivers.

Issue dunning logs every item it dunned on DunningHistory, under the letter's
id (``DL-0000001``).  Each letter id is one letter: its customer, currency,
level (the highest of its items), channel and template are those of the
row at that level; fee, interest and compensation are the sums of its rows.
A letter whose channel is ``e-mail`` goes to the customer's e-mail addresses
(by post when there is none), ``letter`` goes into the print batch, and a
``call task`` is no document: the worklist holds the call.

The text comes from the level's template, ``dunning-TEMPLATE.txt`` in the
templates folder: a first line ``Subject: ...``, a blank line, then
paragraphs separated by blank lines.  ``${name}`` placeholders are filled
with the letter's figures as the customer's locale writes them (see the
README's data dictionary); a paragraph that is just ``${items}`` is where the
table of dunned invoices and the totals go (without one, every paragraph
comes before the table).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..core.collections.dunning import INTEREST_TEXT
from ..core.collections.model import HistoryItem, by_letter
from ..core.model import Customer, InvoiceLine, Problem
from ..core.ledger.ledger import Ledger
from ..documents.issue import problem
from ..documents.model import DocumentError, locality
from ..documents.settings import DocumentSettings
from . import mail
from .send import Letter

PREFIX = "dunning-"
ITEMS = "${items}"


def template_path(folder: Path, name: str) -> Path:
    return folder / f"{PREFIX}{name}.txt"


def letter_templates(folder: Path) -> frozenset[str]:
    """The names of the letter templates in a templates folder."""
    return frozenset(p.name[len(PREFIX):-4] for p in folder.glob(f"{PREFIX}*.txt") if p.is_file())


def route(channel: str, cust: Customer) -> tuple[list[str], bool]:
    """(e-mail addresses, by post?) for a letter's channel."""
    emails = mail.addresses(cust.email) if channel == "e-mail" else []
    return emails, not emails


@dataclass(frozen=True)
class DunnedItem:
    invoice_no: str
    amount: int
    interest: int
    compensation: int
    computation: str = ""          # how the interest was worked out


@dataclass(frozen=True)
class Dunned:
    """One issued dunning letter, as DunningHistory has it."""
    letter_id: str
    date: date
    customer_id: str
    currency: str
    level: int
    channel: str
    template: str
    fee: int
    charge_invoice: str
    items: tuple[DunnedItem, ...]


def from_history(history: list[HistoryItem], lines: dict[str, tuple[InvoiceLine, ...]]) -> list[Dunned]:
    """The letters of DunningHistory items, their interest computations read from the charge invoices' lines."""
    out = []
    for letter_id, rows in by_letter(history):
        top = max(rows, key=lambda h: h.level)
        charge = next((h.fee_invoice_no for h in rows if h.fee_invoice_no), "")
        how = {}
        for ln in lines.get(charge, ()):
            if ln.item == "INTEREST" and ln.description.startswith(INTEREST_TEXT):
                no, _, text = ln.description[len(INTEREST_TEXT):].partition(": ")
                how[no] = text
        out.append(Dunned(letter_id, top.date, top.customer_id, top.currency, top.level, top.channel, top.template,
                          sum(h.fee for h in rows), charge,
                          tuple(DunnedItem(h.invoice_no, h.amount, h.interest, h.compensation,
                                           how.get(h.invoice_no, "")) for h in rows)))
    return out


class Templates:
    """The letter templates of a folder, each read once."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._texts: dict[str, str] = {}

    def text(self, name: str) -> str:
        """The template's text; raises OSError when it cannot be read."""
        if name not in self._texts:
            self._texts[name] = template_path(self.folder, name).read_text(encoding="utf-8")
        return self._texts[name]


def dunning_letter(d: Dunned, cust: Customer, ledger: Ledger, ds: DocumentSettings, templates: Templates
                   ) -> tuple[Letter | None, list[Problem]]:
    """The letter to render for an issued dunning letter, or the problem that stops it."""
    try:
        template = templates.text(d.template)
    except OSError as exc:
        return None, [Problem(f"{d.letter_id}: the letter template {template_path(templates.folder, d.template)} "
                              f"cannot be read: {exc.strerror or exc}", "DunningHistory", None, "Template",
                              d.template, "send")]
    try:
        return letter(d, cust, ledger, ds, template), []
    except DocumentError as exc:
        return None, [problem(cust, d.letter_id, str(exc))]


def letter(d: Dunned, cust: Customer, ledger: Ledger, ds: DocumentSettings, template: str) -> Letter:
    """One dunning letter: subject and paragraphs from the template, the items table and the totals."""
    loc = locality(cust)
    cur = d.currency
    m = lambda v: loc.money(v, cur)                 # noqa: E731
    items = sorted(d.items, key=lambda h: (_due(ledger, h.invoice_no) or date.min, h.invoice_no))
    interest = sum(h.interest for h in items)
    compensation = sum(h.compensation for h in items)
    dunned = sum(h.amount for h in items)
    total = dunned + d.fee + interest + compensation
    values = {"letter_id": d.letter_id, "date": loc.date(d.date), "level": str(d.level), "customer": cust.name,
              "name": cust.name, "customer_id": cust.id, "currency": cur, "dunned": m(dunned), "fee": m(d.fee),
              "interest": m(interest), "compensation": m(compensation), "charges": m(total - dunned),
              "total": f"{m(total)} {cur}", "charge_invoice": d.charge_invoice, "items_count": str(len(items)),
              "invoices": ", ".join(h.invoice_no for h in items), "company": ds.letterhead.name,
              "iban": " ".join(ds.letterhead.iban[i:i + 4] for i in range(0, len(ds.letterhead.iban), 4)),
              "bic": ds.letterhead.bic, "template": d.template}
    values["items"] = ITEMS                         # left as typed: it marks where the table goes
    subject, body = mail.fill(template, values)
    paragraphs = [p.strip() for p in body.split("\n\n") if p.strip()]
    cut = paragraphs.index(ITEMS) if ITEMS in paragraphs else len(paragraphs)
    rows = []
    for h in items:
        due = _due(ledger, h.invoice_no)
        rows.append({"cells": [h.invoice_no, loc.date(due), str((d.date - due).days) if due else "", m(h.amount),
                               m(h.interest) if h.interest else "", m(h.compensation) if h.compensation else ""]})
    table = {"columns": [{"title": t, "align": "left" if t in ("number", "due") else "right",
                          "width": "fill" if t == "number" else "auto"}
                         for t in ("number", "due", "days", "amount", "interest", "compensation")], "rows": rows}
    totals = [["dunned", f"{m(dunned)} {cur}"]]
    totals += [[k, f"{m(v)} {cur}"] for k, v in (("fee", d.fee), ("interest", interest),
                                                  ("compensation", compensation)) if v]
    totals.append(["total_due", f"{m(total)} {cur}", True])
    closing = [f"{h.invoice_no}: {h.computation}" for h in items if h.computation] + paragraphs[cut + 1:]
    return Letter(cust.id, d.letter_id, d.date, subject, tuple(paragraphs[:cut]), closing=tuple(closing),
                  table=table, totals=tuple(totals), info=(("number", d.letter_id), ("level", str(d.level))),
                  currency=cur, total=total, route=route(d.channel, cust))


def _due(ledger: Ledger, invoice_no: str) -> date | None:
    inv = ledger.invoice_by_no.get(invoice_no)
    return inv.due_date if inv else None
