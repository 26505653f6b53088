"""Month-end steps run against a workbook port: the library's front door.

The CLI and the Excel buttons both call :func:`run`.  A run reads every table
it needs once, validates every input tab, runs the pure core steps in their
declared order, and hands the port one :class:`~ardesk.io.port.Changes`:

    validate -> bill -> receive -> reconcile -> report

When any step finds a blocking problem, only the Exceptions tab is written
(listing every problem with sheet, row, column and value) and no ledger row,
setting or report changes.  Tables whose new content equals what is there are
not rewritten, so a second identical run writes nothing at all.
"""
from __future__ import annotations

import gc
import os
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from . import schema
from .bank.sanitize import mask_card_numbers, mask_changes, mask_value, typed_card_numbers
from .core import read as rd
from .core.reports.aging import age
from .core.reports.paid import paid_invoices
from .core.billing.billing import bill as bill_period
from .core.ledger.journal import invoice_entry
from .core.ledger.ledger import Ledger
from .core.ledger.archive import read_carried
from .core.model import Problem, Settings
from .core.money import exponent, is_currency, to_decimal
from .core.periods import parse_period
from .core.cash import steps as cashapp
from .core.cash.accounting import Tally, account_files
from .core.collections import steps as collections
from .core.collections.dunning import proposal_rows
from .core.cash.receipts import from_receipts, from_statement, suspense_notes
from .core.ledger.journal import check_balanced
from .core.ledger.reconcile import reconcile as reconcile_books, subledger
from .core.reports import metrics as reports
from .io.port import Changes, Table, WorkbookError, WorkbookPort, column_letter, in_sheet_order
from .io import rows as out_rows
from .io.clerk import clerk_name as _user

COMMANDS = ("validate", "bill", "receive", "reconcile", "report", "month-end", "close", "apply-review", "deposit",
            "credit", "dunning", "issue-dunning", "plan", "card", "holds", "preview")
STEPS = {
    "validate": (),
    "bill": ("bill",),
    "receive": ("receive",),
    "reconcile": ("reconcile",),
    "report": ("reconcile", "report"),
    "month-end": ("bill", "receive", "reconcile", "report"),
    "close": ("reconcile", "close"),
    "apply-review": ("apply-review",),
    "deposit": ("deposit",),
    "preview": ("preview",),
    "credit": ("credit",),
    "dunning": ("dunning",),
    "issue-dunning": ("issue-dunning",),
    "plan": ("plan",),
    "card": ("card",),
    "holds": ("holds",),
}
# What the collections steps count, as the CLI and the buttons say it.
COLLECTIONS_COUNTS = (("credit_notes_issued", "credit note(s) issued"), ("write_offs", "write-off(s)"),
                      ("refunds", "refund(s)"), ("letters_proposed", "dunning letter(s) proposed"),
                      ("worklist", "customer(s) on the worklist"), ("letters_issued", "dunning letter(s) issued"),
                      ("charge_invoices", "charge invoice(s)"), ("call_tasks", "call task(s) on the worklist"),
                      ("plans_set_up", "payment plan(s) set up"),
                      ("plans_active", "plan(s) active"), ("promises_broken", "broken promise(s)"),
                      ("holds_proposed", "credit hold(s) proposed"), ("holds_confirmed", "credit hold(s) confirmed"),
                      ("customer", "customer card of"))
COLLECTIONS_COMMANDS = ("credit", "dunning", "issue-dunning", "plan", "card", "holds")
ALL_TABLES = ("tblCustomers", "tblCharges", "tblReceipts", "tblInvoices", "tblInvoiceLines", "tblPayments",
              "tblAllocations", "tblJournal", "tblExceptions", "tblAging", "tblSummary", "tblReconciliation")


@dataclass
class RunResult:
    command: str
    changes: Changes
    problems: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    written: bool = False
    deposit_slips: list = field(default_factory=list)      # slips made by the deposit command, for printing
    proof: list = field(default_factory=list)              # (invoice, customer) the preview showed, for the proof PDF
    letters: list = field(default_factory=list)            # dunning letters issued, for the document renderer

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class Books:
    """Everything read from the workbook for one run."""
    settings: Settings
    customers: dict
    charges: list
    receipts: list
    ledger: Ledger
    tables: dict[str, Table]
    problems: list[Problem]
    raw_settings: dict[str, Any] = field(default_factory=dict)


# report tabs and the archive's tabs, which older workbooks lack
OPTIONAL_TABLES = ("tblPaidInvoices", "tblAgingTotals", "tblTrends", "tblArchive", "tblArchiveTotals")


def load(port: WorkbookPort, tables: Sequence[str] = ALL_TABLES) -> Books:
    """Read and validate the whole workbook once (the optional report tables where there)."""
    raw = port.read_tables(tables)
    for name in OPTIONAL_TABLES:
        try:
            raw.update(port.read_tables((name,)))
        except WorkbookError:
            pass
    raw_settings = port.read_settings()
    settings, problems = rd.read_settings(raw_settings)
    customers, p = rd.read_customers(raw["tblCustomers"], settings, "validate")
    problems += p
    charges, p = rd.read_charges(raw["tblCharges"], customers, "validate", settings)
    problems += p
    receipts, p = rd.read_receipts(raw["tblReceipts"], settings, customers, "validate")
    problems += p
    invoices, p = rd.read_invoices(raw["tblInvoices"], None, "validate")
    problems += p
    payments, p = rd.read_payments(raw["tblPayments"], "validate")
    problems += p
    allocations, p = rd.read_allocations(raw["tblAllocations"], "validate")
    problems += p
    journal, p = rd.read_journal(raw["tblJournal"], "validate")
    problems += p
    ledger = Ledger(invoices, payments, allocations, journal, rd.billing_keys(raw["tblInvoiceLines"]),
                    read_carried(raw.get("tblArchive"), raw.get("tblArchiveTotals")))
    return Books(settings, customers, charges, receipts, ledger, raw, problems, raw_settings)


def _as_of(books: Books, period: str | None, as_of: date | None, today: date) -> date:
    if as_of:
        return as_of
    if period:
        return parse_period(period)[1]
    if books.settings.as_of:
        return books.settings.as_of
    if books.settings.period:
        return parse_period(books.settings.period)[1]
    return today


