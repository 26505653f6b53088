"""Reading a bank CSV and fingerprinting its lines give what they gave before they were made cheaper.

``old_stream`` and ``old_fingerprint_lines`` are the earlier code, kept here as the oracles: the
CSV reader looked each column up per record and the fingerprint copied each line with
dataclasses.replace.
"""
from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import date
from typing import Iterable, Iterator

from hypothesis import given, settings, strategies as st

from ardesk.bank import csvprofile, read_statements
from ardesk.bank.common import Item, join_texts
from ardesk.bank.csvprofile import BUILTIN_PROFILES, CsvProfile, _parse_date, _rows
from ardesk.bank.model import BankFileError, BankLine, Statement, fingerprint_lines
from ardesk.core.money import MoneyError, exponent, parse_amount


def old_stream(name: str, lines: Iterable[str], profile: CsvProfile, currency: str = "EUR",
           fmt: str = "") -> Iterator[Item]:
    """Read a bank CSV with ``profile``, a record at a time; a bad row refuses the file, naming line,
    column and value.  Without a header row, columns are numbered from 1 and a record too short for
    a required column is refused with its line."""
    rows = _rows(name, lines, profile)
    if profile.header_row:
        first = next(rows, None)
        if first is None:
            raise BankFileError(f"{name}: the file is empty")
        header_line, header = first
        index = {h.strip().lower(): i for i, h in enumerate(header)}

        def col(column: str) -> int | None:
            return index.get(column.strip().lower()) if column else None
        found = ", ".join(index)
    else:
        header_line, found = 0, "columns numbered from 1"

        def col(column: str) -> int | None:
            c = column.strip()
            return int(c) - 1 if c.isdigit() and int(c) >= 1 else None

    missing = [c for c in profile.required_columns if col(c) is None]
    if missing:
        raise BankFileError(f"{name} line {header_line or 1}: missing column(s) {', '.join(missing)} for profile "
                            f"{profile.name} (found: {found})")
    default_ccy = (profile.currency or currency).upper()
    for n, row in rows:
        if not any(c.strip() for c in row):
            continue

        def cell(column: str) -> str:
            i = col(column)
            return row[i].strip() if i is not None and i < len(row) else ""

        for c in profile.required_columns:
            i = col(c)
            if i is not None and i >= len(row):
                raise BankFileError(f"{name} line {n}: {len(row)} fields, column {c} is missing: {row!r}")
        ccy = (cell(profile.currency_column) or default_ccy).upper()
        e = exponent(ccy)

        def money(column: str) -> int:
            raw = cell(column)
            if not raw:
                return 0
            try:
                return parse_amount(raw, e, decimal_comma=profile.decimal_comma)
            except MoneyError:
                raise BankFileError(f"{name} line {n}, column {column}: {raw!r} is not an amount") from None

        def day(column: str, required: bool) -> date | None:
            raw = cell(column)
            if not raw:
                if required:
                    raise BankFileError(f"{name} line {n}, column {column}: no date")
                return None
            try:
                return _parse_date(raw, tuple(profile.date_formats))
            except ValueError:
                raise BankFileError(f"{name} line {n}, column {column}: {raw!r} is not a date "
                                    f"({' or '.join(profile.date_formats)})") from None

        booking = day(profile.date_column, required=True)
        assert booking is not None
        if profile.amount_column:
            amount = money(profile.amount_column)
        else:
            amount = abs(money(profile.credit_column)) - abs(money(profile.debit_column))
        if profile.sign == "inverted":
            amount = -amount
        elif profile.sign == "direction":
            flag = cell(profile.direction_column).upper()
            amount = -abs(amount) if flag in {v.upper() for v in profile.debit_values} else abs(amount)
        check_no = cell(profile.check_no_column)
        yield BankLine(
            booking_date=booking, value_date=day(profile.value_date_column, required=False),
            amount=amount, currency=ccy,
            payer=join_texts(cell(profile.payer_column)), payer_account=cell(profile.account_column).replace(" ", ""),
            reference=join_texts(cell(profile.reference_column)),
            text=join_texts(*(cell(c) for c in profile.text_columns)),
            bank_ref=cell(profile.bank_ref_column), check_no=check_no, kind="check" if check_no else "transfer",
            account=profile.our_account, source=name, line_no=n)
    yield Statement(source=name, format=fmt or f"bank CSV (profile {profile.name})", account=profile.our_account,
                    currency=default_ccy, lines=())



