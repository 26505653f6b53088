"""The proof before issue: what a billing run would issue, and what would stop each invoice reaching its customer.

:func:`proof_rows` gives one Proof row per invoice of the run (customer, lines,
net, tax, total, delivery channel, what stops delivery) stamped with
:func:`inputs_hash`: a SHA-256 of the Customers and Charges tables, the
Settings and the numbers already issued.  Bill period compares the hash of its
own inputs with the proof of its period and refuses to issue when they differ,
so it issues exactly what the proof showed.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, Iterable

from ..core.model import Customer, Invoice, Problem
from ..core.money import exponent, to_decimal
from ..documents.issue import Issuer
from ..documents.model import DocumentError, invoice_document
from .send import channels, stops


def inputs_hash(tables: dict, settings: dict[str, Any], issued: Iterable[str]) -> str:
    """SHA-256 of what a billing run reads: Customers, Charges, Settings and the numbers already issued."""
    h = hashlib.sha256()
    for name in ("tblCustomers", "tblCharges"):
        t = tables[name]
        h.update(json.dumps([t.header, [r for r in t.rows if not t.is_blank(r)]], default=str).encode())
    h.update(json.dumps(sorted((k, v) for k, v in settings.items() if k != "Period"), default=str).encode())
    h.update("\n".join(sorted(issued)).encode())
    return h.hexdigest()[:20]


def channel_text(cust: Customer) -> str:
    emails, post = channels(cust)
    parts = (["e-mail " + ", ".join(emails)] if emails else []) + (["post"] if post else [])
    if cust.einvoice not in ("", "none"):
        parts.append(cust.einvoice)
    return "; ".join(parts)


def proof_rows(invoices: list[Invoice], customers: dict[str, Customer], issuer: Issuer, period: str,
               digest: str) -> list[tuple]:
    rows = []
    for inv in invoices:
        cust = customers[inv.customer_id]
        emails, post = channels(cust)
        reasons = [p.message.partition(": ")[2] or p.message for p in stops(cust, inv.number, emails, post)]
        _data, _xml, _fmt, probs = issuer.invoice_data(inv)
        reasons += [p.message.partition(": ")[2] or p.message for p in probs]
        e = exponent(inv.currency)
        rows.append((period, inv.number, cust.id, cust.name, len(inv.lines), inv.currency,
                     to_decimal(inv.net, e), to_decimal(inv.tax, e), to_decimal(inv.total, e), channel_text(cust),
                     "; ".join(reasons) or None, digest))
    return rows


def proof_documents(pairs: list[tuple[Invoice, Customer]], ds) -> list[dict]:
    """The template data of every invoice that can be shown (the Proof tab says why one cannot)."""
    out = []
    for inv, cust in pairs:
        try:
            out.append(invoice_document(inv, cust, ds))
        except DocumentError:
            continue
    return out


def stale_proof(proof: list[dict], period: str, digest: str) -> Problem | None:
    """A problem when a proof of ``period`` exists and the inputs changed since."""
    mine = [r for r in proof if str(r.get("Period") or "") == period]
    if not mine or all(str(r.get("InputsHash") or "") == digest for r in mine):
        return None
    return Problem(f"the inputs changed since the proof of {period} was made (proof {mine[0].get('InputsHash')}, "
                   f"now {digest}): press Preview billing (ardesk bill --preview) again and check it, or clear "
                   "the Proof tab to bill without a proof", "Proof", None, "InputsHash", mine[0].get("InputsHash"),
                   "bill")


def write_proof_pdf(path, pairs: list[tuple[Invoice, Customer]], ds) -> int:
    """One PDF of the invoices a run would issue, marked as a proof; returns its page count."""
    from ..documents.render import Renderer, pages
    docs = proof_documents(pairs, ds)
    when = pairs[0][0].issue_date
    with Renderer(ds) as r:
        pdf = r.render(docs, when, title=f"proof {path.stem}", author=ds.letterhead.name, proof=True)
    path.write_bytes(pdf)
    return pages(pdf)