def too_big(path: str | Path, settings: Settings) -> Problem | None:
    """A bank or processor file over MaxBankFileMB, refused before it is read at all."""
    try:
        size = Path(path).stat().st_size
    except OSError as exc:
        return _file_problem(path, f"{path}: cannot be read ({exc.strerror or exc})")
    if size > settings.max_bank_file_mb * 1_000_000:
        return _file_problem(path, f"{path}: {size / 1e6:,.1f} MB is more than the largest bank file accepted "
                                   f"({settings.max_bank_file_mb} MB, Settings MaxBankFileMB); nothing was read. "
                                   "Ask the bank for one statement per period, or raise the limit.")
    return None


def implausible_lines(path: str | Path, st, settings: Settings) -> list[Problem]:
    """Bank lines dated far from the period, above MaxAmount, or in no ISO 4217 currency."""
    implausible = rd.Implausible(settings)
    bad = [_file_problem(path, f"{ln.source or path}, line {ln.line_no}: {why}") for ln in st.lines
           if (why := implausible(ln.booking_date, ln.amount, ln.currency))]
    bad += [_file_problem(path, f"{ln.source or path}, line {ln.line_no}: currency {ln.currency!r} is not an ISO "
                                "4217 code") for ln in st.lines if not is_currency(ln.currency, historic=True)]
    return bad


def read_bank_files(paths: Iterable[str | Path], fmt_name: str | None, currency: str, *,
                    strict_balances: bool = True, notes: list[Problem] | None = None, profile=None,
                    counted: Tally | None = None, settings: Settings | None = None
                    ) -> tuple[list, list[Problem], list[tuple[str, str, int]]]:
    """Bank lines of every file; a broken file is a problem, an importer's remark a note.

    Also returns (file, format, lines in it) per statement read, for the line accounting; a
    refused file's lines are counted where the importer could count them, and lines a file
    holds but does not book (camt PDNG) are counted refused in ``counted``.  A zip archive is
    read member by member (:func:`ardesk.bank.read_statements`).
    """
    from .bank import BankFileError, ProfileError, read_statements
    incoming, problems, files = [], [], []
    settings = settings or Settings(base_currency=currency)
    for p in paths:
        big = too_big(p, settings)
        if big:
            problems.append(big)
            files.append((Path(p).name, "refused", 0))
            continue
        try:
            statements = read_statements(p, fmt_name, currency=currency, strict_balances=strict_balances,
                                         profile=profile)
        except (BankFileError, ProfileError) as exc:
            problems.append(_file_problem(p, str(exc)))
            files.append((getattr(exc, "source", "") or Path(p).name, "refused", getattr(exc, "lines_read", 0)))
            continue
        bad = [b for st in statements for b in implausible_lines(p, st, settings)]
        if bad:
            problems += bad
            files += [(st.source, "refused", len(st.lines) + st.not_imported) for st in statements]
            continue
        for st in statements:
            files.append((st.source, st.format, len(st.lines) + st.not_imported))
            if counted is not None and st.not_imported:
                counted.count(st.source, "refused", st.not_imported)
            if notes is not None:
                notes.extend(_file_problem(p, m, blocking=False) for m in st.problems)
            incoming.extend(from_statement(st))
    return incoming, problems, files


def settings_profile(value: str, folder: Path | None) -> tuple[dict | None, list[Problem]]:
    """The clerk's CSV profiles from the file named on Settings (BankCsvProfile); a relative
    path is taken from the workbook's folder, and is a problem where the workbook has none here."""
    from .bank import ProfileError, load_profiles
    path = Path(os.path.expandvars(os.path.expanduser(value)))
    if not path.is_absolute():
        if folder is None:
            return None, [Problem(f"Bank CSV profile file is the relative path {value!r}, and this workbook has "
                                  "no folder here to take it from: give a full path", "Settings", None,
                                  "BankCsvProfile", value, "receive")]
        path = folder / path
    try:
        return load_profiles(path), []
    except ProfileError as exc:
        return None, [Problem(f"Bank CSV profile file: {exc}", "Settings", None, "BankCsvProfile", value,
                              "receive")]


def _file_problem(path: str | Path, message: str, blocking: bool = True) -> Problem:
    """A problem with a bank or processor file (not a sheet): the importer's message names the file."""
    return Problem(message, "", None, "", None, "receive", blocking=blocking)


def read_processor_files(paths: Iterable[str | Path], notes: list[Problem], files: list[tuple[str, str, int]],
                         settings: Settings = Settings()) -> tuple[list, list[Problem]]:
    from .bank import BankFileError, read_processor
    reports, problems = [], []
    for p in paths:
        big = too_big(p, settings)
        if big:
            problems.append(big)
            files.append((Path(p).name, "refused", 0))
            continue
        try:
            rep = read_processor(p)
        except BankFileError as exc:
            problems.append(_file_problem(p, str(exc)))
            files.append((exc.source or Path(p).name, "refused", exc.lines_read))
            continue
        notes.extend(_file_problem(p, m, blocking=False) for m in rep.problems)
        reports.append(rep)
        files.append((rep.source, rep.format, len(rep.transactions) + rep.rows_skipped))
    return reports, problems


