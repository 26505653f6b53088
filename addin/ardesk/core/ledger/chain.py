"""Tamper evidence for the append-only ledgers: a hash chain per ledger table.

Each posted row is reduced to a canonical text (:func:`canonical_row`) that is
the same whether the row is the value ardesk wrote (``Decimal('12.50')``,
``date(2026, 3, 1)``) or the value a reader gets back from the saved file
(``12.5``, ``datetime(2026, 3, 1, 0, 0)``).  The chain head after ``n`` rows
is ``sha256(head(n-1) + row n)``, so one head and one count stand for every
row of the ledger: a changed, inserted or deleted row changes the head.

The heads are anchored in the Audit tab (each run's Audit row names them) and
in the run log beside the workbook, which also keeps the rows themselves, so
:func:`compare` can name each row that differs, with its old and new values.
Pure: rows in, heads and problems out.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from difflib import SequenceMatcher
from typing import Any, Iterable, Sequence

from ... import schema
from ..model import Problem

GENESIS = "0" * 64
# The ledgers: tables rows are only ever appended to (schema role "ledger").
LEDGERS: tuple[str, ...] = tuple(n for n, t in schema.TABLES.items() if t.role == "ledger")

CORRECTION = ("Posted rows are never edited: put the row back as it was (the run log beside the workbook keeps "
              "it; `ardesk verify` shows the old values), then correct it with a reversing entry or a credit note.")


def canonical(v: Any) -> str:
    """One text per cell value, equal for a value written and the same value read back."""
    t = type(v)
    if t is str:
        return v
    if v is None:
        return ""
    if t is Decimal and v.is_finite():      # money as posted: the digits as written, trailing zeros dropped
        if not v:
            return "0"
        text = format(v, "f")
        if len(text) <= 28:                 # within the context's precision, so normalize() would not round
            return text.rstrip("0").rstrip(".") if "." in text else text
    if t is int and -10 ** 28 < v < 10 ** 28:
        return str(v)
    if t is date:
        return v.isoformat()
    if t is float and v.is_integer() and abs(v) < 1e15:
        return str(int(v)) if v else "0"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, datetime):
        if v.microsecond >= 500_000:
            v = v + timedelta(microseconds=1_000_000 - v.microsecond)
        v = v.replace(microsecond=0)
        return v.date().isoformat() if (v.hour, v.minute, v.second) == (0, 0, 0) else v.isoformat(sep=" ")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, (int, float, Decimal)):
        try:
            d = Decimal(repr(v)) if isinstance(v, float) else Decimal(v)
            if not d.is_finite():
                return str(d)
            d = d.normalize()
            return "0" if d == 0 else format(d, "f")
        except (InvalidOperation, ValueError):
            return repr(v)
    return str(v)


def canonical_row(row: Sequence[Any]) -> tuple[str, ...]:
    out = [canonical(v) for v in row]
    while out and out[-1] == "":
        out.pop()
    return tuple(out)


def _text_column(col: Sequence[Any]) -> Sequence[str]:
    """``canonical`` of every cell of one column, the same texts as cell by cell.  Text is its own
    canonical text; for the other types the run writes (dates, money as Decimal, whole numbers, blanks
    among them) a cell's text depends only on its value, so each distinct value is written once."""
    kinds = set(map(type, col))
    if kinds <= {str}:
        return col
    if kinds <= {str, type(None)}:
        return ["" if v is None else v for v in col]
    if kinds <= _BY_VALUE:
        try:
            texts = {v: canonical(v) for v in set(col)}
            return list(map(texts.__getitem__, col))
        except (TypeError, KeyError):       # an unhashable or NaN Decimal: cell by cell
            pass
    return list(map(canonical, col))


# types whose canonical text depends on the value alone, and whose equal values have equal texts
_BY_VALUE = {date, Decimal, int, type(None)}


def canonical_rows(rows: Sequence[Sequence[Any]]) -> list[tuple[str, ...]]:
    """``[canonical_row(r) for r in rows]``, a column at a time when the rows are all of one width."""
    if not rows or len(set(map(len, rows))) != 1 or not rows[0]:
        return [canonical_row(r) for r in rows]
    return [t if t[-1] != "" else _trimmed(t) for t in zip(*map(_text_column, zip(*rows)))]


