"""Attacks on ardesk, as a hostile colleague, a crashing machine and a bad bank file would try them.

Shared by the tests in this folder (small counts) and ``bench/bench_attack.py``
(the figures, from one run).  Every attack drives the real library or the real
``ardesk`` command; nothing here knows how ardesk checks what it checks.
"""
from __future__ import annotations

import copy
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, field
from datetime import date, datetime, time as dtime
from decimal import Decimal as D
from pathlib import Path
from typing import Any, Callable

from ardesk import app, schema
from ardesk.bank import BankFileError, read_statement
from ardesk.io.memory import MemoryWorkbook

ARDESK = [sys.executable, "-m", "ardesk.cli"]
PERIOD = "2026-03"

# -- a small workbook, as a clerk types it ------------------------------------------------------------
def customer(cid, name, currency="EUR", terms=30):
    return (cid, name, None, "1 Main St", "1000", "BE", terms, D("0.21"), currency, None, "active", None)


def charge(chid, cid, price, qty=1):
    return (chid, cid, "PLAN", "Monthly plan", D(qty), D(price), "monthly", date(2026, 1, 1), None)


def receipt(day, amount, method="transfer", ref="", cid=None, check=None, payer=""):
    return (day, method, payer, cid, ref, check, D(amount), None, None)


def base_book() -> MemoryWorkbook:
    return MemoryWorkbook.with_rows({
        "tblCustomers": [customer("C1", "Acme Bakery"), customer("C2", "Blue Dental", "USD", 14),
                         customer("C3", "Northwind BV")],
        "tblCharges": [charge("CH1", "C1", "100.00"), charge("CH2", "C2", "49.50", 2), charge("CH3", "C3", "12.34")],
        "tblReceipts": [receipt(date(2026, 3, 5), "121.00", ref="INV-2026-00001"),
                        receipt(date(2026, 3, 9), "50.00", "check", cid="C3", check="1001", payer="Northwind"),
                        receipt(date(2026, 3, 12), "20.00", "cash", cid="C1")],
    }, {"Period": PERIOD})


HOSTILE: list[Any] = [
    1e20, 1e28, -1e28, 1e308, float("nan"), float("inf"), -0.0, 0, -5, 1e-3, 10 ** 30, D("1E+40"), D("-1E-40"),
    "", "   ", None, "12,34", "1e3", "1_000", "\u0663\u0664", "\uff11\uff12", "=HYPERLINK(\"http://x\")", "+1",
    "@SUM(A1)", "\x00\x01\x1f", "x" * 5000, "INV-{year}", "{seq:>99999999}", "{0}", "{year:%}", "{seq!z}",
    date(9999, 12, 31), date(1900, 1, 1), datetime(2026, 3, 1, 12, 30), dtime(0, 0), True, False,
    "4111 1111 1111 1111", "9999-12-31", "XXX", "eur", "9" * 40, -10 ** 12, 36500, 10 ** 9, 2 ** 63, "2026-13",
    "check", "credit note", "confirm", "assign", "C1", "C9", "INV-2026-00001", D("0.004"), D("12.345"),
]
INPUT_TABLES = ("tblCustomers", "tblCharges", "tblReceipts", "tblReview")
COMMANDS = ("validate", "bill", "receive", "month-end", "apply-review", "deposit", "reconcile", "report", "close")


