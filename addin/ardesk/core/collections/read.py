"""The collections tabs read into records, every bad cell named by sheet, row, column and value."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from ... import schema
from ...io.port import Table
from ..ledger.ledger import Ledger
from ..model import Customer, Problem, Settings
from ..money import MoneyError, exponent, to_minor
from ..read import RAW, CellError, RowReader, as_date, as_decimal, as_int, as_text, choice
from .notes import Note
from .plans import Instalment, Plan
from .model import CollectionsSettings, CreditRequest, Dispute, DunningLevel, HistoryItem, ReferenceRate


def read_collections_settings(raw: dict[str, Any]) -> tuple[CollectionsSettings, list[Problem]]:
    problems: list[Problem] = []
    fmt_ = as_text(raw.get("CreditNoteFormat")) or "CN-{year}-{seq:05d}"
    try:
        fmt_.format(year=2026, seq=1, month=1)
    except (KeyError, ValueError, IndexError) as exc:
        problems.append(Problem(f"setting Credit note number format {fmt_!r} cannot be used ({exc}); use {{year}} "
                                "and {seq}, e.g. CN-{year}-{seq:05d}", "Settings", None, "CreditNoteFormat", fmt_))
    nxt = raw.get("NextCreditNoteNumber")
    try:
        seq = 1 if nxt in (None, "") else as_int(nxt)
    except CellError as exc:
        problems.append(Problem(f"setting Next credit note number {nxt!r} {exc}", "Settings", None,
                                "NextCreditNoteNumber", nxt))
        seq = 1
    policy = as_text(raw.get("DunningPolicy")) or "standard"
    hold = raw.get("HoldDaysPastDue")
    try:
        hold_days = None if hold in (None, "") else as_int(hold)
    except CellError as exc:
        problems.append(Problem(f"setting Hold when past due more than (days) {hold!r} {exc}", "Settings", None,
                                "HoldDaysPastDue", hold))
        hold_days = None
    return CollectionsSettings(fmt_, seq, policy, as_text(raw.get("CardCustomer")), hold_days), problems


def _money(r: RowReader, rownum: int, column: str, value: Any, currency: str) -> int | None:
    try:
        return to_minor(value, exponent(currency))
    except MoneyError as exc:
        r.error(rownum, column, value, str(exc))
        return None


def _lines(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in text.replace(";", ",").replace(" ", ",").split(",") if p)
    except ValueError:
        raise CellError("is not a list of line numbers such as 1,3") from None


def read_credit_requests(t: Table, ledger: Ledger, customers: dict[str, Customer], settings: Settings
                         ) -> tuple[list[CreditRequest], list[Problem]]:
    """Rows of the CreditNotes tab not yet done (no DocumentNo)."""
    problems: list[Problem] = []
    r = RowReader(t, schema.CREDIT_NOTES, problems, "credit")
    cols = [("Date", as_date, True), ("Action", choice(schema.CREDIT_ACTIONS), True), ("InvoiceNo", None, False),
            ("CustomerID", None, False), ("Lines", lambda v: _lines(as_text(v)), False), ("Amount", RAW, False),
            ("Currency", None, False), ("Reason", None, True), ("PaymentRef", None, False),
            ("DocumentNo", None, False)]
    out = []
    for rownum, v in r.rows(cols):
        d, action, inv_no, cid, lines, amount, cur, reason, pref, doc = v
        if doc:
            continue
        inv = ledger.invoice_by_no.get(inv_no)
        cur = (cur or (inv.currency if inv else customers[cid].currency if cid in customers
                       else settings.base_currency)).upper()
        minor = None
        if amount is not None:
            minor = _money(r, rownum, "Amount", amount, cur)
            if minor is None:
                continue
        out.append(CreditRequest(d, action, reason, inv_no, cid, lines or (), minor, cur, pref, rownum, t.sheet))
    return out, problems


def read_disputes(t: Table, ledger: Ledger) -> tuple[list[Dispute], list[Problem]]:
    problems: list[Problem] = []
    r = RowReader(t, schema.DISPUTES, problems, "disputes")
    cols = [("DisputeID", None, True), ("Date", as_date, True), ("InvoiceNo", None, True), ("Amount", RAW, True),
            ("ReasonCode", choice(schema.DISPUTE_REASONS), True), ("Status", choice(schema.DISPUTE_STATUS), True),
            ("Owner", None, False), ("Notes", None, False), ("CreditNoteNo", None, False)]
    out, seen = [], {}
    for rownum, v in r.rows(cols):
        did, d, inv_no, amount, code, status, owner, notes, cn = v
        if did in seen:
            r.error(rownum, "DisputeID", did, f"duplicate dispute ID {did!r} (first on row {seen[did]})")
            continue
        seen[did] = rownum
        inv = ledger.invoice_by_no.get(inv_no)
        cur = inv.currency if inv else "EUR"
        minor = _money(r, rownum, "Amount", amount, cur)
        if minor is not None:
            out.append(Dispute(did, d, inv_no, minor, cur, code, status, owner, notes, cn, rownum))
    return out, problems


def read_levels(t: Table, settings: Settings) -> tuple[list[DunningLevel], list[Problem]]:
    problems: list[Problem] = []
    r = RowReader(t, schema.DUNNING_LEVELS, problems, "dunning")
    cols = [("Policy", None, True), ("Level", as_int, True), ("DaysPastDue", as_int, True), ("MinAmount", RAW, False),
            ("Fee", RAW, False), ("InterestBasis", lambda v: as_text(v).upper() if as_text(v).upper() in
                                  ("EU", "DE", "FR", "UK") else choice(schema.INTEREST_BASES)(v), True),
            ("ContractRate", as_decimal, False), ("Compensation", choice(("none", "statutory")), False),
            ("Channel", choice(schema.CHANNELS), True), ("Template", None, True), ("Currency", None, False)]
    out = []
    for rownum, v in r.rows(cols):
        policy, level, days, minimum, fee, basis, rate, comp, channel, template, cur = v
        cur = (cur or settings.base_currency).upper()
        m = 0 if minimum is None else _money(r, rownum, "MinAmount", minimum, cur)
        f = 0 if fee is None else _money(r, rownum, "Fee", fee, cur)
        if m is None or f is None:
            continue
        out.append(DunningLevel(policy, level, days, m, f, cur, basis, rate or 0, comp or "none", channel,
                                template, rownum))
    return out, problems


def read_reference_rates(t: Table) -> tuple[list[ReferenceRate], list[Problem]]:
    problems: list[Problem] = []
    r = RowReader(t, schema.REFERENCE_RATES, problems, "dunning")
    cols = [("Basis", lambda v: as_text(v).upper() if as_text(v).upper() in ("EU", "DE", "FR", "UK")
             else choice(("EU", "DE", "FR", "UK"))(v), True), ("From", as_date, True), ("Rate", as_decimal, True)]
    out = []
    for rownum, (basis, start, rate) in r.rows(cols):
        if (start.month, start.day) not in ((1, 1), (7, 1)):
            r.error(rownum, "From", start, f"{start} is not the first day of a half year (1 January or 1 July)")
            continue
        out.append(ReferenceRate(basis, start, rate, rownum))
    return out, problems


def read_history(t: Table) -> tuple[list[HistoryItem], list[Problem]]:
    problems: list[Problem] = []
    r = RowReader(t, schema.DUNNING_HISTORY, problems, "dunning")
    cols = [("Date", as_date, True), ("LetterID", None, True), ("CustomerID", None, True), ("InvoiceNo", None, True),
            ("Level", as_int, True), ("Amount", RAW, True), ("Currency", None, True), ("Fee", RAW, False),
            ("Interest", RAW, False), ("InterestTo", as_date, False), ("Compensation", RAW, False),
            ("FeeInvoiceNo", None, False), ("Channel", None, False), ("Template", None, False)]
    out = []
    for rownum, v in r.rows(cols):
        d, lid, cid, inv, level, amount, cur, fee, intr, to, comp, fee_inv, channel, template = v
        e = exponent(cur)
        try:
            amounts = [0 if x is None else to_minor(x, e) for x in (amount, fee, intr, comp)]
        except MoneyError as exc:
            r.error(rownum, "Amount", amount, str(exc))
            continue
        out.append(HistoryItem(d, lid, cid, inv, level, amounts[0], cur, amounts[1], amounts[2], to, amounts[3],
                               fee_inv, channel, template))
    return out, problems


def customer_policies(t: Table, customers: dict[str, Customer], default: str
                      ) -> tuple[dict[str, str | None], list[Problem]]:
    """Each customer's dunning policy: its row on DunningCustomers, else the default; None for 'none'."""
    problems: list[Problem] = []
    r = RowReader(t, schema.DUNNING_CUSTOMERS, problems, "dunning")
    own: dict[str, str] = {}
    for rownum, (cid, policy) in r.rows([("CustomerID", None, True), ("Policy", None, True)]):
        if cid not in customers:
            r.error(rownum, "CustomerID", cid, f"unknown customer {cid!r}: not on the Customers sheet")
        own[cid] = policy
    out = {}
    for cid in customers:
        p = own.get(cid) or default
        out[cid] = None if p.lower() == "none" else p
    return out, problems


