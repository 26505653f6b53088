"""The workbook port: what the library needs from a workbook, whoever holds it.

Two adapters implement it: :mod:`ardesk.io.fileadapter` (an .xlsx on disk,
through python-calamine and openpyxl) and :mod:`ardesk.excel.adapter` (a live
workbook through the xlwings Book API).  The library reads whole tables once,
computes, and hands the adapter one :class:`Changes` to write in one go.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol, Sequence

from ..schema import TABLES


_CELL = re.compile(r"^\$?([A-Z]+)\$?(\d+)$")


class WorkbookError(Exception):
    """The workbook cannot be read or written as asked (missing table, locked file...)."""


@dataclass
class Table:
    """A table as read: its header and the raw cell values of its data rows.

    ``first_row`` is the worksheet row number of ``rows[0]`` and ``first_col``
    the column number (1-based) of the first column, so a problem can name
    the cell a clerk must fix.  Blank rows are kept (as all-None) so row numbers
    stay true; readers skip them.
    """
    name: str
    sheet: str
    header: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    first_row: int = 2
    first_col: int = 1

    def index(self, column: str) -> int:
        try:
            return self.header.index(column)
        except ValueError:
            raise WorkbookError(
                f"Sheet {self.sheet!r}: table {self.name} has no column {column!r} "
                f"(columns: {', '.join(self.header)})") from None

    def col_letter(self, column: str) -> str:
        return column_letter(self.first_col + self.index(column))

    def is_blank(self, row: Sequence[Any]) -> bool:
        return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)


def parse_ref(ref: str) -> tuple[int, int, int, int]:
    """'A1:D20' -> (min_col, min_row, max_col, max_row)."""
    ref = ref.split("!")[-1].strip()
    a, _, b = ref.partition(":")
    ma, mb = _CELL.match(a.replace("$", "")), _CELL.match((b or a).replace("$", ""))
    if not ma or not mb:
        raise WorkbookError(f"cannot read the range {ref!r}")

    def col(s: str) -> int:
        n = 0
        for ch in s:
            n = n * 26 + ord(ch) - 64
        return n
    return col(ma.group(1)), int(ma.group(2)), col(mb.group(1)), int(mb.group(2))


def in_sheet_order(name: str, sheet_header: Sequence[Any], rows: Sequence[tuple]) -> list[tuple]:
    """Appended rows (in the layout's column order) rearranged to the columns of the table in the workbook.

    A workbook made before the layout moved a column (the Review tab's decision columns came first) keeps
    its own order; every column of the layout must still be there.
    """
    tdef = TABLES.get(name)
    header = tuple("" if h is None else str(h).strip() for h in sheet_header)
    if tdef is None or header == tdef.header or not rows:
        return list(rows)
    missing = [c for c in tdef.header if c not in header]
    if missing:
        raise WorkbookError(f"Sheet {tdef.sheet!r}: table {name} has no column {', '.join(map(repr, missing))} "
                            f"(columns: {', '.join(header)}); add it, or copy the tab from `ardesk init`")
    at = [tdef.header.index(h) if h in tdef.header else None for h in header]
    return [tuple(None if i is None else row[i] for i in at) for row in rows]


def column_letter(n: int) -> str:
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


@dataclass
class Changes:
    """Everything one run writes, computed before any of it is written.

    - ``appends``: rows added at the end of ledger tables (values in the table's
      column order, money as Decimal, dates as date);
    - ``replace``: report tables rewritten whole: (header, rows), plus an
      optional title written above the table;
    - ``names``: settings (defined names) to set;
    - ``updates``: single cells of existing rows, keyed by table, worksheet
      row number and column name (e.g. the PaymentID stamped on a posted
      Receipts row);
    - ``formats``: number formats of single cells of existing rows, keyed the
      same way (a posted receipt's amount shown with its currency's decimals);
    - ``anchored``: what was hashed to anchor the run's Audit row (the chain
      states before and after, the canonical rows; set by
      :func:`ardesk.io.runlog.anchor`), so that the run log does not hash the
      same rows again.
    """
    appends: dict[str, list[tuple]] = field(default_factory=dict)
    replace: dict[str, tuple[tuple[str, ...], list[tuple]]] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    names: dict[str, Any] = field(default_factory=dict)
    updates: dict[str, list[tuple[int, str, Any]]] = field(default_factory=dict)
    formats: dict[str, list[tuple[int, str, str]]] = field(default_factory=dict)
    anchored: Any = None              # an ardesk.io.runlog.Anchored

    def number_format(self, table: str, row: int, column: str, fmt: str) -> None:
        self.formats.setdefault(table, []).append((row, column, fmt))

    def update(self, table: str, row: int, column: str, value: Any) -> None:
        self.updates.setdefault(table, []).append((row, column, value))

    def append(self, table: str, rows: Sequence[tuple]) -> None:
        """Rows for the end of ``table``; a row shorter than the table leaves the later columns blank."""
        if rows:
            width = len(TABLES[table].columns) if table in TABLES else 0
            self.appends.setdefault(table, []).extend(
                tuple(r) + (None,) * (width - len(r)) if len(r) < width else r for r in rows)

    def is_empty(self) -> bool:
        return not (self.appends or self.replace or self.names or self.updates)

    def summary(self) -> dict[str, int]:
        return {TABLES[t].sheet if t in TABLES else t: len(r) for t, r in self.appends.items()}


class WorkbookPort(Protocol):
    """What both adapters provide."""

    def read_tables(self, names: Sequence[str]) -> dict[str, Table]:
        """The named tables (Excel table names, e.g. 'tblCustomers')."""

    def read_settings(self) -> dict[str, Any]:
        """Raw values of the defined names listed in schema.SETTINGS (missing ones absent)."""

    def write(self, changes: Changes) -> None:
        """Write all changes at once; on failure leave the workbook as it was."""