def old_fingerprint_lines(lines: Iterable[BankLine]) -> tuple[BankLine, ...]:
    """Give every line a fingerprint from what identifies it at the bank.

    The bank's own line id is used where the format has one; otherwise the
    account, dates, amount, counterparty and texts, plus the occurrence number
    among identical lines (two equal checks on one day are two lines).
    """
    seen: dict[str, int] = {}
    out = []
    for ln in lines:
        if ln.bank_ref:
            basis = "|".join(("ref", ln.account, ln.bank_ref, str(ln.amount), ln.booking_date.isoformat()))
        else:
            basis = "|".join(("line", ln.account, ln.booking_date.isoformat(), str(ln.amount), ln.currency,
                              ln.payer, ln.payer_account, ln.reference, ln.text, ln.check_no))
        n = seen.get(basis, 0)
        seen[basis] = n + 1
        digest = hashlib.sha1(f"{basis}#{n}".encode()).hexdigest()[:20]
        out.append(replace(ln, fingerprint=f"bank:{digest}"))
    return tuple(out)


PROFILES = list(BUILTIN_PROFILES.values()) + [
    CsvProfile(name="direction", delimiter=";", header_row=False, skip_rows=1, date_column="1", amount_column="2",
               sign="direction", direction_column="3", payer_column="4", text_columns=("5", "6"),
               bank_ref_column="7", currency="chf", value_date_column="8", date_formats=("%d.%m.%Y", "%Y-%m-%d")),
    CsvProfile(name="inverted", date_column="Date", amount_column="Amt", sign="inverted", account_column="Acct",
               reference_column="Ref", check_no_column="Chk", currency_column="Cur", our_account="NL01BANK0123"),
]
# cells as banks write them, and as they go wrong: blank, padded, bad amounts and dates, quotes
CELLS = ["", " ", "2026-03-01", "01.03.2026", "03/01/2026", "31.02.2026", "x", "12.50", "-7,25", "1.234,56",
         "1,234.56", "abc", "D", "cr", "-", "EUR", "jpy", "Acme Bakery Ltd", "INV-2026-00042", "RF18539007547034",
         "4111 1111 1111 1111", "Müller\tGmbH", '"quoted; cell"', "1e3", "0", "  42  "]


def csv_text(profile: CsvProfile, header: list[str], rows: list[list[str]]) -> list[str]:
    d = profile.delimiter
    lines = ["skipped line"] * profile.skip_rows
    if profile.header_row:
        lines.append(d.join(header))
    lines += [d.join(r) for r in rows]
    return [ln + "\n" for ln in lines]


def outcome(reader, profile, lines):
    try:
        return ("ok", list(reader("bank.csv", iter(lines), profile, "EUR")))
    except BankFileError as exc:
        return ("refused", str(exc))


DATES = {"%Y-%m-%d": "2026-03-01", "%d.%m.%Y": "01.03.2026", "%d-%m-%Y": "01-03-2026", "%d/%m/%Y": "01/03/2026",
         "%m/%d/%Y": "03/01/2026"}
AMOUNTS = {False: ["12.50", "-7.25", "1,234.56", "0", "42", "-0.01"], True: ["12,50", "-7,25", "1.234,56", "0", "42"]}


