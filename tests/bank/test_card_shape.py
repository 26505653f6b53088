"""The quick test that skips texts which cannot hold a card number skips only texts the masking leaves alone;
masking rows, and finding the card numbers typed on input tabs, a block and a column at a time gives what the
row-by-row scans (kept below as the oracle) gave, on random tables and on the demo's Month-end."""
from __future__ import annotations

import copy
import random
import shutil
from datetime import date, datetime
from decimal import Decimal
from unittest import mock

import numpy as np
from hypothesis import given, settings, strategies as st

from ardesk import app
from ardesk.bank import sanitize
from ardesk.bank.sanitize import mask_row, mask_rows, mask_value, may_hold_card_number, typed_card_numbers
from ardesk.io.port import Changes, Table
from tests.attack.attacks import CARD_SPELLINGS, receipt

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
    at = [i for i, t in enumerate(parts) if may_hold_card_number(t) and len(t) >= 13]
    assert sanitize._texts_to_mask(parts) == at            # which texts, from one search of them joined


@settings(max_examples=3000, deadline=None)
@given(texts)
def test_the_quick_test_is_the_card_shape_search(text):
    """The substring searches that come first only ever skip texts the card-shape pattern finds nothing in."""
    assert may_hold_card_number(text) == _old_may_hold(text)


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


# The row-by-row scans these replaced, kept as the oracle.
_OLD_BLOCK = 4096


def _old_may_hold(text):
    return sanitize._CARD_SHAPE.search(
        sanitize._ascii_digits(text).encode("ascii", "replace").translate(sanitize._SHAPE)) is not None


def _old_row_may_hold(row):
    texts = []
    for v in row:
        if isinstance(v, str):
            if len(v) >= 13:
                texts.append(v)
        elif isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 10 ** 12:
            return True
    return bool(texts) and _old_may_hold("\n".join(texts))


def _old_mask_row(row):
    if not _old_row_may_hold(row):
        return row if type(row) is tuple else tuple(row)
    return tuple(mask_value(v) for v in row)


def _old_mask_rows(rows):
    out = []
    for k in range(0, len(rows), _OLD_BLOCK):
        block = rows[k:k + _OLD_BLOCK]
        cells = [v for r in block for v in r]
        kinds = set(map(type, cells))
        if not kinds <= sanitize._PLAIN or (
                (int in kinds or float in kinds)
                and max([v for v in cells if type(v) is int or type(v) is float]) >= 10 ** 12) or (
                str in kinds and _old_may_hold("\n".join([v for v in cells if type(v) is str]))):
            out += [_old_mask_row(r) for r in block]
        else:
            out += [r if type(r) is tuple else tuple(r) for r in block]
    return out


def _old_typed_card_numbers(tables, accounts=None):
    out = []
    for name, t in tables.items():
        skip = set((accounts or {}).get(name, ()))
        for i, row in enumerate(t.rows):
            if not _old_row_may_hold(row):
                continue
            for j, (column, v) in enumerate(zip(t.header, row)):
                if column in skip:
                    continue
                masked = mask_value(v)
                if masked is not v and masked != v:
                    out.append((name, t.sheet, t.first_row + i, t.first_col + j, column, masked))
    return out


class _Text(str):
    pass


# Cells as the input tabs and a run's rows hold them: texts built from the pieces, every card spelling,
# near misses (an IBAN, a fingerprint, a memo with an invoice number and a month), numbers around 10**12
# (NaN, infinity, a float card number, numpy's float), dates, amounts, and a subclass of str.
CELLS = st.one_of(
    texts,
    st.sampled_from(CARD_SPELLINGS + ["paid 4111 1111 1111 1111", "IBAN BE00000000011961", "BE79170945489786",
                                      "bank:0f0d711626378a0484fe", "invoice INV-2026-100479 2026-10",
                                      "3782 822463 10005 thanks", "4111 1111-1111 1111", "", " "]),
    st.sampled_from([None, None, True, 0, 7, 12.5, 10 ** 12 - 1, 10 ** 12, 4111111111111111, 378282246310005,
                     4111111111111111.0, float("nan"), float("inf"), 1e18, Decimal("180.29"),
                     date(2026, 9, 1), datetime(2026, 9, 1, 10), np.float64(4111111111111111.0)]),
    st.sampled_from(CARD_SPELLINGS[:3] + ["no card here at all"]).map(_Text),
)
RECTANGLES = st.integers(1, 6).flatmap(
    lambda w: st.lists(st.lists(CELLS, min_size=w, max_size=w).map(tuple), max_size=30))
RAGGED = st.lists(st.lists(CELLS, max_size=7).map(tuple), max_size=30)
TABLES = st.one_of(RECTANGLES, RECTANGLES, RAGGED)


