"""Time a ribbon click through xlwings' remote engine, its payload, and the import of the buttons module.

    python bench/bench_excel.py [--customers 1000] [--button ardeskMonthEnd] [--baseline 3000] [--archived]

Builds the demo workbook (``--months`` months of history, five by default: about
five invoices per customer, 100,000 at 20,000 customers), clicks Post typed receipts on it once (the month's work before
month-end: that click hashes every ledger row and stores the chain states on
the ChainState tab), applies its actions to the payload as Excel would, and
then times, for one button: opening the payload on the remote engine, the run
(read, compute, plan and queue every write) and collecting the actions Excel
would apply; and once more on the same book without its ChainState tab,
where the click hashes every ledger row, for the difference at the same
load.  The clicks run in a fresh interpreter that has imported only the
buttons module and parsed the payload, as an xlwings Server worker serves a
request (not in this process, which has built demo books and holds them);
the time the worker takes to load the scripts (which imports the app:
pandas and the rest, once per worker) and its first click are printed
apart; the figure held against the target is the median of the worker's
next ``--runs`` clicks, each on the book opened anew.  The
payload is what xlwings Server is sent for the button's script (every
sheet: see "payload by sheet"), measured as the JSON bytes posted, and
printed per sheet for the big book.  The click is
split into its stages as the status bar shows them: reading and checking
the books, each step, finishing (summary, card-number masking, the chain
heads of every ledger for the Audit row) and the adapter's write.  Then
times ``import ardesk.excel.buttons`` in fresh interpreters.

With ``--archived`` the same book is then built again, its history months
closed and what was settled before the click's period moved to the archive
workbook beside it (``ardesk close``, ``ardesk archive --before``, on the
file, as a clerk keeps a big book small), and measured the same way.

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
PRIOR, PERIOD = "ardeskPostReceipts", "2026-10"
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


# months of history before the click's: five make about 100,000 invoices at 20,000 customers
HISTORY_MONTHS = 5


def measure(customers: int, button: str, runs: int, months: int = HISTORY_MONTHS, archived: bool = False) -> dict:
    """Build the demo book of ``customers`` with ``months`` months of history and click ``button`` ``runs``
    times on the remote engine; ``archived``: first close the history months and archive what was settled
    before the click's period, as ``ardesk close`` and ``ardesk archive --before`` do on the file."""
    import json
    from ardesk.demo import build_demo
    from ardesk.excel import buttons
    from ardesk.excel.payload import apply_to_payload, book_payload
    import xlwings as xw
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.xlsx"
        t = time.perf_counter()
        build_demo(path, customers=customers, period=PERIOD, dry_run=True, history_months=months)
        built = time.perf_counter() - t
        bank = [Path(tmp) / "bench-bank-2026-10.csv"]
        in_books = _invoices(path)
        if archived:
            archive_before(path, PERIOD, months)
        n_invoices = _invoices(path) if archived else in_books
        payload = book_payload(path)
        # the click before: the month's typed receipts posted, which stores the ledgers' chain states
        t = time.perf_counter()
        book = xw.Book(json=payload)
        first = buttons.run_button(book, PRIOR, now=datetime(2026, 11, 2, 8))
        assert first is not None, [a["args"][0] for a in book.json()["actions"] if a["func"] == "alert"]
        prior = {"click": time.perf_counter() - t, "posted": first.summary["receipts_posted"]}
        payload = apply_to_payload(payload, book.json()["actions"])
        book.close()
        size = len(json.dumps(payload, separators=(",", ":"), default=str).encode())
        by_sheet = {sh["name"]: len(json.dumps(sh, separators=(",", ":"), default=str).encode())
                    for sh in payload["sheets"]}
        saved = Path(tmp) / "payload.json"
        saved.write_text(json.dumps(payload, separators=(",", ":"), default=str))
        cold, *clicks = _clicks(saved, button, bank, runs + 1)
        # the same click on the same book without its ChainState tab (the last sheet): every ledger row hashed
        stateless = dict(payload, sheets=[sh for sh in payload["sheets"] if sh["name"] != "ChainState"])
        saved.write_text(json.dumps(stateless, separators=(",", ":"), default=str))
        unstored = _clicks(saved, button, bank, 2)[1]
    totals = [c["total"] for c in clicks]
    mid = sorted(range(runs), key=lambda i: totals[i])[runs // 2]
    return {"customers": customers, "invoices": n_invoices, "in_books": in_books, "build": built, "payload": size, "by_sheet": by_sheet,
            "stages": clicks[mid]["stages"],
            "sheets": len([s for s in payload["sheets"] if s["values"] != [[]]]), "of": len(payload["sheets"]),
            "click": statistics.median(totals), "cold": cold["total"], "started": cold["started"], "open": statistics.median(c["open"] for c in clicks),
            "actions": clicks[mid]["actions"], "prior": prior, "unstored": unstored,
            "issued": clicks[0]["issued"], "posted": clicks[0]["posted"]}


def _invoices(path: Path) -> int:
    from ardesk.io.fileadapter import FileWorkbook
    return sum(1 for r in FileWorkbook(path).read_tables(["tblInvoices"])["tblInvoices"].rows
               if any(v not in (None, "") for v in r))


def archive_before(path: Path, period: str, months: int) -> None:
    """Close the ``months`` history months before ``period`` and archive what was settled before it, on the
    file, as a clerk does with ``ardesk close --period`` and ``ardesk archive --before``."""
    from ardesk import app
    from ardesk.core.periods import add_months, parse_period, period_of
    from ardesk.io.fileadapter import FileWorkbook
    start = parse_period(period)[0]
    clock = datetime.combine(start, datetime.min.time()).replace(hour=8)
    for k in range(months, 0, -1):
        r = app.run(FileWorkbook(path), "close", period=period_of(add_months(start, -k)), now=clock, user="bench")
        assert r.ok, [str(p) for p in r.problems]
    r = app.archive_books(FileWorkbook(path), start, now=clock.replace(hour=9), user="bench")
    assert r.ok, [str(p) for p in r.problems]


CLICK_SCRIPT = r"""
import json, os, sys, time
from datetime import datetime
from pathlib import Path
sys.path.insert(0, os.path.dirname(sys.argv[1]))
t = time.perf_counter()
import xlwings as xw
from ardesk.excel import buttons                          # a worker loading the scripts
started = time.perf_counter() - t
from bench_excel import _stages
payload_file, button, repeat = sys.argv[2], sys.argv[3], int(sys.argv[4])
bank = [Path(b) for b in sys.argv[5:]]
payload = json.loads(Path(payload_file).read_text())     # what the server's web framework parses
for _ in range(repeat):
    ticks = []
    t0 = time.perf_counter()
    book = xw.Book(json=payload)
    t1 = time.perf_counter()
    result = buttons.run_button(book, button, bank_files=bank, now=datetime(2026, 11, 2, 9),
                                progress=lambda step: ticks.append((step, time.perf_counter())))
    actions = book.json()["actions"]
    t2 = time.perf_counter()
    problems = [str(p) for p in result.problems] if result is not None else ["no result"]
    print(json.dumps({"total": t2 - t0, "open": t1 - t0, "stages": _stages(ticks, t2), "actions": len(actions),
                      "started": started,
                      "problems": problems, "issued": result.summary["invoices_issued"] if result else 0,
                      "posted": result.summary["receipts_posted"] if result else 0}), flush=True)
    book.close()                # as the server closes the request's book
    del book, result, actions
"""


def _clicks(payload_file: Path, button: str, bank: list, repeat: int) -> list[dict]:
    """``repeat`` clicks of ``button``, each on a book opened anew from the payload in ``payload_file``, in one
    fresh interpreter that has loaded ardesk's scripts and parsed the payload, as an xlwings Server worker
    serves requests.  Each: seconds from opening the payload on the remote engine to the actions Excel
    applies, its stages and actions, and how long the worker took to load the scripts."""
    import json
    out = subprocess.run([sys.executable, "-c", CLICK_SCRIPT, str(Path(__file__).resolve()), str(payload_file),
                          button, str(repeat), *map(str, bank)], capture_output=True, text=True, env=dict(os.environ))
    if out.returncode != 0:
        raise SystemExit(f"the click failed:\n{out.stderr}")
    clicks = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert len(clicks) == repeat and not any(c["problems"] for c in clicks), [c["problems"] for c in clicks]
    return clicks


def _stages(ticks: list[tuple[str, float]], end: float) -> list[tuple[str, float]]:
    """Seconds per stage of a run, from the progress ticks ("read", each step, "finish", "write")."""
    names = {"read": "read and check the books", "finish": "finish (summary, masking, chain heads)",
             "write": "write (the adapter's actions)"}
    return [(names.get(step, f"step {step}"), t_next - t)
            for (step, t), (_n, t_next) in zip(ticks, ticks[1:] + [("", end)])]


def sheet_report(m: dict, top: int = 12) -> None:
    """The payload by sheet, biggest first, and by the layout's role of the sheet's table."""
    from ardesk import schema
    role = {t.sheet: t.role for t in schema.TABLES.values()}
    total = sum(m["by_sheet"].values())
    by_role: dict[str, int] = {}
    for name, n in m["by_sheet"].items():
        by_role[role.get(name, "settings")] = by_role.get(role.get(name, "settings"), 0) + n
    print("  payload by sheet: " + ", ".join(f"{name} {n / 1e6:.1f} MB" for name, n in
                                            sorted(m["by_sheet"].items(), key=lambda kv: -kv[1])[:top]))
    print("  payload by role:  " + ", ".join(f"{r} {n / 1e6:.1f} MB ({n / total:.0%})" for r, n in
                                            sorted(by_role.items(), key=lambda kv: -kv[1])))


def report(m: dict, button: str, runs: int) -> None:
    held = (f"{m['invoices']} invoices before the click" if m["invoices"] == m["in_books"] else
            f"{m['invoices']} invoices before the click, the {m['in_books'] - m['invoices']} settled before "
            f"{PERIOD} archived ({m['in_books']} in the books)")
    print(f"workbook: {m['customers']} customers, {held} (built in {m['build']:.0f} s); button {button}: {m['issued']} invoices issued, {m['posted']} receipts posted, "
          f"{m['actions']} actions")
    print(f"  the click before, {PRIOR} (every ledger row hashed, the chain states stored): "
          f"{m['prior']['click']:.3f} s, {m['prior']['posted']} receipts posted")
    print(f"  payload {m['payload'] / 1e6:.1f} MB ({m['sheets']} of {m['of']} sheets with values); "
          f"click (a server worker's next clicks, median of {runs}) {m['click']:.3f} s "
          f"[open payload {m['open']:.3f} s]; its first click {m['cold']:.3f} s; the worker loading the "
          f"scripts (which imports the app) {m['started']:.3f} s")
    print("  stages of the median click: " + ", ".join(f"{name} {t:.2f} s" for name, t in m["stages"]))
    u = m["unstored"]
    print(f"  the same click without the ChainState tab (every ledger row hashed): {u['total']:.3f} s; stages: "
          + ", ".join(f"{name} {t:.2f} s" for name, t in u["stages"]))
    print(f"  payload per button: {m['payload'] / 1e6:.1f} MB for each of Month-end, Validate, Post typed receipts "
          "and every other script (each is sent every sheet: no include, see the README)")


def targets(m: dict, base: dict | None) -> None:
    if m["customers"] >= BIG:
        print(f"  click   {m['click']:.2f} s  target < {BIG_CLICK_TARGET:.0f} s  ratio {m['click'] / BIG_CLICK_TARGET:.2f}")
        print(f"  payload {m['payload'] / 1e6:.1f} MB  target < {BIG_PAYLOAD_TARGET / 1e6:.0f} MB  "
              f"ratio {m['payload'] / BIG_PAYLOAD_TARGET:.2f}")
    else:
        print(f"  click   {m['click']:.3f} s  target < {CLICK_TARGET:.1f} s  ratio {m['click'] / CLICK_TARGET:.2f}")
    if base:
        print(f"  against {base['customers']} customers: click x{m['click'] / base['click']:.2f}, "
              f"payload x{m['payload'] / base['payload']:.2f}, invoices before the click "
              f"x{m['invoices'] / base['invoices']:.2f}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--customers", type=int, default=1000)
    ap.add_argument("--button", default="ardeskMonthEnd")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--months", type=int, default=HISTORY_MONTHS,
                    help="months of history before the click's (5: about 100,000 invoices at 20,000 customers)")
    ap.add_argument("--baseline", type=int, default=None, help="measure this many customers first, for ratios")
    ap.add_argument("--archived", action="store_true",
                    help="then the same book with its history months closed and what was settled before the "
                         "period archived (ardesk close, ardesk archive --before)")
    args = ap.parse_args(argv)
    os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
    from ardesk.excel import buttons
    buttons.register_scripts()

    base = measure(args.baseline, args.button, args.runs, args.months) if args.baseline else None
    if base:
        report(base, args.button, args.runs)
    books = [measure(args.customers, args.button, args.runs, args.months)]
    if args.archived:
        books.append(measure(args.customers, args.button, args.runs, args.months, archived=True))
    for m in books:
        report(m, args.button, args.runs)
        sheet_report(m)
        targets(m, base)
    wall, cumulative = import_time()
    print(f"import  ardesk.excel.buttons (fresh interpreter, best of 5): {wall:.3f} s "
          f"(-X importtime cumulative {cumulative:.3f} s)  target < {IMPORT_TARGET:.1f} s  "
          f"ratio {wall / IMPORT_TARGET:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
