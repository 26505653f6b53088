"""Account changes with a history, checks of customer details, and credit holds.

**History.**  Each run compares the Customers tab with the last state the
CustomerHistory ledger recorded: a customer seen for the first time gets one
``(created)`` row holding its details as compact JSON (the fields left blank
are not written: a field the text does not name was blank); every later edit
one row per field (old value, new value, when, who).  A customer ID that
disappears is refused (an ID is permanent: set Status to inactive instead), and so is
every edited detail that fails its check; nothing is then written.

**Checks** (maintained libraries): e-mail syntax (email-validator, no DNS
look-up), an IBAN's check digits (python-stdnum ``iban``), a VAT ID's check
digits for EU and UK numbers (python-stdnum ``eu.vat``, ``gb.vat``), the country as an ISO
3166-1 alpha-2 code (pycountry).  On the first run, when nothing was
recorded yet, failed checks are listed as notes, not refused.

**Credit holds.**  A customer over its credit limit, or with an item more
than *Hold when past due more than (days)* (Settings) days past due, is
proposed on the CreditHolds tab; when the clerk types ``yes`` in Confirm,
the customer's Status becomes ``hold`` and billing skips it as it skips any
customer on hold.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Sequence

from ... import schema
from ...io.port import Table
from ...io.rows import canonical
from ..ledger.ledger import Ledger
from ..model import Customer, Problem
from ..money import exponent, fmt
from ..read import as_text, nonblank_columns

TRACKED = tuple(c.name for c in schema.CUSTOMERS.columns if c.name != "CustomerID")
CREATED = "(created)"
_IBAN_LIKE = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9 ]{8,}$")


def check_email(value: str) -> str | None:
    from email_validator import EmailNotValidError, validate_email
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        return f"e-mail {value!r} is not valid: {exc}"
    return None


def check_bank_account(value: str) -> str | None:
    """An account written as an IBAN must have right check digits (other account numbers pass)."""
    from stdnum import iban
    from stdnum.exceptions import ValidationError
    if not _IBAN_LIKE.match(value.upper()):
        return None
    try:
        iban.validate(value)
    except ValidationError as exc:
        return f"IBAN {value!r} is not valid: {exc}"
    return None


def check_vat(value: str) -> str | None:
    """EU VAT IDs (with their country prefix, EL for Greece, XI for Northern Ireland) and UK ones (GB);
    other countries' tax numbers are not checked."""
    from stdnum.eu import vat as eu_vat
    from stdnum.exceptions import ValidationError
    from stdnum.gb import vat as gb_vat
    prefix = value.strip()[:2].lower()
    module = eu_vat if prefix in eu_vat.MEMBER_STATES or prefix == "el" else gb_vat if prefix == "gb" else None
    if module is None:
        return None
    try:
        module.validate(value)
    except ValidationError as exc:
        return f"VAT ID {value!r} is not valid: {exc}"
    return None


def check_country(value: str) -> str | None:
    import pycountry
    if len(value) != 2 or pycountry.countries.get(alpha_2=value.upper()) is None:
        return f"country {value!r} is not an ISO 3166-1 alpha-2 code such as BE, DE or GB"
    return None


CHECKS = {"Email": check_email, "BankAccount": check_bank_account, "Country": check_country, "VatID": check_vat}


@dataclass(frozen=True, slots=True)
class Change:
    at: datetime
    user: str
    customer_id: str
    field: str
    old: str
    new: str


def _text(v) -> str:
    """A cell's value as the history records it (text as typed; numbers and dates as they round-trip)."""
    if v.__class__ is str:
        return v
    c = canonical(v)
    if c is None:
        return ""
    if isinstance(c, (date, datetime)):
        return c.isoformat()
    return str(c)


class HistoryError(ValueError):
    """A ``(created)`` row of CustomerHistory whose NewValue is not the details ardesk recorded."""

    def __init__(self, index: int, text: str):
        super().__init__(index, text)
        self.index, self.text = index, text


def _objects(texts: list[str]) -> list:
    """``json.loads`` of each text, parsed as one JSON array (quicker than one call per text).

    Texts that are each a JSON document always join into an array of as many items.  When they do
    not, they are parsed one by one, and the first that is not a JSON object of texts raises
    :class:`HistoryError` with its index.  (Texts broken on their own that still join into such an
    array, which only deliberate editing of the ledger can make, are taken as the array reads them.)"""
    try:
        out = json.loads("[" + ",".join(texts) + "]")
    except ValueError:
        out = None
    if out is None or len(out) != len(texts) or not all(type(o) is dict for o in out):
        out = []
        for i, t in enumerate(texts):
            try:
                o = json.loads(t)
            except ValueError:
                o = None
            if type(o) is not dict:
                raise HistoryError(i, t)
            out.append(o)
    return out


def recorded_state(history: Table) -> dict[str, dict[str, str]]:
    """The last recorded details of each customer, from the CustomerHistory ledger."""
    h = history.header
    c_ix, f_ix, n_ix = (h.index(c) for c in ("CustomerID", "Field", "NewValue"))
    rows = [(str(row[c_ix]), str(row[f_ix]), "" if row[n_ix] is None else str(row[n_ix]))
            for row in history.rows if row[c_ix] is not None and row[f_ix] is not None]
    try:
        created = iter(_objects([new for _cid, field, new in rows if field == CREATED]))
    except HistoryError as exc:           # name the worksheet row of the text that is not details
        at = [i for i, row in enumerate(history.rows)
              if row[c_ix] is not None and row[f_ix] is not None and str(row[f_ix]) == CREATED][exc.index]
        raise HistoryError(history.first_row + at, exc.text) from None
    state: dict[str, dict[str, str]] = {}
    for cid, field, new in rows:
        if field == CREATED:
            state[cid] = next(created)
        elif cid in state:
            state[cid][field] = new
    return state


