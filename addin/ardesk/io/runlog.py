"""The run log beside a workbook: every posting run, kept outside the workbook.

``NAME.ardesk/runs.jsonl`` (the folder can be renamed on Settings, RunLogFolder)
holds one JSON line per run that posted anything, appended before the
workbook is replaced and never rewritten:

- ``baseline``: the ledgers as they stood when the log was started;
- ``run``: the rows a run appended to each ledger, the cells it stamped (with
  the row's content, so the stamp can be found again), the settings it set,
  and the chain state of every ledger before and after (:mod:`..core.ledger.chain`);
- ``recover``: a re-application of lost runs (it adds no rows of its own);
- ``commit`` / ``abandon``: written once the workbook was replaced (or, for a
  run killed before its save, found not to have landed); a commit written by
  the run itself carries the run's states after it, so the usual check reads
  only the log's last line, and, where the file adapter wrote the workbook,
  the digest of every part the ledgers' values are read from
  (:func:`.package.value_parts`): when the workbook still holds those very
  parts, it holds the ledgers the states name, and no row is hashed;
- ``lost``: when runs were first found missing, who had saved the workbook last
  and when (later saves would overwrite that evidence).

A run first checks that the workbook holds what the log says was posted
(:func:`check`).  Rows missing at the end of the ledgers are posts lost to a
stale save by someone else, and :func:`recovery` gives the changes that put
them back; any other difference is an edit of the books, named row by row.
Card numbers are masked in the log as in the workbook.
"""
from __future__ import annotations

import hashlib
import json
import os
import socket
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence
from xml.etree import ElementTree

from .. import schema
from ..bank.sanitize import mask_card_numbers, may_hold_card_number
from ..core.ledger import chain
from ..core.ledger.chain import LEDGERS, State
from ..core.model import Problem
from .port import Changes, Table, WorkbookError


def folder_for(workbook: Path, setting: Any = None) -> Path:
    name = str(setting).strip() if setting else ""
    if name:
        p = Path(name)
        return p if p.is_absolute() else workbook.parent / p
    return workbook.with_name(workbook.stem + ".ardesk")


# -- cells in the log ----------------------------------------------------------
def _mask(v: Any) -> Any:
    if isinstance(v, str) and len(v) >= 13:
        return mask_card_numbers(v)
    return v


def encode(v: Any, mask: bool = True) -> Any:
    """A cell value as JSON that decodes to an equal, equally typed value (card numbers masked, texts only
    if ``mask``); a blank cell is None, whether the reader gave None (xlwings) or '' (calamine)."""
    t = type(v)
    if t is Decimal:                    # the usual cells first: money, dates, whole numbers
        return {"n": chain.canonical(v)}
    if t is date:
        return {"d": v.isoformat()}
    if v is None or isinstance(v, (bool, int)):
        return v
    if v == "":
        return None
    if isinstance(v, str):
        return _mask(v) if mask else v
    if isinstance(v, (float, Decimal)):
        return {"n": chain.canonical(v)}
    if isinstance(v, datetime):
        return {"dt": v.isoformat()}
    if isinstance(v, date):
        return {"d": v.isoformat()}
    return _mask(str(v))


def encode_row(row: Sequence[Any], texts: Sequence[str] | None = None) -> list:
    """``[encode(v) for v in row]``, with one search for the row's texts that may hold a card number
    instead of one per text (as in :func:`canon`); ``texts``, when given, is ``canon(row)``, whose texts
    are already masked."""
    if texts is not None:
        return [(texts[i] if v else None) if type(v) is str else encode(v) for i, v in enumerate(row)]
    long = [v for v in row if type(v) is str and len(v) >= 13]
    mask = bool(long) and may_hold_card_number("\n".join(long))
    return [encode(v, mask) for v in row]