@settings(max_examples=400, deadline=None)
@given(TABLES, st.sampled_from([1, 2, 5, 4096]), st.data())
def test_the_column_scan_finds_every_row_the_masking_changes(rows, block, data):
    """A row the scan passes over holds no cell, outside the columns skipped, that the masking changes; the
    rows masked and the typed card numbers found equal those of the row-by-row scans."""
    width = max(map(len, rows), default=0)
    skip = {j for j in data.draw(st.lists(st.integers(0, 5), max_size=2)) if j < width}
    header = tuple(f"C{j}" for j in range(width))
    t = Table("tblReceipts", "Receipts", header, [r if k % 3 else list(r) for k, r in enumerate(rows)],
              data.draw(st.integers(2, 9)), data.draw(st.integers(1, 3)))
    accounts = {"tblReceipts": tuple(header[j] for j in skip)}
    with mock.patch.object(sanitize, "_BLOCK", block):
        looked_at = set(sanitize._rows_to_mask(t.rows, skip))
        for i, row in enumerate(t.rows):
            if i not in looked_at:
                assert all(mask_value(v) is v for j, v in enumerate(row) if j not in skip), row
        masked = mask_rows(t.rows)
        assert masked == [tuple(mask_value(v) for v in r) for r in t.rows]
        if not any(v != v for r in t.rows for v in r):        # the old scan missed a number after a NaN
            assert masked == _old_mask_rows(t.rows)
        assert all(type(r) is tuple for r in masked)
        assert typed_card_numbers({"tblReceipts": t}, accounts) == _old_typed_card_numbers({"tblReceipts": t},
                                                                                          accounts)


def test_a_card_number_after_nan_in_a_column_is_found():
    """``max`` of numbers beginning with NaN is NaN: such a column is looked at cell by cell."""
    rows = [(float("nan"), "x"), (4111111111111111.0, "y"), (1.5, "z")]
    assert mask_rows(rows)[1] == ("************1111", "y")
    assert _old_mask_rows(rows)[1] == (4111111111111111.0, "y")        # what the block scan let through
    t = Table("tblReceipts", "Receipts", ("Amount", "Payer"), rows, 2, 1)
    assert typed_card_numbers({"tblReceipts": t}) == [("tblReceipts", "Receipts", 3, 1, "Amount", "************1111")]


def test_the_demo_month_end_masks_as_the_row_by_row_scans(tmp_path, monkeypatch):
    """The demo's Month-end, with card numbers typed on Receipts and Customers: every scan of the typed tabs
    and every masking of what the run writes gives what the row-by-row scans gave."""
    from ardesk.demo import build_demo
    from ardesk.io.fileadapter import FileWorkbook
    book = tmp_path / "demo.xlsx"
    assert build_demo(book, customers=30, period="2026-10", dry_run=True).ok
    port = FileWorkbook(book)
    customers = port.read_tables(["tblCustomers"])["tblCustomers"]
    typed = Changes()
    typed.append("tblReceipts", [receipt(date(2026, 10, 20), "5.00", "check", ref=f"card {s}", check=s,
                                         payer=f"Payer {s}") for s in CARD_SPELLINGS])
    for k, s in enumerate(CARD_SPELLINGS):
        typed.update("tblCustomers", customers.first_row + k, "Address", f"paid by {s}")
    port.write(typed, backup=False)
    scans, maskings = [], []
    new_typed, new_mask = app.typed_card_numbers, app.mask_changes

    def typed_card_numbers_checked(tables, accounts=None):
        found = new_typed(tables, accounts)
        assert found == _old_typed_card_numbers(tables, accounts)
        scans.append(found)
        return found

    def mask_changes_checked(changes):
        old, unmasked = copy.deepcopy(changes), copy.deepcopy(changes)
        for rows in old.appends.values():
            rows[:] = _old_mask_rows(rows)
        for name, (header, rows) in old.replace.items():
            old.replace[name] = (header, _old_mask_rows(rows))
        new_mask(changes)
        assert changes.appends == old.appends and changes.replace == old.replace
        maskings.append(sum(before != after for name, rows in changes.appends.items()
                            for before, after in zip(unmasked.appends[name], rows)))

    monkeypatch.setattr(app, "typed_card_numbers", typed_card_numbers_checked)
    monkeypatch.setattr(app, "mask_changes", mask_changes_checked)
    shutil.copy(tmp_path / "demo-bank-2026-10.csv", tmp_path / "bank.csv")
    result = app.run(FileWorkbook(book), "month-end", period="2026-10", bank_files=[tmp_path / "bank.csv"],
                     now=datetime(2026, 11, 2, 9), user="clerk")
    assert result.ok, result.problems[:3]
    assert len(scans) == 1 and len(scans[0]) == 4 * len(CARD_SPELLINGS)     # payer, reference, check, address
    assert maskings[0] > 0                  # the payments of the typed receipts name their payers
