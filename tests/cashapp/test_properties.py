"""Whatever arrives, the books stay whole."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from hypothesis import given, settings, strategies as st

from ardesk.core.ledger.journal import check_balanced
from ardesk.core.cash.matching import Incoming
from ardesk.core.model import Settings
from ardesk.core.cash.receipts import post_receipts

from .conftest import customers_of, ledger_of

REFS = ["", "INV-2026-00001", "inv 2", "INV-2026-00042 INV-2026-00003", "2026/0043", "INV-2026-00O42", "thanks"]
ACCOUNTS = ["", "BE71096123456769", "NL91ABNA0417164300", "XX00"]
NAMES = ["", "Acme Bakery Ltd", "Blue Harbour Dental", "Someone"]

line = st.tuples(st.integers(1, 200_000), st.sampled_from(REFS), st.sampled_from(ACCOUNTS),
                 st.sampled_from(NAMES), st.integers(0, 20))


@settings(max_examples=60, deadline=None)
@given(st.lists(line, min_size=1, max_size=12), st.booleans())
def test_books_stay_whole(lines, review):
    ledger, customers = ledger_of(), customers_of()
    incoming = [Incoming(date(2026, 3, 1) + timedelta(days=d), amount, "EUR", f"fp{i}", "bank", "transfer", name,
                         acct, "", ref, origin=f"line {i}", at_bank=True)
                for i, (amount, ref, acct, name, d) in enumerate(lines)]
    res = post_receipts(incoming, ledger, customers, Settings(), review=review)
    assert not check_balanced(ledger.journal)
    for inv in ledger.invoices:
        assert ledger.open_amount(inv.number) >= 0, inv.number
    spread = defaultdict(int)
    for a in res.allocations:
        if a.kind in ("applied", "credit", "suspense"):
            spread[a.payment_id] += a.amount
    for p in res.payments:
        assert spread[p.id] == p.amount, p.id
    posted = {p.fingerprint for p in res.payments}
    waiting = {i.incoming.fingerprint for i in res.review if not i.payment_id}
    assert posted.isdisjoint(waiting)
    assert len(posted) + len(waiting) == len(incoming)
