"""Documents benchmark: render invoices with payment QR code and Factur-X XML, and e-mail them.

    python bench/bench_documents.py [--invoices 10000] [--emails 1000] [--workers 2]

Invoices come from the billing run over generated customers and charges (1 to
15 lines, names in Latin, Arabic, Hebrew, Greek and Cyrillic scripts, EUR).
Each document is rendered to PDF/A-3b with its GiroCode and its Factur-X XML
built, checked against XSD and EN 16931 rules, and embedded.  The bare render
is the same template with the same data, without QR code and XML, in the same
run.  Then the billed workbook is sent through ``ardesk send``'s library call
to an SMTP server on loopback (aiosmtpd), ``--emails`` customers with an
e-mail address.  Printed: documents per second, peak memory of the whole
process tree, and the ratio to the bare render, each next to its target.
"""
from __future__ import annotations

import argparse
import random
import resource
import socket
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date, datetime
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "addin"))

from ardesk import app  # noqa: E402
from ardesk.io.memory import MemoryWorkbook  # noqa: E402

NAMES = ("Harbor Bakery", "Nordwind Logistik GmbH", "مكتبة الأمل", "אבי כהן בע\"מ", "Παπαδόπουλος Α.Ε.",
         "ООО Северный ветер", "Brasserie du Port", "Café Zürich AG")
ITEMS = ("HOST", "SUPPORT", "LICENSE", "TRAINING", "STORAGE", "BACKUP", "CONSULT")


def vat_id(rng: random.Random) -> str:
    """A German VAT ID with its check digit (ISO 7064 MOD 11,10, as the Bundeszentralamt computes it)."""
    from stdnum.iso7064 import mod_11_10
    body = str(rng.randint(10_000_000, 99_999_999))
    return f"DE{body}{mod_11_10.calc_check_digit(body)}"


def workbook(n: int, seed: int = 8, emails: int = 0) -> MemoryWorkbook:
    rng = random.Random(seed)
    customers, charges = [], []
    for i in range(1, n + 1):
        cid = f"C{i:06d}"
        mail = f"ap{i}@customer.example" if i <= emails else None
        customers.append((cid, f"{rng.choice(NAMES)} {i}", mail, f"{rng.randint(1, 200)} Main Street",
                          f"{rng.randint(10000, 99999)}", "DE", 30, 0.19, "EUR", None, "active", None, "Berlin",
                          rng.choice(("de_DE", "en_GB", "fr_FR")), "email" if mail else "post",
                          "factur-x", vat_id(rng)))
        for k in range(rng.randint(1, 15)):
            charges.append((f"CH{i}-{k}", cid, rng.choice(ITEMS), f"Service {k + 1}", rng.randint(1, 20),
                            round(rng.uniform(5, 900), 2), "monthly", date(2026, 1, 1), None))
    wb = MemoryWorkbook.with_rows({"tblCustomers": customers, "tblCharges": charges}, {
        "CompanyName": "Example Billing GmbH", "CompanyAddress": "Ledgerweg 1", "CompanyPostalCode": "10115",
        "CompanyCity": "Berlin", "CompanyCountry": "DE", "CompanyEmail": "billing@example.com",
        "CompanyVATID": "DE811907980", "CompanyIBAN": "DE89370400440532013000", "CompanyBIC": "COBADEFFXXX",
        "InvoiceFormat": "INV-{year}-{seq:06d}"})
    res = app.run(wb, "bill", period="2026-10", now=datetime(2026, 10, 1, 8))
    assert res.ok, res.summary["problems"][:3]
    return wb


_state: dict = {}


def _init(n: int, seed: int) -> None:
    from ardesk.documents.issue import Issuer, lines_by_invoice
    from ardesk.documents.settings import read_document_settings
    wb = workbook(n, seed)
    books = app.load(wb)
    ds, _ = read_document_settings(wb.read_settings())
    lines = lines_by_invoice(books.tables["tblInvoiceLines"])
    _state["issuer"] = Issuer(ds, books.ledger, books.customers, lines=lines)
    _state["invoices"] = [replace(i, lines=lines[i.number]) for i in books.ledger.invoices]


