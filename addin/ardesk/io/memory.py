"""The workbook port held in memory: for tests, the demo's history, and previews.

It behaves as the file adapter does (tables, settings, one write per run) but
keeps plain Python lists, so a test builds a workbook in microseconds.
``to_changes()`` turns its contents into one Changes that fills a fresh
template, which is how the demo lands on disk.
"""
from __future__ import annotations

from typing import Any, Sequence

from .. import schema
from .port import Changes, Table, WorkbookError


class MemoryWorkbook:
    def __init__(self, settings: dict[str, Any] | None = None):
        self.settings = {s.name: s.default for s in schema.SETTINGS}
        self.settings.update(settings or {})
        self.headers: dict[str, tuple[str, ...]] = {name: t.header for name, t in schema.TABLES.items()}
        from ..core.reports.aging import bucket_labels, parse_buckets
        from .template import aging_header, aging_totals_header
        self.headers["tblAging"] = aging_header(bucket_labels(parse_buckets("30,60,90")))
        self.headers["tblAgingTotals"] = aging_totals_header(bucket_labels(parse_buckets("30,60,90")))
        self.rows: dict[str, list[tuple]] = {name: [] for name in schema.TABLES}

    @classmethod
    def with_rows(cls, tables: dict[str, Sequence[tuple]], settings: dict[str, Any] | None = None) -> "MemoryWorkbook":
        wb = cls(settings)
        for name, rows in tables.items():
            width = len(wb.headers[name])
            wb.rows[name] = [tuple(r) + (None,) * (width - len(r)) for r in rows]
        return wb

    def read_tables(self, names: Sequence[str]) -> dict[str, Table]:
        out = {}
        for n in names:
            if n not in self.rows:
                raise WorkbookError(f"the table {n} is missing")
            tdef = schema.TABLES[n]
            anchor_row = int(tdef.anchor[1:])
            out[n] = Table(n, tdef.sheet, self.headers[n], list(self.rows[n]), first_row=anchor_row + 1)
        return out

    def read_settings(self) -> dict[str, Any]:
        return dict(self.settings)

    def write(self, changes: Changes) -> None:
        for name, rows in changes.appends.items():
            self.rows[name].extend(tuple(r) for r in rows)
        for name, cells in changes.updates.items():
            first = int(schema.TABLES[name].anchor[1:]) + 1
            header = self.headers[name]
            for rownum, column, value in cells:
                i = rownum - first
                row = list(self.rows[name][i])
                row[header.index(column)] = value
                self.rows[name][i] = tuple(row)
        for name, (header, rows) in changes.replace.items():
            self.headers[name] = tuple(header)
            self.rows[name] = [tuple(r) for r in rows]
        self.settings.update(changes.names)

    def to_changes(self) -> Changes:
        """Everything held, as changes that fill an empty template."""
        ch = Changes()
        for name, rows in self.rows.items():
            if not rows:
                continue
            if schema.TABLES[name].role == "report":
                ch.replace[name] = (self.headers[name], list(rows))
            else:
                ch.append(name, rows)
        defaults = {s.name: s.default for s in schema.SETTINGS}
        ch.names = {k: v for k, v in self.settings.items() if defaults.get(k) != v}
        return ch