def mutate(book: MemoryWorkbook, rng: random.Random) -> str:
    """One hostile change to an input tab or a setting; returns what it did.

    Half the changes are structural (a column deleted or added, a row duplicated) so that runs get past
    validation often enough to reach posting and writing."""
    kind = rng.random()
    if kind < 0.1:
        name = rng.choice([s.name for s in schema.SETTINGS])
        v = rng.choice(HOSTILE)
        book.settings[name] = v
        return f"setting {name} = {v!r:.40}"
    table = rng.choice(INPUT_TABLES)
    rows = book.rows[table]
    header = list(book.headers[table])
    if kind < 0.35 and header:
        j = rng.randrange(len(header))
        col = header.pop(j)
        book.headers[table] = tuple(header)
        book.rows[table] = [tuple(r[:j]) + tuple(r[j + 1:]) for r in rows]
        return f"{table}: column {col} deleted"
    if kind < 0.42:
        book.headers[table] = tuple(header) + ("Extra",)
        book.rows[table] = [tuple(r) + ("x",) for r in rows]
        return f"{table}: column added"
    if kind < 0.55 and rows:
        book.rows[table].append(rng.choice(rows))
        return f"{table}: row duplicated"
    if not rows:
        book.rows[table] = [tuple(rng.choice(HOSTILE) for _ in header)]
        return f"{table}: a row of hostile values"
    i, j = rng.randrange(len(rows)), rng.randrange(len(header))
    row = list(rows[i])
    v = rng.choice(HOSTILE)
    row[j] = v
    book.rows[table][i] = tuple(row)
    return f"{table} row {i} {header[j]} = {v!r:.40}"


@dataclass
class Outcome:
    runs: int = 0
    tracebacks: list[str] = field(default_factory=list)
    refused: int = 0
    wrote_beyond_exceptions: list[str] = field(default_factory=list)


class Recording(MemoryWorkbook):
    """The memory workbook, remembering every Changes it was asked to write."""
    written: list

    def write(self, changes):
        self.written.append(changes)
        super().write(changes)


def fuzz_workbooks(n: int, seed: int = 14) -> Outcome:
    """``n`` runs of a random command on a workbook with 1-3 hostile changes each."""
    rng = random.Random(seed)
    template = base_book()
    out = Outcome()
    for k in range(n):
        book = Recording.__new__(Recording)
        book.__dict__.update(copy.deepcopy(template.__dict__))
        book.written = []
        did = [mutate(book, rng) for _ in range(rng.randint(1, 3))]
        command = rng.choice(COMMANDS)
        out.runs += 1
        try:
            res = app.run(book, command, now=datetime(2026, 3, 31, 9, 0), user="fuzz")
        except Exception:
            out.tracebacks.append(f"#{k} {command} after {did}:\n{traceback.format_exc(limit=4)}")
            continue
        if res.problems:
            out.refused += 1
            for ch in book.written:
                touched = set(ch.appends) | set(ch.updates) | set(ch.names) | (set(ch.replace) - {"tblExceptions"})
                if touched:
                    out.wrote_beyond_exceptions.append(f"#{k} {command} after {did}: wrote {sorted(touched)}")
    return out


