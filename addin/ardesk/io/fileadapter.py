"""The workbook port over an .xlsx/.xlsm file on disk.

Reads go through python-calamine (a Rust reader, many times faster than
openpyxl for big ledgers).  Writes go through :mod:`ardesk.io.package`, which
edits the file as a package of parts: only the sheets, tables and styles a
run changes are rewritten, and every other part (charts, pivot tables,
images, comments, VBA, a custom ribbon, parts ardesk does not know) is
copied as it was read.  Writing is all-or-nothing:

1. apply every change to the package in memory, refusing (naming it) what
   would be damaged, such as one of ardesk's tables converted to a range;
2. save to a temporary file in the same folder, flush and fsync it;
3. check that the saved file still has every kind of part the original had;
4. swap the temporary file and the original in one atomic exchange, check that
   what came out is the very file the run read (else swap back and refuse),
   and keep it as ``NAME.bak.xlsx``.

Any failure before step 4 leaves the workbook byte-for-byte as it was.
:func:`apply_changes` does the same changes through openpyxl; the tests keep
it as the oracle the package writer is compared with.

Around the save (:meth:`FileWorkbook.locked`, :meth:`FileWorkbook.check_books`):
the run holds Excel's owner file ``~$NAME.xlsx``, removes temporary files
its killed predecessors left, refuses a read-only workbook, checks the
ledgers against the run log (:mod:`.runlog`) before it computes anything, and
appends its record to the log before the workbook is replaced.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import re
import shutil
import stat
import tempfile
import zipfile
from contextlib import contextmanager, nullcontext
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator, Sequence
from xml.etree import ElementTree

from .. import schema
from ..schema import row_number_formats
from .package import (Package, PackageError, Segments, table_value_parts, value_parts, write_package,
                      written_segments)
from . import runlog
from .lock import workbook_lock
from .port import _CELL, Changes, Table, WorkbookError, column_letter, in_sheet_order, parse_ref
from .clerk import clerk_name as _user

# Parts openpyxl rewrites under other names or may drop harmlessly.
IGNORED = ("docProps/", "xl/calcChain.xml", "xl/printerSettings/", "xl/sharedStrings.xml", "[trash]/")

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def _family(part: str) -> str:
    return re.sub(r"\d+", "#", part)


def defined_names(path: Path) -> dict[str, tuple[str, str]]:
    """Workbook-level defined names that point at one cell: name -> (sheet, 'B5')."""
    with zipfile.ZipFile(path) as z:
        root = ElementTree.fromstring(z.read("xl/workbook.xml"))
    out = {}
    for dn in root.iterfind(".//m:definedNames/m:definedName", NS):
        if dn.get("localSheetId") is not None:
            continue
        text = (dn.text or "").strip()
        sheet, _, cell = text.rpartition("!")
        sheet = sheet.strip("'").replace("''", "'")
        if sheet and _CELL.match(cell.replace("$", "")):
            out[dn.get("name")] = (sheet, cell.replace("$", ""))
    return out


def excel_value(v: Any) -> Any:
    """A core value as openpyxl should store it (money stays an exact Decimal)."""
    if v is None or isinstance(v, (bool, int, float, Decimal, str, datetime, date)):
        return v
    return str(v)


class FileWorkbook:
    """The workbook port over a file.  ``read_*`` never write; ``write`` is atomic."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.exists():
            raise WorkbookError(f"{self.path}: no such workbook (create one with `ardesk init {self.path}`)")
        try:
            self._stamp = file_stamp(self.path)
            self._names = defined_names(self.path)
        except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, EOFError, ValueError):
            raise WorkbookError(
                f"{self.path}: not a readable Excel workbook (.xlsx/.xlsm): it is damaged or was only half "
                f"written (perhaps still being saved by someone). Try again in a moment; if it stays so, restore "
                f"{self.path.stem}.bak{self.path.suffix} or `ardesk recover` it.") from None
        self._book = None
        self._tables: dict[str, Table] = {}
        self._holding = False
        self.last_check: runlog.Check | None = None
        self._segments: dict[str, dict] = {}       # how the last save cut the ledger sheets, as the check found them
        self.user = _user()
        self.command = ""           # named in the run log; set by the caller

    # -- reading ------------------------------------------------------------
    def _calamine(self):
        if self._book is None:
            try:
                from python_calamine import CalamineWorkbook
            except ImportError:
                raise WorkbookError(f"{self.path.name}: reading workbook files needs python-calamine, which this "
                                    "Python lacks: python -m pip install 'ardesk[fast]'") from None
            try:
                self._book = CalamineWorkbook.from_path(str(self.path), load_tables=True)
            except Exception as exc:
                raise WorkbookError(f"{self.path.name}: cannot be read as a workbook ({exc}); restore "
                                    f"{self.path.stem}.bak{self.path.suffix} if it stays so") from None
        return self._book

    def read_tables(self, names: Sequence[str]) -> dict[str, Table]:
        book = self._calamine()
        out = {}
        for name in names:
            if name in self._tables:        # read once per version of the file: a run asks for the ledgers twice
                out[name] = self._tables[name]
                continue
            tdef = schema.TABLES.get(name)
            try:
                t = book.get_table_by_name(name)
            except Exception:
                where = f" on sheet {tdef.sheet!r}" if tdef else ""
                raise WorkbookError(f"{self.path.name}: the table {name}{where} is missing; was the sheet "
                                    "renamed or the table deleted? (`ardesk init` shows the layout)") from None
            header = tuple(str(c) for c in t.columns)
            rows = [tuple(r) for r in t.to_python()]
            (r0, c0) = t.start  # 0-based (row, col) of the first data cell
            out[name] = self._tables[name] = Table(name, t.sheet, header, rows, first_row=r0 + 1, first_col=c0 + 1)
        return out

    def read_settings(self) -> dict[str, Any]:
        book = self._calamine()
        sheets: dict[str, list] = {}
        out = {}
        for s in schema.SETTINGS:
            loc = self._names.get(s.name)
            if loc is None:
                continue
            sheet, cell = loc
            if sheet not in sheets:
                try:
                    sheets[sheet] = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
                except Exception:
                    raise WorkbookError(f"{self.path.name}: setting {s.name} points to missing sheet {sheet!r}") from None
            m = _CELL.match(cell)
            col = sum((ord(ch) - 64) * 26 ** i for i, ch in enumerate(reversed(m.group(1))))
            row = int(m.group(2))
            grid = sheets[sheet]
            v = grid[row - 1][col - 1] if row - 1 < len(grid) and col - 1 < len(grid[row - 1]) else None
            out[s.name] = None if v == "" else v
        return out

    # -- the run around a save -------------------------------------------------------
    def log(self) -> runlog.RunLog:
        try:
            setting = self.read_settings().get("RunLogFolder")
        except WorkbookError:
            setting = None
        return runlog.RunLog(runlog.folder_for(self.path, setting))

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the workbook for a run: Excel's owner file, after refusing a read-only file; stale temp files go."""
        refuse_read_only(self.path)
        with workbook_lock(self.path, self.log().folder, self.user):
            self._holding = True
            try:
                remove_stale_temp_files(self.path)
                yield
            finally:
                self._holding = False

    def ledger_tables(self) -> dict[str, Table]:
        """Every ledger table; the archive's two tabs only where the workbook has them (older ones lack them)."""
        return runlog.read_ledgers(self.read_tables)

    def check_books(self, full: bool = False) -> list:
        """Problems that stop any posting: posts lost to a stale save, edited, inserted or deleted ledger rows.

        A workbook that still holds the very ledger parts the last run wrote is cleared by their digests
        (:func:`.runlog.unchanged`), unless ``full``: then every row is hashed and compared."""
        log = self.log()
        parts = self.ledger_parts()
        self._segments = runlog.committed_segments(log, parts)
        chk = None if full else runlog.unchanged(log, parts, self.ledger_tables)
        if chk is None:
            chk = runlog.check(log, self.ledger_tables(), self.path)
            chk.parts = parts
        self.last_check = chk
        return chk.problems

    def ledger_parts(self) -> dict[str, str] | None:
        """The digests of the parts the ledgers are read from (:func:`.package.value_parts`), when the file
        is still the one this run began with (else None)."""
        try:
            with Package(self.path) as pkg:
                if file_stamp(pkg.fileno()) != self._stamp:
                    return None
                return value_parts(pkg, runlog.LEDGERS)
        except (PackageError, OSError, KeyError, ElementTree.ParseError, zipfile.BadZipFile):
            return None

    def ledger_states(self):
        """The chain state of every ledger as the run's check read it (None before a check)."""
        return self.last_check.ledger_states() if self.last_check is not None else None

    def recover(self) -> tuple[runlog.Check, Changes]:
        """Put back the runs a stale save lost (rows, stamps, settings); safe to repeat."""
        self.check_books()
        chk = self.last_check
        ch = runlog.recovery(chk, self.read_tables(list(schema.TABLES)))
        if not ch.is_empty():
            self.write(ch, _kind="recover", _reapplies=[r["id"] for r in chk.lost])
        return chk, ch

    # -- writing --------------------------------------------------------------
    def write(self, changes: Changes, *, backup: bool = True,
              _kind: str = "run", _reapplies: Sequence[str] = ()) -> None:
        if changes.is_empty():
            return
        if self._holding:
            self._write_logged(changes, backup, _kind, _reapplies)
        else:
            with self.locked():
                self._write_logged(changes, backup, _kind, _reapplies)
        self._forget_read()

    def _forget_read(self) -> None:
        """After a save: the file is another one, and nothing read from the old one holds."""
        self._stamp = file_stamp(self.path)
        self._book = None
        self._tables = {}
        self.last_check = None
        self._segments = {}

    def _write_logged(self, changes: Changes, backup: bool, kind: str, reapplies: Sequence[str]) -> None:
        """Append the run to the log, replace the workbook, then mark the run committed."""
        if not (changes.appends or changes.updates or changes.names):
            self._save_workbook(changes, backup)
            return
        log = self.log()
        if self.last_check is None:
            self.check_books()
        tables = self.read_tables(list(changes.updates)) if changes.updates else {}
        runlog.write_logged(log, self.last_check, changes, tables, self.user, self.command or kind,
                            lambda: self._save_workbook(changes, backup), kind, reapplies)

    def write_rebased(self, changes: Changes, ledgers_after: dict[str, list], about: dict) -> None:
        """Write changes that take rows out of the ledgers (archiving): the run log starts afresh from the
        ledgers as they will stand (``ledgers_after``, see :func:`.archive.live_states`), in a baseline
        record that also keeps ``about`` (what moved where), before the workbook is replaced."""
        with nullcontext() if self._holding else self.locked():
            log = self.log()
            if self.last_check is None:
                self.check_books()
            if self.last_check.history is not None:
                for line in self.last_check.history.resolved:
                    log.append(line)
            rec = runlog.append_baseline(log, ledgers_after, datetime.now().replace(microsecond=0),
                                         extra={"archive": about})
            log.append(runlog.commit_line(rec, *self._save_workbook(changes, True)))
        self._forget_read()

    def _save_workbook(self, changes: Changes, backup: bool) -> runlog.Saved:
        """Save ``changes``; returns the digests of the saved file's ledger parts and the segments of its
        ledger sheets (:mod:`.package.segments`), for the run log's commit line.

        Rows appended to a ledger sheet the last save wrote in segments are compressed after its rows
        copied as stored, when the check found that sheet's entry to be the one the log's last commit names
        (by digest) and the file is still the one the run began with; any other sheet is rewritten whole."""
        parts: dict[str, str] = {}

        def verify(new: Path) -> None:
            refuse_rewritten_inputs(self.path, new, changes)
            with Package(new) as saved:
                parts.update(value_parts(saved, runlog.LEDGERS))
        with Package(self.path) as pkg:
            trusted = {}
            if file_stamp(pkg.fileno()) == self._stamp:
                trusted = {part: seg for part, table in self._segments.items()
                           if (seg := Segments.from_json(table)) is not None}
            write_package(pkg, changes, self._names, trusted)
            save_atomic(pkg, self.path, backup=backup, original_stamp=self._stamp, verify=verify)
            kept = {part: seg for part, seg in trusted.items() if part not in pkg.changed()}   # copied as stored
            segments = {part: seg.to_json() for part, seg in {**kept, **written_segments(pkg, list(parts))}.items()}
        return parts, segments