def decode(v: Any) -> Any:
    if isinstance(v, dict):
        if "n" in v:
            return Decimal(v["n"])
        if "dt" in v:
            return datetime.fromisoformat(v["dt"])
        if "d" in v:
            return date.fromisoformat(v["d"])
    return v


def canon(row: Sequence[Any]) -> tuple[str, ...]:
    """The row as the chain sees it: canonical text, card numbers masked.  A text cell's canonical text is
    the text itself, so when the row's canonical texts of 13 characters or more together hold no 13-digit
    run no cell needs masking (one search per row instead of one per cell)."""
    c = chain.canonical_row(row)
    if not _may_need_masking(c):
        return c
    return tuple(_mask(v) if isinstance(row[i], str) else v for i, v in enumerate(c))


def _may_need_masking(c: tuple[str, ...]) -> bool:
    long = [v for v in c if len(v) >= 13]
    return bool(long) and may_hold_card_number("\n".join(long))


def ledger_rows(tables: dict[str, Table], as_text: Callable[[Sequence[Any]], tuple[str, ...]] = canon
                ) -> dict[str, list[tuple[int, tuple[str, ...], tuple]]]:
    """(worksheet row, canonical row, raw row) of each non-blank ledger row; ``as_text`` makes the canonical
    row (:func:`canon`; :func:`.chain.canonical_row` leaves card numbers as they are)."""
    out = {}
    for name in LEDGERS:
        t = tables.get(name)
        if t is None:
            continue
        rows = []
        for i, raw in enumerate(t.rows):
            c = as_text(raw)
            if not chain.is_blank(c):
                rows.append((t.first_row + i, c, raw))
        out[name] = rows
    return out


def masked(rows: dict[str, list]) -> dict[str, list]:
    """``ledger_rows(tables)`` from ``ledger_rows(tables, chain.canonical_row)``: only the rows that may hold a
    card number are made again."""
    return {t: [(n, canon(raw) if _may_need_masking(c) else c, raw) for n, c, raw in rs] for t, rs in rows.items()}


def states_of(rows: dict[str, list]) -> dict[str, State]:
    return {t: chain.state([r[1] for r in rs]) for t, rs in rows.items()}


def ledger_states(tables: dict[str, Table], as_read: dict[str, Sequence] | None = None,
                  digests: dict | None = None) -> dict[str, State]:
    """The chain state of every ledger of ``tables`` where there is no run log to compare with (the Excel
    adapters).  The rows a run writes are masked first, so when, chained without masking, the ledgers are
    exactly what the last Audit row (the run that anchored them) names, those are their states and no cell
    needs masking; otherwise the rows that may hold a card number are masked and chained again.

    Quicker still, when ``tables`` holds the ChainState tab a click from Lite or Server keeps: where every
    ledger's stored rows are unchanged, only the rows after them are hashed (:func:`.quickstate.states`;
    ``as_read``, the engine's values of the tables' rows, is what it fingerprints where the adapter has it;
    ``digests`` keeps the fingerprints to go on from when the click stores the tab again)."""
    from . import quickstate
    quick = quickstate.states(tables, canon, as_read, digests) if quickstate.TABLE in tables else None
    if quick is not None:
        return quick
    plain = ledger_rows(tables, chain.canonical_row)
    anchored = chain.last_anchor(tables.get("tblAudit"))
    if anchored:
        out = {}
        for t, rows in plain.items():
            texts = [c for _n, c, _r in rows]
            s = chain.state(texts[:-1] if t == "tblAudit" else texts)      # the anchoring row counts those before
            count, head = anchored.get(t, (None, ""))
            if count != s.count or not s.head.startswith(head) or (t == "tblAudit" and not texts):
                break
            out[t] = chain.state(texts[-1:], s) if t == "tblAudit" else s
        else:
            return out
    return states_of(masked(plain))


