"""The workbook port over a live workbook, through the xlwings Book API.

Works on every xlwings engine (Excel on Windows and Mac, xlwings Lite and
xlwings Server) because it uses only what all of them provide: tables by
name, bulk ``range.value`` reads and writes, ``table.resize``, defined names
and number-format setters.

Reading: one bulk read per table (header and body together).  Cells come back
as the file adapter gives them: dates as ``date`` (``datetime`` when there is
a time), numbers as float, blanks as None.  The remote engine receives dates
as ISO strings from clients that know the cell is a date (Excel 2021/365);
xlwings turns those into datetimes.  Older clients, and custom date formats
Excel does not classify as dates, send the serial number instead: in the
columns the layout declares as dates, serials are turned into dates here.

Writing: :meth:`XlwingsWorkbook.write` first plans every block (the cells,
their values as Excel stores them, the new table sizes), which is where any
problem is found, and only then writes, one block per table or column run:

- appends go below the table (filling the blank row an empty table keeps)
  and the table is resized; existing rows are never rewritten;
- updates write only the named cells (consecutive rows of one column as one
  block);
- a replaced report table is cleared, written header and body in one block,
  and resized;
- number formats go on one range per run of rows that share one; on the remote
  engine a blank cell joins the run it sits in (it shows nothing either way),
  so a Journal's Debit and Credit columns are a range per currency run, not
  one per line: Excel is sent tens of format actions, not tens of thousands;
- money (Decimal) becomes float here, the one place it meets Excel's doubles;
- every text value is written with a leading apostrophe, Excel's own "this
  is text" mark, so imported text never becomes a formula ("=..."), a date
  ("2026-10", "1-30") or a number ("0012").  The apostrophe is not part of
  the value: Excel shows and returns the text without it.

The run log: where the workbook is a file (the classic add-in on Windows or
the Mac, opened from a local folder or a UNC share), a run keeps the run log
beside it exactly as the command line does (:mod:`ardesk.io.runlog`): it
checks the ledgers against the log before posting, stops when a stale save
dropped posted rows, and logs its record before writing.  Excel's own owner
file already holds the open workbook, so no lock is taken.  xlwings Lite and
Server send no path, and a workbook on OneDrive or SharePoint has a URL:
there is no log, :attr:`XlwingsWorkbook.log_note` says so, and the next
command-line run adopts the ribbon's posts through their Audit anchor.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import zip_longest
from pathlib import Path
from typing import Any, Iterable, Sequence

from .. import schema
from ..core.ledger.chain import LEDGERS
from ..io import quickstate, runlog
from ..io.clerk import clerk_name
from ..io.port import Changes, Table, WorkbookError, column_letter, in_sheet_order, parse_ref

READ_OPTIONS = {"ndim": 2, "dates": dt.datetime, "empty": None, "err_to_str": True}
# the ISO text the Office.js client sends for a date cell (as xlwings' remote engine recognises it)
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
DATE_KINDS = (schema.DATE, schema.DATETIME)


# -- values in -----------------------------------------------------------------
def from_serial(v: float) -> dt.date | dt.datetime:
    """An Excel serial number (1900 date system) as a date, or a datetime when it has a time."""
    whole = int(v)
    d = schema.EPOCH + dt.timedelta(days=whole)
    frac = v - whole
    if not frac:
        return d
    seconds = round(frac * 86400)
    return dt.datetime.combine(d, dt.time()) + dt.timedelta(seconds=seconds)


def cell_in(v: Any, kind: str | None = None) -> Any:
    """One cell value as the library reads it."""
    if isinstance(v, dt.datetime):
        return v.date() if v.time() == dt.time() else v
    if isinstance(v, str) and v == "":
        return None
    if kind in DATE_KINDS and isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v < 2958466:
        return from_serial(v)
    return v


def normalize_rows(name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[tuple]:
    """Raw rows of a table as the library reads them (dates from serials in date columns)."""
    tdef = schema.TABLES.get(name)
    kinds = []
    for h in header:
        kinds.append(tdef.column(h).kind if tdef is not None and h in tdef.header else None)
    return [tuple(cell_in(v, k) for v, k in zip(r, kinds)) for r in rows]


def table_from_values(name: str, values: Sequence[Sequence[Any]], *, first_row: int = 2,
                      first_col: int = 1) -> Table:
    """A :class:`Table` from a 2-D array whose first row is the header (a table range incl. header)."""
    if not values or not values[0]:
        raise WorkbookError(f"{name}: the range is empty; pass the whole table including its header row")
    header = tuple("" if h is None else str(h).strip() for h in values[0])
    tdef = schema.TABLES.get(name)
    sheet = tdef.sheet if tdef else name
    rows = normalize_rows(name, header, (tuple(r) + (None,) * (len(header) - len(r)) for r in values[1:]))
    return Table(name, sheet, header, rows, first_row=first_row, first_col=first_col)


def _remote_table(name: str, raw: Sequence[Sequence[Any]], *, first_row: int, first_col: int) -> Table:
    """A table from the remote engine's raw payload values, parsed a column at a time.

    The same values as ``range.options(**READ_OPTIONS).value`` followed by :func:`normalize_rows`
    (ISO date text from the client as dates, "" as None, serials in date columns as dates), without
    xlwings' per-cell conversion first: on a big ledger reading is most of a click.  A column's
    distinct values are converted once (a ledger repeats its dates thousands of times) and the column
    is then mapped through them.
    """
    if not raw or not raw[0]:
        raise WorkbookError(f"{name}: the range is empty; pass the whole table including its header row")
    header = tuple("" if h in (None, "") else str(h).strip() for h in raw[0])
    tdef = schema.TABLES.get(name)
    width = len(header)
    body = raw[1:]
    if {len(r) for r in body} <= {width}:       # the usual block: zip, six times quicker than zip_longest
        columns = list(zip(*body))
    else:
        columns = list(zip_longest(*body, fillvalue=None))[:width]
    columns += [(None,) * (len(raw) - 1)] * (width - len(columns))
    parsed = []
    for h, col in zip(header, columns):
        is_date = tdef is not None and h in tdef.header and tdef.column(h).kind in DATE_KINDS
        parsed.append(_remote_column(col, is_date))
    rows = list(zip(*parsed)) if parsed else [()] * (len(raw) - 1)
    return Table(name, tdef.sheet if tdef else name, header, rows, first_row=first_row, first_col=first_col)


def remote_cells(sheet: Any, r0: int, c0: int, r1: int, c1: int) -> list[Sequence[Any]]:
    """The remote engine's values of a block of cells (rows and columns from 1, inclusive) as
    ``range.raw_value`` gives them (None outside the used range), taken from the sheet's values as the
    client sent them.  ``raw_value`` first copies every row of the sheet into a tuple and hashes them
    all, for each range read; on a ledger sheet that is most of reading it.  Rows are shared, not
    copied, where the block spans the sheet's columns."""
    values = sheet.api["values"]
    nrows, ncols = r1 - r0 + 1, c1 - c0 + 1
    rows = values[r0 - 1:r1]
    if not (c0 == 1 and rows and len(rows[0]) == len(rows[-1]) == ncols):
        rows = [row[c0 - 1:c1] for row in rows]
    if not rows:
        return [(None,) * ncols] * nrows            # entirely outside the used range
    if len(rows) < nrows:
        rows = rows + [(None,) * len(rows[0])] * (nrows - len(rows))
    if len(rows[0]) < ncols:
        rows = [tuple(row) + (None,) * (ncols - len(row)) for row in rows]
    return rows


