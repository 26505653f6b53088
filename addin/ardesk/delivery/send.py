"""`ardesk send`: issue, archive and deliver documents, and log every delivery.

For each document of the chosen kind (invoices, credit notes, statements,
letters) and each of its recipients (every billing e-mail address; the post):

1. mark as ``bounced`` the messages the bounce reports in the bounce folder
   name (:mod:`.bounces`); skip what the Deliveries tab shows as delivered on
   that channel, unless a resend of that document was asked for; a failed
   delivery is tried again;
2. stop the document with a problem when its customer is on hold, has no
   e-mail and no postal address, an invalid e-mail, IBAN, RF or VAT ID, a name
   that looks like a formula, or its e-invoice breaks a rule;
3. issue it once: render, archive as NUMBER.pdf (and NUMBER.xml) in the
   documents folder with its SHA-256 on the Documents tab; later runs read the
   archived file and refuse one that was altered (the invoices and credit
   notes of a large run are issued and archived by worker processes while
   this one mails, :mod:`.workers`);
4. e-mail over one SMTP connection (or write .eml / Outlook drafts), and put
   the documents for the post into one print batch PDF, sorted by country,
   postcode and name, with a cover sheet for the mail room and blank back pages
   so every letter starts on a new sheet when printed duplex;
5. write the Documents and Deliveries rows (a message is "sent" only once the
   server accepted it), the problems on Exceptions, and an Audit line.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from itertools import chain
from typing import Any, Iterable, Iterator, Mapping, Sequence

from .. import schema
from ..core.model import Customer, Problem
from ..core.money import exponent, to_decimal
from ..core.periods import parse_period
from ..core.read import as_text
from ..documents.issue import Issued, Issuer, lines_by_invoice, problem
from ..documents.render import pages
from ..documents.settings import DocumentSettings, read_document_settings
from ..io import rows as out_rows
from ..io.port import Changes, WorkbookError, WorkbookPort
from . import archive, bounces, mail
from .workers import Workers, WorkersStopped, count as worker_count
from .journal import DeliveryJournal
from ..io.clerk import clerk_name as _user

KINDS = {"invoices": "invoice", "credit-notes": "credit note", "statements": "statement", "letters": "letter"}
DELIVERED = ("sent", "printed", "drafted")


@dataclass(frozen=True)
class Letter:
    """A letter to send (dunning makes them): customer, number, date, subject, paragraphs; optionally a table
    and totals after the paragraphs, closing paragraphs, more info lines, the total it states, and its own
    route (e-mail addresses, by post?) instead of the customer's Delivery choice."""
    customer_id: str
    number: str
    date: date
    subject: str
    paragraphs: tuple[str, ...]
    closing: tuple[str, ...] = ()
    table: dict | None = None
    totals: tuple = ()
    info: tuple = ()
    currency: str = ""
    total: int = 0
    route: tuple[list[str], bool] | None = None

    @property
    def extra(self) -> dict:
        """What the letter's document holds besides subject and paragraphs."""
        out: dict = {"closing": list(self.closing)} if self.closing else {}
        if self.table is not None:
            out["table"] = self.table
        if self.totals:
            out["totals"] = [list(t) for t in self.totals]
        return out


@dataclass
class SendResult:
    summary: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)
    written: bool = False
    print_batch: Path | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def channels(cust: Customer) -> tuple[list[str], bool]:
    """(e-mail addresses, by post?) for a customer's Delivery choice."""
    emails = mail.addresses(cust.email)
    pref = cust.delivery or ("email" if emails else "post")
    return (emails if pref in ("email", "email+post") else []), pref in ("post", "email+post")


def _ledger_rows(port: WorkbookPort, name: str) -> list[dict]:
    try:
        t = port.read_tables([name])[name]
    except (WorkbookError, KeyError):
        raise WorkbookError(f"the workbook has no {schema.TABLES[name].sheet} tab (table {name}): "
                            "add it with `ardesk init` on a new workbook and copy the tabs over") from None
    return [dict(zip(t.header, r)) for r in t.rows if not t.is_blank(r)]