# -- the log file -------------------------------------------------------------
class RunLog:
    def __init__(self, folder: Path):
        self.folder = folder
        self.file = folder / "runs.jsonl"

    def lines(self) -> list[str]:
        try:
            text = self.file.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return [ln for ln in text.split("\n") if ln.strip()]

    def records(self) -> list[dict]:
        out = []
        for ln in self.lines():
            try:
                out.append(json.loads(ln))
            except ValueError:
                continue        # a line torn by a crash while it was appended: never completed, never counted
        return out

    def records_from_last(self) -> Iterator[dict]:
        """The records from the last one back, each parsed only when reached: the usual check stops at the
        last run's commit line and never parses the baseline, the log's first and by far largest line."""
        try:
            data = self.file.read_bytes()
        except FileNotFoundError:
            return
        end = len(data)
        while end > 0:
            start = data.rfind(b"\n", 0, end) + 1
            line, end = data[start:end], start - 1
            if line.strip():
                try:
                    yield json.loads(line)
                except ValueError:
                    continue        # a torn line, as in records()

    def append(self, record: dict) -> None:
        self.append_bytes(p.encode("utf-8") for p in dump_pieces(record, ensure_ascii=False, separators=(",", ":")))

    def append_bytes(self, pieces: Iterable[bytes]) -> None:
        """Append one line made of ``pieces`` (UTF-8 JSON without its newline), flushed to disk."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.file, "a+b") as fh:
            fh.seek(0, os.SEEK_END)
            if fh.tell():
                fh.seek(-1, os.SEEK_END)
                if fh.read(1) != b"\n":
                    fh.write(b"\n")          # after a torn line, start a clean one
            for piece in pieces:
                fh.write(piece)
            fh.write(b"\n")
            fh.flush()
            os.fsync(fh.fileno())


@dataclass
class History:
    """What the log says the ledgers hold: rows (typed, as posted) and states."""
    rows: dict[str, list[tuple]] = field(default_factory=dict)
    canon: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)
    runs: list[tuple[dict, dict[str, tuple[int, int]]]] = field(default_factory=list)
    resolved: list[dict] = field(default_factory=list)     # commit/abandon lines still to be written

    def states(self) -> dict[str, State]:
        return {t: chain.state(rs) for t, rs in self.canon.items()}


def fold(records: list[dict], actual: dict[str, State]) -> History | None:
    """The ledgers as the log has them; a run without its commit line counts when the workbook holds it."""
    if not records:
        return None
    done = {r["run"]: r["kind"] for r in records if r.get("kind") in ("commit", "abandon")}
    h = History()
    for rec in records:
        kind = rec.get("kind")
        if kind not in ("baseline", "run"):
            continue
        status = done.get(rec["id"])
        if status is None:
            after = {t: State.from_json(v) for t, v in rec.get("after", {}).items()}
            landed = all(actual.get(t) == s for t, s in after.items())
            status = "commit" if landed else "abandon"
            h.resolved.append({"kind": status, "run": rec["id"]})
        if status != "commit":
            continue
        if kind == "baseline":
            h.rows, h.canon = {}, {}
        span = {}
        for t, rows in rec.get("appends", {}).items():
            typed = [tuple(decode(v) for v in r) for r in rows]
            start = len(h.rows.setdefault(t, []))
            h.rows[t].extend(typed)
            h.canon.setdefault(t, []).extend(chain.canonical_row(r) for r in typed)
            span[t] = (start, start + len(typed))
        h.runs.append((rec, span))
    for t in LEDGERS:
        h.rows.setdefault(t, [])
        h.canon.setdefault(t, [])
    return h


def _as_committed(after: dict, actual: dict[str, State]) -> bool:
    after = {t: State.from_json(v) for t, v in after.items()}
    return bool(after) and all(actual.get(t) == s for t, s in after.items()) and set(after) >= set(actual)


def _last_commit(log: "RunLog") -> dict | None:
    """The log's last line when it is a commit line (a ``lost`` note after it aside), else None: the one
    :func:`write_logged` writes right after its record carries the states after the run."""
    for rec in log.records_from_last():
        if rec.get("kind") == "lost":
            continue
        return rec if rec.get("kind") == "commit" else None
    return None


def unchanged(log: RunLog, parts: dict[str, str] | None, read: Callable[[], dict[str, Table]]) -> Check | None:
    """The check of a workbook that holds, byte for byte, the ledger parts the last commit line names
    (``parts``: their digests now, :func:`.package.value_parts`): its ledgers are the ones that run wrote,
    with the states the line gives, and none of their rows is read or hashed (``read`` gives the ledger
    tables should the rows be wanted after all).  None when it is not so: the full :func:`check` then."""
    last = _last_commit(log) if parts else None
    if last is None or last.get("parts") != parts or "after" not in last:
        return None
    states = {t: State.from_json(v) for t, v in last["after"].items()}
    return Check([], History(), [], None, states=states, parts=parts, read=lambda: ledger_rows(read()))


def _as_last_committed(records: list[dict], actual: dict[str, State]) -> bool:
    """True when the ledgers are exactly as the last committed run left them, and no run is pending."""
    committed = {r["run"] for r in records if r.get("kind") == "commit"}
    abandoned = {r["run"] for r in records if r.get("kind") == "abandon"}
    for rec in reversed(records):
        if rec.get("kind") not in ("baseline", "run", "recover") or rec["id"] in abandoned:
            continue
        if rec["id"] not in committed:
            return False
        return _as_committed(rec.get("after", {}), actual)
    return False


def last_saved_by(path: Path) -> str:
    """Who saved the workbook last and when, from its document properties and the file's time."""
    who, when = "", ""
    try:
        with zipfile.ZipFile(path) as z:
            root = ElementTree.fromstring(z.read("docProps/core.xml"))
        for el in root.iter():
            tag = el.tag.rsplit("}", 1)[-1]
            if tag == "lastModifiedBy":
                who = (el.text or "").strip()
            elif tag == "modified":
                when = (el.text or "").strip()
    except (OSError, KeyError, zipfile.BadZipFile, ElementTree.ParseError):
        pass
    try:
        mtime = datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M:%S")
    except OSError:
        mtime = "?"
    return f"last saved by {who or 'an unknown user'}" + (f" at {when}" if when else "") + f" (file time {mtime})"