def _remote_column(col: Sequence[Any], is_date: bool) -> Sequence[Any]:
    """One column of payload values as the library reads them."""
    distinct = set(col)
    if is_date and bool in set(map(type, col)):     # the cells' types: the set folds TRUE into 1
        return [_remote_value(v, is_date) for v in col]
    if not is_date:             # only "" and a client's date text change: skip a call per other value
        distinct = [v for v in distinct if v.__class__ is str and (not v or v[-1] == "Z")]
    as_read = {v: c for v in distinct if (c := _remote_value(v, is_date)) is not v}
    if not as_read:
        return col
    get = as_read.get
    return [get(v, v) for v in col]


def _remote_value(v: Any, is_date: bool) -> Any:
    t = type(v)
    if t is str:
        if v == "":
            return None
        if v[-1:] == "Z" and _ISO_DATETIME.match(v):
            return cell_in(dt.datetime.fromisoformat(v[:-1]))
    elif is_date and (t is int or t is float) and 0 < v < 2958466:
        return from_serial(v)
    return v


# -- values out ----------------------------------------------------------------
def cell_out(v: Any) -> Any:
    """A core value as Excel should store it."""
    if v is None:
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, (int, float, dt.date)):      # datetime is a date
        return v
    s = str(v)
    if s == "":
        return None
    return "'" + s                                 # always text: never a formula, date or number


