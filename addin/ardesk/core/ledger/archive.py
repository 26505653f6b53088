"""Archiving settled history: what moves to the archive workbook, what stays, and what is carried forward.

A workbook's ledgers only grow, and every run reads them whole.  Closing off a
period (``before``: the first day that stays live, always the first of a month,
and only inside periods already locked) moves the items nothing can touch any
more into an archive workbook of the same layout:

- a *document* (an invoice, a credit note, a payment) is settled by the cutoff
  (the day before ``before``) when it was dated by then, owes nothing by then
  (an invoice fully paid or credited; a payment wholly applied, nothing left as
  customer credit or in suspense) and no allocation after the cutoff names it;
- documents joined by an allocation move together or not at all, with those
  allocations and the invoices' lines: a payment that paid one settled and one
  open invoice stays live with both;
- a journal entry moves when all its lines are dated by the cutoff; in its
  place one entry dated ``before`` brings forward the balance of every account
  per currency (AR per customer too), so the trial balance and the AR control
  per customer are what they were;
- a typed receipt on the Receipts tab moves with the payment it was posted as
  (its PaymentID): the clerk's tab keeps the receipts not yet posted and those
  whose payments are still live.  It was posted in a closed period, so nothing
  can post it again, and it is kept, in its order, on the archive's Receipts tab.

What stays behind is recorded in the live workbook and in the run log: per
ledger, the rows moved, the rows the archive then holds and the hash chain head
over them (:mod:`.chain`), the chain state of the ledger before archiving and
where the moved rows stood (:func:`runs`, :func:`interleave` puts them back);
and per currency and month the totals a report needs from before ``before``
(:class:`Carried`): sales and receipts moved, AR control and open items at each
month's end, and the highest numbers moved so no number is used twice.

Pure: tables and the ledger in, rows out.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Sequence

from ... import schema
from ..model import JournalLine, Problem, Receipt
from ..money import exponent, to_decimal, to_minor
from ..periods import add_months, month_end
from ..read import as_date, as_text
from . import chain
from .ledger import Ledger, _seq
from .reconcile import subledger

# The ledgers that archiving thins out; every other ledger (Audit, Deposits, ...) stays whole.
MOVED = ("tblInvoices", "tblInvoiceLines", "tblPayments", "tblAllocations", "tblJournal")
RECEIPTS = "tblReceipts"       # an input tab: its posted rows move with their payments (no hash chain)
BROUGHT_FORWARD = "brought forward"      # DocType of the entry that carries balances over an archive
STEP = "archive"


@dataclass(frozen=True)
class Carried:
    """What the live workbook keeps of archived months (from the Archive and ArchiveTotals tabs).

    ``sales``/``collected``: per (currency, first of month) the invoices and receipts moved (added to
    what is still live); ``closing_ar``/``open_ar``: per (currency, month end) the AR control and the
    open items as they were before archiving; ``numbers``: the highest invoice and credit note numbers
    moved; ``last_ids``: per id prefix (PAY, AL, JE) the highest sequence moved."""
    before: date | None = None
    sales: dict[tuple[str, date], int] = field(default_factory=dict)
    collected: dict[tuple[str, date], int] = field(default_factory=dict)
    closing_ar: dict[tuple[str, date], int] = field(default_factory=dict)
    open_ar: dict[tuple[str, date], int] = field(default_factory=dict)
    numbers: tuple[str, ...] = ()
    last_ids: dict[str, int] = field(default_factory=dict)

    def sales_of(self, currency: str) -> dict[date, int]:
        return {m: v for (c, m), v in self.sales.items() if c == currency}

    def collected_of(self, currency: str) -> dict[date, int]:
        return {m: v for (c, m), v in self.collected.items() if c == currency}


@dataclass
class ArchivePlan:
    before: date
    moved: dict[str, list[tuple]] = field(default_factory=dict)     # raw rows to the archive, in order
    kept: dict[str, list[tuple]] = field(default_factory=dict)      # raw rows that stay, in order
    flags: dict[str, list[bool]] = field(default_factory=dict)      # per non-blank row as read: moved?
    carried: list[JournalLine] = field(default_factory=list)        # the brought-forward entry
    totals: list[tuple] = field(default_factory=list)               # ArchiveTotals rows
    last_ids: dict[str, str] = field(default_factory=dict)          # table -> the highest id moved
    problems: list[Problem] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(self.moved.values())

    def counts(self) -> dict[str, int]:
        return {schema.TABLES[t].sheet: len(rows) for t, rows in self.moved.items()}


def check_before(before: date, locked_through: date | None, last_before: date | None) -> list[Problem]:
    """``before`` must be the first of a month inside the locked periods."""
    out = []
    if before.day != 1:
        out.append(Problem(f"--before {before}: archive up to the start of a month (e.g. "
                           f"{date(before.year, before.month, 1)}), so monthly reports keep whole months",
                           "", None, "before", before, STEP))
    elif locked_through is None or before - timedelta(days=1) > locked_through:
        out.append(Problem(f"--before {before}: only closed periods are archived, and the periods are locked "
                           f"through {locked_through or 'no date yet'}; close the period ending "
                           f"{before - timedelta(days=1)} first (`ardesk close`)", "Settings", None,
                           "LockedThrough", locked_through, STEP))
    if last_before is not None and before < last_before:
        out.append(Problem(f"--before {before}: the books are already archived up to {last_before}; an "
                           "archive only moves on", "Archive", None, "Before", before, STEP))
    return out


def _nonblank(t) -> list[tuple]:
    return [tuple(r) for r in t.rows if not t.is_blank(r)]


def plan(tables: dict[str, Any], ledger: Ledger, settings, before: date, carried: Carried | None = None,
         receipts: Sequence[Receipt] = ()) -> ArchivePlan:
    """What archiving up to ``before`` moves, keeps and carries forward.

    ``tables``: the five ledgers as read (:data:`MOVED`, ``Table`` objects) and the Receipts tab,
    ``ledger`` and ``receipts`` the same parsed (without problems: the caller validated them).  Rows
    keep their order on both sides."""
    cutoff = before - timedelta(days=1)
    out = ArchivePlan(before)
    out.problems += check_before(before, settings.locked_through, carried.before if carried else None)
    if out.problems:
        return out
    documents = _settled_documents(ledger, cutoff)
    inv_rows, line_rows = _nonblank(tables["tblInvoices"]), _nonblank(tables["tblInvoiceLines"])
    pay_rows, alloc_rows = _nonblank(tables["tblPayments"]), _nonblank(tables["tblAllocations"])
    jrows = _nonblank(tables["tblJournal"])
    moving_allocs = {a.id for a in ledger.allocations if _moves(a, documents, cutoff)}
    key = {t: tables[t].header.index(c) for t, c in (("tblInvoices", "InvoiceNo"), ("tblInvoiceLines", "InvoiceNo"),
                                                    ("tblPayments", "PaymentID"), ("tblAllocations", "AllocationID"))}
    flags = {
        "tblInvoices": [as_text(r[key["tblInvoices"]]) in documents for r in inv_rows],
        "tblInvoiceLines": [as_text(r[key["tblInvoiceLines"]]) in documents for r in line_rows],
        "tblPayments": [as_text(r[key["tblPayments"]]) in documents for r in pay_rows],
        "tblAllocations": [as_text(r[key["tblAllocations"]]) in moving_allocs for r in alloc_rows],
        "tblJournal": _moving_lines(ledger, cutoff),
    }
    rows = {"tblInvoices": inv_rows, "tblInvoiceLines": line_rows, "tblPayments": pay_rows,
            "tblAllocations": alloc_rows, "tblJournal": jrows}
    for t in MOVED:
        if len(flags[t]) != len(rows[t]):       # the parse dropped a row: never guess which
            out.problems.append(Problem(f"{schema.TABLES[t].sheet} has rows that could not be read; run "
                                        "`ardesk validate` and fix them before archiving", schema.TABLES[t].sheet,
                                        None, "", None, STEP))
            return out
        out.flags[t] = flags[t]
        out.moved[t] = [r for r, f in zip(rows[t], flags[t]) if f]
        out.kept[t] = [r for r, f in zip(rows[t], flags[t]) if not f]
    if tables.get(RECEIPTS) is not None:
        t = tables[RECEIPTS]
        moving = moving_receipts(receipts, documents)
        typed = [(t.first_row + i, tuple(r)) for i, r in enumerate(t.rows) if not t.is_blank(r)]
        out.flags[RECEIPTS] = [n in moving for n, _r in typed]
        out.moved[RECEIPTS] = [r for n, r in typed if n in moving]
        out.kept[RECEIPTS] = [r for n, r in typed if n not in moving]
    if out.empty:
        return out
    moved_lines = [ln for ln, f in zip(ledger.journal, flags["tblJournal"]) if f]
    out.carried = brought_forward(moved_lines, ledger, settings, before)
    if out.carried is None:
        out.carried = []
        out.problems.append(Problem(f"the journal lines dated up to {cutoff} do not balance per currency, so "
                                    "no balance can be brought forward; reconcile before archiving", "Journal",
                                    None, "", None, STEP))
        return out
    out.totals = month_totals(ledger, settings, before, documents, carried)
    inv_moved = [i for i in ledger.invoices if i.number in documents]
    for kind in ("invoice", "credit note"):
        mine = [i.number for i in inv_moved if i.kind == kind]
        if mine:
            out.last_ids[f"tblInvoices:{kind}"] = max(mine, key=_seq)
    for t, ids in (("tblPayments", [p.id for p in ledger.payments if p.id in documents]),
                   ("tblAllocations", list(moving_allocs))):
        if ids:
            out.last_ids[t] = max(ids, key=_seq)
    return out


def moving_receipts(receipts: Sequence[Receipt], documents: set[str]) -> set[int]:
    """The Receipts rows (sheet row numbers) that move: posted as a payment that moves, and not one of
    identical rows of which any stays.  A typed receipt's fingerprint counts the identical rows above
    it (:func:`~ardesk.core.cash.receipts.receipt_fingerprint`); moving such rows all or none keeps
    every remaining row's fingerprint what it was."""
    from ..cash.receipts import receipt_key
    groups: dict[str, list[Receipt]] = defaultdict(list)
    for r in receipts:
        groups[receipt_key(r)].append(r)
    return {r.row for rows in groups.values() if all(x.payment_id in documents for x in rows) for r in rows}