def file_stamp(path: Path | int) -> tuple[int, int, int]:
    """What identifies the file a run read (a path, or a descriptor open on it): inode, modification time,
    size."""
    st = os.stat(path)
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def refuse_read_only(path: Path) -> None:
    st = path.stat()
    if not st.st_mode & stat.S_IWUSR:
        raise WorkbookError(f"{path.name} is read-only; nothing was written. Clear the read-only mark "
                            "(file properties), or work on a copy.")


TEMP_PREFIX = ".ardesk-save."


def _temp_prefix(path: Path) -> str:
    return f"{TEMP_PREFIX}{path.name}."


def remove_stale_temp_files(path: Path) -> list[Path]:
    """Remove temporary files a killed save of this workbook left behind (only ardesk's own)."""
    removed = []
    for p in path.parent.glob(_temp_prefix(path) + "*"):
        try:
            p.unlink()
            removed.append(p)
        except OSError:
            pass
    return removed


def _table(wb, name: str):
    for ws in wb.worksheets:
        if name in ws.tables:
            return ws, ws.tables[name]
    raise WorkbookError(f"the table {name} is missing from the workbook")


def _set(cell, value) -> None:
    cell.value = excel_value(value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"     # text from outside never becomes a formula


def apply_changes(wb, changes: Changes, names: dict[str, tuple[str, str]]) -> None:
    for name, rows in changes.appends.items():
        ws, t = _table(wb, name)
        c0, r0, c1, r1 = parse_ref(t.ref)
        width = c1 - c0 + 1
        last = r1
        # an empty table keeps one blank row; fill it first
        if r1 == r0 + 1 and all(ws.cell(row=r1, column=c).value in (None, "") for c in range(c0, c1 + 1)):
            last = r0
        header = [ws.cell(row=r0, column=c).value for c in range(c0, c1 + 1)]
        rows = in_sheet_order(name, header, rows)
        for i, row in enumerate(rows, start=1):
            if len(row) != width:
                raise WorkbookError(f"{name}: a row of {len(row)} values for {width} columns")
            for j, v in enumerate(row):
                _set(ws.cell(row=last + i, column=c0 + j), v)
        _set_formats(ws, name, header, rows, last + 1, c0)
        t.ref = f"{column_letter(c0)}{r0}:{column_letter(c1)}{last + len(rows)}"
        if t.autoFilter is not None:
            t.autoFilter.ref = t.ref
    for name, cells in changes.updates.items():
        ws, t = _table(wb, name)
        c0, r0, c1, r1 = parse_ref(t.ref)
        header = [ws.cell(row=r0, column=c).value for c in range(c0, c1 + 1)]
        for rownum, column, value in cells:
            if not r0 < rownum <= r1:
                raise WorkbookError(f"{name}: row {rownum} is outside the table ({t.ref})")
            _set(ws.cell(row=rownum, column=c0 + header.index(column)), value)
    for name, cells in changes.formats.items():
        ws, t = _table(wb, name)
        c0, r0, c1, _r1 = parse_ref(t.ref)
        header = [ws.cell(row=r0, column=c).value for c in range(c0, c1 + 1)]
        for rownum, column, fmt in cells:
            ws.cell(row=rownum, column=c0 + header.index(column)).number_format = fmt
    for name, (header, rows) in changes.replace.items():
        _replace_table(wb, name, header, rows)
    for name, text in changes.titles.items():
        ws, _ = _table(wb, name)
        ws["A2"] = text
    for name, value in changes.names.items():
        loc = names.get(name)
        if loc is None:
            raise WorkbookError(f"the setting {name} has no defined name in the workbook")
        sheet, cell = loc
        _set(wb[sheet][cell], value)


def _set_formats(ws, name: str, header: Sequence[str], rows: Sequence[tuple], row0: int, col0: int) -> None:
    """Number formats of rows written from sheet row ``row0``, column ``col0`` on (see row_number_formats)."""
    for first, last, j, fmt in row_number_formats(name, header, rows):
        for r in range(row0 + first, row0 + last + 1):
            ws.cell(row=r, column=col0 + j).number_format = fmt


def _replace_table(wb, name: str, header: Sequence[str], rows: Sequence[tuple]) -> None:
    from openpyxl.worksheet.table import Table as XLTable, TableStyleInfo
    from .template import HEADER_FILL, HEADER_FONT
    ws, t = _table(wb, name)
    c0, r0, c1, r1 = parse_ref(t.ref)
    for r in range(r0, r1 + 1):
        for c in range(c0, c1 + 1):
            ws.cell(row=r, column=c).value = None
    for j, h in enumerate(header):
        cell = ws.cell(row=r0, column=c0 + j, value=h)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    for i, row in enumerate(rows, start=1):
        for j, v in enumerate(row):
            _set(ws.cell(row=r0 + i, column=c0 + j), v)
    _set_formats(ws, name, header, rows, r0 + 1, c0)
    end_row = r0 + max(len(rows), 1)
    style = t.tableStyleInfo
    del ws.tables[name]
    new = XLTable(displayName=name, ref=f"{column_letter(c0)}{r0}:{column_letter(c0 + len(header) - 1)}{end_row}")
    new.tableStyleInfo = style or TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
    ws.add_table(new)


def refuse_rewritten_inputs(before: Path, after: Path, changes: Changes) -> None:
    """Refuse a save that would change a cell a clerk typed on an input tab, other than the stamps the run
    meant to write (a cell the writer cannot carry, such as a date serial beyond year 9999, would otherwise
    come back as #VALUE!)."""
    from python_calamine import CalamineWorkbook
    names = [n for n, t in schema.TABLES.items()
             if t.role == "input" and n not in changes.replace and n not in changes.appends]
    with Package(before) as a, Package(after) as b:
        was, now = table_value_parts(a, names), table_value_parts(b, names)
    names = [n for n in names if n not in was or was[n] != now.get(n)]   # parts copied as stored: same values
    old, new = (CalamineWorkbook.from_path(str(p), load_tables=True) for p in (before, after))
    for name in names:
        tdef = schema.TABLES[name]
        try:
            a, b = old.get_table_by_name(name), new.get_table_by_name(name)
        except Exception:
            continue
        stamped = {(row, col) for row, col, _v in changes.updates.get(name, ())}
        header = [str(c) for c in a.columns]
        r0, c0 = a.start
        for i, (ra, rb) in enumerate(zip(a.to_python(), b.to_python())):
            for j, (va, vb) in enumerate(zip(ra, rb)):
                if va != vb and (r0 + 1 + i, header[j]) not in stamped:
                    raise WorkbookError(
                        f"{before.name}: saving would change {tdef.sheet} {column_letter(c0 + 1 + j)}{r0 + 1 + i} "
                        f"({header[j]}) from {va!r} to {vb!r}; nothing was written. Retype that cell as a plain "
                        "value of its column (a date, a number, a text) and run again.")


def save_atomic(wb, path: Path, *, backup: bool = True, original_stamp: tuple | None = None,
                verify: Any = None) -> None:
    """Save ``wb`` over ``path`` all-or-nothing, keeping the previous file as NAME.bak.EXT.

    ``verify(new_file)`` may refuse the saved file (raising WorkbookError) before it replaces ``path``."""
    path = Path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=_temp_prefix(path), suffix=path.suffix, dir=path.parent or ".")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        wb.save(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        if path.exists():
            lost = lost_parts(path, tmp)
            if lost:
                raise WorkbookError(f"saving {path.name} would drop {', '.join(lost)}; nothing was written")
            keep_mode_and_owner(path, tmp)
            if verify is not None:
                verify(tmp)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)      # a new workbook is made as any new file is, not private
        swap_in(tmp, path, original_stamp, backup)
        dir_fd = os.open(path.parent or ".", os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    finally:
        if tmp.exists():
            tmp.unlink()


def keep_mode_and_owner(original: Path, new: Path) -> None:
    """The new file gets the workbook's permissions and owner (a temp file is private by default)."""
    st = original.stat()
    os.chmod(new, stat.S_IMODE(st.st_mode))
    if hasattr(os, "chown"):
        try:
            os.chown(new, st.st_uid, st.st_gid)
        except PermissionError:
            pass        # only the owner's group may be kept by an ordinary user; the mode still is


_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux renameat2); False where the system cannot."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    rc = fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return rc == 0