_NUMBERS = {int, float, bool}
_DATES = {dt.date, dt.datetime}


def rows_out(rows: Sequence[Sequence[Any]], remote: bool) -> list[list[Any]]:
    """Rows of core values as the engine is handed them (:func:`_remote_out` on the remote engine, else
    :func:`cell_out`), converted a column at a time: a column holds one kind of value, so its cells
    take one conversion (texts, amounts, numbers) or, for dates, one per distinct value."""
    if not rows:
        return []
    return [list(r) for r in zip(*(column_out(col, remote) for col in zip(*rows)))]


def column_out(col: Sequence[Any], remote: bool) -> Sequence[Any]:
    """One column of core values as the engine is handed them, the same values as cell by cell."""
    out = _remote_out if remote else cell_out
    blank = "" if remote else None
    kinds = set(map(type, col))
    has_blank = type(None) in kinds
    kinds.discard(type(None))
    if not kinds:
        return [blank] * len(col)
    if kinds == {str}:
        return ["'" + v if v else blank for v in col]         # "" and None alike: blank
    if kinds == {Decimal}:
        return [blank if v is None else float(v) for v in col] if has_blank else list(map(float, col))
    if kinds <= _DATES and remote:                              # a ledger repeats its dates: one conversion each
        as_out = {v: out(v) for v in set(col)}
        return [as_out[v] for v in col]
    if kinds <= _NUMBERS or kinds <= _DATES:                    # as they are, blanks aside
        return [blank if v is None else v for v in col] if has_blank and remote else col
    return [out(v) for v in col]


@dataclass
class _Block:
    sheet: Any
    row: int
    col: int
    values: list[list[Any]]


@dataclass
class _Plan:
    clears: list[tuple[Any, int, int, int, int]] = field(default_factory=list)
    blocks: list[_Block] = field(default_factory=list)
    formats: list[tuple[Any, int, int, int, int, str]] = field(default_factory=list)
    resizes: list[tuple[Any, Any, int, int, int, int]] = field(default_factory=list)

    def extend(self, other: "_Plan") -> None:
        for name in ("clears", "blocks", "formats", "resizes"):
            getattr(self, name).extend(getattr(other, name))


