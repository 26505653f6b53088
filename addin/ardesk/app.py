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
import getpass
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from . import schema
from .core import read as rd
from .core.aging import age
from .core.billing import bill as bill_period
from .core.journal import invoice_entry
from .core.ledger import Ledger
from .core.matching import MatchIndex
from .core.model import Problem, ProblemsFound, Settings
from .core.money import exponent, fmt, to_decimal
from .core.periods import parse_period, period_of
from .core.cashapp import steps as cashapp
from .core.receipts import apply_credits, from_receipts, from_statement, post_receipts, suspense_notes
from .core.reconcile import reconcile as reconcile_books
from .core import reports
from .io.port import Changes, Table, WorkbookPort
from .io import rows as out_rows

COMMANDS = ("validate", "bill", "receive", "reconcile", "report", "month-end", "close", "apply-review", "deposit")
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
}
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


def load(port: WorkbookPort, tables: Sequence[str] = ALL_TABLES) -> Books:
    """Read and validate the whole workbook once."""
    raw = port.read_tables(tables)
    settings, problems = rd.read_settings(port.read_settings())
    customers, p = rd.read_customers(raw["tblCustomers"], settings, "validate")
    problems += p
    charges, p = rd.read_charges(raw["tblCharges"], customers, "validate")
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
    ledger = Ledger(invoices, payments, allocations, journal, rd.billing_keys(raw["tblInvoiceLines"]))
    return Books(settings, customers, charges, receipts, ledger, raw, problems)


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


def read_bank_files(paths: Iterable[str | Path], fmt_name: str | None, currency: str, *,
                    strict_balances: bool = True, notes: list[Problem] | None = None
                    ) -> tuple[list, list[Problem], list[str]]:
    """Bank lines of every file; a broken file is a problem, an importer's remark a note."""
    from .bank import BankFileError, read_statement
    incoming, problems, formats = [], [], []
    for p in paths:
        try:
            st = read_statement(p, fmt_name, currency=currency, strict_balances=strict_balances)
        except BankFileError as exc:
            problems.append(_file_problem(p, str(exc)))
            continue
        formats.append(st.format)
        if notes is not None:
            notes.extend(_file_problem(p, m, blocking=False) for m in st.problems)
        incoming.extend(from_statement(st))
    return incoming, problems, formats


def _file_problem(path: str | Path, message: str, blocking: bool = True) -> Problem:
    """A problem with a file, named once: the importers' messages already start with the file name."""
    name = Path(path).name
    prefix = f"{name}: "
    while message.startswith(prefix):
        message = message[len(prefix):]
    return Problem(message, name, None, "", None, "receive", blocking=blocking)