@st.composite
def statement(draw):
    """A profile and a file for it: most records readable, some with a bad or missing cell."""
    profile = draw(st.sampled_from(PROFILES))
    known = [c for c in (profile.date_column, profile.amount_column, profile.debit_column, profile.credit_column,
                         profile.payer_column, profile.reference_column, *profile.text_columns,
                         profile.account_column, profile.currency_column, profile.value_date_column,
                         profile.bank_ref_column, profile.check_no_column, profile.direction_column) if c]
    if profile.header_row:
        header = draw(st.permutations(known + ["Other"]))
        if draw(st.integers(0, 9)) == 0:
            header = header[:-1]                # a required column may be missing
    else:
        header = [str(i) for i in range(1, max(int(c) for c in known) + 1)]
    good_date = st.sampled_from([DATES[f] for f in profile.date_formats])
    amounts = AMOUNTS[profile.decimal_comma]
    kinds = {profile.date_column: good_date, profile.value_date_column: st.one_of(good_date, st.just("")),
             profile.amount_column: st.sampled_from(amounts), profile.debit_column: st.sampled_from(amounts + [""]),
             profile.credit_column: st.sampled_from(amounts + [""]),
             profile.currency_column: st.sampled_from(["", "EUR", "jpy", "BHD"]),
             profile.direction_column: st.sampled_from(["D", "C", "dr", "", "-"])}
    rows = []
    for _ in range(draw(st.integers(0, 8))):
        row = [draw(st.sampled_from(CELLS) if draw(st.integers(0, 60)) == 0 else kinds.get(h, st.sampled_from(CELLS)))
               for h in header]
        cut = draw(st.integers(0, 40))
        rows.append(row[:-1] if cut == 0 else row + ["extra"] if cut == 1 else [""] * len(row) if cut == 2 else row)
    return profile, csv_text(profile, header, rows)


@settings(max_examples=600, deadline=None)
@given(statement())
def test_csv_reader_equals_the_one_that_looked_columns_up_per_record(case):
    profile, lines = case
    assert outcome(csvprofile.stream, profile, lines) == outcome(old_stream, profile, lines)


line = st.builds(BankLine, booking_date=st.sampled_from([date(2026, 3, 1), date(2026, 3, 2)]),
                 amount=st.integers(-5, 5), currency=st.sampled_from(["EUR", "JPY"]),
                 payer=st.sampled_from(["", "Acme", "Bäcker"]), payer_account=st.sampled_from(["", "BE71"]),
                 reference=st.sampled_from(["", "INV-1"]), text=st.sampled_from(["", "t"]),
                 bank_ref=st.sampled_from(["", "", "B1", "B2"]), check_no=st.sampled_from(["", "101"]),
                 kind=st.sampled_from(["transfer", "check"]), value_date=st.sampled_from([None, date(2026, 3, 3)]),
                 account=st.sampled_from(["", "NL01"]), source=st.just("f.csv"), line_no=st.integers(1, 9),
                 fingerprint=st.sampled_from(["", "old"]))


@settings(max_examples=300, deadline=None)
@given(st.lists(line, max_size=12))
def test_fingerprints_equal_the_ones_made_through_replace(lines):
    new, old = fingerprint_lines(iter(lines)), old_fingerprint_lines(iter(lines))
    assert new == old and [type(ln) for ln in new] == [BankLine] * len(lines)


def test_real_bank_files_and_fixtures_read_as_before(corpus, monkeypatch):
    """Every file of the corpus and of the importer fixtures gives the same statements either way."""
    from pathlib import Path
    files = sorted(p for p in corpus.rglob("*") if p.is_file() and p.suffix != ".md")
    files += sorted(p for p in (Path(__file__).parent / "files").iterdir() if p.is_file())
    read = {}
    for use_old in (False, True):
        if use_old:
            monkeypatch.setattr("ardesk.bank.common.fingerprint_lines", old_fingerprint_lines)
            monkeypatch.setattr(csvprofile, "stream", old_stream)
            monkeypatch.setattr("ardesk.bank.simplecsv.stream_with_profile", old_stream)
        for p in files:
            try:
                read[use_old, p] = read_statements(p)
            except BankFileError as exc:
                read[use_old, p] = str(exc)
    assert sum(1 for (o, _), v in read.items() if not o and not isinstance(v, str)) >= 10
    for p in files:
        assert read[False, p] == read[True, p], p.name
