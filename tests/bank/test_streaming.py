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


def _bai2_repeated(text: str, k: int) -> str:
    """The real one-account BAI2 file with its 16 records (and their 88 continuations) written k times, the
    49, 98 and 99 trailers' control totals and record counts raised by what was added (BAI2 v2: a control
    total is the sum of the amounts below it, a record count counts every physical record, 88s too)."""
    lines = text.splitlines()
    a = next(i for i, ln in enumerate(lines) if ln.startswith("16,"))
    b = next(i for i, ln in enumerate(lines) if ln.startswith("49,"))
    block = lines[a:b]
    added = (k - 1) * sum(int(ln.split(",")[2]) for ln in block if ln.startswith("16,"))

    def raised(ln: str) -> str:
        code, total, *rest = ln.rstrip("/").split(",")
        return ",".join([code, str(int(total) + added), *rest[:-1], str(int(rest[-1]) + (k - 1) * len(block))]) + "/"
    return "\n".join(lines[:a] + block * k + [raised(ln) for ln in lines[b:]]) + "\n"


def test_bai2_is_read_a_record_at_a_time_and_its_trailers_checked_as_they_close(corpus, tmp_path, opened):
    src = corpus / "bai2" / "nwb.bai2"
    original = read_statement(src).lines
    k = 400
    big = tmp_path / "nwb.bai2"
    big.write_text(_bai2_repeated(src.read_text(encoding="latin-1"), k), encoding="latin-1")
    size = big.stat().st_size
    items = iter_statement(big)
    first = next(items)
    assert isinstance(first, BankLine) and _same(first, original[0]) and first.line_no == 5
    assert opened[-1].tell() < size / 4, f"{opened[-1].tell()} of {size} bytes read before the first line"
    st = read_statement(big)
    assert len(st.lines) == k * len(original) and st.lines[-1].line_no == 5 + 11 * (k - 1) + 8
    assert all(_same(ln, original[i % len(original)]) for i, ln in enumerate(st.lines))
    good = big.read_text(encoding="latin-1")
    trailers = good.splitlines()[-3:]
    for at, field, what in ((0, 1, "account control total"), (1, 2, "number of accounts"),
                            (2, 3, "number of records for Bai2File")):
        fields = trailers[at].rstrip("/").split(",")
        fields[field] = str(int(fields[field]) + 1)
        big.write_text(good.replace(trailers[at], ",".join(fields) + "/"), encoding="latin-1")
        with pytest.raises(BankFileError, match=rf"nwb\.bai2 line {5 + at + k * 11}: Invalid {what}"):
            read_statement(big, strict_balances=False)
    for tail, message in ((b"\x00\x01\xfe", "is not a number"), (b"\nga\n", "'ga' is not a BAI2 record code")):
        big.write_bytes(good.encode("latin-1").rstrip(b"\n") + tail)
        with pytest.raises(BankFileError, match=message):
            read_statement(big, strict_balances=False)
    big.write_text("\n".join(good.splitlines()[:-3]) + "\n", encoding="latin-1")
    with pytest.raises(BankFileError, match="cut short"):
        read_statement(big)


_PROCESSORS = {"stripe": ("stripe_utc_columns.csv", "po_1A"), "paypal": ("paypal_outgoing.csv", None)}


@pytest.mark.parametrize("fmt", ["stripe", "paypal"])
def test_processor_reports_are_read_a_row_at_a_time(tmp_path, opened, fmt):
    """The real report's rows written k times: each Stripe block with a payout of its own (so each payout
    still adds up), the PayPal block as is (its completed rows net to nil, so the running balance holds)."""
    from pathlib import Path
    name, payout = _PROCESSORS[fmt]
    src = Path(__file__).parent / "files" / name
    header, *rows = src.read_text(encoding="utf-8").splitlines()
    original = bank.read_processor(src)
    k = 2000
    blocks = ["\n".join(rows).replace(payout, f"{payout}{i or ''}") if payout else "\n".join(rows) for i in range(k)]
    big = tmp_path / name
    big.write_text(header + "\n" + "\n".join(blocks) + "\n", encoding="utf-8")
    size = big.stat().st_size
    items = bank.iter_processor(big)
    first = next(items)
    assert first == original.transactions[0]
    assert opened[-1].tell() < size / 4, f"{opened[-1].tell()} of {size} bytes read before the first row"
    rep = bank.read_processor(big)
    assert len(rep.transactions) == k * len(original.transactions) and len(rep.payouts) == k * len(original.payouts)
    assert rep.rows_skipped == k * original.rows_skipped
    assert {p.amount for p in rep.payouts} == {p.amount for p in original.payouts}
    # a refusal on the last row still refuses the file
    bad = big.read_text(encoding="utf-8").rstrip("\n")
    cut = bad.rindex("\n")
    last = bad[cut + 1:].split(",")
    last[9 if fmt == "paypal" else 6] = "-1.00"
    big.write_text(bad[:cut + 1] + ",".join(last) + "\n", encoding="utf-8")
    with pytest.raises(BankFileError, match=rf"{name} line {1 + k * len(rows)}"):
        bank.read_processor(big)