# -- bank files ---------------------------------------------------------------------------------------
MT940 = """:20:STARTUMSE
:25:10020030/1234567
:28C:00001/001
:60F:C260301EUR1000,00
:61:2603050305CR121,00NTRFNONREF//BANK-1
:86:166?00SEPA-UEBERWEISUNG?20EREF+INV-2026-00001?32Acme Bakery
:62F:C260305EUR1121,00
-
"""
CSV = "date,amount,payer,reference\n2026-03-05,121.00,Acme Bakery,INV-2026-00001\n2026-03-06,-12.50,Shop,R1\n"
CAMT = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-03-06T08:00:00</CreDtTm></GrpHdr><Stmt><Id>S1</Id>
<Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>PRCD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">1000.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-03-04</Dt></Dt></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">1121.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-03-05</Dt></Dt></Bal>
<Ntry><Amt Ccy="EUR">121.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-03-05</Dt></BookgDt>
<AcctSvcrRef>B-1</AcctSvcrRef><NtryDtls><TxDtls><RltdPties><Dbtr><Pty><Nm>Acme Bakery</Nm></Pty></Dbtr></RltdPties>
<RmtInf><Ustrd>INV-2026-00001</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>"""
BANK_FILES = {"s.sta": MT940, "s.csv": CSV, "s.xml": CAMT}
HOSTILE_TEXT = ["1e28", "1E+400", "-0", "12,34", "1_000", "\u0663\u0664", "NaN", "Infinity", "99999999999999999999999",
                "\x00", "\xff\xfe", "<!ENTITY x SYSTEM 'file:///etc/passwd'>", "9999-12-31", "1900-01-01", "",
                "\n:61:", "-\n", "&x;", "]]>", "4111111111111111", "XXX", "DEM"]


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    k = rng.random()
    if k < 0.15:
        return data[:rng.randrange(len(data))]
    if k < 0.3:
        return data + bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
    if k < 0.45:
        b = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        return bytes(b)
    # replace a number or a word with a hostile text
    text = data.decode("utf-8", "replace")
    import re
    spots = [m.span() for m in re.finditer(r"[0-9][0-9.,]*|[A-Za-z]{3,}", text)]
    a, b = rng.choice(spots)
    return (text[:a] + rng.choice(HOSTILE_TEXT) + text[b:]).encode("utf-8", "surrogatepass")


def fuzz_bank_files(n: int, folder: Path, seed: int = 940) -> Outcome:
    """``n`` mutated bank files, each read by the importer and by a receive run: refused or read, never a crash."""
    rng = random.Random(seed)
    out = Outcome()
    folder.mkdir(parents=True, exist_ok=True)
    names = sorted(BANK_FILES)
    for k in range(n):
        name = names[k % len(names)]
        data = mutate_bytes(BANK_FILES[name].encode(), rng)
        path = folder / f"{k}-{name}"
        path.write_bytes(data)
        out.runs += 1
        try:
            try:
                read_statement(path)
            except BankFileError:
                pass
            book = Recording.__new__(Recording)
            book.__dict__.update(copy.deepcopy(base_book().__dict__))
            book.written = []
            res = app.run(book, "receive", bank_files=[path], now=datetime(2026, 3, 31, 9, 0), user="fuzz")
            if res.problems:
                out.refused += 1
                for ch in book.written:
                    if set(ch.appends) | set(ch.updates) | set(ch.names) | (set(ch.replace) - {"tblExceptions"}):
                        out.wrote_beyond_exceptions.append(f"#{k} {name}")
        except Exception:
            out.tracebacks.append(f"#{k} {name} {data[:80]!r}:\n{traceback.format_exc(limit=4)}")
        path.unlink()
    return out


# -- card numbers -----------------------------------------------------------------------------------------
PAN = "4111111111111111"
CARD_SPELLINGS = [
    "4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111", "CARD4111111111111111",
    "card no.4111111111111111", "4111.1111.1111.1111", "4111_1111_1111_1111", "4111/1111/1111/1111",
    "\uff14\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11",
    "\uff14\uff11\uff11\uff11 \uff11\uff11\uff11\uff11 \uff11\uff11\uff11\uff11 \uff11\uff11\uff11\uff11",
    "PAN:5500005555555559", "amex 378282246310005", "visa4012888888881881exp0127", "6011 0009 9013 9424",
]


def digits_of(text: str) -> str:
    import unicodedata
    return "".join(str(unicodedata.digit(c)) for c in str(text) if c.isdigit() and unicodedata.digit(c, None) is not None)


def full_pans_left(values) -> list[str]:
    """Every written value that still holds a full card number (digits read across any separators)."""
    from ardesk.bank.sanitize import luhn_ok
    bad = []
    for v in values:
        d = digits_of(v)
        for size in range(13, 20):
            if any(luhn_ok(d[i:i + size]) and d[i:i + size] in {digits_of(s) for s in CARD_SPELLINGS}
                   for i in range(0, max(0, len(d) - size) + 1)):
                bad.append(str(v))
                break
    return bad


def card_spellings_masked(folder: Path) -> tuple[int, list[str]]:
    """Each spelling in a bank CSV (reference and payer), a typed receipt and a check number; a real receive
    run; every value written anywhere is searched for the full number.  Returns (spellings, leaks)."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["date,amount,payer,reference"]
    for i, s in enumerate(CARD_SPELLINGS):
        lines.append(f"2026-03-{(i % 20) + 5:02d},{10 + i}.00,Payer {s},paid with {s}")
    csv = folder / "cards.csv"
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    book = Recording.__new__(Recording)
    book.__dict__.update(copy.deepcopy(base_book().__dict__))
    book.written = []
    book.rows["tblReceipts"] += [receipt(date(2026, 3, 20), "5.00", "check", ref=s, cid="C1", check=s, payer=s)
                                 for s in CARD_SPELLINGS]
    app.run(book, "receive", bank_files=[csv], now=datetime(2026, 3, 31, 9, 0), user="fuzz")
    values = []
    for ch in book.written:
        values += [v for rows in ch.appends.values() for r in rows for v in r if v is not None]
        values += [v for cells in ch.updates.values() for _r, _c, v in cells if v is not None]
        values += [v for _h, rows in ch.replace.values() for r in rows for v in r if v is not None]
    return len(CARD_SPELLINGS), full_pans_left(values)


