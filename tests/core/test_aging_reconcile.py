from datetime import date
from decimal import Decimal as D

from ardesk import app
from ardesk.core.reports.aging import bucket_index, bucket_labels, parse_buckets
from ardesk.io.memory import MemoryWorkbook
from ardesk.io.port import Changes

from .conftest import charge, customer, receipt


def test_buckets_from_settings():
    b = parse_buckets("15, 45")
    assert bucket_labels(b) == ("Current", "1-15", "16-45", "Over 45")
    assert [bucket_index(d, b) for d in (-3, 0, 1, 15, 16, 45, 46)] == [0, 0, 1, 1, 2, 2, 3]


def _history():
    wb = MemoryWorkbook.with_rows({
        "tblCustomers": [customer("C1", "A", terms=30, rate="0"), customer("C2", "B", terms=10, rate="0")],
        "tblCharges": [charge("K1", "C1", "100"), charge("K2", "C2", "40")]})
    for m in ("2026-07", "2026-08", "2026-09"):
        assert app.run(wb, "bill", period=m).ok
    ch = Changes()
    ch.append("tblReceipts", [receipt(date(2026, 8, 20), "100", cid="C1"),
                              receipt(date(2026, 9, 25), "60", cid="C2")])
    wb.write(ch)
    assert app.run(wb, "receive").ok
    return wb


def _table(wb, name):
    cols = wb.headers[name]
    return [dict(zip(cols, r)) for r in wb.rows[name]]


def test_aging_as_of_a_past_date_counts_only_what_was_known_then():
    wb = _history()
    assert app.run(wb, "report", as_of=date(2026, 8, 31)).ok
    rows = {r["CustomerID"]: r for r in _table(wb, "tblAging")}
    # on Aug 31 C1 had paid July's 100 (Aug 20): only August's 100, not yet due
    assert rows["C1"]["Current"] == D("100.00") and rows["C1"]["Total"] == D("100.00")
    # C2: July 40 due Jul 11 (51 days), August 40 due Aug 11 (20 days); the Sep payment did not exist yet
    assert (rows["C2"]["31-60"], rows["C2"]["1-30"], rows["C2"]["Total"]) == (D("40.00"), D("40.00"), D("80.00"))
    assert rows["TOTAL"]["Total"] == D("180.00")


def test_bucket_totals_equal_control_and_roll_forward_balances():
    wb = _history()
    res = app.run(wb, "report", as_of=date(2026, 9, 30))
    assert res.summary["subledger_equals_control"] and res.summary["roll_forward_balanced"]
    aging_total = [r for r in _table(wb, "tblAging") if r["CustomerID"] == "TOTAL"][0]["Total"]
    rec = {r["Item"]: r["Amount"] for r in _table(wb, "tblReconciliation") if r["Section"] == "Roll-forward"}
    # opening (Aug 31) 180 + invoiced 140 - applied in September 60 = 260
    assert rec["Opening AR"] == D("180.00") and rec["+ Invoiced"] == D("140.00")
    assert rec["- Cash applied"] == D("60.00")
    assert rec["= Closing AR (computed)"] == rec["Closing AR (subledger)"] == rec["Closing AR (journal control)"]
    assert aging_total == rec["Closing AR (subledger)"] == D("260.00")


def test_summary_states_dso_definitions_and_values():
    wb = _history()
    app.run(wb, "report", as_of=date(2026, 9, 30))
    s = {r["Metric"]: r for r in _table(wb, "tblSummary")}
    # 260 open x 30 days / 140 sales = 55.7 days
    assert s["DSO (standard)"]["Value"] == D("55.7")
    assert "credit sales" in s["DSO (standard)"]["Note"]
    # count-back: 260 > Sep 140 (30 days); 120 of Aug's 140 -> 31 x 120/140 = 26.57 => 56.6
    assert s["DSO (count-back)"]["Value"] == D("56.6")


def test_a_hand_edited_journal_shows_up_as_a_difference():
    wb = _history()
    row = list(wb.rows["tblJournal"][0])
    cols = wb.headers["tblJournal"]
    row[cols.index("Debit")] = D("90.00")          # the AR line of the first invoice tampered with
    wb.rows["tblJournal"][0] = tuple(row)
    res = app.run(wb, "reconcile", as_of=date(2026, 9, 30))
    assert not res.summary["journal_balanced"] and not res.summary["subledger_equals_control"]
    diffs = [r for r in _table(wb, "tblReconciliation") if r["Section"] == "Difference"]
    assert diffs and diffs[0]["CustomerID"] == "C1" and diffs[0]["Amount"] == D("10.00")


def test_close_locks_a_reconciled_period_once():
    wb = _history()
    res = app.run(wb, "close", period="2026-08")
    assert res.ok and wb.settings["LockedThrough"] == date(2026, 8, 31)
    assert [r[2] for r in wb.rows["tblAudit"]][-1] == "close"
    again = app.run(wb, "close", period="2026-08")
    assert again.ok and not again.written
    late = Changes()
    late.append("tblReceipts", [receipt(date(2026, 8, 30), "10", cid="C1")])
    wb.write(late)
    blocked = app.run(wb, "receive")
    assert not blocked.ok and "locked" in blocked.summary["problems"][0]


def test_close_refuses_books_that_do_not_reconcile():
    wb = _history()
    row = list(wb.rows["tblJournal"][0])
    row[wb.headers["tblJournal"].index("Debit")] = D("1.00")
    wb.rows["tblJournal"][0] = tuple(row)
    res = app.run(wb, "close", period="2026-09")
    assert not res.ok and "do not reconcile" in res.summary["problems"][0]
    assert wb.settings["LockedThrough"] is None


def test_journal_balance_check_by_runs_handles_entries_split_over_the_journal():
    from ardesk.core.ledger.journal import check_balanced
    from ardesk.core.ledger.ledger import Ledger
    from ardesk.core.model import JournalLine as J
    d = date(2026, 10, 1)
    # JE-1 is split in two runs around JE-2, each run unbalanced, the entry balanced
    split = [J("JE-1", 1, d, "1100", 500, 0, "EUR", "C1"), J("JE-2", 1, d, "1000", 70, 0, "EUR"),
             J("JE-2", 2, d, "1100", 0, 70, "EUR", "C1"), J("JE-1", 2, d, "4000", 0, 500, "EUR")]
    control, _others, balanced = Ledger(journal=split).journal_totals("1100", (), d)
    assert not balanced                       # a run does not net to zero: the exact check decides
    assert check_balanced(split) == [] and control == {("C1", "EUR"): 430}
    adjacent = [split[0], split[3], split[1], split[2]]
    assert Ledger(journal=adjacent).journal_totals("1100", (), d)[2]
    broken = adjacent[:-1] + [J("JE-2", 2, d, "1100", 0, 69, "EUR", "C1")]
    assert not Ledger(journal=broken).journal_totals("1100", (), d)[2]
    assert [p.value for p in check_balanced(broken)] == ["JE-2"]
