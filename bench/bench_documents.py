"""Documents benchmark: render invoices with payment QR code and Factur-X XML, and e-mail them.

    python bench/bench_documents.py [--invoices 10000] [--emails 1000] [--workers 2]

Invoices come from the billing run over generated customers and charges (1 to
15 lines, names in Latin, Arabic, Hebrew, Greek and Cyrillic scripts, EUR),
made in a process of their own and written to a file in chunks, so the
rendering processes read one chunk at a time and hold no workbook.  Each
document is issued as ``ardesk send`` issues it (``Issuer.invoice``): data,
GiroCode, Factur-X XML built and checked (XSD and the EN 16931 rules on
values, as at issue), PDF/A-3b with the XML embedded.  The bare render is the
same template with the same data, without QR code and XML, in the same run on
the same workers.  Then ``--emails`` customers with an e-mail address are
billed and sent through ``send()``, as ``ardesk send`` does it (with
``--workers`` worker processes issuing while the sending process mails), to
an SMTP server on loopback (aiosmtpd) in a process of its own.

Printed: documents per second (elapsed) and CPU per document, the ratio to
the bare render (elapsed and CPU), the load average (the machine may be
shared), and the peak memory of the whole process tree (this process and all
its children, sampled from /proc: the sum of RSS every 50 ms, and of PSS,
which counts pages the processes share once, every 250 ms), each next to its
target.  For the send, the tree is the sending process and its workers.
"""
from __future__ import annotations

import argparse
import os
import pickle
import random
import socket
import sys
import tempfile
import threading
import time
from dataclasses import replace
from datetime import date, datetime
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "addin"))

# ardesk is imported in the functions that use it: ``send``'s worker processes start a fresh
# interpreter that imports this file, and should hold what ``ardesk send``'s workers hold, no more

NAMES = ("Harbor Bakery", "Nordwind Logistik GmbH", "مكتبة الأمل", "אבי כהן בע\"מ", "Παπαδόπουλος Α.Ε.",
         "ООО Северный ветер", "Brasserie du Port", "Café Zürich AG")
ITEMS = ("HOST", "SUPPORT", "LICENSE", "TRAINING", "STORAGE", "BACKUP", "CONSULT")


def vat_id(rng: random.Random) -> str:
    """A German VAT ID with its check digit (ISO 7064 MOD 11,10, as the Bundeszentralamt computes it)."""
    from stdnum.iso7064 import mod_11_10
    body = str(rng.randint(10_000_000, 99_999_999))
    return f"DE{body}{mod_11_10.calc_check_digit(body)}"


def workbook(n: int, seed: int = 8, emails: int = 0):
    from ardesk import app
    from ardesk.io.memory import MemoryWorkbook
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


# -- the invoices, made once in a process of their own -----------------------------------
def prepare(n: int, seed: int, path: Path) -> list[int]:
    """Bill ``n`` customers and write the invoices (with their lines and customers) in chunks of
    :data:`CHUNK` to ``path``; returns each chunk's offset.  Runs in its own process, so the
    workbook is not held while the documents are rendered."""
    from ardesk import app
    from ardesk.documents.issue import lines_by_invoice
    from ardesk.documents.settings import read_document_settings
    wb = workbook(n, seed)
    books = app.load(wb)
    ds, _ = read_document_settings(wb.read_settings())
    lines = lines_by_invoice(books.tables["tblInvoiceLines"])
    offsets = []
    with open(path, "wb") as fh:
        pickle.dump(ds, fh)
        invs = books.ledger.invoices
        for i in range(0, len(invs), CHUNK):
            offsets.append(fh.tell())
            pickle.dump([(replace(inv, lines=lines[inv.number]), books.customers[inv.customer_id])
                         for inv in invs[i:i + CHUNK]], fh)
    return offsets


CHUNK = 100
_state: dict = {}


def _init(path: str) -> None:
    from ardesk.core.ledger.ledger import Ledger
    from ardesk.documents.issue import Issuer
    with open(path, "rb") as fh:
        ds = pickle.load(fh)
    _state["path"] = path
    _state["issuer"] = Issuer(ds, Ledger(), {})


def _chunk(offset: int) -> list:
    with open(_state["path"], "rb") as fh:
        fh.seek(offset)
        return pickle.load(fh)


def _full(offset: int) -> tuple[int, int, int, float]:
    """Issue a chunk as ``ardesk send`` does: data, GiroCode, Factur-X XML checked, PDF/A-3b with the XML."""
    issuer = _state["issuer"]
    cpu = time.process_time()
    pages = size = 0
    items = _chunk(offset)
    for inv, cust in items:
        issuer.customers[cust.id] = cust
        doc, problems = issuer.invoice(inv)
        assert doc is not None and doc.xml, problems
        pages += doc.pages
        size += len(doc.pdf)
        del issuer.customers[cust.id]
    return len(items), pages, size, time.process_time() - cpu