@contextmanager
def collector_paused():
    """Pause Python's cyclic garbage collector for a run.

    A run builds hundreds of thousands of small, acyclic records (reference
    counting frees them); the cyclic collector would only rescan them over and
    over, which costs a big ledger a third of its time.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def run(port: WorkbookPort, command: str, **options: Any) -> RunResult:
    """Run a command (see COMMANDS) and write its changes unless ``dry_run``.

    Options: period, as_of, bank_files, bank_format, bank_profile (CsvProfiles by name), dry_run,
    now, user, progress, processor_files, lenient_balances, deposit_date, issue_date (the billing
    run's invoice date), workbook_folder (where a relative path on Settings is taken from),
    credit_request (a credit note, void, write-off or refund given on the command line), customer (the
    customer card's).
    """
    with collector_paused():
        result = _run(port, command, **options)
        if command == "close" and result.ok and not options.get("dry_run"):
            _archive_on_close(port, result, options)
        return result


@dataclass
class Run:
    """One run's working state: the books as read, and what its steps add."""
    command: str
    books: Books
    cash: Any
    now: datetime
    period: str | None
    report_date: date
    options: dict[str, Any]
    changes: Changes = field(default_factory=Changes)
    problems: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    invoices: list = field(default_factory=list)
    payments: list = field(default_factory=list)
    allocations: list = field(default_factory=list)
    journal: list = field(default_factory=list)
    audit: list[str] = field(default_factory=list)
    rec: Any = None
    slips: list = field(default_factory=list)
    proof: list = field(default_factory=list)
    collections: Any = None
    letters: list = field(default_factory=list)

    @property
    def ledger(self) -> Ledger:
        return self.books.ledger

    @property
    def settings(self) -> Settings:
        return self.books.settings

    def take(self, cres) -> None:
        """Gather what a cash-application step adds."""
        self.payments += cres.payments
        self.notes += cres.notes
        self.take_rows(cres)

    def take_rows(self, res) -> None:
        """The allocations, journal, audit lines, counts, appended rows and cell updates of a step's result."""
        self.allocations += res.allocations
        self.journal += res.journal
        self.audit += res.audit
        self.summary.update(res.counts)
        for table, rows in res.appends.items():
            self.changes.append(table, rows)
        for table, row, column, value in res.updates:
            self.changes.update(table, row, column, value)

    def replace_if_changed(self, name: str, header: Sequence[str], rows: list[tuple]) -> None:
        _replace_if_changed(self.changes, self.books.tables, name, header, rows)


def _inputs_hash(r: Run) -> str:
    from .delivery.proof import inputs_hash
    return inputs_hash(r.books.tables, r.books.raw_settings, r.ledger.invoice_by_no)


def step_bill(r: Run) -> None:
    res = bill_period(r.period, r.books.customers, r.books.charges, r.ledger, r.settings, r.options["issue_date"])
    r.problems += res.problems
    r.notes += res.notes
    if res.problems or not res.invoices:
        return
    if r.options.get("proof"):
        from .delivery.proof import stale_proof
        stale = stale_proof(r.options["proof"], r.period, _inputs_hash(r))
        if stale:
            r.problems.append(stale)
            return
    r.ledger.add_invoices(res.invoices)
    for inv in res.invoices:
        lines = invoice_entry(inv, r.ledger, r.settings)
        r.ledger.add_journal(lines)
        r.journal += lines
    r.invoices += res.invoices
    r.changes.names["NextInvoiceNumber"] = res.next_number
    r.summary["invoices_issued"] = len(res.invoices)
    r.audit.append(f"billed {r.period}: {len(res.invoices)} invoice(s) "
                   f"{res.invoices[0].number}..{res.invoices[-1].number}")


def step_receive(r: Run) -> None:
    o = r.options
    incoming, p = from_receipts(r.books.receipts, r.ledger)
    r.problems += p
    profile = o.get("bank_profile")
    if profile is None and r.settings.bank_csv_profile and o["bank_files"]:
        profile, p = settings_profile(r.settings.bank_csv_profile, o.get("workbook_folder"))
        r.problems += p
    counted = Tally()
    bank_in, p, files = read_bank_files(o["bank_files"], o["bank_format"], r.settings.base_currency,
                                        strict_balances=not o["lenient_balances"], notes=r.notes,
                                        profile=profile, counted=counted, settings=r.settings)
    r.problems += p
    reports_in, p = read_processor_files(o["processor_files"], r.notes, files, r.settings)
    r.problems += p
    if incoming:
        files.insert(0, ("Receipts", "Receipts tab", len(incoming)))
    r.summary["bank_formats"] = [f for _, f, _ in files if f not in ("refused", "Receipts tab")]
    r.summary.update(auto_posted=0, to_review=0)
    cres = None
    if not r.problems:
        cres = cashapp.receive(incoming, bank_in, reports_in, r.cash, r.ledger, r.books.customers, r.settings)
        r.problems += cres.problems
    if cres is not None:
        counted.merge(cres.by_source)
    accounts = account_files(files, counted, stopped=bool(r.problems))
    r.summary["files"] = [a.as_dict() for a in accounts]
    r.summary["file_accounting"] = [a.sentence() for a in accounts]
    if cres is not None and not cres.problems:
        r.take(cres)


def step_preview(r: Run) -> None:
    """The Proof tab: what Bill period would issue now, and what would stop each invoice's delivery."""
    from .delivery.proof import proof_rows
    from .documents.issue import Issuer
    from .documents.settings import read_document_settings
    res = bill_period(r.period, r.books.customers, r.books.charges, r.ledger, r.settings)
    r.problems += res.problems
    r.notes += res.notes
    if res.problems:
        return
    ds, problems = read_document_settings(r.books.raw_settings, r.options.get("workbook_folder"))
    r.problems += problems
    if problems:
        return
    issuer = Issuer(ds, r.ledger, r.books.customers, full_rules=True)      # a proof runs every CEN rule
    rows = proof_rows(res.invoices, r.books.customers, issuer, r.period, _inputs_hash(r))
    r.replace_if_changed("tblProof", schema.PROOF.header, rows)
    r.changes.titles["tblProof"] = (f"Proof of billing {r.period}: {len(rows)} invoice(s); "
                                    f"{sum(1 for x in rows if x[10])} with something that stops delivery")
    r.proof = [(inv, r.books.customers[inv.customer_id]) for inv in res.invoices]
    r.summary["invoices_previewed"] = len(rows)
    r.summary["delivery_stopped"] = sum(1 for x in rows if x[10])


def step_apply_review(r: Run) -> None:
    cres = cashapp.apply_review(r.cash, r.ledger, r.books.customers, r.settings, r.now.date())
    r.problems += cres.problems
    if not cres.problems:
        r.take(cres)


def step_deposit(r: Run) -> None:
    cres, r.slips = cashapp.deposit(r.cash, r.ledger, r.settings, r.options["deposit_date"] or r.now.date())
    r.take(cres)
    r.summary["deposit_slips"] = cashapp.slip_summaries(r.slips)


def step_reconcile(r: Run) -> None:
    start = date(r.report_date.year, r.report_date.month, 1)
    r.rec = rec = reconcile_books(r.ledger, r.settings, start, r.report_date)
    r.replace_if_changed("tblReconciliation", schema.RECONCILIATION.header, reports.reconciliation_rows(rec))
    r.changes.titles["tblReconciliation"] = f"AR reconciliation {start} to {r.report_date}"
    r.summary["journal_balanced"] = rec.journal_balanced
    r.summary["subledger_equals_control"] = rec.subledger_equals_control
    r.summary["roll_forward_balanced"] = all(x.balanced for x in rec.roll.values())


def step_close(r: Run) -> None:
    rec, end = r.rec, r.report_date
    if not rec.ok:
        r.problems.append(Problem(
            f"the books do not reconcile at {end} (journal balanced: {rec.journal_balanced}, subledger "
            f"equals control: {rec.subledger_equals_control}); fix the differences on the Reconciliation tab "
            "before closing", "Reconciliation", None, "", None, "close"))
    elif r.settings.locked_through is None or r.settings.locked_through < end:
        r.changes.names["LockedThrough"] = end
        r.audit.append(f"closed {r.period}: nothing may be posted on or before {end}")


def step_report(r: Run) -> None:
    s, end = r.settings, r.report_date
    aging = age(r.ledger, end, s.aging_buckets, s.aging_basis)
    paid = paid_invoices(r.ledger, end)
    header, rows = reports.aging_rows(aging, r.books.customers, paid)
    r.replace_if_changed("tblAging", header, rows)
    r.changes.titles["tblAging"] = (f"Aging as of {end} by {s.aging_basis} date "
                                    f"(days past {'due' if s.aging_basis == 'due' else 'invoice'} date)")
    r.replace_if_changed("tblSummary", schema.SUMMARY.header, reports.summary_rows(r.ledger, s, aging, r.rec))
    r.changes.titles["tblSummary"] = f"Month-end summary {r.rec.start} to {end}"
    if "tblPaidInvoices" in r.books.tables:
        r.replace_if_changed("tblPaidInvoices", schema.PAID_INVOICES.header,
                             reports.paid_rows(paid, r.books.customers))
        r.changes.titles["tblPaidInvoices"] = f"Invoices paid in full by {end}"
    else:
        r.notes.append(Problem("this workbook predates the Paid invoices tab: create a new one with `ardesk init` "
                               "and copy the tabs over to get it", "", None, "", None, "report", blocking=False))
    if "tblAgingTotals" in r.books.tables:
        r.replace_if_changed("tblAgingTotals", *reports.aging_total_rows(aging))
        r.changes.titles["tblAgingTotals"] = f"Open items by days past due, as of {end}"
    if "tblTrends" in r.books.tables:
        r.replace_if_changed("tblTrends", schema.TRENDS.header, reports.trend_rows(r.ledger, s, end))
        r.changes.titles["tblTrends"] = f"The 12 months to {end:%Y-%m}, in {s.base_currency}"


def _take_posting(r: Run, out) -> None:
    """Gather what a collections step adds."""
    r.problems += out.problems
    r.notes += out.notes
    if out.problems:
        return
    r.invoices += out.invoices
    r.take_rows(out)


def step_credit(r: Run) -> None:
    typed = r.options.get("credit_request")
    out, next_seq = collections.credit(r.collections, r.ledger, r.books.customers, r.settings,
                                       r.books.tables["tblInvoiceLines"], r.now.date(), typed)
    _take_posting(r, out)
    if not out.problems and next_seq != r.collections.settings.next_credit_note_number:
        r.changes.names["NextCreditNoteNumber"] = next_seq


def _dunning_date(r: Run) -> date:
    return r.options.get("as_of") or r.now.date()


def _waiting_on_review(r: Run) -> set[str]:
    return {row.customer_id or row.proposed_customer for row in r.cash.review
            if not row.status and (row.customer_id or row.proposed_customer)}


def _plans(r: Run, as_of: date, set_up: bool):
    """Where the payment plans stand (set up new ones with ``set_up``): customers on a plan, worklist signals."""
    out, next_no, on_plan, signals = collections.plans(r.collections, r.ledger, r.books.customers, r.settings,
                                                       as_of, set_up)
    _take_posting(r, out)
    if not out.problems and next_no != r.settings.next_invoice_number:
        r.changes.names["NextInvoiceNumber"] = next_no
    return on_plan, signals


def step_plan(r: Run) -> None:
    _plans(r, _dunning_date(r), set_up=True)


def step_card(r: Run) -> None:
    as_of = _dunning_date(r)
    rows, cid, problems = collections.card(r.collections, r.ledger, r.books.customers, r.settings, as_of,
                                           r.options.get("customer"))
    r.problems += problems
    if problems:
        return
    _replace_if_changed(r.changes, r.collections.tables, "tblCustomerCard", schema.CUSTOMER_CARD.header, rows)
    name = r.books.customers[cid].name
    r.changes.titles["tblCustomerCard"] = f"Customer {cid} {name} as of {as_of}"
    r.summary["customer"] = cid


def step_holds(r: Run) -> None:
    out = collections.holds(r.collections, r.ledger, r.books.customers, r.books.tables["tblCustomers"],
                            _dunning_date(r))
    _take_posting(r, out)


def _follow_ups(r: Run, as_of: date):
    """Customers not to dun today (on a plan, a pending promise) and the worklist's signals."""
    on_plan, signals = _plans(r, as_of, set_up=False)
    out, promised, more = collections.notes(r.collections, r.ledger, r.books.customers, as_of)
    _take_posting(r, out)
    return {**promised, **on_plan}, signals + more


def _letter_templates(books: Books, folder: Path | None) -> tuple[frozenset[str], str]:
    """The dunning letter templates of the templates folder (Settings, TemplatesFolder), and the folder."""
    from .delivery.letters import letter_templates
    from .documents.settings import read_document_settings
    ds, _problems = read_document_settings(books.raw_settings, folder)      # the documents' own run says those
    return letter_templates(ds.templates), str(ds.templates)


def step_dunning(r: Run) -> None:
    as_of = _dunning_date(r)
    on_plan, signals = _follow_ups(r, as_of)
    if r.problems:
        return
    props = collections.propose(r.collections, r.ledger, r.books.customers, r.settings, _waiting_on_review(r),
                                as_of, use_exclusions=False, on_plan=on_plan,
                                templates=_letter_templates(r.books, r.options.get("workbook_folder")))
    r.problems += props.problems
    r.notes += props.notes
    if props.problems:
        return
    _replace_if_changed(r.changes, r.collections.tables, "tblDunning", schema.DUNNING.header,
                        proposal_rows(props.letters, as_of))
    r.changes.titles["tblDunning"] = (f"Dunning proposals as of {as_of}: type x in Exclude to leave a row out, "
                                      "then Issue dunning")
    work = collections.worklist_table(props, r.collections, r.ledger, r.books.customers, as_of, signals)
    _replace_if_changed(r.changes, r.collections.tables, "tblCollections", schema.COLLECTIONS.header, work)
    r.changes.titles["tblCollections"] = f"Collections worklist for {as_of}, most urgent first"
    r.summary["worklist"] = len(work)
    r.summary.update(letters_proposed=len(props.letters), items_proposed=sum(len(L.items) for L in props.letters))


def step_issue_dunning(r: Run) -> None:
    proposed = collections.proposals_date(r.collections)
    as_of = r.options.get("as_of") or proposed
    if proposed is None or as_of != proposed:
        r.problems.append(Problem(
            "no dunning proposals to issue: run Dunning run first and review the Dunning tab" if proposed is None
            else f"the Dunning tab holds the proposals as of {proposed}, not {as_of}: run Dunning run as of "
                 f"{as_of} and review them first", "Dunning", None, "AsOf", proposed, "dunning"))
        return
    on_plan, signals = _follow_ups(r, as_of)
    if r.problems:
        return
    props = collections.propose(r.collections, r.ledger, r.books.customers, r.settings, _waiting_on_review(r),
                                as_of, use_exclusions=True, on_plan=on_plan,
                                templates=_letter_templates(r.books, r.options.get("workbook_folder")))
    out, issued, next_no, rows = collections.issue(r.collections, props, r.ledger, r.books.customers, r.settings,
                                                   as_of)
    _take_posting(r, out)
    if out.problems:
        return
    r.letters = issued
    if next_no != r.settings.next_invoice_number:
        r.changes.names["NextInvoiceNumber"] = next_no
    if issued:
        # what is left to do today: the letters are out (`ardesk send --kind letters`), the calls they ask for
        # are on the worklist
        left = replace(props, letters=[], history=collections.dn.History(r.collections.history + rows))
        signals += collections.call_tasks(rows, {})
        work = collections.worklist_table(left, r.collections, r.ledger, r.books.customers, as_of, signals)
        _replace_if_changed(r.changes, r.collections.tables, "tblCollections", schema.COLLECTIONS.header, work)
        r.changes.titles["tblCollections"] = f"Collections worklist for {as_of} after Issue dunning"
        r.summary["worklist"] = len(work)


# Each step's function; a command runs its steps (STEPS) in this order, stopping at the first problem.
STEP_FUNCTIONS: dict[str, Callable[[Run], None]] = {
    "bill": step_bill, "receive": step_receive, "apply-review": step_apply_review, "deposit": step_deposit,
    "reconcile": step_reconcile, "close": step_close, "report": step_report, "preview": step_preview,
    "credit": step_credit, "dunning": step_dunning, "issue-dunning": step_issue_dunning, "plan": step_plan,
    "card": step_card, "holds": step_holds,
}


def _run(port: WorkbookPort, command: str, *, period: str | None = None, as_of: date | None = None,
         bank_files: Sequence[str | Path] = (), bank_format: str | None = None, dry_run: bool = False,
         now: datetime | None = None, user: str | None = None,
         progress: Callable[[str], None] | None = None, processor_files: Sequence[str | Path] = (),
         lenient_balances: bool = False, deposit_date: date | None = None,
         issue_date: date | None = None, bank_profile=None, workbook_folder: Path | None = None,
         credit_request=None, customer: str | None = None) -> RunResult:
    if command not in STEPS:
        raise ValueError(f"unknown command {command!r}; use one of {', '.join(COMMANDS)}")
    now = now or datetime.now().replace(microsecond=0)
    tick = progress or (lambda _s: None)
    if hasattr(port, "command"):
        port.command = command              # named in the run log
    tick("read")
    books = load(port)
    period = period or books.settings.period or None
    report_date = _as_of(books, period if command in ("month-end", "close") else None, as_of, now.date())
    books = with_archive(port, books, report_date)
    r = Run(command, books, cashapp.load_cashapp(port), now, period, report_date,
            dict(bank_files=bank_files, bank_format=bank_format, processor_files=processor_files,
                 lenient_balances=lenient_balances, deposit_date=deposit_date, issue_date=issue_date,
                 bank_profile=bank_profile, workbook_folder=workbook_folder,
                 as_of=as_of, credit_request=credit_request, customer=customer,
                 proof=_proof_rows(port) if "bill" in STEPS[command] else None))
    r.problems += books.problems + r.cash.problems
    r.problems += _books_check(port)
    if command in COLLECTIONS_COMMANDS:
        r.collections = collections.load_collections(port, books.ledger)
        r.problems += r.collections.problems
    elif command == "validate":
        cb = collections.load_collections(port, books.ledger)
        if cb.tables:
            r.problems += cb.problems + collections.check_tabs(cb, books.ledger, books.customers, books.settings,
                                                               _letter_templates(books, workbook_folder))
        else:                       # a workbook from before the collections tabs: said, not refused
            r.notes += [replace(p, blocking=False) for p in cb.problems]
    edits, p, notes = collections.customer_changes(port, books.tables["tblCustomers"], now, user or _user())
    r.problems += p
    r.notes += notes
    if edits:
        r.changes.append("tblCustomerHistory", edits)
        r.audit.append(f"recorded {len(edits)} change(s) to Customers")
    r.summary.update(command=command, invoices_issued=0, receipts_posted=0, lines_read=0, duplicates_skipped=0,
                     debits_ignored=0, suspense=0, credits_applied=0)
    ar_before = _ar_by_currency(r.ledger)
    steps = STEPS[command]
    if ("bill" in steps or "close" in steps or "preview" in steps) and not period:
        r.problems.append(Problem("no period given: pass --period YYYY-MM or fill Current period on Settings",
                                  "Settings", None, "Period", None, "bill"))
    for name in steps:
        if r.problems:
            break
        tick(name)
        STEP_FUNCTIONS[name](r)
    tick("finish")
    r.problems += _missing_update_columns(port, r.changes) if not r.problems else []
    _finish(r, ar_before, user, _typed_card_numbers(port, r) if not r.problems else ())
    return _write(port, r, RunResult(command, r.changes, r.problems, r.notes, r.summary,
                                     deposit_slips=[] if r.problems else r.slips,
                                     letters=[] if r.problems else r.letters,
                                     proof=[] if r.problems else r.proof), dry_run, tick)


def _write(port: WorkbookPort, r: Run, result: RunResult, dry_run: bool,
           tick: Callable[[str], None] = lambda _s: None) -> RunResult:
    """Write the run's changes in one go, unless a dry run or there is nothing to write."""
    r.summary["dry_run"] = dry_run
    mask_changes(r.changes)
    if "tblAudit" in r.changes.appends:
        _anchor_audit(r, port)
    if not dry_run and not r.changes.is_empty():
        tick("write")
        port.write(r.changes)
        result.written = True
    r.summary["written"] = result.written
    return result


def import_books(port: WorkbookPort, customers_file: str | Path, invoices_file: str | Path, *,
                 fmt: str = "generic", mapping: str | Path | None = None, opening_date: date | None = None,
                 dry_run: bool = False, now: datetime | None = None, user: str | None = None) -> RunResult:
    """Bring in customers and open items from another system's exports (see core.onboarding.opening).

    Raises ExportFileError when a file cannot be read at all; problems in its rows stop the run with
    every one listed (file, row, column, value) and only Exceptions written."""
    from .core.onboarding.layouts import LAYOUTS
    from .core.onboarding.opening import plan_import
    from .io.exports import ExportFileError, read_export, read_mapping
    if fmt == "generic":
        if mapping is None:
            raise ExportFileError("--format generic needs --mapping FILE naming the export's columns")
        layout = read_mapping(mapping)
    elif fmt in LAYOUTS:
        layout = LAYOUTS[fmt] if mapping is None else read_mapping(mapping)
    else:
        raise ExportFileError(f"format {fmt!r}: use quickbooks, xero or generic")
    cust, invs = read_export(customers_file), read_export(invoices_file)
    now = now or datetime.now().replace(microsecond=0)
    books = load(port)
    r = Run("import", books, cashapp.load_cashapp(port), now, None, now.date(), {})
    r.problems += books.problems
    r.problems += _books_check(port)
    ar_before = _ar_by_currency(r.ledger)
    plan = None
    if not r.problems:
        plan = plan_import(cust, invs, layout, books.customers, r.ledger, r.settings, opening_date)
        r.problems += plan.problems
    if plan is not None and not r.problems:
        r.invoices += plan.invoices
        r.journal += plan.journal
        r.ledger.add_invoices(plan.invoices)
        r.ledger.add_journal(plan.journal)
        r.changes.append("tblCustomers", [out_rows.customer_row(c) for c in plan.customers])
        if plan.invoices or plan.customers:
            r.audit.append(f"imported from {cust.source} and {invs.source} ({layout.name}): "
                           f"{len(plan.customers)} customer(s), {len(plan.invoices)} open item(s) as of "
                           f"{plan.opening_date}")
        r.summary.update(plan.counts)
    r.summary.update(command="import", invoices_issued=0, receipts_posted=0, format=layout.name,
                     opening_date=str(plan.opening_date) if plan and plan.opening_date else None,
                     check=plan.checks if plan else [])
    _finish(r, ar_before, user)
    return _write(port, r, RunResult("import", r.changes, r.problems, r.notes, r.summary), dry_run)


def _finish(r: Run, ar_before: dict[str, int], user: str | None, typed_pans: Sequence[tuple] = ()) -> None:
    """The run's summary, notes and changes, once its steps are done (or stopped); a run that posts masks
    the card numbers typed on input tabs (``typed_pans``, see :func:`_typed_card_numbers`)."""
    ledger, settings, summary = r.ledger, r.settings, r.summary
    # Balances for the summary: the run's final state, or the untouched books when it stopped.
    ar = ar_before if r.problems else _ar_by_currency(ledger)
    summary["ar_balance"] = {c: str(to_decimal(v, exponent(c))) for c, v in sorted(ar.items())}
    if "journal_balanced" not in summary:       # commands without a reconcile step still say so
        control, _others, balanced = ledger.journal_totals(settings.account("AR"), (), None)
        summary["journal_balanced"] = balanced or not check_balanced(ledger.journal)
        summary["subledger_equals_control"] = {k: v for k, v in control.items() if v} == subledger(ledger)
    summary["period"] = r.period
    summary["as_of"] = r.report_date.isoformat()
    if r.problems:
        # Nothing is posted: only the list of problems is written.
        r.changes = Changes()
        r.replace_if_changed("tblExceptions", schema.EXCEPTIONS.header,
                             out_rows.exception_rows(r.problems + r.notes))
        summary.update(invoices_issued=0, receipts_posted=0)
    else:
        # the state a clerk must act on, listed by every run alike
        r.notes += suspense_notes(ledger)
        r.notes += cashapp.review_notes(r.cash, r.changes)
        # the same count as the Exceptions note: this run's new rows and older ones
        summary["review_waiting"] = cashapp.review_waiting(r.cash, r.changes)
        ch = r.changes
        _posted_receipt_formats(r.books.receipts, ch)
        ch.append("tblInvoices", [out_rows.invoice_row(i) for i in r.invoices])
        ch.append("tblInvoiceLines", [out_rows.line_row(ln) for i in r.invoices for ln in i.lines])
        ch.append("tblPayments", [out_rows.payment_row(p) for p in r.payments])
        ch.append("tblAllocations", [out_rows.allocation_row(a) for a in r.allocations])
        ch.append("tblJournal", [out_rows.journal_row(j) for j in r.journal])
        r.replace_if_changed("tblExceptions", schema.EXCEPTIONS.header, out_rows.exception_rows(r.notes))
        _mask_typed(r, typed_pans)
        if ch.appends or ch.names or typed_pans:
            ch.append("tblAudit", [(r.now, user or _user(), r.command, "; ".join(r.audit) or r.command)])
    # what the clerk is shown (Exceptions, the click's message, the command's summary) never holds a card number
    r.problems = [replace(p, message=mask_card_numbers(p.message), value=mask_value(p.value)) for p in r.problems]
    r.notes = [replace(p, message=mask_card_numbers(p.message), value=mask_value(p.value)) for p in r.notes]
    summary["problems"] = [str(p) for p in r.problems]
    summary["notes"] = [str(p) for p in r.notes]
    summary["rows_added"] = r.changes.summary()


def _typed_card_numbers(port: WorkbookPort, r: Run) -> list[tuple]:
    """Card numbers a clerk typed into the input tabs (every column), as the cells to mask."""
    tables = {n: r.books.tables[n] for n, t in schema.TABLES.items() if t.role == "input" and n in r.books.tables}
    for name in (n for n, t in schema.TABLES.items() if t.role == "input" and n not in tables):
        try:
            tables.update(port.read_tables([name]))
        except WorkbookError:           # a workbook from before that tab
            continue
    return typed_card_numbers(tables, ACCOUNT_COLUMNS)


# Columns of input tabs that hold bank account numbers: not masked (see README, Card numbers).
ACCOUNT_COLUMNS = {"tblCustomers": ("BankAccount",)}


def _mask_typed(r: Run, typed_pans: Sequence[tuple]) -> None:
    """Mask typed card numbers to their last four digits, naming on Audit the cells, never the number."""
    if not typed_pans:
        return
    stamped = {(t, row, col) for t, cells in r.changes.updates.items() for row, col, _v in cells}
    cells = []
    for name, sheet, row, col_no, column, masked in typed_pans:
        if (name, row, column) not in stamped:
            r.changes.update(name, row, column, masked)
        cells.append(f"{sheet} {column_letter(col_no)}{row}")
    shown = ", ".join(cells[:20]) + (f" and {len(cells) - 20} more" if len(cells) > 20 else "")
    r.audit.append(f"masked the card numbers typed in {len(cells)} cell(s) to their last four digits: {shown}")


def _proof_rows(port: WorkbookPort) -> list[dict]:
    """The Proof tab's rows, or none for a workbook made before it existed."""
    from .io.port import WorkbookError
    try:
        t = port.read_tables(["tblProof"])["tblProof"]
    except (WorkbookError, KeyError):
        return []
    return [dict(zip(t.header, row)) for row in t.rows if not t.is_blank(row)]


def _posted_receipt_formats(receipts: list, changes: Changes) -> None:
    """A receipt row stamped as posted shows its amount with the booked currency's decimals
    (1000.6 typed for JPY shows 1,001, as booked); what the clerk typed is left as typed."""
    by_row = {rc.row: rc for rc in receipts}
    for rownum, column, _value in changes.updates.get("tblReceipts", ()):
        if column == "PaymentID" and rownum in by_row:
            changes.number_format("tblReceipts", rownum, "Amount", schema.money_format(by_row[rownum].currency))


def _books_check(port: WorkbookPort) -> list[Problem]:
    """Lost posts and edited ledger rows, where the port keeps a run log and hash chains (the file adapter)."""
    check_books = getattr(port, "check_books", None)
    return check_books() if check_books is not None else []


def _missing_update_columns(port: WorkbookPort, changes: Changes) -> list[Problem]:
    """A column ardesk stamps (the PaymentID of a posted receipt...) that a clerk deleted stops the run."""
    if not changes.updates:
        return []
    tables = port.read_tables(list(changes.updates))
    out = []
    for name, cells in changes.updates.items():
        t = tables[name]
        for column in sorted({c for _r, c, _v in cells} - set(t.header)):
            out.append(Problem(f"the column {column} is missing from the table {name}: ardesk writes there what "
                               "it posted, so the row is never posted twice. Put the column back (`ardesk init` "
                               "makes a workbook with the layout)", t.sheet, None, column, None, "receive"))
    return out


def _anchor_audit(r: Run, port: WorkbookPort) -> None:
    """Name the chain head of every ledger after this run in its Audit row (see core/ledger/chain.py);
    the run's changes are masked (``_write``)."""
    from .io import runlog
    from .core.ledger.chain import LEDGERS
    known = getattr(port, "ledger_states", None)        # the file adapter has them from its check
    before = known() if known is not None else None
    if before is None:
        tables = dict(r.books.tables)
        try:
            tables.update(port.read_tables([t for t in LEDGERS if t not in tables]))
        except WorkbookError:           # a workbook without the newer tabs: anchor what there is
            pass
        before = runlog.ledger_states(tables)
    at, user, command, summary = r.changes.appends["tblAudit"][-1]
    r.changes.appends["tblAudit"][-1] = (at, user, command, f"{summary}; {runlog.anchor(before, r.changes, masked=True)}")


def _ar_by_currency(ledger: Ledger) -> dict[str, int]:
    ar: dict[str, int] = {}
    for (_customer, currency), left in subledger(ledger).items():
        ar[currency] = ar.get(currency, 0) + left
    return ar



def _replace_if_changed(changes: Changes, tables: dict[str, Table], name: str, header: Sequence[str],
                        rows: list[tuple]) -> None:
    current = tables.get(name)
    if current is not None and out_rows.same_content(current, header, rows):
        return
    changes.replace[name] = (tuple(header), rows)


def deposit_slips_on_file(port: WorkbookPort) -> list:
    """Every slip on the Deposits tab, rebuilt from its rows and the Payments, for printing (again)."""
    from .core.cash.deposits import slips_on_file
    books = load(port)
    return slips_on_file(books.ledger, cashapp.load_cashapp(port).deposits)


# -- archiving settled history (core/ledger/archive.py decides, io/archive.py writes the two files) -----
class _Joined:
    """A read-only port over tables already read: the live books joined with their archive."""

    def __init__(self, tables: dict[str, Table], settings: dict[str, Any]):
        self.tables, self.settings = tables, settings

    def read_tables(self, names: Sequence[str]) -> dict[str, Table]:
        missing = [n for n in names if n not in self.tables]
        if missing:
            raise WorkbookError(f"no table {missing[0]}")
        return {n: self.tables[n] for n in names}

    def read_settings(self) -> dict[str, Any]:
        return self.settings


def with_archive(port: WorkbookPort, books: Books, report_date: date) -> Books:
    """The books joined with the archive workbook when a report reaches back before the archive's cutoff
    (its month starts before the first day kept live); else the books as read."""
    carried = books.ledger.carried
    path = getattr(port, "path", None)
    if carried is None or date(report_date.year, report_date.month, 1) >= carried.before:
        return books
    if path is None:            # Excel: the archive is another file, which only the command line opens
        books.problems.append(Problem(
            f"reports for {report_date} reach back before {carried.before}, into the archive workbook: run "
            f"`ardesk report WORKBOOK --as-of {report_date}` on the file", "Archive", None, "Before",
            carried.before, "report"))
        return books
    from .io import archive as arcfile
    archived = arcfile.read_archive(arcfile.archive_path(path, books.raw_settings.get("ArchiveFile")),
                                    books.tables.get("tblArchive"))
    return load(_Joined(arcfile.joined(books.tables, archived), books.raw_settings))


def archive_books(port, before: date, *, dry_run: bool = False, now: datetime | None = None,
                  user: str | None = None) -> RunResult:
    """Move what was settled before ``before`` to the archive workbook (see core/ledger/archive.py).

    Refused (problems, nothing written) when the books do not verify or reconcile, when ``before`` is not
    the first of a month inside the locked periods, or before an earlier archive.  Archiving again with
    the same date moves nothing."""
    with collector_paused():
        return _archive_books(port, before, dry_run, now, user)


def _archive_books(port, before: date, dry_run: bool, now: datetime | None, user: str | None) -> RunResult:
    from .core.ledger import archive as arc
    from .core.ledger import chain
    from .io import archive as arcfile
    from .io import runlog
    now = now or datetime.now().replace(microsecond=0)
    books = load(port)
    problems = books.problems + _books_check(port)
    summary: dict[str, Any] = {"command": "archive", "before": before.isoformat(), "dry_run": dry_run,
                               "written": False, "moved": {}}
    plan = None
    carried = books.ledger.carried
    if not problems and (carried is None or before > carried.before):     # else: archived already, moves nothing
        cutoff = before - timedelta(days=1)
        rec = reconcile_books(books.ledger, books.settings, date(cutoff.year, cutoff.month, 1), cutoff)
        if not rec.ok:
            problems.append(Problem(f"the books do not reconcile at {cutoff}: fix the differences on the "
                                    "Reconciliation tab before archiving", "Reconciliation", None, "", None,
                                    "archive"))
    if not problems:
        plan = arc.plan(books.tables, books.ledger, books.settings, before, books.ledger.carried, books.receipts)
        problems += plan.problems
        summary["moved"] = plan.counts()
    path = arcfile.archive_path(port.path, books.raw_settings.get("ArchiveFile"))
    summary["archive"] = str(path)
    summary["problems"] = [str(p) for p in problems]
    result = RunResult("archive", Changes(), problems, [], summary)
    if problems or plan is None or plan.empty or dry_run:
        return result
    ledgers = port.ledger_tables()
    before_states = runlog.states_of(runlog.ledger_rows({t: ledgers[t] for t in arc.MOVED}))
    states, sha = arcfile.write_archive(path, plan, books.tables.get("tblArchive"), now, port.path.name)
    ch = Changes()
    for t in arc.MOVED:
        header = books.tables[t].header
        rows = list(plan.kept[t])
        if t == "tblJournal":
            rows += in_sheet_order(t, header, [out_rows.journal_row(j) for j in plan.carried])
        ch.replace[t] = (header, rows)
    if plan.moved.get(arc.RECEIPTS):
        ch.replace[arc.RECEIPTS] = (books.tables[arc.RECEIPTS].header, list(plan.kept[arc.RECEIPTS]))
    ch.append("tblArchive", arc.link_rows(now, before, path.name, sha, plan, before_states, states))
    ch.append("tblArchiveTotals", plan.totals)
    after = arcfile.live_states(ledgers, ch)
    anchor = chain.anchor_text({t: chain.state([c for _n, c, _r in rows]) for t, rows in after.items()})
    counts = ", ".join(f"{k} {v}" for k, v in plan.counts().items())
    audit = (now, user or _user(), "archive", f"archived before {before} to {path.name}: {counts}; {anchor}")
    ch.append("tblAudit", [audit])
    after["tblAudit"].append((0, runlog.canon(audit), audit))
    about = {"before": before.isoformat(), "file": path.name, "sha256": sha,
             "tables": {t: {"before": before_states[t].to_json(), "archive": states[t].to_json(),
                            "moved": len(plan.moved[t]), "where": arc.runs(plan.flags[t])} for t in arc.MOVED}}
    if plan.moved.get(arc.RECEIPTS):
        about["receipts"] = {"moved": len(plan.moved[arc.RECEIPTS]), "where": arc.runs(plan.flags[arc.RECEIPTS])}
    port.write_rebased(ch, after, about)
    summary.update(written=True, archive_sha256=sha)
    return result


def _archive_on_close(port, result: RunResult, options: dict[str, Any]) -> None:
    """After a close, archive what was settled before the last N months (Settings, ArchiveAfterMonths)."""
    from .core.periods import add_months
    keep = port.read_settings().get("ArchiveAfterMonths")
    if keep in (None, ""):
        return
    if not hasattr(port, "write_rebased"):        # the archive is another file: the command line writes it
        note = Problem(f"Archive on close is set to {keep} month(s): archiving writes the archive workbook beside "
                       "this one, so run `ardesk archive` on the file (closing from Excel does not archive)",
                       "Settings", None, "ArchiveAfterMonths", keep, "close", blocking=False)
        result.notes.append(note)
        result.summary.setdefault("notes", []).append(str(note))
        return
    try:
        months = rd.as_int(keep)
        if months < 1:
            raise ValueError
    except ValueError:
        result.problems.append(Problem(f"Archive on close, keeping (months) is {keep!r}: a whole number of "
                                       "months, 1 or more (blank: never archive on close)", "Settings", None,
                                       "ArchiveAfterMonths", keep, "close"))
        return
    end = date.fromisoformat(result.summary["as_of"])
    before = add_months(date(end.year, end.month, 1), 1 - months)
    res = archive_books(port, before, now=options.get("now"), user=options.get("user"))
    result.problems += res.problems
    result.summary["archive"] = res.summary