class XlwingsWorkbook:
    """The workbook port over an ``xlwings.Book`` (any engine)."""

    def __init__(self, book: Any):
        self.writing_started = False
        self.book = book
        self._tables: dict[str, tuple[Any, Any]] = {}
        self.file, self.log_note = book_file(book)
        self.last_check: runlog.Check | None = None
        self._read: dict[str, Table] = {}           # every table as read this click
        self.as_read: dict[str, list] = {}          # the remote engine's values of their rows, as sent
        self._states: dict | None = None            # the ledgers' states ledger_states gave this click
        self._digests: dict = {}                    # their stored rows' running fingerprints (quickstate)
        self.user = clerk_name()
        self.command = ""           # named in the run log; set by the caller

    # -- the run log beside the workbook's file ----------------------------------------
    @property
    def log(self):
        """The run log beside the workbook's file, called as the file adapter's ``log()``; None where the
        workbook has no file (what needs a folder then takes another, as the documents journal does)."""
        return self._run_log if self.file is not None else None

    def _run_log(self) -> runlog.RunLog:
        assert self.file is not None
        try:
            setting = self.read_settings().get("RunLogFolder")
        except WorkbookError:
            setting = None
        return runlog.RunLog(runlog.folder_for(self.file, setting))

    def check_books(self) -> list:
        """As the file adapter's: posts lost to a stale save, edited, inserted or deleted ledger rows
        (nothing to check where the workbook has no file, hence no log)."""
        if self.file is None:
            return []
        self.last_check = runlog.check(self.log(), runlog.read_ledgers(self.read_tables), self.file)
        return self.last_check.problems

    def ledger_states(self):
        """The chain state of every ledger: as the run's check read it where the workbook has a run log
        (None before a check); else from the ledgers as read this click and the ChainState tab, which the
        click's write then brings up to date (:mod:`ardesk.io.quickstate`)."""
        if self.file is not None:
            return self.last_check.ledger_states() if self.last_check is not None else None
        tables = {t: self._read[t] for t in LEDGERS if t in self._read}
        for name in [t for t in LEDGERS if t not in tables] + [quickstate.TABLE]:
            try:
                tables.update(self.read_tables([name]))
            except WorkbookError:           # a workbook from before that tab
                continue
        self._states = runlog.ledger_states(tables, self.as_read, self._digests)
        return self._states

    # -- finding things --------------------------------------------------------
    def _table(self, name: str) -> tuple[Any, Any]:
        if name in self._tables:
            return self._tables[name]
        tdef = schema.TABLES.get(name)
        found = None
        if tdef is not None:
            try:
                sheet = self.book.sheets[tdef.sheet]
                if name in sheet.tables:
                    found = (sheet, sheet.tables[name])
            except Exception:
                found = None
        if found is None:
            for sheet in self.book.sheets:
                if name in sheet.tables:
                    found = (sheet, sheet.tables[name])
                    break
        if found is None:
            where = f" on sheet {tdef.sheet!r}" if tdef else ""
            raise WorkbookError(f"{self.book.name}: the table {name}{where} is missing; was the sheet renamed or "
                                "the table deleted? (`ardesk init` shows the layout)")
        self._tables[name] = found
        return found

    @staticmethod
    def _extent(table: Any) -> tuple[int, int, int, int]:
        rng = table.range
        c0, r0, c1, r1 = parse_ref(rng.address)
        return r0, c0, r1, c1

    # -- reading -----------------------------------------------------------------
    def _header(self, sheet: Any, r0: int, c0: int, c1: int) -> list[str]:
        """The header row of a table in the workbook, as text."""
        if _engine_name(self.book) == "remote":
            return [str(None if h == "" else h) for h in remote_cells(sheet, r0, c0, r0, c1)[0]]
        return [str(h) for h in sheet.range((r0, c0), (r0, c1)).options(**READ_OPTIONS).value[0]]

    def read_tables(self, names: Sequence[str]) -> dict[str, Table]:
        out = {}
        for name in names:
            sheet, table = self._table(name)
            r0, c0, r1, c1 = self._extent(table)
            if _engine_name(self.book) == "remote":
                raw = remote_cells(sheet, r0, c0, r1, c1)
                t = _remote_table(name, raw, first_row=r0 + 1, first_col=c0)
                self.as_read[name] = raw[1:]
            else:
                values = table.range.options(**READ_OPTIONS).value
                t = table_from_values(name, values, first_row=r0 + 1, first_col=c0)
            t.sheet = sheet.name
            out[name] = t
            self._read[name] = t
        return out

    def _name_ranges(self) -> dict[str, Any]:
        names = self.book.names
        out = {}
        for s in schema.SETTINGS:
            if s.name not in names:
                continue
            try:
                out[s.name] = names[s.name].refers_to_range
            except Exception:
                continue            # a name that is not one range (a constant, a formula)
        return out

    def read_settings(self) -> dict[str, Any]:
        out = {}
        for name, rng in self._name_ranges().items():
            kind = schema.SETTINGS_BY_NAME[name].kind
            v = rng.options(ndim=1, dates=dt.datetime, empty=None, err_to_str=True).value
            v = v[0] if isinstance(v, list) and v else (None if isinstance(v, list) else v)
            out[name] = cell_in(v, kind)
        return out

    # -- writing -----------------------------------------------------------------
    def plan(self, changes: Changes) -> _Plan:
        """Every block ``changes`` writes, checked against the workbook; writes nothing."""
        p = _Plan()
        remote = _engine_name(self.book) == "remote"
        out = _remote_out if remote else cell_out       # values as the engine is handed them
        for name, rows in changes.appends.items():
            if not rows:
                continue
            sheet, table = self._table(name)
            r0, c0, r1, c1 = self._extent(table)
            width = c1 - c0 + 1
            header = self._header(sheet, r0, c0, c1)
            rows = in_sheet_order(name, header, rows)
            for row in rows:
                if len(row) != width:
                    raise WorkbookError(f"{name}: a row of {len(row)} values for {width} columns")
            start = r1 + 1
            if r1 == r0 + 1:
                body = sheet.range((r1, c0), (r1, c1)).options(**READ_OPTIONS).value[0]
                if all(v is None or (isinstance(v, str) and not v.strip()) for v in body):
                    start = r1                     # an empty table keeps one blank row: fill it
            end = start + len(rows) - 1
            p.blocks.append(_Block(sheet, start, c0, rows_out(rows, remote)))
            for first, last, j, fmt in schema.row_number_formats(name, header, rows, blanks_join=remote):
                p.formats.append((sheet, start + first, c0 + j, start + last, c0 + j, fmt))
            p.resizes.append((sheet, table, r0, c0, end, c1))
        for name, cells in changes.updates.items():
            sheet, table = self._table(name)
            r0, c0, r1, c1 = self._extent(table)
            header = self._header(sheet, r0, c0, c1)
            by_col: dict[int, dict[int, Any]] = {}
            for rownum, column, value in cells:
                if not r0 < rownum <= r1:
                    raise WorkbookError(f"{name}: row {rownum} is outside the table "
                                        f"({column_letter(c0)}{r0}:{column_letter(c1)}{r1})")
                if column not in header:
                    raise WorkbookError(f"{name}: no column {column!r} (columns: {', '.join(header)})")
                by_col.setdefault(c0 + header.index(column), {})[rownum] = value
            for col, values in sorted(by_col.items()):
                run: list[int] = []
                for rownum in sorted(values) + [None]:
                    if run and (rownum is None or rownum != run[-1] + 1):
                        p.blocks.append(_Block(sheet, run[0], col, [[out(values[r])] for r in run]))
                        run = []
                    if rownum is not None:
                        run.append(rownum)
        for name, cells in changes.formats.items():
            sheet, table = self._table(name)
            r0, c0, _r1, c1 = self._extent(table)
            header = self._header(sheet, r0, c0, c1)
            runs: list[list] = []               # [column, first row, last row, format]: one range per run
            for rownum, column, fmt in sorted(cells, key=lambda c: (header.index(c[1]), c[0])):
                col = c0 + header.index(column)
                if runs and runs[-1][0] == col and runs[-1][2] + 1 == rownum and runs[-1][3] == fmt:
                    runs[-1][2] = rownum
                else:
                    runs.append([col, rownum, rownum, fmt])
            p.formats += [(sheet, first, col, last, col, fmt) for col, first, last, fmt in runs]
        for name, (header, rows) in changes.replace.items():
            sheet, table = self._table(name)
            r0, c0, r1, c1 = self._extent(table)
            width = len(header)
            for row in rows:
                if len(row) != width:
                    raise WorkbookError(f"{name}: a row of {len(row)} values for {width} columns")
            p.clears.append((sheet, r0, c0, r1, c1))
            block = [[out(h) for h in header]] + rows_out(rows, remote)
            p.blocks.append(_Block(sheet, r0, c0, block))
            end = r0 + max(len(rows), 1)
            for first, last, j, fmt in schema.row_number_formats(name, header, rows, blanks_join=remote):
                p.formats.append((sheet, r0 + 1 + first, c0 + j, r0 + 1 + last, c0 + j, fmt))
            p.resizes.append((sheet, table, r0, c0, end, c0 + width - 1))
        for name, text in changes.titles.items():
            sheet, _table = self._table(name)
            p.blocks.append(_Block(sheet, 2, 1, [[out(text)]]))
        if changes.names:
            ranges = self._name_ranges()
            for name, value in changes.names.items():
                if name not in ranges:
                    raise WorkbookError(f"the setting {name} has no defined name in the workbook")
                rng = ranges[name]
                p.blocks.append(_Block(rng.sheet, rng.row, rng.column, [[out(value)]]))
        return p

    def write(self, changes: Changes) -> None:
        """Plan everything, then write it: a problem found while planning writes nothing.  A run that
        posts, on a workbook with a file, is logged first (as :meth:`FileWorkbook.write` logs it)."""
        if changes.is_empty():
            return
        p = self.plan(changes)
        if self.file is None and "tblAudit" in changes.appends and quickstate.TABLE in self._read \
                and self._states is not None:
            p.extend(self.plan(self._chain_state()))
        if self.file is not None and (changes.appends or changes.updates or changes.names):
            if self.last_check is None:
                self.check_books()
            stamped = self.read_tables(list(changes.updates)) if changes.updates else {}
            runlog.write_logged(self.log(), self.last_check, changes, stamped, self.user, self.command or "run",
                                lambda: self._apply(p))
        else:
            self._apply(p)
        self.last_check = None

    def _chain_state(self) -> Changes:
        """The ChainState tab of a click that posts (anchored on Audit): the ledgers as it read them."""
        ch = Changes()
        ch.replace[quickstate.TABLE] = (schema.CHAIN_STATE.header,
                                        quickstate.record(self._read, self._states, self.as_read,
                                                          self._digests))
        return ch

    def _apply(self, p: _Plan) -> None:
        remote = _engine_name(self.book) == "remote"
        # From here a live workbook is being changed; a remote engine's actions can still be dropped.
        self.writing_started = True
        with _quiet(self.book):
            for sheet, r0, c0, r1, c1 in p.clears:
                sheet.range((r0, c0), (r1, c1)).clear_contents()
            for b in p.blocks:
                nrows, ncols = len(b.values), len(b.values[0])
                sheet = b.sheet
                target = sheet.range((b.row, b.col), (b.row + nrows - 1, b.col + ncols - 1))
                if remote:
                    target.raw_value = b.values
                else:
                    target.value = b.values
            for sheet, r0, c0, r1, c1, fmt in p.formats:
                sheet.range((r0, c0), (r1, c1)).number_format = fmt
            for sheet, table, r0, c0, r1, c1 in p.resizes:
                table.resize(sheet.range((r0, c0), (r1, c1)))


