"""What archiving moves: settled documents with everything joined to them, never half of a payment."""
from datetime import date

from ardesk import schema
from ardesk.core.ledger.archive import BROUGHT_FORWARD, plan
from ardesk.core.ledger.ledger import Ledger
from ardesk.core.model import Allocation, Invoice, JournalLine, Payment, Settings
from ardesk.io import rows as R
from ardesk.io.port import Table

AUG = date(2026, 8, 1)
SETTINGS = Settings(locked_through=date(2026, 8, 31))


def inv(no, cid, total):
    return Invoice(no, cid, AUG, date(2026, 8, 31), "EUR", total, 0, total)


def je(entry, day, cid, ar, other, amount):
    """Dr AR / Cr other (or the reverse for a negative amount)."""
    d, c = (amount, 0) if amount > 0 else (0, -amount)
    return [JournalLine(entry, 1, day, ar, d, c, "EUR", cid, "x", "", "", "AR"),
            JournalLine(entry, 2, day, other, c, d, "EUR", "", "x", "", "", "other")]


def books():
    # A and B are paid by one payment P1 that leaves B half open; C is paid in full by P2;
    # D is paid in August by P3, but P3 also pays E in September (after the cutoff).
    invoices = [inv("INV-1", "K1", 10000), inv("INV-2", "K1", 10000), inv("INV-3", "K2", 5000),
                inv("INV-4", "K3", 3000), inv("INV-5", "K3", 2000)]
    payments = [Payment("PAY-1", date(2026, 8, 10), 15000, "EUR", "f1"),
                Payment("PAY-2", date(2026, 8, 12), 5000, "EUR", "f2"),
                Payment("PAY-3", date(2026, 8, 20), 5000, "EUR", "f3")]
    allocs = [Allocation("AL-1", date(2026, 8, 10), "applied", 10000, "EUR", "PAY-1", "INV-1", "K1"),
              Allocation("AL-2", date(2026, 8, 10), "applied", 5000, "EUR", "PAY-1", "INV-2", "K1"),
              Allocation("AL-3", date(2026, 8, 12), "applied", 5000, "EUR", "PAY-2", "INV-3", "K2"),
              Allocation("AL-4", date(2026, 8, 20), "applied", 3000, "EUR", "PAY-3", "INV-4", "K3"),
              Allocation("AL-5", date(2026, 9, 2), "applied", 2000, "EUR", "PAY-3", "INV-5", "K3")]
    journal = (je("JE-1", AUG, "K1", "1100", "4000", 20000) + je("JE-2", AUG, "K2", "1100", "4000", 5000)
               + je("JE-3", AUG, "K3", "1100", "4000", 5000)
               + je("JE-4", date(2026, 8, 10), "K1", "1100", "1000", -15000)
               + je("JE-5", date(2026, 8, 12), "K2", "1100", "1000", -5000)
               + je("JE-6", date(2026, 8, 20), "K3", "1100", "1000", -3000)
               + je("JE-7", date(2026, 9, 2), "K3", "1100", "1000", -2000))
    ledger = Ledger(invoices, payments, allocs, journal)
    tables = {
        "tblInvoices": [R.invoice_row(i) for i in invoices],
        "tblInvoiceLines": [],
        "tblPayments": [R.payment_row(p) for p in payments],
        "tblAllocations": [R.allocation_row(a) for a in allocs],
        "tblJournal": [R.journal_row(j) for j in journal],
    }
    return ledger, {t: Table(t, schema.TABLES[t].sheet, schema.TABLES[t].header, rows) for t, rows in tables.items()}


def test_only_whole_settled_groups_move():
    ledger, tables = books()
    p = plan(tables, ledger, SETTINGS, date(2026, 9, 1))
    assert p.problems == []
    assert [r[0] for r in p.moved["tblInvoices"]] == ["INV-3"]       # INV-1 is joined to open INV-2 by PAY-1
    assert [r[0] for r in p.moved["tblPayments"]] == ["PAY-2"]       # PAY-3 still pays INV-5 after the cutoff
    assert [r[0] for r in p.moved["tblAllocations"]] == ["AL-3"]
    assert [r[0] for r in p.kept["tblInvoices"]] == ["INV-1", "INV-2", "INV-4", "INV-5"]
    # every journal entry dated by the cutoff moves; its balances come back as one entry on the first day kept
    assert {r[0] for r in p.moved["tblJournal"]} == {f"JE-{k}" for k in range(1, 7)}
    assert {ln.doc_type for ln in p.carried} == {BROUGHT_FORWARD}
    assert {ln.date for ln in p.carried} == {date(2026, 9, 1)}
    ar = {ln.customer_id: ln.debit - ln.credit for ln in p.carried if ln.account == "1100"}
    assert ar == {"K1": 5000, "K3": 2000}                             # K2 owes nothing: no line
    assert sum(ln.debit for ln in p.carried) == sum(ln.credit for ln in p.carried)


