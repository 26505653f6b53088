"""The collections steps a run is made of: credit, dunning (proposals) and issue-dunning.

Each takes what was read from the workbook and returns what to append and
update; :mod:`ardesk.app` writes it once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from ... import schema
from ...io.port import Table, WorkbookError
from ...io.rows import canonical
from ..ledger.ledger import Ledger, _seq
from ..model import Customer, InvoiceLine, Problem, Settings
from ..money import exponent, to_decimal
from ..read import as_date, as_text, read_invoice_lines
from . import dunning as dn
from . import plans as pl
from . import accounts as acc
from .card import card_rows
from .notes import review_notes
from .credit import issue_credits
from .disputes import check_disputes, disputed_amounts, resolutions
from .model import CollectionsSettings, CreditRequest, Dispute, HistoryItem, Posting
from .worklist import Signal, call_tasks, worklist, worklist_rows
from .read import (customer_policies, exclusions, read_collections_settings, read_credit_requests, read_disputes,
                   read_history, read_instalments, read_levels, read_notes, read_plans,
                   read_reference_rates)

COLLECTIONS_TABLES = ("tblCreditNotes", "tblDisputes", "tblDunningLevels", "tblDunningCustomers",
                      "tblReferenceRates", "tblDunning", "tblDunningHistory", "tblCollections", "tblPaymentPlans",
                      "tblInstalments", "tblCustomerNotes", "tblCustomerCard", "tblCreditHolds")


@dataclass
class CollectionsBooks:
    tables: dict[str, Table]
    settings: CollectionsSettings
    disputes: list[Dispute] = field(default_factory=list)
    history: list[HistoryItem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def load_collections(port, ledger: Ledger) -> CollectionsBooks:
    cs, problems = read_collections_settings(port.read_settings())
    try:
        raw: dict[str, Table] = port.read_tables(COLLECTIONS_TABLES)
    except WorkbookError as exc:
        return CollectionsBooks({}, cs, problems=problems + [Problem(
            f"{exc}; this workbook predates the collections tabs (CreditNotes, Disputes, DunningLevels, "
            "DunningCustomers, ReferenceRates, Dunning, DunningHistory): create a new one with `ardesk init` and copy the tabs over",
            "", None, "", None, "collections")])
    disputes, p = read_disputes(raw["tblDisputes"], ledger)
    problems += p + check_disputes(disputes, ledger)
    history, p = read_history(raw["tblDunningHistory"])
    return CollectionsBooks(raw, cs, disputes, history, problems + p)


def history_row(h: HistoryItem) -> tuple:
    e = exponent(h.currency)
    D = lambda v: to_decimal(v, e) if v else None  # noqa: E731
    return (h.date, h.letter_id, h.customer_id, h.invoice_no, h.level, to_decimal(h.amount, e), h.currency,
            D(h.fee), D(h.interest), h.interest_to, D(h.compensation), h.fee_invoice_no or None, h.channel, h.template)


def credit_row(req: CreditRequest, doc: str, currency: str) -> tuple:
    e = exponent(currency)
    return (req.date, req.action, req.invoice_no or None, req.customer_id or None,
            ",".join(map(str, req.lines)) or None, None if req.amount is None else to_decimal(req.amount, e),
            currency, req.reason, req.payment_ref or None, doc)


def check_tabs(cb: CollectionsBooks, ledger: Ledger, customers: dict[str, Customer], settings: Settings,
               templates: tuple[frozenset[str], str] | None = None) -> list[Problem]:
    """Every collections input tab read and checked, as ``validate`` does for the others (disputes and the
    dunning history are checked when the books are loaded).  ``templates``: the letter templates there are
    and their folder."""
    problems = read_credit_requests(cb.tables["tblCreditNotes"], ledger, customers, settings)[1]
    levels, p = read_levels(cb.tables["tblDunningLevels"], settings)
    problems += p + dn.check_levels(levels)[1] + (dn.check_templates(levels, *templates) if templates else [])
    problems += customer_policies(cb.tables["tblDunningCustomers"], customers, cb.settings.dunning_policy)[1]
    problems += read_reference_rates(cb.tables["tblReferenceRates"])[1]
    problems += read_plans(cb.tables["tblPaymentPlans"], customers)[1]
    problems += read_instalments(cb.tables["tblInstalments"])[1]
    problems += read_notes(cb.tables["tblCustomerNotes"], customers, ledger)[1]
    return problems


def typed_request(typed: dict, ledger: Ledger, customers: dict[str, Customer], settings: Settings, today: date
                  ) -> tuple[CreditRequest | None, list[Problem]]:
    """A request given on the command line (date, action, invoice, customer, amount, reason, payment_ref),
    read as a CreditNotes row would be, so it is checked the same way."""
    row = tuple(typed.get(k) for k in ("date", "action", "invoice", "customer", "lines", "amount", "currency",
                                       "reason", "payment_ref")) + (None,)
    row = (row[0] or today,) + row[1:]
    t = Table("tblCreditNotes", "command line", schema.CREDIT_NOTES.header, [row], first_row=0)
    got, problems = read_credit_requests(t, ledger, customers, settings)
    return (got[0] if got else None), problems


def credit(cb: CollectionsBooks, ledger: Ledger, customers: dict[str, Customer], settings: Settings,
           invoice_lines: Table, today: date, typed: dict | None = None) -> tuple[Posting, int]:
    """Issue the CreditNotes rows not yet done, credited disputes, and one request typed on the command line.

    A typed request is appended to CreditNotes, stamped; one already on the tab with the same date,
    action, invoice, customer, amount and reason (stamped) is not issued again."""
    reqs, problems = read_credit_requests(cb.tables["tblCreditNotes"], ledger, customers, settings)
    if typed is not None:
        typed, p = typed_request(typed, ledger, customers, settings, today)
        problems += p
    from_disputes = resolutions(cb.disputes, today)
    typed_list: list[CreditRequest] = []
    if typed is not None and not _already_done(cb.tables["tblCreditNotes"], typed, ledger, customers, settings):
        typed_list.append(typed)
    lines: dict[str, list[InvoiceLine]] = {}
    wanted = {r.invoice_no for r in reqs + typed_list if r.lines}
    if wanted:
        for ln in read_invoice_lines(invoice_lines, problems, "credit"):
            if ln.invoice_no in wanted:
                lines.setdefault(ln.invoice_no, []).append(ln)
    out, done, next_seq = issue_credits(reqs + [q for _d, q in from_disputes] + typed_list, ledger, customers,
                                        settings, cb.settings, {k: tuple(v) for k, v in lines.items()})
    out.problems[:0] = problems
    by_dispute_row = {d.row: d for d, _q in from_disputes}
    for req, doc in done:
        if req.source == "Disputes":
            out.updates.append(("tblDisputes", req.row, "CreditNoteNo", doc))
            out.audit.append(f"dispute {by_dispute_row[req.row].id} credited by {doc}")
        elif req.row:
            out.updates.append(("tblCreditNotes", req.row, "DocumentNo", doc))
        else:
            cur = req.currency or (ledger.invoice_by_no[req.invoice_no].currency if req.invoice_no
                                   else customers[req.customer_id].currency)
            out.appends.setdefault("tblCreditNotes", []).append(credit_row(req, doc, cur))
    return out, next_seq


def _already_done(t: Table, typed: CreditRequest, ledger, customers, settings) -> bool:
    """A typed request that is already a stamped row of the CreditNotes tab."""
    h = t.header
    ix = {c: h.index(c) for c in schema.CREDIT_NOTES.header if c in h}
    for row in t.rows:
        if t.is_blank(row) or not as_text(row[ix["DocumentNo"]]):
            continue
        copy = [None if c == "DocumentNo" else row[ix[c]] for c in schema.CREDIT_NOTES.header]
        one = Table(t.name, t.sheet, schema.CREDIT_NOTES.header, [tuple(copy)])
        got, _p = read_credit_requests(one, ledger, customers, settings)
        if got and (got[0].date, got[0].action, got[0].invoice_no, got[0].customer_id, got[0].amount,
                    got[0].reason, got[0].lines) == (typed.date, typed.action, typed.invoice_no, typed.customer_id,
                                                     typed.amount, typed.reason, typed.lines):
            return True
    return False


@dataclass
class Proposals:
    letters: list[dn.Letter]
    history: dn.History
    problems: list[Problem]
    notes: list[Problem]


def propose(cb: CollectionsBooks, ledger: Ledger, customers: dict[str, Customer], settings: Settings,
            waiting: set[str], as_of: date, use_exclusions: bool,
            on_plan: dict[str, str] | None = None, templates: tuple[frozenset[str], str] | None = None
            ) -> Proposals:
    """Letters due as of ``as_of``; with ``use_exclusions`` the Exclude marks on the Dunning tab count.
    ``templates``: the letter templates there are and their folder (None: not checked)."""
    levels, problems = read_levels(cb.tables["tblDunningLevels"], settings)
    policies, p = dn.check_levels(levels)
    problems += p + (dn.check_templates(levels, *templates) if templates else [])
    rates, p = read_reference_rates(cb.tables["tblReferenceRates"])
    problems += p
    history = dn.History(cb.history)
    skip = {cid: "a receipt waits on the Review tab: reconcile first" for cid in waiting}
    for cid, why in (on_plan or {}).items():
        skip.setdefault(cid, why)
    excluded = exclusions(cb.tables["tblDunning"]) if use_exclusions else set()
    policy_of, p = customer_policies(cb.tables["tblDunningCustomers"], customers, cb.settings.dunning_policy)
    problems += p
    notes: list[Problem] = []
    default = cb.settings.dunning_policy
    if default.lower() != "none" and default not in policies:
        # no levels for the default policy: its customers are not dunned (one assigned to it by name still is)
        named = {as_text(r[0]) for r in cb.tables["tblDunningCustomers"].rows if r and r[0]}
        policy_of = {cid: (None if p_ == default and cid not in named else p_) for cid, p_ in policy_of.items()}
        notes.append(Problem(f"the default dunning policy {default!r} has no levels on DunningLevels: its "
                             "customers are not dunned", "Settings", None, "DunningPolicy", default, "dunning",
                             blocking=False))
    letters, p, more = dn.propose(ledger, customers, policy_of, policies, dn.RateBook(rates), history, disputed_amounts(cb.disputes, ledger),
                                   skip, excluded, as_of)
    return Proposals(letters, history, problems + p, notes + more)


def letter_seq(history: list[HistoryItem]) -> int:
    return max((_seq(h.letter_id) for h in history), default=0)


def issue(cb: CollectionsBooks, props: Proposals, ledger: Ledger, customers: dict[str, Customer],
          settings: Settings, as_of: date) -> tuple[Posting, list[dn.IssuedLetter], int, list[HistoryItem]]:
    """Issue the proposals: (what to post, the letters, the next invoice number, the new DunningHistory items)."""
    out = Posting(problems=list(props.problems), notes=list(props.notes))
    if out.problems:
        return out, [], settings.next_invoice_number, []
    try:
        invoices, journal, rows, issued, seq = dn.issue(props.letters, ledger, customers, settings,
                                                        letter_seq(cb.history), as_of)
    except ValueError as exc:
        out.problems.append(Problem(str(exc), "Settings", None, "NextInvoiceNumber", settings.next_invoice_number,
                                    "dunning"))
        return out, [], settings.next_invoice_number
    out.invoices, out.journal = invoices, journal
    out.appends["tblDunningHistory"] = [history_row(h) for h in rows]
    out.counts = {"letters_issued": len(issued), "items_dunned": len(rows), "charge_invoices": len(invoices),
                  "call_tasks": sum(1 for i in issued if i.letter.channel == "call task")}
    if issued:
        out.audit.append(f"dunning as of {as_of}: {len(issued)} letter(s) {issued[0].letter_id}.."
                         f"{issued[-1].letter_id}, {len(invoices)} charge invoice(s)")
    return out, issued, seq, rows



def proposals_date(cb: CollectionsBooks) -> date | None:
    """The as-of date of the proposals on the Dunning tab (None when the tab is empty)."""
    t = cb.tables["tblDunning"]
    if "AsOf" not in t.header:
        return None
    ix = t.header.index("AsOf")
    for row in t.rows:
        if ix < len(row) and row[ix] is not None:
            try:
                return as_date(row[ix])
            except ValueError:
                return None
    return None


def worklist_table(props: Proposals, cb: CollectionsBooks, ledger: Ledger, customers: dict[str, Customer],
                   as_of: date, signals: list[Signal]) -> list[tuple]:
    """The Collections tab's rows: the ranked worklist of the day."""
    return worklist_rows(worklist(ledger, customers, as_of, props.letters, props.history, cb.disputes, signals),
                         customers, as_of)