def send(port: WorkbookPort, folder: Path | None, *, kind: str = "invoices", period: str | None = None,
         dry_run: bool = False, resend: Sequence[str] = (), now: datetime | None = None, user: str | None = None,
         env: Mapping[str, str] | None = None, letters: Sequence[Letter] = (), workers: int | None = None
         ) -> SendResult:
    """Deliver the documents of ``kind``.  Letters: the ones given, and the dunning letters on the
    DunningHistory tab (each made only when it still has somewhere to go).  ``workers``: processes
    issuing invoices and credit notes while this one mails (:mod:`.workers`; 0 or 1: none; default:
    one per core for a large run)."""
    from ..app import load
    now = now or datetime.now().replace(microsecond=0)
    user = user or _user()
    books = load(port)
    raw = port.read_settings()
    ds, problems = read_document_settings(raw, folder, env)
    problems = books.problems + problems
    for name, where in (("DocumentsFolder", ds.documents), ("BounceFolder", ds.bounces)):
        if where is None:               # blank or relative, on a workbook with no folder here
            text = str(raw.get(name) or "").strip()
            problems.append(Problem(f"{schema.SETTINGS_BY_NAME[name].label} ({name}) {text!r} is taken from the "
                                    "workbook's folder (blank: the one beside it), and this workbook has no folder "
                                    "here: give a full path", "Settings", None, name, text, "send"))
    summary: dict[str, Any] = {"command": "send", "kind": kind, "period": period, "dry_run": dry_run,
                               "documents_rendered": 0, "documents_sent": 0, "failed": 0,
                               "print_batch_pages": 0, "drafts": 0}
    if kind not in KINDS:
        problems.append(Problem(f"kind {kind!r}: use one of {', '.join(KINDS)}", step="send"))
    on_tabs = {t: _ledger_rows(port, t) for t in ("tblDocuments", "tblDeliveries")}
    disputes, p = _disputes(port, books) if kind == "statements" else ([], [])
    problems += p
    if problems and any(p.blocking for p in problems):
        return _finish(port, books.tables, summary, problems, Changes(), dry_run, now, user, None)
    changes = Changes()
    journal = DeliveryJournal(journal_folder(port, ds))
    adopted = journal.missing({t: [tuple(r.values()) for r in rows] for t, rows in on_tabs.items()})
    for table, rows in adopted.items():
        changes.append(table, rows)
        on_tabs[table] += [dict(zip(schema.TABLES[table].header, r)) for r in rows]
    if adopted:
        summary["adopted_from_journal"] = {schema.TABLES[t].sheet: len(r) for t, r in adopted.items()}
        counts = ", ".join(f"{len(r)} {schema.TABLES[t].sheet} row(s)" for t, r in adopted.items())
        problems.append(Problem(f"{journal.file}: {counts} of an earlier send that could not save the workbook "
                                "are added now; those deliveries are not made again", step="send", blocking=False))
    documents_log = {as_text(r["DocumentNo"]): r for r in on_tabs["tblDocuments"]}
    found, notes = bounces.read_folder(ds.bounces)
    rows, probs = bounces.bounced_rows(found, on_tabs["tblDeliveries"], now, user,
                                       {n: as_text(r["CustomerID"]) for n, r in documents_log.items()})
    changes.append("tblDeliveries", rows)
    problems += notes + probs
    summary["bounced"] = len(rows)
    delivered = {(as_text(r["DocumentNo"]), as_text(r["Channel"]), as_text(r["Address"]).lower())
                 for r in on_tabs["tblDeliveries"] if as_text(r["Status"]) in DELIVERED}
    printed = {doc for doc, ch, _ in delivered if ch == "post"}
    if ds.smtp.user and ds.smtp.password is None:
        ds = _with_keyring_password(ds)
    issuer = Issuer(ds, books.ledger, books.customers, lines=lines_by_invoice(books.tables["tblInvoiceLines"]),
                    disputes=disputes)
    dunned, p = _dunned(port, issuer) if kind == "letters" else ([], [])
    problems += p
    try:
        return _send(port, books, ds, issuer, kind, period, dry_run, set(resend), now, user, summary, problems,
                     documents_log, delivered, printed, letters, dunned, changes, None if dry_run else journal,
                     workers)
    finally:
        issuer.close()
        journal.close()


