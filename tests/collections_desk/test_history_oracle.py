"""Customer changes are found by comparing each customer's tuple of texts with the recorded one; they
must be what comparing field by field found.

The oracles below are ``recorded_state`` and ``detect`` as they were: every recorded ``(created)``
text parsed on its own, every customer's details made into a dict and compared field by field.
Random Customers tabs and histories (edits, blanks, duplicates, removed and renamed IDs, bad e-mails,
IBANs, VAT IDs and countries, numbers typed as text or as floats, a first run) must give the same
CustomerHistory rows, problems and notes, in the same order.
"""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ardesk import schema
from ardesk.core.collections import accounts as acc
from ardesk.core.collections.accounts import CHECKS, CREATED, TRACKED, Change, _text
from ardesk.core.model import Problem
from ardesk.core.read import as_text
from ardesk.io.fileadapter import FileWorkbook
from ardesk.io.port import Table


# -- the oracles: as they were -------------------------------------------------------------------
def oracle_recorded_state(history: Table) -> dict[str, dict[str, str]]:
    h = history.header
    ix = [h.index(c) for c in ("CustomerID", "Field", "NewValue")]
    state: dict[str, dict[str, str]] = {}
    c_ix, f_ix, n_ix = ix
    for row in history.rows:
        cid, field, new = row[c_ix], row[f_ix], row[n_ix]
        if cid is None or field is None:
            continue
        cid, field, new = str(cid), str(field), "" if new is None else str(new)
        if field == CREATED:
            state[cid] = json.loads(new)
        elif cid in state:
            state[cid][field] = new
    return state


def oracle_detect(customers: Table, history: Table, at: datetime, user: str):
    state = oracle_recorded_state(history)
    first_run = not state
    h = customers.header
    if "CustomerID" not in h:
        return [], [], []
    cid_ix = h.index("CustomerID")
    fields = [(f, h.index(f)) for f in TRACKED if f in h]
    width = len(h)
    changes: list[Change] = []
    problems: list[Problem] = []
    notes: list[Problem] = []
    seen: dict[str, int] = {}
    for i, row in enumerate(customers.rows):
        if customers.is_blank(row):
            continue
        rownum = customers.first_row + i
        cid = as_text(row[cid_ix])
        if not cid or cid in seen:
            continue
        seen[cid] = rownum
        now = {f: _text(row[ix]) for f, ix in fields} if len(row) >= width else \
            {f: _text(row[ix]) if ix < len(row) else "" for f, ix in fields}
        before = state.get(cid)
        edited = [f for f in now if before is None or now[f] != before.get(f, "")]
        for f in edited:
            check = CHECKS.get(f)
            bad = check(now[f]) if check and now[f] else None
            if bad:
                where = (customers.sheet, rownum, f"{f} ({customers.col_letter(f)})", now[f], "customers")
                (notes if first_run else problems).append(
                    Problem(f"customer {cid}: {bad}", *where, blocking=not first_run))
        if before is None:
            changes.append(Change(at, user, cid, CREATED, "", json.dumps(now, sort_keys=True, ensure_ascii=False)))
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


def as_recorded(result):
    """``detect``'s result with each ``(created)`` text read back as the details it holds, a blank field
    and a field left out alike (the oracle wrote every field; ardesk writes the filled-in ones)."""
    if not isinstance(result, tuple):
        return result
    changes, problems, notes = result
    read = [replace(c, new=tuple(sorted((k, v) for k, v in json.loads(c.new).items() if v != "")))
            if c.field == CREATED else c for c in changes]
    return read, problems, notes


def outcome(f, *args) -> str:
    """What ``f`` gives as its repr, or the kind of exception it raises (a broken history cannot be read)."""
    try:
        return repr(as_recorded(f(*args)) if f in (oracle_detect, acc.detect) else f(*args))
    except (ValueError, TypeError, AttributeError, IndexError) as exc:
        return repr(type(exc))