def instalment_row(plan: pl.Plan, x: pl.Instalment) -> tuple:
    e = exponent(plan.currency)
    return (plan.id, x.no, x.due, *(to_decimal(v, e) for v in (x.payment, x.interest, x.principal, x.remaining)),
            plan.currency)


def _cell(t: Table, row: int, column: str):
    """A cell's value as it compares after a round trip, by worksheet row and column name."""
    values = t.rows[row - t.first_row]
    ix = t.header.index(column)
    return canonical(values[ix] if ix < len(values) else None)


def plans(cb: CollectionsBooks, ledger: Ledger, customers: dict[str, Customer], settings: Settings, as_of: date,
          set_up: bool) -> tuple[Posting, int, dict[str, str], list[Signal]]:
    """Set up new plans (``set_up``) and work out where each plan stands as of a date.

    Returns what was posted, the next invoice number, the customers not to dun (on an active plan) and
    the worklist's signals (missed instalments, instalments due)."""
    out = Posting()
    plan_list, p = read_plans(cb.tables["tblPaymentPlans"], customers)
    schedules, p2 = read_instalments(cb.tables["tblInstalments"])
    out.problems += p + p2
    seq = settings.next_invoice_number
    on_plan: dict[str, str] = {}
    signals: list[Signal] = []
    if out.problems:
        return out, seq, on_plan, signals
    for plan in plan_list:
        if plan.balance is None:
            if not set_up:
                out.notes.append(Problem(f"plan {plan.id} is not set up yet: run ardesk plan", "PaymentPlans",
                                         plan.row, "Balance", None, "plan", blocking=False))
                continue
            xs, inv, entry, p = pl.set_up(plan, ledger, customers, settings, seq)
            out.problems += p
            if p:
                continue
            balance = sum(x.principal for x in xs)
            if inv is not None:
                seq += 1
                ledger.add_invoices([inv])
                ledger.add_journal(entry)
                out.invoices.append(inv)
                out.journal += entry
            out.appends.setdefault("tblInstalments", []).extend(instalment_row(plan, x) for x in xs)
            out.updates += [("tblPaymentPlans", plan.row, "Balance", to_decimal(balance, exponent(plan.currency))),
                            ("tblPaymentPlans", plan.row, "InterestInvoice", inv.number if inv else None)]
            out.audit.append(f"plan {plan.id} for {plan.customer_id}: {len(xs)} instalments from {plan.first_due}")
            plan = pl.Plan(plan.id, plan.customer_id, plan.currency, plan.date, plan.first_due, plan.count,
                           plan.months_between, plan.rate, balance, "active", inv.number if inv else "", plan.row)
            schedules[plan.id] = xs
        st = pl.state(plan, schedules.get(plan.id, []), ledger, as_of)
        e = exponent(plan.currency)
        for column, value in (("Status", st.status), ("Paid", to_decimal(st.paid, e)), ("NextDue", st.next_due)):
            if _cell(cb.tables["tblPaymentPlans"], plan.row, column) != canonical(value):
                out.updates.append(("tblPaymentPlans", plan.row, column, value))
        if st.status == "active":
            on_plan[plan.customer_id] = f"on payment plan {plan.id}"
            if st.next_due is not None:
                signals.append(Signal(plan.customer_id, "instalment", st.next_due,
                                      f"plan {plan.id} instalment due {st.next_due}"))
        elif st.status == "broken" and st.missed is not None:
            signals.append(Signal(plan.customer_id, "missed instalment", st.missed.due,
                                  f"plan {plan.id} instalment {st.missed.no} due {st.missed.due}"))
    out.counts = {"plans_active": len(on_plan)}
    if set_up:
        out.counts["plans_set_up"] = sum(1 for u in out.updates if u[2] == "Balance")
    return out, seq, on_plan, signals


