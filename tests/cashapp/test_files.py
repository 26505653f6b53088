"""End to end on real files: the CLI on a fresh workbook, every corpus statement, hostile text."""
from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest

from ardesk.cli import main

from bank.conftest import CORPUS  # tests/ is on the path: bank/ and cashapp/ are its packages
UNBALANCED = {"mt940/abnamro.sta"}          # BAI2's citi.bai2 does not add up either: a note (BAI2 rule)
FILES = sorted(str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*")
               if p.is_file() and not p.name.startswith(("LICENSE", "README")))


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    wb = tmp_path_factory.mktemp("wb") / "books.xlsx"
    assert main(["init", str(wb)]) == 0
    return wb


def _receive(capsys, wb, *args):
    code = main(["receive", str(wb), "--dry-run", "--json", *args])
    return code, json.loads(capsys.readouterr().out)


def _accounted(out) -> list[dict]:
    """Every file of the run accounted for: read = posted + review + settlements + debits +
    duplicates + refused."""
    files = out["files"]
    for f in files:
        parts = sum(f[k] for k in ("receipts_posted", "to_review", "settlements", "debits_ignored",
                                   "duplicates_skipped", "refused"))
        assert f["balanced"] and parts == f["lines_read"], f
    return files


@pytest.mark.skipif(not CORPUS.exists(), reason="corpus not available")
@pytest.mark.parametrize("name", FILES)
def test_every_corpus_file_imports_with_its_lines_accounted_for(name, fresh, capsys):
    args = ["--bank", str(CORPUS / name)]
    if name in UNBALANCED:
        code, out = _receive(capsys, fresh, *args)
        assert code == 1 and "closing balance" in " ".join(out["problems"])
        (f,) = _accounted(out)
        assert f["refused"] == f["lines_read"] > 0          # counted, and refused, all of them
        args.append("--lenient-balances")
    code, out = _receive(capsys, fresh, *args)
    assert code == 0, out["problems"]
    (f,) = _accounted(out)
    assert f["lines_read"] == out["lines_read"] > 0 and f["refused"] == 0
    if name in UNBALANCED:
        assert any("closing balance" in n for n in out["notes"])


REGRESSION = Path(__file__).resolve().parents[1] / "bank" / "files"
# file, option, [(source, lines read, posted, review, settlements, debits ignored, duplicates, refused)]
# on a fresh workbook (no customers: every receipt is held in suspense, which posts it)
EXPECTED = [
    ("mt940_sepa_reversals.sta", "--bank", [("mt940_sepa_reversals.sta", 4, 2, 0, 0, 2, 0, 0)]),
    ("mt940_long_reference.sta", "--bank", [("mt940_long_reference.sta", 3, 2, 0, 0, 1, 0, 0)]),
    ("mt940_closing_no_currency.sta", "--bank", [("mt940_closing_no_currency.sta", 3, 2, 0, 0, 1, 0, 0)]),
    ("bai2_continued_summary.bai2", "--bank", [("bai2_continued_summary.bai2", 1, 1, 0, 0, 0, 0, 0)]),
    ("bai2_blocked_records.bai2", "--bank", [("bai2_blocked_records.bai2", 1, 1, 0, 0, 0, 0, 0)]),
    ("camt053_batch_without_amounts.xml", "--bank", [("camt053_batch_without_amounts.xml", 2, 2, 0, 0, 0, 0, 0)]),
    ("statements.zip", "--bank", [("statements.zip:camt053_batch_without_amounts.xml", 2, 2, 0, 0, 0, 0, 0),
                                  ("statements.zip:mt940_sepa_reversals.sta", 4, 2, 0, 0, 2, 0, 0)]),
    # charges (posted) + the fee row and the payout (settlements)
    ("stripe_utc_columns.csv", "--processor", [("stripe_utc_columns.csv", 4, 2, 0, 2, 0, 0, 0)]),
    # a receipt; two outgoing payments (debits ignored); a pending row (refused); the withdrawal
    ("paypal_outgoing.csv", "--processor", [("paypal_outgoing.csv", 5, 1, 0, 1, 2, 0, 1)]),
]