# -- random tabs and histories ---------------------------------------------------------------------
HEADER = [c.name for c in schema.CUSTOMERS.columns]
HISTORY_HEADER = tuple(c.name for c in schema.CUSTOMER_HISTORY.columns)
IDS = ["C1", "C2", "C3", "C4", "C5", "C6", " C2", 1001.0, 1001]
CELLS = {
    "CustomerID": st.sampled_from(IDS + [None, ""]),
    "Name": st.sampled_from(["Acme", "Blue", "Acme ", "", None, "Ünïcode Ltd"]),
    "Email": st.sampled_from(["ap@acme.example", "billing@acme.example", "ap@@acme", "nobody", None, ""]),
    "Country": st.sampled_from(["BE", "DE", "XX", "be", None]),
    "BankAccount": st.sampled_from(["BE71096123456769", "BE72096123456769", "BE71 0961 2345 6769",
                                    "021000021 123456", None]),
    "VatID": st.sampled_from(["BE0403170701", "BE0403170702", "GB980780685", "CHE-116.281.710 MWST", None]),
    "TermsDays": st.sampled_from([30, 30.0, 45, "30", True, 1, 1.0, None, -0.0, 0.0, 0]),
    "TaxRate": st.sampled_from([0.2, 0.21, Decimal("0.2"), Decimal("0.20"), 0, 0.0, 2 ** 60, float(2 ** 60)]),
    "CreditLimit": st.sampled_from([50000, 50000.0, Decimal("5E+4"), 12.5, None, "lots", float("nan")]),
    "PostalCode": st.sampled_from(["1000", 1000, 1000.0, date(2026, 1, 2), datetime(2026, 1, 2, 10, 30), None]),
}
other = st.sampled_from(["x", "y", "", None, "EUR", "active"])


def row_of(draw, cid=None):
    cells = [draw(CELLS.get(h, other)) for h in HEADER]
    if cid is not None:
        cells[0] = cid
    return cells


@st.composite
def books(draw):
    """(Customers tab now, CustomerHistory): the history recorded from an earlier tab, then edited."""
    earlier = [row_of(draw, cid) for cid in draw(st.lists(st.sampled_from(IDS), max_size=6))]
    history: list[tuple] = []
    if earlier and draw(st.integers(0, 5)):               # not the first run, recorded as before or as now
        t0 = Table("tblCustomers", "Customers", tuple(HEADER), [tuple(r) for r in earlier])
        record = draw(st.sampled_from([oracle_detect, acc.detect]))
        changes, _p, _n = record(t0, Table("tblCustomerHistory", "CustomerHistory", HISTORY_HEADER, []),
                                        datetime(2026, 1, 1, 9), "ann")
        history = [acc.history_row(c) for c in changes]
    for _ in range(draw(st.integers(0, 3))):               # later edits, some of them odd
        cid = draw(st.sampled_from(IDS + [None]))
        cid = as_text(cid) if cid is not None and draw(st.booleans()) else cid
        field = draw(st.sampled_from(list(TRACKED) + [CREATED, "Retired", None]))
        new = draw(st.one_of(other, CELLS["Email"], st.sampled_from([5, json.dumps({"Name": "Acme"}), "{not json"])))
        if field == CREATED and draw(st.integers(0, 3)):
            new = json.dumps(dict(zip(TRACKED, map(str, row_of(draw)[1:]))))
        history.append((datetime(2026, 1, 5), "bob", cid, field, None, new))
    now = [list(r) for r in earlier]
    for r in now:                                           # edits: a cell changed, a cell blanked
        for _ in range(draw(st.integers(0, 2))):
            k = draw(st.integers(1, len(HEADER) - 1))
            r[k] = draw(st.one_of(CELLS.get(HEADER[k], other), st.none()))
    if now and draw(st.booleans()):                        # a customer removed
        del now[draw(st.integers(0, len(now) - 1))]
    if now and draw(st.booleans()):                        # a customer's ID changed, its name kept
        now[draw(st.integers(0, len(now) - 1))][0] = draw(st.sampled_from(IDS))
    for _ in range(draw(st.integers(0, 2))):               # new customers, duplicates, blank rows
        now.insert(draw(st.integers(0, len(now))), row_of(draw) if draw(st.integers(0, 3)) else [None] * len(HEADER))
    header = HEADER
    if draw(st.integers(0, 10)) == 0:                      # a column the history knows is gone
        gone = draw(st.integers(1, len(HEADER) - 1))
        header = HEADER[:gone] + HEADER[gone + 1:]
        now = [r[:gone] + r[gone + 1:] for r in now]
    if now and draw(st.integers(0, 8)) == 0:               # a short row
        k = draw(st.integers(0, len(now) - 1))
        now[k] = now[k][:draw(st.integers(1, len(header) - 1))]
    return (Table("tblCustomers", "Customers", tuple(header), [tuple(r) for r in now]),
            Table("tblCustomerHistory", "CustomerHistory", HISTORY_HEADER, history))


