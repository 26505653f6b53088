"""Reading another system's exports from disk (CSV or XLSX) as lines of text, and mapping files.

CSV: UTF-8 (with or without a byte-order mark; Windows-1252 when it is not UTF-8), comma,
semicolon or tab separated (found from the first lines), double quotes around fields.  XLSX: the first sheet, each cell as the
text it shows for dates (YYYY-MM-DD) and the shortest decimal for numbers.
"""
from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path

from ..core.onboarding.layouts import Layout, LayoutError, from_mapping
from ..core.onboarding.opening import ExportFile


class ExportFileError(ValueError):
    """An export or mapping file that cannot be read at all; the message names the file."""


def read_export(path: str | Path) -> ExportFile:
    path = Path(path)
    if not path.is_file():
        raise ExportFileError(f"{path}: no such file")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return ExportFile(path.name, _xlsx_lines(path))
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    sample = [line for line in text.splitlines()[:30] if line.strip()]
    return ExportFile(path.name, tuple(tuple(r) for r in csv.reader(io.StringIO(text), delimiter=_separator(sample))))


def _separator(lines: list[str]) -> str:
    """The separator that cuts most of the first lines into the same number of fields (the more
    fields the better): a semicolon file with decimal commas is still read by its semicolons."""
    def score(sep: str) -> tuple[int, int]:
        counts = [len(r) for r in csv.reader(lines, delimiter=sep)]
        common = max(set(counts), key=lambda n: (counts.count(n), n), default=1)
        return (counts.count(common) if common > 1 else 0, common)
    return max(",;\t", key=score)


def _cell_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.date().isoformat() if v.time() == datetime.min.time() else v.isoformat(sep=" ")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    return str(v)


def _xlsx_lines(path: Path) -> tuple[tuple[str, ...], ...]:
    from openpyxl import load_workbook
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise ExportFileError(f"{path.name}: not a readable .xlsx file ({exc})") from None
    try:
        ws = wb.worksheets[0]
        return tuple(tuple(_cell_text(v) for v in row) for row in ws.iter_rows(values_only=True))
    finally:
        wb.close()


def read_mapping(path: str | Path) -> Layout:
    """The generic layout a TOML mapping file declares (see ardesk.core.onboarding.layouts.from_mapping)."""
    import tomllib
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ExportFileError(f"{path}: no such mapping file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ExportFileError(f"{path.name}: not a TOML mapping file ({exc})") from None
    try:
        return from_mapping(data, path.name)
    except LayoutError as exc:
        raise ExportFileError(str(exc)) from None
