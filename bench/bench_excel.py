"""Time a ribbon click through xlwings' remote engine, and the import of the buttons module.

    python bench/bench_excel.py [--customers 1000] [--button ardeskMonthEnd]

Builds the demo workbook (two months of history, about two invoices per
customer) and times, for one button: opening the payload on the remote
engine, the run (read, compute, plan and queue every write) and collecting
the actions Excel would apply.  Then times ``import ardesk.excel.buttons``
in fresh interpreters.  Targets: click < 1 s, import < 0.3 s.

The remote engine needs an xlwings licence key; this script sets the
noncommercial one (PolyForm Noncommercial) for itself when none is set.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

CLICK_TARGET, IMPORT_TARGET = 1.0, 0.3


def import_time(runs: int = 5) -> tuple[float, float]:
    """(wall seconds, -X importtime cumulative seconds) of importing the buttons module, best of ``runs``."""
    env = {k: v for k, v in os.environ.items() if k not in ("XLWINGS_LICENSE_KEY", "XLWINGS_ON_SERVER")}
    walls, cums = [], []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-X", "importtime", "-c",
                              "import time; t = time.perf_counter(); import ardesk.excel.buttons; "
                              "print(time.perf_counter() - t)"],
                             env=env, capture_output=True, text=True, check=True)
        walls.append(float(out.stdout.strip()))
        m = re.search(r"\|\s*(\d+)\s*\|\s*ardesk\.excel\.buttons\s*$", out.stderr, re.M)
        cums.append(int(m.group(1)) / 1e6 if m else float("nan"))
    return min(walls), min(cums)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--customers", type=int, default=1000)
    ap.add_argument("--button", default="ardeskMonthEnd")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

    from ardesk.demo import build_demo
    from ardesk.excel import buttons
    from ardesk.excel.payload import book_payload
    from ardesk.io.fileadapter import FileWorkbook
    import xlwings as xw
    buttons.register_scripts()

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.xlsx"
        build_demo(path, customers=args.customers, period="2026-10", dry_run=True)
        bank = [Path(tmp) / "bench-bank-2026-10.csv"]
        n_invoices = sum(1 for r in FileWorkbook(path).read_tables(["tblInvoices"])["tblInvoices"].rows
                         if any(v not in (None, "") for v in r))
        payload = book_payload(path)
        opens, runs, totals, n_actions = [], [], [], 0
        for _ in range(args.runs):
            t0 = time.perf_counter()
            book = xw.Book(json=payload)
            t1 = time.perf_counter()
            result = buttons.run_button(book, args.button, bank_files=bank, now=datetime(2026, 11, 2, 9))
            actions = book.json()["actions"]
            t2 = time.perf_counter()
            assert result is not None and not result.problems, result and result.problems
            opens.append(t1 - t0)
            runs.append(t2 - t1)
            totals.append(t2 - t0)
            n_actions = len(actions)
            book.close()
    click = statistics.median(totals)
    wall, cumulative = import_time()
    print(f"workbook: {n_invoices} invoices before the click ({args.customers} customers); "
          f"button {args.button}: {result.summary['invoices_issued']} invoices issued, "
          f"{result.summary['receipts_posted']} receipts posted, {n_actions} actions")
    print(f"click   (remote engine, median of {args.runs}): {click:.3f} s  "
          f"[open payload {statistics.median(opens):.3f} s, run + actions {statistics.median(runs):.3f} s]  "
          f"target < {CLICK_TARGET:.1f} s  ratio {click / CLICK_TARGET:.2f}")
    print(f"import  ardesk.excel.buttons (fresh interpreter, best of 5): {wall:.3f} s "
          f"(-X importtime cumulative {cumulative:.3f} s)  target < {IMPORT_TARGET:.1f} s  "
          f"ratio {wall / IMPORT_TARGET:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