def notes(cb: CollectionsBooks, ledger: Ledger, customers: dict[str, Customer], as_of: date
          ) -> tuple[Posting, dict[str, str], list[Signal]]:
    """Promises marked kept, broken or pending; the customers a pending promise keeps from dunning; signals
    (with the calls that call-task letters ask for)."""
    out = Posting()
    note_list, out.problems = read_notes(cb.tables["tblCustomerNotes"], customers, ledger)
    if out.problems:
        return out, {}, []
    states, paused, signals = review_notes(note_list, ledger, as_of)
    signals += call_tasks(cb.history, last_calls(note_list))
    for n, st in states:
        if st != n.promise:
            out.updates.append(("tblCustomerNotes", n.row, "Promise", st or None))
    out.counts = {"promises_broken": sum(1 for _n, st in states if st == "broken")}
    return out, paused, signals


def last_calls(note_list) -> dict[str, date]:
    """Each customer's latest call noted on CustomerNotes."""
    out: dict[str, date] = {}
    for n in note_list:
        if n.channel == "call" and n.date > out.get(n.customer_id, date.min):
            out[n.customer_id] = n.date
    return out


def card(cb: CollectionsBooks, ledger: Ledger, customers: dict[str, Customer], settings: Settings, as_of: date,
         customer_id: str | None) -> tuple[list[tuple], str, list[Problem]]:
    """The Customer tab's rows for one customer (the option, else Customer card for on Settings)."""
    cid = customer_id or cb.settings.card_customer
    if cid not in customers:
        return [], cid, [Problem(f"customer card: {cid!r} is not on the Customers sheet" if cid else
                                 "customer card: type a customer ID in Customer card for (CardCustomer) on Settings",
                                 "Settings", None, "CardCustomer", cid or None, "card")]
    plan_list, problems = read_plans(cb.tables["tblPaymentPlans"], customers)
    note_list, p = read_notes(cb.tables["tblCustomerNotes"], customers, ledger)
    problems += p
    history = dn.History(cb.history)
    level = max((history.last[inv.number][0] for (c, _cur), invs in ledger.by_customer.items() if c == cid
                 for inv in invs if inv.number in history.last), default=0)
    rows = card_rows(ledger, cid, as_of, customers[cid], settings.aging_buckets, settings.aging_basis, cb.disputes,
                     level, [(pl_.id, pl_.status or "not set up") for pl_ in plan_list if pl_.customer_id == cid],
                     [(n.date, n.channel, n.text + (f" (promise {n.promise})" if n.promise else ""))
                      for n in note_list if n.customer_id == cid])
    return rows, cid, problems