def read_processor_files(paths: Iterable[str | Path], notes: list[Problem]) -> tuple[list, list[Problem]]:
    from .bank import BankFileError, read_processor
    reports, problems = [], []
    for p in paths:
        try:
            rep = read_processor(p)
        except BankFileError as exc:
            problems.append(_file_problem(p, str(exc)))
            continue
        notes.extend(_file_problem(p, m, blocking=False) for m in rep.problems)
        reports.append(rep)
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

    Options: period, as_of, bank_files, bank_format, dry_run, now, user,
    progress, processor_files, lenient_balances, deposit_date.
    """
    with collector_paused():
        return _run(port, command, **options)


def _run(port: WorkbookPort, command: str, *, period: str | None = None, as_of: date | None = None,
        bank_files: Sequence[str | Path] = (), bank_format: str | None = None, dry_run: bool = False,
        now: datetime | None = None, user: str | None = None,
        progress: Callable[[str], None] | None = None, processor_files: Sequence[str | Path] = (),
        lenient_balances: bool = False, deposit_date: date | None = None) -> RunResult:
    if command not in STEPS:
        raise ValueError(f"unknown command {command!r}; use one of {', '.join(COMMANDS)}")
    now = now or datetime.now().replace(microsecond=0)
    tick = progress or (lambda _s: None)
    tick("read")
    books = load(port)
    settings, ledger = books.settings, books.ledger
    problems = [p for p in books.problems]
    notes: list[Problem] = []
    changes = Changes()
    period = period or settings.period or None
    summary: dict[str, Any] = {"command": command, "invoices_issued": 0, "receipts_posted": 0,
                               "lines_read": 0, "duplicates_skipped": 0, "debits_ignored": 0,
                               "suspense": 0, "credits_applied": 0}
    steps = STEPS[command]
    cash = cashapp.load_cashapp(port)
    problems += cash.problems
    ar_before = _ar_by_currency(ledger)
    if ("bill" in steps or "close" in steps) and not period:
        problems.append(Problem("no period given: pass --period YYYY-MM or fill Current period on Settings",
                                "Settings", None, "Period", None, "bill"))
    new_invoices, new_payments, new_allocs, new_journal = [], [], [], []
    audit: list[str] = []

    if not problems and "bill" in steps:
        tick("bill")
        res = bill_period(period, books.customers, books.charges, ledger, settings)
        problems += res.problems
        notes += res.notes
        if not res.problems and res.invoices:
            entries = []
            ledger.add_invoices(res.invoices)
            for inv in res.invoices:
                lines = invoice_entry(inv, ledger, settings)
                ledger.add_journal(lines)
                entries.extend(lines)
            new_invoices += res.invoices
            new_journal += entries
            changes.names["NextInvoiceNumber"] = res.next_number
            summary["invoices_issued"] = len(res.invoices)
            audit.append(f"billed {period}: {len(res.invoices)} invoice(s) "
                         f"{res.invoices[0].number}..{res.invoices[-1].number}")

    if not problems and "receive" in steps:
        tick("receive")
        incoming, p = from_receipts(books.receipts, ledger)
        problems += p
        bank_in, p, formats = read_bank_files(bank_files, bank_format, settings.base_currency,
                                              strict_balances=not lenient_balances, notes=notes)
        problems += p
        reports_in, p = read_processor_files(processor_files, notes)
        problems += p
        summary["bank_formats"] = formats
        summary.update(auto_posted=0, to_review=0)
        if not problems:
            cres = cashapp.receive(incoming, bank_in, reports_in, cash, ledger, books.customers, settings)
            problems += cres.problems
            if not cres.problems:
                _take(cres, changes, new_payments, new_allocs, new_journal, audit, notes, summary)

    if not problems and "apply-review" in steps:
        tick("apply-review")
        cres = cashapp.apply_review(cash, ledger, books.customers, settings, now.date())
        problems += cres.problems
        if not cres.problems:
            _take(cres, changes, new_payments, new_allocs, new_journal, audit, notes, summary)

    if not problems and "deposit" in steps:
        tick("deposit")
        cres, slips = cashapp.deposit(cash, ledger, settings, deposit_date or now.date())
        _take(cres, changes, new_payments, new_allocs, new_journal, audit, notes, summary)
        summary["deposit_slips"] = cashapp.slip_summaries(slips)
    else:
        slips = []

    report_date = _as_of(books, period if command in ("month-end", "close") else None, as_of, now.date())
    rec = None
    if not problems and "reconcile" in steps:
        tick("reconcile")
        start = date(report_date.year, report_date.month, 1)
        rec = reconcile_books(ledger, settings, start, report_date)
        rows = reports.reconciliation_rows(rec)
        _replace_if_changed(changes, books.tables, "tblReconciliation", schema.RECONCILIATION.header, rows)
        changes.titles["tblReconciliation"] = f"AR reconciliation {start} to {report_date}"
        summary["journal_balanced"] = rec.journal_balanced
        summary["subledger_equals_control"] = rec.subledger_equals_control
        summary["roll_forward_balanced"] = all(r.balanced for r in rec.roll.values())

    if not problems and "close" in steps:
        tick("close")
        if not rec.ok:
            problems.append(Problem(
                f"the books do not reconcile at {report_date} (journal balanced: {rec.journal_balanced}, subledger "
                f"equals control: {rec.subledger_equals_control}); fix the differences on the Reconciliation tab "
                "before closing", "Reconciliation", None, "", None, "close"))
        elif settings.locked_through is None or settings.locked_through < report_date:
            changes.names["LockedThrough"] = report_date
            audit.append(f"closed {period}: nothing may be posted on or before {report_date}")

    if not problems and "report" in steps:
        tick("report")
        aging = age(ledger, report_date, settings.aging_buckets, settings.aging_basis)
        header, rows = reports.aging_rows(aging, books.customers)
        _replace_if_changed(changes, books.tables, "tblAging", header, rows)
        changes.titles["tblAging"] = (f"Aging as of {report_date} by {settings.aging_basis} date "
                                      f"(days past {'due' if settings.aging_basis == 'due' else 'invoice'} date)")
        srows = reports.summary_rows(ledger, settings, aging, rec)
        _replace_if_changed(changes, books.tables, "tblSummary", schema.SUMMARY.header, srows)
        changes.titles["tblSummary"] = f"Month-end summary {rec.start} to {report_date}"

    # Balances for the summary: the run's final state, or the untouched books when it stopped.
    ar = ar_before if problems else _ar_by_currency(ledger)
    summary["ar_balance"] = {c: str(to_decimal(v, exponent(c))) for c, v in sorted(ar.items())}
    if "journal_balanced" not in summary:
        from .core.journal import check_balanced
        summary["journal_balanced"] = not check_balanced(ledger.journal)
        control = ledger.control_balances(settings.account("AR"))
        sub: dict[tuple[str, str], int] = {}
        for inv, left in ledger.open_items(None):
            sub[(inv.customer_id, inv.currency)] = sub.get((inv.customer_id, inv.currency), 0) + left
        summary["subledger_equals_control"] = ({k: v for k, v in control.items() if v} == sub)
    summary["period"] = period
    summary["as_of"] = report_date.isoformat()

    if not problems:
        # the state a clerk must act on, listed by every run alike
        notes += suspense_notes(ledger)
        notes += cashapp.review_notes(cash, changes)
    if problems:
        # Nothing is posted: only the list of problems is written.
        changes = Changes()
        _replace_if_changed(changes, books.tables, "tblExceptions", schema.EXCEPTIONS.header,
                            out_rows.exception_rows(problems + notes))
        summary.update(invoices_issued=0, receipts_posted=0)
    else:
        changes.append("tblInvoices", [out_rows.invoice_row(i) for i in new_invoices])
        changes.append("tblInvoiceLines", [out_rows.line_row(ln) for i in new_invoices for ln in i.lines])
        changes.append("tblPayments", [out_rows.payment_row(p) for p in new_payments])
        changes.append("tblAllocations", [out_rows.allocation_row(a) for a in new_allocs])
        changes.append("tblJournal", [out_rows.journal_row(j) for j in new_journal])
        _replace_if_changed(changes, books.tables, "tblExceptions", schema.EXCEPTIONS.header,
                            out_rows.exception_rows(notes))
        if changes.appends or changes.names:
            changes.append("tblAudit", [(now, user or _user(), command, "; ".join(audit) or command)])
    summary["problems"] = [str(p) for p in problems]
    summary["notes"] = [str(p) for p in notes]
    summary["rows_added"] = changes.summary()
    summary["dry_run"] = dry_run
    result = RunResult(command, changes, problems, notes, summary, deposit_slips=[] if problems else slips)
    if not dry_run and not changes.is_empty():
        tick("write")
        port.write(changes)
        result.written = True
    summary["written"] = result.written
    return result


def _take(cres, changes: Changes, payments: list, allocs: list, journal: list, audit: list[str],
          notes: list[Problem], summary: dict[str, Any]) -> None:
    """Gather what a cash-application step adds into the run's lists and changes."""
    payments += cres.payments
    allocs += cres.allocations
    journal += cres.journal
    audit += cres.audit
    notes += cres.notes
    summary.update(cres.counts)
    for table, rows in cres.appends.items():
        changes.append(table, rows)
    for table, row, column, value in cres.updates:
        changes.update(table, row, column, value)


def _ar_by_currency(ledger: Ledger) -> dict[str, int]:
    ar: dict[str, int] = {}
    for inv, left in ledger.open_items(None):
        ar[inv.currency] = ar.get(inv.currency, 0) + left
    return ar


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return ""


def _replace_if_changed(changes: Changes, tables: dict[str, Table], name: str, header: Sequence[str],
                        rows: list[tuple]) -> None:
    current = tables.get(name)
    if current is not None and out_rows.same_content(current, header, rows):
        return
    changes.replace[name] = (tuple(header), rows)


def check(result: RunResult) -> RunResult:
    """Raise ProblemsFound when a run stopped on problems (for callers that prefer exceptions)."""
    if result.problems:
        raise ProblemsFound(result.problems)
    return result