def _bare(offset: int) -> tuple[int, int, int, float]:
    """The same template with the same data, without QR code and XML."""
    from ardesk.documents.model import invoice_document
    issuer = _state["issuer"]
    cpu = time.process_time()
    size = 0
    items = _chunk(offset)
    for inv, cust in items:
        data = invoice_document(inv, cust, issuer.ds, qr=False)
        size += len(issuer.renderer.render([data], inv.issue_date))
    return len(items), 0, size, time.process_time() - cpu


def _run(kind, path: Path, offsets: list[int], workers: int) -> tuple[float, int, int, int, float]:
    with get_context("fork").Pool(workers, initializer=_init, initargs=(str(path),)) as pool:
        pool.map(_warm, range(workers))               # the workers' compilers start before the clock
        t = time.perf_counter()
        results = list(pool.imap_unordered(kind, offsets))
        elapsed = time.perf_counter() - t
    return elapsed, *(sum(r[i] for r in results) for i in range(4))


def _warm(_i: int) -> None:
    issuer = _state["issuer"]
    inv, cust = _chunk(_first[0])[0]
    issuer.customers[cust.id] = cust
    issuer.renderer.render([issuer.invoice_data(inv)[0]], inv.issue_date)
    del issuer.customers[cust.id]
    time.sleep(0.2)


_first: list[int] = []


# -- memory of the whole process tree -------------------------------------------------
def _tree_pids(root: int) -> list[int]:
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        for task in Path(f"/proc/{pid}/task").glob("*/children"):
            try:
                todo += [int(c) for c in task.read_text().split()]
            except OSError:
                pass
    return out


_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def _rss(pid: int) -> int:
    """Resident set in kB from /proc/PID/statm (a counter the kernel keeps: cheap to read)."""
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * _PAGE_KB
    except (OSError, IndexError):
        return 0


