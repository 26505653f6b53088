"""Property: any sequence of runs written by the package writer leaves, cell for cell, the workbook the
openpyxl path (load, apply, save) leaves; the openpyxl path is the oracle."""
from __future__ import annotations

import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, Phase, given, settings, strategies as st

from ardesk import app, schema
from ardesk.io.fileadapter import FileWorkbook, apply_changes, save_atomic
from ardesk.io.port import Changes
from ardesk.io.template import create_workbook

from .test_package_writer import calamine_sheets


class OpenpyxlWorkbook(FileWorkbook):
    """The file port writing through openpyxl, as ardesk did before it wrote packages."""

    def write(self, changes: Changes, *, backup: bool = True) -> None:
        if changes.is_empty():
            return
        wb = openpyxl.load_workbook(self.path)
        apply_changes(wb, changes, self._names)
        save_atomic(wb, self.path, backup=backup, original_stamp=self._stamp)
        st_ = self.path.stat()
        self._stamp = (st_.st_mtime_ns, st_.st_size)
        self._book = None


@pytest.fixture(scope="module", autouse=True)
def small_stream_chunks():
    """Stream sheets in chunks of a few bytes, so rows and tags are cut at every place a chunk can end."""
    from ardesk.io.package import sheet
    size, sheet.STREAM_CHUNK = sheet.STREAM_CHUNK, 61
    yield
    sheet.STREAM_CHUNK = size


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return create_workbook(tmp_path_factory.mktemp("oracle") / "template.xlsx")


# Text as clerks and bank files type it.  Where openpyxl itself loses text, the oracle cannot judge: it
# writes _xHHHH_ unescaped (so 'x' is left out of the alphabet), drops text of spaces only, and refuses
# control characters other than tab and line breaks.
TEXT = st.text(st.sampled_from("ab AZ09-&<>\"'=+.,;:/\\\t\nçé€ßü漢"), max_size=12).filter(
    lambda s: s.strip() or not s)
KINDS = {
    schema.TEXT: TEXT, schema.ID: TEXT, schema.CHOICE: TEXT,
    schema.MONEY: st.decimals(-10**9, 10**9, places=2, allow_nan=False),
    schema.DECIMAL: st.decimals(-10**6, 10**6, places=6, allow_nan=False),
    schema.RATE: st.decimals(0, 1, places=4, allow_nan=False),
    schema.INT: st.integers(-10**6, 10**6),
    schema.DATE: st.dates(date(1990, 1, 1), date(2060, 12, 31)),
    schema.DATETIME: st.datetimes(datetime(2000, 1, 1), datetime(2040, 1, 1)).map(lambda d: d.replace(microsecond=0)),
}


def value(kind: str):
    return st.one_of(st.none(), KINDS[kind])


def row_of(tdef: schema.TableDef):
    # A row with no value at all is never posted, and the one blank row an empty Excel table keeps is
    # where the next append goes, so such a row would not stay a row of the table.
    return st.tuples(*(value(c.kind) for c in tdef.columns)).filter(lambda r: any(v not in (None, "") for v in r))


NO_SHRINK = [Phase.explicit, Phase.reuse, Phase.generate]
LEDGERS = [t for t in schema.TABLES.values() if t.role != "report"]
REPORTS = [t for t in schema.TABLES.values() if t.role == "report"]


@st.composite
def runs(draw):
    """A few runs, each one Changes: rows appended, cells of earlier rows updated, reports replaced,
    settings set."""
    sizes: dict[str, int] = {}
    out = []
    for _ in range(draw(st.integers(1, 3))):
        ch = Changes()
        for tdef in draw(st.lists(st.sampled_from(LEDGERS), max_size=3, unique=True)):
            rows = draw(st.lists(row_of(tdef), min_size=1, max_size=4))
            ch.append(tdef.name, rows)
        for name, n in sizes.items():
            tdef = schema.TABLES[name]
            for _ in range(draw(st.integers(0, 2))):
                col = draw(st.sampled_from(tdef.columns))
                ch.update(name, 1 + draw(st.integers(1, n)), col.name, draw(value(col.kind)))
        for tdef in draw(st.lists(st.sampled_from(REPORTS), max_size=2, unique=True)):
            extra = draw(st.integers(0, 3)) if tdef is schema.AGING else 0
            header = tdef.header[:-1] + tuple(f"B{i}" for i in range(extra)) + tdef.header[-1:]
            kinds = [c.kind for c in tdef.columns[:-1]] + [schema.MONEY] * extra + [tdef.columns[-1].kind]
            rows = draw(st.lists(st.tuples(*(value(k) for k in kinds)), max_size=4))
            ch.replace[tdef.name] = (header, rows)
            if draw(st.booleans()):      # ardesk's own titles; the openpyxl path would make "=..." a formula
                ch.titles[tdef.name] = draw(TEXT.filter(lambda t: not t.startswith("=")))
        if draw(st.booleans()):
            ch.names["NextInvoiceNumber"] = draw(st.integers(1, 10**6))
            ch.names["AsOfDate"] = draw(st.dates(date(2020, 1, 1), date(2030, 1, 1)))
            ch.names["Period"] = draw(TEXT)
        for name, rows in ch.appends.items():
            sizes[name] = sizes.get(name, 0) + len(rows)
        out.append(ch)
    return out


def _same_workbooks(a: Path, b: Path) -> None:
    sa, sb = calamine_sheets(a), calamine_sheets(b)
    assert sa.keys() == sb.keys()
    for name in sa:
        assert sa[name] == sb[name], name
    ta, tb = openpyxl.load_workbook(a), openpyxl.load_workbook(b)
    for ws in ta.worksheets:
        assert {n: ws.tables[n].ref for n in ws.tables} == {n: tb[ws.title].tables[n].ref for n in tb[ws.title].tables}


# Each example writes two workbooks per run: shrinking a failure would take many minutes, so the first
# failing example is reported as found.
@settings(max_examples=25, deadline=None, phases=NO_SHRINK, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(steps=runs())
def test_random_runs_give_the_tables_the_openpyxl_path_gives(template, tmp_path_factory, steps):
    d = tmp_path_factory.mktemp("run")
    new, old = d / "new.xlsx", d / "old.xlsx"
    shutil.copy2(template, new)
    shutil.copy2(template, old)
    for ch in steps:
        FileWorkbook(new).write(ch, backup=False)
        OpenpyxlWorkbook(old).write(ch, backup=False)
    _same_workbooks(new, old)


@settings(max_examples=6, deadline=None, phases=NO_SHRINK, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(commands=st.lists(st.tuples(st.sampled_from(["bill", "report", "month-end", "reconcile"]),
                                   st.integers(0, 3)), min_size=1, max_size=3))
def test_random_sequences_of_month_end_steps_agree(demo_master, tmp_path_factory, commands):
    d = tmp_path_factory.mktemp("steps")
    new, old = d / "new.xlsx", d / "old.xlsx"
    shutil.copy2(demo_master, new)
    shutil.copy2(demo_master, old)
    for command, months in commands:
        period = f"2026-{11 + months:02d}" if months < 2 else f"2027-{months - 1:02d}"
        end = date(int(period[:4]), int(period[5:]), 1) + timedelta(days=27)
        kwargs = {"as_of": end} if command in ("report", "reconcile") else {"period": period}
        kwargs["now"] = datetime(2026, 12, 1, 9, 30)
        a = app.run(FileWorkbook(new), command, **kwargs)
        b = app.run(OpenpyxlWorkbook(old), command, **kwargs)
        assert a.ok == b.ok and a.summary.get("written") == b.summary.get("written")
    _same_workbooks(new, old)
