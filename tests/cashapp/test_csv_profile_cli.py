"""The clerk's own bank CSV layout, reached from the command line (--profile) and from Settings."""
from __future__ import annotations

import json

import openpyxl
import pytest

from ardesk.cli import main

BANK = ("Buchungstag;Betrag;Auftraggeber;Verwendungszweck\n"
        "02.03.2026;121,00;Acme Bakery Ltd;INV-2026-00001\n"
        "03.03.2026;-15,00;Stadtwerke;Strom\n")
PROFILE = {"profiles": [{"name": "hausbank", "delimiter": ";", "date_formats": ["%d.%m.%Y"], "decimal_comma": True,
                         "date_column": "Buchungstag", "amount_column": "Betrag", "payer_column": "Auftraggeber",
                         "reference_column": "Verwendungszweck", "currency": "EUR"}]}


@pytest.fixture
def books(tmp_path):
    wb = tmp_path / "books.xlsx"
    assert main(["init", str(wb)]) == 0
    (tmp_path / "hausbank.csv").write_text(BANK, encoding="utf-8")
    (tmp_path / "profiles.json").write_text(json.dumps(PROFILE), encoding="utf-8")
    return wb


def _receive(capsys, *args):
    capsys.readouterr()
    code = main(["receive", *args, "--dry-run", "--json"])
    out = capsys.readouterr().out
    return code, (json.loads(out) if out.strip() else None)


def test_without_the_profile_the_layout_is_not_recognised(books, capsys):
    code, out = _receive(capsys, str(books), "--bank", str(books.with_name("hausbank.csv")))
    assert code == 1 and "hausbank.csv" in out["problems"][0]


def test_profile_option_reads_the_clerk_s_layout(books, capsys):
    code, out = _receive(capsys, str(books), "--bank", str(books.with_name("hausbank.csv")),
                         "--profile", str(books.with_name("profiles.json")))
    assert code == 0, out["problems"]
    (f,) = out["files"]
    assert (f["lines_read"], f["receipts_posted"], f["debits_ignored"]) == (2, 1, 1)


def test_profile_named_on_settings_is_taken_beside_the_workbook(books, capsys):
    wb = openpyxl.load_workbook(books)
    sheet, cell = wb.defined_names["BankCsvProfile"].attr_text.replace("$", "").split("!")
    wb[sheet][cell] = "profiles.json"
    wb.save(books)
    code, out = _receive(capsys, str(books), "--bank", str(books.with_name("hausbank.csv")))
    assert code == 0, out["problems"]
    assert out["files"][0]["receipts_posted"] == 1
    wb[sheet][cell] = "missing.json"
    wb.save(books)
    code, out = _receive(capsys, str(books), "--bank", str(books.with_name("hausbank.csv")))
    assert code == 1 and "BankCsvProfile" in out["problems"][0] and "missing.json" in out["problems"][0]


def test_a_broken_profile_file_is_a_bad_argument(books, capsys):
    books.with_name("profiles.json").write_text("{not json", encoding="utf-8")
    capsys.readouterr()
    code = main(["receive", str(books), "--bank", str(books.with_name("hausbank.csv")),
                 "--profile", str(books.with_name("profiles.json")), "--json"])
    got = capsys.readouterr()
    assert code == 2 and not got.out
    assert "--profile profiles.json line 1: not valid JSON" in got.err and "Traceback" not in got.err


def test_without_a_workbook_folder_a_relative_profile_is_refused_not_taken_from_the_working_folder(
        tmp_path, monkeypatch):
    from ardesk.app import settings_profile
    monkeypatch.chdir(tmp_path)
    (tmp_path / "profiles.json").write_text(json.dumps(PROFILE), encoding="utf-8")
    profile, problems = settings_profile("profiles.json", None)
    assert profile is None
    assert [(p.sheet, p.column, p.value) for p in problems] == [("Settings", "BankCsvProfile", "profiles.json")]
    assert "relative path 'profiles.json'" in problems[0].message
    profile, problems = settings_profile("profiles.json", tmp_path)          # beside a saved workbook
    assert problems == [] and "hausbank" in profile
    monkeypatch.setenv("HOME", str(tmp_path))
    profile, problems = settings_profile("~/profiles.json", None)            # a full path needs no folder
    assert problems == [] and "hausbank" in profile
