"""Big bank files are read as they come: the first line is handed on long before the file's end, and a
file of repeated real entries gives the real entries again, as many times."""
from __future__ import annotations

from dataclasses import replace

import pytest

import ardesk.bank as bank
from ardesk.bank import BankFileError, BankLine, iter_statement, read_statement


def _repeated(text: str, start: str, end: str, k: int) -> str:
    """``text`` with the span from the first ``start`` to the last ``end`` written k times."""
    a, b = text.index(start), text.rindex(end) + len(end)
    return text[:a] + (text[a:b] + "\n") * k + text[b:]


def _corpus_file(corpus, fmt):
    if fmt == "camt.053":
        return corpus / "camt" / "genkgo_camt053.v2.minimal.xml", "<Ntry>", "</Ntry>", "utf-8"
    if fmt == "ofx":
        return corpus / "ofx" / "checking.ofx", "<STMTTRN>", "</STMTTRN>", "latin-1"
    return corpus / "mt940" / "rabobank-iban.sta", ":61:", "REMI/Reference 201301234/ISDT/2013-01-02", "latin-1"


@pytest.fixture
def opened(monkeypatch):
    """The file handles the readers open, in order."""
    handles = []
    real = bank._file

    def file(path):
        opener = real(path)

        def open_():
            fh = opener()
            handles.append(fh)
            return fh
        return open_
    monkeypatch.setattr(bank, "_file", file)
    return handles


def _same(a: BankLine, b: BankLine) -> bool:
    return replace(a, line_no=0, fingerprint="") == replace(b, line_no=0, fingerprint="")


@pytest.mark.parametrize("fmt", ["camt.053", "ofx", "mt940"])
def test_first_line_is_handed_on_before_the_file_is_read_and_every_entry_comes_back(corpus, tmp_path, opened, fmt):
    src, start, end, enc = _corpus_file(corpus, fmt)
    original = [i for i in iter_statement(src) if isinstance(i, BankLine)]
    text = src.read_text(encoding=enc)
    k = 400
    big = tmp_path / src.name
    big.write_text(_repeated(text, start, end, k), encoding=enc)
    size = big.stat().st_size
    items = iter_statement(big)
    first = next(i for i in items if isinstance(i, BankLine))
    assert opened[-1].tell() < size / 4, f"{opened[-1].tell()} of {size} bytes read before the first line"
    lines = [first] + [i for i in items if isinstance(i, BankLine)]
    per = text[text.index(start):text.rindex(end) + len(end)].count(start)
    assert len(lines) == k * per + (len(original) - per)
    assert all(any(_same(ln, o) for o in original) for ln in lines)
    assert sum(ln.amount for ln in lines) == k * sum(ln.amount for ln in original[:per]) + sum(
        ln.amount for ln in original[per:])


def test_bank_csv_is_read_a_record_at_a_time(tmp_path, opened):
    rows = "".join(f"2026-03-{1 + i % 28:02d},{i}.50,Payer {i},INV-{i:05d}\n" for i in range(20000))
    path = tmp_path / "bank.csv"
    path.write_text("date,amount,payer,reference\n" + rows, encoding="utf-8")
    items = iter_statement(path)
    first = next(items)
    assert first.reference == "INV-00000" and first.amount == 50
    assert opened[-1].tell() < path.stat().st_size / 4
    st = read_statement(path)
    assert len(st.lines) == 20000 and st.lines[-1].reference == "INV-19999" and st.lines[-1].line_no == 20001


def test_a_long_mt940_statement_is_parsed_in_chunks_with_its_balances(corpus, tmp_path):
    """600 :61: lines in one statement (12 chunks): the opening balance from the first chunk, the closing
    from the last, and the file still refused when they do not add up."""
    head = ":20:STMT\n:25:NL71RABO0123456789\n:28C:1\n:60F:C260301EUR1000,00\n"
    body = "".join(f":61:260302C{n},NTRFNONREF//B{n}\n:86:/REMI/INV-{n:05d}\n" for n in range(1, 601))
    total = 1000 + sum(range(1, 601))
    path = tmp_path / "long.sta"
    path.write_text(head + body + f":62F:C260302EUR{total},00\n-\n", encoding="latin-1")
    st = read_statement(path)
    assert len(st.lines) == 600 and st.opening_balance == 100000 and st.closing_balance == total * 100
    assert [ln.line_no for ln in st.lines[:2]] == [5, 7] and st.lines[-1].text == "INV-00600"
    path.write_text(head + body + f":62F:C260302EUR{total + 1},00\n-\n", encoding="latin-1")
    with pytest.raises(BankFileError, match="closing balance"):
        read_statement(path)


@pytest.mark.parametrize("fmt,garbage", [("camt.053", b"\x00\x01PK\xff"), ("ofx", b"\x00\x01garbage\xff"),
                                         ("mt940", b"\x00\x01\xfe")])
def test_trailing_garbage_is_refused(corpus, tmp_path, fmt, garbage):
    src = _corpus_file(corpus, fmt)[0]
    path = tmp_path / src.name
    path.write_bytes(src.read_bytes() + garbage)
    with pytest.raises(BankFileError) as err:
        read_statement(path, strict_balances=False)
    assert src.name in str(err.value)


def test_a_statement_under_another_container_is_no_statement(corpus, tmp_path):
    """Entries are read only inside Document/BkToCstmrStmt/Stmt; elsewhere the file has no statement."""
    src = corpus / "camt" / "genkgo_camt053.v2.minimal.xml"
    path = tmp_path / src.name
    path.write_text(src.read_text(encoding="utf-8").replace("BkToCstmrStmt>", "Other>"), encoding="utf-8")
    with pytest.raises(BankFileError, match="element Document/BkToCstmrStmt: missing"):
        read_statement(path)