@dataclass
class TypedCards:
    """What became of card numbers a clerk typed into a real workbook's input tabs."""
    spellings: int = 0
    typed_cells: int = 0
    rejected_kept_as_typed: bool = False       # a refused run rewrote no input cell ...
    rejected_leaks: list[str] = field(default_factory=list)    # ... and showed no full number
    masked_cells: int = 0                      # cells named on Audit by the run that posted
    last_four_kept: bool = False
    leaks: list[str] = field(default_factory=list)             # full numbers left anywhere after it

    @property
    def held(self) -> int:
        """Spellings handled right end to end (all or none: every spelling is in every check)."""
        ok = (self.rejected_kept_as_typed and not self.rejected_leaks and self.masked_cells == self.typed_cells
              and self.last_four_kept and not self.leaks)
        return self.spellings if ok else 0


def typed_card_numbers_masked(workbook: Path) -> TypedCards:
    """Each spelling typed on the Receipts tab (payer, reference, check number) and the Customers tab
    (address) of a real workbook, and in the memo of a bank file.  A refused ``ardesk receive --json`` must
    leave the typed cells as they were and print no full number; once the bad cell is fixed, the run must
    mask every typed cell (naming them on Audit) and no full number may be left in any cell of any sheet,
    in the run log or in what the command printed."""
    from openpyxl import load_workbook
    from ardesk.io.fileadapter import FileWorkbook
    from ardesk.io.port import Changes
    out = TypedCards(spellings=len(CARD_SPELLINGS))
    port = FileWorkbook(workbook)
    t = port.read_tables(["tblReceipts", "tblCustomers"])
    receipts, customers = t["tblReceipts"], t["tblCustomers"]
    first_receipt = receipts.first_row + len([r for r in receipts.rows if not receipts.is_blank(r)])
    ch = Changes()
    ch.append("tblReceipts", [receipt(date(2026, 10, 20), "5.00", "check", ref=f"card {s}", check=s,
                                      payer=f"Payer {s}") for s in CARD_SPELLINGS]
              + [receipt(date(2026, 10, 21), "1.00", payer="typo")])
    for k, s in enumerate(CARD_SPELLINGS):
        ch.update("tblCustomers", customers.first_row + k, "Address", f"paid by {s}")
    port.write(ch, backup=False)
    out.typed_cells = 4 * len(CARD_SPELLINGS)
    bad_row = first_receipt + len(CARD_SPELLINGS)
    bank = workbook.with_name("cards-memo.csv")
    bank.write_text("date,amount,payer,reference\n" + "".join(
        f"2026-10-{k % 20 + 5:02d},{10 + k}.00,Payer {s},paid with {s}\n" for k, s in enumerate(CARD_SPELLINGS)),
        encoding="utf-8")
    # a refused run: an amount typed as text
    fix = Changes()
    fix.update("tblReceipts", bad_row, "Amount", "5,00 EUR")
    FileWorkbook(workbook).write(fix, backup=False)
    typed = workbook_rows(workbook)
    proc = cli("receive", workbook, "--bank", bank, "--json")
    after = workbook_rows(workbook)
    out.rejected_kept_as_typed = proc.returncode == 1 and all(after[t] == typed[t] for t in (
        "tblReceipts", "tblCustomers", "tblPayments", "tblAudit"))
    out.rejected_leaks = full_pans_left([proc.stdout, proc.stderr] + [v for r in after["tblExceptions"] for v in r])
    fix = Changes()
    fix.update("tblReceipts", bad_row, "Amount", D("1.00"))
    FileWorkbook(workbook).write(fix, backup=False)
    proc = cli("receive", workbook, "--bank", bank, "--json")
    rows = workbook_rows(workbook)
    audit = " ".join(str(v) for r in rows["tblAudit"][-1:] for v in r)
    named = re.search(r"masked the card numbers typed in (\d+) cell\(s\) to their last four digits: "
                      r"Customers [A-Z]+\d+, ", audit)
    out.masked_cells = int(named.group(1)) if named else 0
    got = FileWorkbook(workbook).read_tables(["tblReceipts", "tblCustomers"])
    r_rows = got["tblReceipts"].rows[first_receipt - got["tblReceipts"].first_row:]
    c_rows = got["tblCustomers"].rows
    h_r, h_c = got["tblReceipts"].header, got["tblCustomers"].header
    cells = [(s, r_rows[k][h_r.index(col)]) for k, s in enumerate(CARD_SPELLINGS) for col in ("Payer", "Reference",
                                                                                                "CheckNo")]
    cells += [(s, c_rows[k][h_c.index("Address")]) for k, s in enumerate(CARD_SPELLINGS)]
    out.last_four_kept = proc.returncode == 0 and all(
        "*" in str(v) and digits_of(v).endswith(digits_of(s)[-4:]) for s, v in cells)
    wb = load_workbook(workbook, read_only=True)
    everything = [v for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None]
    log = workbook.with_name(workbook.stem + ".ardesk") / "runs.jsonl"
    out.leaks = full_pans_left(everything + [proc.stdout, proc.stderr] + log.read_text(encoding="utf-8").splitlines())
    return out