def journal_folder(port: WorkbookPort, ds: DocumentSettings) -> Path:
    """The run log folder beside a workbook file; the documents folder for a workbook that is not a file."""
    log = getattr(port, "log", None)
    return log().folder if callable(log) else ds.documents


def _disputes(port: WorkbookPort, books):
    """The Disputes rows, for the statements (none in a workbook without the tab)."""
    from ..core.collections.read import read_disputes
    try:
        table = port.read_tables(["tblDisputes"])["tblDisputes"]
    except (WorkbookError, KeyError):
        return [], []
    return read_disputes(table, books.ledger)


def _dunned(port: WorkbookPort, issuer: Issuer):
    """The dunning letters issued, as DunningHistory has them."""
    from ..core.collections.read import read_history
    from .letters import from_history
    try:
        table = port.read_tables(["tblDunningHistory"])["tblDunningHistory"]
    except (WorkbookError, KeyError):
        return [], [Problem("the workbook has no DunningHistory tab: no dunning letter was issued in it",
                            step="send")]
    history, problems = read_history(table)
    return from_history(history, issuer.lines), problems


def _with_keyring_password(ds: DocumentSettings) -> DocumentSettings:
    return replace(ds, smtp=replace(ds.smtp, password=mail.password_from_keyring(ds.smtp.user)))


def _candidates(books, ds: DocumentSettings, kind: str, period: str | None, now: datetime, letters, dunned):
    """What this kind of run would deliver: ('invoice', Invoice) ... in document order."""
    ledger = books.ledger
    if kind in ("invoices", "credit-notes"):
        want = KINDS[kind]
        month = parse_period(period) if period else None
        for inv in ledger.invoices:
            if inv.kind != want:
                continue
            if month and not (inv.period == period or month[0] <= inv.issue_date <= month[1]):
                continue
            yield inv.customer_id, inv.number, ("invoice", inv)
    elif kind == "statements":
        as_of = (parse_period(period)[1] if period else books.settings.as_of or now.date())
        start = date(as_of.year, as_of.month, 1)
        keys = sorted(set(ledger.by_customer) | {k for k, v in ledger.credit_pool.items() if v})
        for cid, cur in keys:
            yield cid, f"ST-{cid}-{cur}-{as_of.isoformat()}", ("statement", (cur, as_of, start))
    else:
        for letter in letters:
            yield letter.customer_id, letter.number, ("letter", letter)
        for d in dunned:
            if d.channel != "call task":            # a call is no document: the worklist holds it
                yield d.customer_id, d.letter_id, ("dunning letter", d)