@dataclass
class Check:
    problems: list[Problem]
    history: History | None
    lost: list[dict]                          # run records whose rows are missing at the end of the ledgers
    rows: dict[str, list] | None              # ledger_rows of the workbook; None: made by ``read`` when first asked
    adopt: dict[str, list] = field(default_factory=dict)   # rows posted from Excel's ribbon, for the log
    states: dict[str, State] | None = None                 # states_of(actual), hashed once
    parts: dict[str, str] | None = None       # the digests of the workbook's ledger parts, where the port has them
    read: Callable[[], dict[str, list]] | None = None

    @property
    def actual(self) -> dict[str, list]:
        """(worksheet row, canonical row, raw row) of every ledger row (:func:`ledger_rows`)."""
        if self.rows is None:
            self.rows = self.read()
        return self.rows

    def ledger_states(self) -> dict[str, State]:
        """The chain state of every ledger as the check read it (hashed on first use)."""
        if self.states is None:
            self.states = states_of(self.actual)
        return self.states


# Ledger tabs a workbook made before archiving existed lacks.
OPTIONAL_LEDGERS = ("tblArchive", "tblArchiveTotals")


def read_ledgers(read_tables: Callable[[list[str]], dict[str, Table]]) -> dict[str, Table]:
    """Every ledger table through a port's ``read_tables``; the archive's two tabs only where the workbook
    has them (older ones lack them)."""
    tables = read_tables([t for t in LEDGERS if t not in OPTIONAL_LEDGERS])
    for t in OPTIONAL_LEDGERS:
        try:
            tables.update(read_tables([t]))
        except WorkbookError:
            pass
    return tables