NO_RUN_LOG = ("No run log: {where}, so ardesk keeps no run log beside it and cannot check before posting "
              "that a colleague's save dropped nothing. The posts are anchored on the Audit tab; "
              "`ardesk verify` or any command-line run on the saved file takes them into the log.")
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)


def book_file(book: Any) -> tuple[Path | None, str]:
    """(the workbook's file, "") when Excel has it open from a local folder or a UNC share (the classic
    add-in); else (None, a note for the clerk why there is no run log)."""
    try:
        full = str(book.fullname)
    except Exception:
        full = ""
    if _URL.match(full):
        return None, NO_RUN_LOG.format(where=f"the workbook is on OneDrive or SharePoint ({full}), not in a folder")
    path = Path(full)
    if full and (path.is_absolute() or full.startswith("\\\\")) and path.is_file():
        return path, ""
    if _engine_name(book) == "remote" or not full:
        return None, NO_RUN_LOG.format(where="xlwings Lite and xlwings Server are not given the workbook's file")
    return None, NO_RUN_LOG.format(where=f"the workbook {full!r} was never saved as a file")


def _engine_name(book: Any) -> str:
    try:
        return book.app.engine.name
    except Exception:
        return ""


def _remote_out(v: Any) -> Any:
    """A core value as the remote engine's own converter sends it (:func:`cell_out`, then dates as ISO
    text and blanks as ""), in one step per cell and without xlwings' per-cell conversion."""
    t = type(v)
    if t is str:
        return "'" + v if v else ""
    if v is None:
        return ""
    if t is bool or t is int or t is float:
        return v
    if t is Decimal:
        return float(v)
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time() else v.replace(tzinfo=None).isoformat(sep=" ")[:19]
    if isinstance(v, dt.date):
        return v.isoformat()
    c = cell_out(v)                     # anything else: a number subclass as it is, other values as text
    return "" if c is None else c


class _quiet:
    """Manual calculation and no screen updates while writing, where the engine has them (desktop)."""

    def __init__(self, book: Any):
        self.book = book
        self.ctx = None

    def __enter__(self):
        try:
            if self.book.app.engine.name == "excel":
                self.ctx = self.book.app.properties(calculation="manual", screen_updating=False)
                self.ctx.__enter__()
        except Exception:
            self.ctx = None
        return self

    def __exit__(self, *exc):
        if self.ctx is not None:
            self.ctx.__exit__(*exc)
        return False