def _pss(pid: int) -> int:
    """PSS in kB from /proc/PID/smaps_rollup (pages shared between processes counted once; the kernel
    walks the process's pages to make it, so it is read less often)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class TreeMemory:
    """Samples the memory of a process (default: this one) and all its descendants, the RSS every 50 ms
    and the PSS every 250 ms; keeps the peak sums."""

    def __init__(self, root: int | None = None):
        self.root = root or os.getpid()
        self.peak_rss = self.peak_pss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        tick = 0
        while not self._stop.is_set():
            pids = _tree_pids(self.root)
            self.peak_rss = max(self.peak_rss, sum(map(_rss, pids)))
            if tick % 5 == 0:
                self.peak_pss = max(self.peak_pss, sum(map(_pss, pids)))
            tick += 1
            self._stop.wait(0.05)

    def __enter__(self) -> "TreeMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def _in_child(func, *args):
    """``func(*args)`` in a forked process (its memory is freed when it ends); returns its result."""
    with get_context("fork").Pool(1) as pool:
        return pool.apply(func, args)


# -- e-mail: ``send()`` in a process of its own, the SMTP server in another -------------------
def smtp_server(port: int, ready, done) -> None:
    """An SMTP server on loopback (aiosmtpd) that accepts every message; reports (messages, CPU seconds)."""
    from aiosmtpd.controller import Controller

    class Count:
        received = 0

        async def handle_DATA(self, server, session, envelope):
            Count.received += 1
            return "250 OK"

    controller = Controller(Count(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.send(True)
    ready.recv()
    controller.stop()
    done.send((Count.received, time.process_time()))


def email(n: int, seed: int, port: int, workers: int, out) -> None:
    """Bill ``n`` customers with an e-mail address and ``send()`` their invoices as ``ardesk send`` does;
    tells ``out`` when the send starts, then (seconds, documents sent, CPU seconds of this process)."""
    from ardesk.delivery.send import send
    wb = workbook(n, seed, emails=n)
    with tempfile.TemporaryDirectory() as tmp:
        out.send(("start", _rss(os.getpid())))
        t, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
        res = send(wb, Path(tmp), env={"ARDESK_SMTP_HOST": "127.0.0.1", "ARDESK_SMTP_PORT": str(port),
                                       "ARDESK_SMTP_SECURITY": "none"}, now=datetime(2026, 10, 2, 9),
                   workers=workers)
        elapsed, cpu, children = time.perf_counter() - t, time.process_time() - cpu, _children_cpu() - children
    assert res.ok and res.summary["documents_sent"] == n, res.summary["problems"][:3]
    out.send((elapsed, res.summary["documents_sent"], cpu, children))


def _children_cpu() -> float:
    """CPU seconds of this process's children that have ended (send's workers, once it returned)."""
    import resource
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_email(n: int, seed: int, workers: int) -> tuple:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    ctx = get_context("spawn")
    ready, ready_child = ctx.Pipe()
    done, done_child = ctx.Pipe()
    server = ctx.Process(target=smtp_server, args=(port, ready_child, done_child))
    server.start()
    ready.recv()
    result, result_child = get_context("fork").Pipe()
    sender = get_context("fork").Process(target=email, args=(n, seed, port, workers, result_child))
    sender.start()
    start, before = result.recv()
    assert start == "start"
    sampler = time.process_time()
    with TreeMemory(sender.pid) as mem:           # the sending process and its workers, not the server
        got = result.recv()
    sampler = time.process_time() - sampler
    sender.join()
    ready.send(True)
    received, server_cpu = done.recv()
    server.join()
    assert received == n, (received, n)
    return (*got, mem.peak_rss, mem.peak_pss, server_cpu, sampler, before)


def render(a) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "invoices.pickle"
        with TreeMemory() as prep_mem:
            t = time.perf_counter()
            offsets = _in_child(prepare, a.invoices, a.seed, path)
            prep_s = time.perf_counter() - t
        print(f"billed {a.invoices} customers in {prep_s:.1f} s (a process of its own, peak "
              f"{prep_mem.peak_rss / 1024:.0f} MB RSS)")
        _first[:] = offsets[:1]
        with TreeMemory() as full_mem:
            full_s, n, pages, size, full_cpu = _run(_full, path, offsets, a.workers)
        assert n == a.invoices
        print(f"rendered {n} invoices ({pages} pages, {size / 1e6:.0f} MB of PDF) with GiroCode and "
              f"checked Factur-X XML embedded, on {a.workers} worker process(es)")
        print(f"  full render          {full_s:8.1f} s   {n / full_s:7.1f} documents/s   (target >= 100)   "
              f"CPU {full_cpu / n * 1000:.1f} ms a document", flush=True)
        with TreeMemory() as bare_mem:
            bare_s, _, _, _, bare_cpu = _run(_bare, path, offsets, a.workers)
        print(f"  bare render          {bare_s:8.1f} s   {n / bare_s:7.1f} documents/s                    "
              f"CPU {bare_cpu / n * 1000:.1f} ms a document")
        print(f"  ratio full / bare    {full_s / bare_s:8.2f} elapsed, {full_cpu / bare_cpu:.2f} CPU    (target <= 1.5)")
        print(f"  load average while rendering {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; at the CPU "
              f"measured, {a.workers} free cores make {a.workers * n / full_cpu:.0f} documents/s", flush=True)
    render_peak = max(full_mem.peak_rss, bare_mem.peak_rss)
    print(f"  peak memory, whole process tree while rendering: {render_peak / 1024:.0f} MB RSS "
          f"({max(full_mem.peak_pss, bare_mem.peak_pss) / 1024:.0f} MB PSS)   (target < 500)", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--invoices", type=int, default=10_000, help="invoices to render (0: e-mail only)")
    ap.add_argument("--emails", type=int, default=1_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=8)
    a = ap.parse_args()
    if a.invoices:
        render(a)
    (mail_s, mailed, mail_cpu, workers_cpu, mail_rss, mail_pss, server_cpu, sampler,
     before) = run_email(a.emails, a.seed, a.workers)
    print(f"e-mailed {mailed} invoices through send() to an SMTP server on loopback (aiosmtpd, a process of "
          f"its own), {a.workers} worker process(es) issuing")
    print(f"  send                 {mail_s:8.1f} s   {mailed / mail_s:7.1f} documents/s   (target >= 100)   "
          f"issue, archive, mail, log")
    print(f"  CPU a document: workers {workers_cpu / mailed * 1000:.1f} ms, sending process "
          f"{mail_cpu / mailed * 1000:.1f} ms, SMTP server "
          f"{server_cpu / mailed * 1000:.1f} ms, this bench's memory sampling {sampler / mailed * 1000:.1f} ms")
    print(f"  peak memory, whole process tree of send (sending process and its workers): "
          f"{mail_rss / 1024:.0f} MB RSS ({mail_pss / 1024:.0f} MB PSS)   (target < 500); the sending process "
          f"held {before / 1024:.0f} MB with the workbook loaded before the send")
    print(f"  load average after the send {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
