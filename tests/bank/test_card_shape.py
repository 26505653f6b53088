"""The quick test that skips texts which cannot hold a card number skips only texts the masking leaves alone,
and masking rows a block at a time gives what masking them row by row gives."""
from __future__ import annotations

import random
from datetime import date, datetime
from decimal import Decimal

import numpy as np
from hypothesis import given, settings, strategies as st

from ardesk.bank import sanitize
from ardesk.bank.sanitize import mask_row, mask_rows, may_hold_card_number
from tests.attack.attacks import CARD_SPELLINGS

# Pieces that make card numbers (Visa, Amex 4-6-5, Diners 4-6-4), their groupings and near misses, IBAN and
# party-identifier heads, hex digests, letters glued to digits, other scripts' digits and the row joiner.
PIECES = ["4111", "1111", "111", "11", "1", "3782", "822463", "10005", "3056", "930902", "5904", "4012",
          "888888", "1881", "0", "2026", "100001", "09", " ", "-", ".", "_", "/", ":", "  ", "--", "\n",
          "a", "x", "BE", "DE89", "IBAN ", "0009:", "bank:3f0a", "ff", "INV-", "\uff14\uff11\uff11\uff11",
          "\u0664\u0661\u0661\u0661", "\u00b2"]
texts = st.lists(st.sampled_from(PIECES), max_size=14).map("".join)


@settings(max_examples=3000, deadline=None)
@given(texts)
def test_a_text_the_quick_test_skips_is_one_the_masking_leaves_alone(text):
    if not may_hold_card_number(text):
        assert sanitize._mask_pass(text) == text


@settings(max_examples=500, deadline=None)
@given(st.lists(texts, min_size=1, max_size=5))
def test_texts_joined_by_a_newline_are_tested_as_each_one(parts):
    if any(may_hold_card_number(t) for t in parts):
        assert may_hold_card_number("\n".join(parts))


def test_every_card_spelling_is_looked_at_and_ledger_texts_are_not():
    for spelling in CARD_SPELLINGS + ["3782 822463 10005", "3056 930902 5904", "x4111111111111111",
                                      "ABE4111111111111111", "4111 1111 1111 1111 2027"]:
        assert may_hold_card_number(spelling), spelling
        assert may_hold_card_number(f"paid {spelling} today")
    for text in ["invoice INV-2026-100001 2026-09", "BE00000000000001", "IBAN BE00000000011961",
                 '{"BankAccount": "BE00000000000001", "TaxRate": "0.21"}', "3782-822463 10005",
                 "4111 1111-1111 1111", "JE-0177792", "2026-09-01 10:00:00", "123456789012"]:
        assert not may_hold_card_number(text), text
        assert sanitize.mask_card_numbers(text) == text


def _rows(n: int) -> list:
    rnd = random.Random(11)
    cells = [None, True, 7, 12.5, 4111111111111111, 4111111111111111.0, np.float64(4111111111111111.0),
             Decimal("180.29"), date(2026, 9, 1), datetime(2026, 9, 1, 10), "invoice INV-2026-100001 2026-09",
             "BE00000000000001", "paid with 4111 1111 1111 1111", "bank:0f0d711626378a0484fe", "3782 822463 10005"]

    class Text(str):
        pass
    rows = []
    for i in range(n):
        row = [rnd.choice(cells) for _c in range(rnd.randint(1, 7))]
        if i % 997 == 0:
            row.append(Text("4111111111111111"))       # a str subclass: the block goes row by row
        rows.append(tuple(row) if i % 2 else list(row))
    return rows


def test_mask_rows_is_mask_row_row_by_row(monkeypatch):
    rows = _rows(5000)
    assert mask_rows(rows) == [mask_row(r) for r in rows]
    monkeypatch.setattr(sanitize, "_BLOCK", 7)              # many blocks, most holding no card number
    plain = [r for r in rows if not any(isinstance(v, (int, float)) and v >= 10 ** 12 or
                                        isinstance(v, str) and may_hold_card_number(v) for v in r)]
    mixed = (plain[:40] + [("x", "card 4111111111111111")] + plain[40:80] + [(None, 4111111111111111)]
             + plain[80:120] + [(np.float64(4111111111111111.0),)])
    out = mask_rows(mixed)
    assert out == [mask_row(r) for r in mixed]
    assert out[40] == ("x", "card ************1111") and out[81] == (None, "************1111")
    assert out[-1] == ("************1111",)
    assert all(type(r) is tuple for r in out)
