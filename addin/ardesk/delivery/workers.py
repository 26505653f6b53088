"""Issuing a send's invoices and credit notes in worker processes, while the sending process mails.

Rendering is most of what a document costs (Typst, about 15 ms of CPU), and
one SMTP connection keeps up with far more than one renderer.  So the
invoices and credit notes of a large run are issued (data, e-invoice XML
checked, PDF/A-3b) and archived (``NUMBER.pdf`` / ``.xml`` written and synced
to disk, :mod:`.archive`) by worker processes, and come back in document
order to the sending process, which mails them over its one connection and
logs each delivery as today.  A document comes back only once it is archived,
as without workers.

The workers are started with ``spawn`` (a fresh interpreter on every
platform): they hold no copy of the workbook, only the document settings
(without the SMTP password) and one compiler each.  No more than
:data:`AHEAD` documents per worker are issued ahead of the one being mailed,
so memory does not grow with the number of documents.  A worker that dies
stops the issuing (:class:`WorkersStopped`); what was issued before it is
delivered and logged, and the next send issues the rest (a document archived
but not yet logged is found in the archive with the same bytes).
"""
from __future__ import annotations

import os
from collections import deque
from concurrent.futures import BrokenExecutor, Future, ProcessPoolExecutor
from dataclasses import replace
from multiprocessing import get_context
from multiprocessing.util import Finalize
from pathlib import Path
from typing import Iterable, Iterator, TypeVar

from ..core.model import Customer, Invoice, Problem
from ..documents.issue import Issued, Issuer, problem
from ..documents.render import Renderer
from ..documents.settings import DocumentSettings, Smtp
from . import archive

AHEAD = 4                  # documents issued ahead of the one being mailed, per worker
AUTO_FROM = 100            # with no number of workers asked for, a run of fewer documents issues in process
MAX_AUTO = 4
# the workers run at a lower priority: every message waits on the SMTP conversation, in which the
# sending process (and a server on the same machine) must get the CPU the moment a reply comes,
# while the renderers can take whatever is left
NICE = 10

K = TypeVar("K")
# one invoice to issue: the invoice with its lines, its customer, the invoice a credit note corrects
# (or None), and the documents folder to archive it in (None: issue only, it is archived already)
Task = tuple[Invoice, Customer, Invoice | None, Path | None]


class WorkersStopped(RuntimeError):
    """A worker process died (killed, out of memory): no further document can be issued by this run."""


def count(asked: int | None, documents: int) -> int:
    """How many worker processes issue ``documents`` documents: as asked (0 or 1: none), else one per
    core (at most :data:`MAX_AUTO`) when there are :data:`AUTO_FROM` or more, else none."""
    if not documents:
        return 0
    if asked is not None:
        return asked if asked > 1 else 0
    cores = os.cpu_count() or 1
    return min(cores, MAX_AUTO) if cores > 1 and documents >= AUTO_FROM else 0


class Workers:
    """A pool of worker processes issuing invoices and credit notes, results in the order asked."""

    def __init__(self, ds: DocumentSettings, full_rules: bool, n: int):
        ds = replace(ds, smtp=Smtp("", 0, "none", ""))           # the password stays in this process
        self._pool = ProcessPoolExecutor(n, mp_context=get_context("spawn"), initializer=_start,
                                         initargs=(ds, full_rules))
        self.ahead = AHEAD * n

    def issue(self, tasks: Iterable[tuple[K, Task]]) -> Iterator[tuple[K, Issued | None, list[Problem]]]:
        """(key, document or None, problems) for each (key, task), in the order given."""
        pending: deque[tuple[K, Future]] = deque()
        try:
            for key, task in tasks:
                pending.append((key, self._pool.submit(_issue, task)))
                if len(pending) >= self.ahead:
                    key, future = pending.popleft()
                    yield key, *future.result()
            while pending:
                key, future = pending.popleft()
                yield key, *future.result()
        except BrokenExecutor as exc:
            raise WorkersStopped(f"a worker process issuing the documents stopped ({exc})") from None

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


_worker: dict = {}


def _start(ds: DocumentSettings, full_rules: bool) -> None:
    if hasattr(os, "nice"):
        os.nice(NICE)
    renderer = Renderer(ds)
    Finalize(renderer, renderer.close, exitpriority=10)     # its template folder goes when the worker ends
    _worker.update(ds=ds, full_rules=full_rules, renderer=renderer)


def _issue(task: Task) -> tuple[Issued | None, list[Problem]]:
    inv, cust, preceding, folder = task
    issuer = Issuer(_worker["ds"], None, {cust.id: cust}, renderer=_worker["renderer"],
                    full_rules=_worker["full_rules"])
    doc, problems = issuer.invoice(inv, preceding)
    if doc is not None and folder is not None:
        try:
            archive.write_document(folder, doc)
        except archive.ArchiveError as exc:
            return None, [problem(cust, inv.number, str(exc))]
    return doc, problems
