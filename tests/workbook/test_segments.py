"""Rows appended to a ledger sheet ardesk wrote in segments are compressed after its rows copied as stored
(ardesk.io.package.segments); the file reads as the whole rewrite gives it, and anything unexpected takes
the whole rewrite instead."""
from __future__ import annotations

import ctypes
import ctypes.util
import json
import random
import zipfile
import zlib
from datetime import datetime

import pytest
from hypothesis import given, settings, strategies as st

from ardesk import app
from ardesk.io.fileadapter import FileWorkbook
from ardesk.io.package import Package, opc
from ardesk.io.package.segments import Segment, crc32_combine
from ardesk.io.package.sheet import SheetEdit
from ardesk.io.package.writer import table_parts

from .conftest import logged_copy, tables
from .test_package_writer import calamine_sheets, libreoffice, openpyxl_sheets

RUNS = [("2026-11", datetime(2026, 12, 1, 9, 0)), ("2026-12", datetime(2027, 1, 4, 9, 0)),
        ("2027-01", datetime(2027, 2, 1, 9, 0))]
APPEND_AFTER_SEGMENTS = SheetEdit._appended_to_segments
BIG = ("tblJournal", "tblInvoices", "tblInvoiceLines", "tblAudit")    # ledgers every month-end appends to


# -- the CRC-32 of a concatenation ----------------------------------------------------
@given(st.binary(max_size=3000), st.integers(min_value=0, max_value=3000))
@settings(max_examples=300, deadline=None)
def test_crc32_combine_is_the_crc_of_the_concatenation(data, cut):
    cut = min(cut, len(data))
    a, b = data[:cut], data[cut:]
    assert crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(data)


def _zlib_combine():
    lib = ctypes.CDLL(ctypes.util.find_library("z") or "libz.so.1")
    fn = lib.crc32_combine64
    fn.restype, fn.argtypes = ctypes.c_ulong, [ctypes.c_ulong, ctypes.c_ulong, ctypes.c_int64]
    return fn


def test_crc32_combine_agrees_with_zlib_for_empty_and_long_second_parts():
    zlib_combine = _zlib_combine()        # the C library Python's zlib module links, which does not expose it
    rng = random.Random(11)
    for n in (0, 1, 7, 2**31 - 1, 2**32 - 1, 2**32, 2**32 + 1, 5 * 2**32 + 12345, 2**40 + 3, 2**62 + 1):
        for _ in range(5):
            c1, c2 = rng.getrandbits(32), rng.getrandbits(32)
            assert crc32_combine(c1, c2, n) == zlib_combine(c1, c2, n), n
    assert crc32_combine(0x12345678, 0, 0) == 0x12345678
    # 8 GiB of zero bytes, doubled up from a MiB: the CRC of A + A from the CRC of A
    zeros, size = zlib.crc32(bytes(1 << 20)), 1 << 20
    while size < 1 << 33:
        zeros, size = crc32_combine(zeros, zeros, size), size * 2
    assert zeros == zlib_combine(zlib.crc32(bytes(1 << 20)), _crc_of_zeros(zlib_combine, (1 << 33) - (1 << 20)),
                                 (1 << 33) - (1 << 20))
    with pytest.raises(ValueError):
        crc32_combine(1, 2, -1)


def _crc_of_zeros(zlib_combine, n: int) -> int:
    """CRC-32 of n zero bytes through zlib's own combine (n a multiple of a MiB)."""
    block, crc, done = zlib.crc32(bytes(1 << 20)), 0, 0
    step, acc = 1 << 20, block
    while done < n:             # binary doubling with zlib's combine
        if (n - done) & step:
            crc, done = zlib_combine(crc, acc, step), done + step
        acc, step = zlib_combine(acc, acc, step), step * 2
    return crc


# -- month-ends through the segment path ----------------------------------------------------
@pytest.fixture(scope="module")
def demo(logged_demo):
    return logged_demo


def _spy(monkeypatch) -> dict[str, list[bool]]:
    """Part -> for each save of it, whether the rows were appended after the stored segments."""
    seen: dict[str, list[bool]] = {}

    def spy(self):
        out = APPEND_AFTER_SEGMENTS(self)
        seen.setdefault(self.part, []).append(out is not None)
        return out
    monkeypatch.setattr(SheetEdit, "_appended_to_segments", spy)
    return seen


def _without_segments(book) -> None:
    """The log as an older ardesk wrote it: its commit lines name no segments."""
    log = FileWorkbook(book).log()
    lines = [json.loads(x) for x in log.lines()]
    for line in lines:
        line.pop("segments", None)
    log.file.write_text("".join(json.dumps(x) + "\n" for x in lines))


def _last_line(book) -> dict:
    return json.loads(FileWorkbook(book).log().lines()[-1])


def _sheet_parts(book) -> dict[str, str]:
    with Package(book) as pkg:
        return {name: t.sheet_part for name, t in table_parts(pkg).items()}


def _month_end(book, period, now):
    res = app.run(FileWorkbook(book), "month-end", period=period, now=now)
    assert res.ok and res.written, res.summary["problems"]


def _stored(book, part) -> tuple[bytes, zipfile.ZipInfo]:
    with zipfile.ZipFile(book) as z:
        info = z.getinfo(part)
        return b"".join(opc.stored_bytes(z, info)), info