def _trimmed(t: tuple[str, ...]) -> tuple[str, ...]:
    n = len(t)
    while n and t[n - 1] == "":
        n -= 1
    return t[:n]


def is_blank(row: Sequence[str]) -> bool:
    return not any(s.strip() for s in row)


# ``json.dumps(row, ensure_ascii=False)``: dumps makes an encoder afresh for every call with an option
_ROW_JSON = json.JSONEncoder(ensure_ascii=False).encode
# one text as that encoder writes it (json.encoder's own function): a row of texts is "[" + ", ".join + "]"
_TEXT_JSON = json.encoder.encode_basestring


def link(head: str, row: Sequence[str]) -> str:
    try:
        text = "[" + ", ".join(map(_TEXT_JSON, row)) + "]"
    except TypeError:                       # a cell that is not text: the encoder's general rule
        text = _ROW_JSON(list(row))
    return hashlib.sha256((head + text).encode()).hexdigest()


def extend(head: str, rows: Iterable[Sequence[str]]) -> str:
    for r in rows:
        head = link(head, r)
    return head


@dataclass(frozen=True)
class State:
    """A ledger as counted and chained: (non-blank rows, head of the chain)."""
    count: int
    head: str

    def to_json(self) -> list:
        return [self.count, self.head]

    @classmethod
    def from_json(cls, v: Sequence) -> "State":
        return cls(int(v[0]), str(v[1]))


def state(rows: Sequence[Sequence[str]], start: State = State(0, GENESIS)) -> State:
    return State(start.count + len(rows), extend(start.head, rows))


def posted_rows(rows: Iterable[Sequence[Any]], first_row: int) -> list[tuple[int, tuple[str, ...]]]:
    """(worksheet row, canonical row) of every non-blank row of a table as read."""
    texts = canonical_rows(rows if isinstance(rows, (list, tuple)) else list(rows))
    return [(first_row + i, c) for i, c in enumerate(texts) if not is_blank(c)]


ANCHOR = 12    # hex digits of a head in the Audit tab: 48 bits, and never long enough to pass for a card number


def anchor_text(states: dict[str, State]) -> str:
    """The chain heads as written into the Audit row of a run."""
    return "chain " + " ".join(f"{schema.TABLES[t].sheet}={s.count}" + (f":{s.head[:ANCHOR]}" if s.count else "")
                               for t, s in sorted(states.items()) if t in schema.TABLES)


def compare(table: str, header: Sequence[str], expected: Sequence[Sequence[str]],
            actual: Sequence[tuple[int, Sequence[str]]], *, missing_tail_ok: bool = False) -> list[Problem]:
    """Every posted row of ``table`` that differs from what was posted.

    ``expected``: the canonical rows as posted (from the run log), in order;
    ``actual``: (worksheet row, canonical row) as the workbook holds them.
    A row missing at the very end is reported too unless ``missing_tail_ok``
    (the caller reports lost runs itself).
    """
    sheet = schema.TABLES[table].sheet if table in schema.TABLES else table
    exp = [tuple(r) for r in expected]
    act = [tuple(r) for _n, r in actual]
    rownum = [n for n, _r in actual]
    if missing_tail_ok and len(act) <= len(exp) and exp[:len(act)] == act:
        return []
    lo = 0
    while lo < len(exp) and lo < len(act) and exp[lo] == act[lo]:
        lo += 1
    hi_e, hi_a = len(exp), len(act)
    while hi_e > lo and hi_a > lo and exp[hi_e - 1] == act[hi_a - 1]:
        hi_e, hi_a = hi_e - 1, hi_a - 1
    problems: list[Problem] = []
    if lo == hi_e and lo == hi_a:
        return problems

    def where(i: int) -> int | None:
        return rownum[i] if i < len(rownum) else (rownum[-1] + 1 if rownum else None)

    def cells(r: Sequence[str]) -> str:
        return ", ".join(f"{h}={v!r}" for h, v in zip(header, r) if v)

    sm = SequenceMatcher(None, exp[lo:hi_e], act[lo:hi_a], autojunk=False)
    for op, e0, e1, a0, a1 in sm.get_opcodes():
        e0, e1, a0, a1 = e0 + lo, e1 + lo, a0 + lo, a1 + lo
        if op == "equal":
            continue
        pairs = min(e1 - e0, a1 - a0) if op == "replace" else 0
        for k in range(pairs):
            old, new = exp[e0 + k], act[a0 + k]
            width = max(len(old), len(new), len(header))
            for j in range(width):
                o = old[j] if j < len(old) else ""
                n = new[j] if j < len(new) else ""
                if o != n:
                    col = header[j] if j < len(header) else f"column {j + 1}"
                    problems.append(Problem(
                        f"posted row edited: {col} was {o!r}, is now {n!r}. {CORRECTION}",
                        sheet, rownum[a0 + k], col, n, "verify"))
        for i in range(e0 + pairs, e1):
            problems.append(Problem(
                f"posted row deleted (it stood before row {where(a0 + pairs)}): {cells(exp[i])}. {CORRECTION}",
                sheet, where(a0 + pairs), "", None, "verify"))
        for i in range(a0 + pairs, a1):
            problems.append(Problem(
                f"row inserted into a ledger; ardesk never posted it: {cells(act[i])}. Ledger rows are "
                "posted by ardesk only: delete this row and post the entry with a run instead.",
                sheet, rownum[i], "", None, "verify"))
    return problems


