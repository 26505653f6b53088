"""The row-at-a-time card-number masking (one search per row) gives what cell-by-cell masking gives."""
from __future__ import annotations

import random
from datetime import date, datetime
from decimal import Decimal

from ardesk.bank import sanitize
from ardesk.bank.sanitize import mask_row, mask_value, typed_card_numbers
from ardesk.core.ledger import chain
from ardesk.io import runlog
from ardesk.io.port import Table
from tests.attack.attacks import CARD_SPELLINGS

FULL_WIDTH = "".join(chr(0xFF10 + int(d)) for d in "4111111111111111")

# Rows mixing texts that hold a card number (in every spelling), texts that only look close to one, numbers
# and dates; some cells split a card number across separators, some split it across two cells.
MIXED = [
    ("INV-1", Decimal("12.50"), date(2026, 3, 1), "paid with 4111 1111 1111 1111"),
    ("ref 1234567812345678", 1234567812345678, 4111111111111111, 4111111111111111.0),
    ("4111 1111", "1111 1111", "card 4111-1111-", "1111-1111"),          # split across cells: never one number
    (f"paid {FULL_WIDTH}", "\uff14\uff11\uff11\uff11 \uff11\uff11\uff11\uff11", None, True),
    ("IBAN DE89370400440532013000", "0009:41111111111111", "receipts:3f09a1b2c3d4e5f6a7b8", 999999999999),
    ("card 4111111111111111 exp 2027", datetime(2026, 3, 1, 9, 30), 12.5, "4111 1111 1111 1111 2027 12"),
    ("Acme GmbH", "", None, 0, "order 123456789012", "2026-03-01 10:00"),
    tuple(CARD_SPELLINGS),
    tuple(f"x{s}y" for s in CARD_SPELLINGS),
]


def _random_rows(n: int) -> list[tuple]:
    rnd = random.Random(7)
    pieces = ["4111", "1111", "3782", "822463", "10005", " ", "-", ".", "/", "_", "\n", "a", "CARD",
              "\uff14\uff11\uff11\uff11", "\u0664\u0661\u0661\u0661", "0", "12", "DE89", "2027"]
    rows = []
    for _ in range(n):
        row = []
        for _c in range(rnd.randint(1, 6)):
            kind = rnd.random()
            if kind < 0.7:
                row.append("".join(rnd.choice(pieces) for _p in range(rnd.randint(1, 10))))
            elif kind < 0.85:
                row.append(rnd.choice([4111111111111111, 378282246310005, 10 ** 12 - 1, 7, 4111111111111111.0]))
            else:
                row.append(rnd.choice([None, date(2026, 1, 2), Decimal("1.10"), False]))
        rows.append(tuple(row))
    return rows


def test_mask_row_is_mask_value_cell_by_cell():
    rows = MIXED + _random_rows(3000)
    masked = [mask_row(r) for r in rows]
    assert masked == [tuple(mask_value(v) for v in r) for r in rows]
    assert sum(m != r for m, r in zip(masked, rows)) > 100          # the random rows do hold card numbers
    assert "************1111" in masked[0][3] and masked[2] == MIXED[2]       # split across cells: kept
    assert all("*" in v for v in masked[MIXED.index(tuple(CARD_SPELLINGS))])  # every spelling masked


def test_canon_is_masking_cell_by_cell():
    rows = MIXED + _random_rows(3000)
    slow = [chain.canonical_row([runlog._mask(v) for v in r]) for r in rows]
    assert [runlog.canon(r) for r in rows] == slow
    assert "paid " + "*" * 12 + "1111" in slow[3]


def test_typed_card_numbers_row_filter():
    rows = MIXED + _random_rows(500)
    width = max(len(r) for r in rows)
    header = [f"C{i}" for i in range(width)]
    t = Table("tblReceipts", "Receipts", tuple(header), [tuple(r) + (None,) * (width - len(r)) for r in rows], 5, 2)
    found = typed_card_numbers({"tblReceipts": t}, {"tblReceipts": ("C1",)})
    expected = [("tblReceipts", "Receipts", 5 + i, 2 + j, header[j], mask_value(v))
                for i, r in enumerate(t.rows) for j, v in enumerate(r)
                if j != 1 and mask_value(v) is not v and mask_value(v) != v]
    assert found == expected and len(found) > 50