def check(log: RunLog, tables: dict[str, Table], workbook: Path) -> Check:
    """Compare the workbook's ledgers with the log: lost runs, and every edited, inserted or deleted row."""
    # The usual case: the ledgers are as the last run left them.  Rows were masked before they were written,
    # so they chain, unmasked, to the states the log's last line names (equal heads, equal texts); masking
    # every cell of every row is only needed when they do not.
    commit = _last_commit(log)
    last = commit.get("after") if commit else None
    if last is None:
        actual = ledger_rows(tables)
        states = states_of(actual)
    else:
        actual = ledger_rows(tables, chain.canonical_row)
        states = states_of(actual)
        if not _as_committed(last, states):
            again = masked(actual)           # rows written by another program may hold what masking changes
            if again != actual:
                actual, states = again, states_of(again)
        if _as_committed(last, states):
            return Check([], History(), [], actual, states=states)
    records = log.records()
    if records and _as_last_committed(records, states):
        return Check([], History(), [], actual, states=states)   # the usual case: nothing to fold
    history = fold(records, states)
    if history is None:
        return Check(chain.check_anchors(tables.get("tblAudit"), {t: [c for _n, c, _r in rows] for t, rows in
                                                                   actual.items()}), None, [], actual, states=states)
    problems: list[Problem] = []
    lost_ids: dict[str, dict] = {}
    missing_rows: dict[str, int] = {}
    extended = ribbon_posts(tables.get("tblAudit"), history, actual)
    for t in LEDGERS:
        if t not in actual or t in extended:
            continue
        exp = history.canon[t]
        act = [r[1] for r in actual[t]]
        if act == exp:
            continue
        header = tables[t].header
        if len(act) < len(exp) and exp[:len(act)] == act:
            missing_rows[t] = len(exp) - len(act)
            for rec, span in history.runs:
                if t in span and span[t][1] > len(act):
                    lost_ids[rec["id"]] = rec
            continue
        problems += chain.compare(t, header, exp, [(n, c) for n, c, _raw in actual[t]])
    lost = [rec for rec, _s in history.runs if rec["id"] in lost_ids]
    if lost:
        seen = [r for r in records if r.get("kind") == "lost" and r.get("runs", [None])[0] == lost[0]["id"]]
        saved_by = seen[0]["saved_by"] if seen else last_saved_by(workbook)
        if not seen:
            log.append({"kind": "lost", "runs": [r["id"] for r in lost], "saved_by": saved_by,
                        "at": datetime.now().replace(microsecond=0).isoformat()})
        runs = "; ".join(f"{r.get('command', '?')} by {r.get('user') or '?'} at {r.get('at', '?')}" for r in lost)
        rows = ", ".join(f"{schema.TABLES[t].sheet} {n}" for t, n in missing_rows.items())
        problems.insert(0, Problem(
            f"posts lost: {rows} posted row(s) are missing at the end of the ledgers, from {len(lost)} run(s) "
            f"({runs}). The workbook was {saved_by}, from a copy opened before those runs. "
            f"Nothing was posted now; run `ardesk recover {workbook.name}` (or the Recover button) to put them back.",
            "", None, "", None, "check"))
    return Check(problems, history, lost, actual, extended, states=states)


def ribbon_posts(audit: Table | None, history: History, actual: dict[str, list]) -> dict[str, list]:
    """Rows appended after the log's last run by runs from Excel's ribbon (which keep no log of their own):
    every ledger holds the logged rows and then more, and the last Audit row anchors exactly what is there.
    Returns the raw extra rows per ledger ({} when it is not so: such rows are then reported as inserted)."""
    extra = {}
    for t, rows in actual.items():
        exp, act = history.canon[t], [c for _n, c, _r in rows]
        if len(act) < len(exp) or act[:len(exp)] != exp:
            return {}
        if len(act) > len(exp):
            extra[t] = [raw for _n, _c, raw in rows[len(exp):]]
    if not extra or "tblAudit" not in extra:
        return {}
    ok = not chain.check_anchors(audit, {t: [c for _n, c, _r in rows] for t, rows in actual.items()})
    anchored = chain.last_anchor(audit)
    counts = {t: len(rows) for t, rows in actual.items()}
    counts["tblAudit"] -= 1                  # the anchoring row counts the Audit rows before it
    if not ok or anchored is None or any(anchored.get(t, (None,))[0] != n for t, n in counts.items() if n):
        return {}
    return extra