CHECKED = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                          HealthCheck.data_too_large])


@CHECKED
@given(books())
def test_changes_found_as_field_by_field(book):
    customers, history = book
    at = datetime(2026, 2, 1, 9)
    want = outcome(oracle_detect, customers, history, at, "cy")
    if outcome(acc.recorded_state, history) == repr(acc.HistoryError):  # a broken recorded text: named now
        changes, problems, notes = acc.detect(customers, history, at, "cy")
        assert (changes, notes) == ([], []) and [(p.sheet, p.column) for p in problems] == \
            [("CustomerHistory", "NewValue")]
    else:
        assert outcome(acc.detect, customers, history, at, "cy") == want


@CHECKED
@given(books())
def test_recorded_state_as_parsed_one_by_one(book):
    _customers, history = book
    try:
        state = oracle_recorded_state(history)
        broken = any(type(v) is not dict for v in state.values())     # JSON, but not the details
    except json.JSONDecodeError:
        broken = True
    assert outcome(acc.recorded_state, history) == (repr(acc.HistoryError) if broken
                                                    else outcome(oracle_recorded_state, history))


def test_a_broken_created_text_is_named_by_its_row():
    """A recorded text that is not the details as JSON, among good ones, is named by its worksheet row
    (the earlier reading failed on it with a traceback)."""
    good = json.dumps({"Name": "Acme"})
    for broken in ("{not json", "", '{"Name": "A"} {"Name": "B"}', '{"Name": "A"}, {"Name": "B"}', "5", "[]"):
        rows = [(datetime(2026, 1, 1), "ann", cid, CREATED, None, text)
                for cid, text in (("C1", good), ("C0", None), ("C2", broken), ("C3", good))]
        rows[1] = rows[1][:3] + ("Email", "", "a@b.example")
        history = Table("tblCustomerHistory", "CustomerHistory", HISTORY_HEADER, rows, first_row=5)
        with pytest.raises(acc.HistoryError) as err:
            acc.recorded_state(history)
        assert (err.value.index, err.value.text) == (7, broken)


@pytest.fixture(scope="module")
def demo_history(tmp_path_factory):
    """The demo's Customers and CustomerHistory tabs (80 customers, three months run)."""
    from ardesk.demo import build_demo
    path = tmp_path_factory.mktemp("history") / "demo.xlsx"
    assert build_demo(path, customers=80, period="2026-10").ok
    tabs = FileWorkbook(path).read_tables(["tblCustomers", "tblCustomerHistory"])
    assert len(tabs["tblCustomerHistory"].rows) >= 80
    return tabs["tblCustomers"], tabs["tblCustomerHistory"]


def test_unchanged_customers_give_no_rows_and_an_edit_one(demo_history):
    """On the demo's books: nothing when nothing changed; one row for one edited e-mail, as before."""
    customers, history = demo_history
    at = datetime(2026, 11, 2, 9)
    assert acc.detect(customers, history, at, "cy") == oracle_detect(customers, history, at, "cy") == ([], [], [])
    rows = list(customers.rows)
    email = customers.header.index("Email")
    rows[3] = rows[3][:email] + ("new@example.com",) + rows[3][email + 1:]
    edited = Table(customers.name, customers.sheet, customers.header, rows, customers.first_row)
    got = acc.detect(edited, history, at, "cy")
    assert got == oracle_detect(edited, history, at, "cy")
    assert [(c.customer_id, c.field, c.new) for c in got[0]] == [(as_text(rows[3][0]), "Email", "new@example.com")]
