"""End to end on real files: the CLI on a fresh workbook, every corpus statement, hostile text."""
from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest

from ardesk.cli import main

from bank.conftest import CORPUS  # tests/ is on the path: bank/ and cashapp/ are its packages
UNBALANCED = {"mt940/abnamro.sta", "bai2/citi.bai2"}
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


@pytest.mark.skipif(not CORPUS.exists(), reason="corpus not available")
@pytest.mark.parametrize("name", FILES)
def test_every_corpus_file_imports(name, fresh, capsys):
    args = ["--bank", str(CORPUS / name)]
    if name in UNBALANCED:
        code, out = _receive(capsys, fresh, *args)
        assert code == 1 and "closing balance" in " ".join(out["problems"])
        args.append("--lenient-balances")
    code, out = _receive(capsys, fresh, *args)
    assert code == 0, out["problems"]
    assert out["lines_read"] > 0
    for key in ("auto_posted", "to_review", "duplicates_skipped", "problems"):
        assert key in out
    if name in UNBALANCED:
        assert any("closing balance" in n for n in out["notes"])


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