def _settled_documents(ledger: Ledger, cutoff: date) -> set[str]:
    """Invoice numbers and payment ids that move: settled by the cutoff, with everything they are joined to."""
    late: set[str] = set()
    for a in ledger.allocations:
        if a.date > cutoff:
            late.update(d for d in (a.payment_id, a.invoice_no) if d)
    residue = set(ledger.suspense) | {slot[0] for pool in ledger.credit_pool.values() for slot in pool}
    candidate = {i.number for i in ledger.invoices
                 if i.issue_date <= cutoff and ledger.open_amount(i.number) == 0 and i.number not in late}
    candidate |= {p.id for p in ledger.payments if p.date <= cutoff and p.id not in late and p.id not in residue}
    candidate -= residue
    # documents joined by an allocation move together: a component with one open member stays whole
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x
    for a in ledger.allocations:
        docs = [d for d in (a.payment_id, a.invoice_no) if d]
        for d in docs:
            find(d)
        if len(docs) == 2:
            parent[find(docs[0])] = find(docs[1])
    blocked = {find(d) for d in parent if d not in candidate}
    return {d for d in candidate if find(d) not in blocked}


def _moves(a, documents: set[str], cutoff: date) -> bool:
    docs = [d for d in (a.payment_id, a.invoice_no) if d]
    return bool(docs) and a.date <= cutoff and all(d in documents for d in docs)


