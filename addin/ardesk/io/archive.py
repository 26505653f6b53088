"""The archive workbook beside a workbook: writing archived rows to it, and reading it back.

The archive is a workbook of the same layout (made by ``ardesk init``'s
template), named on Settings (*Archive workbook*, blank: ``NAME-archive.xlsx``).
Archiving (:mod:`ardesk.core.ledger.archive` decides what moves) appends the
moved rows to its ledgers first, then rewrites the live workbook's five
ledgers without them, with the brought-forward entry, the Archive and
ArchiveTotals rows and an Audit row, and starts the run log afresh from the
ledgers as they then stand (a ``baseline`` record that also names the archive,
the chain states before, and where the moved rows stood).

Reading for a date before the archive's cutoff joins the two workbooks, after
checking that each archive table still holds the rows and hash the Archive tab
recorded.
"""
from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any

from .. import schema
from ..core.ledger import archive as arc
from ..core.ledger import chain
from . import runlog
from .port import Changes, Table, WorkbookError


def archive_path(workbook: Path, setting: Any) -> Path:
    name = str(setting or "").strip()
    if not name:
        return workbook.with_name(f"{workbook.stem}-archive.xlsx")
    p = Path(name)
    return p if p.is_absolute() else workbook.parent / p


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def recorded(archive_tab: Table | None) -> dict[str, tuple[int, str]]:
    """Per ledger, (rows, chain head) the archive held after the last archive, as the Archive tab says."""
    out: dict[str, tuple[int, str]] = {}
    if archive_tab is None:
        return out
    by_sheet = {schema.TABLES[t].sheet: t for t in arc.MOVED}
    ix = {h: i for i, h in enumerate(archive_tab.header)}
    for r in archive_tab.rows:
        if archive_tab.is_blank(r):
            continue
        t = by_sheet.get(str(r[ix["Table"]]))
        if t is not None:
            out[t] = (int(r[ix["RowsInArchive"]]), str(r[ix["ArchiveHash"]]))
    return out


def _canon_rows(t: Table) -> list[tuple[str, ...]]:
    """The table's non-blank rows as the hash chains see them."""
    return [c for c in (runlog.canon(r) for r in t.rows) if not chain.is_blank(c)]


def check_archive(path: Path, tables: dict[str, Table], archive_tab: Table | None) -> list[str]:
    """What in the archive differs from what the live workbook recorded of it (empty: as recorded)."""
    out = []
    for t, (n, head) in recorded(archive_tab).items():
        have = _canon_rows(tables[t])
        sheet = schema.TABLES[t].sheet
        if len(have) != n:
            out.append(f"{path.name}: {sheet} holds {len(have)} rows where the Archive tab of the workbook "
                       f"records {n}")
        elif chain.extend(chain.GENESIS, have) != head:
            out.append(f"{path.name}: the rows of {sheet} do not hash to {head[:12]}..., the hash the Archive "
                       "tab records: an archived row was edited, inserted or deleted")
    return out


def read_archive(path: Path, archive_tab: Table | None) -> dict[str, Table]:
    """The archive's five ledgers, checked against the Archive tab (WorkbookError naming any difference)."""
    from .fileadapter import FileWorkbook
    if not path.exists():
        raise WorkbookError(f"the archive {path.name} is missing: it holds the books before "
                            f"{_last_before(archive_tab)}; put it back beside the workbook (or name it on "
                            "Settings, Archive workbook)")
    tables = FileWorkbook(path).read_tables(list(arc.MOVED))
    bad = check_archive(path, tables, archive_tab)
    if bad:
        raise WorkbookError("; ".join(bad) + ". Nothing was read from it: restore the archive from its backup")
    return tables


def _last_before(archive_tab: Table | None) -> str:
    if archive_tab is None:
        return "?"
    ix = archive_tab.header.index("Before")
    days = [r[ix] for r in archive_tab.rows if not archive_tab.is_blank(r)]
    return str(max(days))[:10] if days else "?"


