from datetime import date

from hypothesis import given, strategies as st

from ardesk.core.ledger.journal import EntryBuilder, check_balanced, invoice_entry
from ardesk.core.ledger.ledger import Ledger
from ardesk.core.ledger.journal_lines import Journal
from ardesk.core.model import Invoice, JournalLine, Settings

amounts = st.integers(-10**9, 10**9)


@given(amounts, amounts, st.sampled_from(["invoice", "credit note"]))
def test_invoice_entry_is_the_entry_the_builder_makes(net, tax, kind):
    """invoice_entry is written out for speed; it must post exactly what the general builder posts."""
    inv = Invoice("INV-2026-00007", "C0001", date(2026, 3, 1), date(2026, 3, 31), "EUR", net, tax, net + tax,
                  kind, "2026-03")
    settings = Settings()
    fast = invoice_entry(inv, Ledger(), settings)
    e = EntryBuilder(Ledger(), settings, inv.issue_date, inv.currency, "invoice" if kind == "invoice"
                     else "credit note", inv.number, f"{kind} {inv.number} {inv.period}")
    slow = e.debit("AR", inv.total, inv.customer_id).credit("Revenue", inv.net).credit("Tax", inv.tax).build()
    assert fast == slow
    assert not check_balanced(fast)
    assert all(j.debit >= 0 and j.credit >= 0 for j in fast)


line = st.builds(
    lambda e, d, acct, dr, cr, cur, cust: (f"JE-{e:07d}", 1, date(2026, 1, d), acct, dr, cr, cur, cust, "invoice",
                                           "INV-1", "", ""),
    st.integers(1, 6), st.integers(1, 28), st.sampled_from(["1100", "2300", "2900", "4000"]),
    st.integers(0, 10**6), st.integers(0, 10**6), st.sampled_from(["EUR", "USD"]),
    st.sampled_from(["", "C1", "C2"]))


@given(st.lists(line, max_size=40), st.one_of(st.none(), st.integers(1, 28).map(lambda d: date(2026, 1, d))))
def test_columns_sum_as_records_do(rows, as_of):
    """The lines read (numpy columns) and the lines a run posts (records) give the same totals."""
    rows = sorted(rows, key=lambda r: (r[0], r[6]))     # an entry's lines are adjacent, as written
    as_columns = Journal.from_columns(list(zip(*rows)))
    as_records = Journal([JournalLine(*r) for r in rows])
    assert list(as_columns) == list(as_records) and len(as_columns) == len(rows)
    accounts = ("2300", "2900", "1100")
    got, want = as_columns.totals("1100", accounts, as_of), as_records.totals("1100", accounts, as_of)
    assert {k: v for k, v in got[0].items() if v} == {k: v for k, v in want[0].items() if v}
    for a in accounts:
        assert {k: v for k, v in got[1][a].items() if v} == {k: v for k, v in want[1][a].items() if v}
    assert got[2] == want[2]
    # balanced as the entry-by-entry check says, whenever entries are written as adjacent runs
    assert got[2] == (not check_balanced(as_records))


def test_lines_read_and_posted_sum_together():
    read = [("JE-0000001", 1, date(2026, 1, 5), "1100", 500, 0, "EUR", "C1", "", "", "", ""),
            ("JE-0000001", 2, date(2026, 1, 5), "4000", 0, 500, "EUR", "", "", "", "", "")]
    j = Journal.from_columns(list(zip(*read)))
    j.extend([JournalLine("JE-0000002", 1, date(2026, 2, 1), "1000", 200, 0, "EUR"),
              JournalLine("JE-0000002", 2, date(2026, 2, 1), "1100", 0, 200, "EUR", "C1")])
    assert len(j) == 4 and [x.entry_id for x in j] == ["JE-0000001"] * 2 + ["JE-0000002"] * 2
    assert j.totals("1100", (), None)[0] == {("C1", "EUR"): 300}
    assert j.totals("1100", (), date(2026, 1, 31))[0] == {("C1", "EUR"): 500}
    j.extend([JournalLine("JE-0000003", 1, date(2026, 2, 2), "1000", 1, 0, "EUR")])
    assert j.totals("1100", (), None)[2] is False


def test_amounts_beyond_int64_are_summed_exactly():
    big = 10**20
    j = Journal.from_columns(list(zip(("JE-1", 1, date(2026, 1, 1), "1100", big, 0, "EUR", "C1", "", "", "", ""),
                                      ("JE-1", 2, date(2026, 1, 1), "4000", 0, big, "EUR", "", "", "", "", ""))))
    control, _o, balanced = j.totals("1100", (), None)
    assert control == {("C1", "EUR"): big} and balanced