def exclusions(t: Table) -> set[tuple[str, str, str]]:
    """(customer, currency, invoice or '') the clerk marked Exclude on the Dunning tab."""
    h = t.header
    if "Exclude" not in h:
        return set()
    ex, cid, cur, inv, kind = (h.index(c) for c in ("Exclude", "CustomerID", "Currency", "InvoiceNo", "Row"))
    return {(as_text(row[cid]), as_text(row[cur]), as_text(row[inv]) if as_text(row[kind]) == "item" else "")
            for row in t.rows if len(row) > ex and as_text(row[ex])}


def read_plans(t: Table, customers: dict[str, Customer]) -> tuple[list[Plan], list[Problem]]:
    problems: list[Problem] = []
    r = RowReader(t, schema.PAYMENT_PLANS, problems, "plan")
    cols = [("PlanID", None, True), ("CustomerID", None, True), ("Currency", None, False), ("Date", as_date, True),
            ("FirstDue", as_date, True), ("Count", as_int, True), ("MonthsBetween", as_int, False),
            ("Rate", as_decimal, False), ("Balance", RAW, False), ("InterestInvoice", None, False),
            ("Status", None, False)]
    out, seen = [], {}
    for rownum, v in r.rows(cols):
        pid, cid, cur, d, first, count, step, rate, balance, interest_inv, status = v
        if pid in seen:
            r.error(rownum, "PlanID", pid, f"duplicate plan ID {pid!r} (first on row {seen[pid]})")
            continue
        seen[pid] = rownum
        if cid not in customers:
            r.error(rownum, "CustomerID", cid, f"unknown customer {cid!r}: not on the Customers sheet")
            continue
        cur = (cur or customers[cid].currency).upper()
        minor = None if balance is None else _money(r, rownum, "Balance", balance, cur)
        if balance is not None and minor is None:
            continue
        out.append(Plan(pid, cid, cur, d, first, count, step or 1, rate or Decimal(0), minor, status.lower(),
                        interest_inv, rownum))
    return out, problems