def _full(chunk: tuple[int, int]) -> tuple[int, int, int]:
    issuer, invs = _state["issuer"], _state["invoices"][chunk[0]:chunk[1]]
    pages = size = 0
    for inv in invs:
        doc, problems = issuer.invoice(inv)
        assert doc is not None and doc.xml, problems
        pages += doc.pages
        size += len(doc.pdf)
    return len(invs), pages, size


def _bare(chunk: tuple[int, int]) -> tuple[int, int, int]:
    from ardesk.documents.model import invoice_document
    issuer, invs = _state["issuer"], _state["invoices"][chunk[0]:chunk[1]]
    size = 0
    for inv in invs:
        data = invoice_document(inv, issuer.customers[inv.customer_id], issuer.ds, qr=False)
        size += len(issuer.renderer.render([data], inv.issue_date))
    return len(invs), 0, size


def _run(kind, n: int, workers: int, seed: int) -> tuple[float, int, int]:
    chunks = [(i, min(i + 250, n)) for i in range(0, n, 250)]
    with get_context("fork").Pool(workers, initializer=_init, initargs=(n, seed)) as pool:
        pool.map(_warm, range(workers))               # the workers' books are built before the clock starts
        t = time.perf_counter()
        results = pool.map(kind, chunks)
        elapsed = time.perf_counter() - t
    return elapsed, sum(r[1] for r in results), sum(r[2] for r in results)


def _warm(_i: int) -> None:
    time.sleep(0.2)


def peak_mb() -> tuple[float, float]:
    """(this process, the largest worker) peak resident memory in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return own / 1024, children / 1024


def email(n: int, seed: int) -> tuple[float, int]:
    from aiosmtpd.controller import Controller
    from ardesk.delivery.send import send

    class Count:
        received = 0

        async def handle_DATA(self, server, session, envelope):
            Count.received += 1
            return "250 OK"

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    wb = workbook(n, seed, emails=n)
    controller = Controller(Count(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            res = send(wb, Path(tmp), env={"ARDESK_SMTP_HOST": "127.0.0.1", "ARDESK_SMTP_PORT": str(port),
                                           "ARDESK_SMTP_SECURITY": "none"}, now=datetime(2026, 10, 2, 9))
            elapsed = time.perf_counter() - t
    finally:
        controller.stop()
    assert res.ok and res.summary["documents_sent"] == n == Count.received, res.summary["problems"][:3]
    return elapsed, Count.received


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--invoices", type=int, default=10_000)
    ap.add_argument("--emails", type=int, default=1_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=8)
    a = ap.parse_args()
    full_s, pages, size = _run(_full, a.invoices, a.workers, a.seed)
    print(f"rendered {a.invoices} invoices ({pages} pages, {size / 1e6:.0f} MB of PDF) with GiroCode and "
          f"validated Factur-X XML on {a.workers} worker(s)")
    print(f"  full render          {full_s:8.1f} s   {a.invoices / full_s:7.1f} documents/s   (target >= 100)",
          flush=True)
    bare_s, _, _ = _run(_bare, a.invoices, a.workers, a.seed)
    print(f"  bare render          {bare_s:8.1f} s   {a.invoices / bare_s:7.1f} documents/s")
    print(f"  ratio full / bare    {full_s / bare_s:8.2f}                      (target <= 1.5)", flush=True)
    mail_s, mailed = email(a.emails, a.seed)
    print(f"  e-mailed {mailed} invoices to a loopback SMTP server through send(): {mail_s:.1f} s, "
          f"{mailed / mail_s:.1f} documents/s (render, archive, send, log)")
    own, worker = peak_mb()
    print(f"  peak memory          {own:8.0f} MB this process, {worker:.0f} MB the largest worker; "
          f"tree at most {own + a.workers * worker:.0f} MB  (target < 500)")


if __name__ == "__main__":
    main()
