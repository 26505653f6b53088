"""The adapter's write plan converts a column at a time to exactly what converting cell by cell gives."""
from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal

import pytest

from ardesk.excel import adapter

from .xlremote_helpers import NOW, USER, inbox_files


def cell_by_cell(rows, remote):
    """The conversion the plan made before it went column by column: the oracle."""
    out = adapter._remote_out if remote else adapter.cell_out
    return [[out(v) for v in row] for row in rows]


def typed(rows):
    """Values with their types: 1, 1.0 and True are equal in Python but not in a cell."""
    return [[(type(v), v) for v in row] for row in rows]


class Code(str):
    """A str subclass: the plan must not take it for a plain text column."""


VALUES = {
    "text": lambda r: r.choice(["INV-1", "", "=SUM(A1)", "0012", "2026-10", "+32 2", "'quoted", "ä"]),
    "money": lambda r: r.choice([Decimal("1250.10"), Decimal("-0.005"), Decimal("1"), Decimal("0E-2"),
                                 Decimal("12345678.123")]),
    "int": lambda r: r.choice([0, 1, -7, 30, 10 ** 12]),
    "float": lambda r: r.choice([0.0, 1.0, 0.1, -2.5, 1e-9]),
    "bool": lambda r: r.choice([True, False]),
    "date": lambda r: dt.date(2026, r.randint(1, 12), r.randint(1, 28)),
    "datetime": lambda r: r.choice([dt.datetime(2026, 10, 31), dt.datetime(2026, 10, 31, 9, 30, 15, 500),
                                    dt.datetime(2026, 10, 31, 9, tzinfo=dt.timezone.utc)]),
    "other": lambda r: r.choice([Code("C0001"), Code(""), dt.time(9, 30)]),
}


def random_column(r: random.Random, n: int) -> list:
    """A column of one kind (blanks among them or not), or a mix of kinds as a clerk's typing may give."""
    kinds = [r.choice(list(VALUES))] if r.random() < 0.6 else r.sample(list(VALUES), r.randint(2, 4))
    blanks = r.choice([0.0, 0.0, 0.3, 1.0])
    return [None if r.random() < blanks else VALUES[r.choice(kinds)](r) for _ in range(n)]


@pytest.mark.parametrize("remote", [True, False], ids=["remote", "desktop"])
def test_random_rows_convert_as_cell_by_cell(remote):
    r = random.Random(12)
    for _ in range(300):
        n = r.randint(1, 40)
        rows = list(zip(*(random_column(r, n) for _ in range(r.randint(1, 8)))))
        assert typed(adapter.rows_out(rows, remote)) == typed(cell_by_cell(rows, remote)), rows
    assert adapter.rows_out([], remote) == []


def test_mixed_numbers_keep_their_types():
    """True, 1, 1.0 and Decimal 1 are equal and hash alike: a column mixing them keeps each one's type."""
    rows = [(True, dt.date(2026, 1, 1)), (1, dt.datetime(2026, 1, 1)), (1.0, None), (Decimal(1), dt.date(2026, 1, 1))]
    got = adapter.rows_out(rows, remote=True)
    assert typed(got) == typed([[True, "2026-01-01"], [1, "2026-01-01"], [1.0, ""], [1.0, "2026-01-01"]])


def _month_end_actions(path, demo_dir):
    import xlwings as xw
    from ardesk.excel import buttons
    from ardesk.excel.payload import book_payload
    book = xw.Book(json=book_payload(path))
    result = buttons.run_button(book, "ardeskMonthEnd", now=NOW, user=USER, bank_files=inbox_files(demo_dir))
    assert result is not None and not result.problems
    return json.dumps(book.json()["actions"], default=str)


def test_month_end_actions_as_cell_by_cell(demo_dir, monkeypatch):
    """The demo's Month-end click queues the same actions, value for value and type for type."""
    path = demo_dir / "billing.xlsx"
    new = _month_end_actions(path, demo_dir)
    monkeypatch.setattr(adapter, "rows_out", cell_by_cell)
    old = _month_end_actions(path, demo_dir)
    assert '"setValues"' in new and new == old