def read_instalments(t: Table) -> tuple[dict[str, list[Instalment]], list[Problem]]:
    problems: list[Problem] = []
    r = RowReader(t, schema.INSTALMENTS, problems, "plan")
    cols = [("PlanID", None, True), ("No", as_int, True), ("DueDate", as_date, True), ("Payment", RAW, True),
            ("Interest", RAW, False), ("Principal", RAW, False), ("Remaining", RAW, False), ("Currency", None, True)]
    out: dict[str, list[Instalment]] = {}
    for rownum, (pid, no, due, pay, intr, princ, rem, cur) in r.rows(cols):
        e = exponent(cur)
        try:
            amounts = [0 if x is None else to_minor(x, e) for x in (pay, intr, princ, rem)]
        except MoneyError as exc:
            r.error(rownum, "Payment", pay, str(exc))
            continue
        out.setdefault(pid, []).append(Instalment(no, due, *amounts))
    for xs in out.values():
        xs.sort(key=lambda x: x.no)
    return out, problems


def read_notes(t: Table, customers: dict[str, Customer], ledger: Ledger) -> tuple[list[Note], list[Problem]]:
    problems: list[Problem] = []
    r = RowReader(t, schema.CUSTOMER_NOTES, problems, "notes")
    cols = [("Date", as_date, True), ("Clerk", None, False), ("CustomerID", None, True), ("InvoiceNo", None, False),
            ("Channel", choice(schema.NOTE_CHANNELS), True), ("Text", None, True), ("PromisedDate", as_date, False),
            ("PromisedAmount", RAW, False), ("FollowUp", as_date, False), ("Promise", None, False)]
    out = []
    for rownum, v in r.rows(cols):
        d, clerk, cid, inv, channel, text, pdate, pamount, follow, promise = v
        if cid not in customers:
            r.error(rownum, "CustomerID", cid, f"unknown customer {cid!r}: not on the Customers sheet")
            continue
        if inv and (inv not in ledger.invoice_by_no or ledger.invoice_by_no[inv].customer_id != cid):
            r.error(rownum, "InvoiceNo", inv, f"{inv!r} is not an invoice of customer {cid}")
            continue
        cur = customers[cid].currency
        minor = None if pamount is None else _money(r, rownum, "PromisedAmount", pamount, cur)
        if pamount is not None and minor is None:
            continue
        if (pdate is None) != (minor is None):
            r.error(rownum, "PromisedDate" if pdate is None else "PromisedAmount", pdate or pamount,
                    "a promise needs both the date and the amount")
            continue
        out.append(Note(d, clerk, cid, inv, channel, text, pdate, minor, cur, follow, promise.lower(), rownum))
    return out, problems