def swap_in(tmp: Path, path: Path, original_stamp: tuple | None, backup: bool) -> None:
    """Put ``tmp`` in place of ``path``, unless ``path`` is no longer the file the run read.

    Where the system can exchange two names atomically, nothing can slip in
    between the check and the replacement: the file that comes out of the
    exchange is checked, and swapped back when it is not the one read (a
    colleague saved meanwhile).  Elsewhere the check comes just before the
    rename, leaving a window of a few milliseconds (see the README).
    """
    bak = path.with_name(f"{path.stem}.bak{path.suffix}")
    if not path.exists():
        os.replace(tmp, path)
        return
    if original_stamp is not None and _exchange(tmp, path):
        if file_stamp(tmp) != original_stamp:
            _exchange(tmp, path)
            raise _changed_meanwhile(path)
        if backup:
            os.replace(tmp, bak)
        return
    if original_stamp is not None and file_stamp(path) != original_stamp:
        raise _changed_meanwhile(path)
    if backup:
        shutil.copy2(path, bak)
    os.replace(tmp, path)


def _changed_meanwhile(path: Path) -> WorkbookError:
    return WorkbookError(f"{path.name} was changed by someone else while ardesk worked ({runlog.last_saved_by(path)}); "
                         "nothing was written: run the step again")


def lost_parts(before: Path, after: Path) -> list[str]:
    with zipfile.ZipFile(before) as a, zipfile.ZipFile(after) as b:
        old = {_family(n) for n in a.namelist() if not n.startswith(IGNORED) and not n.endswith("/")}
        new = {_family(n) for n in b.namelist()}
    return sorted(old - new)