def test_successive_month_ends_append_after_the_stored_rows(demo, tmp_path, monkeypatch):
    (tmp_path / "fast").mkdir()
    (tmp_path / "whole").mkdir()
    fast, whole = logged_copy(demo, tmp_path / "fast"), logged_copy(demo, tmp_path / "whole")
    _without_segments(fast)             # the first month-end finds no segments and rewrites the sheets whole
    parts = _sheet_parts(fast)
    for i, (period, now) in enumerate(RUNS):
        with zipfile.ZipFile(fast) as z:
            before = {n: _stored(fast, n)[0] for n in z.namelist()}
        prev = _last_line(fast).get("segments", {})
        seen = _spy(monkeypatch)
        _month_end(fast, period, now)
        line = _last_line(fast)
        for t in BIG:
            part = parts[t]
            assert seen[part] == [i > 0], (t, i)
            data, info = _stored(fast, part)
            head, rows, tail = (Segment(*line["segments"][part][k]) for k in ("head", "rows", "tail"))
            assert head.packed + rows.packed + tail.packed == info.compress_size
            if i:           # the rows the last save wrote are in the new entry as they were stored
                start, length = prev[part]["head"][0], prev[part]["rows"][0]
                assert data[head.packed:head.packed + length] == before[part][start:start + length]
        with zipfile.ZipFile(fast) as z:
            assert z.testzip() is None              # every entry inflates to its size and CRC-32
        for t in ("tblCustomers", "tblCharges", "tblPayments", "tblReceipts"):     # only read: byte for byte
            assert _stored(fast, parts[t])[0] == before[parts[t]], t
        monkeypatch.setattr(SheetEdit, "_appended_to_segments", lambda self: None)     # the whole path
        _month_end(whole, period, now)
        assert tables(fast) == tables(whole)
        with zipfile.ZipFile(fast) as a, zipfile.ZipFile(whole) as b:
            for t in BIG:       # the very same sheet, whichever way it was written
                assert a.read(parts[t]) == b.read(parts[t]), t
    assert openpyxl_sheets(fast) == calamine_sheets(fast) == calamine_sheets(whole)
    # the run log's check clears the book by the parts' digests, and the full check agrees
    port = FileWorkbook(fast)
    assert port.check_books() == [] and port.check_books(full=True) == []


def test_libreoffice_reads_what_the_segment_path_wrote(demo, tmp_path, monkeypatch):
    book = logged_copy(demo, tmp_path)
    seen = _spy(monkeypatch)
    _month_end(book, *RUNS[0])
    parts = _sheet_parts(book)
    assert seen[parts["tblJournal"]] == [True]
    by_calamine = calamine_sheets(book)
    by_libreoffice = calamine_sheets(libreoffice(book, tmp_path))
    for sheet in ("Journal", "Invoices", "InvoiceLines", "Audit"):
        assert by_libreoffice[sheet] == by_calamine[sheet], sheet


# -- what takes the whole path ------------------------------------------------------------
def _rewrite_part(book, part: str) -> None:
    """The part written again by another program, with the same bytes inflated (so the same values)."""
    tmp = book.with_name("edited.xlsx")
    with Package(book) as pkg:
        pkg.replace(part, pkg.read(part))
        pkg.save(tmp)
    tmp.replace(book)


def _forge(book, part: str, edit) -> None:
    log = FileWorkbook(book).log()
    lines = [json.loads(x) for x in log.lines()]
    edit(lines[-1]["segments"][part])
    log.file.write_text("".join(json.dumps(x) + "\n" for x in lines))


def _tail_from_the_last_rows(book, part: str, previous: list[int]):
    """A table that adds up (sizes, CRC-32, a full flush where the rows end) but cuts the rows where the save
    before ended them (``previous``): the rows appended since are put in the tail."""
    def edit(seg):
        _data, info = _stored(book, part)
        with zipfile.ZipFile(book) as z:
            xml = z.read(part)
        start = seg["head"][1] + previous[1]
        seg["rows"] = previous
        seg["tail"] = [info.compress_size - seg["head"][0] - previous[0], len(xml) - start, zlib.crc32(xml[start:])]
    return edit


@pytest.mark.parametrize("case", ["rewritten", "no segments", "wrong length", "wrong crc", "tail not a tail"])
def test_anything_unexpected_takes_the_whole_path(demo, tmp_path, monkeypatch, case):
    book = logged_copy(demo, tmp_path)
    journal = _sheet_parts(book)["tblJournal"]
    run = 0
    if case == "tail not a tail":       # one more month-end so that the rows segment holds two pieces
        previous = _last_line(book)["segments"][journal]["rows"]
        _month_end(book, *RUNS[0])
        _forge(book, journal, _tail_from_the_last_rows(book, journal, previous))
        run = 1
    else:
        if case == "rewritten":
            _rewrite_part(book, journal)
        elif case == "no segments":
            _without_segments(book)
        elif case == "wrong length":
            _forge(book, journal, lambda seg: (seg["rows"].__setitem__(0, seg["rows"][0] - 5),
                                               seg["tail"].__setitem__(0, seg["tail"][0] + 5)))
        else:
            _forge(book, journal, lambda seg: seg["rows"].__setitem__(2, seg["rows"][2] ^ 1))
    before = tables(book)["tblJournal"]
    seen = _spy(monkeypatch)
    _month_end(book, *RUNS[run])
    assert seen[journal] == [False]
    with zipfile.ZipFile(book) as z:
        assert z.testzip() is None
    after = tables(book)["tblJournal"]
    assert after[:len(before)] == before and len(after) > len(before)
    # the whole path wrote segments again: the next month-end appends after them
    seen.clear()
    _month_end(book, *RUNS[run + 1])
    assert seen[journal] == [True]
