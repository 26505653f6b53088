"""The chain states a ribbon click stores in the workbook, so that the next click hashes only the new rows.

Where there is no run log beside the workbook (xlwings Lite, xlwings Server, a
workbook on OneDrive), a click that posts names the chain head of every ledger
in its Audit row, and without help it would canonicalise and hash every ledger
row to do so.  So the click also keeps, on the very hidden ChainState tab
(:data:`TABLE`), one row per ledger it read:

- ``Rows``: how many table rows the click read (up to the last non-blank one);
- ``Count`` / ``Head``: the chain state of those rows (:mod:`..core.ledger.chain`);
- ``Fingerprint``: a SHA-256 of the header and those rows *as the engine
  handed them over* (:func:`fingerprint`: one C-speed JSON dump of the values,
  no per-cell Python), only ever compared with the same engine's next read.

The next click (:func:`states`): when the fingerprint of a ledger's first
``Rows`` rows is unchanged, only the rows after them (the last click's own
posts, and any a command-line run added since) are canonicalised and chained
on from ``Count``/``Head``.  Those are the states hashing every row gives.  Any
difference in the stored rows (an edited, deleted or inserted row, a stale
save, a tab copied from another workbook, a workbook without the tab, another
engine's reading) returns None and the caller hashes every row as before.

The state after the click's own posts is not stored: the next click chains
those rows anyway, as it reads them back, so a stored "after" head could only
turn an equal result into a fallback, and computing it would hash every
appended row a second time in the storing click (the Audit anchor already
hashes them once).  A stored state is never proof: ``ardesk verify`` never
reads the tab and recomputes every chain from the rows, so a forged ChainState
row only makes a click anchor a head the rows do not reach, which verify
reports against that Audit row.
"""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import date
from typing import Any, Callable, Sequence

from .. import schema
from ..core.ledger import chain
from ..core.ledger.chain import LEDGERS, State
from .port import Table

TABLE = schema.CHAIN_STATE.name


@dataclass(frozen=True)
class Stored:
    """One ledger's row of the ChainState tab."""
    rows: int
    state: State
    fingerprint: str

    def as_row(self, ledger: str) -> tuple:
        return ledger, self.rows, self.state.count, self.state.head, self.fingerprint


def _tagged(v: Any) -> Any:
    """A value JSON has no type for, tagged so it never equals a text: dates and anything else by type."""
    if isinstance(v, date):
        return {"d": v.isoformat()}
    return {type(v).__name__: str(v)}


def fingerprint(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """SHA-256 of a table's header and rows as read: JSON keeps 1, 1.0, "1" and True apart, and dates are
    tagged, so equal fingerprints mean equal values (and so equal canonical rows and equal chain states).
    ``rows`` may be the engine's own values before the adapter turns them into a table's (the remote
    engine's payload: plain JSON, dumped without a Python call per cell), as long as a click compares
    them with the same engine's.  It is the SHA-256 of ``[header, rows]`` as compact JSON."""
    return _close(_digest(header, rows))


def _digest(header: Sequence[str], rows: Sequence[Sequence[Any]]):
    """The running SHA-256 of ``[header, rows`` (JSON without its last two brackets), to go on from."""
    h = hashlib.sha256(("[" + _json(list(header)) + ",[").encode())
    _feed(h, rows, first=True)
    return h


def _feed(h, rows: Sequence[Sequence[Any]], first: bool) -> None:
    body = _json(rows)[1:-1]            # a JSON list is its items joined by ","
    if body:
        h.update(("" if first else ",").encode() + body.encode("utf-8", "surrogatepass"))


def _close(h) -> str:
    done = h.copy()
    done.update(b"]]")
    return done.hexdigest()


def _json(v: Any) -> str:
    return json.dumps(v, default=_tagged, check_circular=False, separators=(",", ":"))


def read_extent(t: Table) -> int:
    """The table rows up to the last non-blank one: a blank row an empty table keeps is not counted, as the
    next append writes over it."""
    n = len(t.rows)
    while n and t.is_blank(t.rows[n - 1]):
        n -= 1
    return n


def _whole(v: Any) -> int | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v != int(v) or v < 0:
        return None
    return int(v)


def _head(v: Any) -> str | None:
    return v if isinstance(v, str) and len(v) == 64 and all(c in "0123456789abcdef" for c in v) else None


def stored(table: Table | None) -> dict[str, Stored]:
    """The ChainState rows that are whole and well formed, by ledger (a row that is not is simply no state)."""
    if table is None or tuple(table.header[:len(schema.CHAIN_STATE.header)]) != schema.CHAIN_STATE.header:
        return {}
    out = {}
    for row in table.rows:
        ledger, rows, count, head, fp = (tuple(row) + (None,) * 5)[:5]
        nums = [_whole(v) for v in (rows, count)]
        heads = [_head(v) for v in (head, fp)]
        if ledger in LEDGERS and None not in nums and None not in heads and nums[1] <= nums[0]:
            out[ledger] = Stored(nums[0], State(nums[1], heads[0]), heads[1])
    return out


def states(tables: dict[str, Table], canon: Callable[[Sequence[Any]], tuple[str, ...]],
           as_read: dict[str, Sequence] | None = None, digests: dict | None = None) -> dict[str, State] | None:
    """The chain state of every ledger of ``tables`` from the ChainState tab and the rows after the stored
    ones (``canon`` makes a canonical row); None unless every ledger chains as stored.  ``as_read``: the
    engine's values of a table's rows, where the adapter has them, to fingerprint (else its rows);
    ``digests``, when given, keeps each stored part's running fingerprint for :func:`record` to go on from."""
    as_read = as_read or {}
    kept = stored(tables.get(TABLE))
    out = {}
    for name in LEDGERS:
        t = tables.get(name)
        if t is None:
            continue
        s = kept.get(name)
        if s is None or len(t.rows) < s.rows:
            return None
        h = _digest(t.header, as_read.get(name, t.rows)[:s.rows])
        if digests is not None:
            digests[name] = (s.rows, h)
        if _close(h) != s.fingerprint:
            return None
        out[name] = chain.state([c for c in map(canon, t.rows[s.rows:]) if not chain.is_blank(c)], s.state)
    return out


def record(tables: dict[str, Table], before: dict[str, State], as_read: dict[str, Sequence] | None = None,
           digests: dict | None = None) -> list[tuple]:
    """The ChainState rows of a click: for each ledger of ``tables`` it read, its rows as read and their
    state ``before`` the click posts; the fingerprints go on from ``digests`` (:func:`states`) where they
    cover the first rows, so the stored part is not dumped twice."""
    as_read, digests = as_read or {}, digests or {}
    out = []
    for name in LEDGERS:
        t = tables.get(name)
        if t is None or name not in before:
            continue
        n, rows = read_extent(t), as_read.get(name, t.rows)
        done, h = digests.get(name, (0, None))
        if h is None or done > n:
            fp = fingerprint(t.header, rows[:n])
        else:
            h = h.copy()
            _feed(h, rows[done:n], first=not done)
            fp = _close(h)
        out.append(Stored(n, before[name], fp).as_row(name))
    return out


def seed() -> list[tuple]:
    """The ChainState rows of a workbook whose ledgers are all empty (the template's)."""
    empty = chain.state([])
    return [Stored(0, empty, fingerprint(schema.TABLES[name].header, [])).as_row(name) for name in LEDGERS]
