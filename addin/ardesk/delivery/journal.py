"""The delivery journal: what a send did outside the workbook, kept until the workbook holds it.

A message the server accepted cannot be taken back.  So each Documents row
(a document archived) and each Deliveries row of a delivery that happened
(sent, drafted, printed) is appended to ``deliveries.jsonl`` the moment it
happens, before the workbook is written: in the run log folder beside the
workbook (``NAME.ardesk/``, Settings *RunLogFolder*), or the documents folder
for a workbook that is not a file.  Each line is flushed as it is written (a
killed run keeps it) and the file is synced to disk before the workbook is
written.

When the workbook write then fails, the next ``ardesk send`` finds the rows
the journal has and the workbook lacks, appends them to Documents and
Deliveries, and counts those deliveries as done: nothing is sent twice.  Once
a send has written the workbook, every row of the journal is in it, and the
journal is emptied.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Sequence

from ..core.read import as_text
from ..io import runlog

TABLES = ("tblDocuments", "tblDeliveries")
# cells as the run log writes them (runlog.encode/decode), text as typed: a Message-ID must come back unchanged


def _key(table: str, row: Sequence) -> tuple:
    """What identifies a row: the document number on Documents; on Deliveries document, channel,
    address, Message-ID and status."""
    text = [as_text(v) for v in row]
    return (table, text[0]) if table == "tblDocuments" else (table, text[0], text[2], text[3].lower(), text[4], text[5])


class DeliveryJournal:
    def __init__(self, folder: Path):
        self.file = folder / "deliveries.jsonl"
        self._fh = None

    def rows(self) -> list[tuple[str, tuple]]:
        """(table, row) of every complete line, cells typed as they were written."""
        try:
            text = self.file.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        out = []
        for line in text.split("\n"):
            try:
                rec = json.loads(line)
            except ValueError:
                continue            # blank, or torn by a crash while it was written: that row never happened
            if rec.get("table") in TABLES:
                out.append((rec["table"], tuple(runlog.decode(v) for v in rec["row"])))
        return out

    def missing(self, on_tabs: dict[str, Sequence[Sequence]]) -> dict[str, list[tuple]]:
        """The journal's rows the workbook's Documents and Deliveries tabs lack, per table, in journal order."""
        have = {_key(t, r) for t, rows in on_tabs.items() for r in rows}
        out: dict[str, list[tuple]] = {}
        for table, row in self.rows():
            k = _key(table, row)
            if k not in have:
                have.add(k)
                out.setdefault(table, []).append(row)
        return out

    def record(self, table: str, row: Sequence) -> None:
        """Append one row, flushed to the operating system at once."""
        if self._fh is None:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.file, "a+b")
            if self._fh.seek(0, os.SEEK_END):
                self._fh.seek(-1, os.SEEK_END)
                if self._fh.read(1) != b"\n":
                    self._fh.write(b"\n")        # after a torn last line, start a clean one
        line = json.dumps({"table": table, "row": [v if isinstance(v, str) else runlog.encode(v) for v in row]},
                          ensure_ascii=False,
                          separators=(",", ":"))
        self._fh.write(line.encode("utf-8") + b"\n")
        self._fh.flush()

    def sync(self) -> None:
        """On disk before the workbook is written."""
        if self._fh is not None:
            os.fsync(self._fh.fileno())

    def clear(self) -> None:
        """Once the workbook is written with every row: start the next run with an empty journal."""
        self.close()
        self.file.unlink(missing_ok=True)

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
