"""Cells written into a worksheet part without building a tree of the sheet.

ECMA-376 Part 1, §18.3.1.80 sheetData: rows (§18.3.1.73) in ascending order,
each holding cells (§18.3.1.4) in column order.  A run changes few rows of a
big sheet, mostly at its end (ledger rows appended), so :class:`SheetEdit`
finds the first row it touches from the end of ``sheetData`` backwards,
copies everything before it as the bytes it read, and rewrites only the rows
from there on, merging its cells into rows that exist and keeping every cell
it does not set (a clerk's note beside a table stays).

New cells hold text as inline strings (§18.3.1.53 ``is``, ``t="inlineStr"``),
so the shared-string table (§18.4) is never rewritten; numbers are written
exactly as the Decimal reads (never through a float); dates are serial days
of the 1900 date system (§18.17.4.1) with a date number format.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any, BinaryIO, Callable, Iterator, Sequence

from ...schema import EPOCH
from ..port import WorkbookError, column_letter, parse_ref
from .opc import Flush, Raw, attributes

_SHEETDATA = re.compile(rb"<(\w+:)?sheetData\b[^>]*?(/?)>")
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*/>")
_ROW_START = re.compile(rb"<(?:\w+:)?row\b[^>]*?>")
_CELL_REF = re.compile(rb'\sr="\$?([A-Z]+)\$?(\d+)"')
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")
STREAM_CHUNK = 4 << 20     # bytes of a streamed sheet held at a time
BACKWARD_BUDGET = 200_000   # rows scanned backwards before the sheet is read from its start instead
FRESH_ROWS = 4096           # appended rows written as one piece: the text of a big append is never held whole


def col_number(letters: bytes | str) -> int:
    n = 0
    for ch in letters if isinstance(letters, str) else letters.decode():
        n = n * 26 + ord(ch) - 64
    return n


_SPECIAL = re.compile("[&<>_\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_PLAIN = re.compile(r"(?!\s)[^&<>_\x00-\x1f\ufffe\uffff]*(?<!\s)")     # text written as it is, nothing to escape


def _escape_text(text: str) -> str:
    """Text for a <t> element: XML escaping, and ST_Xstring escaping (§22.9.2.19) of control characters."""
    if _SPECIAL.search(text) is None:
        return text
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _ILLEGAL.sub(lambda m: f"_x{ord(m.group()):04X}_", text)


def _escape(text: str) -> bytes:
    return _escape_text(text).encode("utf-8")


def serial(v: date | datetime) -> str:
    if isinstance(v, datetime):
        delta = v - datetime(EPOCH.year, EPOCH.month, EPOCH.day, tzinfo=v.tzinfo)
        return repr(delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400)
    return str((v - EPOCH).days)


def cell_xml(ref: str, value: Any, style: int | None, p: bytes = b"") -> bytes:
    """One <c> element for ``value`` (None: no cell).  Text is never a formula."""
    s = b"" if not style else b' s="%d"' % style
    r = ref.encode()
    if isinstance(value, bool):
        return b'<%sc r="%s"%s t="b"><%sv>%d</%sv></%sc>' % (p, r, s, p, value, p, p)
    if isinstance(value, (int, Decimal)):
        text = format(value, "f") if isinstance(value, Decimal) else str(value)
        return b'<%sc r="%s"%s><%sv>%s</%sv></%sc>' % (p, r, s, p, text.encode(), p, p)
    if isinstance(value, float):
        return b'<%sc r="%s"%s><%sv>%s</%sv></%sc>' % (p, r, s, p, repr(value).encode(), p, p)
    if isinstance(value, (date, datetime)):
        return b'<%sc r="%s"%s><%sv>%s</%sv></%sc>' % (p, r, s, p, serial(value).encode(), p, p)
    text = str(value)
    space = b' xml:space="preserve"' if text != text.strip() or "\n" in text else b""
    return b'<%sc r="%s"%s t="inlineStr"><%sis><%st%s>%s</%st></%sis></%sc>' % (
        p, r, s, p, p, space, _escape(text), p, p, p)


_BARE_ROW = re.compile(rb'<(?:\w+:)?row r="\d+">')
KEEP = object()     # a Cell value: keep the value the cell holds, change only its style


class Cell:
    """A value to put in a cell.  ``style`` None keeps the style the cell had; ``fresh`` cells must land
    on an empty cell (rows appended below a table)."""
    __slots__ = ("value", "style", "fresh")

    def __init__(self, value: Any, style: int | None = None, fresh: bool = False):
        self.value, self.style, self.fresh = value, style, fresh


def has_value(cell: bytes) -> bool:
    return b"<v>" in cell or b"<v " in cell or b"<is>" in cell or b":v>" in cell or b":is>" in cell or b"<f" in cell


def _last_row_in(data: bytes, prefix: bytes, lo: int, hi: int) -> int | None:
    """The number of the last row element that starts in ``data[lo:hi]`` (0 when none does, None when it
    carries no number)."""
    row_tag = b"<" + prefix + b"row"
    while (start := data.rfind(row_tag, lo, hi)) >= 0:
        m = _ROW_START.match(data, start)
        if m is not None:
            r = attributes(m.group()).get(b"r")
            return int(r) if r else None
        hi = start
    return 0


class SheetEdit:
    """Edits to one worksheet part: ``edits[row][col]`` is a Cell to write or None to empty the cell."""

    def __init__(self, part: str, sheet: str, opener: Callable[[], BinaryIO],
                 segmented: Callable[[], tuple[bytes, Raw, bytes, int] | None] | None = None):
        self.part, self.sheet, self._open, self._segmented = part, sheet, opener, segmented
        self._data: bytes | None = None
        self.edits: dict[int, dict[int, Cell | None]] = {}
        self.blocks: list[tuple[int, int, Sequence[tuple], Sequence[Sequence[int | None]]]] = []
        self.formula_overwritten = False
        self.dimension_done = False

    @property
    def data(self) -> bytes:
        """The whole part, read on first use (a big sheet whose edits all lie at its end is streamed instead)."""
        if self._data is None:
            with self._open() as fh:
                self._frame(fh.read())
        return self._data

    def _frame(self, data: bytes) -> None:
        m = _SHEETDATA.search(data)
        if m is None:
            raise WorkbookError(f"sheet {self.sheet!r} ({self.part}) has no sheetData")
        self._data = data
        self.prefix = m.group(1) or b""
        self.body_start = m.end()
        if m.group(2):       # <sheetData/>
            self.body_end = m.end()
            self.closing = b"</" + self.prefix + b"sheetData>"
            self.self_closed = m
        else:
            self.body_end = data.rfind(b"</" + self.prefix + b"sheetData>")
            self.closing = b""
            self.self_closed = None

    @property
    def touched(self) -> bool:
        return bool(self.edits or self.blocks)

    def set(self, row: int, col: int, cell: Cell | None) -> None:
        self.edits.setdefault(row, {})[col] = cell

    def append(self, first_row: int, first_col: int, rows: Sequence[tuple],
               styles: Sequence[Sequence[int | None]]) -> None:
        """Rows for ``first_row`` on, each cell with its style; they must land on empty cells."""
        if rows:
            self.blocks.append((first_row, first_col, rows, styles))

    def _block_row_as_cells(self, rownum: int) -> None:
        """Move one appended row into ``edits`` (it meets a row the sheet already has)."""
        for first, c0, rows, styles in self.blocks:
            if first <= rownum < first + len(rows):
                row, st = rows[rownum - first], styles[rownum - first]
                cells = self.edits.setdefault(rownum, {})
                for j, v in enumerate(row):
                    cells.setdefault(c0 + j, Cell(v, st[j], fresh=True))

    # -- reading rows --------------------------------------------------------
    def _rows_from(self, pos: int) -> Iterator[tuple[int, int, int]]:
        """(row number, start, end) of each row element from byte ``pos`` to the end of sheetData."""
        data, end, last = self.data, self.body_end, 0
        row_tag = b"<" + self.prefix + b"row"
        close = b"</" + self.prefix + b"row>"
        while True:
            start = data.find(row_tag, pos, end)
            if start < 0:
                return
            m = _ROW_START.match(data, start)
            tag = m.group()
            r = attributes(tag).get(b"r")
            num = int(r) if r else last + 1
            stop = m.end() if tag.endswith(b"/>") else data.index(close, m.end()) + len(close)
            yield num, start, stop
            last, pos = num, stop

    def _first_row_at_or_after(self, lo: int) -> int:
        """Byte position of the first row numbered ``lo`` or more (the end of sheetData if none)."""
        data, pos = self.data, self.body_end
        row_tag = b"<" + self.prefix + b"row"
        for _ in range(BACKWARD_BUDGET):
            start = data.rfind(row_tag, self.body_start, pos)
            if start < 0:
                return pos
            m = _ROW_START.match(data, start)
            if m is None:               # e.g. <rowX...>: not a row element
                pos = start
                continue
            r = attributes(m.group()).get(b"r")
            if r is None:
                break
            if int(r) < lo:
                return pos
            pos = start
        for num, start, _ in self._rows_from(self.body_start):
            if num >= lo:
                return start
        return self.body_end

    def last_row(self, end: int | None = None) -> int | None:
        """The number of the sheet's last row element (before byte ``end`` when given; 0 when it has none,
        None when it carries no number)."""
        return _last_row_in(self.data, self.prefix, self.body_start, self.body_end if end is None else end)

    def row_cells(self, rownum: int) -> dict[int, bytes]:
        """The cells of one existing row, by column number (empty when the row is not there)."""
        pos = self._first_row_at_or_after(rownum)
        for num, start, stop in self._rows_from(pos):
            if num == rownum:
                return dict(self._cells(self.data[start:stop], num))
            break
        return {}

    def _cells(self, row: bytes, rownum: int) -> Iterator[tuple[int, bytes]]:
        p = self.prefix
        pos, col = row.index(b">") + 1, 0
        open_c, close_c = b"<" + p + b"c", b"</" + p + b"c>"
        while True:
            start = row.find(open_c, pos)
            if start < 0:
                return
            nxt = row[start + len(open_c):start + len(open_c) + 1]
            if nxt not in (b" ", b">", b"/"):
                pos = start + 1
                continue
            tag_end = row.index(b">", start) + 1
            stop = tag_end if row[tag_end - 2:tag_end] == b"/>" else row.index(close_c, tag_end) + len(close_c)
            m = _CELL_REF.search(row, start, tag_end)
            col = col_number(m.group(1)) if m else col + 1
            yield col, row[start:stop]
            pos = stop

    # -- writing -------------------------------------------------------------------
    def _merge(self, rownum: int, old: bytes | None, cells: dict[int, Cell | None]) -> bytes:
        p = self.prefix
        if old is None:
            start, existing = b"<%srow r=\"%d\">" % (p, rownum), {}
        else:
            tag = _ROW_START.match(old).group()
            start = re.sub(rb'\sspans="[^"]*"', b"", tag).replace(b"/>", b">")
            if b' r="' not in start:
                start = start.replace(b"row", b'row r="%d"' % rownum, 1)
            existing = dict(self._cells(old, rownum))
        for col, cell in cells.items():
            before = existing.get(col)
            if before is not None and b"<" + p + b"f" in before:
                self.formula_overwritten = True
            ref = f"{column_letter(col)}{rownum}"
            if cell is not None and cell.value is KEEP:
                if before is None:
                    existing[col] = b'<%sc r="%s" s="%d"/>' % (p, ref.encode(), cell.style)
                else:
                    tag_end = before.index(b">")
                    tag = re.sub(rb'\ss="\d*"', b"", before[:tag_end]).rstrip(b"/")
                    existing[col] = tag + b' s="%d"' % cell.style + before[tag_end - (before[tag_end - 1:tag_end] == b"/"):]
                continue
            if cell is not None and cell.fresh and before is not None and has_value(before):
                raise WorkbookError(f"sheet {self.sheet!r}, cell {ref} below the table holds a value that new rows "
                                    "would overwrite; move it, then run again. Nothing was written.")
            if cell is None or cell.value is None:
                if before is None:
                    continue
                style = attributes(before[:before.index(b">")]).get(b"s")
                if style and cell is None:
                    existing[col] = b'<%sc r="%s" s="%s"/>' % (p, ref.encode(), style)
                else:
                    existing.pop(col)
                continue
            style = cell.style
            if style is None and before is not None:
                s = attributes(before[:before.index(b">")]).get(b"s")
                style = int(s) if s else None
            existing[col] = cell_xml(ref, cell.value, style, p)
        if not existing and _BARE_ROW.fullmatch(start):
            return b""          # a row left with no cell and nothing of its own (height, style) goes
        body = b"".join(existing[c] for c in sorted(existing))
        return start + body + b"</" + p + b"row>"

    def pieces(self) -> Iterator[bytes | memoryview | Flush | Raw]:
        """The new part, in pieces cut into three segments (:mod:`.segments`: up to ``<sheetData>``, the rows,
        from ``</sheetData>`` on): rows appended past the last row of a part written so are compressed after
        its rows copied as stored; otherwise streamed from the old part when it has not been read whole."""
        if self._data is not None or not self.touched:
            yield from self.render()
            return
        appended = self._appended_to_segments()
        yield from self._stream() if appended is None else appended

    def _appended_to_segments(self) -> list[bytes | Flush | Raw] | None:
        """The part with the appended rows after its rows copied as stored, when the edits are one block of
        rows below the last row of a part written in segments whose head and tail inflate as a sheet's do
        (:meth:`.opc.Package.segmented`); None otherwise (the whole part is then rewritten)."""
        if self._segmented is None or self.edits or len(self.blocks) != 1:
            return None
        first, c0, rows, styles = self.blocks[0]
        found = self._segmented()
        if found is None:
            return None
        head, raw, tail, last = found
        m = _SHEETDATA.search(head)
        if m is None or m.end() != len(head) or m.group(2) or first <= last:
            return None
        self.prefix = m.group(1) or b""
        if not tail.startswith(b"</" + self.prefix + b"sheetData>"):
            return None
        dim = _DIMENSION.search(head, 0, m.start())
        if dim is not None:
            head = head[:dim.start()] + self._dimension(dim.group()) + head[dim.end():]
        return [head, Flush(), raw, *self._fresh_rows(first, c0, rows, styles, {}, set()),
                Flush(last_row=first + len(rows) - 1), tail]

    def _stream(self) -> Iterator[bytes | memoryview | Flush]:
        """Copy the rows before the first edited one as they come out of the zip, holding one chunk at a
        time; only the rest of the part (the last rows and what follows sheetData) is held and rewritten."""
        lo = min([*self.edits, *(b[0] for b in self.blocks)])
        with self._open() as fh:
            buf = b""
            while (m := _SHEETDATA.search(buf)) is None:
                chunk = fh.read(STREAM_CHUNK)
                if not chunk:
                    raise WorkbookError(f"sheet {self.sheet!r} ({self.part}) has no sheetData")
                buf += chunk
            if m.group(2):                      # <sheetData/>: nothing to stream past
                self._frame(buf + fh.read())
                yield from self.render()
                return
            prefix = m.group(1) or b""
            dim = _DIMENSION.search(buf, 0, m.start())
            if dim is not None:
                yield buf[:dim.start()]
                yield self._dimension(dim.group())
                yield buf[dim.end():m.end()]
            else:
                yield buf[:m.end()]
            yield Flush()
            buf, streamed = buf[m.end():], False
            row_tag, end_tag = b"<" + prefix + b"row", b"</" + prefix + b"sheetData>"
            while True:
                end = buf.find(end_tag)
                last = buf.rfind(row_tag, 0, len(buf) if end < 0 else end)
                tag = _ROW_START.match(buf, last) if last >= 0 else None
                r = attributes(tag.group()).get(b"r") if tag else None
                if tag is not None and r is None:
                    break                       # rows without numbers: count them from the start below
                if end < 0 and (tag is None or int(r) < lo):
                    if tag is not None and last > 0:
                        yield buf[:last]        # every row before the last one seen comes before lo
                        buf = buf[last:]
                        streamed = True
                    chunk = fh.read(STREAM_CHUNK)
                    if not chunk:
                        raise WorkbookError(f"sheet {self.sheet!r} ({self.part}) ends inside sheetData")
                    buf += chunk
                    continue
                break
            rest = buf + fh.read()
        self._frame(b"<" + prefix + b"sheetData>" + rest)
        self.dimension_done = True
        _head, rows, tail, last = self._split()
        yield from rows
        yield Flush(last_row=None if streamed and last == 0 else last)     # None: the streamed rows' numbers unknown
        yield from tail

    def render(self) -> list[bytes | memoryview | Flush]:
        """The new part, as pieces: the untouched beginning (as read), the rewritten rows, the rest, with the
        ends of its segments."""
        if not self.touched:
            return [self.data]
        head, rows, tail, last = self._split()
        return [*head, Flush(), *rows, Flush(last_row=last), *tail]

    def _split(self) -> tuple[list, list, list, int | None]:
        """The new part as (head, rows, tail) pieces (see :meth:`pieces`) and the number of its last row
        element (None when the rows carry no numbers)."""
        data = memoryview(self.data)
        lo = min([*self.edits, *(b[0] for b in self.blocks)])
        pos = self._first_row_at_or_after(lo)
        existing = list(self._rows_from(pos))
        in_blocks = {num for num, _, _ in existing} | set(self.edits)
        for num in sorted(in_blocks):
            self._block_row_as_cells(num)
        out: list[bytes] = []
        pending = sorted(self.edits)
        i = 0
        for num, start, stop in existing:
            while i < len(pending) and pending[i] < num:
                out.append(self._merge(pending[i], None, self.edits[pending[i]]))
                i += 1
            if i < len(pending) and pending[i] == num:
                out.append(self._merge(num, self.data[start:stop], self.edits[num]))
                i += 1
            else:
                out.append(self.data[start:stop])
        rest = {r: self._merge(r, None, self.edits[r]) for r in pending[i:]}
        for first, c0, rows, styles in sorted(self.blocks, key=lambda b: b[0]):
            for r in sorted(k for k in rest if k < first):
                out.append(rest.pop(r))
            out += self._fresh_rows(first, c0, rows, styles, rest, set(pending[:i]))
        out += [rest[r] for r in sorted(rest)]
        last: int | None = 0
        for piece in reversed(out):
            if (last := _last_row_in(piece, self.prefix, 0, len(piece))) != 0:
                break
        if last == 0:
            last = self.last_row(pos)
        dim = None if self.dimension_done else _DIMENSION.search(self.data, 0, self.body_start)
        if self.self_closed is not None:       # <sheetData/> opens to hold the rows
            m = self.self_closed
            head_end, after = m.start(), m.end()
            opening, closing = [m.group()[:-2].rstrip() + b">"], [self.closing]
        else:
            head_end, after = self.body_start, self.body_end
            opening, closing = [], []
            out.insert(0, data[self.body_start:pos])
        head = [data[:head_end]] if dim is None else \
            [data[:dim.start()], self._dimension(dim.group()), data[dim.end():head_end]]
        return head + opening, out, closing + [data[after:]], last

    def _fresh_rows(self, first: int, c0: int, rows: Sequence[tuple], styles: Sequence[Sequence[int | None]],
                    merged: dict[int, bytes], done: set[int]) -> list[bytes]:
        """Rows where the sheet has none, in pieces of FRESH_ROWS rows: written straight from the values (the
        appended ledger rows); a row merged with other edits is taken from ``merged``, one already written
        (``done``) left out."""
        p = self.prefix.decode()
        letters = [column_letter(c0 + j) for j in range(max((len(r) for r in rows), default=0))]
        text_end, value_end = f"</{p}t></{p}is></{p}c>", f"</{p}v></{p}c>"
        by_styles: dict[int, list[tuple[str, str, str]]] = {}       # per styles list: each cell's fixed text
        pieces, out = [], []
        add = out.append
        for i, row in enumerate(rows):
            if i and not i % FRESH_ROWS:
                pieces.append("".join(out).encode("utf-8"))
                out.clear()
            r = first + i
            if r in done:
                continue
            if r in merged:
                add(merged.pop(r).decode("utf-8"))
                continue
            add(f'<{p}row r="{r}">')
            st = styles[i]
            fixed = by_styles.get(id(st))
            if fixed is None:
                fixed = by_styles[id(st)] = [
                    (f'<{p}c r="{letters[j]}', f'"{s} t="inlineStr"><{p}is><{p}t', f'"{s}><{p}v>')
                    for j, s in enumerate(f' s="{x}"' if x else "" for x in st)]
            for j, v in enumerate(row):
                if v is None:
                    continue
                cell, text_start, value_start = fixed[j]
                t = type(v)
                if t is str:
                    if _PLAIN.fullmatch(v):
                        add(f"{cell}{r}{text_start}>{v}{text_end}")
                    else:
                        text = _escape_text(v)
                        space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
                        add(f"{cell}{r}{text_start}{space}>{text}{text_end}")
                elif t is Decimal:
                    add(f"{cell}{r}{value_start}{v:f}{value_end}")
                elif t is int:
                    add(f"{cell}{r}{value_start}{v}{value_end}")
                elif t is date:
                    add(f"{cell}{r}{value_start}{(v - EPOCH).days}{value_end}")
                else:
                    add(cell_xml(f"{letters[j]}{r}", v, st[j], self.prefix).decode())
            add(f"</{p}row>")
        pieces.append("".join(out).encode("utf-8"))
        return pieces

    def _dimension(self, tag: bytes) -> bytes:
        """§18.3.1.35 dimension: widened to cover every cell written."""
        ref = attributes(tag).get(b"ref", b"A1").decode()
        c0, r0, c1, r1 = parse_ref(ref)
        rows = [r for r, cells in self.edits.items() if any(c is not None for c in cells.values())]
        cols = [c for cells in self.edits.values() for c, v in cells.items() if v is not None]
        for first, col, block, _ in self.blocks:
            rows += [first, first + len(block) - 1]
            cols += [col, col + max(len(r) for r in block) - 1]
        if rows:
            r0, r1 = min(r0, min(rows)), max(r1, max(rows))
            c0, c1 = min(c0, min(cols)), max(c1, max(cols))
        new = f"{column_letter(c0)}{r0}:{column_letter(c1)}{r1}".encode()
        return re.sub(rb'ref="[^"]*"', b'ref="' + new + b'"', tag)