def _texts(column: Sequence) -> list[str]:
    """:func:`_text` of each cell of a column; a number typed in many rows is written out once."""
    kinds = set(map(type, column))
    if kinds <= {str}:
        return list(column)
    if kinds <= {str, type(None)}:
        return ["" if v is None else v for v in column]
    ints = {v: _text(v) for v in {v for v in column if v.__class__ is int}}       # 1 and 1.0 and True are
    floats = {v: _text(v) for v in {v for v in column if v.__class__ is float}}   # equal keys, not equal texts
    return [v if v.__class__ is str else "" if v is None else ints[v] if v.__class__ is int else
            floats[v] if v.__class__ is float else _text(v) for v in column]


def detect(customers: Table, history: Table, at: datetime, user: str
           ) -> tuple[list[Change], list[Problem], list[Problem]]:
    """(changes to log, problems that refuse the run, notes) for the Customers tab as it is now.

    Each customer's details are compared as one tuple of texts with the recorded ones; only a customer
    whose details differ is looked at field by field."""
    try:
        state = recorded_state(history)
    except HistoryError as exc:
        return [], [Problem(
            f"the (created) row of CustomerHistory at row {exc.index} does not hold the customer's details as "
            "ardesk recorded them (NewValue must be their JSON text); posted rows are never edited: put it back "
            "as it was (`ardesk verify` shows the old value)", history.sheet, exc.index, "NewValue",
            exc.text[:250], "customers")], []
    first_run = not state
    h = customers.header
    if "CustomerID" not in h:          # reading Customers already refuses the run, naming the missing column
        return [], [], []
    rownums, cols = nonblank_columns(customers)
    ids = [v.strip() if v.__class__ is str else as_text(v) for v in cols[h.index("CustomerID")]]
    names = [f for f in TRACKED if f in h]
    texts = zip(*[_texts(cols[h.index(f)]) for f in names]) if names else [()] * len(rownums)
    changes: list[Change] = []
    problems: list[Problem] = []
    notes: list[Problem] = []
    seen: dict[str, int] = {}
    blanks = ("",) * len(names)               # what a field the recorded text does not name was
    for rownum, cid, now_texts in zip(rownums, ids, texts):
        if not cid or cid in seen:
            continue                          # read_customers names blank and duplicate IDs
        seen[cid] = rownum
        before = state.get(cid)
        if before is not None and tuple(map(before.get, names, blanks)) == now_texts:
            continue                          # as recorded
        now = dict(zip(names, now_texts))
        edited = [f for f in now if before is None or now[f] != before.get(f, "")]
        for f in edited:
            check = CHECKS.get(f)
            bad = check(now[f]) if check and now[f] else None
            if bad:
                where = (customers.sheet, rownum, f"{f} ({customers.col_letter(f)})", now[f], "customers")
                (notes if first_run else problems).append(
                    Problem(f"customer {cid}: {bad}", *where, blocking=not first_run))
        if before is None:
            changes.append(Change(at, user, cid, CREATED, "", created_text(now)))
        else:
            changes += [Change(at, user, cid, f, before.get(f, ""), now[f]) for f in edited]
    gone = sorted(set(state) - set(seen))
    for cid in gone:
        name = state[cid].get("Name", "")
        same = [c for c, r in seen.items() if c not in state and
                as_text(customers.rows[r - customers.first_row][h.index("Name")]) == name]
        hint = f"; row {seen[same[0]]} now has ID {same[0]} with the same name" if same else ""
        problems.append(Problem(
            f"customer ID {cid} ({name}) is no longer on Customers{hint}: a customer ID cannot be changed or "
            "removed; put it back (set Status to inactive to stop billing it)",
            customers.sheet, seen[same[0]] if same else None, "CustomerID", same[0] if same else cid, "customers"))
    return changes, problems, notes


def created_text(details: dict[str, str]) -> str:
    """The NewValue of a ``(created)`` row: the details filled in, as compact JSON with sorted keys (a blank
    field is left out, so a workbook of many customers carries only what was typed)."""
    return json.dumps({f: v for f, v in details.items() if v != ""}, sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"))


def history_row(c: Change) -> tuple:
    return (c.at, c.user, c.customer_id, c.field, c.old or None, c.new or None)


# -- credit holds --------------------------------------------------------------------------
def hold_proposals(ledger: Ledger, customers: dict[str, Customer], as_of: date, max_days: int | None,
                   listed: set[str]) -> list[tuple]:
    """CreditHolds rows for active customers over their credit limit or too long past due, not yet listed."""
    balance: dict[str, int] = {}
    oldest: dict[str, int] = {}
    for inv, left in ledger.open_at(as_of):
        c = customers.get(inv.customer_id)
        if c is None or inv.currency != c.currency:
            continue
        balance[c.id] = balance.get(c.id, 0) + left
        if inv.kind == "invoice" and left > 0:
            oldest[c.id] = max(oldest.get(c.id, 0), (as_of - inv.due_date).days)
    out = []
    for cid in sorted(balance):
        c = customers[cid]
        if c.status != "active" or cid in listed:
            continue
        e = exponent(c.currency)
        reasons = []
        if c.credit_limit is not None and balance[cid] > c.credit_limit:
            reasons.append(f"balance {fmt(balance[cid], e)} over the credit limit {fmt(c.credit_limit, e)}")
        if max_days is not None and oldest.get(cid, 0) > max_days:
            reasons.append(f"an item {oldest[cid]} days past due (more than {max_days})")
        if reasons:
            out.append((as_of, cid, c.name, c.currency, balance[cid], c.credit_limit, oldest.get(cid, 0),
                        "; ".join(reasons)))
    return out
