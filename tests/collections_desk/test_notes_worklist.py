"""Customer notes with promises, and the collector's worklist."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from .conftest import billed, charge, customer, level, receipt, run

JAN = date(2026, 1, 5)


def note(day, cid, text, promised=None, amount=None, follow=None, channel="call", invoice=None):
    #       Date Clerk CustomerID InvoiceNo Channel Text PromisedDate PromisedAmount FollowUp Promise
    return (day, "ann", cid, invoice, channel, text, promised, None if amount is None else D(amount), follow, None)


def books(**tables):
    # due dates: C1 and C5 2026-01-01 + 30 = 01-31; C2 terms 0: due 01-01; C3, C4 due 01-31
    return billed([customer("C1", "Acme", rate="0"), customer("C2", "Blue", terms=0, rate="0"),
                   customer("C3", "Cedar", rate="0"), customer("C4", "Delta", rate="0"),
                   customer("C5", "Evergreen", rate="0")],
                  [charge("K1", "C1", "1000.00", "once", JAN), charge("K2", "C2", "200.00", "once", JAN),
                   charge("K3", "C3", "50.00", "once", JAN), charge("K4", "C4", "300.00", "once", JAN),
                   charge("K5", "C5", "100.00", "once", JAN)],
                  tblDunningLevels=[level(1, 10, channel="e-mail"), level(2, 60)], **tables)


def test_promises_kept_broken_pending_and_the_worklist_ranks_them():
    wb = books(
        tblCustomerNotes=[note(date(2026, 2, 20), "C3", "will pay next week", date(2026, 2, 27), "50.00"),
                          note(date(2026, 2, 20), "C5", "paying Friday", date(2026, 2, 27), "100.00"),
                          note(date(2026, 3, 1), "C1", "cheque in the post", date(2026, 3, 20), "1000.00",
                               follow=date(2026, 3, 10))],
        tblDisputes=[("D1", date(2026, 2, 10), "INV-2026-00004", D("300.00"), "quality", "under review", "bob", None,
                      None)])
    wb.rows["tblReceipts"].append(receipt(date(2026, 2, 26), "100.00", "Evergreen", "INV-2026-00005", cid="C5"))
    assert run(wb, "receive").ok
    res = run(wb, "dunning", as_of=date(2026, 3, 12))
    assert res.ok, res.problems
    assert [n[9] for n in wb.rows["tblCustomerNotes"]] == ["broken", "kept", "pending"]
    # C1's pending promise keeps it from dunning until 2026-03-20; C4's invoice is wholly disputed
    assert {r[2] for r in wb.rows["tblDunning"]} == {"C2", "C3"}
    work = wb.rows["tblCollections"]
    ranked = [(r[0], r[1], r[8]) for r in work]
    # broken promise first; then amount past due x days: C1 1000 x 40, C2 200 x 70, C4 300 x 40 (disputed)
    assert [r[1] for r in ranked] == ["C3", "C1", "C2", "C4"]
    assert ranked[0][2].startswith("call: broken promise (50.00 EUR by 2026-02-27")
    assert ranked[1][2] == "follow-up: call of 2026-03-01: cheque in the post"      # its follow-up day has come
    assert "promise: 1,000.00 EUR by 2026-03-20 (2026-03-01)" in work[1][12]
    assert ranked[2][2] == "level-1 e-mail"
    assert ranked[3][2] == "resolve dispute D1 on INV-2026-00004 (under review, 30 days)"
    assert (work[1][4], work[1][5], work[1][6]) == (D("1000.00"), 40, D("40000.00"))
    assert run(wb, "dunning", as_of=date(2026, 3, 12)).written is False
    # the promise date passes unpaid: broken, and C1 is dunned
    run(wb, "dunning", as_of=date(2026, 3, 21))
    assert wb.rows["tblCustomerNotes"][2][9] == "broken"
    assert "C1" in {r[2] for r in wb.rows["tblDunning"]}


def test_note_for_an_unknown_customer_or_half_a_promise_is_named():
    wb = books(tblCustomerNotes=[note(date(2026, 2, 1), "C9", "who?"),
                                 note(date(2026, 2, 1), "C1", "maybe", amount="10.00")])
    res = run(wb, "dunning", as_of=date(2026, 3, 1))
    assert [(p.sheet, p.row, p.column.split()[0], p.value) for p in res.problems] == [
        ("CustomerNotes", 2, "CustomerID", "C9"), ("CustomerNotes", 3, "PromisedDate", D("10.00"))]