def _moving_lines(ledger: Ledger, cutoff: date) -> list[bool]:
    """Per journal line as read: does it move (its whole entry is dated by the cutoff)?"""
    late = {ln.entry_id for ln in ledger.journal if ln.date > cutoff}
    return [ln.entry_id not in late for ln in ledger.journal]


def brought_forward(lines: Sequence[JournalLine], ledger: Ledger, settings, before: date
                    ) -> list[JournalLine] | None:
    """One entry dated ``before`` with the balance of ``lines`` per account and currency (AR per customer).

    None when the lines do not balance per currency."""
    ar = settings.account("AR")
    bal: dict[tuple[str, str, str], int] = defaultdict(int)
    names: dict[str, str] = {}
    for ln in lines:
        bal[(ln.account, ln.currency, ln.customer_id if ln.account == ar else "")] += ln.debit - ln.credit
        names[ln.account] = ln.account_name or names.get(ln.account, "")
    per_cur: dict[str, int] = defaultdict(int)
    for (_a, cur, _c), v in bal.items():
        per_cur[cur] += v
    if any(per_cur.values()):
        return None
    entry = ledger.next_id("JE")
    out = []
    for (acct, cur, cid), v in sorted(bal.items()):
        if v:
            out.append(JournalLine(entry, len(out) + 1, before, acct, max(v, 0), max(-v, 0), cur, cid,
                                   BROUGHT_FORWARD, f"ARC-{before}",
                                   f"balance brought forward from before {before} (archived)", names[acct]))
    return out