def joined(live: dict[str, Table], archived: dict[str, Table]) -> dict[str, Table]:
    """The books as if never archived: archived rows, then live ones; brought-forward entries left out."""
    out = dict(live)
    for t in arc.MOVED:
        a, b = archived[t], live[t]
        rows = [r for r in a.rows if not a.is_blank(r)] + [r for r in b.rows if not b.is_blank(r)]
        if t == "tblJournal":
            rows = arc.without_brought_forward(rows, b.header)
        out[t] = Table(t, b.sheet, b.header, rows, b.first_row, b.first_col)
    for t in ("tblArchive", "tblArchiveTotals"):
        out.pop(t, None)
    return out


def write_archive(path: Path, plan: arc.ArchivePlan, archive_tab: Table | None, now: datetime, source: str
                  ) -> tuple[dict[str, chain.State], str]:
    """Append the moved rows to the archive workbook (made if missing); its states and file hash after.

    Safe to repeat after a failure between the two saves: rows an earlier attempt already appended
    (the archive's tail equals the rows to move) are not appended again."""
    from .fileadapter import FileWorkbook, save_atomic, file_stamp
    from .package import Package, write_package
    from .template import create_workbook
    if not path.exists():
        create_workbook(path)
    book = FileWorkbook(path)
    tables = book.read_tables(list(arc.MOVED))
    rec = recorded(archive_tab)
    changes = Changes()
    states = {}
    repeated = False
    for t in arc.MOVED:
        have = _canon_rows(tables[t])
        n, head = rec.get(t, (0, chain.GENESIS))
        if len(have) < n or chain.extend(chain.GENESIS, have[:n]) != head:
            raise WorkbookError(f"{path.name}: {schema.TABLES[t].sheet} does not hold the {n} rows the workbook's "
                                "Archive tab records; nothing was archived. Restore the archive from its backup")
        moving = [runlog.canon(r) for r in plan.moved[t]]
        extra = have[n:]
        if extra and extra != moving[:len(extra)]:
            raise WorkbookError(f"{path.name}: {schema.TABLES[t].sheet} holds {len(extra)} rows the workbook's "
                                "Archive tab does not record; nothing was archived")
        if plan.moved[t][len(extra):]:
            changes.append(t, plan.moved[t][len(extra):])
        states[t] = chain.state(moving[len(extra):], chain.State(len(have), chain.extend(chain.GENESIS, have)))
        repeated = repeated or bool(extra)
    # the typed receipts move with their payments, in the same save: an earlier attempt that appended
    # the payments (one save for every tab) appended them too
    if plan.moved.get(arc.RECEIPTS) and not repeated:
        changes.append(arc.RECEIPTS, plan.moved[arc.RECEIPTS])
    if not changes.is_empty():
        counts = ", ".join(f"{k} {v}" for k, v in plan.counts().items())
        changes.append("tblAudit", [(now, book.user, "archive", f"archived from {source} before {plan.before}: "
                                                              f"{counts}")])
        with book.locked():
            with Package(path) as pkg:
                write_package(pkg, changes, book._names)
                save_atomic(pkg, path, backup=True, original_stamp=file_stamp(path))
    return states, file_sha256(path)


def live_states(tables: dict[str, Table], changes: Changes) -> dict[str, list[tuple[int, tuple, tuple]]]:
    """The ledgers as they will stand once ``changes`` (replaced ledgers, appends) are written."""
    out = {}
    for t in chain.LEDGERS:
        if t not in tables and t not in changes.appends:
            continue
        if t in changes.replace:
            rows = list(changes.replace[t][1])
        else:
            tab = tables.get(t)
            rows = [r for r in tab.rows if not tab.is_blank(r)] if tab is not None else []
            rows += list(changes.appends.get(t, ()))
        out[t] = [(0, runlog.canon(r), tuple(r)) for r in rows if not chain.is_blank(runlog.canon(r))]
    return out
