"""Time a ribbon click through xlwings' remote engine, its payload, and the import of the buttons module.

    python bench/bench_excel.py [--customers 1000] [--button ardeskMonthEnd] [--baseline 3000]

Builds the demo workbook (two months of history, about two invoices per
customer) and times, for one button: opening the payload on the remote
engine, the run (read, compute, plan and queue every write) and collecting
the actions Excel would apply.  The payload is what xlwings Server is sent
for the button's script: only the sheets its step needs (the script's
``include``), measured as the JSON bytes posted.  Then times
``import ardesk.excel.buttons`` in fresh interpreters.

Targets: click < 1 s at 1,000 customers; at 20,000 customers (``--customers
20000``) the Month-end click < 5 s and the payload < 20 MB.  With
``--baseline N`` the same figures are measured at N customers first and the
big book's are printed with their ratio to them.

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
BIG, BIG_CLICK_TARGET, BIG_PAYLOAD_TARGET = 20000, 5.0, 20e6


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


def measure(customers: int, button: str, runs: int) -> dict:
    """Build the demo book of ``customers`` and click ``button`` ``runs`` times on the remote engine."""
    import json
    from ardesk.demo import build_demo
    from ardesk.excel import buttons
    from ardesk.excel.payload import book_payload
    from ardesk.io.fileadapter import FileWorkbook
    import xlwings as xw
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.xlsx"
        t = time.perf_counter()
        build_demo(path, customers=customers, period="2026-10", dry_run=True)
        built = time.perf_counter() - t
        bank = [Path(tmp) / "bench-bank-2026-10.csv"]
        n_invoices = sum(1 for r in FileWorkbook(path).read_tables(["tblInvoices"])["tblInvoices"].rows
                         if any(v not in (None, "") for v in r))
        payload = book_payload(path)
        size = len(json.dumps(payload, separators=(",", ":"), default=str).encode())
        opens, totals, n_actions = [], [], 0
        for _ in range(runs):
            t0 = time.perf_counter()
            book = xw.Book(json=payload)
            t1 = time.perf_counter()
            result = buttons.run_button(book, button, bank_files=bank, now=datetime(2026, 11, 2, 9))
            actions = book.json()["actions"]
            t2 = time.perf_counter()
            assert result is not None and not result.problems, result and result.problems
            opens.append(t1 - t0)
            totals.append(t2 - t0)
            n_actions = len(actions)
            book.close()
    return {"customers": customers, "invoices": n_invoices, "build": built, "payload": size,
            "sheets": len([s for s in payload["sheets"] if s["values"] != [[]]]), "of": len(payload["sheets"]),
            "click": statistics.median(totals), "open": statistics.median(opens), "actions": n_actions,
            "issued": result.summary["invoices_issued"], "posted": result.summary["receipts_posted"]}


def report(m: dict, button: str, runs: int) -> None:
    print(f"workbook: {m['customers']} customers, {m['invoices']} invoices before the click (built in "
          f"{m['build']:.0f} s); button {button}: {m['issued']} invoices issued, {m['posted']} receipts posted, "
          f"{m['actions']} actions")
    print(f"  payload {m['payload'] / 1e6:.1f} MB ({m['sheets']} of {m['of']} sheets with values); "
          f"click (median of {runs}) {m['click']:.3f} s [open payload {m['open']:.3f} s]")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--customers", type=int, default=1000)
    ap.add_argument("--button", default="ardeskMonthEnd")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--baseline", type=int, default=None, help="measure this many customers first, for ratios")
    args = ap.parse_args(argv)
    os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
    from ardesk.excel import buttons
    buttons.register_scripts()

    base = measure(args.baseline, args.button, args.runs) if args.baseline else None
    if base:
        report(base, args.button, args.runs)
    m = measure(args.customers, args.button, args.runs)
    report(m, args.button, args.runs)
    if args.customers >= BIG:
        print(f"  click   {m['click']:.2f} s  target < {BIG_CLICK_TARGET:.0f} s  ratio {m['click'] / BIG_CLICK_TARGET:.2f}")
        print(f"  payload {m['payload'] / 1e6:.1f} MB  target < {BIG_PAYLOAD_TARGET / 1e6:.0f} MB  "
              f"ratio {m['payload'] / BIG_PAYLOAD_TARGET:.2f}")
    else:
        print(f"  click   {m['click']:.3f} s  target < {CLICK_TARGET:.1f} s  ratio {m['click'] / CLICK_TARGET:.2f}")
    if base:
        print(f"  against {base['customers']} customers: click x{m['click'] / base['click']:.2f}, "
              f"payload x{m['payload'] / base['payload']:.2f}, invoices x{m['invoices'] / base['invoices']:.2f}")
    wall, cumulative = import_time()
    print(f"import  ardesk.excel.buttons (fresh interpreter, best of 5): {wall:.3f} s "
          f"(-X importtime cumulative {cumulative:.3f} s)  target < {IMPORT_TARGET:.1f} s  "
          f"ratio {wall / IMPORT_TARGET:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