def month_totals(ledger: Ledger, settings, before: date, documents: set[str], carried: Carried | None
                 ) -> list[tuple]:
    """ArchiveTotals rows: per currency and month before ``before``, the sales and receipts moved, and
    (for months not carried by an earlier archive) AR control and open items at the month's end."""
    sales: dict[tuple[str, date], int] = defaultdict(int)
    coll: dict[tuple[str, date], int] = defaultdict(int)
    for i in ledger.invoices:
        if i.number in documents:           # net credit sales, as the reports count them: credit notes too
            sales[(i.currency, date(i.issue_date.year, i.issue_date.month, 1))] += i.total
    for p in ledger.payments:
        if p.id in documents:
            coll[(p.currency, date(p.date.year, p.date.month, 1))] += p.amount
    starts = [i.issue_date for i in ledger.invoices] + [p.date for p in ledger.payments]
    if not starts:
        return []
    first = date(min(starts).year, min(starts).month, 1)
    if carried is not None and carried.before is not None:
        first = min(first, carried.before)
    ar = settings.account("AR")
    currencies = sorted({c for c, _m in sales} | {c for c, _m in coll} | {i.currency for i in ledger.invoices})
    rows = []
    m = first
    while m < before:
        end = month_end(m)
        full = carried is None or carried.before is None or m >= carried.before
        control = ledger.account_balance(ar, end) if full else {}
        open_items: dict[str, int] = defaultdict(int)
        if full:
            for (_c, cur), v in subledger(ledger, end).items():
                open_items[cur] += v
        for cur in currencies:
            e = exponent(cur)
            row = (before, cur, f"{m:%Y-%m}", to_decimal(sales.get((cur, m), 0), e),
                   to_decimal(coll.get((cur, m), 0), e),
                   to_decimal(control.get(cur, 0), e) if full else None,
                   to_decimal(open_items.get(cur, 0), e) if full else None)
            if any(v for v in row[3:]) or full:
                rows.append(row)
        m = add_months(m, 1)
    return rows


def read_carried(archive, totals) -> Carried | None:
    """The Carried totals from the Archive and ArchiveTotals tables as read (None: never archived)."""
    if archive is None or not [r for r in archive.rows if not archive.is_blank(r)]:
        return None
    a = {h: i for i, h in enumerate(archive.header)}
    befores, numbers, last_ids = [], [], {}
    for r in archive.rows:
        if archive.is_blank(r):
            continue
        befores.append(as_date(r[a["Before"]]))
        last = str(r[a["LastID"]] or "").split()
        if r[a["Table"]] == schema.INVOICES.sheet:
            numbers += last
        for ident in last if r[a["Table"]] != schema.INVOICES.sheet else ():
            prefix = ident.rsplit("-", 1)[0]
            last_ids[prefix] = max(last_ids.get(prefix, 0), _seq(ident))
    out = Carried(before=max(befores), numbers=tuple(numbers), last_ids=last_ids)
    if totals is None:
        return out
    t = {h: i for i, h in enumerate(totals.header)}
    for r in totals.rows:
        if totals.is_blank(r):
            continue
        cur = str(r[t["Currency"]])
        y, mo = str(r[t["Month"]]).split("-")
        m = date(int(y), int(mo), 1)
        for col, target, when in (("Invoiced", out.sales, m), ("Collected", out.collected, m),
                                  ("ClosingAR", out.closing_ar, month_end(m)), ("OpenAR", out.open_ar, month_end(m))):
            v = r[t[col]]
            if v is None or v == "":
                continue
            minor = to_minor(v, exponent(cur))
            if col in ("Invoiced", "Collected"):
                target[(cur, when)] = target.get((cur, when), 0) + minor
            else:
                target[(cur, when)] = minor
    return out


# -- the link between the two workbooks ------------------------------------------------
def runs(flags: Sequence[bool]) -> list[list]:
    """Where the moved rows stood, as runs [moved?, count] over the rows as they were."""
    out: list[list] = []
    for f in flags:
        if out and out[-1][0] == f:
            out[-1][1] += 1
        else:
            out.append([f, 1])
    return out


def interleave(moved: Sequence, kept: Sequence, where: Sequence[Sequence]) -> list:
    """The rows as they stood before archiving, from the moved and kept rows and :func:`runs`."""
    out, i, j = [], 0, 0
    for f, n in where:
        if f:
            out += moved[i:i + n]
            i += n
        else:
            out += kept[j:j + n]
            j += n
    return out


def link_rows(at, before: date, file_name: str, file_sha256: str, plan_: ArchivePlan,
              before_states: dict[str, chain.State], archive_states: dict[str, chain.State]) -> list[tuple]:
    """The Archive tab's rows for one archive: per ledger moved, its counts and hash chain heads."""
    rows = []
    for t in MOVED:
        if t == "tblInvoices":       # both number series: invoices and credit notes
            last = " ".join(v for k, v in sorted(plan_.last_ids.items()) if k.startswith("tblInvoices:"))
        else:
            last = plan_.last_ids.get(t, "")
        rows.append((at, before, file_name, schema.TABLES[t].sheet, len(plan_.moved[t]), archive_states[t].count,
                     archive_states[t].head, before_states[t].count, before_states[t].head, file_sha256,
                     last or None))
    return rows


def without_brought_forward(rows: Sequence[tuple], header: Sequence[str]) -> list[tuple]:
    """Journal rows without the entries that carry balances over an archive (to join archive and live)."""
    ix = list(header).index("DocType")
    return [r for r in rows if r[ix] != BROUGHT_FORWARD]