# -- the real command on a real file -------------------------------------------------------------------------
def ardesk(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(ARDESK + [str(a) for a in args], capture_output=True, text=True, timeout=timeout)


def cli(*args: str) -> subprocess.CompletedProcess:
    """The ardesk command run in this process (the same main() the console script calls), for speed;
    an exception escaping it fails the caller as a traceback would."""
    import contextlib
    import io
    from ardesk.cli import main
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


def no_traceback(proc: subprocess.CompletedProcess) -> bool:
    return "Traceback" not in proc.stderr and "Traceback" not in proc.stdout


def workbook_rows(path: Path) -> dict[str, list]:
    """Every table's rows, read independently of ardesk's adapters."""
    from python_calamine import CalamineWorkbook
    wb = CalamineWorkbook.from_path(str(path), load_tables=True)
    return {name: [r for r in wb.get_table_by_name(name).to_python() if any(v not in ("", None) for v in r)]
            for name in wb.table_names}


def kill_during_save(workbook: Path, bank: Path, kills: int, rng: random.Random,
                     landed: dict | None = None) -> tuple[int, list[str]]:
    """Start ``ardesk receive`` and kill -9 it at a random moment, ``kills`` times on copies of one
    workbook; each time the file must be readable and, once run again, equal a clean run.  ``landed``
    counts how the killed run left the file: 'old' (untouched), 'new' (its posts in), 'other'."""
    clean = workbook.with_name("clean-" + workbook.name)
    shutil.copy2(workbook, clean)
    assert ardesk("receive", clean, "--bank", bank).returncode == 0
    want = workbook_rows(clean)
    failures = []
    # how long a run takes, to spread the kills over it
    probe = workbook.with_name("probe-" + workbook.name)
    shutil.copy2(workbook, probe)
    t0 = time.perf_counter()
    ardesk("receive", probe, "--bank", bank)
    span = time.perf_counter() - t0
    for k in range(kills):
        wb = workbook.with_name(f"kill{k}-" + workbook.name)
        shutil.copy2(workbook, wb)
        proc = subprocess.Popen(ARDESK + ["receive", str(wb), "--bank", str(bank)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 1.0) * span)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if landed is not None:
            state = ("old" if wb.read_bytes() == workbook.read_bytes() else
                     "new" if all(workbook_rows(wb)[t] == want[t] for t in ("tblPayments", "tblJournal")) else "other")
            landed[state] = landed.get(state, 0) + 1
        again = ardesk("receive", wb, "--bank", bank)
        ok = again.returncode == 0 and no_traceback(again)
        got = workbook_rows(wb)
        same = all(got[t] == want[t] for t in schema.TABLES if schema.TABLES[t].role == "ledger" and t != "tblAudit")
        same = same and len(got["tblAudit"]) == len(want["tblAudit"])
        leftovers = list(wb.parent.glob(f".ardesk-save.{wb.name}.*"))
        if not (ok and same and not leftovers):
            failures.append(f"kill {k}: rerun rc={again.returncode} same={same} leftovers={leftovers} "
                            f"{again.stderr[-300:]}")
    return kills, failures


def race(workbook: Path, bank_a: Path, bank_b: Path, tries: int) -> tuple[int, list[str]]:
    """Two ``ardesk receive`` at once on one workbook, then both again: each bank line posted once."""
    failures = []
    for k in range(tries):
        wb = workbook.with_name(f"race{k}-" + workbook.name)
        shutil.copy2(workbook, wb)
        procs = [subprocess.Popen(ARDESK + ["receive", str(wb), "--bank", str(b)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for b in (bank_a, bank_b)]
        outs = [p.communicate() for p in procs]
        if any("Traceback" in e for _o, e in outs):
            failures.append(f"race {k}: traceback")
        for b in (bank_a, bank_b):
            ardesk("receive", wb, "--bank", b)
        rows = workbook_rows(wb)
        fps = [r[10] for r in rows["tblPayments"]]
        v = ardesk("verify", wb)
        if len(fps) != len(set(fps)) or v.returncode != 0:
            failures.append(f"race {k}: {len(fps) - len(set(fps))} doubled; verify rc={v.returncode} {v.stdout[-300:]}")
    return tries, failures


def stale_colleague_save(workbook: Path, bank: Path, tries: int) -> tuple[int, int, list[str]]:
    """A colleague opens a copy, ardesk posts, the colleague saves the stale copy over it.  The next run must
    stop naming the lost posts, and `ardesk recover` must put back exactly what was posted."""
    detected = recovered = 0
    failures = []
    for k in range(tries):
        wb = workbook.with_name(f"stale{k}-" + workbook.name)
        shutil.copy2(workbook, wb)
        colleague = wb.with_name("colleague-copy.xlsx")
        shutil.copy2(wb, colleague)
        posted = cli("receive", wb, "--bank", bank)
        if posted.returncode != 0:
            failures.append(f"stale {k}: the run itself failed: {posted.stderr[-300:]}")
            continue
        want = workbook_rows(wb)
        shutil.copy2(colleague, wb)                     # the stale save
        nxt = cli("reconcile", wb)
        if nxt.returncode == 1 and "posts lost" in nxt.stdout:
            detected += 1
        else:
            failures.append(f"stale {k}: not detected (rc={nxt.returncode}) {nxt.stdout[-300:]}")
        rec = cli("recover", wb)
        again = cli("recover", wb)
        got = workbook_rows(wb)
        ledgers = [t for t in schema.TABLES if schema.TABLES[t].role == "ledger"]
        if rec.returncode == 0 and again.returncode == 0 and all(got[t] == want[t] for t in ledgers) \
                and cli("verify", wb).returncode == 0:
            recovered += 1
        else:
            failures.append(f"stale {k}: not recovered rc={rec.returncode}/{again.returncode} {rec.stdout[-300:]}")
    return detected, recovered, failures


# -- hand edits of posted rows -------------------------------------------------------------------------------
def _cell(ws, table: str, column: str, nth: int = 0):
    t = ws.tables[table]
    first = ws[t.ref.split(":")[0]]
    header = [c.value for c in ws[first.row]][first.column - 1:]
    return ws.cell(row=first.row + 1 + nth, column=first.column + header.index(column))


def _sheet(wb, table: str):
    return next(ws for ws in wb.worksheets if table in ws.tables)


def _edit(table: str, column: str, change: Callable[[Any], Any], nth: int = 0):
    def do(wb):
        c = _cell(_sheet(wb, table), table, column, nth)
        c.value = change(c.value)
    return do


def _delete_row(table: str, nth: int = 0):
    def do(wb):
        ws = _sheet(wb, table)
        ws.delete_rows(_cell(ws, table, schema.TABLES[table].columns[0].name, nth).row)
    return do


def _insert_row(table: str, nth: int = 1):
    def do(wb):
        ws = _sheet(wb, table)
        r = _cell(ws, table, schema.TABLES[table].columns[0].name, nth).row
        ws.insert_rows(r)
        for j in range(1, len(schema.TABLES[table].columns) + 1):
            ws.cell(row=r, column=j).value = ws.cell(row=r + 1, column=j).value
    return do


def _blank_row(table: str, nth: int = 0):
    def do(wb):
        ws = _sheet(wb, table)
        r = _cell(ws, table, schema.TABLES[table].columns[0].name, nth).row
        for j in range(1, len(schema.TABLES[table].columns) + 1):
            ws.cell(row=r, column=j).value = None
    return do


HAND_EDITS: dict[str, Callable] = {
    "Payments amount raised by 1,000": _edit("tblPayments", "Amount", lambda v: float(v) + 1000),
    "Payments row deleted": _delete_row("tblPayments"),
    "Audit summary rewritten": _edit("tblAudit", "Summary", lambda v: "nothing happened"),
    "Audit row blanked": _blank_row("tblAudit"),
    "Invoice total changed": _edit("tblInvoices", "Total", lambda v: float(v) - 0.01),
    "Invoice customer changed": _edit("tblInvoices", "CustomerID", lambda v: "C9999"),
    "Journal debit changed": _edit("tblJournal", "Debit", lambda v: (float(v) if v else 0) + 5, 0),
    "Journal memo changed": _edit("tblJournal", "Memo", lambda v: "edited"),
    "Journal row inserted": _insert_row("tblJournal"),
    "Allocation row deleted": _delete_row("tblAllocations", 1),
    "Payment date changed": _edit("tblPayments", "Date", lambda v: datetime(2020, 1, 1)),
    "InvoiceLines net changed": _edit("tblInvoiceLines", "Net", lambda v: float(v) * 2),
}


def tamper_detected(workbook: Path) -> tuple[int, list[str]]:
    """Each hand edit on its own copy: `ardesk verify` must exit 1 naming a row, and validate must exit 1."""
    from openpyxl import load_workbook
    missed = []
    for k, (what, edit) in enumerate(HAND_EDITS.items()):
        wb_path = workbook.with_name(f"tamper{k}-" + workbook.name)
        shutil.copy2(workbook, wb_path)
        shutil.copytree(workbook.with_name(workbook.stem + ".ardesk"), wb_path.with_name(wb_path.stem + ".ardesk"),
                        dirs_exist_ok=True)
        wb = load_workbook(wb_path)
        edit(wb)
        wb.save(wb_path)
        v = cli("verify", wb_path)
        val = cli("validate", wb_path)
        if not (v.returncode == 1 and "row" in v.stdout and val.returncode == 1 and no_traceback(v)):
            missed.append(f"{what}: verify rc={v.returncode}, validate rc={val.returncode}: {v.stdout[-200:]}")
    return len(HAND_EDITS), missed


def env_count(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, default)))
    except ValueError:
        return default