def _send(port, books, ds, issuer: Issuer, kind, period, dry_run, resend, now, user, summary, problems,
          documents_log, delivered, printed, letters, dunned, changes: Changes, journal: DeliveryJournal | None,
          asked_workers: int | None) -> SendResult:
    from .letters import Templates
    customers = books.customers
    templates = Templates(ds.templates)
    by_post: list[Issued] = []
    deliveries: list[tuple] = []

    def planned() -> Iterator[tuple]:
        """What is still to deliver, in document order: (customer, number, what, item, e-mail addresses,
        by post?); a document that cannot go anywhere is a problem."""
        for cid, number, (what, item) in _candidates(books, ds, kind, period, now, letters, dunned):
            cust = customers.get(cid)
            if cust is None:
                problems.append(problem(None, number, f"customer {cid!r} is not on the Customers sheet"))
                continue
            emails, post = _route(what, item, cust)
            todo_mail = [a for a in emails if number in resend or (number, "email", a.lower()) not in delivered
                         and (number, "draft", a.lower()) not in delivered]
            todo_post = post and (number in resend or number not in printed)
            if not todo_mail and not todo_post:
                continue
            stop = stops(cust, number, emails, post)
            if stop:
                problems.extend(stop)
                continue
            yield cust, number, what, item, todo_mail, todo_post

    jobs = list(planned())
    n_workers = worker_count(asked_workers, len(jobs)) if kind in ("invoices", "credit-notes") else 0
    pool = Workers(ds, issuer.full_rules, n_workers) if n_workers else None

    def issued() -> Iterator[tuple[tuple, Issued | None, list[Problem], bool]]:
        """(job, document or None, problems, archived?) in document order: issued in the worker
        processes (which archive it) or here."""
        if pool is None:
            for job in jobs:
                cust, number, what, item = job[:4]
                yield job, *_issue(issuer, what, item, cust, number, ds, books, templates), False
            return
        folder = None if dry_run else ds.documents
        tasks = ((job, (issuer.with_lines(job[3]), job[0], issuer.preceding(job[3]),
                        None if job[1] in documents_log else folder)) for job in jobs)
        for job, doc, probs in pool.issue(tasks):
            yield job, doc, probs, True

    def for_mail() -> Iterator[tuple[Issued, list[str]]]:
        """Each document issued and archived in turn; those for the post are kept for the print batch,
        those for e-mail handed on one by one (a run holds no more than a few of their PDFs at a time)."""
        try:
            for (cust, number, _what, _item, todo_mail, todo_post), doc, probs, archived in issued():
                if doc is None:
                    problems.extend(probs)
                    continue
                summary["documents_rendered"] += 1
                if number in documents_log:
                    try:
                        rec = documents_log[number]
                        data = archive.read_checked(ds.documents, as_text(rec["File"]), as_text(rec["SHA256"]))
                        xml = (archive.read_checked(ds.documents, as_text(rec["XmlFile"]),
                                                    as_text(rec["XmlSHA256"])) if as_text(rec["XmlFile"]) else b"")
                    except archive.ArchiveError as exc:
                        problems.append(problem(cust, number, str(exc), "File", as_text(documents_log[number]["File"])))
                        continue
                    doc = replace(doc, pdf=data, xml=xml)
                elif not dry_run:
                    if not archived:
                        try:
                            archive.write_document(ds.documents, doc)
                        except archive.ArchiveError as exc:
                            problems.append(problem(cust, number, str(exc)))
                            continue
                    row = _document_row(doc, now)
                    changes.append("tblDocuments", [row])
                    if journal:
                        journal.record("tblDocuments", row)
                if todo_post:
                    by_post.append(doc)
                if todo_mail:
                    yield doc, todo_mail
        except WorkersStopped as exc:
            problems.append(Problem(f"{exc}: the documents after the last one issued wait for the next send",
                                    step="send"))

    def log(row: tuple) -> None:
        deliveries.append(row)
        if journal and row[5] in DELIVERED:
            journal.record("tblDeliveries", row)

    try:
        _deliver_mail(ds, for_mail(), customers, dry_run, now, user, summary, problems, log)
    finally:
        if pool is not None:
            pool.close()
    batch = _print_batch(issuer, ds, by_post, customers, kind, dry_run, now, user, summary, problems, log)
    changes.append("tblDeliveries", deliveries)
    if journal:
        journal.sync()
    result = _finish(port, books.tables, summary, problems, changes, dry_run, now, user, batch)
    if journal and result.written:
        journal.clear()                 # the workbook holds every row now
    return result


def stops(cust: Customer, number: str, emails: list[str], post: bool) -> list[Problem]:
    out = []
    who = f"customer {cust.id} ({cust.name})"
    if cust.status != "active":
        out.append(problem(cust, number, f"{who} is on {cust.status}: nothing is sent", "Status", cust.status))
    for a in emails:
        if not mail.valid_address(a):
            out.append(problem(cust, number, f"{who}: e-mail {a!r} is not an e-mail address", "Email", cust.email))
    if cust.delivery in ("email", "email+post") and not emails:
        out.append(problem(cust, number, f"{who} wants e-mail but has no e-mail address", "Email", cust.email))
    if post and not (cust.address and (cust.postal_code or cust.city)):
        out.append(problem(cust, number, f"{who} has no e-mail and no postal address (Address, PostalCode, City)",
                           "Address", cust.address))
    if cust.vat_id:
        from stdnum.eu import vat
        # EU VAT IDs are checked (country prefix and check digits); others are printed as typed
        if cust.vat_id[:2].lower() in vat.MEMBER_STATES | {"el", "xi"} and not vat.is_valid(cust.vat_id):
            out.append(problem(cust, number, f"{who}: VAT ID {cust.vat_id!r} is not valid", "VatID", cust.vat_id))
    return out