def adopt_record(chk: Check, at: datetime) -> dict:
    """The log's record of the ribbon's runs found in the workbook, so the log stays complete."""
    before = chk.history.states() if chk.history and chk.history.canon else {}
    appends = {t: [encode_row(raw) for raw in rows] for t, rows in chk.adopt.items()}
    rec = {"kind": "run", "at": at.isoformat(), "user": "", "host": "", "command": "runs from the Excel ribbon",
           "before": {t: s.to_json() for t, s in before.items()},
           "after": {t: s.to_json() for t, s in states_of(chk.actual).items()}, "appends": appends,
           "updates": [], "names": {}, "reapplies": []}
    rec["id"] = _id(rec)
    return rec


# -- records ---------------------------------------------------------------------
def _id(record: dict) -> str:
    digest = hashlib.sha256()
    for piece in dump_pieces(record, sort_keys=True, default=str):
        digest.update(piece.encode())
    return digest.hexdigest()[:24]


DUMP_ROWS = 4096        # appended rows dumped to JSON at a time


def dump_pieces(record: dict, **options: Any) -> Iterator[str]:
    """``json.dumps(record, **options)`` in pieces: a run's appended rows (``appends``, table -> rows) are
    dumped DUMP_ROWS at a time, so the text of a big run is never held whole."""
    comma, colon = options.get("separators") or (", ", ": ")
    keys = sorted(record) if options.get("sort_keys") else list(record)
    yield "{"
    for k, key in enumerate(keys):
        value = record[key]
        yield (comma if k else "") + json.dumps(key) + colon
        if key != "appends" or not isinstance(value, dict):
            yield json.dumps(value, **options)
            continue
        yield "{"
        for i, t in enumerate(sorted(value) if options.get("sort_keys") else value):
            rows = value[t]
            yield (comma if i else "") + json.dumps(t, **options) + colon + "["
            for j in range(0, len(rows), DUMP_ROWS):
                yield (comma if j else "") + json.dumps(rows[j:j + DUMP_ROWS], **options)[1:-1]
            yield "]"
        yield "}"
    yield "}"


def append_baseline(log: RunLog, actual: dict[str, list], at: datetime, states: dict[str, State] | None = None,
                    extra: dict | None = None) -> dict:
    """Append the baseline record of the ledgers ``actual`` (:func:`ledger_rows`; ``states`` their
    :func:`states_of` when known), with ``extra`` keys; returns the record without its rows.

    The record is every ledger row, the log's largest line by far: it is written row by row, so no copy of
    the ledgers is built as one object or one text, and its id is a hash of the line as written."""
    after = {t: s.to_json() for t, s in (states if states is not None else states_of(actual)).items()}
    head = {"kind": "baseline", "at": at.isoformat(), **(extra or {}), "after": after}
    digest = hashlib.sha256()

    def pieces():
        yield json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1] + ',"appends":{'
        for k, (t, rows) in enumerate(actual.items()):
            yield ("," if k else "") + json.dumps(t) + ":["
            for i, (_n, _c, raw) in enumerate(rows):
                yield ("," if i else "") + json.dumps(encode_row(raw), ensure_ascii=False, separators=(",", ":"))
            yield "]"
        yield "}"

    def hashed():
        for piece in pieces():
            data = piece.encode("utf-8")
            digest.update(data)
            yield data
        yield f',"id":"{digest.hexdigest()[:24]}"}}'.encode()
    log.append_bytes(hashed())
    return {**head, "id": digest.hexdigest()[:24]}


