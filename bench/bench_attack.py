"""Attack bench: the shared workbook under faults and bad input, figures from one run.

    .venv/bin/python bench/bench_attack.py [--kills 20] [--races 10] [--stale 10] [--fuzz 5000] [--customers 60]

Builds a demo workbook, then, with the real `ardesk` command and library:
kills -9 a receive run at random moments; races two receive runs on one
workbook; saves a colleague's stale copy over a run's posts and recovers;
fuzzes the input tabs, settings and bank files; feeds card numbers in many
spellings; and makes each hand edit of posted rows that verify must name.
The attacks themselves are in tests/attack/attacks.py, shared with the suite.
"""
from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "attack"))

import attacks  # noqa: E402
from ardesk.demo import build_demo  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--races", type=int, default=10)
    ap.add_argument("--stale", type=int, default=10)
    ap.add_argument("--fuzz", type=int, default=5000)
    ap.add_argument("--customers", type=int, default=60)
    a = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        book = d / "books.xlsx"
        assert build_demo(book, customers=a.customers, period="2026-10").ok
        bank = d / "late.csv"
        bank.write_text("date,amount,payer,reference\n" + "".join(
            f"2026-10-{k:02d},{100 + k}.25,Walk-in {k},cash deposit {k}\n" for k in range(1, 29)), encoding="utf-8")
        other = d / "other.csv"
        other.write_text("date,amount,payer,reference\n2026-10-30,77.77,Someone,desk 2\n", encoding="utf-8")

        t = time.perf_counter()
        landed: dict = {}
        kills, failed = attacks.kill_during_save(book, bank, a.kills, random.Random(14), landed)
        rows.append((f"kills -9 during a run survived ({landed.get('old', 0)} left the file old, {landed.get('new', 0)} "
                     f"new, {landed.get('other', 0)} other; rerun = clean run, no temp file left)",
                     kills - len(failed), kills, time.perf_counter() - t, failed))
        t = time.perf_counter()
        races, failed = attacks.race(book, bank, other, a.races)
        rows.append(("two-writer races with nothing lost or doubled (verify passes)", races - len(failed), races,
                     time.perf_counter() - t, failed))
        t = time.perf_counter()
        detected, recovered, failed = attacks.stale_colleague_save(book, bank, a.stale)
        rows.append(("stale colleague saves detected", detected, a.stale, time.perf_counter() - t, failed))
        rows.append(("stale colleague saves recovered exactly (ardesk recover, twice)", recovered, a.stale, 0.0, []))
        t = time.perf_counter()
        fz = attacks.fuzz_workbooks(a.fuzz)
        rows.append((f"fuzzed workbooks without a traceback ({fz.refused} refused, {len(fz.wrote_beyond_exceptions)} "
                     "of those wrote beyond Exceptions)", fz.runs - len(fz.tracebacks), fz.runs,
                     time.perf_counter() - t, fz.tracebacks + fz.wrote_beyond_exceptions))
        t = time.perf_counter()
        fb = attacks.fuzz_bank_files(a.fuzz // 2, d / "fuzz")
        rows.append((f"fuzzed bank files without a traceback ({fb.refused} refused)", fb.runs - len(fb.tracebacks),
                     fb.runs, time.perf_counter() - t, fb.tracebacks))
        t = time.perf_counter()
        n, leaks = attacks.card_spellings_masked(d / "cards")
        rows.append(("card-number spellings masked in everything written", n - (1 if leaks else 0), n,
                     time.perf_counter() - t, leaks))
        t = time.perf_counter()
        typed = d / "typed" / book.name
        typed.parent.mkdir()
        shutil.copy2(book, typed)
        shutil.copytree(book.with_name(book.stem + ".ardesk"), typed.with_name(typed.stem + ".ardesk"))
        tc = attacks.typed_card_numbers_masked(typed)
        rows.append((f"card-number spellings typed into input tabs ({tc.typed_cells} cells): left as typed by a "
                     f"refused run, masked by the run that posts ({tc.masked_cells} named on Audit), none shown in "
                     "full", tc.held, tc.spellings, time.perf_counter() - t,
                     tc.leaks + tc.rejected_leaks + ([] if tc.rejected_kept_as_typed else ["refused run rewrote"])))
        t = time.perf_counter()
        edits, missed = attacks.tamper_detected(book)
        rows.append(("hand edits of posted rows named by verify (and validate exits 1)", edits - len(missed), edits,
                     time.perf_counter() - t, missed))
    print(f"{'attack':<100} {'held':>6} {'of':>6} {'seconds':>8}")
    bad = 0
    for what, held, total, secs, failures in rows:
        print(f"{what:<100} {held:>6} {total:>6} {secs:>8.1f}")
        for f in failures[:3]:
            print(f"    {str(f)[:300]}")
        bad += held != total
    print("all held" if not bad else f"{bad} attack(s) not fully held")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