def _route(what: str, item, cust: Customer) -> tuple[list[str], bool]:
    """(e-mail addresses, by post?): a dunning letter's by its level's channel, else the customer's choice."""
    if what == "dunning letter":
        from .letters import route
        return route(item.channel, cust)
    if what == "letter" and item.route is not None:
        return item.route
    return channels(cust)


def _issue(issuer: Issuer, what: str, item, cust: Customer, number: str, ds, books, templates):
    if what == "invoice":
        return issuer.invoice(item)
    if what == "statement":
        cur, as_of, start = item
        return issuer.statement(cust, cur, as_of, start, books.settings.aging_buckets)
    if what == "dunning letter":
        from .letters import dunning_letter
        item, problems = dunning_letter(item, cust, books.ledger, ds, templates)
        if item is None:
            return None, problems
    return issuer.letter(cust, item.number, item.date, item.subject, list(item.paragraphs), extra=item.extra,
                         info=item.info, currency=item.currency, total=item.total)


def _document_row(doc: Issued, now: datetime) -> tuple:
    name = archive.safe_name(doc.number)
    return (doc.number, doc.kind, doc.customer_id, doc.date, doc.currency,
            to_decimal(doc.total, exponent(doc.currency)), f"{name}.pdf", doc.sha256,
            f"{name}.xml" if doc.xml else None, doc.xml_sha256 or None, doc.format or None, now)


def _mail_values(doc: Issued, cust: Customer, ds: DocumentSettings) -> dict:
    d = doc.data
    title = {"invoice": "Invoice", "credit note": "Credit note", "statement": "Statement", "letter": "Letter"}
    total = next((v for k, v, *_ in d.get("totals", ()) if k in ("total", "total_due")), "")
    return {"number": doc.number, "title": title[doc.kind], "title_lower": title[doc.kind].lower(),
            "company": ds.letterhead.name, "customer": cust.name, "date": dict(d["info"]).get("date", ""),
            "total": total, "reference": d.get("payment", {}).get("reference", ""), "subject": d.get("subject", "")}


def _messages(ds, documents: Iterable[tuple[Issued, list[str]]], customers, now, problems
              ) -> Iterator[mail.Outgoing]:
    for doc, emails in documents:
        cust = customers[doc.customer_id]
        template = ds.templates / f"mail-{doc.kind.replace(' ', '-')}.txt"
        if not template.is_file():
            template = ds.templates / ("mail-invoice.txt" if doc.kind == "credit note" else f"mail-{doc.kind}.txt")
        subject, body = mail.fill(template.read_text(encoding="utf-8"), _mail_values(doc, cust, ds))
        name = archive.safe_name(doc.number)
        files = [(f"{name}.pdf", doc.pdf, "application/pdf")]
        if doc.xml and doc.format != "factur-x":
            files.append((f"{name}.xml", doc.xml, "application/xml"))
        for address in emails:
            m = mail.build(doc.number, doc.kind, ds.letterhead.email, ds.letterhead.name, address, subject, body,
                           files, now)
            if m.size > ds.attachment_limit:
                problems.append(problem(cust, doc.number, f"the message to {address} is {m.size / 1048576:.1f} MB, "
                                        f"over the attachment limit of {ds.attachment_limit / 1048576:.1f} MB "
                                        "(Settings, AttachmentLimitMB)", "Email", address))
                continue
            yield m