def test_open_periods_and_mid_month_dates_are_refused():
    ledger, tables = books()
    late = plan(tables, ledger, SETTINGS, date(2026, 10, 1))
    assert late.empty and "locked through 2026-08-31" in late.problems[0].message
    mid = plan(tables, ledger, SETTINGS, date(2026, 8, 15))
    assert mid.empty and "start of a month" in mid.problems[0].message


def test_numbers_moved_to_the_archive_are_never_given_again():
    from ardesk.core.billing.billing import highest_sequence
    from ardesk.core.ledger.archive import Carried
    carried = Carried(before=date(2026, 9, 1), numbers=("INV-2026-00041", "CN-2026-00007"),
                      last_ids={"PAY": 90, "AL": 120})
    ledger = Ledger(carried=carried)               # everything settled was archived: nothing live
    assert highest_sequence(ledger, "INV-{year}-{seq:05d}") == 41
    assert highest_sequence(ledger, "CN-{year}-{seq:05d}") == 7
    assert ledger.next_id("PAY") == "PAY-0000091" and ledger.next_id("AL") == "AL-0000121"
    assert highest_sequence(Ledger(), "INV-{year}-{seq:05d}") == 0


# -- typed receipts move with their payments --------------------------------------------------------
from hypothesis import given, settings as hsettings, strategies as st  # noqa: E402

from ardesk.core.cash.receipts import from_receipts  # noqa: E402
from ardesk.core.ledger.archive import Carried, moving_receipts  # noqa: E402
from ardesk.core.model import Receipt  # noqa: E402

# a receipt's details: few enough values that identical rows are common
DETAILS = st.tuples(st.sampled_from([date(2026, 8, 3), date(2026, 8, 4)]), st.sampled_from(["check", "cash"]),
                    st.sampled_from([1000, 2500]), st.sampled_from(["", "K1"]))


@hsettings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(DETAILS, st.booleans(), st.booleans()), max_size=14))
def test_the_receipts_left_keep_the_fingerprints_they_had(rows):
    """Whatever moves, every receipt left on the tab and not posted yet is fingerprinted as before, so
    nothing already posted is posted again and nothing new is taken for posted."""
    receipts, moving_payments = [], set()
    for i, ((day, method, amount, cid), posted, moves) in enumerate(rows):
        pid = f"PAY-{i}" if posted else ""
        receipts.append(Receipt(day, method, amount, "EUR", "Payer", cid, "", "", 2 + i, pid))
        if posted and moves:
            moving_payments.add(pid)
    ledger = Ledger(carried=Carried(before=date(2026, 9, 1)))       # posted ones read as archived
    moved = moving_receipts(receipts, moving_payments | {"INV-1"})
    assert all(r.payment_id in moving_payments for r in receipts if r.row in moved)
    before, _ = from_receipts(receipts, ledger)
    after, _ = from_receipts([r for r in receipts if r.row not in moved], ledger)
    assert [(i.receipt_row, i.fingerprint) for i in after] == [(i.receipt_row, i.fingerprint) for i in before]


def test_a_receipt_moves_unless_an_identical_one_stays():
    day = date(2026, 8, 3)
    same = [Receipt(day, "check", 1000, "EUR", "P", "", "", "1", row, pid) for row, pid in ((2, "PAY-1"), (3, "PAY-2"))]
    alone = Receipt(day, "check", 1000, "EUR", "P", "", "", "2", 4, "PAY-3")
    assert moving_receipts(same + [alone], {"PAY-1", "PAY-3"}) == {4}
    assert moving_receipts(same + [alone], {"PAY-1", "PAY-2", "PAY-3"}) == {2, 3, 4}