def run_record(kind: str, command: str, user: str, at: datetime, before: dict[str, State], changes: Changes,
               tables: dict[str, Table], reapplies: Sequence[str] = ()) -> dict:
    """The log's record of a run that writes ``changes`` on ledgers in the states ``before``.  Where the
    run's Audit row was anchored from the same states (:func:`anchor`), the rows are not made canonical,
    masked or hashed again: only the anchoring row itself is."""
    anchored = changes.anchored
    if anchored is not None and not anchored.covers(before, changes):
        anchored = None
    appends, after = {}, {}
    for t, rows in changes.appends.items():
        if t in LEDGERS:
            texts = anchored.rows.get(t, ()) if anchored is not None else ()
            appends[t] = [encode_row(r, texts[i] if i < len(texts) else None) for i, r in enumerate(rows)]
    for t, s in before.items():
        rows = appends.get(t, ())
        if anchored is not None:        # the rows anchored, then the Audit row that names them
            s, rows = anchored.after[t], rows[len(anchored.rows[t]):]
        after[t] = chain.state([chain.canonical_row([decode(v) for v in r]) for r in rows], s).to_json()
    if kind == "recover":
        appends = {}            # the rows are the lost runs' own, already in the log
    updates = []
    for t, cells in changes.updates.items():
        tab = tables.get(t)
        for rownum, column, value in cells:
            row = tab.rows[rownum - tab.first_row] if tab and 0 <= rownum - tab.first_row < len(tab.rows) else ()
            updates.append([t, rownum, column, encode(value), [encode(v) for v in row]])
    rec = {"kind": kind, "at": at.isoformat(), "user": user, "host": socket.gethostname(), "command": command,
           "before": {t: s.to_json() for t, s in before.items()}, "after": after, "appends": appends,
           "updates": updates, "names": {k: encode(v) for k, v in changes.names.items()},
           "reapplies": list(reapplies)}
    rec["id"] = _id(rec)
    return rec


Saved = tuple[dict[str, str], dict[str, dict]]     # a save's parts and segments for its commit line


def write_logged(log: RunLog, chk: Check, changes: Changes, stamped: dict[str, Table], user: str, command: str,
                 save: Callable[[], Saved | None], kind: str = "run", reapplies: Sequence[str] = ()) -> None:
    """Write a posting run through ``save``, logged: the log's baseline (first run) or the lines the check
    resolved and the ribbon runs it adopted, then the run's own record, all before ``save``; ``commit``
    after it, with the digests of the ledger parts and the segments ``save`` returns (None where it cannot
    tell, :func:`commit_line`).  ``chk`` is the check the run started with; ``stamped`` the tables the run
    stamps cells in."""
    before = chk.ledger_states()
    now = datetime.now().replace(microsecond=0)
    if chk.history is None:
        start(log, chk.actual, now, before, chk.parts)
    else:
        for line in chk.history.resolved:
            log.append(line)
        if chk.adopt:
            adopted = adopt_record(chk, now)
            log.append(adopted)
            log.append(commit_line(adopted))
    rec = run_record(kind, command, user, now, before, changes, stamped, reapplies)
    log.append(rec)
    rec = {"id": rec["id"], "after": rec["after"]}      # the rows, logged, need not stay in memory for the save
    parts, segments = save() or (None, None)
    log.append(commit_line(rec, parts, segments))


def commit_line(rec: dict, parts: dict[str, str] | None = None, segments: dict[str, dict] | None = None) -> dict:
    """The line that marks ``rec`` committed, with its states after the run, so that the next check can
    tell from this line alone that the workbook is as the log left it; with ``parts``, the digests of
    the ledger parts of the workbook that holds them, so that it can tell without reading a row; and with
    ``segments``, how those of its worksheet parts written in segments were cut (:mod:`.package.segments`,
    as JSON), so that the next save can append rows to them without inflating them."""
    line = {"kind": "commit", "run": rec["id"], "after": rec["after"]}
    if parts:
        line["parts"] = parts
        if segments:
            line["segments"] = {part: seg for part, seg in segments.items() if part in parts}
    return line