def test_heads_are_searched_in_the_text_s_tail_only():
    rnd = random.Random(3)
    alphabet = "DE0009: \n\t-xa1"
    for _ in range(20000):
        text = "".join(rnd.choice(alphabet) for _c in range(rnd.randint(0, 12)))
        end = rnd.randint(0, len(text))
        for pattern in (sanitize._IBAN_HEAD, sanitize._SCHEME_HEAD):
            assert sanitize._head(pattern, text, end) == bool(pattern.search(text[:end])), (pattern, text, end)


def test_masked_ledger_rows_from_the_unmasked_ones():
    rows = MIXED + _random_rows(2000)
    t = Table("tblJournal", "Journal", tuple(f"C{i}" for i in range(30)), rows, 2, 1)
    plain = runlog.ledger_rows({"tblJournal": t}, chain.canonical_row)
    assert runlog.masked(plain) == runlog.ledger_rows({"tblJournal": t})
    assert runlog.masked(plain) != plain


def test_document_numbers_and_months_are_not_card_numbers():
    """A journal memo names an invoice and its month: its 16 digits pass Luhn for one number in ten, but in
    groups of 4-6-4-2 they are no card number; card groupings inside other figures are still masked."""
    numbers = [n for n in range(100000, 100200) if sanitize.luhn_ok(f"2026{n}202608")]
    assert numbers                                   # the memos below would all have been masked before
    for n in numbers:
        memo = f"invoice INV-2026-{n} 2026-08"
        assert sanitize.mask_card_numbers(memo) == memo
    for n in range(100000, 101000):                 # the invoice number with its year is a 4-6-4 Diners shape
        memo = f"invoice INV-2026-{n} 2026-08"          # in one memo in ten, but its separators differ
        assert sanitize.mask_card_numbers(memo) == memo
    assert sanitize.mask_card_numbers("3056 930902 5904") == "**********5904"
    assert sanitize.mask_card_numbers("3782 822463 10005") == "***********0005"
    assert sanitize.mask_card_numbers("4111 1111 1111 1111 12/27") == "************1111 12/27"
    assert sanitize.mask_card_numbers("paid 4111-1111-1111-1111, month 2026-08") == "paid ************1111, month 2026-08"


def _card_runs(text: str) -> list[str]:
    """Every span of whole digit groups in ``text`` that is card-shaped and passes Luhn (what masking
    must leave none of)."""
    out = []
    for m in sanitize._DIGIT_RUN.finditer(text):
        parts = sanitize._SPLIT.split(m.group(0))
        groups, seps = parts[0::2], parts[1::2]
        for i in range(len(groups)):
            for j in range(i + 1, len(groups) + 1):
                span = "".join(groups[i:j])
                if 13 <= len(span) <= 19 and sanitize.luhn_ok(span) and sanitize._card_shaped(
                        [len(g) for g in groups[i:j]], seps[i:j - 1]):
                    out.append(span)
    return out


def test_masked_text_holds_no_card_number_and_masks_to_itself():
    """The four digits kept of one card number can make another with the groups after it; masking goes on
    until none is left, so masking what was masked changes nothing."""
    text = "1941 6461 2561 5351 7517 5070 9344 47"
    masked = sanitize.mask_card_numbers(text)
    assert _card_runs(text) and not _card_runs(masked) and masked.endswith("4447")
    rnd = random.Random(11)
    changed = 0
    for _ in range(20000):
        digits = "".join(rnd.choice("0123456789") for _d in range(rnd.randint(13, 34)))
        text = rnd.choice(("", "ref ", "CARD")) + " ".join(digits[k:k + 4] for k in range(0, len(digits), 4))
        masked = sanitize.mask_card_numbers(text)
        changed += masked != text
        assert sanitize.mask_card_numbers(masked) == masked and not _card_runs(masked), text
    assert changed > 1000


def test_anchor_of_masked_rows_needs_no_second_masking():
    """A run's rows are masked before its Audit row is anchored, and the anchor takes their texts as they
    are: the heads equal those of masking every cell again (what verify does with the rows read back)."""
    from ardesk.bank.sanitize import mask_changes
    from ardesk.io.port import Changes
    ch = Changes()
    rows = MIXED + _random_rows(2000) + [("memo 1941 6461 2561 5351 7517 5070 9344 47", 1)]
    ch.append("tblJournal", [tuple(r) for r in rows])
    ch.append("tblAudit", [("2026-03-01", "clerk", "run", "done")])
    mask_changes(ch)
    before = {t: chain.State(0, chain.GENESIS) for t in ("tblJournal", "tblAudit")}
    quick = runlog.anchor(before, ch, masked=True)
    assert quick == runlog.anchor(before, ch)
    assert [runlog.canon(r) for r in ch.appends["tblJournal"]] == ch.anchored.rows["tblJournal"]