def holds(cb: CollectionsBooks, ledger: Ledger, customers: dict[str, Customer], customers_table: Table,
          as_of: date) -> Posting:
    """Propose new credit holds; put the confirmed ones on hold (Customers Status)."""
    out = Posting()
    t = cb.tables["tblCreditHolds"]
    h = t.header
    cid_ix, conf_ix, st_ix = (h.index(c) for c in ("CustomerID", "Confirm", "Status"))
    listed: set[str] = set()
    row_of = {as_text(r[customers_table.header.index("CustomerID")]): customers_table.first_row + i
              for i, r in enumerate(customers_table.rows)}
    for i, row in enumerate(t.rows):
        if t.is_blank(row):
            continue
        cid = as_text(row[cid_ix])
        done = as_text(row[st_ix])
        if not done:
            listed.add(cid)
        if as_text(row[conf_ix]).lower() == "yes" and not done:
            c = customers.get(cid)
            if c is None:
                out.problems.append(Problem(f"credit hold for unknown customer {cid!r}", t.sheet, t.first_row + i,
                                            "CustomerID", cid, "holds"))
                continue
            if c.status != "hold":
                out.updates.append(("tblCustomers", row_of[cid], "Status", "hold"))
            out.updates.append(("tblCreditHolds", t.first_row + i, "Status", "on hold"))
            out.audit.append(f"credit hold: {cid} on hold")
    new = acc.hold_proposals(ledger, customers, as_of, cb.settings.hold_days, listed)
    out.appends["tblCreditHolds"] = [(d, cid, name, cur, to_decimal(b, exponent(cur)),
                                      None if lim is None else to_decimal(lim, exponent(cur)), days or None, why,
                                      None, None) for d, cid, name, cur, b, lim, days, why in new]
    out.counts = {"holds_proposed": len(new), "holds_confirmed": sum(1 for u in out.updates if u[0] == "tblCreditHolds")}
    return out


def customer_changes(port, customers_table: Table, at, user: str) -> tuple[list[tuple], list[Problem], list[Problem]]:
    """CustomerHistory rows for the edits made to Customers since the last run (none for a workbook
    without the CustomerHistory tab), with the problems that refuse them and notes."""
    try:
        history = port.read_tables(["tblCustomerHistory"])["tblCustomerHistory"]
    except WorkbookError:
        return [], [], []
    changes, problems, notes = acc.detect(customers_table, history, at, user)
    return [acc.history_row(c) for c in changes], problems, notes