@pytest.mark.parametrize("name, option, expected", EXPECTED, ids=[e[0] for e in EXPECTED])
def test_every_regression_file_imports_with_its_lines_accounted_for(name, option, expected, fresh, capsys):
    code, out = _receive(capsys, fresh, option, str(REGRESSION / name))
    assert code == 0, out["problems"]
    got = [(f["source"], f["lines_read"], f["receipts_posted"], f["to_review"], f["settlements"],
            f["debits_ignored"], f["duplicates_skipped"], f["refused"]) for f in _accounted(out)]
    assert got == expected


def test_a_file_read_twice_is_accounted_as_duplicates(tmp_path, capsys):
    wb = tmp_path / "books.xlsx"
    assert main(["init", str(wb)]) == 0
    f = str(REGRESSION / "mt940_sepa_reversals.sta")
    assert main(["receive", str(wb), "--bank", f]) == 0
    capsys.readouterr()
    code, out = _receive(capsys, wb, "--bank", f)
    assert code == 0
    # the two receipts were posted the first time; the two debits are ignored again
    assert [(a["lines_read"], a["duplicates_skipped"], a["receipts_posted"], a["debits_ignored"])
            for a in _accounted(out)] == [(4, 2, 0, 2)]


def test_the_summary_prints_each_file_s_accounting(fresh, capsys):
    assert main(["receive", str(fresh), "--dry-run", "--bank", str(REGRESSION / "mt940_sepa_reversals.sta")]) == 0
    text = capsys.readouterr().out
    assert ("mt940_sepa_reversals.sta (SWIFT MT940): 4 line(s) read = 2 receipts posted + 0 to review + "
            "0 settlements + 2 debits ignored + 0 duplicates skipped + 0 refused") in text


def test_a_bad_format_name_is_a_bad_argument(fresh, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["receive", str(fresh), "--format", "foo"])
    assert exit_.value.code == 2 and "invalid choice: 'foo'" in capsys.readouterr().err


def test_hostile_text_never_becomes_a_formula(tmp_path, capsys):
    wb = tmp_path / "books.xlsx"
    assert main(["init", str(wb)]) == 0
    bank = tmp_path / "bank.csv"
    bank.write_text("date,amount,payer,reference,account,currency\n"
                    '2026-03-02,10.00,"=HYPERLINK(""http://x"",""y"")","+SUM(1,2)",@evil,EUR\n'
                    "2026-03-03,11.00,-2+3,=1+1,\"-cmd|' /C calc'!A0\",EUR\n"
                    "2026-03-04,12.00,Card 4111 1111 1111 1111,@SUM(A1),,EUR\n")
    assert main(["receive", str(wb), "--bank", str(bank), "--json"]) == 0
    capsys.readouterr()
    with zipfile.ZipFile(wb) as z:
        sheets = {n: z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet")}
        shared = z.read("xl/sharedStrings.xml").decode() if "xl/sharedStrings.xml" in z.namelist() else ""
    everything = "".join(sheets.values()) + shared
    assert "<f>" not in everything and "<f " not in everything
    for text in ("HYPERLINK", "+SUM(1,2)", "-2+3", "=1+1", "@SUM(A1)", "@evil"):
        assert text.replace('"', "&quot;") in everything or text in everything, text
    assert "4111 1111 1111 1111" not in everything and "4111111111111111" not in everything
    assert re.search(r"\*{12}1111", everything)


def test_a_camt_entry_not_booked_is_counted_as_refused(tmp_path, fresh, capsys):
    from bank.test_camt import BATCH, camt053
    f = tmp_path / "feb.xml"
    f.write_text(camt053(BATCH), encoding="utf-8")
    code, out = _receive(capsys, fresh, "--bank", str(f))
    assert code == 0, out["problems"]
    # two credits of the batch, the rent debit, and the pending entry the bank has not booked
    assert [(a["lines_read"], a["receipts_posted"], a["debits_ignored"], a["refused"]) for a in _accounted(out)] == [
        (4, 2, 1, 1)]