def committed_segments(log: RunLog, parts: dict[str, str] | None) -> dict[str, dict]:
    """The segments the log's last commit line gives for the worksheet parts whose digest in ``parts``
    (the workbook's now) is still the one that line names: the very entries that save wrote."""
    last = _last_commit(log) if parts else None
    if last is None:
        return {}
    named = last.get("parts") or {}
    return {part: seg for part, seg in (last.get("segments") or {}).items()
            if part in named and parts.get(part) == named[part]}


def start(log: RunLog, actual: dict[str, list], at: datetime, states: dict[str, State] | None = None,
          parts: dict[str, str] | None = None) -> None:
    """Start the log with a baseline of the ledgers ``actual`` (:func:`ledger_rows`), committed (``parts``:
    the digests of the ledger parts of the workbook they were read from, :func:`commit_line`)."""
    log.append(commit_line(append_baseline(log, actual, at, states), parts))


@dataclass
class Anchored:
    """What :func:`anchor` hashed: the ledgers' states ``before`` a run and ``after`` its appends but the
    Audit row that names them, and the canonical rows (masked) of those appends."""
    before: dict[str, State]
    after: dict[str, State]
    rows: dict[str, list[tuple[str, ...]]]

    def covers(self, before: dict[str, State], changes: Changes) -> bool:
        """True when anchored from ``before`` and no row was appended to ``changes`` since."""
        return self.before == before and all(
            len(self.rows.get(t, ())) == len(changes.appends.get(t, ())) - (t == "tblAudit") for t in before)


def anchor(before: dict[str, State], changes: Changes, masked: bool = False) -> str:
    """The chain heads of every ledger once ``changes`` are written, for the run's Audit row (its last
    append); what was hashed is kept on ``changes`` (``anchored``) for the run's record (:func:`run_record`).
    ``masked``: the rows are already masked (:func:`~ardesk.bank.sanitize.mask_changes`); masking leaves
    masked text as it is, so their canonical texts are taken as they are, not searched again."""
    rows, after = {}, {}
    for t, s in before.items():
        added = list(changes.appends.get(t, ()))
        if t == "tblAudit":
            added = added[:-1]
        rows[t] = chain.canonical_rows(added) if masked else [canon(r) for r in added]
        after[t] = chain.state(rows[t], s)
    changes.anchored = Anchored(before, after, rows)
    return chain.anchor_text(after)


def recovery(chk: Check, tables: dict[str, Table]) -> Changes:
    """The changes that put lost runs back: their ledger rows, stamps and settings; idempotent."""
    ch = Changes()
    h = chk.history
    if h is None or not chk.lost:
        return ch
    for t in LEDGERS:
        have = len(chk.actual.get(t, ()))
        if have < len(h.rows[t]) and [r[1] for r in chk.actual.get(t, ())] == h.canon[t][:have]:
            ch.append(t, [tuple(r) for r in h.rows[t][have:]])
    for rec in chk.lost:
        for t, rownum, column, value, row in rec.get("updates", ()):
            tab = tables.get(t)
            if tab is None or column not in tab.header:
                continue
            j, width = tab.header.index(column), len(tab.header)

            def others(r: Sequence[Any]) -> tuple[str, ...]:
                c = (canon(r) + ("",) * width)[:width]
                return c[:j] + c[j + 1:]
            want = others([decode(v) for v in row])
            for i, raw in enumerate(tab.rows):
                if raw[j] in (None, "") and others(raw) == want:
                    ch.update(t, tab.first_row + i, column, decode(value))
                    break
        for k, v in rec.get("names", {}).items():
            ch.names[k] = decode(v)
    return ch
