"""The matcher on remittances written the way payers write them (bench/remitters.py): no wrong
auto-post of any kind, and the lines a clerk would post are posted."""
from __future__ import annotations

import random
import sys
from pathlib import Path

from ardesk.core.cash.receipts import post_receipts
from ardesk.core.ledger.ledger import Ledger
from ardesk.core.model import Settings

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import remitters  # noqa: E402


def test_no_wrong_auto_post_and_recall_on_independent_statements():
    rng = random.Random(2026)
    book = remitters.build_book(rng, 300)
    cases = remitters.generate(rng, book, 20)
    res = post_receipts([c.line for c in cases], Ledger(list(book.invoices)), book.customers, Settings())
    table = remitters.judge(cases, res.payments, res.allocations)
    assert set(table) == set(remitters.KINDS)
    assert {k: t["wrong"] for k, t in table.items() if t["wrong"]} == {}
    to_post = [t for t in table.values() if t["expect"] == "post"]
    assert sum(t["right"] for t in to_post) / sum(t["lines"] for t in to_post) >= 0.92
    # the case: an overpaid quoted invoice is paid, the rest is the customer's credit
    assert table["overpaid quoted"]["right"] >= table["overpaid quoted"]["lines"] - 1