_ANCHOR = re.compile(r"chain ((?:\w+=\d+(?::[0-9a-f]+)? ?)+)$")


def last_anchor(audit) -> dict[str, tuple[int, str]] | None:
    """{ledger table: (count, head prefix)} named by the last Audit row that anchors the chains."""
    if audit is None or "Summary" not in audit.header:
        return None
    ix = audit.header.index("Summary")
    for r in reversed(audit.rows):
        m = _ANCHOR.search(r[ix]) if ix < len(r) and isinstance(r[ix], str) else None
        if m:
            by_sheet = {schema.TABLES[t].sheet: t for t in LEDGERS}
            out = {}
            for item in m.group(1).split():
                sheet, _, rest = item.partition("=")
                count, _, head = rest.partition(":")
                if sheet in by_sheet:
                    out[by_sheet[sheet]] = (int(count), head)
            return out
    return None


def check_anchors(audit, rows: dict[str, list[tuple[str, ...]]]) -> list[Problem]:
    """Without a run log: the ledgers against the chain heads the last anchored Audit row names.

    ``audit`` is the Audit table as read, ``rows`` the canonical rows of each ledger.  A difference
    can be told (and where the chain first breaks), not which value was there before.
    """
    if audit is None or "Summary" not in audit.header:
        return []
    ix = audit.header.index("Summary")
    anchored = [(audit.first_row + i, m.group(1)) for i, r in enumerate(audit.rows)
                if ix < len(r) and isinstance(r[ix], str) and (m := _ANCHOR.search(r[ix]))]
    if not anchored:
        return []
    at_row, text = anchored[-1]
    by_sheet = {schema.TABLES[t].sheet: t for t in LEDGERS}
    problems = []
    for item in text.split():
        sheet, _, rest = item.partition("=")
        count, _, head = rest.partition(":")
        t = by_sheet.get(sheet)
        if t is None or t not in rows:
            continue
        n, have = int(count), rows[t]
        if len(have) < n:
            problems.append(Problem(f"{sheet} holds {len(have)} posted rows where the Audit row {at_row} counted "
                                    f"{n}: posted rows were deleted (no run log beside the workbook to name them). "
                                    + CORRECTION, sheet, None, "", None, "verify"))
            continue
        if n and not extend(GENESIS, have[:n]).startswith(head):
            problems.append(Problem(f"the first {n} posted rows of {sheet} do not hash to the chain head the Audit "
                                    f"row {at_row} anchors ({head}): a posted row was edited, inserted or deleted "
                                    "(no run log beside the workbook to name it). " + CORRECTION,
                                    sheet, None, "", None, "verify"))
    return problems