def _deliver_mail(ds, documents, customers, dry_run, now, user, summary, problems, log) -> None:
    """E-mail each document as it comes (or draft it); every delivery goes to ``log`` as it happens."""
    outgoing = _messages(ds, documents, customers, now, problems)
    first = next(outgoing, None)
    if first is None:
        return
    pending = chain([first], outgoing)
    if dry_run:
        for _m in pending:
            pass
        return
    if ds.mail_mode in ("eml", "outlook"):
        for m in pending:
            try:
                if ds.mail_mode == "eml":
                    where = str(mail.write_eml(ds.documents / "drafts", m))
                else:
                    mail.outlook_draft(m)
                    where = m.recipient
            except (OSError, mail.MailError) as exc:
                problems.append(Problem(f"{m.document}: draft for {m.recipient} not made: {exc}", step="send"))
                log(_delivery(m, "draft", m.recipient, "failed", str(exc), now, user))
                summary["failed"] += 1
                continue
            log(_delivery(m, "draft", m.recipient, "drafted", where, now, user))
            summary["drafts"] += 1
        return
    sent_docs: set[str] = set()
    summary["messages_sent"] = 0
    try:
        for m, error in mail.send_batch(ds.smtp, pending):
            log(_delivery(m, "email", m.recipient, "failed" if error else "sent", error or "", now, user))
            if error:
                summary["failed"] += 1
                problems.append(Problem(f"{m.document}: the server did not accept the message to {m.recipient}: "
                                        f"{error}", step="send", blocking=False))
            else:
                sent_docs.add(m.document)
                summary["messages_sent"] += 1
    except mail.MailError as exc:
        waiting = 0
        for m in pending:
            log(_delivery(m, "email", m.recipient, "failed", str(exc), now, user))
            waiting += 1
        problems.append(Problem(f"{exc}; nothing was sent ({waiting} message(s) wait for the next run)",
                                "Settings", None, "SmtpHost", ds.smtp.host, "send"))
        summary["failed"] += waiting
    summary["documents_sent"] = len(sent_docs)


def _delivery(m: mail.Outgoing, channel: str, address: str, status: str, error: str, now, user) -> tuple:
    return (m.document, m.kind, channel, address, m.message_id, status,
            error if status == "failed" else None, now, user)


def _print_batch(issuer: Issuer, ds, post: list[Issued], customers, kind, dry_run, now, user, summary, problems,
                 log) -> Path | None:
    if not post:
        return None
    post.sort(key=lambda d: ((customers[d.customer_id].country or ds.letterhead.country).upper(),
                             customers[d.customer_id].postal_code, customers[d.customer_id].name, d.number))
    rows, by_customer = [], {}
    for d in post:
        by_customer.setdefault(d.customer_id, []).append(d)
    for i, (cid, docs) in enumerate(by_customer.items(), start=1):
        n = sum(d.pages for d in docs)
        sheets = sum((d.pages + 1) // 2 for d in docs)
        c = customers[cid]
        rows.append([str(i), f"{c.name} ({cid}), {c.postal_code} {c.city} {c.country}".strip(), str(len(docs)),
                     str(n), str(sheets), "1"])
    cover = {"title": f"{len(post)} document(s) for {len(by_customer)} customer(s), {kind}, {now:%Y-%m-%d %H:%M}",
             "rows": rows}
    try:
        pdf = issuer.renderer.render([d.data for d in post], now.date(), title=f"print batch {now:%Y-%m-%d}",
                                     author=ds.letterhead.name, cover=cover, duplex=True)
    except ValueError as exc:
        problems.append(Problem(f"print batch: {exc}", step="send"))
        return None
    summary["print_batch_pages"] = pages(pdf)
    if dry_run:
        return None
    path = archive.write_once(ds.documents / "print", f"print-{kind}-{now:%Y%m%d-%H%M%S}.pdf", pdf)
    summary["print_batch"] = str(path)
    for d in post:
        log((d.number, d.kind, "post", path.name, None, "printed", None, now, user))
    return path


def _finish(port, tables, summary, problems, changes: Changes, dry_run, now, user, batch) -> SendResult:
    from ..app import _replace_if_changed
    blocking = [p for p in problems if p.blocking]
    summary["problems"] = [str(p) for p in blocking]
    summary["notes"] = [str(p) for p in problems if not p.blocking]
    _replace_if_changed(changes, tables, "tblExceptions", schema.EXCEPTIONS.header, out_rows.exception_rows(problems))
    if changes.appends:
        changes.append("tblAudit", [(now, user, "send", f"send {summary['kind']}: {summary['documents_sent']} "
                                     f"sent, {summary['failed']} failed, {summary['print_batch_pages']} "
                                     "print page(s)")])
    summary["rows_added"] = changes.summary()
    written = False
    if not dry_run and not changes.is_empty():
        port.write(changes)
        written = True
    summary["written"] = written
    return SendResult(summary, blocking, written, batch)

